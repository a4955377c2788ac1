/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "refmount-auth.h"
#include "refmount-daemon.h"
#include "refmount-daemon-private.h"
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

RefmountConfig *
refmount_daemon_get_config (Daemon *daemon)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&daemon->config_lock);

  return refmount_config_ref (daemon->config);
}

char *
refmount_daemon_object_path (const char *mountpoint)
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
  g_autofree char        *path = refmount_daemon_object_path (update->mountpoint);
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
  /* The handler owns @invocation and the reply's return call consumes
   * it: an extra reference here would leak every call's messages. */
  job->invocation = invocation;
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

/* Someone may have unmounted a managed mount behind our back: have a
 * worker look (one pending check at a time; a burst of changes needs one). */
static void
mounts_changed (GUnixMountMonitor *monitor,
                gpointer           user_data)
{
  Daemon *daemon = user_data;
  Job    *job;

  if (g_atomic_int_get (&daemon->shutting_down) ||
      !g_atomic_int_compare_and_exchange (&daemon->recheck_pending, 0, 1))
    return;
  job = g_new0 (Job, 1);
  job->kind = JOB_RECHECK;
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
  g_autoptr (RefmountConfig) config = refmount_daemon_get_config (daemon);

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
  refmount_daemon_reload (data, NULL);
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

/* The table keeps an fd on every directory it mounted on (so it can
 * unmount it even after a parent was renamed): lift the soft fd limit to
 * the hard one, as 1024 would cap the number of managed mounts. */
static void
raise_fd_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      if (setrlimit (RLIMIT_NOFILE, &limit) < 0)
        g_debug ("Could not raise RLIMIT_NOFILE: %s", g_strerror (errno));
    }
}

static gboolean
daemon_setup (Daemon                      *daemon,
              const RefmountDaemonOptions *options,
              GError                     **error)
{
  const char           *state_dir = options->state_dir ? options->state_dir : REFMOUNT_DEFAULT_STATE_DIR;
  g_autoptr (GPtrArray) records = NULL;

  raise_fd_limit ();
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

  if (!refmount_table_start (daemon->table, daemon->config, refmount_daemon_name_alive, daemon, error))
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
    refmount_daemon_publish_config (daemon, daemon->config);
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

  daemon->workers = g_thread_pool_new (refmount_daemon_worker, daemon, MAX_WORKERS, FALSE, error);
  if (daemon->workers == NULL)
    return FALSE;

  g_unix_signal_add (SIGTERM, sigterm_cb, daemon);
  g_unix_signal_add (SIGINT, sigterm_cb, daemon);
  g_unix_signal_add (SIGHUP, sighup_cb, daemon);

  daemon->mount_monitor = g_unix_mount_monitor_get ();
  g_signal_connect (daemon->mount_monitor, "mounts-changed", G_CALLBACK (mounts_changed), daemon);

  /* The name last: clients only see a daemon that has reconciled. */
  daemon->name_id = g_bus_own_name_on_connection (daemon->connection, REFMOUNT_BUS_NAME,
                                                  G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                                                  name_acquired, name_lost, daemon, NULL);
  return TRUE;
}

int
refmount_daemon_run (const RefmountDaemonOptions *options)
{
  g_autoptr (GError) error = NULL;
  /* Static: the daemon's state is deliberately never torn down (see the
   * end), and must stay reachable until exit rather than look leaked to
   * LeakSanitizer and valgrind when this frame returns. */
  static RefmountBackend *own_backend;
  static Daemon           daemon;

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
