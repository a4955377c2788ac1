/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The table's rarer failure paths, through the fake backend: backend calls
 * that finish after their caller was told Timeout (late_cb), a last
 * Unmount that cannot reach its mountpoint, and unmount errors other than
 * EBUSY.  Each test checks what a client or a restart would see: the
 * record, the kernel (the fake), the directory, and the state on disk.
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "refmount-error.h"
#include "refmount-names.h"
#include "table-fixture.h"
#include "test-namespace.h"
#include "test-openat2.h"

static gboolean
nothing_abandoned (Fixture    *fx,
                   const char *m)
{
  return refmount_table_get_abandoned (fx->table) == 0;
}

/* The record of @mountpoint as a restart would load it from disk. */
static RefmountRecord *
disk_record (Fixture    *fx,
             const char *mountpoint)
{
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GError)    error = NULL;
  g_autofree char      *aside = NULL;
  guint64               generation;

  g_assert_true (refmount_state_load (fx->state_dir, &generation, &records, &aside, &error));
  g_assert_no_error (error);
  g_assert_null (aside);
  for (guint i = 0; i < records->len; i++)
    {
      RefmountRecord *record = g_ptr_array_index (records, i);

      if (g_str_equal (record->mountpoint, mountpoint))
        return g_ptr_array_steal_index (records, i);
    }
  return NULL;
}

static void
restart (Fixture *fx)
{
  g_autoptr (GError) error = NULL;

  refmount_table_free (fx->table);
  fx->table = refmount_table_new (&fx->fake->parent, fx->state_dir, fx->context, NULL, NULL);
  g_assert_true (refmount_table_start (fx->table, fx->config, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* A mount that fails after its caller timed out: nothing of it may stay
 * (no entry, no directory refmount created), and the mountpoint works
 * again. */
static void
test_late_mount_failure (Fixture      *fx,
                         gconstpointer data)
{
  g_autofree char   *m = mp (fx, "late");
  g_autofree char   *other = mp (fx, "other");
  g_autoptr (GError) error = NULL;

  fx->config->mount_timeout_sec = 1;
  fake_backend_hang_source (fx->fake, "src");
  fx->fake->fail_mounts = 1;
  g_assert_false (attach (fx, m, "vol1", &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT);
  /* The path walk and the mount share one runner call: the message
   * still says which of them did not finish. */
  g_assert_nonnull (strstr (error->message, "Mounting source 'src'"));
  g_clear_error (&error);
  g_assert_true (g_file_test (m, G_FILE_TEST_IS_DIR));

  fake_backend_release_hang (fx->fake);
  iterate_until (fx, nothing_abandoned, m);
  g_assert_cmpuint (refmount_table_get_abandoned (fx->table), ==, 0);
  g_assert_null (refmount_table_get_record (fx->table, m));
  g_assert_false (fake_backend_is_mounted (fx->fake, m));
  g_assert_false (g_file_test (m, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (fx->fake->umount_calls, ==, 0);

  /* Its entry is gone too: it does not count against MaxMounts. */
  fx->config->max_mounts = 1;
  g_assert_true (attach (fx, other, "vol1", &error));
  g_assert_no_error (error);
  g_assert_true (detach (fx, other, "vol1", NULL, &error));
  g_assert_no_error (error);

  g_assert_true (attach (fx, m, "vol1", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fx->fake->mount_calls, ==, 3);
}

/* The remount of a stale record finishes after its caller timed out: the
 * record is mounted again, and says so on disk, with the attachments it
 * had (the timed-out caller's was never added). */
static void
test_late_remount (Fixture      *fx,
                   gconstpointer data)
{
  g_autofree char           *m = mp (fx, "stale");
  g_autoptr (GError)         error = NULL;
  g_autoptr (RefmountRecord) record = NULL;
  g_autoptr (RefmountRecord) on_disk = NULL;
  g_autofree char           *state = NULL;

  fx->config->mount_timeout_sec = 1;
  g_assert_true (attach (fx, m, "vol1", &error));
  g_assert_no_error (error);
  fake_backend_set_unmounted (fx->fake, m);
  fake_backend_hang_source (fx->fake, "src");
  g_assert_false (attach (fx, m, "vol2", &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT);
  g_clear_error (&error);
  state = record_state (fx, m);
  g_assert_cmpstr (state, ==, REFMOUNT_STATE_STALE);

  fake_backend_release_hang (fx->fake);
  iterate_until (fx, nothing_abandoned, m);
  g_assert_cmpuint (refmount_table_get_abandoned (fx->table), ==, 0);
  record = refmount_table_get_record (fx->table, m);
  g_assert_nonnull (record);
  g_assert_cmpint (record->state, ==, REFMOUNT_MOUNT_STATE_MOUNTED);
  g_assert_cmpuint (record->attachments->len, ==, 1);
  g_assert_true (fake_backend_is_mounted (fx->fake, m));
  on_disk = disk_record (fx, m);
  g_assert_nonnull (on_disk);
  g_assert_cmpint (on_disk->state, ==, REFMOUNT_MOUNT_STATE_MOUNTED);

  /* It is mounted: the last detach unmounts it. */
  g_assert_true (detach (fx, m, "vol1", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (is_unmounted (fx, m));
}

/* An attach on another thread, and its outcome once it returned. */
typedef struct
{
  Fixture *fx;
  char    *mountpoint;
  GMutex   mutex;
  GCond    cond;
  gboolean done;
  gboolean ok;
  GError  *error;
} AttachCall;

static gpointer
attach_thread (gpointer data)
{
  AttachCall *call = data;
  GError     *error = NULL;
  gboolean    ok = attach (call->fx, call->mountpoint, "vol2", &error);

  g_mutex_lock (&call->mutex);
  call->ok = ok;
  call->error = error;
  call->done = TRUE;
  g_cond_signal (&call->cond);
  g_mutex_unlock (&call->mutex);
  return NULL;
}

/* Remounting a stale record first undoes the earlier mount through its
 * directory's fd (it may have moved with that directory).  That umount(2)
 * can wait on a server that went away like any other: the caller gets
 * Timeout within MountTimeoutSec, not a thread blocked until the server
 * answers; the record stays stale and remounts later. */
static void
test_stale_undo_timeout (Fixture      *fx,
                         gconstpointer data)
{
  g_autofree char   *m = mp (fx, "moved");
  g_autoptr (GError) error = NULL;
  g_autofree char   *state = NULL;
  AttachCall         call = { fx, m };
  GThread           *thread;
  gint64             bound = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  gboolean           returned;

  fx->config->mount_timeout_sec = 1;
  g_assert_true (attach (fx, m, "vol1", &error));
  g_assert_no_error (error);
  fake_backend_set_unmounted (fx->fake, m);
  fake_backend_hang_path (fx->fake, m);
  g_mutex_init (&call.mutex);
  g_cond_init (&call.cond);
  thread = g_thread_new ("attach", attach_thread, &call);
  g_mutex_lock (&call.mutex);
  while (!call.done && g_cond_wait_until (&call.cond, &call.mutex, bound))
    ;
  returned = call.done;
  g_mutex_unlock (&call.mutex);
  /* Release it either way, so that a failing run ends. */
  fake_backend_release_hang (fx->fake);
  g_thread_join (thread);
  g_assert_true (returned);
  g_assert_false (call.ok);
  g_assert_error (call.error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT);
  g_clear_error (&call.error);
  g_mutex_clear (&call.mutex);
  g_cond_clear (&call.cond);

  iterate_until (fx, nothing_abandoned, m);
  g_assert_cmpuint (refmount_table_get_abandoned (fx->table), ==, 0);
  state = record_state (fx, m);
  g_assert_cmpstr (state, ==, REFMOUNT_STATE_STALE);
  g_assert_cmpuint (n_attachments (fx, m), ==, 1);
  g_assert_true (attach (fx, m, "vol2", &error));
  g_assert_no_error (error);
  g_assert_true (fake_backend_is_mounted (fx->fake, m));
  g_assert_cmpuint (n_attachments (fx, m), ==, 2);
}

/* The last Unmount times out, and the unmount then fails (EIO): the
 * released attachment is put back, in memory and on disk (its release
 * had been written before the unmount began). */
static void
test_late_unmount_failure (Fixture      *fx,
                           gconstpointer data)
{
  g_autofree char           *m = mp (fx, "late");
  g_autoptr (GError)         error = NULL;
  g_autoptr (RefmountRecord) on_disk = NULL;
  gboolean                   unmounted = FALSE;

  fx->config->mount_timeout_sec = 1;
  g_assert_true (attach (fx, m, "vol1", &error));
  fake_backend_hang_path (fx->fake, m);
  fx->fake->fail_umounts = 1;
  g_assert_false (detach (fx, m, "vol1", &unmounted, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT);
  g_clear_error (&error);

  fake_backend_release_hang (fx->fake);
  iterate_until (fx, nothing_abandoned, m);
  g_assert_cmpuint (refmount_table_get_abandoned (fx->table), ==, 0);
  g_assert_true (fake_backend_is_mounted (fx->fake, m));
  g_assert_cmpuint (n_attachments (fx, m), ==, 1);
  on_disk = disk_record (fx, m);
  g_assert_nonnull (on_disk);
  g_assert_cmpuint (on_disk->attachments->len, ==, 1);

  g_assert_true (detach (fx, m, "vol1", &unmounted, &error));
  g_assert_no_error (error);
  g_assert_true (unmounted);
  g_assert_true (is_unmounted (fx, m));
}

/* A mount adopted at start-up (no fd on its directory) whose parent was
 * renamed: refmount cannot reach it to unmount it, and the mount may well
 * still exist under the new name, so nothing changes — the attachment
 * stays, in memory and on disk, and no unmount is attempted. */
static void
test_unmount_unreachable (Fixture      *fx,
                          gconstpointer data)
{
  g_autofree char           *sub = mp (fx, "sub");
  g_autofree char           *moved = mp (fx, "moved");
  g_autofree char           *m = g_build_filename (sub, "m", NULL);
  g_autoptr (GError)         error = NULL;
  g_autoptr (RefmountRecord) on_disk = NULL;
  gboolean                   unmounted = FALSE;

  g_assert_cmpint (g_mkdir (sub, 0755), ==, 0);
  g_assert_true (attach (fx, m, "vol1", &error));
  g_assert_no_error (error);
  restart (fx);
  g_assert_cmpint (g_rename (sub, moved), ==, 0);

  g_assert_false (detach (fx, m, "vol1", &unmounted, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "Cannot reach"));
  g_clear_error (&error);
  g_assert_cmpuint (fx->fake->umount_calls, ==, 0);
  g_assert_true (fake_backend_is_mounted (fx->fake, m));
  g_assert_cmpuint (n_attachments (fx, m), ==, 1);
  on_disk = disk_record (fx, m);
  g_assert_nonnull (on_disk);
  g_assert_cmpuint (on_disk->attachments->len, ==, 1);

  /* Back where it was, it is unmounted as usual. */
  g_assert_cmpint (g_rename (moved, sub), ==, 0);
  g_assert_true (detach (fx, m, "vol1", &unmounted, &error));
  g_assert_no_error (error);
  g_assert_true (unmounted);
  g_assert_true (is_unmounted (fx, m));
}

/* The configuration no longer has the mount's root: the record stays
 * listed and its attachment stays, but refmount will not unmount it. */
static void
test_unmount_outside_roots (Fixture      *fx,
                            gconstpointer data)
{
  g_autofree char   *m = mp (fx, "a");
  g_autofree char   *other = g_build_filename (fx->tmpdir, "other-root", NULL);
  g_autoptr (GError) error = NULL;
  gboolean           unmounted = FALSE;

  g_assert_true (attach (fx, m, "vol1", &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir (other, 0755), ==, 0);
  g_free (fx->config->mount_roots[0]);
  fx->config->mount_roots[0] = g_strdup (other);

  g_assert_false (detach (fx, m, "vol1", &unmounted, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "no longer beneath"));
  g_clear_error (&error);
  g_assert_cmpuint (fx->fake->umount_calls, ==, 0);
  g_assert_cmpuint (n_attachments (fx, m), ==, 1);
  g_assert_true (fake_backend_is_mounted (fx->fake, m));
}

/* A deferred (busy) unmount whose retry fails for another reason (EIO)
 * keeps being retried until it succeeds: nobody holds the mount any
 * more, and no caller is left to report the error to. */
static void
test_busy_retry_failure (Fixture      *fx,
                         gconstpointer data)
{
  g_autofree char   *m = mp (fx, "a");
  g_autoptr (GError) error = NULL;
  g_autofree char   *state = NULL;
  gboolean           unmounted = TRUE;

  g_assert_true (attach (fx, m, "vol1", &error));
  fx->fake->busy_umounts = 1;
  fx->fake->fail_umounts = 1;
  g_assert_true (detach (fx, m, "vol1", &unmounted, &error));
  g_assert_no_error (error);
  g_assert_false (unmounted);

  /* Busy, then EIO on the first retry (after 1 s), then the second retry
   * (2 s later) unmounts it. */
  iterate_until (fx, is_unmounted, m);
  g_assert_true (is_unmounted (fx, m));
  g_assert_cmpuint (fx->fake->umount_calls, ==, 3);
  g_assert_false (g_file_test (m, G_FILE_TEST_EXISTS));
  state = record_state (fx, m);
  g_assert_null (state);
}

/* The state directory turns read-only (remounted so, as an admin or the
 * kernel after an I/O error would): nothing that was not written is
 * acknowledged — a new mount is rolled back, a release refused — and once
 * the directory is writable again everything goes on, across a restart
 * too.  As root, in a private mount namespace. */
static void
test_state_read_only (Fixture      *fx,
                      gconstpointer data)
{
  g_autofree char   *a = mp (fx, "a");
  g_autofree char   *b = mp (fx, "b");
  g_autofree char   *c = mp (fx, "c");
  g_autoptr (GError) error = NULL;
  gboolean           unmounted = FALSE;

  if (!test_in_private_namespace ())
    return;
  g_assert_true (attach (fx, a, "vol1", &error));
  g_assert_no_error (error);
  g_assert_cmpint (mount (fx->state_dir, fx->state_dir, NULL, MS_BIND, NULL), ==, 0);
  g_assert_cmpint (mount (NULL, fx->state_dir, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL), ==, 0);

  g_assert_false (attach (fx, b, "vol1", &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, g_strerror (EROFS)));
  g_clear_error (&error);
  g_assert_false (fake_backend_is_mounted (fx->fake, b));
  g_assert_null (refmount_table_get_record (fx->table, b));

  g_assert_false (detach (fx, a, "vol1", &unmounted, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_cmpuint (n_attachments (fx, a), ==, 1);
  g_assert_true (fake_backend_is_mounted (fx->fake, a));

  g_assert_cmpint (umount2 (fx->state_dir, 0), ==, 0);
  g_assert_true (attach (fx, c, "vol1", &error));
  g_assert_no_error (error);
  restart (fx);
  g_assert_cmpuint (n_attachments (fx, a), ==, 1);
  g_assert_null (refmount_table_get_record (fx->table, b));
  g_assert_cmpuint (n_attachments (fx, c), ==, 1);
}

/* The state directory's file system fills up (a 16 KiB tmpfs): the change
 * that does not fit is refused and rolled back, and the state on disk
 * holds exactly the changes acknowledged before it. */
static void
test_state_full (Fixture      *fx,
                 gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *refused = NULL;
  guint              acknowledged = 0;

  if (!test_in_private_namespace ())
    return;
  refmount_table_free (fx->table);
  fx->table = NULL;
  g_assert_cmpint (mount ("refmount-test", fx->state_dir, "tmpfs", 0, "size=16k,mode=0755"), ==, 0);
  restart (fx);

  for (guint i = 0; i < 2000 && refused == NULL; i++)
    {
      g_autofree char *name = g_strdup_printf ("m%04u", i);
      g_autofree char *m = mp (fx, name);

      if (attach (fx, m, "vol1", &error))
        acknowledged++;
      else
        refused = g_steal_pointer (&m);
    }
  g_assert_nonnull (refused);
  g_test_message ("%u attachments fitted: %s", acknowledged, error->message);
  g_assert_cmpuint (acknowledged, >, 0);
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, g_strerror (ENOSPC)));
  g_assert_false (fake_backend_is_mounted (fx->fake, refused));
  g_assert_null (refmount_table_get_record (fx->table, refused));

  /* What a restart would load: every acknowledged attachment, and not the
   * refused one. */
  for (guint i = 0; i < acknowledged; i++)
    {
      g_autofree char           *name = g_strdup_printf ("m%04u", i);
      g_autofree char           *m = mp (fx, name);
      g_autoptr (RefmountRecord) record = disk_record (fx, m);

      g_assert_nonnull (record);
      g_assert_cmpuint (record->attachments->len, ==, 1);
    }
  {
    g_autoptr (RefmountRecord) record = disk_record (fx, refused);
    g_assert_null (record);
  }
  /* The fixture removes the directory on the host. */
  g_assert_cmpint (umount2 (fx->state_dir, MNT_DETACH), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  test_require_openat2 ();
  /* The paths under test log warnings on purpose; only criticals are bugs. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

  ADD ("/table/late/mount-failure", test_late_mount_failure);
  ADD ("/table/late/remount", test_late_remount);
  ADD ("/table/late/unmount-failure", test_late_unmount_failure);
  ADD ("/table/unmount/unreachable", test_unmount_unreachable);
  ADD ("/table/unmount/outside-roots", test_unmount_outside_roots);
  ADD ("/table/unmount/busy-retry-failure", test_busy_retry_failure);
  ADD ("/table/mount/stale-undo-timeout", test_stale_undo_timeout);
  ADD ("/table/state/read-only", test_state_read_only);
  ADD ("/table/state/full", test_state_full);

  return g_test_run ();
}
