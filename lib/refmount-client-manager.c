/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RefmountClient's view of the Manager object's properties, read from the
 * ObjectManager's cached proxy (so current after every PropertiesChanged,
 * and unknown while the daemon is away).
 */
#include "config.h"

#include "refmount-client-private.h"
#include "refmount-generated.h"
#include "refmount-names.h"

static RefmountDBusManager *
get_manager (RefmountClient *client)
{
  GDBusInterface     *interface;
  GDBusObjectManager *manager = refmount_client_peek_object_manager (client);

  if (manager == NULL)
    return NULL;
  interface = g_dbus_object_manager_get_interface (manager, REFMOUNT_MANAGER_PATH,
                                                   REFMOUNT_MANAGER_INTERFACE);
  return interface != NULL ? REFMOUNT_DBUS_MANAGER (interface) : NULL;
}

/**
 * refmount_client_dup_version:
 * @client: a #RefmountClient
 *
 * Returns: (transfer full) (nullable): the daemon's version, or %NULL
 *   while it is not running
 */
char *
refmount_client_dup_version (RefmountClient *client)
{
  g_autoptr (RefmountDBusManager) manager = NULL;

  g_return_val_if_fail (REFMOUNT_IS_CLIENT (client), NULL);
  manager = get_manager (client);
  return manager != NULL ? refmount_dbus_manager_dup_version (manager) : NULL;
}

/**
 * refmount_client_dup_mount_roots:
 * @client: a #RefmountClient
 *
 * Returns: (transfer full) (nullable): the directories beneath which
 *   mountpoints may live, or %NULL while the daemon is not running
 */
GStrv
refmount_client_dup_mount_roots (RefmountClient *client)
{
  g_autoptr (RefmountDBusManager) manager = NULL;

  g_return_val_if_fail (REFMOUNT_IS_CLIENT (client), NULL);
  manager = get_manager (client);
  return manager != NULL ? refmount_dbus_manager_dup_mount_roots (manager) : NULL;
}

/**
 * refmount_client_dup_supported_filesystems:
 * @client: a #RefmountClient
 *
 * Returns: (transfer full) (nullable): the filesystem types the daemon
 *   allows, or %NULL while it is not running
 */
GStrv
refmount_client_dup_supported_filesystems (RefmountClient *client)
{
  g_autoptr (RefmountDBusManager) manager = NULL;

  g_return_val_if_fail (REFMOUNT_IS_CLIENT (client), NULL);
  manager = get_manager (client);
  return manager != NULL ? refmount_dbus_manager_dup_supported_filesystems (manager) : NULL;
}

/**
 * refmount_client_get_api_version:
 * @client: a #RefmountClient
 *
 * The revision of the D-Bus API the daemon implements.  Features added
 * to `org.refmount.Refmount1` later are present when it is at least the
 * revision that brought them (see doc/dbus-api.md).
 *
 * Returns: the API revision, 0 while the daemon is not running
 */
guint
refmount_client_get_api_version (RefmountClient *client)
{
  g_autoptr (RefmountDBusManager) manager = NULL;

  g_return_val_if_fail (REFMOUNT_IS_CLIENT (client), 0);
  manager = get_manager (client);
  return manager != NULL ? refmount_dbus_manager_get_api_version (manager) : 0;
}

/**
 * refmount_client_get_generation:
 * @client: a #RefmountClient
 *
 * Returns: the daemon's generation (bumped on every start), 0 while it is
 *   not running
 */
guint64
refmount_client_get_generation (RefmountClient *client)
{
  g_autoptr (RefmountDBusManager) manager = NULL;

  g_return_val_if_fail (REFMOUNT_IS_CLIENT (client), 0);
  manager = get_manager (client);
  return manager != NULL ? refmount_dbus_manager_get_generation (manager) : 0;
}
