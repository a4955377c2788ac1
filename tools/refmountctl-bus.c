/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * refmountctl's bus access: the system bus connection, proxies from the
 * generated code, method calls with the interactive-authorization flag.
 * Errors are put into words in refmountctl-errors.c.
 */
#include "config.h"

#include <stdio.h>

#include "refmount-names.h"
#include "refmountctl.h"

gboolean
refmountctl_connect (RefmountCtl *ctl,
                     GError     **error)
{
  /* The system bus; DBUS_SYSTEM_BUS_ADDRESS overrides its address (the
   * tests and tools/refmount-sandbox point it at a private bus). */
  ctl->connection = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, error);
  if (ctl->connection == NULL)
    {
      g_prefix_error (error, "Cannot connect to the system bus: ");
      return FALSE;
    }
  /* monitor and mount --release-on-exit notice a lost bus themselves and
   * say so; GDBus would just raise SIGTERM. */
  g_dbus_connection_set_exit_on_close (ctl->connection, FALSE);
  return TRUE;
}

/* Starts refmountd through D-Bus activation if needed and tells "not
 * running" apart from "no mounts" before an ObjectManager client (which
 * would just see nothing) is used. */
gboolean
refmountctl_ping (RefmountCtl *ctl,
                  GError     **error)
{
  g_autoptr (GVariant) reply = NULL;

  reply = g_dbus_connection_call_sync (ctl->connection, REFMOUNT_BUS_NAME, REFMOUNT_MANAGER_PATH,
                                       "org.freedesktop.DBus.Peer", "Ping", NULL, NULL,
                                       G_DBUS_CALL_FLAGS_NONE, REFMOUNTCTL_CALL_TIMEOUT_MSEC,
                                       NULL, error);
  return reply != NULL;
}

GVariant *
refmountctl_call_manager (RefmountCtl        *ctl,
                          const char         *method,
                          GVariant           *parameters,
                          const GVariantType *reply_type,
                          gboolean            may_ask_password,
                          GError            **error)
{
  g_autoptr (RefmountDBusManager) manager = NULL;
  RefmountCtlAgent               *agent = NULL;
  gboolean                        interactive = FALSE;
  GDBusCallFlags                  flags = G_DBUS_CALL_FLAGS_NONE;
  int                             timeout = REFMOUNTCTL_CALL_TIMEOUT_MSEC;
  GVariant                       *reply;

  g_variant_ref_sink (parameters);
  manager = refmount_dbus_manager_proxy_new_sync (ctl->connection,
                                                  G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES |
                                                    G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
                                                  REFMOUNT_BUS_NAME, REFMOUNT_MANAGER_PATH, NULL, error);
  if (manager == NULL)
    {
      g_variant_unref (parameters);
      return NULL;
    }

  if (may_ask_password)
    agent = refmountctl_agent_start_if_interactive (ctl->no_ask_password, &interactive);
  if (interactive)
    {
      /* The generated call wrappers cannot set this header flag. */
      flags |= G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION;
      timeout = G_MAXINT;
    }
  reply = g_dbus_proxy_call_sync (G_DBUS_PROXY (manager), method, parameters, flags, timeout,
                                  NULL, error);
  refmountctl_agent_stop (agent);
  g_variant_unref (parameters);

  if (reply != NULL && reply_type != NULL && !g_variant_is_of_type (reply, reply_type))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "refmountd answered %s with type %s instead of %s", method,
                   g_variant_get_type_string (reply), (const char *) reply_type);
      g_clear_pointer (&reply, g_variant_unref);
    }
  return reply;
}

GDBusObjectManager *
refmountctl_object_manager_new (RefmountCtl *ctl,
                                GError     **error)
{
  if (!refmountctl_ping (ctl, error))
    return NULL;
  return refmount_dbus_object_manager_client_new_sync (ctl->connection,
                                                       G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE,
                                                       REFMOUNT_BUS_NAME, REFMOUNT_OBJECT_MANAGER_PATH,
                                                       NULL, error);
}

RefmountDBusMount *
refmountctl_mount_proxy_for (RefmountCtl *ctl,
                             const char  *mountpoint,
                             GError     **error)
{
  g_autoptr (GVariant) reply = NULL;
  const char          *path = NULL;

  reply = refmountctl_call_manager (ctl, "GetMount", g_variant_new ("(s)", mountpoint),
                                    G_VARIANT_TYPE ("(o)"), FALSE, error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(&o)", &path);
  return refmount_dbus_mount_proxy_new_sync (ctl->connection, G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
                                             REFMOUNT_BUS_NAME, path, NULL, error);
}

static int
compare_mountpoints (gconstpointer a,
                     gconstpointer b)
{
  RefmountDBusMount *ma = *(RefmountDBusMount *const *) a;
  RefmountDBusMount *mb = *(RefmountDBusMount *const *) b;

  return g_strcmp0 (refmount_dbus_mount_get_mountpoint (ma), refmount_dbus_mount_get_mountpoint (mb));
}

/* Every Mount interface the ObjectManager knows, sorted by mountpoint. */
GPtrArray *
refmountctl_collect_mounts (GDBusObjectManager *manager)
{
  GPtrArray *mounts = g_ptr_array_new_with_free_func (g_object_unref);
  GList     *objects = g_dbus_object_manager_get_objects (manager);

  for (GList *l = objects; l != NULL; l = l->next)
    {
      RefmountDBusMount *mount = refmount_dbus_object_get_mount (REFMOUNT_DBUS_OBJECT (l->data));

      if (mount != NULL)
        g_ptr_array_add (mounts, mount);
    }
  g_list_free_full (objects, g_object_unref);
  g_ptr_array_sort (mounts, compare_mountpoints);
  return mounts;
}

RefmountDBusManager *
refmountctl_find_manager (GDBusObjectManager *manager)
{
  g_autoptr (GDBusObject) object = NULL;

  object = g_dbus_object_manager_get_object (manager, REFMOUNT_MANAGER_PATH);

  if (object == NULL)
    return NULL;
  return refmount_dbus_object_get_manager (REFMOUNT_DBUS_OBJECT (object));
}

/* The Manager with its properties loaded (FilesystemTypes and friends). */
RefmountDBusManager *
refmountctl_manager_proxy (RefmountCtl *ctl,
                           GError     **error)
{
  return refmount_dbus_manager_proxy_new_sync (ctl->connection, G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
                                               REFMOUNT_BUS_NAME, REFMOUNT_MANAGER_PATH, NULL, error);
}

/* FSTYPE's AllowedOptions from FilesystemTypes; NULL when the daemon does
 * not publish it (an older refmountd) or does not allow FSTYPE. */
GStrv
refmountctl_allowed_options (RefmountDBusManager *manager,
                             const char          *fstype)
{
  GVariant            *types = refmount_dbus_manager_get_filesystem_types (manager);
  g_autoptr (GVariant) entry = NULL;
  g_autoptr (GVariant) options = NULL;

  if (types == NULL || !g_variant_is_of_type (types, G_VARIANT_TYPE ("a{sa{sv}}")))
    return NULL;
  entry = g_variant_lookup_value (types, fstype, G_VARIANT_TYPE_VARDICT);
  if (entry == NULL)
    return NULL;
  options = g_variant_lookup_value (entry, "AllowedOptions", G_VARIANT_TYPE_STRING_ARRAY);
  if (options == NULL)
    return g_new0 (char *, 1);
  return g_variant_dup_strv (options, NULL);
}
