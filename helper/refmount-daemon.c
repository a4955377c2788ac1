/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "refmount-auth.h"
#include "refmount-daemon.h"
#include "refmount-daemon-private.h"
#include "refmount-error.h"
#include "refmount-generated.h"
#include "refmount-helper-child.h"
#include "refmount-log.h"
#include "refmount-names.h"
#include "refmount-table.h"
#include "refmount-validate.h"

/* Worker threads.  A worker runs only work whose mountpoint entry it
 * holds (or that needs none), so it blocks at most on a state write or a
 * runner deadline; polkit and waits for a mountpoint cost no thread
 * (refmount-daemon-pipeline.c). */
#define MAX_WORKERS 32

/* ---- D-Bus plumbing ------------------------------------------------------ */

static void
refuse_shutting_down (Daemon       *daemon,
                      GDBusMessage *call)
{
  g_autoptr (GError) error = g_error_new_literal (REFMOUNT_ERROR, REFMOUNT_ERROR_SHUTTING_DOWN,
                                                  "refmountd is shutting down; retry when it is back");

  refmount_daemon_send_error (daemon, call, error);
}

/* The one dispatch path for the Manager's methods: straight from GDBus's
 * I/O thread into the request pipeline (no hand-off through the main loop
 * as for a registered object's calls, which cost a sixth of a Ping).
 * Only well-formed calls of methods in the method table are taken (path,
 * interface, member and argument signature exactly as introspected);
 * anything else goes on to GDBus, which answers it as before
 * (InvalidArgs, UnknownMethod).  Installed before the objects are
 * exported, so no call reaches the skeleton's own handlers. */
static GDBusMessage *
manager_filter (GDBusConnection *connection,
                GDBusMessage    *message,
                gboolean         incoming,
                gpointer         user_data)
{
  Daemon               *daemon = user_data;
  const RefmountMethod *method;
  const char           *member;
  const char           *signature;
  GDBusMethodInfo      *info;
  g_autoptr (GString)   expected = NULL;

  if (!incoming || g_dbus_message_get_message_type (message) != G_DBUS_MESSAGE_TYPE_METHOD_CALL ||
      g_strcmp0 (g_dbus_message_get_path (message), REFMOUNT_MANAGER_PATH) != 0 ||
      g_strcmp0 (g_dbus_message_get_interface (message), REFMOUNT_MANAGER_INTERFACE) != 0)
    return message;
  member = g_dbus_message_get_member (message);
  method = refmount_method_lookup (member);
  if (method == NULL)
    return message;

  info = g_dbus_interface_info_lookup_method (refmount_dbus_manager_interface_info (), member);
  expected = g_string_new (NULL);
  for (guint j = 0; info != NULL && info->in_args != NULL && info->in_args[j] != NULL; j++)
    g_string_append (expected, info->in_args[j]->signature);
  signature = g_dbus_message_get_signature (message);
  if (info == NULL || !g_str_equal (signature != NULL ? signature : "", expected->str) ||
      g_dbus_message_get_sender (message) == NULL)
    return message;

  if (g_atomic_int_get (&daemon->shutting_down))
    {
      refuse_shutting_down (daemon, message);
      g_object_unref (message);
      return NULL;
    }
  /* The filter's reference to @message passes to the pipeline. */
  refmount_daemon_pipeline_submit (daemon, method, message);
  return NULL;
}

/* For the health module, which runs on threads of its own. */
static RefmountConfig *
health_get_config (gpointer user_data)
{
  return refmount_daemon_get_config (user_data);
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

  g_variant_get (parameters, "(&s&s&s)", &name, &old_owner, &new_owner);
  if (name[0] != ':' || new_owner[0] != '\0')
    return;
  refmount_daemon_pipeline_name_gone (daemon, name);
}

static gboolean
recheck_cb (gpointer data)
{
  Daemon *daemon = data;

  if (g_atomic_int_get (&daemon->shutting_down))
    return G_SOURCE_REMOVE;
  refmount_daemon_pipeline_recheck (daemon);
  return G_SOURCE_REMOVE;
}

/* Someone may have unmounted a managed mount behind our back: have a
 * worker look.  Every mount and unmount on the host changes the table, and
 * a check visits every managed mount, so changes are batched into one
 * check per RECHECK_DELAY_MS: a busy host then costs O(mounts) per
 * interval, not per change.  A Mount that finds its mountpoint gone does
 * not wait for this; it checks that mountpoint itself. */
#define RECHECK_DELAY_MS 1000

static void
mounts_changed (GUnixMountMonitor *monitor,
                gpointer           user_data)
{
  Daemon *daemon = user_data;

  if (g_atomic_int_get (&daemon->shutting_down) ||
      !g_atomic_int_compare_and_exchange (&daemon->recheck_pending, 0, 1))
    return;
  g_timeout_add (RECHECK_DELAY_MS, recheck_cb, daemon);
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
  refmount_daemon_pipeline_shutdown (daemon);
  if (g_atomic_int_get (&daemon->inflight) == 0)
    g_main_loop_quit (daemon->loop);
  else
    /* In-flight calls end within MountTimeoutSec (a hung mount times out;
     * its thread is abandoned), so this bound is only a safety net. */
    g_timeout_add_seconds (config->mount_timeout_sec + 5, drain_timeout_cb, daemon);
  return G_SOURCE_CONTINUE;
}

static gboolean
sighup_reload_func (gpointer data,
                    GError **error)
{
  refmount_daemon_reload (data, NULL);
  return TRUE;
}

static gboolean
sighup_cb (gpointer data)
{
  Daemon *daemon = data;

  /* Not on this thread, which reads unprivileged callers' messages:
   * reading the configuration may wait up to MountTimeoutSec for a mount
   * root that does not answer (refmount_daemon_reload()). */
  refmount_runner_submit (daemon->runner, sighup_reload_func, daemon, NULL);
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

  daemon->roe_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  refmount_daemon_pipeline_init (daemon);
  daemon->callers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  daemon->health = refmount_health_new (health_get_config, refmount_daemon_objects_health_changed, daemon);
  daemon->table = refmount_table_new (daemon->backend, state_dir, NULL, refmount_daemon_objects_changed, daemon);
  refmount_health_set_table (daemon->health, daemon->table);

  /* Subscribe before reconciling, so no disconnect between the check and
   * the subscription goes unseen. */
  daemon->name_owner_sub =
    g_dbus_connection_signal_subscribe (daemon->connection, "org.freedesktop.DBus", "org.freedesktop.DBus",
                                        "NameOwnerChanged", "/org/freedesktop/DBus", NULL,
                                        G_DBUS_SIGNAL_FLAGS_NONE, name_owner_changed, daemon, NULL);

  if (!refmount_table_start (daemon->table, daemon->config, refmount_daemon_name_alive, daemon, error))
    return FALSE;

  records = refmount_table_list_published (daemon->table);
  for (guint i = 0; i < records->len; i++)
    {
      g_autoptr (GVariant) attachments = refmount_record_variant_get_attachments (g_ptr_array_index (records, i));
      GVariantIter         iter;
      gboolean             release_on_exit;
      const char          *bus_name;

      const char *mountpoint;

      g_variant_iter_init (&iter, attachments);
      while (g_variant_iter_next (&iter, "(&sutb&s)", NULL, NULL, NULL, &release_on_exit, &bus_name))
        if (release_on_exit && bus_name[0] != '\0')
          g_hash_table_add (daemon->roe_names, g_strdup (bus_name));
      /* The start-up reconcile publishes without the change callback. */
      mountpoint = refmount_record_variant_get_mountpoint (g_ptr_array_index (records, i));
      refmount_health_track (daemon->health, mountpoint, g_ptr_array_index (records, i));
    }
  refmount_health_start (daemon->health);

  daemon->manager = refmount_dbus_manager_skeleton_new ();
  refmount_dbus_manager_set_version (daemon->manager, PACKAGE_VERSION);
  refmount_dbus_manager_set_api_version (daemon->manager, REFMOUNT_API_VERSION);
  refmount_dbus_manager_set_generation (daemon->manager, refmount_table_get_generation (daemon->table));
  refmount_daemon_publish_config (daemon, daemon->config);
  daemon->workers = g_thread_pool_new (refmount_daemon_pipeline_worker, daemon, MAX_WORKERS, FALSE, error);
  if (daemon->workers == NULL)
    return FALSE;
  refmount_auth_init ();
  g_dbus_connection_add_filter (daemon->connection, manager_filter, daemon, NULL);
  if (!refmount_daemon_objects_export (daemon, error))
    return FALSE;

  g_unix_signal_add (SIGTERM, sigterm_cb, daemon);
  g_unix_signal_add (SIGINT, sigterm_cb, daemon);
  g_unix_signal_add (SIGHUP, sighup_cb, daemon);

  daemon->mount_monitor = g_unix_mount_monitor_get ();
  g_signal_connect (daemon->mount_monitor, "mounts-changed", G_CALLBACK (mounts_changed), daemon);

  /* Every fd the daemon keeps is close-on-exec: those it inherited and
   * those libraries opened without O_CLOEXEC (the mount monitor's
   * mountinfo).  Its own are opened with O_CLOEXEC/F_DUPFD_CLOEXEC. */
  refmount_fds_set_cloexec_from (STDERR_FILENO + 1);

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

  /* Calls run on up to MAX_WORKERS threads, and glibc gives each its own
   * heap arena (up to 8 per core): a burst of concurrent calls would leave
   * memory spread over many arenas for good.  Two arenas are plenty for
   * a daemon that spends its time waiting on the bus and the kernel. */
  mallopt (M_ARENA_MAX, 2);

  g_mutex_init (&daemon.config_lock);
  g_mutex_init (&daemon.roe_lock);
  g_mutex_init (&daemon.callers_lock);
  g_mutex_init (&daemon.reload_lock);
  g_cond_init (&daemon.reload_cond);
  daemon.runner = refmount_runner_new ();
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

  /* Loading and reconciling a large state file leaves megabytes of freed
   * parse buffers in the heap; give them back rather than keep them
   * resident for the daemon's lifetime. */
  malloc_trim (0);

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
