/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "refmount-error.h"
#include "refmount-names.h"
#include "table-fixture.h"
#include "test-openat2.h"

static void
hang_path (FakeBackend *fake,
           const char  *path)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&fake->lock);

  g_free (fake->hang_path);
  fake->hang_path = g_strdup (path);
}

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
  hang_path (fx->fake, m);
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
  hang_path (fx->fake, m);
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
  g_assert_cmpstr (ra->state, ==, REFMOUNT_STATE_MOUNTED);
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

  ADD ("/table/timeout", test_timeout);
  ADD ("/table/unmount-timeout", test_unmount_timeout);
  ADD ("/table/restart", test_restart);
  ADD ("/table/corrupt-state", test_corrupt_state);
  ADD ("/table/release-bus-name", test_release_bus_name);
  ADD ("/table/hammer-one", test_hammer_one);
  ADD ("/table/hammer-many", test_hammer_many);

  return g_test_run ();
}
