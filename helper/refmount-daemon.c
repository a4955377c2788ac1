/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <glib-unix.h>
#include <sys/stat.h>

#include "refmount-auth.h"
#include "refmount-daemon.h"
#include "refmount-error.h"
#include "refmount-generated.h"
#include "refmount-log.h"
#include "refmount-names.h"
#include "refmount-table.h"
#include "refmount-validate.h"

/* Worker threads for D-Bus calls.  Calls block on polkit and on their
 * mountpoint's lock (never longer than MountTimeoutSec), not on mount(2),
 * which runs on the table's own runner threads. */
#define MAX_WORKERS 32

typedef struct
{
  GMainLoop                *loop;
  GDBusConnection          *connection;
  GDBusObjectManagerServer *object_manager;
  RefmountManager          *manager;
  GHashTable               *exported; /* mountpoint -> RefmountObjectSkeleton*; main thread */
  RefmountBackend          *backend;
  RefmountTable            *table;
  GThreadPool              *workers;

  GMutex          config_lock;
  RefmountConfig *config;
  char           *config_path;
  gboolean        config_missing_ok;

  GMutex      roe_lock;
  GHashTable *roe_names; /* bus names holding release-on-exit attachments */

  gint  inflight;      /* atomic */
  gint  shutting_down; /* atomic */
  guint name_id;
  guint name_owner_sub;
  int   exit_code;
} Daemon;

typedef enum
{
  JOB_MOUNT,
  JOB_UNMOUNT,
  JOB_GET_MOUNT,
  JOB_RELOAD,
  JOB_RELEASE,
} JobKind;

typedef struct
{
  JobKind                kind;
  GDBusMethodInvocation *invocation; /* NULL for JOB_RELEASE */
  char                  *bus_name;   /* JOB_RELEASE */
} Job;

typedef struct
{
  guint32 uid;
  gint64  pid;
} Caller;

static RefmountConfig *
daemon_get_config (Daemon *daemon)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&daemon->config_lock);

  return refmount_config_ref (daemon->config);
}

static char *
mount_object_path (const char *mountpoint)
{
  g_autofree char *escaped = g_dbus_escape_object_path (mountpoint);

  return g_strconcat (REFMOUNT_MOUNTS_PATH "/", escaped, NULL);
}

/* ---- exported mount objects (main thread) ------------------------------ */

typedef struct
{
  Daemon         *daemon;
  char           *mountpoint;
  RefmountRecord *record; /* NULL: removed */
} Update;

static gboolean
apply_update (gpointer data)
{
  Update                 *update = data;
  Daemon                 *daemon = update->daemon;
  RefmountObjectSkeleton *object = g_hash_table_lookup (daemon->exported, update->mountpoint);
  g_autofree char        *path = mount_object_path (update->mountpoint);
  RefmountRecord         *record = update->record;

  if (record == NULL)
    {
      if (object != NULL)
        {
          g_dbus_object_manager_server_unexport (daemon->object_manager, path);
          g_hash_table_remove (daemon->exported, update->mountpoint);
        }
      return G_SOURCE_REMOVE;
    }

  {
    g_autoptr (RefmountMount) iface = NULL;
    GVariantBuilder           builder;
    gboolean                  is_new = object == NULL;

    if (is_new)
      {
        object = refmount_object_skeleton_new (path);
        iface = refmount_mount_skeleton_new ();
        refmount_object_skeleton_set_mount (object, iface);
      }
    else
      iface = refmount_object_get_mount (REFMOUNT_OBJECT (object));

    g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(sut)"));
    for (guint i = 0; i < record->attachments->len; i++)
      {
        RefmountAttachment *a = g_ptr_array_index (record->attachments, i);
        g_variant_builder_add (&builder, "(sut)", a->id, a->uid, a->attached_at);
      }

    /* The skeleton batches these into one PropertiesChanged. */
    g_object_freeze_notify (G_OBJECT (iface));
    refmount_mount_set_mountpoint (iface, record->mountpoint);
    refmount_mount_set_source (iface, record->source);
    refmount_mount_set_filesystem_type (iface, record->fstype);
    refmount_mount_set_options (iface, (const char *const *) record->options);
    refmount_mount_set_state (iface, record->state);
    refmount_mount_set_attachments (iface, g_variant_builder_end (&builder));
    refmount_mount_set_mounted_at (iface, record->mounted_at);
    g_object_thaw_notify (G_OBJECT (iface));

    if (is_new)
      {
        g_dbus_object_manager_server_export (daemon->object_manager, G_DBUS_OBJECT_SKELETON (object));
        g_hash_table_insert (daemon->exported, g_strdup (update->mountpoint), object);
      }
  }
  return G_SOURCE_REMOVE;
}

static void
update_free (gpointer data)
{
  Update *update = data;

  g_free (update->mountpoint);
  g_clear_pointer (&update->record, refmount_record_free);
  g_free (update);
}

/* Called by the table with the entry locked, so updates for one
 * mountpoint are queued in order; replies are queued after them, so a
 * client that got its reply finds the object already exported. */
static void
table_changed (const char           *mountpoint,
               const RefmountRecord *record,
               gpointer              user_data)
{
  Update *update = g_new0 (Update, 1);

  update->daemon = user_data;
  update->mountpoint = g_strdup (mountpoint);
  update->record = record != NULL ? refmount_record_copy (record) : NULL;
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, apply_update, update, update_free);
}

/* ---- replies ------------------------------------------------------------ */

typedef struct
{
  Daemon                *daemon;
  GDBusMethodInvocation *invocation;
  GVariant              *value; /* NULL with error */
  GError                *error;
} Reply;

static void
daemon_call_done (Daemon *daemon)
{
  if (g_atomic_int_dec_and_test (&daemon->inflight) && g_atomic_int_get (&daemon->shutting_down))
    g_main_loop_quit (daemon->loop);
}

static gboolean
send_reply (gpointer data)
{
  Reply *reply = data;

  if (reply->error != NULL)
    g_dbus_method_invocation_return_gerror (reply->invocation, reply->error);
  else
    g_dbus_method_invocation_return_value (reply->invocation, reply->value);
  reply->invocation = NULL; /* the return calls consumed it */
  reply->value = NULL;
  daemon_call_done (reply->daemon);
  return G_SOURCE_REMOVE;
}

static void
reply_free (gpointer data)
{
  Reply *reply = data;

  g_clear_error (&reply->error);
  g_free (reply);
}

static void
queue_reply (Daemon                *daemon,
             GDBusMethodInvocation *invocation,
             GVariant              *value,
             GError                *error)
{
  Reply *reply = g_new0 (Reply, 1);

  reply->daemon = daemon;
  reply->invocation = invocation;
  reply->value = value;
  reply->error = error;
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, send_reply, reply, reply_free);
}

/* ---- callers ------------------------------------------------------------ */

static gboolean
get_caller (Daemon                *daemon,
            GDBusMethodInvocation *invocation,
            Caller                *caller,
            GError               **error)
{
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) creds = NULL;
  guint32              value;

  reply = g_dbus_connection_call_sync (daemon->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "GetConnectionCredentials",
                                       g_variant_new ("(s)", g_dbus_method_invocation_get_sender (invocation)),
                                       G_VARIANT_TYPE ("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  if (reply == NULL)
    return FALSE;
  creds = g_variant_get_child_value (reply, 0);
  if (!g_variant_lookup (creds, "UnixUserID", "u", &value))
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_AUTHORIZED,
                   "Cannot determine the uid of caller %s", g_dbus_method_invocation_get_sender (invocation));
      return FALSE;
    }
  caller->uid = value;
  caller->pid = g_variant_lookup (creds, "ProcessID", "u", &value) ? (gint64) value : -1;
  return TRUE;
}

static gboolean
name_has_owner (GDBusConnection *connection,
                const char      *name)
{
  g_autoptr (GVariant) reply = NULL;
  gboolean             has_owner = FALSE;

  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner", g_variant_new ("(s)", name),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  /* If the bus cannot answer, keep the attachment: never drop on doubt. */
  if (reply == NULL)
    return TRUE;
  g_variant_get (reply, "(b)", &has_owner);
  return has_owner;
}

static gboolean
name_alive_cb (const char *bus_name,
               gpointer    user_data)
{
  Daemon *daemon = user_data;

  return bus_name != NULL && bus_name[0] != '\0' && name_has_owner (daemon->connection, bus_name);
}

/* ---- method bodies (worker threads) ------------------------------------ */

static void
log_denied (const char   *method,
            const Caller *caller,
            const char   *mountpoint,
            const char   *source,
            const char   *fstype,
            const char   *attachment,
            const GError *error)
{
  RefmountLogContext ctx = { mountpoint, source, fstype, attachment, caller->uid, caller->pid };

  refmount_log_event (G_LOG_LEVEL_MESSAGE, "denied", &ctx, "%s denied: %s", method, error->message);
}

static GVariant *
do_mount (Daemon                *daemon,
          GDBusMethodInvocation *invocation,
          const Caller          *caller,
          GError               **error)
{
  g_autoptr (RefmountConfig) config = daemon_get_config (daemon);
  GVariant                  *params = g_dbus_method_invocation_get_parameters (invocation);
  const char                *fstype, *source, *mountpoint_in, *attachment;
  g_autofree const char    **options = NULL;
  g_autoptr (GVariant)       flags = NULL;
  g_autofree char           *mountpoint = NULL;
  gboolean                   release_on_exit = FALSE;
  RefmountAttachRequest      request = { 0 };
  RefmountAuthDetails        details = { 0 };

  g_variant_get (params, "(&s&s&s^a&s&s@a{sv})", &fstype, &source, &mountpoint_in, &options,
                 &attachment, &flags);

  if (!refmount_validate_fstype (config, fstype, error) ||
      !refmount_validate_source (fstype, source, error) ||
      !refmount_validate_options (config, fstype, (const char *const *) options, error) ||
      !refmount_validate_attachment (attachment, error) ||
      !refmount_validate_mount_flags (flags, &release_on_exit, error))
    return NULL;

  mountpoint = mountpoint_in[0] == '\0' ? refmount_derive_mountpoint (config, fstype, source)
                                        : g_strdup (mountpoint_in);
  if (!refmount_validate_mountpoint (config, mountpoint, NULL, NULL, error))
    return NULL;

  details.fstype = fstype;
  details.source = source;
  details.mountpoint = mountpoint;
  details.attachment = attachment;
  details.options = (const char *const *) options;
  if (!refmount_auth_check (invocation, caller->uid, REFMOUNT_ACTION_MOUNT, &details,
                            "Authentication is required to mount a filesystem", error))
    {
      log_denied ("Mount", caller, mountpoint, source, fstype, attachment, *error);
      return NULL;
    }

  request.fstype = fstype;
  request.source = source;
  request.mountpoint = mountpoint;
  request.options = (const char *const *) options;
  request.attachment = attachment;
  request.uid = caller->uid;
  request.pid = caller->pid;
  request.release_on_exit = release_on_exit;
  request.bus_name = g_dbus_method_invocation_get_sender (invocation);

  if (release_on_exit)
    {
      g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&daemon->roe_lock);
      g_hash_table_add (daemon->roe_names, g_strdup (request.bus_name));
    }

  if (!refmount_table_attach (daemon->table, config, &request, error))
    return NULL;

  /* The client may have gone before we recorded the attachment: its
   * NameOwnerChanged then came too early to release it. */
  if (release_on_exit && !name_has_owner (daemon->connection, request.bus_name))
    refmount_table_release_bus_name (daemon->table, config, request.bus_name);

  {
    g_autofree char *path = mount_object_path (mountpoint);
    return g_variant_new ("(os)", path, mountpoint);
  }
}

static GVariant *
do_unmount (Daemon                *daemon,
            GDBusMethodInvocation *invocation,
            const Caller          *caller,
            GError               **error)
{
  g_autoptr (RefmountConfig) config = daemon_get_config (daemon);
  GVariant                  *params = g_dbus_method_invocation_get_parameters (invocation);
  const char                *mountpoint, *attachment;
  g_autoptr (GVariant)       flags = NULL;
  g_autoptr (RefmountRecord) record = NULL;
  g_autoptr (GError)         local_error = NULL;
  RefmountDetachRequest      request = { 0 };
  RefmountAuthDetails        details = { 0 };
  gboolean                   force = FALSE, lazy = FALSE, unmounted = FALSE;
  guint32                    owner = 0;

  g_variant_get (params, "(&s&s@a{sv})", &mountpoint, &attachment, &flags);
  if (!refmount_validate_mountpoint (config, mountpoint, NULL, NULL, error) ||
      !refmount_validate_attachment (attachment, error) ||
      !refmount_validate_unmount_flags (flags, &force, &lazy, error))
    return NULL;

  record = refmount_table_get_record (daemon->table, mountpoint);
  details.mountpoint = mountpoint;
  details.attachment = attachment;
  if (record != NULL)
    {
      details.fstype = record->fstype;
      details.source = record->source;
      details.options = (const char *const *) record->options;
    }

  if ((force || lazy) &&
      !refmount_auth_check (invocation, caller->uid, REFMOUNT_ACTION_MANAGE, &details,
                            "Authentication is required to force an unmount", error))
    {
      log_denied ("Unmount", caller, mountpoint, details.source, details.fstype, attachment, *error);
      return NULL;
    }

  request.mountpoint = mountpoint;
  request.attachment = attachment;
  request.uid = caller->uid;
  request.pid = caller->pid;
  request.others_allowed = caller->uid == 0;
  request.force = force;
  request.lazy = lazy;

  if (!refmount_table_detach (daemon->table, config, &request, &unmounted, &owner, &local_error))
    {
      if (!g_error_matches (local_error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_AUTHORIZED))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      /* Someone else's attachment: only now is there something to ask
       * polkit about, and nothing has changed yet. */
      if (!refmount_auth_check (invocation, caller->uid, REFMOUNT_ACTION_UNMOUNT_OTHERS, &details,
                                "Authentication is required to release another user's mount", error))
        {
          log_denied ("Unmount", caller, mountpoint, details.source, details.fstype, attachment, *error);
          return NULL;
        }
      request.others_allowed = TRUE;
      if (!refmount_table_detach (daemon->table, config, &request, &unmounted, &owner, error))
        return NULL;
    }

  return g_variant_new ("(b)", unmounted);
}

static GVariant *
do_get_mount (Daemon                *daemon,
              GDBusMethodInvocation *invocation,
              GError               **error)
{
  g_autoptr (RefmountConfig) config = daemon_get_config (daemon);
  g_autoptr (RefmountRecord) record = NULL;
  g_autofree char           *path = NULL;
  const char                *mountpoint;

  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(&s)", &mountpoint);
  if (!refmount_validate_mountpoint (config, mountpoint, NULL, NULL, error))
    return NULL;
  record = refmount_table_get_record (daemon->table, mountpoint);
  if (record == NULL)
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND,
                   "No managed mount at mountpoint '%s'", mountpoint);
      return NULL;
    }
  path = mount_object_path (mountpoint);
  return g_variant_new ("(o)", path);
}

static void
publish_config (Daemon         *daemon,
                RefmountConfig *config)
{
  refmount_manager_set_mount_roots (daemon->manager, (const char *const *) config->mount_roots);
  refmount_manager_set_supported_filesystems (daemon->manager,
                                              (const char *const *) config->allowed_filesystems);
}

static gboolean
publish_config_cb (gpointer data)
{
  Daemon                    *daemon = data;
  g_autoptr (RefmountConfig) config = daemon_get_config (daemon);

  publish_config (daemon, config);
  return G_SOURCE_REMOVE;
}

static gboolean
daemon_reload (Daemon  *daemon,
               GError **error)
{
  g_autoptr (RefmountConfig) config = NULL;
  g_autoptr (GError)         local_error = NULL;

  config = refmount_config_load (daemon->config_path, daemon->config_missing_ok, &local_error);
  if (config == NULL || !refmount_config_check_roots (config, 0, TRUE, &local_error))
    {
      refmount_log_event (G_LOG_LEVEL_WARNING, "reload-failed", NULL,
                          "Configuration not reloaded, keeping the old one: %s", local_error->message);
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED,
                   "Configuration file '%s' not reloaded: %s", daemon->config_path, local_error->message);
      return FALSE;
    }

  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&daemon->config_lock);
    g_clear_pointer (&daemon->config, refmount_config_unref);
    daemon->config = g_steal_pointer (&config);
  }
  g_main_context_invoke (NULL, publish_config_cb, daemon);
  refmount_log_event (G_LOG_LEVEL_MESSAGE, "reloaded", NULL, "Configuration reloaded from %s",
                      daemon->config_path);
  return TRUE;
}

static GVariant *
do_reload (Daemon                *daemon,
           GDBusMethodInvocation *invocation,
           const Caller          *caller,
           GError               **error)
{
  if (!refmount_auth_check (invocation, caller->uid, REFMOUNT_ACTION_MANAGE, NULL,
                            "Authentication is required to reload the mount service configuration",
                            error))
    {
      log_denied ("Reload", caller, NULL, NULL, NULL, NULL, *error);
      return NULL;
    }
  if (!daemon_reload (daemon, error))
    return NULL;
  return g_variant_new ("()");
}

static void
worker_func (gpointer data,
             gpointer user_data)
{
  Job               *job = data;
  Daemon            *daemon = user_data;
  g_autoptr (GError) error = NULL;
  GVariant          *value = NULL;
  Caller             caller = { 0, -1 };

  if (job->kind == JOB_RELEASE)
    {
      g_autoptr (RefmountConfig) config = daemon_get_config (daemon);

      refmount_table_release_bus_name (daemon->table, config, job->bus_name);
      g_free (job->bus_name);
      g_free (job);
      daemon_call_done (daemon);
      return;
    }

  if (job->kind != JOB_GET_MOUNT && !get_caller (daemon, job->invocation, &caller, &error))
    {
      queue_reply (daemon, job->invocation, NULL, g_steal_pointer (&error));
      g_free (job);
      return;
    }

  switch (job->kind)
    {
    case JOB_MOUNT:
      value = do_mount (daemon, job->invocation, &caller, &error);
      break;
    case JOB_UNMOUNT:
      value = do_unmount (daemon, job->invocation, &caller, &error);
      break;
    case JOB_GET_MOUNT:
      value = do_get_mount (daemon, job->invocation, &error);
      break;
    case JOB_RELOAD:
      value = do_reload (daemon, job->invocation, &caller, &error);
      break;
    case JOB_RELEASE:
    default:
      g_assert_not_reached ();
    }

  if (value == NULL && error == NULL)
    g_set_error (&error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED, "Internal error");
  queue_reply (daemon, job->invocation, value, g_steal_pointer (&error));
  g_free (job);
}

/* ---- D-Bus plumbing (main thread) --------------------------------------- */

static gboolean
dispatch (Daemon                *daemon,
          GDBusMethodInvocation *invocation,
          JobKind                kind)
{
  Job *job;

  if (g_atomic_int_get (&daemon->shutting_down))
    {
      g_dbus_method_invocation_return_error (invocation, REFMOUNT_ERROR, REFMOUNT_ERROR_SHUTTING_DOWN,
                                             "refmountd is shutting down; retry when it is back");
      return TRUE;
    }
  job = g_new0 (Job, 1);
  job->kind = kind;
  job->invocation = g_object_ref (invocation);
  g_atomic_int_inc (&daemon->inflight);
  g_thread_pool_push (daemon->workers, job, NULL);
  return TRUE;
}

static gboolean
handle_mount (RefmountManager       *manager,
              GDBusMethodInvocation *invocation,
              const char            *fstype,
              const char            *source,
              const char            *mountpoint,
              const char *const     *options,
              const char            *attachment,
              GVariant              *flags,
              gpointer               user_data)
{
  return dispatch (user_data, invocation, JOB_MOUNT);
}

static gboolean
handle_unmount (RefmountManager       *manager,
                GDBusMethodInvocation *invocation,
                const char            *mountpoint,
                const char            *attachment,
                GVariant              *flags,
                gpointer               user_data)
{
  return dispatch (user_data, invocation, JOB_UNMOUNT);
}

static gboolean
handle_get_mount (RefmountManager       *manager,
                  GDBusMethodInvocation *invocation,
                  const char            *mountpoint,
                  gpointer               user_data)
{
  return dispatch (user_data, invocation, JOB_GET_MOUNT);
}

static gboolean
handle_reload (RefmountManager       *manager,
               GDBusMethodInvocation *invocation,
               gpointer               user_data)
{
  return dispatch (user_data, invocation, JOB_RELOAD);
}

static void
name_owner_changed (GDBusConnection *connection,
                    const char      *sender,
                    const char      *object_path,
                    const char      *interface,
                    const char      *signal,
                    GVariant        *parameters,
                    gpointer         user_data)
{
  Daemon     *daemon = user_data;
  const char *name, *old_owner, *new_owner;
  Job        *job;

  g_variant_get (parameters, "(&s&s&s)", &name, &old_owner, &new_owner);
  if (name[0] != ':' || new_owner[0] != '\0')
    return;
  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&daemon->roe_lock);
    if (!g_hash_table_remove (daemon->roe_names, name))
      return;
  }
  job = g_new0 (Job, 1);
  job->kind = JOB_RELEASE;
  job->bus_name = g_strdup (name);
  g_atomic_int_inc (&daemon->inflight);
  g_thread_pool_push (daemon->workers, job, NULL);
}

static gboolean
drain_timeout_cb (gpointer data)
{
  Daemon *daemon = data;

  g_warning ("Calls still in flight after the shutdown grace period; exiting anyway");
  g_main_loop_quit (daemon->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
sigterm_cb (gpointer data)
{
  Daemon                    *daemon = data;
  g_autoptr (RefmountConfig) config = daemon_get_config (daemon);

  if (g_atomic_int_get (&daemon->shutting_down))
    return G_SOURCE_CONTINUE;
  refmount_log_event (G_LOG_LEVEL_MESSAGE, "stopping", NULL,
                      "Shutting down: refusing new calls, waiting for %d in flight",
                      g_atomic_int_get (&daemon->inflight));
  g_atomic_int_set (&daemon->shutting_down, 1);
  if (g_atomic_int_get (&daemon->inflight) == 0)
    g_main_loop_quit (daemon->loop);
  else
    /* In-flight calls end within MountTimeoutSec (a hung mount times out;
     * its thread is abandoned), so this bound is only a safety net. */
    g_timeout_add_seconds (config->mount_timeout_sec + 5, drain_timeout_cb, daemon);
  return G_SOURCE_CONTINUE;
}

static gboolean
sighup_cb (gpointer data)
{
  daemon_reload (data, NULL);
  return G_SOURCE_CONTINUE;
}

static void
name_lost (GDBusConnection *connection,
           const char      *name,
           gpointer         user_data)
{
  Daemon *daemon = user_data;

  refmount_log_event (G_LOG_LEVEL_WARNING, "stopping", NULL,
                      "Lost or could not acquire the bus name %s", name);
  daemon->exit_code = 1;
  g_main_loop_quit (daemon->loop);
}

static void
name_acquired (GDBusConnection *connection,
               const char      *name,
               gpointer         user_data)
{
  Daemon *daemon = user_data;

  refmount_log_event (G_LOG_LEVEL_MESSAGE, "started", NULL, "refmountd %s serving %s, generation %" G_GUINT64_FORMAT,
                      PACKAGE_VERSION, name, refmount_table_get_generation (daemon->table));
}

static gboolean
daemon_setup (Daemon                      *daemon,
              const RefmountDaemonOptions *options,
              GError                     **error)
{
  const char           *state_dir = options->state_dir ? options->state_dir : REFMOUNT_DEFAULT_STATE_DIR;
  g_autoptr (GPtrArray) records = NULL;

  daemon->config_path = g_strdup (options->config_path ? options->config_path : REFMOUNT_DEFAULT_CONFIG_FILE);
  daemon->config_missing_ok = options->config_path == NULL;
  daemon->config = refmount_config_load (daemon->config_path, daemon->config_missing_ok, error);
  if (daemon->config == NULL)
    return FALSE;
  if (!refmount_config_check_roots (daemon->config, 0, TRUE, error))
    return FALSE;
  if (g_mkdir_with_parents (state_dir, 0755) < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot create state directory %s: %s", state_dir, g_strerror (saved));
      return FALSE;
    }

  daemon->connection = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, error);
  if (daemon->connection == NULL)
    return FALSE;
  g_dbus_connection_set_exit_on_close (daemon->connection, FALSE);

  daemon->exported = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  daemon->roe_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  daemon->table = refmount_table_new (daemon->backend, state_dir, NULL, table_changed, daemon);

  /* Subscribe before reconciling, so no disconnect between the check and
   * the subscription goes unseen. */
  daemon->name_owner_sub =
    g_dbus_connection_signal_subscribe (daemon->connection, "org.freedesktop.DBus", "org.freedesktop.DBus",
                                        "NameOwnerChanged", "/org/freedesktop/DBus", NULL,
                                        G_DBUS_SIGNAL_FLAGS_NONE, name_owner_changed, daemon, NULL);

  if (!refmount_table_start (daemon->table, daemon->config, name_alive_cb, daemon, error))
    return FALSE;

  records = refmount_table_list_records (daemon->table);
  for (guint i = 0; i < records->len; i++)
    {
      RefmountRecord *record = g_ptr_array_index (records, i);

      for (guint j = 0; j < record->attachments->len; j++)
        {
          RefmountAttachment *a = g_ptr_array_index (record->attachments, j);
          if (a->release_on_exit && a->bus_name != NULL)
            g_hash_table_add (daemon->roe_names, g_strdup (a->bus_name));
        }
    }

  daemon->object_manager = g_dbus_object_manager_server_new (REFMOUNT_OBJECT_MANAGER_PATH);
  {
    g_autoptr (RefmountObjectSkeleton) object = refmount_object_skeleton_new (REFMOUNT_MANAGER_PATH);

    daemon->manager = refmount_manager_skeleton_new ();
    refmount_manager_set_version (daemon->manager, PACKAGE_VERSION);
    refmount_manager_set_generation (daemon->manager, refmount_table_get_generation (daemon->table));
    publish_config (daemon, daemon->config);
    g_signal_connect (daemon->manager, "handle-mount", G_CALLBACK (handle_mount), daemon);
    g_signal_connect (daemon->manager, "handle-unmount", G_CALLBACK (handle_unmount), daemon);
    g_signal_connect (daemon->manager, "handle-get-mount", G_CALLBACK (handle_get_mount), daemon);
    g_signal_connect (daemon->manager, "handle-reload", G_CALLBACK (handle_reload), daemon);
    refmount_object_skeleton_set_manager (object, daemon->manager);
    g_dbus_object_manager_server_export (daemon->object_manager, G_DBUS_OBJECT_SKELETON (object));
  }
  for (guint i = 0; i < records->len; i++)
    {
      RefmountRecord *record = g_ptr_array_index (records, i);
      Update          update = { daemon, record->mountpoint, record };
      apply_update (&update);
    }
  g_dbus_object_manager_server_set_connection (daemon->object_manager, daemon->connection);

  daemon->workers = g_thread_pool_new (worker_func, daemon, MAX_WORKERS, FALSE, error);
  if (daemon->workers == NULL)
    return FALSE;

  g_unix_signal_add (SIGTERM, sigterm_cb, daemon);
  g_unix_signal_add (SIGINT, sigterm_cb, daemon);
  g_unix_signal_add (SIGHUP, sighup_cb, daemon);

  /* The name last: clients only see a daemon that has reconciled. */
  daemon->name_id = g_bus_own_name_on_connection (daemon->connection, REFMOUNT_BUS_NAME,
                                                  G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                                                  name_acquired, name_lost, daemon, NULL);
  return TRUE;
}

int
refmount_daemon_run (const RefmountDaemonOptions *options)
{
  g_autoptr (RefmountBackend) own_backend = NULL;
  g_autoptr (GError)          error = NULL;
  Daemon                      daemon = { 0 };

  g_mutex_init (&daemon.config_lock);
  g_mutex_init (&daemon.roe_lock);
  daemon.loop = g_main_loop_new (NULL, FALSE);
  daemon.backend = options->backend;
  if (daemon.backend == NULL)
    daemon.backend = own_backend = refmount_backend_libmount_new ();

  /* Make sure the error domain is registered before any reply. */
  (void) REFMOUNT_ERROR;

  if (!daemon_setup (&daemon, options, &error))
    {
      refmount_log_event (G_LOG_LEVEL_CRITICAL, "start-failed", NULL, "Cannot start: %s", error->message);
      return 1;
    }

  g_main_loop_run (daemon.loop);

  /* Replies are queued to GDBus's worker thread; without a flush the last
   * ones (e.g. a Timeout sent during the shutdown drain) die with us. */
  if (daemon.connection != NULL)
    g_dbus_connection_flush_sync (daemon.connection, NULL, NULL);

  if (daemon.workers != NULL && daemon.exit_code == 0)
    {
      g_autoptr (GError) persist_error = NULL;

      if (!refmount_table_persist (daemon.table, &persist_error))
        {
          g_warning ("Final state write failed: %s", persist_error->message);
          daemon.exit_code = 1;
        }
      refmount_log_event (G_LOG_LEVEL_MESSAGE, "stopped", NULL, "refmountd stopped; mounts stay mounted");
    }
  /* No teardown of the table or the pools: threads stuck in the kernel
   * cannot be joined, and the process is about to exit. */
  return daemon.exit_code;
}
