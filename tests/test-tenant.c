/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tenant isolation (issue 10) over the fake backend: one caller (uid 1001,
 * the attacker) against another's mounts (uid 1000, the victim).
 */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "refmount-error.h"
#include "refmount-names.h"
#include "table-fixture.h"
#include "test-openat2.h"

#define VICTIM   1000
#define ATTACKER 1001

static void
assert_conflict_naming (const GError *error,
                        const char   *other)
{
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_CONFLICT);
  g_assert_nonnull (strstr (error->message, other));
}

/* Finding 1: a Mount inside another caller's mount. */
static void
test_inside (Fixture      *fx,
             gconstpointer data)
{
  g_autofree char   *victim = mp (fx, "victim");
  g_autofree char   *images = mp (fx, "victim/images");
  g_autofree char   *deep = mp (fx, "victim/made/by/refmountd");
  g_autofree char   *made = mp (fx, "victim/made");
  g_autofree char   *sibling = mp (fx, "victim2");
  g_autoptr (GError) error = NULL;

  g_assert_true (attach_full (fx, victim, "victim-src", "v", VICTIM, NULL, &error));
  g_assert_no_error (error);

  g_assert_false (attach_full (fx, images, "evil", "a", ATTACKER, NULL, &error));
  assert_conflict_naming (error, victim);
  g_clear_error (&error);
  g_assert_false (attach_full (fx, deep, "evil", "a", ATTACKER, NULL, &error));
  assert_conflict_naming (error, victim);
  g_clear_error (&error);
  /* Nothing was created inside the victim's mountpoint, nothing mounted. */
  g_assert_false (g_file_test (made, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (images, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (fx->fake->mount_calls, ==, 1);
  g_assert_null (refmount_table_get_record (fx->table, images));

  /* A name that merely starts with the same characters is no descendant. */
  g_assert_true (attach_full (fx, sibling, "other", "a", ATTACKER, NULL, &error));
  g_assert_no_error (error);
}

/* Finding 2: a Mount above another caller's mount. */
static void
test_above (Fixture      *fx,
            gconstpointer data)
{
  g_autofree char   *vol = mp (fx, "proj/vol");
  g_autofree char   *proj = mp (fx, "proj");
  g_autofree char   *state = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (attach_full (fx, vol, "victim-src", "v", VICTIM, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (attach_full (fx, proj, "evil", "a", ATTACKER, NULL, &error));
  assert_conflict_naming (error, vol);
  g_assert_cmpuint (fx->fake->mount_calls, ==, 1);
  g_assert_false (fake_backend_is_mounted (fx->fake, proj));
  state = record_state (fx, vol);
  g_assert_cmpstr (state, ==, REFMOUNT_STATE_MOUNTED);
  /* Not even root gets past it: the rule is about the tree. */
  g_clear_error (&error);
  g_assert_false (attach_full (fx, proj, "evil", "a", 0, NULL, &error));
  assert_conflict_naming (error, vol);
}

/* Stale and busy records keep their place in the tree. */
static void
test_stale_and_busy (Fixture      *fx,
                     gconstpointer data)
{
  g_autofree char   *s = mp (fx, "s");
  g_autofree char   *sx = mp (fx, "s/x");
  g_autofree char   *b = mp (fx, "b/deep");
  g_autofree char   *bup = mp (fx, "b");
  g_autofree char   *state = NULL;
  g_autoptr (GError) error = NULL;
  gboolean           unmounted = TRUE;

  g_assert_true (attach_full (fx, s, "victim-src", "v", VICTIM, NULL, &error));
  fake_backend_set_unmounted (fx->fake, s);
  refmount_table_check_vanished (fx->table, 5, G_MAXINT64);
  state = record_state (fx, s);
  g_assert_cmpstr (state, ==, REFMOUNT_STATE_STALE);
  g_assert_false (attach_full (fx, sx, "evil", "a", ATTACKER, NULL, &error));
  assert_conflict_naming (error, s);
  g_clear_error (&error);

  g_assert_true (attach_full (fx, b, "victim-src", "v", VICTIM, NULL, &error));
  fx->fake->busy_umounts = 1;
  g_assert_true (detach_full (fx, b, "v", VICTIM, FALSE, &unmounted, NULL, &error));
  g_assert_false (unmounted);
  g_clear_pointer (&state, g_free);
  state = record_state (fx, b);
  g_assert_cmpstr (state, ==, REFMOUNT_STATE_BUSY);
  g_assert_false (attach_full (fx, bup, "evil", "a", ATTACKER, NULL, &error));
  assert_conflict_naming (error, b);
}

typedef struct
{
  Fixture    *fx;
  const char *mountpoint;
  const char *attachment;
  guint32     uid;
  gboolean    ok;
  GError     *error;
} AttachJob;

static gpointer
attach_thread (gpointer data)
{
  AttachJob *job = data;

  job->ok = attach_full (job->fx, job->mountpoint, "src", job->attachment, job->uid, NULL, &job->error);
  return NULL;
}

static guint
fake_in_call (Fixture *fx)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&fx->fake->lock);

  return fx->fake->in_call;
}

/* An in-flight mount counts too: while the victim's Mount of race/vol is
 * inside mount(2), the attacker's Mount of race is refused; and the other
 * way round.  Exactly one of two overlapping requests wins. */
static void
test_in_flight (Fixture      *fx,
                gconstpointer data)
{
  g_autofree char   *vol = mp (fx, "race/vol");
  g_autofree char   *race = mp (fx, "race");
  g_autofree char   *up = mp (fx, "up");
  g_autofree char   *down = mp (fx, "up/down");
  g_autoptr (GError) error = NULL;
  AttachJob          job = { fx, NULL, "v", VICTIM, FALSE, NULL };
  GThread           *thread;

  for (guint round = 0; round < 2; round++)
    {
      const char *first = round == 0 ? vol : up;
      const char *second = round == 0 ? race : down;

      job.mountpoint = first;
      {
        g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&fx->fake->lock);
        g_free (fx->fake->hang_path);
        fx->fake->hang_path = g_strdup (first);
      }
      thread = g_thread_new ("victim", attach_thread, &job);
      while (fake_in_call (fx) == 0)
        g_usleep (1000);
      g_assert_false (attach_full (fx, second, "evil", "a", ATTACKER, NULL, &error));
      assert_conflict_naming (error, first);
      g_clear_error (&error);
      fake_backend_release_hang (fx->fake);
      g_thread_join (thread);
      g_assert_no_error (job.error);
      g_assert_true (job.ok);
      g_assert_false (fake_backend_is_mounted (fx->fake, second));
    }
}

/* Finding 3: options compared as sets but applied in order. */
static void
test_options_last_wins (Fixture      *fx,
                        gconstpointer data)
{
  g_autofree char   *m = mp (fx, "opts");
  g_autofree char   *s = mp (fx, "sizes");
  g_autoptr (GError) error = NULL;
  const char        *ro_rw[] = { "ro", "rw", NULL };
  const char        *rw_ro[] = { "rw", "ro", NULL };
  const char        *s21[] = { "size=2m", "size=1m", NULL };
  const char        *s12[] = { "size=1m", "size=2m", NULL };

  g_assert_true (attach_full (fx, m, "src", "v", VICTIM, ro_rw, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (fx->fake->last_options, ==, "rw,nosuid,nodev");
  g_assert_false (attach_full (fx, m, "src", "a", ATTACKER, rw_ro, &error));
  assert_conflict_naming (error, m);
  g_clear_error (&error);

  g_assert_true (attach_full (fx, s, "src", "v", VICTIM, s21, &error));
  g_assert_cmpstr (fx->fake->last_options, ==, "size=1m,nosuid,nodev");
  g_assert_false (attach_full (fx, s, "src", "a", ATTACKER, s12, &error));
  assert_conflict_naming (error, s);
  g_assert_cmpuint (n_attachments (fx, m), ==, 1);
  g_assert_cmpuint (n_attachments (fx, s), ==, 1);
}

/* Finding 4: a per-uid limit counted committed attachments only, so
 * Mounts in flight all passed it. */
static void
run_concurrent (Fixture *fx,
                guint32  uid,
                guint    n,
                guint   *out_ok,
                guint   *out_limited)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  AttachJob            *jobs = g_new0 (AttachJob, n);
  GThread             **threads = g_new0 (GThread *, n);

  *out_ok = *out_limited = 0;
  for (guint i = 0; i < n; i++)
    {
      char *name = g_strdup_printf ("c%u", i);

      g_ptr_array_add (names, mp (fx, name));
      g_free (name);
      jobs[i] = (AttachJob){ fx, g_ptr_array_index (names, i), "a", uid, FALSE, NULL };
      threads[i] = g_thread_new ("attach", attach_thread, &jobs[i]);
    }
  for (guint i = 0; i < n; i++)
    {
      g_thread_join (threads[i]);
      if (jobs[i].ok)
        (*out_ok)++;
      else if (g_error_matches (jobs[i].error, REFMOUNT_ERROR, REFMOUNT_ERROR_LIMIT_EXCEEDED))
        (*out_limited)++;
      else
        g_error ("unexpected error: %s", jobs[i].error->message);
      g_clear_error (&jobs[i].error);
    }
  g_free (jobs);
  g_free (threads);
}

static void
test_uid_limit_in_flight (Fixture      *fx,
                          gconstpointer data)
{
  g_autofree char   *won = NULL;
  g_autofree char   *extra = mp (fx, "extra");
  g_autoptr (GError) error = NULL;
  guint              ok = 0, limited = 0;
  gboolean           unmounted = FALSE;

  fx->config->max_attachments_per_user = 3;
  fx->fake->mount_delay_ms = 200;
  run_concurrent (fx, ATTACKER, 20, &ok, &limited);
  g_assert_cmpuint (ok, ==, 3);
  g_assert_cmpuint (limited, ==, 17);
  g_assert_cmpuint (fx->fake->mount_calls, ==, 3);
  /* Another uid is not affected. */
  g_assert_true (attach_full (fx, extra, "src", "v", VICTIM, NULL, &error));
  g_assert_no_error (error);

  /* A failed mount gives its slot back.  Which three won is up to the
   * scheduler: release one of them. */
  for (guint i = 0; i < 20 && won == NULL; i++)
    {
      g_autofree char *name = g_strdup_printf ("c%u", i);
      g_autofree char *m = mp (fx, name);

      if (n_attachments (fx, m) == 1)
        won = g_steal_pointer (&m);
    }
  g_assert_nonnull (won);
  fx->fake->mount_delay_ms = 0;
  g_assert_true (detach_full (fx, won, "a", ATTACKER, FALSE, &unmounted, NULL, &error));
  g_assert_no_error (error);
  fx->fake->fail_mounts = 1;
  g_assert_false (attach_full (fx, won, "src", "a", ATTACKER, NULL, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_MOUNT_FAILED);
  g_clear_error (&error);
  g_assert_true (attach_full (fx, won, "src", "a", ATTACKER, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (attach_full (fx, extra, "src", "a2", ATTACKER, NULL, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_LIMIT_EXCEEDED);
}

/* MaxMounts counts mounts in flight too (their entries are in the table
 * from the start). */
static void
test_max_mounts_in_flight (Fixture      *fx,
                           gconstpointer data)
{
  guint ok = 0, limited = 0;

  fx->config->max_mounts = 3;
  fx->fake->mount_delay_ms = 200;
  run_concurrent (fx, ATTACKER, 20, &ok, &limited);
  g_assert_cmpuint (ok, ==, 3);
  g_assert_cmpuint (limited, ==, 17);
}

/* Finding 5: every fd the table keeps on a mountpoint is close-on-exec,
 * so no helper (another caller's mount) inherits it. */
static void
test_fds_cloexec (Fixture      *fx,
                  gconstpointer data)
{
  g_autofree char   *a = mp (fx, "fd-a");
  g_autofree char   *b = mp (fx, "fd-b");
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir)   dir = NULL;
  const char        *name;
  guint              seen = 0;

  g_assert_true (attach_full (fx, a, "src", "v", VICTIM, NULL, &error));
  g_assert_true (attach_full (fx, b, "src", "v", VICTIM, NULL, &error));
  g_assert_no_error (error);

  dir = g_dir_open ("/proc/self/fd", 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *link = g_build_filename ("/proc/self/fd", name, NULL);
      g_autofree char *target = g_file_read_link (link, NULL);
      int              fd = atoi (name);

      if (target == NULL || !g_str_has_prefix (target, fx->root))
        continue;
      seen++;
      g_test_message ("fd %d -> %s", fd, target);
      g_assert_cmpint (fcntl (fd, F_GETFD) & FD_CLOEXEC, ==, FD_CLOEXEC);
    }
  /* The table holds the directory of each mount it made. */
  g_assert_cmpuint (seen, >=, 2);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* Warnings (a vanished mount, a refused request) are expected here. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  test_require_openat2 ();

  ADD ("/tenant/inside", test_inside);
  ADD ("/tenant/above", test_above);
  ADD ("/tenant/stale-and-busy", test_stale_and_busy);
  ADD ("/tenant/in-flight", test_in_flight);
  ADD ("/tenant/options-last-wins", test_options_last_wins);
  ADD ("/tenant/uid-limit-in-flight", test_uid_limit_in_flight);
  ADD ("/tenant/max-mounts-in-flight", test_max_mounts_in_flight);
  ADD ("/tenant/fds-cloexec", test_fds_cloexec);
  return g_test_run ();
}
