/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The state journal when writes fail: a failed append leaves a loadable
 * journal and can be retried; a snapshot that cannot be written or put in
 * place changes nothing on disk; a journal that cannot be started or is
 * removed is noticed.  RLIMIT_FSIZE stands in for a full disk.
 */
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/resource.h>

#include "journal-fixture.h"
#include "refmount-names.h"

static void
limit_file_size (rlim_t bytes)
{
  struct rlimit limit = saved_fsize;

  limit.rlim_cur = bytes;
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);
}

/* A write that runs out of room part-way (here: RLIMIT_FSIZE, as a full
 * disk would) is cut off again; the frame can then be retried. */
static void
test_append_failure (Fixture      *f,
                     gconstpointer data)
{
  g_autoptr (GError)   error = NULL;
  g_autoptr (GVariant) record = NULL;
  g_autoptr (GVariant) frame = NULL;
  g_autoptr (GVariant) removed = NULL;
  GVariant            *pair[2];
  gsize                before;

  compact (f, 3);
  append (f, "/srv/a", 1);
  before = file_size (f->journal_path);
  record = record_variant ("/srv/b", 2);
  frame = refmount_journal_frame_new ("/srv/b", record);
  removed = refmount_journal_frame_new ("/srv/a", NULL);

  for (gsize room = 0; room < 40; room += 13)
    {
      limit_file_size (before + room);
      pair[0] = frame;
      pair[1] = removed;
      g_assert_false (refmount_journal_append (f->journal, pair, 2, &error));
      g_assert_nonnull (error);
      g_assert_true (error->domain == G_IO_ERROR);
      g_test_message ("with %" G_GSIZE_FORMAT " bytes of room: %s", room, error->message);
      g_clear_error (&error);
      limit_file_size (saved_fsize.rlim_cur);
      g_assert_cmpuint (file_size (f->journal_path), ==, before);
      g_assert_true (refmount_journal_can_append (f->journal));
      assert_loads_model (f, 3);
      g_assert_cmpuint (torn_messages, ==, 0);
    }

  /* The retry: both frames, in order. */
  g_hash_table_replace (f->model, g_strdup ("/srv/b"), record_variant ("/srv/b", 2));
  g_hash_table_remove (f->model, "/srv/a");
  g_assert_true (refmount_journal_append (f->journal, pair, 2, &error));
  g_assert_no_error (error);
  assert_loads_model (f, 3);
}

/* The snapshot cannot be written (the disk fills up part-way): the old
 * snapshot and journal stay as they were, no temporary file is left, and
 * the journal may still be appended to, since the snapshot it continues
 * is still the one on disk. */
static void
test_snapshot_write_failure (Fixture      *f,
                             gconstpointer data)
{
  g_autoptr (GError)   error = NULL;
  g_autoptr (GVariant) records = NULL;
  g_autoptr (GBytes)   before = NULL;
  g_autoptr (GBytes)   after = NULL;
  g_autofree char     *names = NULL;
  guint64              epoch;

  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *m = g_strdup_printf ("/srv/%02u", i);
      g_hash_table_replace (f->model, g_strdup (m), record_variant (m, i));
    }
  compact (f, 1);
  append (f, "/srv/extra", 1);
  epoch = journal_epoch (f);
  before = file_bytes (f->state);
  records = model_records (f);

  limit_file_size (g_bytes_get_size (before) / 2);
  g_assert_false (refmount_journal_compact (f->journal, 2, records, &error));
  limit_file_size (saved_fsize.rlim_cur);
  g_assert_nonnull (error);
  g_assert_true (error->domain == G_IO_ERROR);
  g_assert_nonnull (strstr (error->message, "Cannot write"));

  names = dir_names (f);
  g_assert_cmpstr (names, ==, REFMOUNT_JOURNAL_FILE_NAME " " REFMOUNT_STATE_FILE_NAME);
  after = file_bytes (f->state);
  g_assert_true (g_bytes_equal (before, after));
  g_assert_cmpuint (journal_epoch (f), ==, epoch);
  g_assert_true (refmount_journal_can_append (f->journal));
  append (f, "/srv/after", 2);
  assert_loads_model (f, 1);
}

/* rename(2) fails (here: a directory sits where the snapshot goes). */
static void
test_snapshot_rename_failure (Fixture      *f,
                              gconstpointer data)
{
  g_autofree char     *inside = g_build_filename (f->state, "x", NULL);
  g_autoptr (GError)   error = NULL;
  g_autoptr (GVariant) records = NULL;
  g_autofree char     *names = NULL;

  compact (f, 1);
  g_assert_cmpint (g_unlink (f->state), ==, 0);
  g_assert_cmpint (g_mkdir (f->state, 0700), ==, 0);
  g_assert_true (g_file_set_contents (inside, "x", 1, NULL));

  records = model_records (f);
  g_assert_false (refmount_journal_compact (f->journal, 2, records, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "Cannot rename"));
  names = dir_names (f);
  g_assert_cmpstr (names, ==, REFMOUNT_JOURNAL_FILE_NAME " " REFMOUNT_STATE_FILE_NAME);

  g_assert_cmpint (g_unlink (inside), ==, 0);
  g_assert_cmpint (g_rmdir (f->state), ==, 0);
}

/* The snapshot is written but the new journal cannot be installed: the
 * compaction counts (the snapshot holds everything), but nothing may be
 * appended to the old journal, which belongs to the previous epoch; the
 * next write compacts again. */
static void
test_journal_install_failure (Fixture      *f,
                              gconstpointer data)
{
  g_autofree char     *inside = g_build_filename (f->journal_path, "x", NULL);
  g_autoptr (GError)   error = NULL;
  g_autoptr (GVariant) records = NULL;
  g_autoptr (GVariant) frame = NULL;

  compact (f, 1);
  append (f, "/srv/a", 1);
  g_assert_cmpint (g_unlink (f->journal_path), ==, 0);
  g_assert_cmpint (g_mkdir (f->journal_path, 0700), ==, 0);
  g_assert_true (g_file_set_contents (inside, "x", 1, NULL));

  records = model_records (f);
  g_assert_true (refmount_journal_compact (f->journal, 2, records, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (no_journal_warnings, ==, 1);
  g_assert_false (refmount_journal_can_append (f->journal));
  frame = change (f, "/srv/b", 1);
  g_assert_false (refmount_journal_append (f->journal, &frame, 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_clear_error (&error);

  g_assert_cmpint (g_unlink (inside), ==, 0);
  g_assert_cmpint (g_rmdir (f->journal_path), ==, 0);
  compact (f, 2);
  assert_loads_model (f, 2);
}

/* The journal was deleted behind the daemon's back: the append fails, and
 * only a compaction (which writes a fresh one) goes on. */
static void
test_journal_removed (Fixture      *f,
                      gconstpointer data)
{
  g_autoptr (GError)   error = NULL;
  g_autoptr (GVariant) frame = NULL;

  compact (f, 1);
  g_assert_cmpint (g_unlink (f->journal_path), ==, 0);
  frame = change (f, "/srv/a", 1);
  g_assert_false (refmount_journal_append (f->journal, &frame, 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_false (refmount_journal_can_append (f->journal));
  compact (f, 1);
  assert_loads_model (f, 1);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  journal_fixture_init ();

#define ADD(name, fn) g_test_add ("/journal/" name, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("append-failure", test_append_failure);
  ADD ("snapshot-write-failure", test_snapshot_write_failure);
  ADD ("snapshot-rename-failure", test_snapshot_rename_failure);
  ADD ("journal-install-failure", test_journal_install_failure);
  ADD ("journal-removed", test_journal_removed);
#undef ADD
  return g_test_run ();
}
