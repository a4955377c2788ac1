/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include "refmount-error.h"
#include "refmount-names.h"
#include "table-fixture.h"
#include "test-openat2.h"

static gboolean
is_gone (Fixture    *fx,
         const char *m)
{
  g_autoptr (RefmountRecord) record = refmount_table_get_record (fx->table, m);

  return record == NULL && !fake_backend_is_mounted (fx->fake, m) &&
         refmount_table_get_abandoned (fx->table) == 0;
}

/* A hung mount times out for its caller, blocks neither other
 * mountpoints nor later callers beyond the deadline, and is undone when
 * it finally returns. */
static void
test_timeout (Fixture      *fx,
              gconstpointer data)
{
  g_autofree char   *m = mp (fx, "hung");
  g_autofree char   *other = mp (fx, "fine");
  g_autoptr (GError) error = NULL;

  fx->config->mount_timeout_sec = 1;
  fake_backend_hang_path (fx->fake, m);
  g_assert_false (attach (fx, m, "vol1", &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (error->message, m));
  g_clear_error (&error);
  g_assert_cmpuint (refmount_table_get_abandoned (fx->table), ==, 1);

  /* Another mountpoint is unaffected. */
  g_assert_true (attach (fx, other, "vol1", &error));
  g_assert_no_error (error);

  /* A second caller on the hung mountpoint gets Timeout too. */
  g_assert_false (attach (fx, m, "vol2", &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT);
  g_clear_error (&error);

  /* When the kernel finally returns, the mount nobody holds is undone. */
  fake_backend_release_hang (fx->fake);
  iterate_until (fx, is_gone, m);
  g_assert_true (is_gone (fx, m));
  g_assert_false (g_file_test (m, G_FILE_TEST_EXISTS));

  /* And the mountpoint works again. */
  g_assert_true (attach (fx, m, "vol1", &error));
  g_assert_no_error (error);
}

static void
test_unmount_timeout (Fixture      *fx,
                      gconstpointer data)
{
  g_autofree char   *m = mp (fx, "hung");
  g_autoptr (GError) error = NULL;
  gboolean           unmounted = FALSE;

  fx->config->mount_timeout_sec = 1;
  g_assert_true (attach (fx, m, "vol1", &error));
  fake_backend_hang_path (fx->fake, m);
  g_assert_false (detach (fx, m, "vol1", &unmounted, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT);
  fake_backend_release_hang (fx->fake);
  iterate_until (fx, is_gone, m);
  g_assert_true (is_gone (fx, m));
}

static RefmountTable *
restart (Fixture                   *fx,
         RefmountTableNameAliveFunc alive)
{
  g_autoptr (GError) error = NULL;

  refmount_table_free (fx->table);
  fx->table = refmount_table_new (&fx->fake->parent, fx->state_dir, fx->context, NULL, NULL);
  g_assert_true (refmount_table_start (fx->table, fx->config, alive, NULL, &error));
  g_assert_no_error (error);
  return fx->table;
}

static gboolean
nobody_alive (const char *name,
              gpointer    data)
{
  return FALSE;
}

static void
test_restart (Fixture      *fx,
              gconstpointer data)
{
  g_autofree char           *a = mp (fx, "a");
  g_autofree char           *b = mp (fx, "b");
  g_autofree char           *c = mp (fx, "c");
  g_autoptr (GError)         error = NULL;
  g_autoptr (RefmountRecord) ra = NULL;
  g_autofree char           *state_b = NULL;
  guint64                    generation = refmount_table_get_generation (fx->table);
  RefmountAttachRequest      roe = { "tmpfs", "src", NULL, NULL, "roe", 1000, 1, TRUE, ":1.99" };
  gboolean                   unmounted = FALSE;

  g_assert_true (attach (fx, a, "v1", &error));
  g_assert_true (attach (fx, a, "v2", &error));
  g_assert_true (attach (fx, b, "v1", &error));
  roe.mountpoint = c;
  g_assert_true (refmount_table_attach (fx->table, fx->config, &roe, &error));
  g_assert_no_error (error);

  /* b vanished from the kernel while we were down; c's only attachment
   * belonged to a client that is gone. */
  fake_backend_set_unmounted (fx->fake, b);
  restart (fx, nobody_alive);

  g_assert_cmpuint (refmount_table_get_generation (fx->table), ==, generation + 1);
  ra = refmount_table_get_record (fx->table, a);
  g_assert_nonnull (ra);
  g_assert_cmpuint (ra->attachments->len, ==, 2);
  g_assert_cmpint (ra->state, ==, REFMOUNT_MOUNT_STATE_MOUNTED);
  state_b = record_state (fx, b);
  g_assert_cmpstr (state_b, ==, REFMOUNT_STATE_STALE);
  /* c: mounted, no attachments left → unmounted by the retry. */
  iterate_until (fx, is_unmounted, c);
  g_assert_true (is_unmounted (fx, c));

  /* The next Mount of a stale record remounts it. */
  g_assert_true (attach (fx, b, "v2", &error));
  g_assert_no_error (error);
  g_assert_true (fake_backend_is_mounted (fx->fake, b));
  g_assert_cmpuint (n_attachments (fx, b), ==, 2);

  /* A stale record whose remount fails keeps its attachments. */
  fake_backend_set_unmounted (fx->fake, a);
  restart (fx, NULL);
  fx->fake->fail_mounts = 1;
  g_assert_false (attach (fx, a, "v3", &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_MOUNT_FAILED);
  g_clear_error (&error);
  g_assert_cmpuint (n_attachments (fx, a), ==, 2);

  /* Detaching everything from a stale record drops it without umount. */
  g_assert_true (detach (fx, a, "v1", &unmounted, &error));
  g_assert_true (detach (fx, a, "v2", &unmounted, &error));
  g_assert_no_error (error);
  g_assert_true (unmounted);
  g_assert_null (refmount_table_get_record (fx->table, a));
  /* ... and removes the directory refmount created for it (a path walk:
   * on the runner, under the call's deadline). */
  g_assert_false (g_file_test (a, G_FILE_TEST_EXISTS));
}

static gboolean
dir_gone (Fixture    *fx,
          const char *m)
{
  return !g_file_test (m, G_FILE_TEST_EXISTS);
}

/* A record that is not mounted and has no attachments left is dropped at
 * the start, and the directory refmount created for it removed.  That
 * rmdir(2) may wait on a filesystem that does not answer (a mount root on
 * NFS whose server is down at boot), so the start only schedules it: it
 * runs on the runner's pool once the table's context runs, never on the
 * thread that has yet to own the bus name (integration-fuse-hang-dirs). */
static void
test_restart_drop_removes_dir (Fixture      *fx,
                               gconstpointer data)
{
  g_autofree char      *c = mp (fx, "c");
  g_autoptr (GError)    error = NULL;
  RefmountAttachRequest roe = { "tmpfs", "src", NULL, NULL, "roe", 1000, 1, TRUE, ":1.99" };

  roe.mountpoint = c;
  g_assert_true (refmount_table_attach (fx->table, fx->config, &roe, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (c, G_FILE_TEST_IS_DIR));

  fake_backend_set_unmounted (fx->fake, c);
  restart (fx, nobody_alive);
  g_assert_null (refmount_table_get_record (fx->table, c));
  g_assert_true (g_file_test (c, G_FILE_TEST_IS_DIR));
  iterate_until (fx, dir_gone, c);
  g_assert_true (dir_gone (fx, c));
}

static void
test_corrupt_state (Fixture      *fx,
                    gconstpointer data)
{
  g_autofree char *state = g_build_filename (fx->state_dir, REFMOUNT_STATE_FILE_NAME, NULL);
  g_autoptr (GDir) dir = NULL;
  const char      *name;
  gboolean         moved = FALSE;

  g_assert_true (g_file_set_contents (state, "garbage", -1, NULL));
  restart (fx, NULL);
  dir = g_dir_open (fx->state_dir, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, REFMOUNT_STATE_CORRUPT_PREFIX))
      moved = TRUE;
  g_assert_true (moved);
}

static void
test_release_bus_name (Fixture      *fx,
                       gconstpointer data)
{
  g_autofree char      *m = mp (fx, "a");
  g_autoptr (GError)    error = NULL;
  RefmountAttachRequest roe = { "tmpfs", "src", NULL, NULL, "roe", 1000, 1, TRUE, ":1.42" };
  RefmountAttachRequest other = { "tmpfs", "src", NULL, NULL, "plain", 1000, 1, FALSE, ":1.42" };

  roe.mountpoint = m;
  other.mountpoint = m;
  g_assert_true (refmount_table_attach (fx->table, fx->config, &roe, &error));
  g_assert_true (refmount_table_attach (fx->table, fx->config, &other, &error));
  refmount_table_release_bus_name (fx->table, fx->config, ":1.7");
  g_assert_cmpuint (n_attachments (fx, m), ==, 2);
  refmount_table_release_bus_name (fx->table, fx->config, ":1.42");
  g_assert_cmpuint (n_attachments (fx, m), ==, 1);
  g_assert_true (fake_backend_is_mounted (fx->fake, m));
}

/* ---- the state journal ----------------------------------------------------- */

static struct rlimit saved_fsize;

/* RLIMIT_FSIZE stands in for a full state directory (EFBIG, SIGXFSZ
 * ignored): appends beyond @bytes fail. */
static void
limit_file_size (rlim_t bytes)
{
  struct rlimit limit = saved_fsize;

  limit.rlim_cur = bytes;
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);
}

static gsize
journal_size (Fixture *fx)
{
  g_autofree char *path = g_build_filename (fx->state_dir, REFMOUNT_JOURNAL_FILE_NAME, NULL);
  GStatBuf         st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return (gsize) st.st_size;
}

static guint64
journal_epoch (Fixture *fx)
{
  g_autofree char   *path = g_build_filename (fx->state_dir, REFMOUNT_JOURNAL_FILE_NAME, NULL);
  g_autofree char   *contents = NULL;
  g_autoptr (GError) error = NULL;
  gsize              length = 0;
  guint64            epoch;

  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (length, >=, 24);
  memcpy (&epoch, contents + 16, sizeof epoch);
  return GUINT64_FROM_LE (epoch);
}

static void
assert_nothing_moved_aside (Fixture *fx)
{
  g_autoptr (GDir) dir = g_dir_open (fx->state_dir, 0, NULL);
  const char      *name;

  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_false (g_str_has_prefix (name, REFMOUNT_STATE_CORRUPT_PREFIX) ||
                    g_str_has_prefix (name, REFMOUNT_JOURNAL_CORRUPT_PREFIX));
}

/* Appends that fail are rolled back; their frames and the frames undoing
 * them are written, in order, by the next append that succeeds. */
static void
test_journal_append_failure (Fixture      *fx,
                             gconstpointer data)
{
  g_autofree char   *a = mp (fx, "a");
  g_autofree char   *b = mp (fx, "b");
  g_autofree char   *c = mp (fx, "c");
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) detach_error = NULL;
  gboolean           unmounted = FALSE;
  gboolean           attached, detached;

  g_assert_true (attach (fx, a, "v1", &error));
  g_assert_no_error (error);

  limit_file_size (journal_size (fx));
  attached = attach (fx, b, "v1", &error);
  detached = detach (fx, a, "v1", &unmounted, &detach_error);
  limit_file_size (saved_fsize.rlim_cur);
  g_assert_false (attached);
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_false (detached);
  g_assert_error (detach_error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED);
  g_assert_false (fake_backend_is_mounted (fx->fake, b));
  g_assert_null (refmount_table_get_record (fx->table, b));
  g_assert_true (fake_backend_is_mounted (fx->fake, a));
  g_assert_cmpuint (n_attachments (fx, a), ==, 1);

  g_assert_true (attach (fx, c, "v1", &error));
  g_assert_no_error (error);
  restart (fx, NULL);
  assert_nothing_moved_aside (fx);
  g_assert_cmpuint (n_attachments (fx, a), ==, 1);
  g_assert_null (refmount_table_get_record (fx->table, b));
  g_assert_cmpuint (n_attachments (fx, c), ==, 1);
}

static RefmountEntry *
commit_record (Fixture    *fx,
               const char *mountpoint)
{
  g_autoptr (GError) error = NULL;
  RefmountEntry     *entry;
  RefmountRecord    *record = refmount_record_new ();

  entry = refmount_table_lock_entry (fx->table, mountpoint, TRUE, 0, G_MAXINT64, &error);
  g_assert_no_error (error);
  record->mountpoint = g_strdup (mountpoint);
  record->source = g_strdup ("src");
  record->fstype = g_strdup ("tmpfs");
  record->state = REFMOUNT_MOUNT_STATE_MOUNTED;
  g_ptr_array_add (record->attachments, refmount_attachment_new ("v1", 1000, 1, FALSE, NULL));
  entry->record = record;
  refmount_table_commit (fx->table, entry);
  return entry;
}

/* Two changes in one group commit whose write fails: the second caller,
 * finding its change in the failed batch, must not be told it is
 * durable. */
static void
test_journal_failed_group (Fixture      *fx,
                           gconstpointer data)
{
  g_autofree char   *m1 = mp (fx, "g1");
  g_autofree char   *m2 = mp (fx, "g2");
  g_autoptr (GError) error1 = NULL;
  g_autoptr (GError) error2 = NULL;
  g_autoptr (GError) error3 = NULL;
  RefmountEntry     *e1 = commit_record (fx, m1);
  RefmountEntry     *e2 = commit_record (fx, m2);
  gboolean           first, second;

  limit_file_size (journal_size (fx) + 10);
  first = refmount_table_write_state (fx->table, &error1);
  second = refmount_table_write_state (fx->table, &error2);
  limit_file_size (saved_fsize.rlim_cur);
  g_assert_false (first);
  g_assert_nonnull (error1);
  g_assert_false (second);
  g_assert_nonnull (error2);

  g_assert_true (refmount_table_write_state (fx->table, &error3));
  g_assert_no_error (error3);
  refmount_table_unlock_entry (fx->table, e1);
  refmount_table_unlock_entry (fx->table, e2);
  restart (fx, NULL);
  assert_nothing_moved_aside (fx);
  /* Not in the (fake) kernel: back as stale, with their attachment. */
  g_assert_cmpuint (n_attachments (fx, m1), ==, 1);
  g_assert_cmpuint (n_attachments (fx, m2), ==, 1);
}

/* The journal is compacted when it outgrows its bound, during operation,
 * and what was compacted loads as it was. */
static void
test_journal_compacts (Fixture      *fx,
                       gconstpointer data)
{
  g_autofree char   *keep = mp (fx, "keep");
  g_autoptr (GError) error = NULL;
  guint64            epoch = journal_epoch (fx);
  gsize              largest = 0;
  gboolean           unmounted = FALSE;

  refmount_journal_set_compact_min (fx->table->journal, 4096);
  g_assert_true (attach (fx, keep, "k", &error));
  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *m = g_strdup_printf ("%s/cycle%u", fx->root, i % 3);

      g_assert_true (attach (fx, m, "v", &error));
      g_assert_true (detach (fx, m, "v", &unmounted, &error));
      g_assert_no_error (error);
      g_assert_true (unmounted);
      largest = MAX (largest, journal_size (fx));
    }
  /* Bounded by the minimum plus one write of a few frames. */
  g_assert_cmpuint (largest, <, 4096 + 2048);
  g_assert_cmpuint (journal_epoch (fx), >, epoch + 5);
  restart (fx, NULL);
  assert_nothing_moved_aside (fx);
  g_assert_cmpuint (n_attachments (fx, keep), ==, 1);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *m = g_strdup_printf ("%s/cycle%u", fx->root, i);
      g_assert_null (refmount_table_get_record (fx->table, m));
    }
}

/* ---- hammer ---------------------------------------------------------------- */

#define HAMMER_THREADS 8
#define HAMMER_OPS     400

typedef struct
{
  Fixture *fx;
  guint    n_mountpoints;
  int      seed;
  guint    failures;
} HammerArgs;

static gpointer
hammer_thread (gpointer data)
{
  HammerArgs       *args = data;
  g_autoptr (GRand) rand = g_rand_new_with_seed (args->seed);

  for (int i = 0; i < HAMMER_OPS; i++)
    {
      g_autofree char   *m = g_strdup_printf ("%s/h%u", args->fx->root,
                                              g_rand_int_range (rand, 0, args->n_mountpoints));
      g_autofree char   *id = g_strdup_printf ("t%d-a%d", args->seed, g_rand_int_range (rand, 0, 3));
      g_autoptr (GError) error = NULL;
      gboolean           unmounted;

      if (g_rand_boolean (rand))
        {
          if (!attach (args->fx, m, id, &error))
            args->failures++;
        }
      else if (!detach (args->fx, m, id, &unmounted, &error) &&
               !g_error_matches (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND) &&
               !g_error_matches (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_ATTACHED))
        args->failures++;
    }
  return NULL;
}

static void
check_invariants (Fixture *fx,
                  guint    n_mountpoints)
{
  for (guint i = 0; i < n_mountpoints; i++)
    {
      g_autofree char           *m = g_strdup_printf ("%s/h%u", fx->root, i);
      g_autoptr (RefmountRecord) record = refmount_table_get_record (fx->table, m);
      gboolean                   mounted = fake_backend_is_mounted (fx->fake, m);

      /* mounted ⇔ at least one attachment */
      if (record != NULL)
        {
          g_assert_cmpuint (record->attachments->len, >, 0);
          g_assert_true (mounted);
        }
      else
        g_assert_false (mounted);
    }
  g_assert_cmpuint (fx->fake->max_mounts_per_path_seen, <=, 1);
}

static void
hammer (Fixture *fx,
        guint    n_mountpoints)
{
  HammerArgs args[HAMMER_THREADS];
  GThread   *threads[HAMMER_THREADS];

  for (int i = 0; i < HAMMER_THREADS; i++)
    {
      args[i] = (HammerArgs){ fx, n_mountpoints, i + 1, 0 };
      threads[i] = g_thread_new ("hammer", hammer_thread, &args[i]);
    }
  for (int i = 0; i < HAMMER_THREADS; i++)
    {
      g_thread_join (threads[i]);
      g_assert_cmpuint (args[i].failures, ==, 0);
    }
  check_invariants (fx, n_mountpoints);
  /* The persisted state agrees with memory after a restart. */
  restart (fx, NULL);
  check_invariants (fx, n_mountpoints);
}

static void
test_hammer_one (Fixture      *fx,
                 gconstpointer data)
{
  hammer (fx, 1);
  g_assert_cmpuint (fx->fake->max_mounts_per_path_seen, <=, 1);
}

static void
test_hammer_many (Fixture      *fx,
                  gconstpointer data)
{
  hammer (fx, 16);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  test_require_openat2 ();
  /* Failure paths log warnings on purpose; only criticals are bugs. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved_fsize), ==, 0);

  ADD ("/table/timeout", test_timeout);
  ADD ("/table/unmount-timeout", test_unmount_timeout);
  ADD ("/table/restart", test_restart);
  ADD ("/table/restart/drop-removes-dir", test_restart_drop_removes_dir);
  ADD ("/table/corrupt-state", test_corrupt_state);
  ADD ("/table/release-bus-name", test_release_bus_name);
  ADD ("/table/journal-append-failure", test_journal_append_failure);
  ADD ("/table/journal-failed-group", test_journal_failed_group);
  ADD ("/table/journal-compacts", test_journal_compacts);
  ADD ("/table/hammer-one", test_hammer_one);
  ADD ("/table/hammer-many", test_hammer_many);

  return g_test_run ();
}
