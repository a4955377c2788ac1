/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * State file: round trip, atomic replacement, and the handling of files a
 * crash, a full disk or a hostile admin could leave behind.
 */
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "refmount-names.h"
#include "refmount-state-journal.h"

typedef struct
{
  char *dir;
} Fixture;

/* The daemon logs structured (G_LOG_USE_STRUCTURED), which
 * g_test_expect_message() cannot intercept on GLib 2.74: count the
 * "moved aside" warning here and let anything else through (fatal). */
static guint moved_aside_warnings;

static GLogWriterOutput
writer (GLogLevelFlags   level,
        const GLogField *fields,
        gsize            n_fields,
        gpointer         user_data)
{
  const char *domain = NULL, *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
      domain = fields[i].value;
    else if (g_str_equal (fields[i].key, "MESSAGE"))
      message = fields[i].value;
  if ((level & G_LOG_LEVEL_WARNING) && g_strcmp0 (domain, "refmount") == 0 && message != NULL &&
      strstr (message, "moved aside") != NULL)
    {
      moved_aside_warnings++;
      return G_LOG_WRITER_HANDLED;
    }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

static void
fixture_set_up (Fixture      *f,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("refmount-test-state-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture      *f,
                   gconstpointer data)
{
  g_autoptr (GDir) dir = g_dir_open (f->dir, 0, NULL);
  const char      *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (f->dir, name, NULL);
      g_assert_cmpint (g_unlink (path), ==, 0);
    }
  g_assert_cmpint (g_rmdir (f->dir), ==, 0);
  g_free (f->dir);
}

static RefmountRecord *
make_record (const char *mountpoint,
             guint       n_attachments)
{
  RefmountRecord          *r = refmount_record_new ();
  static const char *const options[] = { "size=1m", "mode=0755", NULL };

  r->mountpoint = g_strdup (mountpoint);
  r->source = g_strdup ("host:/export");
  r->fstype = g_strdup ("nfs4");
  g_strfreev (r->options);
  r->options = g_strdupv ((char **) options);
  r->state = REFMOUNT_MOUNT_STATE_BUSY;
  r->created_dir = TRUE;
  r->mounted_at = 1700000000123456;
  for (guint i = 0; i < n_attachments; i++)
    {
      g_autofree char *id = g_strdup_printf ("vol-%u", i);
      g_ptr_array_add (r->attachments,
                       refmount_attachment_new (id, 1000 + i, 1700000000000000 + i, i % 2 == 1,
                                                i % 2 == 1 ? ":1.42" : NULL));
    }
  return r;
}

static void
assert_records_equal (const RefmountRecord *a,
                      const RefmountRecord *b)
{
  g_assert_cmpstr (a->mountpoint, ==, b->mountpoint);
  g_assert_cmpstr (a->source, ==, b->source);
  g_assert_cmpstr (a->fstype, ==, b->fstype);
  g_assert_true (g_strv_equal ((const char *const *) a->options, (const char *const *) b->options));
  g_assert_cmpint (a->state, ==, b->state);
  g_assert_cmpint (a->created_dir, ==, b->created_dir);
  g_assert_cmpuint (a->mounted_at, ==, b->mounted_at);
  g_assert_cmpuint (a->attachments->len, ==, b->attachments->len);
  for (guint i = 0; i < a->attachments->len; i++)
    {
      const RefmountAttachment *x = g_ptr_array_index (a->attachments, i);
      const RefmountAttachment *y = g_ptr_array_index (b->attachments, i);

      g_assert_cmpstr (x->id, ==, y->id);
      g_assert_cmpuint (x->uid, ==, y->uid);
      g_assert_cmpuint (x->attached_at, ==, y->attached_at);
      g_assert_cmpint (x->release_on_exit, ==, y->release_on_exit);
      /* A NULL bus name is persisted as "" (the type has no maybe). */
      g_assert_cmpstr (x->bus_name != NULL ? x->bus_name : "", ==, y->bus_name != NULL ? y->bus_name : "");
    }
}

static GVariant *
records_variant (RefmountRecord **records,
                 guint            n)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a" REFMOUNT_RECORD_VARIANT_TYPE));
  for (guint i = 0; i < n; i++)
    g_variant_builder_add_value (&builder, refmount_record_to_variant (records[i]));
  return g_variant_builder_end (&builder);
}

static guint
count_entries (const char *dir,
               const char *prefix)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char      *name;
  guint            n = 0;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, prefix))
      n++;
  return n;
}

static void
test_record_variant_round_trip (void)
{
  g_autoptr (RefmountRecord) r = make_record ("/srv/refmount/a", 3);
  g_autoptr (GVariant)       v = g_variant_ref_sink (refmount_record_to_variant (r));
  g_autoptr (RefmountRecord) back = NULL;
  g_autoptr (RefmountRecord) copy = NULL;
  g_autoptr (GError)         error = NULL;

  g_assert_cmpstr (g_variant_get_type_string (v), ==, REFMOUNT_RECORD_VARIANT_TYPE);
  back = refmount_record_from_variant (v, &error);
  g_assert_no_error (error);
  assert_records_equal (r, back);

  copy = refmount_record_copy (r);
  assert_records_equal (r, copy);
  g_assert_true (copy->attachments != r->attachments);
}

/* The strings are the on-disk format and the D-Bus State property
 * (doc/dbus-api.md "Mount objects"): exactly these, both ways, and nothing
 * else is a state. */
static void
test_mount_state_strings (void)
{
  static const struct
  {
    RefmountMountState state;
    const char        *string;
  } states[] = {
    { REFMOUNT_MOUNT_STATE_MOUNTED, "mounted" },
    { REFMOUNT_MOUNT_STATE_BUSY, "busy" },
    { REFMOUNT_MOUNT_STATE_STALE, "stale" },
  };
  static const char *const not_states[] = { "", "Mounted", "mounted ", "mounting", "unmounted", "stale\n" };

  for (gsize i = 0; i < G_N_ELEMENTS (states); i++)
    {
      RefmountMountState         parsed = (RefmountMountState) 99;
      g_autoptr (RefmountRecord) r = make_record ("/m", 1);
      g_autoptr (GVariant)       v = NULL;
      g_autoptr (GVariant)       field = NULL;

      g_assert_cmpstr (refmount_mount_state_to_string (states[i].state), ==, states[i].string);
      g_assert_true (refmount_mount_state_from_string (states[i].string, &parsed));
      g_assert_cmpint (parsed, ==, states[i].state);

      /* As stored: the string in the record's State field. */
      r->state = states[i].state;
      v = g_variant_ref_sink (refmount_record_to_variant (r));
      field = refmount_record_variant_get_field (v, REFMOUNT_RECORD_FIELD_STATE);
      g_assert_cmpstr (g_variant_get_string (field, NULL), ==, states[i].string);
      g_assert_cmpint (refmount_record_variant_get_state (v), ==, states[i].state);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (not_states); i++)
    {
      RefmountMountState parsed = REFMOUNT_MOUNT_STATE_BUSY;

      g_assert_false (refmount_mount_state_from_string (not_states[i], &parsed));
      g_assert_cmpint (parsed, ==, REFMOUNT_MOUNT_STATE_BUSY);
    }
  g_assert_false (refmount_mount_state_from_string (NULL, NULL));
}

/* The field accessors read what refmount_record_to_variant() wrote. */
static void
test_record_variant_fields (void)
{
  g_autoptr (RefmountRecord) r = make_record ("/srv/m", 3);
  g_autoptr (GVariant)       v = g_variant_ref_sink (refmount_record_to_variant (r));
  g_autoptr (GVariant)       attachments = refmount_record_variant_get_attachments (v);
  g_autoptr (GVariant)       source = refmount_record_variant_get_field (v, REFMOUNT_RECORD_FIELD_SOURCE);
  g_autoptr (GVariant)       fstype = refmount_record_variant_get_field (v, REFMOUNT_RECORD_FIELD_FSTYPE);
  g_autoptr (GVariant)       options = refmount_record_variant_get_field (v, REFMOUNT_RECORD_FIELD_OPTIONS);
  g_autoptr (GVariant)       created = refmount_record_variant_get_field (v, REFMOUNT_RECORD_FIELD_CREATED_DIR);
  g_autoptr (GVariant)       mounted_at = refmount_record_variant_get_field (v, REFMOUNT_RECORD_FIELD_MOUNTED_AT);
  g_autofree const char    **strv = NULL;
  const char                *id;
  guint32                    uid;

  g_assert_cmpstr (refmount_record_variant_get_mountpoint (v), ==, "/srv/m");
  g_assert_cmpstr (g_variant_get_string (source, NULL), ==, r->source);
  g_assert_cmpstr (g_variant_get_string (fstype, NULL), ==, r->fstype);
  strv = g_variant_get_strv (options, NULL);
  g_assert_true (g_strv_equal (strv, (const char *const *) r->options));
  g_assert_true (g_variant_get_boolean (created));
  g_assert_cmpuint (g_variant_get_uint64 (mounted_at), ==, r->mounted_at);
  g_assert_true (g_variant_is_of_type (attachments, G_VARIANT_TYPE ("a" REFMOUNT_ATTACHMENT_VARIANT_TYPE)));
  g_assert_cmpuint (g_variant_n_children (attachments), ==, 3);
  g_variant_get_child (attachments, 2, "(&sutbs)", &id, &uid, NULL, NULL, NULL);
  g_assert_cmpstr (id, ==, "vol-2");
  g_assert_cmpuint (uid, ==, 1002);
}

static void
test_record_from_variant_rejects (void)
{
  struct
  {
    const char *text;
    const char *why;
  } const cases[] = {
    { "('/m', 's', 'tmpfs', @as [], 'exploded', false, @t 0, @a(sutbs) [])", "unknown state" },
    { "('relative', 's', 'tmpfs', @as [], 'mounted', false, @t 0, @a(sutbs) [])", "relative mountpoint" },
    { "('/m', '', 'tmpfs', @as [], 'mounted', false, @t 0, @a(sutbs) [])", "empty source" },
    { "('/m', 's', '', @as [], 'mounted', false, @t 0, @a(sutbs) [])", "empty fstype" },
    { "('/m', 's', 'tmpfs', @as [], 'mounted', false, @t 0, [('', @u 0, @t 0, false, '')])",
      "empty attachment id" },
    { "('/m', 's', 'tmpfs')", "wrong type" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError)         error = NULL;
      g_autoptr (GVariant)       v = g_variant_parse (NULL, cases[i].text, NULL, NULL, &error);
      g_autoptr (RefmountRecord) r = NULL;

      g_assert_no_error (error);
      g_test_message ("rejecting: %s", cases[i].why);
      r = refmount_record_from_variant (v, &error);
      g_assert_null (r);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    }
}

static void
test_missing_is_empty (Fixture      *f,
                       gconstpointer data)
{
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GError)    error = NULL;
  g_autofree char      *aside = NULL;
  guint64               generation = 99;

  g_assert_true (refmount_state_load (f->dir, &generation, &records, &aside, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (generation, ==, 0);
  g_assert_cmpuint (records->len, ==, 0);
  g_assert_null (aside);
}

static void
test_write_load_round_trip (Fixture      *f,
                            gconstpointer data)
{
  RefmountRecord       *in[] = { make_record ("/srv/refmount/a", 0), make_record ("/srv/refmount/b", 5) };
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GError)    error = NULL;
  g_autofree char      *aside = NULL;
  guint64               generation = 0;

  g_assert_true (refmount_state_write (f->dir, 7, 0, records_variant (in, 2), &error));
  g_assert_no_error (error);
  g_assert_true (refmount_state_load (f->dir, &generation, &records, &aside, &error));
  g_assert_no_error (error);
  g_assert_null (aside);
  g_assert_cmpuint (generation, ==, 7);
  g_assert_cmpuint (records->len, ==, 2);
  assert_records_equal (in[0], g_ptr_array_index (records, 0));
  assert_records_equal (in[1], g_ptr_array_index (records, 1));
  /* The temporary file was renamed over, none is left behind. */
  g_assert_cmpuint (count_entries (f->dir, ""), ==, 1);

  for (gsize i = 0; i < G_N_ELEMENTS (in); i++)
    refmount_record_free (in[i]);
}

static void
test_write_replaces (Fixture      *f,
                     gconstpointer data)
{
  g_autoptr (RefmountRecord) a = make_record ("/srv/refmount/a", 2);
  g_autoptr (GPtrArray)      records = NULL;
  g_autoptr (GError)         error = NULL;
  g_autofree char           *aside = NULL;
  guint64                    generation = 0;

  for (guint64 gen = 1; gen <= 20; gen++)
    {
      RefmountRecord *list[] = { a };

      g_assert_true (refmount_state_write (f->dir, gen, gen, records_variant (list, gen % 2), &error));
      g_assert_no_error (error);
    }
  g_assert_true (refmount_state_load (f->dir, &generation, &records, &aside, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (generation, ==, 20);
  g_assert_cmpuint (records->len, ==, 0);
  g_assert_cmpuint (count_entries (f->dir, ""), ==, 1);
}

static void
test_write_into_missing_dir_fails (Fixture      *f,
                                   gconstpointer data)
{
  g_autofree char   *missing = g_build_filename (f->dir, "nope", NULL);
  g_autoptr (GError) error = NULL;
  RefmountRecord    *none[] = { NULL };

  g_assert_false (refmount_state_write (missing, 1, 0, records_variant (none, 0), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, missing));
}

/* Load @contents as a state file: it must be moved aside with its bytes
 * intact and an empty state returned. */
static void
assert_moved_aside (Fixture    *f,
                    const void *contents,
                    gsize       length)
{
  g_autofree char      *path = g_build_filename (f->dir, REFMOUNT_STATE_FILE_NAME, NULL);
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GError)    error = NULL;
  g_autofree char      *aside = NULL;
  g_autofree char      *kept = NULL;
  gsize                 kept_length = 0;
  guint64               generation = 5;

  g_assert_true (g_file_set_contents (path, contents, (gssize) length, &error));
  g_assert_no_error (error);

  moved_aside_warnings = 0;
  g_assert_true (refmount_state_load (f->dir, &generation, &records, &aside, &error));
  g_assert_cmpuint (moved_aside_warnings, ==, 1);
  g_assert_no_error (error);
  g_assert_cmpuint (generation, ==, 0);
  g_assert_cmpuint (records->len, ==, 0);
  g_assert_nonnull (aside);
  g_assert_true (g_str_has_prefix (aside, f->dir));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_get_contents (aside, &kept, &kept_length, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (kept, kept_length, contents, length);
}

static void
test_corrupt_garbage (Fixture      *f,
                      gconstpointer data)
{
  static const char garbage[] = "this is not a GVariant \xff\xfe\x00 at all";

  assert_moved_aside (f, garbage, sizeof garbage);
}

static void
test_corrupt_truncated (Fixture      *f,
                        gconstpointer data)
{
  g_autoptr (RefmountRecord) r = make_record ("/srv/refmount/a", 4);
  RefmountRecord            *list[] = { r };
  g_autofree char           *path = g_build_filename (f->dir, REFMOUNT_STATE_FILE_NAME, NULL);
  g_autofree char           *contents = NULL;
  g_autoptr (GError)         error = NULL;
  gsize                      length;

  g_assert_true (refmount_state_write (f->dir, 3, 0, records_variant (list, 1), &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  g_assert_no_error (error);
  /* A torn write (what the atomic rename prevents) must still be caught. */
  assert_moved_aside (f, contents, length / 2);
}

static void
test_corrupt_wrong_tag (Fixture      *f,
                        gconstpointer data)
{
  g_autoptr (GVariant) v = g_variant_ref_sink (
    g_variant_new ("(st@a" REFMOUNT_RECORD_VARIANT_TYPE ")", "refmount-state-999", (guint64) 4,
                   g_variant_new_array (G_VARIANT_TYPE (REFMOUNT_RECORD_VARIANT_TYPE), NULL, 0)));

  assert_moved_aside (f, g_variant_get_data (v), g_variant_get_size (v));
}

static void
test_corrupt_bad_record (Fixture      *f,
                         gconstpointer data)
{
  g_autoptr (GError)   error = NULL;
  g_autoptr (GVariant) v = g_variant_parse (
    G_VARIANT_TYPE ("(sta" REFMOUNT_RECORD_VARIANT_TYPE ")"),
    "('refmount-state-1', 2, [('/m', 's', 'tmpfs', @as [], 'exploded', false, 0, @a(sutbs) [])])",
    NULL, NULL, &error);

  g_assert_no_error (error);
  assert_moved_aside (f, g_variant_get_data (v), g_variant_get_size (v));
}

static void
test_corrupt_twice_keeps_both (Fixture      *f,
                               gconstpointer data)
{
  static const char first[] = "first corrupt file";
  static const char second[] = "second corrupt file";

  /* Two in the same second must not overwrite the earlier evidence. */
  assert_moved_aside (f, first, sizeof first);
  assert_moved_aside (f, second, sizeof second);
  g_assert_cmpuint (count_entries (f->dir, REFMOUNT_STATE_CORRUPT_PREFIX), ==, 2);
}

static void
test_unreadable_is_moved_aside (Fixture      *f,
                                gconstpointer data)
{
  g_autofree char      *path = g_build_filename (f->dir, REFMOUNT_STATE_FILE_NAME, NULL);
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GError)    error = NULL;
  g_autofree char      *aside = NULL;
  guint64               generation = 0;

  /* A directory where the file should be: read fails with EISDIR. */
  g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
  moved_aside_warnings = 0;
  g_assert_true (refmount_state_load (f->dir, &generation, &records, &aside, &error));
  g_assert_cmpuint (moved_aside_warnings, ==, 1);
  g_assert_no_error (error);
  g_assert_nonnull (aside);
  g_assert_true (g_file_test (aside, G_FILE_TEST_IS_DIR));
  g_assert_cmpint (g_rmdir (aside), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_log_set_writer_func (writer, NULL, NULL);

  g_test_add_func ("/state/record/round-trip", test_record_variant_round_trip);
  g_test_add_func ("/state/record/rejects", test_record_from_variant_rejects);
  g_test_add_func ("/state/record/fields", test_record_variant_fields);
  g_test_add_func ("/state/mount-state/strings", test_mount_state_strings);
#define ADD(name, fn) g_test_add ("/state/file/" name, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("missing-is-empty", test_missing_is_empty);
  ADD ("round-trip", test_write_load_round_trip);
  ADD ("replaces", test_write_replaces);
  ADD ("missing-dir-fails", test_write_into_missing_dir_fails);
  ADD ("corrupt-garbage", test_corrupt_garbage);
  ADD ("corrupt-truncated", test_corrupt_truncated);
  ADD ("corrupt-wrong-tag", test_corrupt_wrong_tag);
  ADD ("corrupt-bad-record", test_corrupt_bad_record);
  ADD ("corrupt-twice-keeps-both", test_corrupt_twice_keeps_both);
  ADD ("unreadable-moved-aside", test_unreadable_is_moved_aside);
#undef ADD
  return g_test_run ();
}
