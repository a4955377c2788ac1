/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tenant isolation (issue 10) over the fake backend: one caller (uid 1001,
 * the attacker) against another's mounts (uid 1000, the victim).
 */
#include "config.h"

#include <fcntl.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "refmount-error.h"
#include "refmount-names.h"
#include "table-fixture.h"

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
  refmount_table_check_vanished (fx->table);
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

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* Warnings (a vanished mount, a refused request) are expected here. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

  ADD ("/tenant/inside", test_inside);
  ADD ("/tenant/above", test_above);
  ADD ("/tenant/stale-and-busy", test_stale_and_busy);
  ADD ("/tenant/in-flight", test_in_flight);
  ADD ("/tenant/options-last-wins", test_options_last_wins);
  return g_test_run ();
}
