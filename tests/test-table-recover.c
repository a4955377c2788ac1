/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Recover (refmount-table-recover.c) and the removal of the directories
 * refmount created (refmount-table-dirs.c) over the fake backend: success,
 * each failure path, the deadline paths and their late completions, and
 * the background retries of a directory that cannot be removed yet.
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "refmount-error.h"
#include "table-fixture.h"

static void
assert_state (Fixture    *fx,
              const char *m,
              const char *state)
{
  g_autofree char *now = record_state (fx, m);

  g_assert_cmpstr (now, ==, state);
}

static gboolean
recover (Fixture    *fx,
         const char *m,
         GError    **error)
{
  return refmount_table_recover (fx->table, fx->config, m, 1000, 1, error);
}

static void
test_recover_keeps_attachments (Fixture      *fx,
                                gconstpointer data)
{
  g_autofree char *m = mp (fx, "ok");
  guint            mounts, umounts;

  g_assert_true (attach (fx, m, "a", NULL));
  g_assert_true (attach (fx, m, "b", NULL));
  mounts = fx->fake->mount_calls;
  umounts = fx->fake->umount_calls;
  g_assert_true (recover (fx, m, NULL));
  /* One lazy detach, one new mount; both attachments kept. */
  g_assert_cmpuint (fx->fake->umount_calls, ==, umounts + 1);
  g_assert_cmpuint (fx->fake->mount_calls, ==, mounts + 1);
  g_assert_cmpuint (n_attachments (fx, m), ==, 2);
  assert_state (fx, m, "mounted");
  g_assert_true (fake_backend_is_mounted (fx->fake, m));
}

static void
test_recover_refusals (Fixture      *fx,
                       gconstpointer data)
{
  g_autofree char   *m = mp (fx, "busy");
  g_autoptr (GError) error = NULL;
  gboolean           unmounted = TRUE;

  g_assert_false (recover (fx, "/nowhere/managed", &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* No attachments left, the unmount deferred: nothing to recover. */
  g_assert_true (attach (fx, m, "a", NULL));
  fx->fake->busy_umounts = 1;
  g_assert_true (detach (fx, m, "a", &unmounted, NULL));
  g_assert_false (unmounted);
  assert_state (fx, m, "busy");
  g_assert_false (recover (fx, m, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_BUSY);
  g_clear_error (&error);

  /* A mountpoint whose root is no longer configured. */
  {
    g_autofree char *other = mp (fx, "moved");

    g_assert_true (attach (fx, other, "a", NULL));
    g_free (fx->config->mount_roots[0]);
    fx->config->mount_roots[0] = g_strdup ("/nonexistent-root");
    g_assert_false (recover (fx, other, &error));
    g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED);
    g_assert_nonnull (strstr (error->message, "no longer beneath a configured mount root"));
    g_free (fx->config->mount_roots[0]);
    fx->config->mount_roots[0] = g_strdup (fx->root);
    assert_state (fx, other, "mounted");
  }
}

static void
test_recover_detach_fails (Fixture      *fx,
                           gconstpointer data)
{
  g_autofree char   *m = mp (fx, "detach");
  g_autoptr (GError) error = NULL;

  g_assert_true (attach (fx, m, "a", NULL));
  fx->fake->fail_umounts = 1;
  g_assert_false (recover (fx, m, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "Detaching"));
  /* Nothing changed. */
  assert_state (fx, m, "mounted");
  g_assert_true (fake_backend_is_mounted (fx->fake, m));
}

static void
test_recover_remount_fails (Fixture      *fx,
                            gconstpointer data)
{
  g_autofree char   *m = mp (fx, "remount");
  g_autoptr (GError) error = NULL;

  g_assert_true (attach (fx, m, "a", NULL));
  fx->fake->fail_mounts = 1;
  g_assert_false (recover (fx, m, &error));
  g_assert_nonnull (error);
  /* Detached, not mounted again: stale, with its attachment, until the
   * next Recover (or Mount) succeeds. */
  assert_state (fx, m, "stale");
  g_assert_cmpuint (n_attachments (fx, m), ==, 1);
  g_assert_false (fake_backend_is_mounted (fx->fake, m));
  g_clear_error (&error);
  g_assert_true (recover (fx, m, NULL));
  assert_state (fx, m, "mounted");

  /* A helper that reports failure after mounting: the mount is used. */
  fx->fake->fail_but_mounted = TRUE;
  g_assert_true (recover (fx, m, NULL));
  assert_state (fx, m, "mounted");
  g_assert_true (fake_backend_is_mounted (fx->fake, m));
}

static void
test_recover_replaced (Fixture      *fx,
                       gconstpointer data)
{
  g_autofree char   *m = mp (fx, "replaced");
  g_autoptr (GError) error = NULL;

  g_assert_true (attach (fx, m, "a", NULL));
  /* What the lookup finds after the remount is not what was mounted. */
  g_free (fx->fake->kernel_fstype);
  fx->fake->kernel_fstype = g_strdup ("ext4");
  g_assert_false (recover (fx, m, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_MOUNT_FAILED);
  g_assert_nonnull (strstr (error->message, "replaced"));
  g_clear_pointer (&fx->fake->kernel_fstype, g_free);
  /* The mount that landed elsewhere was undone. */
  g_assert_false (fake_backend_is_mounted (fx->fake, m));
  assert_state (fx, m, "stale");
}

static void
test_recover_directory_gone (Fixture      *fx,
                             gconstpointer data)
{
  g_autofree char   *m = mp (fx, "gone");
  g_autoptr (GError) error = NULL;

  g_assert_true (attach (fx, m, "a", NULL));
  /* The directory is replaced by a file: it cannot be reached to mount
   * again (and is not created anew over the file). */
  g_assert_cmpint (g_rmdir (m), ==, 0);
  g_assert_true (g_file_set_contents (m, "", 0, NULL));
  g_assert_false (recover (fx, m, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "to remount it"));
  assert_state (fx, m, "stale");
  g_assert_cmpint (g_unlink (m), ==, 0);
  /* Gone altogether: made again, and the next Recover works. */
  g_clear_error (&error);
  g_assert_true (recover (fx, m, NULL));
  assert_state (fx, m, "mounted");
  g_assert_true (g_file_test (m, G_FILE_TEST_IS_DIR));
}

static gboolean
state_is_mounted (Fixture    *fx,
                  const char *m)
{
  g_autofree char *state = record_state (fx, m);

  return g_strcmp0 (state, "mounted") == 0;
}

static gboolean
state_is_stale (Fixture    *fx,
                const char *m)
{
  g_autofree char *state = record_state (fx, m);

  return g_strcmp0 (state, "stale") == 0;
}

static gboolean
entry_free (Fixture    *fx,
            const char *m)
{
  g_autoptr (GError) error = NULL;
  RefmountEntry     *entry = refmount_table_lock_entry (fx->table, m, FALSE, 0, g_get_monotonic_time (), &error);

  if (entry == NULL)
    return FALSE;
  refmount_table_unlock_entry (fx->table, entry);
  return TRUE;
}

/* The remount hangs past the deadline: Timeout, and the late completion
 * (holding the entry until then) records the mount once it is there. */
static void
test_recover_remount_timeout (Fixture      *fx,
                              gconstpointer data)
{
  g_autofree char   *m = mp (fx, "slow-mount");
  g_autoptr (GError) error = NULL;

  g_assert_true (attach_full (fx, m, "slow-src", "a", 1000, NULL, NULL));
  fx->config->mount_timeout_sec = 1;
  fake_backend_hang_source (fx->fake, "slow-src");
  g_assert_false (recover (fx, m, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT);
  g_assert_false (entry_free (fx, m));
  fake_backend_release_hang (fx->fake);
  iterate_until (fx, state_is_mounted, m);
  assert_state (fx, m, "mounted");
  iterate_until (fx, entry_free, m);
  g_assert_cmpuint (n_attachments (fx, m), ==, 1);
}

/* The lazy detach hangs past the deadline: Timeout; once it finishes the
 * late completion marks the record stale and gives the entry on. */
static void
test_recover_detach_timeout (Fixture      *fx,
                             gconstpointer data)
{
  g_autofree char   *m = mp (fx, "slow-detach");
  g_autoptr (GError) error = NULL;

  g_assert_true (attach (fx, m, "a", NULL));
  fx->config->mount_timeout_sec = 1;
  fake_backend_hang_path (fx->fake, m);
  g_assert_false (recover (fx, m, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (error->message, "Detaching"));
  fake_backend_release_hang (fx->fake);
  iterate_until (fx, state_is_stale, m);
  assert_state (fx, m, "stale");
  iterate_until (fx, entry_free, m);
  g_assert_true (entry_free (fx, m));
}

typedef struct
{
  gboolean granted;
  GError  *error;
} Grant;

static void
grant_cb (RefmountTableWaiter *waiter,
          const GError        *error,
          gpointer             data)
{
  Grant *grant = data;

  grant->granted = TRUE;
  if (error != NULL)
    grant->error = g_error_copy (error);
}

/* The pipeline's Recover waits in the entry's queue, not on a thread. */
static void
test_recover_held_queues (Fixture      *fx,
                          gconstpointer data)
{
  g_autofree char     *m = mp (fx, "queued");
  Grant                first = { 0 }, second = { 0 };
  RefmountTableWaiter *holder, *waiter;

  g_assert_true (attach (fx, m, "a", NULL));
  holder = refmount_table_waiter_new (fx->table, m, FALSE, 0, grant_cb, &first);
  refmount_table_waiter_start (holder);
  g_assert_true (first.granted);
  waiter = refmount_table_waiter_new (fx->table, m, FALSE, 0, grant_cb, &second);
  refmount_table_waiter_start (waiter);
  g_assert_false (second.granted);
  refmount_table_waiter_free (holder);
  g_assert_true (second.granted);
  g_assert_no_error (second.error);
  g_assert_true (refmount_table_recover_held (fx->table, fx->config, waiter, 0, 1,
                                              g_get_monotonic_time () + 5 * G_USEC_PER_SEC, NULL));
  refmount_table_waiter_free (waiter);
  assert_state (fx, m, "mounted");
  g_assert_true (entry_free (fx, m));
}

/* ---- directories refmount created ---------------------------------------------- */

static gboolean
dir_gone (Fixture    *fx,
          const char *m)
{
  return !g_file_test (m, G_FILE_TEST_EXISTS);
}

static void
test_created_dir_removed (Fixture      *fx,
                          gconstpointer data)
{
  g_autofree char *m = mp (fx, "made");
  gboolean         unmounted = FALSE;

  g_assert_true (attach (fx, m, "a", NULL));
  g_assert_true (g_file_test (m, G_FILE_TEST_IS_DIR));
  g_assert_true (detach (fx, m, "a", &unmounted, NULL));
  g_assert_true (unmounted);
  g_assert_false (g_file_test (m, G_FILE_TEST_EXISTS));
}

/* A directory that cannot be removed yet (ENOTEMPTY here; EBUSY after a
 * network filesystem in life) never fails the Unmount: it is retried in
 * the background, on a runner thread, until it goes. */
static void
test_created_dir_retried (Fixture      *fx,
                          gconstpointer data)
{
  g_autofree char *m = mp (fx, "kept");
  g_autofree char *file = NULL;
  gboolean         unmounted = FALSE;

  g_assert_true (attach (fx, m, "a", NULL));
  file = g_build_filename (m, "left-behind", NULL);
  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  g_assert_true (detach (fx, m, "a", &unmounted, NULL));
  g_assert_true (unmounted);
  g_assert_true (g_file_test (m, G_FILE_TEST_IS_DIR));
  g_assert_null (refmount_table_get_record (fx->table, m));
  g_assert_cmpint (g_unlink (file), ==, 0);
  iterate_until (fx, dir_gone, m);
  g_assert_false (g_file_test (m, G_FILE_TEST_EXISTS));
}

static gboolean
no_retry_left (Fixture    *fx,
               const char *m)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&fx->table->mutex);

  return g_hash_table_size (fx->table->sources) == 0 && g_atomic_int_get (&fx->table->retry_threads) == 0;
}

/* ... and given up after a few attempts ("Giving up removing directory"). */
static void
test_created_dir_given_up (Fixture      *fx,
                           gconstpointer data)
{
  g_autofree char *m = mp (fx, "stuck");
  g_autofree char *file = NULL;
  gboolean         unmounted = FALSE;

  g_assert_true (attach (fx, m, "a", NULL));
  file = g_build_filename (m, "left-behind", NULL);
  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  g_assert_true (detach (fx, m, "a", &unmounted, NULL));
  g_assert_false (no_retry_left (fx, m));
  /* Five attempts, one a second, then no timer and no thread is left. */
  iterate_until (fx, no_retry_left, m);
  g_assert_true (no_retry_left (fx, m));
  g_assert_true (g_file_test (m, G_FILE_TEST_IS_DIR));
  g_assert_cmpint (g_unlink (file), ==, 0);
}

/* A Mount of the same mountpoint while the removal is still being retried:
 * the retry must leave the directory to the new mount (removing it would
 * pull it from under the mount, or from under mount(2) about to use it),
 * and the new mount's last unmount removes it instead, since refmount
 * made it. */
static void
test_created_dir_retry_vs_mount (Fixture      *fx,
                                 gconstpointer data)
{
  g_autofree char *m = mp (fx, "reused");
  g_autofree char *file = NULL;
  g_autofree char *state = NULL;
  gboolean         unmounted = FALSE;

  g_assert_true (attach (fx, m, "a", NULL));
  file = g_build_filename (m, "left-behind", NULL);
  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  g_assert_true (detach (fx, m, "a", &unmounted, NULL));
  g_assert_true (unmounted);
  g_assert_false (no_retry_left (fx, m));
  /* The next attempt would succeed, but the directory is in use again. */
  g_assert_cmpint (g_unlink (file), ==, 0);
  g_assert_true (attach (fx, m, "b", NULL));
  iterate_until (fx, no_retry_left, m);
  g_assert_true (no_retry_left (fx, m));
  g_assert_true (g_file_test (m, G_FILE_TEST_IS_DIR));
  g_assert_true (fake_backend_is_mounted (fx->fake, m));
  state = record_state (fx, m);
  g_assert_cmpstr (state, ==, "mounted");

  g_assert_true (detach (fx, m, "b", &unmounted, NULL));
  g_assert_true (unmounted);
  g_assert_false (g_file_test (m, G_FILE_TEST_EXISTS));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* The failure paths log warnings on purpose (the audit log's
   * mount-failed events); criticals stay fatal. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  ADD ("/recover/keeps-attachments", test_recover_keeps_attachments);
  ADD ("/recover/refusals", test_recover_refusals);
  ADD ("/recover/detach-fails", test_recover_detach_fails);
  ADD ("/recover/remount-fails", test_recover_remount_fails);
  ADD ("/recover/replaced", test_recover_replaced);
  ADD ("/recover/directory-gone", test_recover_directory_gone);
  ADD ("/recover/remount-timeout", test_recover_remount_timeout);
  ADD ("/recover/detach-timeout", test_recover_detach_timeout);
  ADD ("/recover/held-queues", test_recover_held_queues);
  ADD ("/dirs/created-removed", test_created_dir_removed);
  ADD ("/dirs/created-retried", test_created_dir_retried);
  ADD ("/dirs/created-given-up", test_created_dir_given_up);
  ADD ("/dirs/retry-vs-mount", test_created_dir_retry_vs_mount);
  return g_test_run ();
}
