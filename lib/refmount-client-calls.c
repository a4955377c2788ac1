/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RefmountClient's method calls: Mount, Unmount, GetMount and Reload on
 * the Manager, each async (GTask) and sync.  The D-Bus arguments are
 * built here, so that no GVariant reaches the public API, and errors come
 * back as REFMOUNT_ERROR codes with the "GDBus.Error:…" prefix removed.
 */
#include "config.h"

#include "refmount-client-private.h"
#include "refmount-error.h"
#include "refmount-generated.h"
#include "refmount-mount-private.h"
#include "refmount-names.h"

#define MOUNT_CALL_FLAGS   (REFMOUNT_MOUNT_FLAGS_RELEASE_ON_EXIT | REFMOUNT_MOUNT_FLAGS_OWNER)
#define UNMOUNT_CALL_FLAGS (REFMOUNT_MOUNT_FLAGS_FORCE | REFMOUNT_MOUNT_FLAGS_LAZY)

/* FLAGS as the a{sv} the daemon takes, or NULL with ERROR set when a flag
 * does not belong to METHOD (the daemon would reject it too, but an
 * unknown key there could also be a newer daemon's meaning). */
static GVariant *
flags_variant (RefmountMountFlags flags,
               RefmountMountFlags allowed,
               const char        *method,
               GError           **error)
{
  GVariantBuilder builder;

  if ((flags & ~allowed) != 0)
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT,
                   "flags: 0x%x is not a flag of %s", (unsigned) (flags & ~allowed), method);
      return NULL;
    }
  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  if (flags & REFMOUNT_MOUNT_FLAGS_RELEASE_ON_EXIT)
    g_variant_builder_add (&builder, "{sv}", REFMOUNT_FLAG_RELEASE_ON_EXIT, g_variant_new_boolean (TRUE));
  if (flags & REFMOUNT_MOUNT_FLAGS_OWNER)
    g_variant_builder_add (&builder, "{sv}", REFMOUNT_FLAG_OWNER, g_variant_new_boolean (TRUE));
  if (flags & REFMOUNT_MOUNT_FLAGS_FORCE)
    g_variant_builder_add (&builder, "{sv}", REFMOUNT_FLAG_FORCE, g_variant_new_boolean (TRUE));
  if (flags & REFMOUNT_MOUNT_FLAGS_LAZY)
    g_variant_builder_add (&builder, "{sv}", REFMOUNT_FLAG_LAZY, g_variant_new_boolean (TRUE));
  return g_variant_builder_end (&builder);
}

static GVariant *
mount_parameters (const char        *fstype,
                  const char        *source,
                  const char        *mountpoint,
                  const char *const *options,
                  const char        *attachment,
                  RefmountMountFlags flags,
                  GError           **error)
{
  GVariant *flags_value = flags_variant (flags, MOUNT_CALL_FLAGS, "Mount", error);

  if (flags_value == NULL)
    return NULL;
  return g_variant_new ("(sss^ass@a{sv})", fstype, source, mountpoint != NULL ? mountpoint : "",
                        options != NULL ? options : (const char *const[]){ NULL }, attachment, flags_value);
}

static GVariant *
unmount_parameters (const char        *mountpoint,
                    const char        *attachment,
                    RefmountMountFlags flags,
                    GError           **error)
{
  GVariant *flags_value = flags_variant (flags, UNMOUNT_CALL_FLAGS, "Unmount", error);

  if (flags_value == NULL)
    return NULL;
  return g_variant_new ("(ss@a{sv})", mountpoint, attachment, flags_value);
}

static void
call_manager (RefmountClient     *client,
              const char         *method,
              GVariant           *parameters,
              const GVariantType *reply_type,
              GCancellable       *cancellable,
              GAsyncReadyCallback callback,
              GTask              *task)
{
  g_dbus_connection_call (refmount_client_get_connection (client), REFMOUNT_BUS_NAME, REFMOUNT_MANAGER_PATH,
                          REFMOUNT_MANAGER_INTERFACE, method, parameters, reply_type,
                          refmount_client_call_flags (client), refmount_client_call_timeout (client),
                          cancellable, callback, task);
}

static GVariant *
call_manager_sync (RefmountClient     *client,
                   const char         *method,
                   GVariant           *parameters,
                   const GVariantType *reply_type,
                   GCancellable       *cancellable,
                   GError            **error)
{
  GVariant *reply;

  reply = g_dbus_connection_call_sync (refmount_client_get_connection (client), REFMOUNT_BUS_NAME,
                                       REFMOUNT_MANAGER_PATH, REFMOUNT_MANAGER_INTERFACE, method, parameters,
                                       reply_type, refmount_client_call_flags (client),
                                       refmount_client_call_timeout (client), cancellable, error);
  if (reply == NULL && error != NULL && *error != NULL)
    g_dbus_error_strip_remote_error (*error);
  return reply;
}

/* The reply of the call TASK made, or NULL with TASK returned as failed. */
static GVariant *
finish_call (GObject      *connection,
             GAsyncResult *result,
             GTask        *task)
{
  GError   *error = NULL;
  GVariant *reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (connection), result, &error);

  if (reply == NULL)
    {
      g_dbus_error_strip_remote_error (error);
      g_task_return_error (task, error);
    }
  return reply;
}

/* ---- Mount ------------------------------------------------------------- */

static void
on_mount_reply (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (GTask)    task = user_data;
  g_autoptr (GVariant) reply = finish_call (source, result, task);
  char                *mountpoint = NULL;

  if (reply == NULL)
    return;
  g_variant_get (reply, "(os)", NULL, &mountpoint);
  g_task_return_pointer (task, mountpoint, g_free);
}

/**
 * refmount_client_mount_async:
 * @client: a #RefmountClient
 * @fstype: the filesystem type (one of the daemon's supported filesystems)
 * @source: what to mount, e.g. `server:/export`
 * @mountpoint: (nullable): a mountpoint beneath one of the mount roots, or
 *   %NULL to let the daemon derive one from @fstype and @source
 * @options: (nullable) (array zero-terminated=1): mount options, one per
 *   element (`"ro"`, `"vers=4.2"`), or %NULL for none
 * @attachment: the caller's name for its use of the mount (1–255
 *   characters of `[A-Za-z0-9._:@+=-]`, not starting with `-`); attaching
 *   the same name twice is a no-op
 * @flags: %REFMOUNT_MOUNT_FLAGS_NONE, %REFMOUNT_MOUNT_FLAGS_RELEASE_ON_EXIT,
 *   %REFMOUNT_MOUNT_FLAGS_OWNER
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the daemon answered
 * @user_data: data for @callback
 *
 * Attaches to (and if needed mounts) a filesystem.  Needs the
 * `org.refmount.mount` authorization.  Finish with
 * refmount_client_mount_finish().
 */
void
refmount_client_mount_async (RefmountClient     *client,
                             const char         *fstype,
                             const char         *source,
                             const char         *mountpoint,
                             const char *const  *options,
                             const char         *attachment,
                             RefmountMountFlags  flags,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  GError           *error = NULL;
  GVariant         *parameters;

  g_return_if_fail (REFMOUNT_IS_CLIENT (client));
  g_return_if_fail (fstype != NULL && source != NULL && attachment != NULL);
  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, refmount_client_mount_async);
  parameters = mount_parameters (fstype, source, mountpoint, options, attachment, flags, &error);
  if (parameters == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  call_manager (client, "Mount", parameters, G_VARIANT_TYPE ("(os)"), cancellable, on_mount_reply,
                g_steal_pointer (&task));
}

/**
 * refmount_client_mount_finish:
 * @client: a #RefmountClient
 * @result: the #GAsyncResult given to the callback
 * @error: return location for an error
 *
 * Returns: (transfer full): the mountpoint used (the derived one if none
 *   was given), or %NULL with @error set
 */
char *
refmount_client_mount_finish (RefmountClient *client,
                              GAsyncResult   *result,
                              GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * refmount_client_mount_sync:
 * @client: a #RefmountClient
 * @fstype: the filesystem type
 * @source: what to mount
 * @mountpoint: (nullable): the mountpoint, or %NULL to derive one
 * @options: (nullable) (array zero-terminated=1): mount options, one per
 *   element
 * @attachment: the caller's name for its use of the mount
 * @flags: %REFMOUNT_MOUNT_FLAGS_NONE or
 *   %REFMOUNT_MOUNT_FLAGS_RELEASE_ON_EXIT
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * Blocking variant of refmount_client_mount_async().
 *
 * Returns: (transfer full): the mountpoint used, or %NULL with @error set
 */
char *
refmount_client_mount_sync (RefmountClient    *client,
                            const char        *fstype,
                            const char        *source,
                            const char        *mountpoint,
                            const char *const *options,
                            const char        *attachment,
                            RefmountMountFlags flags,
                            GCancellable      *cancellable,
                            GError           **error)
{
  g_autoptr (GVariant) reply = NULL;
  GVariant            *parameters;
  char                *used = NULL;

  g_return_val_if_fail (REFMOUNT_IS_CLIENT (client), NULL);
  g_return_val_if_fail (fstype != NULL && source != NULL && attachment != NULL, NULL);
  parameters = mount_parameters (fstype, source, mountpoint, options, attachment, flags, error);
  if (parameters == NULL)
    return NULL;
  reply = call_manager_sync (client, "Mount", parameters, G_VARIANT_TYPE ("(os)"), cancellable, error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(os)", NULL, &used);
  return used;
}

/* ---- Unmount ----------------------------------------------------------- */

static void
on_unmount_reply (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (GTask)    task = user_data;
  g_autoptr (GVariant) reply = finish_call (source, result, task);
  gboolean             unmounted = FALSE;

  if (reply == NULL)
    return;
  g_variant_get (reply, "(b)", &unmounted);
  /* Boxed in a pointer: FALSE is a valid answer, not a failure. */
  g_task_return_pointer (task, GINT_TO_POINTER (unmounted ? 2 : 1), NULL);
}

/**
 * refmount_client_unmount_async:
 * @client: a #RefmountClient
 * @mountpoint: a managed mountpoint
 * @attachment: the attachment to release
 * @flags: %REFMOUNT_MOUNT_FLAGS_NONE, or %REFMOUNT_MOUNT_FLAGS_FORCE and/or
 *   %REFMOUNT_MOUNT_FLAGS_LAZY (these need the `org.refmount.manage`
 *   authorization)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the daemon answered
 * @user_data: data for @callback
 *
 * Releases an attachment; the last one unmounts the filesystem.
 * Releasing another uid's attachment needs `org.refmount.unmount-others`.
 * Finish with refmount_client_unmount_finish().
 */
void
refmount_client_unmount_async (RefmountClient     *client,
                               const char         *mountpoint,
                               const char         *attachment,
                               RefmountMountFlags  flags,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  GError           *error = NULL;
  GVariant         *parameters;

  g_return_if_fail (REFMOUNT_IS_CLIENT (client));
  g_return_if_fail (mountpoint != NULL && attachment != NULL);
  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, refmount_client_unmount_async);
  parameters = unmount_parameters (mountpoint, attachment, flags, &error);
  if (parameters == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  call_manager (client, "Unmount", parameters, G_VARIANT_TYPE ("(b)"), cancellable, on_unmount_reply,
                g_steal_pointer (&task));
}

/**
 * refmount_client_unmount_finish:
 * @client: a #RefmountClient
 * @result: the #GAsyncResult given to the callback
 * @out_unmounted: (out) (optional): %TRUE when this released the last
 *   attachment and the filesystem is now unmounted, %FALSE when other
 *   attachments remain or the unmount was deferred (the filesystem is busy)
 * @error: return location for an error
 *
 * Returns: (skip): %TRUE on success, %FALSE with @error set
 */
gboolean
refmount_client_unmount_finish (RefmountClient *client,
                                GAsyncResult   *result,
                                gboolean       *out_unmounted,
                                GError        **error)
{
  gpointer answer;

  g_return_val_if_fail (g_task_is_valid (result, client), FALSE);
  answer = g_task_propagate_pointer (G_TASK (result), error);
  if (answer == NULL)
    return FALSE;
  if (out_unmounted != NULL)
    *out_unmounted = GPOINTER_TO_INT (answer) == 2;
  return TRUE;
}

/**
 * refmount_client_unmount_sync:
 * @client: a #RefmountClient
 * @mountpoint: a managed mountpoint
 * @attachment: the attachment to release
 * @flags: %REFMOUNT_MOUNT_FLAGS_NONE, %REFMOUNT_MOUNT_FLAGS_FORCE,
 *   %REFMOUNT_MOUNT_FLAGS_LAZY
 * @out_unmounted: (out) (optional): whether the filesystem is now
 *   unmounted (see refmount_client_unmount_finish())
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * Blocking variant of refmount_client_unmount_async().
 *
 * Returns: (skip): %TRUE on success, %FALSE with @error set
 */
gboolean
refmount_client_unmount_sync (RefmountClient    *client,
                              const char        *mountpoint,
                              const char        *attachment,
                              RefmountMountFlags flags,
                              gboolean          *out_unmounted,
                              GCancellable      *cancellable,
                              GError           **error)
{
  g_autoptr (GVariant) reply = NULL;
  GVariant            *parameters;
  gboolean             unmounted = FALSE;

  g_return_val_if_fail (REFMOUNT_IS_CLIENT (client), FALSE);
  g_return_val_if_fail (mountpoint != NULL && attachment != NULL, FALSE);
  parameters = unmount_parameters (mountpoint, attachment, flags, error);
  if (parameters == NULL)
    return FALSE;
  reply = call_manager_sync (client, "Unmount", parameters, G_VARIANT_TYPE ("(b)"), cancellable, error);
  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(b)", &unmounted);
  if (out_unmounted != NULL)
    *out_unmounted = unmounted;
  return TRUE;
}

/* ---- GetMount ---------------------------------------------------------- */

/* A mount object the client has not seen yet (its InterfacesAdded is
 * still on the way): a snapshot of its properties, read once. */
static void
on_mount_proxy (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (GTask)             task = user_data;
  GError                       *error = NULL;
  g_autoptr (RefmountDBusMount) proxy = refmount_dbus_mount_proxy_new_finish (result, &error);

  if (proxy == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, refmount_mount_new_for_proxy (proxy), g_object_unref);
}

static void
on_get_mount_reply (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask               *task = user_data;
  RefmountClient      *client = g_task_get_source_object (task);
  g_autoptr (GVariant) reply = finish_call (source, result, task);
  const char          *path;
  RefmountMount       *mount;

  if (reply == NULL)
    {
      g_object_unref (task);
      return;
    }
  g_variant_get (reply, "(&o)", &path);
  mount = refmount_client_peek_mount_at (client, path);
  if (mount != NULL)
    {
      g_task_return_pointer (task, g_object_ref (mount), g_object_unref);
      g_object_unref (task);
      return;
    }
  refmount_dbus_mount_proxy_new (refmount_client_get_connection (client), G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
                                 REFMOUNT_BUS_NAME, path, g_task_get_cancellable (task), on_mount_proxy, task);
}

/**
 * refmount_client_get_mount_async:
 * @client: a #RefmountClient
 * @mountpoint: a managed mountpoint
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the daemon answered
 * @user_data: data for @callback
 *
 * Asks the daemon for the mount at @mountpoint
 * (%REFMOUNT_ERROR_NOT_FOUND if it manages none there).  Finish with
 * refmount_client_get_mount_finish().
 */
void
refmount_client_get_mount_async (RefmountClient     *client,
                                 const char         *mountpoint,
                                 GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data)
{
  GTask *task;

  g_return_if_fail (REFMOUNT_IS_CLIENT (client));
  g_return_if_fail (mountpoint != NULL);
  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, refmount_client_get_mount_async);
  call_manager (client, "GetMount", g_variant_new ("(s)", mountpoint), G_VARIANT_TYPE ("(o)"), cancellable,
                on_get_mount_reply, task);
}

/**
 * refmount_client_get_mount_finish:
 * @client: a #RefmountClient
 * @result: the #GAsyncResult given to the callback
 * @error: return location for an error
 *
 * Returns: (transfer full): the mount, or %NULL with @error set
 */
RefmountMount *
refmount_client_get_mount_finish (RefmountClient *client,
                                  GAsyncResult   *result,
                                  GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * refmount_client_get_mount_sync:
 * @client: a #RefmountClient
 * @mountpoint: a managed mountpoint
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * Blocking variant of refmount_client_get_mount_async().
 *
 * Returns: (transfer full): the mount, or %NULL with @error set
 */
RefmountMount *
refmount_client_get_mount_sync (RefmountClient *client,
                                const char     *mountpoint,
                                GCancellable   *cancellable,
                                GError        **error)
{
  g_autoptr (GVariant)          reply = NULL;
  g_autoptr (RefmountDBusMount) proxy = NULL;
  const char                   *path;
  RefmountMount                *mount;

  g_return_val_if_fail (REFMOUNT_IS_CLIENT (client), NULL);
  g_return_val_if_fail (mountpoint != NULL, NULL);
  reply = call_manager_sync (client, "GetMount", g_variant_new ("(s)", mountpoint), G_VARIANT_TYPE ("(o)"),
                             cancellable, error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(&o)", &path);
  mount = refmount_client_peek_mount_at (client, path);
  if (mount != NULL)
    return g_object_ref (mount);
  proxy = refmount_dbus_mount_proxy_new_sync (refmount_client_get_connection (client),
                                              G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS, REFMOUNT_BUS_NAME, path,
                                              cancellable, error);
  return proxy != NULL ? refmount_mount_new_for_proxy (proxy) : NULL;
}

/* ---- Reload ------------------------------------------------------------ */

static void
on_unit_reply (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (GTask)    task = user_data;
  g_autoptr (GVariant) reply = finish_call (source, result, task);

  if (reply != NULL)
    g_task_return_boolean (task, TRUE);
}

/**
 * refmount_client_reload_async:
 * @client: a #RefmountClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the daemon answered
 * @user_data: data for @callback
 *
 * Makes the daemon re-read its configuration.  Needs the
 * `org.refmount.manage` authorization; a configuration that does not load
 * is %REFMOUNT_ERROR_FAILED and the old one stays in force.  Finish with
 * refmount_client_reload_finish().
 */
void
refmount_client_reload_async (RefmountClient     *client,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  GTask *task;

  g_return_if_fail (REFMOUNT_IS_CLIENT (client));
  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, refmount_client_reload_async);
  call_manager (client, "Reload", NULL, G_VARIANT_TYPE_UNIT, cancellable, on_unit_reply, task);
}

/**
 * refmount_client_reload_finish:
 * @client: a #RefmountClient
 * @result: the #GAsyncResult given to the callback
 * @error: return location for an error
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
refmount_client_reload_finish (RefmountClient *client,
                               GAsyncResult   *result,
                               GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * refmount_client_reload_sync:
 * @client: a #RefmountClient
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * Blocking variant of refmount_client_reload_async().
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
refmount_client_reload_sync (RefmountClient *client,
                             GCancellable   *cancellable,
                             GError        **error)
{
  g_autoptr (GVariant) reply = NULL;

  g_return_val_if_fail (REFMOUNT_IS_CLIENT (client), FALSE);
  reply = call_manager_sync (client, "Reload", NULL, G_VARIANT_TYPE_UNIT, cancellable, error);
  return reply != NULL;
}

/* ---- Recover ----------------------------------------------------------- */

/**
 * refmount_client_recover_async:
 * @client: a #RefmountClient
 * @mountpoint: a managed mountpoint
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the daemon answered
 * @user_data: data for @callback
 *
 * Replaces a dead mount (health %REFMOUNT_MOUNT_HEALTH_STALE_HANDLE, or
 * %REFMOUNT_MOUNT_HEALTH_UNRESPONSIVE for good): the daemon detaches it
 * lazily and mounts the same source with the same options on the same
 * directory, keeping every attachment.  Needs the `org.refmount.manage`
 * authorization; a daemon older than this method answers with a
 * #G_DBUS_ERROR_UNKNOWN_METHOD error.  Finish with
 * refmount_client_recover_finish().
 */
void
refmount_client_recover_async (RefmountClient     *client,
                               const char         *mountpoint,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  GTask *task;

  g_return_if_fail (REFMOUNT_IS_CLIENT (client));
  g_return_if_fail (mountpoint != NULL);
  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, refmount_client_recover_async);
  call_manager (client, "Recover", g_variant_new ("(s@a{sv})", mountpoint, g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0)),
                G_VARIANT_TYPE_UNIT, cancellable, on_unit_reply, task);
}

/**
 * refmount_client_recover_finish:
 * @client: a #RefmountClient
 * @result: the #GAsyncResult given to the callback
 * @error: return location for an error
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
refmount_client_recover_finish (RefmountClient *client,
                                GAsyncResult   *result,
                                GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * refmount_client_recover_sync:
 * @client: a #RefmountClient
 * @mountpoint: a managed mountpoint
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * Blocking variant of refmount_client_recover_async().
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
refmount_client_recover_sync (RefmountClient *client,
                              const char     *mountpoint,
                              GCancellable   *cancellable,
                              GError        **error)
{
  g_autoptr (GVariant) reply = NULL;

  g_return_val_if_fail (REFMOUNT_IS_CLIENT (client), FALSE);
  g_return_val_if_fail (mountpoint != NULL, FALSE);
  reply = call_manager_sync (client, "Recover",
                             g_variant_new ("(s@a{sv})", mountpoint, g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0)),
                             G_VARIANT_TYPE_UNIT, cancellable, error);
  return reply != NULL;
}
