/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The state journal: what goes in comes back out of a load, in order; what
 * a crash can leave (a torn last write, a compaction cut short) loads as
 * what was acknowledged; damage is moved aside, never replayed or dropped
 * silently.  Write failures: test-state-journal-faults.c.
 */
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "journal-fixture.h"
#include "refmount-names.h"

/* ---- tests --------------------------------------------------------------- */

static void
test_crc32 (void)
{
  /* The check value of CRC-32/ISO-HDLC (zlib's crc32). */
  g_assert_cmphex (refmount_crc32 ((const guint8 *) "123456789", 9), ==, 0xCBF43926);
  g_assert_cmphex (refmount_crc32 ((const guint8 *) "", 0), ==, 0);
  g_assert_cmphex (refmount_crc32 ((const guint8 *) "a", 1), ==, 0xE8B7BE43);
}

/* A journal written by refmount's own CRC-32 code, before zlib's took
 * its place: header (epoch 1), a frame giving /srv/a a record, a frame
 * removing /srv/b. */
static const guint8 old_journal[] = "\x72\x65\x66\x6d\x6f\x75\x6e\x74\x2d\x6a\x72\x6e\x6c\x2d\x31\x0a"
                                    "\x01\x00\x00\x00\x00\x00\x00\x00\x60\x00\x00\x00\xea\xd3\x23\x79"
                                    "\x2f\x73\x72\x76\x2f\x61\x00\x00\x2f\x73\x72\x76\x2f\x61\x00\x68"
                                    "\x6f\x73\x74\x3a\x2f\x65\x78\x70\x6f\x72\x74\x00\x6e\x66\x73\x34"
                                    "\x00\x6d\x6f\x75\x6e\x74\x65\x64\x00\x01\x00\x00\x00\x00\x00\x00"
                                    "\x01\x40\x1e\x18\x24\x0a\x06\x00\x76\x6f\x6c\x2d\x31\x00\x00\x00"
                                    "\xe8\x03\x00\x00\x00\x00\x00\x00\x02\x40\x1e\x18\x24\x0a\x06\x00"
                                    "\x01\x3a\x31\x2e\x34\x32\x00\x06\x20\x21\x19\x19\x14\x07\x00\x07"
                                    "\x09\x00\x00\x00\x8f\xf2\xc8\x73\x2f\x73\x72\x76\x2f\x62\x00\x00"
                                    "\x07";

static GVariant *
old_journal_record (void)
{
  g_autoptr (RefmountRecord) r = refmount_record_new ();

  r->mountpoint = g_strdup ("/srv/a");
  r->source = g_strdup ("host:/export");
  r->fstype = g_strdup ("nfs4");
  r->state = REFMOUNT_MOUNT_STATE_MOUNTED;
  r->created_dir = TRUE;
  r->mounted_at = 1700000000000001;
  g_ptr_array_add (r->attachments, refmount_attachment_new ("vol-1", 1000, 1700000000000002, TRUE, ":1.42"));
  return g_variant_ref_sink (refmount_record_to_variant (r));
}

/* The on-disk format outlives the checksum code: frames written before
 * still verify, and the same changes are written byte for byte as then. */
static void
test_old_frames (Fixture      *f,
                 gconstpointer data)
{
  g_autoptr (GBytes)     old = g_bytes_new_static (old_journal, sizeof old_journal - 1);
  g_autoptr (GVariant)   record = old_journal_record ();
  g_autoptr (GPtrArray)  changes = NULL;
  g_autoptr (GError)     error = NULL;
  g_autoptr (GVariant)   reread = NULL;
  g_autoptr (GBytes)     written = NULL;
  GVariant              *frames[2];
  RefmountJournalChange *c;
  guint64                epoch = 0;
  gsize                  valid = 0;

  g_assert_true (refmount_journal_parse (old, &epoch, &changes, &valid, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (epoch, ==, 1);
  g_assert_cmpuint (valid, ==, sizeof old_journal - 1);
  g_assert_cmpuint (changes->len, ==, 2);
  c = g_ptr_array_index (changes, 0);
  g_assert_cmpstr (c->mountpoint, ==, "/srv/a");
  g_assert_nonnull (c->record);
  reread = g_variant_ref_sink (refmount_record_to_variant (c->record));
  g_assert_true (g_variant_equal (reread, record));
  c = g_ptr_array_index (changes, 1);
  g_assert_cmpstr (c->mountpoint, ==, "/srv/b");
  g_assert_null (c->record);

  /* A fresh directory: the first compaction's epoch is 1, as above. */
  compact (f, 1);
  frames[0] = refmount_journal_frame_new ("/srv/a", record);
  frames[1] = refmount_journal_frame_new ("/srv/b", NULL);
  g_assert_true (refmount_journal_append (f->journal, frames, G_N_ELEMENTS (frames), &error));
  g_assert_no_error (error);
  g_variant_unref (frames[0]);
  g_variant_unref (frames[1]);
  written = file_bytes (f->journal_path);
  g_assert_true (g_bytes_equal (written, old));
}

static void
test_round_trip (Fixture      *f,
                 gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  GVariant          *group[3];

  g_hash_table_replace (f->model, g_strdup ("/srv/a"), record_variant ("/srv/a", 1));
  g_hash_table_replace (f->model, g_strdup ("/srv/b"), record_variant ("/srv/b", 2));
  compact (f, 3);
  g_assert_cmpuint (file_size (f->journal_path), ==, HEADER_LEN);
  assert_loads_model (f, 3);

  append (f, "/srv/c", 5);
  /* A group commit: several frames, one write. */
  group[0] = change (f, "/srv/a", 7);
  group[1] = change (f, "/srv/b", 0);
  group[2] = change (f, "/srv/d", 4);
  g_assert_true (refmount_journal_append (f->journal, group, G_N_ELEMENTS (group), &error));
  g_assert_no_error (error);
  for (gsize i = 0; i < G_N_ELEMENTS (group); i++)
    g_variant_unref (group[i]);
  assert_loads_model (f, 3);
  /* A load leaves the journal as it was: everything in it was whole. */
  g_assert_cmpuint (torn_messages, ==, 0);
  assert_loads_model (f, 3);
}

static void
test_replay_order (Fixture      *f,
                   gconstpointer data)
{
  compact (f, 1);
  /* The last change of a mountpoint wins, however often it came and went. */
  for (guint v = 1; v <= 12; v++)
    {
      append (f, "/srv/x", v % 4 == 0 ? 0 : v);
      append (f, "/srv/y", 13 - v);
      assert_loads_model (f, 1);
    }
  g_assert_null (g_hash_table_lookup (f->model, "/srv/x"));
  append (f, "/srv/x", 5);
  assert_loads_model (f, 1);
  g_assert_nonnull (g_hash_table_lookup (f->model, "/srv/x"));
  append (f, "/srv/x", 0);
  assert_loads_model (f, 1);
}

static void
test_removal (Fixture      *f,
              gconstpointer data)
{
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *m = g_strdup_printf ("/srv/m%u", i);
      g_hash_table_replace (f->model, g_strdup (m), record_variant (m, i + 1));
    }
  compact (f, 2);
  /* Removing what the snapshot holds, and what was never there. */
  append (f, "/srv/m0", 0);
  append (f, "/srv/m3", 0);
  append (f, "/srv/never", 0);
  assert_loads_model (f, 2);
  g_assert_cmpuint (g_hash_table_size (f->model), ==, 3);
}

/* Cut the journal anywhere inside its last frame, or damage that frame:
 * what loads is everything before it, and the file is cut back there. */
static void
test_torn_tail (Fixture      *f,
                gconstpointer data)
{
  g_autoptr (GBytes)   full = NULL;
  g_autoptr (GVariant) last_record = NULL;
  g_autoptr (GVariant) last = NULL;
  g_autoptr (GError)   error = NULL;
  gsize                good, end;

  compact (f, 4);
  append (f, "/srv/a", 1);
  append (f, "/srv/b", 2);
  good = file_size (f->journal_path);
  /* Not in the model: this frame is never acknowledged. */
  last_record = record_variant ("/srv/a", 3);
  last = refmount_journal_frame_new ("/srv/a", last_record);
  g_assert_true (refmount_journal_append (f->journal, &last, 1, &error));
  g_assert_no_error (error);
  full = file_bytes (f->journal_path);
  end = g_bytes_get_size (full);
  g_assert_cmpuint (end, >, good + 8);

  for (gsize cut = good; cut < end; cut++)
    {
      set_file (f->journal_path, full, cut);
      torn_messages = 0;
      assert_loads_model (f, 4);
      g_assert_cmpuint (torn_messages, ==, cut > good ? 1 : 0);
      g_assert_cmpuint (file_size (f->journal_path), ==, good);
    }

  /* Every byte of the last frame damaged in turn (a bad checksum or a
   * bad length): dropped the same way. */
  for (gsize at = good; at < end; at++)
    {
      g_autofree guint8 *damaged = g_memdup2 (g_bytes_get_data (full, NULL), end);
      g_autoptr (GBytes) bytes = NULL;

      damaged[at] ^= 0x5a;
      bytes = g_bytes_new_take (g_steal_pointer (&damaged), end);
      set_file (f->journal_path, bytes, end);
      assert_loads_model (f, 4);
      g_assert_cmpuint (file_size (f->journal_path), ==, good);
    }

  /* A file system that extended the file but never wrote the data. */
  {
    g_autoptr (GByteArray) zeros = g_byte_array_new ();
    g_autoptr (GBytes)     bytes = NULL;

    g_byte_array_append (zeros, g_bytes_get_data (full, NULL), (guint) good);
    g_byte_array_set_size (zeros, (guint) end);
    memset (zeros->data + good, 0, end - good);
    bytes = g_byte_array_free_to_bytes (g_steal_pointer (&zeros));
    set_file (f->journal_path, bytes, end);
    assert_loads_model (f, 4);
    g_assert_cmpuint (file_size (f->journal_path), ==, good);
  }
  g_assert_cmpuint (moved_aside_warnings, ==, 0);
}

static void
test_corrupt_middle (Fixture      *f,
                     gconstpointer data)
{
  g_autoptr (GBytes) state = NULL;
  g_autoptr (GBytes) full = NULL;
  g_autoptr (GBytes) damaged = NULL;
  g_autofree guint8 *bytes = NULL;
  gsize              second, size;

  g_hash_table_replace (f->model, g_strdup ("/srv/a"), record_variant ("/srv/a", 1));
  compact (f, 6);
  append (f, "/srv/b", 1);
  second = file_size (f->journal_path);
  append (f, "/srv/c", 2);
  append (f, "/srv/d", 3);
  state = file_bytes (f->state);
  full = file_bytes (f->journal_path);
  size = g_bytes_get_size (full);

  /* A byte of the second frame's payload flipped, intact frames after. */
  bytes = g_memdup2 (g_bytes_get_data (full, NULL), size);
  bytes[second + 8 + 3] ^= 0x01;
  damaged = g_bytes_new_take (g_steal_pointer (&bytes), size);
  set_file (f->journal_path, damaged, size);
  assert_moved_aside (f, state, damaged);
}

static void
test_corrupt_length (Fixture      *f,
                     gconstpointer data)
{
  g_autoptr (GBytes) state = NULL;
  g_autoptr (GBytes) full = NULL;
  g_autoptr (GBytes) damaged = NULL;
  g_autofree guint8 *bytes = NULL;
  gsize              size;

  compact (f, 6);
  append (f, "/srv/b", 1);
  append (f, "/srv/c", 2);
  state = file_bytes (f->state);
  full = file_bytes (f->journal_path);
  size = g_bytes_get_size (full);

  /* The first frame's length made huge: it looks incomplete, but the
   * second frame is intact behind it. */
  bytes = g_memdup2 (g_bytes_get_data (full, NULL), size);
  bytes[HEADER_LEN + 2] = 0x7f;
  damaged = g_bytes_new_take (g_steal_pointer (&bytes), size);
  set_file (f->journal_path, damaged, size);
  assert_moved_aside (f, state, damaged);
}

static void
test_corrupt_header (Fixture      *f,
                     gconstpointer data)
{
  g_autoptr (GBytes) state = NULL;
  g_autoptr (GBytes) garbage = g_bytes_new_static ("refmount-jrnl-9\n\1\0\0\0\0\0\0\0", 24);
  g_autoptr (GBytes) short_header = g_bytes_new_static ("refmount-jrnl-1\n\1\0", 18);

  compact (f, 2);
  state = file_bytes (f->state);
  set_file (f->journal_path, garbage, g_bytes_get_size (garbage));
  assert_moved_aside (f, state, garbage);

  /* Without a snapshot, a journal with a truncated header goes alone. */
  set_file (f->journal_path, short_header, g_bytes_get_size (short_header));
  assert_moved_aside (f, NULL, short_header);
}

/* A frame whose checksum is right but whose payload is no valid change is
 * damage too, never replayed. */
static void
test_corrupt_payload (Fixture      *f,
                      gconstpointer data)
{
  const char *const payloads[] = {
    "('relative', @m(sssassbta(sutbs)) nothing)",
    "('/srv/a', just ('/srv/b', 's', 'tmpfs', @as [], 'mounted', false, @t 0, @a(sutbs) []))",
    "('/srv/a', just ('/srv/a', 's', 'tmpfs', @as [], 'exploded', false, @t 0, @a(sutbs) []))",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (payloads); i++)
    {
      g_autoptr (GError)     error = NULL;
      g_autoptr (GVariant)   v = g_variant_parse (G_VARIANT_TYPE (REFMOUNT_JOURNAL_FRAME_VARIANT_TYPE),
                                                  payloads[i], NULL, NULL, &error);
      g_autoptr (GBytes)     state = NULL;
      g_autoptr (GBytes)     journal = NULL;
      g_autoptr (GPtrArray)  changes = NULL;
      g_autoptr (GByteArray) crafted = g_byte_array_new ();
      guint32                le;
      guint64                epoch = 0;
      gsize                  valid = 0;

      g_assert_no_error (error);
      compact (f, 1);
      state = file_bytes (f->state);
      journal = file_bytes (f->journal_path);
      g_byte_array_append (crafted, g_bytes_get_data (journal, NULL), HEADER_LEN);
      le = GUINT32_TO_LE ((guint32) g_variant_get_size (v));
      g_byte_array_append (crafted, (const guint8 *) &le, 4);
      le = GUINT32_TO_LE (refmount_crc32 (g_variant_get_data (v), g_variant_get_size (v)));
      g_byte_array_append (crafted, (const guint8 *) &le, 4);
      g_byte_array_append (crafted, g_variant_get_data (v), (guint) g_variant_get_size (v));
      g_clear_pointer (&journal, g_bytes_unref);
      journal = g_byte_array_free_to_bytes (g_steal_pointer (&crafted));

      g_assert_false (refmount_journal_parse (journal, &epoch, &changes, &valid, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      set_file (f->journal_path, journal, g_bytes_get_size (journal));
      assert_moved_aside (f, state, journal);
      /* A fresh start after the evidence was moved away. */
      refmount_journal_free (f->journal);
      f->journal = refmount_journal_new (f->dir);
    }
}

/* A crash between a compaction's snapshot rename and its journal
 * replacement leaves the old journal: its changes are in the snapshot
 * already and must not be replayed onto it a second time. */
static void
test_stale_epoch (Fixture      *f,
                  gconstpointer data)
{
  g_autoptr (GError)          error = NULL;
  g_autoptr (GVariant)        records = NULL;
  g_autoptr (RefmountJournal) reloaded = refmount_journal_new (f->dir);
  g_autoptr (GPtrArray)       loaded = NULL;
  g_autofree char            *aside = NULL;
  guint64                     stale, generation = 0;

  g_hash_table_replace (f->model, g_strdup ("/srv/a"), record_variant ("/srv/a", 1));
  compact (f, 5);
  append (f, "/srv/b", 2);
  append (f, "/srv/a", 0);
  stale = journal_epoch (f);

  /* The compaction's first half: the next epoch's snapshot, then after it
   * the change that replaying the old journal would undo. */
  g_hash_table_replace (f->model, g_strdup ("/srv/a"), record_variant ("/srv/a", 9));
  records = model_records (f);
  g_assert_true (refmount_state_write (f->dir, 5, stale + 1, records, &error));
  g_assert_no_error (error);
  assert_loads_model (f, 5);
  g_assert_cmpuint (journal_epoch (f), ==, stale);

  /* The next compaction replaces it with a journal of a new epoch. */
  g_assert_true (refmount_journal_load (reloaded, &generation, &loaded, &aside, &error));
  g_assert_no_error (error);
  g_assert_false (refmount_journal_can_append (reloaded));
  g_clear_pointer (&records, g_variant_unref);
  records = model_records (f);
  g_assert_true (refmount_journal_compact (reloaded, 6, records, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (journal_epoch (f), >, stale + 1);
  g_assert_cmpuint (file_size (f->journal_path), ==, HEADER_LEN);
  assert_loads_model (f, 6);
}

static void
test_v1_snapshot (Fixture      *f,
                  gconstpointer data)
{
  g_autoptr (GVariant)        records = NULL;
  g_autoptr (GVariant)        v1 = NULL;
  g_autoptr (GBytes)          bytes = NULL;
  g_autoptr (GPtrArray)       parsed = NULL;
  g_autoptr (GPtrArray)       loaded = NULL;
  g_autoptr (GError)          error = NULL;
  g_autofree char            *aside = NULL;
  g_autoptr (RefmountJournal) journal = refmount_journal_new (f->dir);
  guint64                     generation = 0;

  g_hash_table_replace (f->model, g_strdup ("/srv/a"), record_variant ("/srv/a", 1));
  g_hash_table_replace (f->model, g_strdup ("/srv/b"), record_variant ("/srv/b", 2));
  records = model_records (f);
  v1 = g_variant_ref_sink (g_variant_new ("(st@a" REFMOUNT_RECORD_VARIANT_TYPE ")", "refmount-state-1",
                                          (guint64) 41, records));
  bytes = g_variant_get_data_as_bytes (v1);
  g_assert_true (refmount_state_parse (bytes, &generation, &parsed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (generation, ==, 41);
  g_assert_cmpuint (parsed->len, ==, 2);

  /* As the daemon of before left it: a snapshot and no journal. */
  set_file (f->state, bytes, g_bytes_get_size (bytes));
  assert_loads_model (f, 41);
  g_assert_true (refmount_journal_load (journal, &generation, &loaded, &aside, &error));
  g_assert_no_error (error);
  g_assert_null (aside);
  g_assert_true (refmount_journal_compact (journal, 42, records, &error));
  g_assert_no_error (error);
  g_assert_true (refmount_journal_can_append (journal));
  assert_loads_model (f, 42);
  /* Now in version 2, which refmount_state_parse() reads as well. */
  g_clear_pointer (&bytes, g_bytes_unref);
  g_clear_pointer (&parsed, g_ptr_array_unref);
  bytes = file_bytes (f->state);
  g_assert_nonnull (memmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "refmount-state-2", 16));
  g_assert_true (refmount_state_parse (bytes, &generation, &parsed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (generation, ==, 42);
  g_assert_cmpuint (parsed->len, ==, 2);
}

static void
test_compaction (Fixture      *f,
                 gconstpointer data)
{
  guint64 epoch;
  guint   n = 0;

  refmount_journal_set_compact_min (f->journal, 8192);
  for (guint i = 0; i < 40; i++)
    {
      g_autofree char *m = g_strdup_printf ("/srv/big/%02u", i);
      g_hash_table_replace (f->model, g_strdup (m), record_variant (m, 3));
    }
  compact (f, 1);
  epoch = journal_epoch (f);
  /* The bound is twice the snapshot when that is above the minimum. */
  g_assert_cmpuint (2 * file_size (f->state), >, 8192);
  while (!refmount_journal_wants_compaction (f->journal))
    {
      g_autofree char *m = g_strdup_printf ("/srv/small/%u", n % 7);

      g_assert_cmpuint (file_size (f->journal_path), <=, 2 * file_size (f->state));
      append (f, m, n % 5);
      n++;
      g_assert_cmpuint (n, <, 10000);
    }
  g_assert_cmpuint (file_size (f->journal_path), >, 2 * file_size (f->state));
  assert_loads_model (f, 1);

  compact (f, 1);
  g_assert_false (refmount_journal_wants_compaction (f->journal));
  g_assert_cmpuint (journal_epoch (f), ==, epoch + 1);
  g_assert_cmpuint (file_size (f->journal_path), ==, HEADER_LEN);
  assert_loads_model (f, 1);

  /* With a small snapshot the minimum applies. */
  g_hash_table_remove_all (f->model);
  compact (f, 2);
  append (f, "/srv/one", 1);
  g_assert_false (refmount_journal_wants_compaction (f->journal));
  assert_loads_model (f, 2);
}

/* A journal changed behind the daemon's back is not appended to: only a
 * compaction goes on from there. */
static void
test_tampered (Fixture      *f,
               gconstpointer data)
{
  g_autoptr (GError)   error = NULL;
  g_autoptr (GVariant) frame = NULL;
  g_autoptr (GBytes)   bytes = NULL;

  compact (f, 1);
  append (f, "/srv/a", 1);
  bytes = file_bytes (f->journal_path);
  set_file (f->journal_path, bytes, HEADER_LEN);
  frame = change (f, "/srv/b", 1);
  g_assert_false (refmount_journal_append (f->journal, &frame, 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_false (refmount_journal_can_append (f->journal));
  compact (f, 1);
  assert_loads_model (f, 1);
}

static void
test_missing_dir (Fixture      *f,
                  gconstpointer data)
{
  g_autofree char            *missing = g_build_filename (f->dir, "nope", NULL);
  g_autoptr (RefmountJournal) journal = refmount_journal_new (missing);
  g_autoptr (GVariant)        records = model_records (f);
  g_autoptr (GError)          error = NULL;

  g_assert_false (refmount_journal_can_append (journal));
  g_assert_false (refmount_journal_compact (journal, 1, records, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_false (refmount_journal_can_append (journal));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  journal_fixture_init ();

  g_test_add_func ("/journal/crc32", test_crc32);
#define ADD(name, fn) g_test_add ("/journal/" name, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("old-frames", test_old_frames);
  ADD ("round-trip", test_round_trip);
  ADD ("replay-order", test_replay_order);
  ADD ("removal", test_removal);
  ADD ("torn-tail", test_torn_tail);
  ADD ("corrupt-middle", test_corrupt_middle);
  ADD ("corrupt-length", test_corrupt_length);
  ADD ("corrupt-header", test_corrupt_header);
  ADD ("corrupt-payload", test_corrupt_payload);
  ADD ("stale-epoch", test_stale_epoch);
  ADD ("v1-snapshot", test_v1_snapshot);
  ADD ("compaction", test_compaction);
  ADD ("tampered", test_tampered);
  ADD ("missing-dir", test_missing_dir);
#undef ADD
  return g_test_run ();
}
