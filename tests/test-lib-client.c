/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * librefmount-1 against the real daemon code: refmountd-fake (refmountd
 * over the in-memory fake backend) on a private dbus-daemon (GTestDBus).
 * Error mapping, cancellation (before and during a call the daemon never
 * answers), the change signals on add/change/remove, and a daemon restart
 * (vanished/appeared, without the mounts reading as removed).
 *
 * Needs root: refmountd authorizes uid 0 without polkit, and refuses a
 * mount root that root does not own.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "refmount.h"

#define HANG_SOURCE "hang-forever"
/* A functional bound: the signals of a local bus arrive in milliseconds. */
#define WAIT_SECONDS 10

/* One private bus for the whole program (GTestDBus cannot be brought up
 * twice in one process); each test starts its own daemon on it. */
static GTestDBus *bus;

typedef struct
{
  char            *dir;
  char            *root;
  char            *config;
  char            *state_dir;
  GSubprocess     *daemon;
  GDBusConnection *connection;
  RefmountClient  *client;
  GPtrArray       *events; /* "SIGNAL MOUNTPOINT [ATTACHMENT]" */
} Fixture;

static gboolean
tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

#define WAIT_UNTIL(cond)                                                        \
  G_STMT_START                                                                  \
  {                                                                             \
    gint64 deadline_ = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC; \
    guint  tick_ = g_timeout_add (20, tick, NULL);                              \
    while (!(cond))                                                             \
      {                                                                         \
        if (g_get_monotonic_time () > deadline_)                                \
          g_error ("%s:%d: still not true after %d s: %s", __FILE__, __LINE__,  \
                   WAIT_SECONDS, #cond);                                        \
        g_main_context_iteration (NULL, TRUE);                                  \
      }                                                                         \
    g_source_remove (tick_);                                                    \
  }                                                                             \
  G_STMT_END

static void
record (Fixture            *fx,
        const char         *signal,
        RefmountMount      *mount,
        RefmountAttachment *attachment)
{
  g_ptr_array_add (fx->events,
                   g_strdup_printf ("%s%s%s%s%s", signal, mount != NULL ? " " : "",
                                    mount != NULL ? refmount_mount_get_mountpoint (mount) : "",
                                    attachment != NULL ? " " : "",
                                    attachment != NULL ? refmount_attachment_get_id (attachment) : ""));
}

static void
on_mount_added (Fixture *fx, RefmountMount *mount)
{
  record (fx, "mount-added", mount, NULL);
}

static void
on_mount_removed (Fixture *fx, RefmountMount *mount)
{
  record (fx, "mount-removed", mount, NULL);
}

static void
on_mount_changed (Fixture *fx, RefmountMount *mount)
{
  record (fx, "mount-changed", mount, NULL);
}

static void
on_attachment_added (Fixture *fx, RefmountMount *mount, RefmountAttachment *attachment)
{
  record (fx, "attachment-added", mount, attachment);
}

static void
on_attachment_removed (Fixture *fx, RefmountMount *mount, RefmountAttachment *attachment)
{
  record (fx, "attachment-removed", mount, attachment);
}

static void
on_daemon_appeared (Fixture *fx)
{
  record (fx, "daemon-appeared", NULL, NULL);
}

static void
on_daemon_vanished (Fixture *fx)
{
  record (fx, "daemon-vanished", NULL, NULL);
}

static guint
count_events (Fixture *fx, const char *event)
{
  guint n = 0;

  for (guint i = 0; i < fx->events->len; i++)
    if (g_strcmp0 (g_ptr_array_index (fx->events, i), event) == 0)
      n++;
  return n;
}

static gboolean
has_event (Fixture *fx, const char *event)
{
  return count_events (fx, event) > 0;
}

/* A test that fails aborts: the daemon must not outlive it. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
start_daemon (Fixture *fx)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr (GError)              error = NULL;
  g_autofree char                *config_arg = g_strconcat ("--config=", fx->config, NULL);
  g_autofree char                *state_arg = g_strconcat ("--state-dir=", fx->state_dir, NULL);
  const char                     *daemon = g_getenv ("REFMOUNTD_FAKE");

  g_assert_nonnull (daemon);
  g_subprocess_launcher_setenv (launcher, "DBUS_SYSTEM_BUS_ADDRESS", g_test_dbus_get_bus_address (bus),
                                TRUE);
  g_subprocess_launcher_setenv (launcher, "REFMOUNT_FAKE_HANG_SOURCE", HANG_SOURCE, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  fx->daemon = g_subprocess_launcher_spawn (launcher, &error, daemon, config_arg, state_arg, NULL);
  g_assert_no_error (error);
}

static void
stop_daemon (Fixture *fx,
             int      signum)
{
  g_autoptr (GError) error = NULL;

  if (fx->daemon == NULL)
    return;
  g_subprocess_send_signal (fx->daemon, signum);
  g_subprocess_wait (fx->daemon, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&fx->daemon);
}

static void
fixture_set_up (Fixture      *fx,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *text = NULL;

  fx->dir = g_dir_make_tmp ("refmount-lib-XXXXXX", &error);
  g_assert_no_error (error);
  g_assert_no_errno (g_chmod (fx->dir, 0755));
  fx->root = g_build_filename (fx->dir, "root", NULL);
  fx->state_dir = g_build_filename (fx->dir, "state", NULL);
  fx->config = g_build_filename (fx->dir, "refmount.conf", NULL);
  g_assert_no_errno (g_mkdir (fx->root, 0755));
  g_assert_no_errno (g_mkdir (fx->state_dir, 0700));
  text = g_strdup_printf ("[Daemon]\nMountRoots=%s;\nAllowedFilesystems=tmpfs;ramfs;\nForcedOptions=nosuid;nodev;\n"
                          "MountTimeoutSec=60\n\n[Filesystem tmpfs]\nAllowedOptions=size;mode;ro;\n"
                          "UseHelper=false\n\n[Filesystem ramfs]\nUseHelper=true\n",
                          fx->root);
  g_file_set_contents (fx->config, text, -1, &error);
  g_assert_no_error (error);

  fx->connection = g_dbus_connection_new_for_address_sync (
    g_test_dbus_get_bus_address (bus),
    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL,
    &error);
  g_assert_no_error (error);

  /* The client first: it must notice the daemon arriving. */
  fx->client = refmount_client_new_full_sync (fx->connection, REFMOUNT_CLIENT_FLAGS_NONE, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (refmount_client_get_daemon_running (fx->client));
  fx->events = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect_swapped (fx->client, "mount-added", G_CALLBACK (on_mount_added), fx);
  g_signal_connect_swapped (fx->client, "mount-removed", G_CALLBACK (on_mount_removed), fx);
  g_signal_connect_swapped (fx->client, "mount-changed", G_CALLBACK (on_mount_changed), fx);
  g_signal_connect_swapped (fx->client, "attachment-added", G_CALLBACK (on_attachment_added), fx);
  g_signal_connect_swapped (fx->client, "attachment-removed", G_CALLBACK (on_attachment_removed), fx);
  g_signal_connect_swapped (fx->client, "daemon-appeared", G_CALLBACK (on_daemon_appeared), fx);
  g_signal_connect_swapped (fx->client, "daemon-vanished", G_CALLBACK (on_daemon_vanished), fx);

  start_daemon (fx);
  WAIT_UNTIL (has_event (fx, "daemon-appeared"));
  g_assert_true (refmount_client_get_daemon_running (fx->client));
  g_assert_cmpuint (refmount_client_get_api_version (fx->client), >=, 1);
  {
    g_auto (GStrv) options = refmount_client_dup_allowed_options (fx->client, "tmpfs");
    g_auto (GStrv) filesystems = refmount_client_dup_supported_filesystems (fx->client);

    g_assert_nonnull (options);
    g_assert_true (g_strv_contains ((const char *const *) options, "size"));
    g_assert_null (refmount_client_dup_allowed_options (fx->client, "nfs"));
    g_assert_true (g_strv_contains ((const char *const *) filesystems, "tmpfs"));
  }
  g_ptr_array_set_size (fx->events, 0);
}

static void
fixture_tear_down (Fixture      *fx,
                   gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  /* SIGKILL: a test may leave a mount hanging in the fake backend. */
  stop_daemon (fx, SIGKILL);
  g_clear_object (&fx->client);
  g_dbus_connection_close_sync (fx->connection, NULL, NULL);
  g_clear_object (&fx->connection);
  g_ptr_array_unref (fx->events);
  {
    g_autofree char *argv0 = g_strdup_printf ("rm -rf '%s'", fx->dir);

    g_spawn_command_line_sync (argv0, NULL, NULL, NULL, &error);
    g_assert_no_error (error);
  }
  g_free (fx->dir);
  g_free (fx->root);
  g_free (fx->config);
  g_free (fx->state_dir);
}

static char *
mountpoint_of (Fixture    *fx,
               const char *name)
{
  return g_build_filename (fx->root, name, NULL);
}

/* Mount, attach a second time, detach both: the signals in order, and
 * the RefmountMount's typed values. */
static void
test_signals (Fixture      *fx,
              gconstpointer data)
{
  g_autoptr (GError)        error = NULL;
  g_autofree char          *mp = mountpoint_of (fx, "one");
  g_autofree char          *used = NULL;
  g_autofree char          *added = g_strconcat ("mount-added ", mp, NULL);
  g_autofree char          *a1 = g_strconcat ("attachment-added ", mp, " a1", NULL);
  g_autofree char          *a2 = g_strconcat ("attachment-added ", mp, " a2", NULL);
  g_autofree char          *r1 = g_strconcat ("attachment-removed ", mp, " a1", NULL);
  g_autofree char          *r2 = g_strconcat ("attachment-removed ", mp, " a2", NULL);
  g_autofree char          *changed = g_strconcat ("mount-changed ", mp, NULL);
  g_autofree char          *removed = g_strconcat ("mount-removed ", mp, NULL);
  g_autoptr (RefmountMount) mount = NULL;
  const char *const         options[] = { "size=1m", NULL };
  RefmountAttachment       *attachment;
  gboolean                  unmounted = TRUE;

  used = refmount_client_mount_sync (fx->client, "tmpfs", "lib-src", mp, options, "a1",
                                     REFMOUNT_MOUNT_FLAGS_NONE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (used, ==, mp);
  WAIT_UNTIL (has_event (fx, a1));
  g_assert_cmpstr (g_ptr_array_index (fx->events, 0), ==, added);
  g_assert_cmpuint (count_events (fx, added), ==, 1);

  mount = refmount_client_lookup_mount (fx->client, mp);
  g_assert_nonnull (mount);
  g_assert_cmpstr (refmount_mount_get_source (mount), ==, "lib-src");
  g_assert_cmpstr (refmount_mount_get_filesystem_type (mount), ==, "tmpfs");
  g_assert_cmpint (refmount_mount_get_state (mount), ==, REFMOUNT_MOUNT_STATE_MOUNTED);
  g_assert_true (g_strv_contains (refmount_mount_get_options (mount), "size=1m"));
  g_assert_true (g_strv_contains (refmount_mount_get_options (mount), "nosuid"));
  g_assert_cmpuint (refmount_mount_get_attachments (mount)->len, ==, 1);
  attachment = refmount_mount_lookup_attachment (mount, "a1");
  g_assert_nonnull (attachment);
  g_assert_cmpuint (refmount_attachment_get_uid (attachment), ==, getuid ());
  g_assert_cmpint (refmount_attachment_get_time (attachment), >, 0);
  g_assert_cmpuint (refmount_mount_get_mounted_at (mount), >, 0);

  g_free (refmount_client_mount_sync (fx->client, "tmpfs", "lib-src", mp, options, "a2",
                                      REFMOUNT_MOUNT_FLAGS_NONE, NULL, &error));
  g_assert_no_error (error);
  /* Not "changed" alone: a health probe's Usage may change the mount
   * before the attachment does. */
  WAIT_UNTIL (has_event (fx, changed) && has_event (fx, a2));
  g_assert_cmpuint (refmount_mount_get_attachments (mount)->len, ==, 2);

  g_assert_true (refmount_client_unmount_sync (fx->client, mp, "a1", REFMOUNT_MOUNT_FLAGS_NONE, &unmounted,
                                               NULL, &error));
  g_assert_no_error (error);
  g_assert_false (unmounted);
  WAIT_UNTIL (has_event (fx, r1));
  g_assert_null (refmount_mount_lookup_attachment (mount, "a1"));

  g_assert_true (refmount_client_unmount_sync (fx->client, mp, "a2", REFMOUNT_MOUNT_FLAGS_NONE, &unmounted,
                                               NULL, &error));
  g_assert_no_error (error);
  g_assert_true (unmounted);
  WAIT_UNTIL (has_event (fx, removed));
  g_assert_true (has_event (fx, r2));
  g_assert_cmpuint (count_events (fx, added), ==, 1);
  g_assert_null (refmount_client_lookup_mount (fx->client, mp));
}

static void
on_async_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* The async calls and a derived mountpoint (NULL → "ROOT/FSTYPE-HASH"). */
static void
test_async (Fixture      *fx,
            gconstpointer data)
{
  g_autoptr (GError)        error = NULL;
  g_autoptr (GAsyncResult)  result = NULL;
  g_autofree char          *used = NULL;
  g_autoptr (RefmountMount) mount = NULL;
  gboolean                  unmounted = FALSE;

  refmount_client_mount_async (fx->client, "tmpfs", "derived-src", NULL, NULL, "x",
                               REFMOUNT_MOUNT_FLAGS_RELEASE_ON_EXIT, NULL, on_async_done, &result);
  WAIT_UNTIL (result != NULL);
  used = refmount_client_mount_finish (fx->client, result, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (used, fx->root));
  g_assert_true (g_str_has_prefix (used + strlen (fx->root), "/tmpfs-"));
  g_clear_object (&result);

  refmount_client_get_mount_async (fx->client, used, NULL, on_async_done, &result);
  WAIT_UNTIL (result != NULL);
  mount = refmount_client_get_mount_finish (fx->client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (refmount_mount_get_mountpoint (mount), ==, used);
  g_clear_object (&result);

  refmount_client_reload_async (fx->client, NULL, on_async_done, &result);
  WAIT_UNTIL (result != NULL);
  g_assert_true (refmount_client_reload_finish (fx->client, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  refmount_client_unmount_async (fx->client, used, "x", REFMOUNT_MOUNT_FLAGS_NONE, NULL, on_async_done,
                                 &result);
  WAIT_UNTIL (result != NULL);
  g_assert_true (refmount_client_unmount_finish (fx->client, result, &unmounted, &error));
  g_assert_no_error (error);
  g_assert_true (unmounted);
}

/* A calls-only client: mounts and reads a mount without following any. */
static void
test_do_not_follow (Fixture      *fx,
                    gconstpointer data)
{
  g_autoptr (GError)         error = NULL;
  g_autoptr (RefmountClient) calls = NULL;
  g_autoptr (RefmountMount)  mount = NULL;
  g_autofree char           *mp = mountpoint_of (fx, "calls");
  g_autofree char           *used = NULL;
  gboolean                   unmounted = FALSE;

  calls = refmount_client_new_full_sync (fx->connection, REFMOUNT_CLIENT_FLAGS_DO_NOT_FOLLOW, NULL, &error);
  g_assert_no_error (error);
  used = refmount_client_mount_sync (calls, "tmpfs", "calls-src", mp, NULL, "c", 0, NULL, &error);
  g_assert_no_error (error);
  mount = refmount_client_get_mount_sync (calls, used, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (refmount_mount_get_source (mount), ==, "calls-src");
  g_assert_nonnull (refmount_mount_lookup_attachment (mount, "c"));
  g_assert_null (refmount_client_get_mounts (calls));
  g_assert_true (refmount_client_unmount_sync (calls, used, "c", 0, &unmounted, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (unmounted);
}

/* Daemon errors arrive as REFMOUNT_ERROR codes, without the remote-error
 * prefix, naming the argument; a flag of the wrong call is refused before
 * anything is sent. */
static void
test_errors (Fixture      *fx,
             gconstpointer data)
{
  g_autoptr (GError)        error = NULL;
  g_autofree char          *mp = mountpoint_of (fx, "err");
  g_autofree char          *outside = g_build_filename (fx->dir, "outside", NULL);
  g_autoptr (RefmountMount) mount = NULL;
  gboolean                  unmounted;

  g_assert_false (refmount_client_unmount_sync (fx->client, mp, "a", 0, &unmounted, NULL, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND);
  g_assert_false (g_str_has_prefix (error->message, "GDBus.Error"));
  g_clear_error (&error);

  mount = refmount_client_get_mount_sync (fx->client, mp, NULL, &error);
  g_assert_null (mount);
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_false (refmount_client_recover_sync (fx->client, mp, NULL, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_null (refmount_client_mount_sync (fx->client, "tmpfs", "src", mp, NULL, "-bad", 0, NULL, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "attachment"));
  g_clear_error (&error);

  g_assert_null (refmount_client_mount_sync (fx->client, "tmpfs", "src", outside, NULL, "a", 0, NULL, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "mountpoint"));
  g_clear_error (&error);

  g_assert_null (refmount_client_mount_sync (fx->client, "tmpfs", "src", mp, NULL, "a",
                                             REFMOUNT_MOUNT_FLAGS_FORCE, NULL, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "flags"));
  g_clear_error (&error);

  g_free (refmount_client_mount_sync (fx->client, "tmpfs", "src", mp, NULL, "a", 0, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (refmount_client_unmount_sync (fx->client, mp, "other", 0, &unmounted, NULL, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_ATTACHED);
  g_clear_error (&error);
  g_assert_false (refmount_client_unmount_sync (fx->client, mp, "a", REFMOUNT_MOUNT_FLAGS_RELEASE_ON_EXIT,
                                                &unmounted, NULL, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* A different source on the same mountpoint. */
  g_assert_null (refmount_client_mount_sync (fx->client, "tmpfs", "other-src", mp, NULL, "b", 0, NULL, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_CONFLICT);
}

/* Cancelled before the call: nothing is sent, nothing mounted.  Cancelled
 * while the daemon sits on a mount that never returns: the caller gets
 * G_IO_ERROR_CANCELLED at once. */
static void
test_cancel (Fixture      *fx,
             gconstpointer data)
{
  g_autoptr (GError)        error = NULL;
  g_autoptr (GCancellable)  cancellable = g_cancellable_new ();
  g_autoptr (GAsyncResult)  result = NULL;
  g_autofree char          *mp = mountpoint_of (fx, "cancelled");
  g_autofree char          *hung = mountpoint_of (fx, "hung");
  g_autoptr (RefmountMount) mount = NULL;

  g_cancellable_cancel (cancellable);
  g_assert_null (refmount_client_mount_sync (fx->client, "tmpfs", "src", mp, NULL, "a", 0, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  mount = refmount_client_get_mount_sync (fx->client, mp, NULL, &error);
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_clear_object (&cancellable);
  cancellable = g_cancellable_new ();
  refmount_client_mount_async (fx->client, "tmpfs", HANG_SOURCE, hung, NULL, "a", 0, cancellable, on_async_done,
                               &result);
  /* The daemon is in the call once it has made the mountpoint's
   * directory (doc/design.md "Mount states": mkdir, then mount); the mount
   * then never returns within the test (MountTimeoutSec=60). */
  WAIT_UNTIL (g_file_test (hung, G_FILE_TEST_IS_DIR));
  g_assert_null (result);
  g_cancellable_cancel (cancellable);
  WAIT_UNTIL (result != NULL);
  g_assert_null (refmount_client_mount_finish (fx->client, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* refmountd restarts: daemon-vanished, then daemon-appeared, the mount
 * kept throughout (it is neither removed nor re-added), and what the
 * client then reports equals what a new client reads. */
static void
test_restart (Fixture      *fx,
              gconstpointer data)
{
  g_autoptr (GError)         error = NULL;
  g_autofree char           *mp = mountpoint_of (fx, "kept");
  g_autofree char           *added = g_strconcat ("mount-added ", mp, NULL);
  g_autofree char           *removed = g_strconcat ("mount-removed ", mp, NULL);
  g_autofree char           *detached = g_strconcat ("attachment-removed ", mp, " a", NULL);
  g_autoptr (RefmountMount)  mount = NULL;
  g_autoptr (RefmountMount)  fresh_mount = NULL;
  g_autoptr (RefmountClient) fresh = NULL;
  g_autolist (RefmountMount) mounts = NULL;

  g_free (refmount_client_mount_sync (fx->client, "tmpfs", "src", mp, NULL, "a", 0, NULL, &error));
  g_assert_no_error (error);
  WAIT_UNTIL (has_event (fx, added));

  stop_daemon (fx, SIGTERM);
  WAIT_UNTIL (has_event (fx, "daemon-vanished"));
  g_assert_false (refmount_client_get_daemon_running (fx->client));
  mounts = refmount_client_get_mounts (fx->client);
  for (guint i = 0; i < fx->events->len; i++)
    g_test_message ("event: %s", (char *) g_ptr_array_index (fx->events, i));
  g_assert_cmpuint (g_list_length (mounts), ==, 1);

  start_daemon (fx);
  WAIT_UNTIL (has_event (fx, "daemon-appeared"));
  g_assert_true (refmount_client_get_daemon_running (fx->client));
  g_assert_false (has_event (fx, removed));
  g_assert_false (has_event (fx, detached));
  g_assert_cmpuint (count_events (fx, added), ==, 1);

  mount = refmount_client_lookup_mount (fx->client, mp);
  g_assert_nonnull (mount);
  fresh = refmount_client_new_full_sync (fx->connection, REFMOUNT_CLIENT_FLAGS_NONE, NULL, &error);
  g_assert_no_error (error);
  fresh_mount = refmount_client_lookup_mount (fresh, mp);
  g_assert_nonnull (fresh_mount);
  g_assert_cmpint (refmount_mount_get_state (mount), ==, refmount_mount_get_state (fresh_mount));
  g_assert_cmpuint (refmount_mount_get_attachments (mount)->len, ==,
                    refmount_mount_get_attachments (fresh_mount)->len);
  g_assert_cmpuint (refmount_mount_get_mounted_at (mount), ==, refmount_mount_get_mounted_at (fresh_mount));
}

/* The flags refmountctl relies on: SHOW belongs to Mount (the daemon
 * takes it), not to Unmount; FilesystemTypes' UseHelper per type. */
static void
test_show_and_helper (Fixture      *fx,
                      gconstpointer data)
{
  g_autoptr (GError)        error = NULL;
  g_autofree char          *mp = mountpoint_of (fx, "shown");
  g_autoptr (RefmountMount) mount = NULL;
  gboolean                  unmounted = FALSE;

  g_assert_true (refmount_client_get_filesystem_uses_helper (fx->client, "ramfs"));
  g_assert_false (refmount_client_get_filesystem_uses_helper (fx->client, "tmpfs"));
  g_assert_false (refmount_client_get_filesystem_uses_helper (fx->client, "nfs"));

  g_free (refmount_client_mount_sync (fx->client, "tmpfs", "shown-src", mp, NULL, "s", REFMOUNT_MOUNT_FLAGS_SHOW,
                                      NULL, &error));
  g_assert_no_error (error);
  mount = refmount_client_get_mount_sync (fx->client, mp, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (refmount_mount_lookup_attachment (mount, "s"));
  g_assert_false (refmount_client_unmount_sync (fx->client, mp, "s", REFMOUNT_MOUNT_FLAGS_SHOW, &unmounted, NULL,
                                                &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "flags"));
  g_clear_error (&error);
  g_assert_true (refmount_client_unmount_sync (fx->client, mp, "s", 0, &unmounted, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (unmounted);
}

/* A stand-in Manager on the private bus, for what the real daemon never
 * does: answer with an error name GDBus does not map, or not at all. */
static void
on_stand_in_call (GDBusConnection       *connection,
                  const char            *sender,
                  const char            *object_path,
                  const char            *interface_name,
                  const char            *method_name,
                  GVariant              *parameters,
                  GDBusMethodInvocation *invocation,
                  gpointer               user_data)
{
  GPtrArray *unanswered = user_data;

  if (g_str_equal (method_name, "Reload"))
    g_dbus_method_invocation_return_dbus_error (invocation, "org.example.Error.Unmapped", "odd failure");
  else
    g_ptr_array_add (unanswered, g_object_ref (invocation));
}

/* Whether the bus lists an owner of refmountd's name: a daemon killed by
 * an earlier test keeps it until the bus has seen its connection close. */
static gboolean
name_has_owner (GDBusConnection *connection)
{
  g_autoptr (GVariant) reply = NULL;
  gboolean             has_owner = TRUE;

  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", "org.refmount.Refmount1"), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &has_owner);
  return has_owner;
}

static void
on_client_ready (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* REFMOUNT_CLIENT_FLAGS_REQUIRE_DAEMON fails with the bus's error while
 * nobody owns the name and succeeds once someone does; an unmapped error
 * keeps its D-Bus name; the timeout property bounds a call. */
static void
test_require_daemon_and_timeout (void)
{
  static const char           xml[] = "<node><interface name='org.refmount.Refmount1.Manager'>"
                                      "<method name='Reload'/>"
                                      "<method name='Recover'><arg type='s' direction='in'/>"
                                      "<arg type='a{sv}' direction='in'/></method>"
                                      "</interface></node>";
  g_autoptr (GError)          error = NULL;
  g_autoptr (GDBusConnection) connection = NULL;
  g_autoptr (GDBusConnection) server = NULL;
  g_autoptr (GDBusNodeInfo)   node = g_dbus_node_info_new_for_xml (xml, &error);
  g_autoptr (GPtrArray)       unanswered = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GAsyncResult)    result = NULL;
  g_autoptr (RefmountClient)  client = NULL;
  g_autofree char            *remote = NULL;
  const GDBusInterfaceVTable  vtable = { on_stand_in_call, NULL, NULL, { 0 } };
  guint                       registration;
  g_autoptr (GVariant)        owned = NULL;

  g_assert_no_error (error);
  connection = g_dbus_connection_new_for_address_sync (
    g_test_dbus_get_bus_address (bus),
    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL,
    &error);
  g_assert_no_error (error);
  WAIT_UNTIL (!name_has_owner (connection));

  refmount_client_new_async (connection, REFMOUNT_CLIENT_FLAGS_REQUIRE_DAEMON | REFMOUNT_CLIENT_FLAGS_DO_NOT_FOLLOW,
                             NULL, on_client_ready, &result);
  WAIT_UNTIL (result != NULL);
  g_assert_null (refmount_client_new_finish (result, &error));
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN);
  g_assert_false (g_str_has_prefix (error->message, "GDBus.Error"));
  g_clear_error (&error);
  g_clear_object (&result);

  server = g_dbus_connection_new_for_address_sync (
    g_test_dbus_get_bus_address (bus),
    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL,
    &error);
  g_assert_no_error (error);
  registration = g_dbus_connection_register_object (server, "/org/refmount/Refmount1/Manager", node->interfaces[0],
                                                    &vtable, unanswered, NULL, &error);
  g_assert_no_error (error);
  owned = g_dbus_connection_call_sync (server, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "RequestName",
                                       g_variant_new ("(su)", "org.refmount.Refmount1", 0), G_VARIANT_TYPE ("(u)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);

  refmount_client_new_async (connection, REFMOUNT_CLIENT_FLAGS_REQUIRE_DAEMON | REFMOUNT_CLIENT_FLAGS_DO_NOT_FOLLOW,
                             NULL, on_client_ready, &result);
  WAIT_UNTIL (result != NULL);
  client = refmount_client_new_finish (result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  refmount_client_reload_async (client, NULL, on_async_done, &result);
  WAIT_UNTIL (result != NULL);
  g_assert_false (refmount_client_reload_finish (client, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_DBUS_ERROR);
  remote = g_dbus_error_get_remote_error (error);
  g_assert_cmpstr (remote, ==, "org.example.Error.Unmapped");
  g_clear_error (&error);
  g_clear_object (&result);

  g_assert_cmpint (refmount_client_get_timeout (client), ==, -1);
  refmount_client_set_timeout (client, 200);
  refmount_client_recover_async (client, "/nowhere", NULL, on_async_done, &result);
  WAIT_UNTIL (result != NULL);
  g_assert_false (refmount_client_recover_finish (client, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpuint (unanswered->len, ==, 1);

  g_ptr_array_set_size (unanswered, 0);
  g_dbus_connection_unregister_object (server, registration);
  g_dbus_connection_close_sync (server, NULL, NULL);
  g_dbus_connection_close_sync (connection, NULL, NULL);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  if (getuid () != 0)
    {
      g_test_skip ("needs root: refmountd authorizes uid 0 without polkit");
      return 77;
    }
  g_test_add ("/lib/client/signals", Fixture, NULL, fixture_set_up, test_signals, fixture_tear_down);
  g_test_add ("/lib/client/async", Fixture, NULL, fixture_set_up, test_async, fixture_tear_down);
  g_test_add ("/lib/client/do-not-follow", Fixture, NULL, fixture_set_up, test_do_not_follow, fixture_tear_down);
  g_test_add ("/lib/client/errors", Fixture, NULL, fixture_set_up, test_errors, fixture_tear_down);
  g_test_add ("/lib/client/cancel", Fixture, NULL, fixture_set_up, test_cancel, fixture_tear_down);
  g_test_add ("/lib/client/restart", Fixture, NULL, fixture_set_up, test_restart, fixture_tear_down);
  g_test_add ("/lib/client/show-and-helper", Fixture, NULL, fixture_set_up, test_show_and_helper,
              fixture_tear_down);
  g_test_add_func ("/lib/client/require-daemon-and-timeout", test_require_daemon_and_timeout);
  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);
  status = g_test_run ();
  g_test_dbus_down (bus);
  g_object_unref (bus);
  return status;
}
