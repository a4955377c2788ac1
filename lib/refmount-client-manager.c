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

/* The FilesystemTypes entry of FSTYPE ("AllowedOptions", "UseHelper",
 * ...), or NULL. */
static GVariant *
filesystem_type (RefmountClient *client,
                 const char     *fstype)
{
  g_autoptr (RefmountDBusManager) manager = get_manager (client);
  GVariant                       *types;

  if (manager == NULL)
    return NULL;
  types = refmount_dbus_manager_get_filesystem_types (manager);
  return types != NULL ? g_variant_lookup_value (types, fstype, G_VARIANT_TYPE_VARDICT) : NULL;
}

/**
 * refmount_client_dup_allowed_options:
 * @client: a #RefmountClient
 * @fstype: one of the supported filesystem types
 *
 * The option names a mount of @fstype may carry (options the daemon
 * forces are not listed: they may name credential files).
 *
 * Returns: (transfer full) (nullable): the option names, or %NULL if
 *   @fstype is not supported or the daemon is not running
 */
GStrv
refmount_client_dup_allowed_options (RefmountClient *client,
                                     const char     *fstype)
{
  g_autoptr (GVariant) type = NULL;
  g_autoptr (GVariant) options = NULL;

  g_return_val_if_fail (REFMOUNT_IS_CLIENT (client), NULL);
  g_return_val_if_fail (fstype != NULL, NULL);
  type = filesystem_type (client, fstype);
  if (type == NULL)
    return NULL;
  options = g_variant_lookup_value (type, REFMOUNT_CONFIG_KEY_ALLOWED_OPTS, G_VARIANT_TYPE_STRING_ARRAY);
  return options != NULL ? g_variant_dup_strv (options, NULL) : g_new0 (char *, 1);
}

/**
 * refmount_client_get_filesystem_uses_helper:
 * @client: a #RefmountClient
 * @fstype: one of the supported filesystem types
 *
 * Whether the daemon mounts @fstype through mount(8)'s helper
 * (`/sbin/mount.TYPE`: nfs, cifs, sshfs, ...) rather than with the
 * mount syscalls itself (the `UseHelper` key of its configuration).
 *
 * Returns: %TRUE if it does; %FALSE if not, if @fstype is not supported
 *   or the daemon is not running
 */
gboolean
refmount_client_get_filesystem_uses_helper (RefmountClient *client,
                                            const char     *fstype)
{
  g_autoptr (GVariant) type = NULL;
  gboolean             helper = FALSE;

  g_return_val_if_fail (REFMOUNT_IS_CLIENT (client), FALSE);
  g_return_val_if_fail (fstype != NULL, FALSE);
  type = filesystem_type (client, fstype);
  if (type != NULL)
    g_variant_lookup (type, REFMOUNT_CONFIG_KEY_USE_HELPER, "b", &helper);
  return helper;
}
