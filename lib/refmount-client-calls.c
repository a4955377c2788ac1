/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RefmountClient's method calls: Mount, Unmount, GetMount, Reload and
 * Recover on the Manager.  Each method is a Call (its name, reply type
 * and what the reply becomes); one asynchronous path makes every call,
 * and the _sync variants run that path to completion in a private main
 * context, so that the arguments are built, the reply read and the
 * error mapped in one place.  The D-Bus arguments are built here, so
 * that no GVariant reaches the public API; errors come back as
 * REFMOUNT_ERROR codes with the "GDBus.Error:…" prefix removed.
 */
#include "config.h"

#include "refmount-client-private.h"
#include "refmount-error.h"
#include "refmount-generated.h"
#include "refmount-mount-private.h"
#include "refmount-names.h"

#define MOUNT_CALL_FLAGS \
  (REFMOUNT_MOUNT_FLAGS_RELEASE_ON_EXIT | REFMOUNT_MOUNT_FLAGS_OWNER | REFMOUNT_MOUNT_FLAGS_SHOW)
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
  static const struct
  {
    RefmountMountFlags flag;
    const char        *key;
  } keys[] = {
    { REFMOUNT_MOUNT_FLAGS_RELEASE_ON_EXIT, REFMOUNT_FLAG_RELEASE_ON_EXIT },
    { REFMOUNT_MOUNT_FLAGS_OWNER, REFMOUNT_FLAG_OWNER },
    { REFMOUNT_MOUNT_FLAGS_SHOW, REFMOUNT_FLAG_SHOW },
    { REFMOUNT_MOUNT_FLAGS_FORCE, REFMOUNT_FLAG_FORCE },
    { REFMOUNT_MOUNT_FLAGS_LAZY, REFMOUNT_FLAG_LAZY },
  };
  GVariantBuilder builder;

  if ((flags & ~allowed) != 0)
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT,
                   "flags: 0x%x is not a flag of %s", (unsigned) (flags & ~allowed), method);
      return NULL;
    }
  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    if (flags & keys[i].flag)
      g_variant_builder_add (&builder, "{sv}", keys[i].key, g_variant_new_boolean (TRUE));
  return g_variant_builder_end (&builder);
}

/* ---- one path for every call ------------------------------------------- */

/* What the reply of a call becomes: the value TASK returns (the function
 * returns TASK; it takes a reference of its own to go on). */
typedef void (*ReplyFunc) (GTask    *task,
                           GVariant *reply);

typedef struct
{
  const char *method;
  const char *reply_type;
  ReplyFunc   reply;
} Call;

static void
on_reply (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (GTask)    task = user_data;
  const Call          *call = g_task_get_task_data (task);
  GError              *error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  if (reply == NULL)
    {
      refmount_client_strip_error (error);
      g_task_return_error (task, error);
      return;
    }
  call->reply (task, reply);
}

/* Calls CALL's method on the Manager with PARAMETERS (floating, NULL for
 * none).  BAD_ARGUMENTS, when set, fails the task without a call (the
 * arguments could not be built). */
static void
start_call (RefmountClient     *client,
            const Call         *call,
            gpointer            source_tag,
            GVariant           *parameters,
            GError             *bad_arguments,
            GCancellable       *cancellable,
            GAsyncReadyCallback callback,
            gpointer            user_data)
{
  GTask *task = g_task_new (client, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, (gpointer) call, NULL);
  if (bad_arguments != NULL)
    {
      g_task_return_error (task, bad_arguments);
      g_object_unref (task);
      return;
    }
  g_dbus_connection_call (refmount_client_get_connection (client), REFMOUNT_BUS_NAME, REFMOUNT_MANAGER_PATH,
                          REFMOUNT_MANAGER_INTERFACE, call->method, parameters,
                          G_VARIANT_TYPE (call->reply_type), refmount_client_call_flags (client),
                          refmount_client_call_timeout (client), cancellable, on_reply, task);
}

/* A _sync variant: the async call, run to completion in a private main
 * context (so that no other source of the caller's runs meanwhile, as
 * with g_dbus_connection_call_sync()). */
typedef struct
{
  GMainContext *context;
  GAsyncResult *result;
} SyncCall;

static void
sync_call_begin (SyncCall *sync)
{
  sync->context = g_main_context_new ();
  sync->result = NULL;
  g_main_context_push_thread_default (sync->context);
}

static void
on_sync_call_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  SyncCall *sync = user_data;

  sync->result = g_object_ref (result);
}

/* Returns: (transfer full): the result to finish the call with */
static GAsyncResult *
sync_call_wait (SyncCall *sync)
{
  while (sync->result == NULL)
    g_main_context_iteration (sync->context, TRUE);
  /* What GIO still has queued in the context once the result is in (the
   * end of a proxy's async init frees its state from an idle) would
   * otherwise be dropped with the context, unfreed. */
  while (g_main_context_pending (sync->context))
    g_main_context_iteration (sync->context, FALSE);
  g_main_context_pop_thread_default (sync->context);
  g_main_context_unref (sync->context);
  return sync->result;
}

/* ---- Mount ------------------------------------------------------------- */

static void
mount_reply (GTask    *task,
             GVariant *reply)
{
  char *mountpoint = NULL;

  g_variant_get (reply, "(os)", NULL, &mountpoint);
  g_task_return_pointer (task, mountpoint, g_free);
}

static const Call mount_call = { "Mount", "(os)", mount_reply };

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
 *   %REFMOUNT_MOUNT_FLAGS_OWNER, %REFMOUNT_MOUNT_FLAGS_SHOW
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
  GError   *error = NULL;
  GVariant *flags_value;
  GVariant *parameters = NULL;

  g_return_if_fail (REFMOUNT_IS_CLIENT (client));
  g_return_if_fail (fstype != NULL && source != NULL && attachment != NULL);
  flags_value = flags_variant (flags, MOUNT_CALL_FLAGS, "Mount", &error);
  if (flags_value != NULL)
    parameters = g_variant_new ("(sss^ass@a{sv})", fstype, source, mountpoint != NULL ? mountpoint : "",
                                options != NULL ? options : (const char *const[]){ NULL }, attachment,
                                flags_value);
  start_call (client, &mount_call, refmount_client_mount_async, parameters, error, cancellable, callback,
              user_data);
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
 * @flags: #RefmountMountFlags of refmount_client_mount_async()
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
  SyncCall                 sync;
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (REFMOUNT_IS_CLIENT (client), NULL);
  g_return_val_if_fail (fstype != NULL && source != NULL && attachment != NULL, NULL);
  sync_call_begin (&sync);
  refmount_client_mount_async (client, fstype, source, mountpoint, options, attachment, flags, cancellable,
                               on_sync_call_done, &sync);
  result = sync_call_wait (&sync);
  return refmount_client_mount_finish (client, result, error);
}

/* ---- Unmount ----------------------------------------------------------- */

static void
unmount_reply (GTask    *task,
               GVariant *reply)
{
  gboolean unmounted = FALSE;

  g_variant_get (reply, "(b)", &unmounted);
  /* Boxed in a pointer: FALSE is a valid answer, not a failure. */
  g_task_return_pointer (task, GINT_TO_POINTER (unmounted ? 2 : 1), NULL);
}

static const Call unmount_call = { "Unmount", "(b)", unmount_reply };

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
  GError   *error = NULL;
  GVariant *flags_value;
  GVariant *parameters = NULL;

  g_return_if_fail (REFMOUNT_IS_CLIENT (client));
  g_return_if_fail (mountpoint != NULL && attachment != NULL);
  flags_value = flags_variant (flags, UNMOUNT_CALL_FLAGS, "Unmount", &error);
  if (flags_value != NULL)
    parameters = g_variant_new ("(ss@a{sv})", mountpoint, attachment, flags_value);
  start_call (client, &unmount_call, refmount_client_unmount_async, parameters, error, cancellable, callback,
              user_data);
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
  SyncCall                 sync;
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (REFMOUNT_IS_CLIENT (client), FALSE);
  g_return_val_if_fail (mountpoint != NULL && attachment != NULL, FALSE);
  sync_call_begin (&sync);
  refmount_client_unmount_async (client, mountpoint, attachment, flags, cancellable, on_sync_call_done, &sync);
  result = sync_call_wait (&sync);
  return refmount_client_unmount_finish (client, result, out_unmounted, error);
}

/* ---- GetMount ---------------------------------------------------------- */

/* A mount object the client has not seen yet (its InterfacesAdded is
 * still on the way, or the client does not follow): a snapshot of its
 * properties, read once. */
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
get_mount_reply (GTask    *task,
                 GVariant *reply)
{
  RefmountClient *client = g_task_get_source_object (task);
  const char     *path;
  RefmountMount  *mount;

  g_variant_get (reply, "(&o)", &path);
  mount = refmount_client_peek_mount_at (client, path);
  if (mount != NULL)
    {
      g_task_return_pointer (task, g_object_ref (mount), g_object_unref);
      return;
    }
  refmount_dbus_mount_proxy_new (refmount_client_get_connection (client), G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
                                 REFMOUNT_BUS_NAME, path, g_task_get_cancellable (task), on_mount_proxy,
                                 g_object_ref (task));
}

static const Call get_mount_call = { "GetMount", "(o)", get_mount_reply };

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
  g_return_if_fail (REFMOUNT_IS_CLIENT (client));
  g_return_if_fail (mountpoint != NULL);
  start_call (client, &get_mount_call, refmount_client_get_mount_async, g_variant_new ("(s)", mountpoint), NULL,
              cancellable, callback, user_data);
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
  SyncCall                 sync;
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (REFMOUNT_IS_CLIENT (client), NULL);
  g_return_val_if_fail (mountpoint != NULL, NULL);
  sync_call_begin (&sync);
  refmount_client_get_mount_async (client, mountpoint, cancellable, on_sync_call_done, &sync);
  result = sync_call_wait (&sync);
  return refmount_client_get_mount_finish (client, result, error);
}

/* ---- Reload and Recover ------------------------------------------------ */

static void
unit_reply (GTask    *task,
            GVariant *reply)
{
  g_task_return_boolean (task, TRUE);
}

static const Call reload_call = { "Reload", "()", unit_reply };
static const Call recover_call = { "Recover", "()", unit_reply };

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
  g_return_if_fail (REFMOUNT_IS_CLIENT (client));
  start_call (client, &reload_call, refmount_client_reload_async, NULL, NULL, cancellable, callback, user_data);
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
  SyncCall                 sync;
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (REFMOUNT_IS_CLIENT (client), FALSE);
  sync_call_begin (&sync);
  refmount_client_reload_async (client, cancellable, on_sync_call_done, &sync);
  result = sync_call_wait (&sync);
  return refmount_client_reload_finish (client, result, error);
}

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
  g_return_if_fail (REFMOUNT_IS_CLIENT (client));
  g_return_if_fail (mountpoint != NULL);
  start_call (client, &recover_call, refmount_client_recover_async,
              g_variant_new ("(s@a{sv})", mountpoint, g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0)), NULL,
              cancellable, callback, user_data);
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
  SyncCall                 sync;
  g_autoptr (GAsyncResult) result = NULL;

  g_return_val_if_fail (REFMOUNT_IS_CLIENT (client), FALSE);
  g_return_val_if_fail (mountpoint != NULL, FALSE);
  sync_call_begin (&sync);
  refmount_client_recover_async (client, mountpoint, cancellable, on_sync_call_done, &sync);
  result = sync_call_wait (&sync);
  return refmount_client_recover_finish (client, result, error);
}
