/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rate-limited denial log (helper/refmount-daemon-denials.c): per
 * uid, the first BURST denials of a window in full and the rest as one
 * count when the window ends; at most UIDS_MAX uids counted at once;
 * admission refusals as one line per window.  The test drives the
 * window's clock (which windows have ended is then exact) and shortens
 * the flush timer to one real second, whose firing it waits for.
 */
#include "config.h"

#include <string.h>

#include "refmount-daemon-private.h"
#include "refmount-error.h"

#define WINDOW_SEC 1
#define WINDOW     (WINDOW_SEC * G_USEC_PER_SEC)
/* Bound on waiting for a timer of WINDOW_SEC (g_timeout_add_seconds may
 * fire up to a second late), generous for a loaded machine. */
#define WAIT_SEC 30

static gint64 fake_now;

static gint64
fake_clock (void)
{
  return fake_now;
}

static GPtrArray *lines; /* "EVENT: MESSAGE" of each audit event */

static GLogWriterOutput
capture_writer (GLogLevelFlags   level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  const char *event = NULL, *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_str_equal (fields[i].key, "REFMOUNT_EVENT"))
        event = fields[i].value;
      else if (g_str_equal (fields[i].key, "MESSAGE"))
        message = fields[i].value;
    }
  if (event == NULL)
    return g_log_writer_default (level, fields, n_fields, user_data);
  /* Only the main thread logs here (the daemon's rule for this file). */
  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  g_ptr_array_add (lines, g_strdup (message));
  return G_LOG_WRITER_HANDLED;
}

typedef struct
{
  Daemon daemon;
} Fixture;

static void
fixture_setup (Fixture      *f,
               gconstpointer data)
{
  f->daemon.admission = refmount_admission_new ();
  refmount_daemon_denials_init (&f->daemon);
  f->daemon.denials_clock = fake_clock;
  f->daemon.denials_window_sec = WINDOW_SEC;
  fake_now = 1000 * G_USEC_PER_SEC;
  lines = g_ptr_array_new_with_free_func (g_free);
  /* The daemon's main thread owns the default context while it runs:
   * refusals counted on another thread then reach it as an idle. */
  g_assert_true (g_main_context_acquire (NULL));
}

static void
fixture_teardown (Fixture      *f,
                  gconstpointer data)
{
  if (f->daemon.denials_flush != 0)
    g_source_remove (f->daemon.denials_flush);
  g_hash_table_destroy (f->daemon.denials);
  refmount_admission_free (f->daemon.admission);
  g_clear_pointer (&lines, g_ptr_array_unref);
  g_main_context_release (NULL);
}

static void
deny (Fixture    *f,
      guint32     uid,
      const char *method)
{
  RefmountLogContext ctx = { "/mnt/x", "src", "tmpfs", "a", uid, 4242 };
  g_autoptr (GError) error = g_error_new (REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_AUTHORIZED, "Not authorized to %s",
                                          method);

  refmount_daemon_log_denied (&f->daemon, method, &ctx, error);
}

/* How many captured lines since @from contain @needle. */
static guint
count_lines (guint       from,
             const char *needle)
{
  guint n = 0;

  for (guint i = from; i < lines->len; i++)
    n += strstr (g_ptr_array_index (lines, i), needle) != NULL;
  return n;
}

static void
dump_lines (void)
{
  for (guint i = 0; i < lines->len; i++)
    g_test_message ("log: %s", (const char *) g_ptr_array_index (lines, i));
}

static gboolean
timed_out_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Run the main loop until the flush timer has run and said something
 * (the log grows past @lines_before) or removed itself; fails after
 * WAIT_SEC. */
static void
wait_for_flush (Fixture *f,
                guint    lines_before)
{
  gboolean timed_out = FALSE;
  guint    timeout = g_timeout_add_seconds (WAIT_SEC, timed_out_cb, &timed_out);

  while (!timed_out && lines->len == lines_before && f->daemon.denials_flush != 0)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    {
      dump_lines ();
      g_error ("the denial log was not flushed within %d s", WAIT_SEC);
    }
  g_source_remove (timeout);
}

/* The first BURST denials of a window in full, the rest as one count
 * when the window has ended; then the timer stops. */
static void
test_burst_then_count (Fixture      *f,
                       gconstpointer data)
{
  g_autofree char *count = NULL;

  for (guint i = 0; i < REFMOUNT_DENIALS_BURST + 3; i++)
    deny (f, 1000, "Mount");
  g_assert_cmpuint (lines->len, ==, REFMOUNT_DENIALS_BURST);
  g_assert_cmpuint (count_lines (0, "denied: Mount denied: Not authorized to Mount [mountpoint=\"/mnt/x\""), ==,
                    REFMOUNT_DENIALS_BURST);
  g_assert_cmpuint (count_lines (0, "uid=\"1000\" pid=\"4242\"]"), ==, REFMOUNT_DENIALS_BURST);
  g_assert_cmpuint (f->daemon.denials_flush, !=, 0);

  fake_now += WINDOW;
  wait_for_flush (f, lines->len);
  dump_lines ();
  count = g_strdup_printf ("denied: 3 more calls of uid 1000 denied in the last %d s (logged as this count)",
                           WINDOW_SEC);
  g_assert_cmpuint (lines->len, ==, REFMOUNT_DENIALS_BURST + 1);
  g_assert_cmpuint (count_lines (REFMOUNT_DENIALS_BURST, count), ==, 1);
  g_assert_cmpuint (count_lines (REFMOUNT_DENIALS_BURST, "uid=\"1000\" pid=-]"), ==, 1);
  g_assert_cmpuint (g_hash_table_size (f->daemon.denials), ==, 0);
  /* Nothing left to count: the timer removed itself. */
  g_assert_cmpuint (f->daemon.denials_flush, ==, 0);

  /* A window with nothing suppressed ends without a line. */
  deny (f, 1000, "Unmount");
  g_assert_cmpuint (lines->len, ==, REFMOUNT_DENIALS_BURST + 2);
  g_assert_cmpuint (f->daemon.denials_flush, !=, 0);
  fake_now += WINDOW;
  wait_for_flush (f, lines->len);
  g_assert_cmpuint (lines->len, ==, REFMOUNT_DENIALS_BURST + 2);
  g_assert_cmpuint (f->daemon.denials_flush, ==, 0);
}

/* Each uid has a window of its own: one uid's flood does not silence
 * another's first denial. */
static void
test_per_uid (Fixture      *f,
              gconstpointer data)
{
  for (guint i = 0; i < REFMOUNT_DENIALS_BURST + 10; i++)
    deny (f, 65534, "Mount");
  g_assert_cmpuint (lines->len, ==, REFMOUNT_DENIALS_BURST);
  /* uid 1000's window starts half a window later: at the end of the
   * first one only 65534's count is due, and the timer stays for uid
   * 1000. */
  fake_now += WINDOW / 2;
  deny (f, 1000, "Attach");
  g_assert_cmpuint (lines->len, ==, REFMOUNT_DENIALS_BURST + 1);
  g_assert_cmpuint (count_lines (REFMOUNT_DENIALS_BURST, "Attach denied: Not authorized to Attach"), ==, 1);
  g_assert_cmpuint (count_lines (REFMOUNT_DENIALS_BURST, "uid=\"1000\""), ==, 1);
  fake_now += WINDOW / 2;
  wait_for_flush (f, lines->len);
  dump_lines ();
  g_assert_cmpuint (count_lines (0, "10 more calls of uid 65534 denied"), ==, 1);
  g_assert_cmpuint (g_hash_table_size (f->daemon.denials), ==, 1);
  g_assert_true (g_hash_table_contains (f->daemon.denials, GUINT_TO_POINTER (1000)));
  g_assert_cmpuint (f->daemon.denials_flush, !=, 0);
}

/* A denial after the window has ended (before the timer came round to
 * it) starts a new window, and says first what the old one suppressed. */
static void
test_new_window_reports_old_count (Fixture      *f,
                                   gconstpointer data)
{
  for (guint i = 0; i < REFMOUNT_DENIALS_BURST + 2; i++)
    deny (f, 1000, "Mount");
  fake_now += WINDOW;
  deny (f, 1000, "Unmount");
  dump_lines ();
  g_assert_cmpuint (lines->len, ==, REFMOUNT_DENIALS_BURST + 2);
  g_assert_nonnull (strstr (g_ptr_array_index (lines, REFMOUNT_DENIALS_BURST),
                            "2 more calls of uid 1000 denied in the last 1 s"));
  g_assert_nonnull (strstr (g_ptr_array_index (lines, REFMOUNT_DENIALS_BURST + 1), "Unmount denied"));

  /* The new window has its own burst. */
  for (guint i = 1; i < REFMOUNT_DENIALS_BURST; i++)
    deny (f, 1000, "Unmount");
  g_assert_cmpuint (count_lines (REFMOUNT_DENIALS_BURST + 1, "Unmount denied"), ==, REFMOUNT_DENIALS_BURST);
  deny (f, 1000, "Unmount");
  g_assert_cmpuint (count_lines (REFMOUNT_DENIALS_BURST + 1, "Unmount denied"), ==, REFMOUNT_DENIALS_BURST);
}

/* More uids than the table holds: the counts so far are reported at
 * once (not forgotten) and counting starts over. */
static void
test_many_uids (Fixture      *f,
                gconstpointer data)
{
  guint before;

  for (guint32 uid = 10000; uid < 10000 + REFMOUNT_DENIALS_UIDS_MAX; uid++)
    deny (f, uid, "Mount");
  for (guint i = 1; i < REFMOUNT_DENIALS_BURST + 4; i++)
    deny (f, 10007, "Mount");
  for (guint i = 1; i < REFMOUNT_DENIALS_BURST + 1; i++)
    deny (f, 10009, "Mount");
  g_assert_cmpuint (g_hash_table_size (f->daemon.denials), ==, REFMOUNT_DENIALS_UIDS_MAX);
  before = lines->len;
  g_assert_cmpuint (before, ==, REFMOUNT_DENIALS_UIDS_MAX + 2 * (REFMOUNT_DENIALS_BURST - 1));

  deny (f, 20000, "Mount");
  g_assert_cmpuint (lines->len, ==, before + 3);
  g_assert_cmpuint (count_lines (before, "4 more calls of uid 10007 denied"), ==, 1);
  g_assert_cmpuint (count_lines (before, "1 more calls of uid 10009 denied"), ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (lines, before + 2), "uid=\"20000\""));
  g_assert_cmpuint (g_hash_table_size (f->daemon.denials), ==, 1);

  /* uid 10007 starts over with a full burst. */
  deny (f, 10007, "Mount");
  g_assert_cmpuint (lines->len, ==, before + 4);
}

/* Admission refusals (LimitExceeded answers, dropped no-reply calls) are
 * counted from any thread and reported once per window from the main
 * loop; the timer goes once a window had nothing to report. */
static gpointer
refuse_thread (gpointer data)
{
  Fixture *f = data;

  for (guint i = 0; i < 3; i++)
    refmount_daemon_note_refusal (&f->daemon, FALSE);
  for (guint i = 0; i < 2; i++)
    refmount_daemon_note_refusal (&f->daemon, TRUE);
  return NULL;
}

static void
test_refusals (Fixture      *f,
               gconstpointer data)
{
  guint before;

  /* Counted on another thread (GDBus's, in the daemon); the timer is set
   * up on the main thread, once. */
  g_thread_join (g_thread_new ("refuse", refuse_thread, f));
  g_assert_cmpint (g_atomic_int_get (&f->daemon.refusals_flush_pending), ==, 1);
  g_assert_cmpuint (f->daemon.denials_flush, ==, 0);
  g_assert_true (g_main_context_iteration (NULL, FALSE));
  g_assert_cmpuint (f->daemon.denials_flush, !=, 0);
  wait_for_flush (f, 0);
  dump_lines ();
  g_assert_cmpuint (lines->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (lines, 0), ==,
                   "limit-exceeded: Over the in-flight call limits in the last 1 s: 3 calls refused with "
                   "LimitExceeded, 2 no-reply calls dropped (2 dropped since start) [mountpoint=- source=- "
                   "fstype=- attachment=- uid=- pid=-]");
  g_assert_cmpint (g_atomic_int_get (&f->daemon.refusals_flush_pending), ==, 0);
  /* Kept for one more window: more refusals may follow. */
  g_assert_cmpuint (f->daemon.denials_flush, !=, 0);

  /* The next refusal is counted into the running timer's window. */
  refmount_daemon_note_refusal (&f->daemon, TRUE);
  wait_for_flush (f, 1);
  g_assert_cmpuint (lines->len, ==, 2);
  g_assert_nonnull (strstr (g_ptr_array_index (lines, 1), "0 calls refused with LimitExceeded, 1 no-reply calls "
                                                          "dropped (3 dropped since start)"));

  before = lines->len;
  wait_for_flush (f, before);
  g_assert_cmpuint (lines->len, ==, before);
  g_assert_cmpuint (f->daemon.denials_flush, ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* The denial lines are warnings by design. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_log_set_writer_func (capture_writer, NULL, NULL);

  g_test_add ("/denials/burst-then-count", Fixture, NULL, fixture_setup, test_burst_then_count, fixture_teardown);
  g_test_add ("/denials/per-uid", Fixture, NULL, fixture_setup, test_per_uid, fixture_teardown);
  g_test_add ("/denials/new-window-reports-old-count", Fixture, NULL, fixture_setup,
              test_new_window_reports_old_count, fixture_teardown);
  g_test_add ("/denials/many-uids", Fixture, NULL, fixture_setup, test_many_uids, fixture_teardown);
  g_test_add ("/denials/refusals", Fixture, NULL, fixture_setup, test_refusals, fixture_teardown);

  return g_test_run ();
}
