/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The state journal: what goes in comes back out of a load, in order; what
 * a crash can leave (a torn last write, a compaction cut short) loads as
 * what was acknowledged; damage is moved aside, never replayed or dropped
 * silently; a failed append leaves a loadable journal and can be retried.
 */
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include "refmount-names.h"
#include "refmount-state-journal.h"

#define HEADER_LEN 24 /* magic and epoch */

typedef struct
{
  char            *dir;
  char            *state;
  char            *journal_path;
  RefmountJournal *journal;
  GHashTable      *model; /* mountpoint -> GVariant record: what a load must give */
} Fixture;

static struct rlimit saved_fsize;
static guint         moved_aside_warnings;
static guint         torn_messages;
static guint         no_journal_warnings;

static GLogWriterOutput
writer (GLogLevelFlags   level,
        const GLogField *fields,
        gsize            n_fields,
        gpointer         user_data)
{
  const char *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE"))
      message = fields[i].value;
  if (message != NULL && (level & G_LOG_LEVEL_WARNING) && strstr (message, "moved aside") != NULL)
    {
      moved_aside_warnings++;
      return G_LOG_WRITER_HANDLED;
    }
  if (message != NULL && (level & G_LOG_LEVEL_WARNING) && strstr (message, "could not start a new journal") != NULL)
    {
      no_journal_warnings++;
      return G_LOG_WRITER_HANDLED;
    }
  if (message != NULL && strstr (message, "incomplete last write") != NULL)
    {
      torn_messages++;
      return G_LOG_WRITER_HANDLED;
    }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

static void
fixture_set_up (Fixture      *f,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("refmount-test-journal-XXXXXX", &error);
  g_assert_no_error (error);
  f->state = g_build_filename (f->dir, REFMOUNT_STATE_FILE_NAME, NULL);
  f->journal_path = g_build_filename (f->dir, REFMOUNT_JOURNAL_FILE_NAME, NULL);
  f->journal = refmount_journal_new (f->dir);
  f->model = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_variant_unref);
  moved_aside_warnings = 0;
  torn_messages = 0;
  no_journal_warnings = 0;
}

static void
fixture_tear_down (Fixture      *f,
                   gconstpointer data)
{
  g_autoptr (GDir) dir = g_dir_open (f->dir, 0, NULL);
  const char      *name;

  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved_fsize), ==, 0);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (f->dir, name, NULL);
      g_assert_cmpint (g_unlink (path), ==, 0);
    }
  g_assert_cmpint (g_rmdir (f->dir), ==, 0);
  refmount_journal_free (f->journal);
  g_hash_table_unref (f->model);
  g_free (f->dir);
  g_free (f->state);
  g_free (f->journal_path);
}

/* A record for @mountpoint; @version varies its contents. */
static GVariant *
record_variant (const char *mountpoint,
                guint       version)
{
  g_autoptr (RefmountRecord) r = refmount_record_new ();

  r->mountpoint = g_strdup (mountpoint);
  r->source = g_strdup_printf ("host:/export/%u", version);
  r->fstype = g_strdup ("nfs4");
  r->state = g_strdup (version % 3 == 2 ? REFMOUNT_STATE_STALE : REFMOUNT_STATE_MOUNTED);
  r->created_dir = version % 2 == 0;
  r->mounted_at = 1700000000000000 + version;
  for (guint i = 0; i < version % 4 + 1; i++)
    {
      g_autofree char *id = g_strdup_printf ("vol-%u-%u", version, i);
      g_ptr_array_add (r->attachments, refmount_attachment_new (id, 1000 + i, 1700000000000000 + i, i % 2 == 1,
                                                                i % 2 == 1 ? ":1.42" : NULL));
    }
  return g_variant_ref_sink (refmount_record_to_variant (r));
}

/* The model as a snapshot's records. */
static GVariant *
model_records (Fixture *f)
{
  GVariantBuilder builder;
  GHashTableIter  iter;
  gpointer        value;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a" REFMOUNT_RECORD_VARIANT_TYPE));
  g_hash_table_iter_init (&iter, f->model);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_variant_builder_add_value (&builder, value);
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

static void
compact (Fixture *f,
         guint64  generation)
{
  g_autoptr (GError)   error = NULL;
  g_autoptr (GVariant) records = model_records (f);

  g_assert_true (refmount_journal_compact (f->journal, generation, records, &error));
  g_assert_no_error (error);
  g_assert_true (refmount_journal_can_append (f->journal));
}

/* A frame for @mountpoint: version 0 removes it.  The model follows. */
static GVariant *
change (Fixture    *f,
        const char *mountpoint,
        guint       version)
{
  g_autoptr (GVariant) record = version > 0 ? record_variant (mountpoint, version) : NULL;

  if (record != NULL)
    g_hash_table_replace (f->model, g_strdup (mountpoint), g_variant_ref (record));
  else
    g_hash_table_remove (f->model, mountpoint);
  return refmount_journal_frame_new (mountpoint, record);
}

static void
append (Fixture    *f,
        const char *mountpoint,
        guint       version)
{
  g_autoptr (GError)   error = NULL;
  g_autoptr (GVariant) frame = change (f, mountpoint, version);

  g_assert_true (refmount_journal_append (f->journal, &frame, 1, &error));
  g_assert_no_error (error);
}

static gsize
file_size (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return (gsize) st.st_size;
}

static GBytes *
file_bytes (const char *path)
{
  g_autoptr (GError) error = NULL;
  char              *contents = NULL;
  gsize              length = 0;

  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  g_assert_no_error (error);
  return g_bytes_new_take (contents, length);
}

static void
set_file (const char *path,
          GBytes     *bytes,
          gsize       length)
{
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (length, <=, g_bytes_get_size (bytes));
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL), (gssize) length, &error));
  g_assert_no_error (error);
}

static guint64
journal_epoch (Fixture *f)
{
  g_autoptr (GBytes) bytes = file_bytes (f->journal_path);
  guint64            epoch;

  g_assert_cmpuint (g_bytes_get_size (bytes), >=, HEADER_LEN);
  memcpy (&epoch, (const guint8 *) g_bytes_get_data (bytes, NULL) + 16, sizeof epoch);
  return GUINT64_FROM_LE (epoch);
}

/* Load the directory as the daemon does at start-up and compare with the
 * model. */
static void
assert_loads_model (Fixture *f,
                    guint64  generation)
{
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GError)    error = NULL;
  g_autofree char      *aside = NULL;
  guint64               loaded_generation = 0;

  g_assert_true (refmount_state_load (f->dir, &loaded_generation, &records, &aside, &error));
  g_assert_no_error (error);
  g_assert_null (aside);
  g_assert_cmpuint (loaded_generation, ==, generation);
  g_assert_cmpuint (records->len, ==, g_hash_table_size (f->model));
  for (guint i = 0; i < records->len; i++)
    {
      const RefmountRecord *record = g_ptr_array_index (records, i);
      g_autoptr (GVariant)  got = g_variant_ref_sink (refmount_record_to_variant (record));
      GVariant             *want = g_hash_table_lookup (f->model, record->mountpoint);

      g_assert_nonnull (want);
      g_assert_true (g_variant_equal (got, want));
    }
}

/* Load: everything must be moved aside with its bytes intact (then the
 * evidence is removed), and an empty state come back. */
static void
assert_moved_aside (Fixture *f,
                    GBytes  *state,
                    GBytes  *journal)
{
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GError)    error = NULL;
  g_autofree char      *aside = NULL;
  g_autoptr (GDir)      dir = NULL;
  const char           *name;
  guint64               generation = 99;
  guint                 found = 0;

  moved_aside_warnings = 0;
  g_assert_true (refmount_state_load (f->dir, &generation, &records, &aside, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (moved_aside_warnings, ==, 1);
  g_assert_nonnull (aside);
  g_assert_cmpuint (generation, ==, 0);
  g_assert_cmpuint (records->len, ==, 0);
  g_assert_false (g_file_test (f->state, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (f->journal_path, G_FILE_TEST_EXISTS));

  dir = g_dir_open (f->dir, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char   *path = g_build_filename (f->dir, name, NULL);
      g_autoptr (GBytes) kept = file_bytes (path);
      GBytes            *original = g_str_has_prefix (name, REFMOUNT_STATE_CORRUPT_PREFIX)     ? state
                                    : g_str_has_prefix (name, REFMOUNT_JOURNAL_CORRUPT_PREFIX) ? journal
                                                                                               : NULL;

      g_assert_nonnull (original);
      g_assert_true (g_bytes_equal (kept, original));
      g_assert_cmpint (g_unlink (path), ==, 0);
      found++;
    }
  g_assert_cmpuint (found, ==, (state != NULL) + (journal != NULL));
}

/* ---- tests --------------------------------------------------------------- */

static void
test_crc32 (void)
{
  /* The check value of CRC-32/ISO-HDLC (zlib's crc32). */
  g_assert_cmphex (refmount_crc32 ((const guint8 *) "123456789", 9), ==, 0xCBF43926);
  g_assert_cmphex (refmount_crc32 ((const guint8 *) "", 0), ==, 0);
  g_assert_cmphex (refmount_crc32 ((const guint8 *) "a", 1), ==, 0xE8B7BE43);
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

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The names in the state directory, sorted: a failed atomic replace must
 * leave no temporary file behind. */
static char *
dir_names (Fixture *f)
{
  g_autoptr (GDir)      dir = g_dir_open (f->dir, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char           *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
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
  g_log_set_writer_func (writer, NULL, NULL);
  /* RLIMIT_FSIZE stands in for a full disk: EFBIG, not the signal. */
  signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved_fsize), ==, 0);

  g_test_add_func ("/journal/crc32", test_crc32);
#define ADD(name, fn) g_test_add ("/journal/" name, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
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
  ADD ("append-failure", test_append_failure);
  ADD ("tampered", test_tampered);
  ADD ("missing-dir", test_missing_dir);
  ADD ("snapshot-write-failure", test_snapshot_write_failure);
  ADD ("snapshot-rename-failure", test_snapshot_rename_failure);
  ADD ("journal-install-failure", test_journal_install_failure);
  ADD ("journal-removed", test_journal_removed);
#undef ADD
  return g_test_run ();
}
