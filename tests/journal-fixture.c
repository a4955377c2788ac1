/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <signal.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/resource.h>

#include "journal-fixture.h"
#include "refmount-names.h"

guint moved_aside_warnings;
guint torn_messages;
guint no_journal_warnings;

GLogWriterOutput
journal_fixture_writer (GLogLevelFlags   level,
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

void
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

void
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
GVariant *
record_variant (const char *mountpoint,
                guint       version)
{
  g_autoptr (RefmountRecord) r = refmount_record_new ();

  r->mountpoint = g_strdup (mountpoint);
  r->source = g_strdup_printf ("host:/export/%u", version);
  r->fstype = g_strdup ("nfs4");
  r->state = version % 3 == 2 ? REFMOUNT_MOUNT_STATE_STALE : REFMOUNT_MOUNT_STATE_MOUNTED;
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
GVariant *
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

void
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
GVariant *
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

void
append (Fixture    *f,
        const char *mountpoint,
        guint       version)
{
  g_autoptr (GError)   error = NULL;
  g_autoptr (GVariant) frame = change (f, mountpoint, version);

  g_assert_true (refmount_journal_append (f->journal, &frame, 1, &error));
  g_assert_no_error (error);
}

gsize
file_size (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return (gsize) st.st_size;
}

GBytes *
file_bytes (const char *path)
{
  g_autoptr (GError) error = NULL;
  char              *contents = NULL;
  gsize              length = 0;

  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  g_assert_no_error (error);
  return g_bytes_new_take (contents, length);
}

void
set_file (const char *path,
          GBytes     *bytes,
          gsize       length)
{
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (length, <=, g_bytes_get_size (bytes));
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL), (gssize) length, &error));
  g_assert_no_error (error);
}

guint64
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
void
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
void
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

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The names in the state directory, sorted: a failed atomic replace must
 * leave no temporary file behind. */
char *
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

struct rlimit saved_fsize;

void
journal_fixture_init (void)
{
  g_log_set_writer_func (journal_fixture_writer, NULL, NULL);
  /* RLIMIT_FSIZE stands in for a full disk: EFBIG, not the signal.  The
   * limit a test lowers is restored by fixture_tear_down. */
  signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved_fsize), ==, 0);
}
