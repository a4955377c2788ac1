/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <zlib.h>

#include "refmount-fd.h"
#include "refmount-names.h"
#include "refmount-state-journal.h"

#define JOURNAL_MAGIC      "refmount-jrnl-1\n"
#define JOURNAL_MAGIC_LEN  16
#define JOURNAL_HEADER_LEN (JOURNAL_MAGIC_LEN + 8)
#define FRAME_HEADER_LEN   8

G_STATIC_ASSERT (sizeof JOURNAL_MAGIC - 1 == JOURNAL_MAGIC_LEN);

struct _RefmountJournal
{
  char    *dir;
  char    *path;
  guint64  epoch;         /* of the snapshot on disk */
  gsize    snapshot_size; /* of the last snapshot written or read */
  gsize    length;        /* header and durable frames of the journal */
  gboolean appendable;
  gsize    compact_min;
};

/* ---- CRC-32 and little-endian fields ----------------------------------- */

guint32
refmount_crc32 (const guint8 *data,
                gsize         len)
{
  /* crc32_z: a gsize length, where crc32() would truncate it to uInt. */
  return (guint32) crc32_z (crc32_z (0, Z_NULL, 0), data, len);
}

static guint32
get_le32 (const guint8 *p)
{
  guint32 v;

  memcpy (&v, p, sizeof v);
  return GUINT32_FROM_LE (v);
}

static guint64
get_le64 (const guint8 *p)
{
  guint64 v;

  memcpy (&v, p, sizeof v);
  return GUINT64_FROM_LE (v);
}

static void
put_le32 (GByteArray *out,
          guint32     v)
{
  v = GUINT32_TO_LE (v);
  g_byte_array_append (out, (const guint8 *) &v, sizeof v);
}

static void
put_le64 (GByteArray *out,
          guint64     v)
{
  v = GUINT64_TO_LE (v);
  g_byte_array_append (out, (const guint8 *) &v, sizeof v);
}

/* ---- the object --------------------------------------------------------- */

RefmountJournal *
refmount_journal_new (const char *dir)
{
  RefmountJournal *journal = g_new0 (RefmountJournal, 1);

  journal->dir = g_strdup (dir);
  journal->path = g_build_filename (dir, REFMOUNT_JOURNAL_FILE_NAME, NULL);
  journal->compact_min = REFMOUNT_JOURNAL_COMPACT_MIN;
  return journal;
}

void
refmount_journal_free (RefmountJournal *journal)
{
  if (journal == NULL)
    return;
  g_free (journal->dir);
  g_free (journal->path);
  g_free (journal);
}

const char *
refmount_journal_get_dir (RefmountJournal *journal)
{
  return journal->dir;
}

void
refmount_journal_change_free (RefmountJournalChange *change)
{
  if (change == NULL)
    return;
  g_free (change->mountpoint);
  refmount_record_free (change->record);
  g_free (change);
}

gboolean
refmount_journal_can_append (RefmountJournal *journal)
{
  return journal->appendable;
}

gboolean
refmount_journal_wants_compaction (RefmountJournal *journal)
{
  /* Twice the snapshot: the replay at start-up stays proportional to the
   * table, and each byte of snapshot is rewritten once per as many bytes
   * of journal, so the cost per operation stays constant. */
  return journal->length > MAX (journal->compact_min, REFMOUNT_JOURNAL_COMPACT_FACTOR * journal->snapshot_size);
}

void
refmount_journal_set_compact_min (RefmountJournal *journal,
                                  gsize            bytes)
{
  journal->compact_min = bytes;
}

/* ---- parsing ------------------------------------------------------------ */

static gboolean
parse_header (const guint8 *data,
              gsize         size,
              guint64      *out_epoch,
              GError      **error)
{
  if (size < JOURNAL_HEADER_LEN || memcmp (data, JOURNAL_MAGIC, JOURNAL_MAGIC_LEN) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not a refmount journal");
      return FALSE;
    }
  *out_epoch = get_le64 (data + JOURNAL_MAGIC_LEN);
  return TRUE;
}

/* The payload length of an intact frame at @offset, or 0 if there is none. */
static gsize
frame_at (const guint8 *data,
          gsize         size,
          gsize         offset)
{
  gsize len;

  if (size - offset < FRAME_HEADER_LEN)
    return 0;
  len = get_le32 (data + offset);
  if (len == 0 || len > size - offset - FRAME_HEADER_LEN)
    return 0;
  if (refmount_crc32 (data + offset + FRAME_HEADER_LEN, len) != get_le32 (data + offset + 4))
    return 0;
  return len;
}

/* Type and normal form are checked before any value is read. */
static RefmountJournalChange *
parse_change (GBytes  *bytes,
              gsize    offset,
              gsize    len,
              GError **error)
{
  g_autoptr (GBytes)                payload = g_bytes_new_from_bytes (bytes, offset, len);
  g_autoptr (GVariant)              frame = NULL;
  g_autoptr (GVariant)              maybe = NULL;
  g_autoptr (GVariant)              record = NULL;
  g_autoptr (RefmountJournalChange) change = g_new0 (RefmountJournalChange, 1);

  frame = g_variant_ref_sink (
    g_variant_new_from_bytes (G_VARIANT_TYPE (REFMOUNT_JOURNAL_FRAME_VARIANT_TYPE), payload, FALSE));
  if (!g_variant_is_normal_form (frame))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the journal frame at offset %" G_GSIZE_FORMAT " is not a change", offset);
      return NULL;
    }
  g_variant_get (frame, "(s@m" REFMOUNT_RECORD_VARIANT_TYPE ")", &change->mountpoint, &maybe);
  record = g_variant_get_maybe (maybe);
  if (change->mountpoint[0] != '/')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the journal frame at offset %" G_GSIZE_FORMAT " names mountpoint '%s'", offset,
                   change->mountpoint);
      return NULL;
    }
  if (record == NULL)
    return g_steal_pointer (&change);
  change->record = refmount_record_from_variant (record, error);
  if (change->record == NULL)
    {
      g_prefix_error (error, "journal frame at offset %" G_GSIZE_FORMAT ": ", offset);
      return NULL;
    }
  if (!g_str_equal (change->record->mountpoint, change->mountpoint))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the journal frame at offset %" G_GSIZE_FORMAT " for '%s' holds the record of '%s'",
                   offset, change->mountpoint, change->record->mountpoint);
      return NULL;
    }
  return g_steal_pointer (&change);
}

gboolean
refmount_journal_parse (GBytes     *bytes,
                        guint64    *out_epoch,
                        GPtrArray **out_changes,
                        gsize      *out_valid_length,
                        GError    **error)
{
  g_autoptr (GPtrArray) changes = g_ptr_array_new_with_free_func ((GDestroyNotify) refmount_journal_change_free);
  gsize                 size = 0;
  const guint8         *data = g_bytes_get_data (bytes, &size);
  gsize                 offset = JOURNAL_HEADER_LEN;
  guint64               epoch = 0;

  if (!parse_header (data, size, &epoch, error))
    return FALSE;
  while (offset < size)
    {
      gsize                  len = frame_at (data, size, offset);
      RefmountJournalChange *change;

      if (len == 0)
        {
          /* A write interrupted by a crash leaves a damaged frame only at
           * the end; one with intact frames after it is damage. */
          for (gsize later = offset + 1; later < size; later++)
            if (frame_at (data, size, later) > 0)
              {
                g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                             "the journal frame at offset %" G_GSIZE_FORMAT
                             " is damaged but followed by an intact one at %" G_GSIZE_FORMAT,
                             offset, later);
                return FALSE;
              }
          break;
        }
      change = parse_change (bytes, offset + FRAME_HEADER_LEN, len, error);
      if (change == NULL)
        return FALSE;
      g_ptr_array_add (changes, change);
      offset += FRAME_HEADER_LEN + len;
    }
  *out_epoch = epoch;
  *out_changes = g_steal_pointer (&changes);
  *out_valid_length = offset;
  return TRUE;
}

/* ---- loading ------------------------------------------------------------ */

/* NULL without @error when the file does not exist. */
static GBytes *
read_file (const char *path,
           GError    **error)
{
  g_autoptr (GError) local_error = NULL;
  char              *contents = NULL;
  gsize              length = 0;

  if (g_file_get_contents (path, &contents, &length, &local_error))
    return g_bytes_new_take (contents, length);
  if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    g_propagate_error (error, g_steal_pointer (&local_error));
  return NULL;
}

static GPtrArray *
apply_changes (GPtrArray *records,
               GPtrArray *changes)
{
  g_autoptr (GHashTable) by_mountpoint = NULL;
  GPtrArray             *result = g_ptr_array_new_with_free_func ((GDestroyNotify) refmount_record_free);
  GHashTableIter         iter;
  gpointer               value;

  /* Keys point into the records: replace, never insert, keeps them valid. */
  by_mountpoint = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) refmount_record_free);
  for (guint i = 0; i < records->len; i++)
    {
      RefmountRecord *record = g_ptr_array_index (records, i);

      records->pdata[i] = NULL;
      g_hash_table_replace (by_mountpoint, record->mountpoint, record);
    }
  for (guint i = 0; i < changes->len; i++)
    {
      RefmountJournalChange *change = g_ptr_array_index (changes, i);

      if (change->record == NULL)
        g_hash_table_remove (by_mountpoint, change->mountpoint);
      else
        {
          RefmountRecord *record = g_steal_pointer (&change->record);
          g_hash_table_replace (by_mountpoint, record->mountpoint, record);
        }
    }
  g_hash_table_iter_init (&iter, by_mountpoint);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      g_ptr_array_add (result, value);
      g_hash_table_iter_steal (&iter);
    }
  return result;
}

/* Keep the evidence, never drop it silently: the journal means nothing
 * without its snapshot, so both go. */
static gboolean
move_aside (RefmountJournal *journal,
            const GError    *problem,
            char           **out_moved_aside,
            GError         **error)
{
  static const char *const names[] = { REFMOUNT_STATE_FILE_NAME, REFMOUNT_JOURNAL_FILE_NAME };
  static const char *const prefixes[] = { REFMOUNT_STATE_CORRUPT_PREFIX, REFMOUNT_JOURNAL_CORRUPT_PREFIX };
  char                    *asides[G_N_ELEMENTS (names)] = { NULL };
  gint64                   now = g_get_real_time () / G_USEC_PER_SEC;

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char   *path = g_build_filename (journal->dir, names[i], NULL);
      g_autoptr (GError) local_error = NULL;
      GStatBuf           st;

      if (g_lstat (path, &st) < 0)
        continue;
      asides[i] = refmount_state_move_aside (journal->dir, names[i], prefixes[i], now, &local_error);
      if (asides[i] == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "The state in %s is unusable (%s) and cannot be moved aside: %s",
                       journal->dir, problem->message, local_error->message);
          g_free (asides[0]);
          g_free (asides[1]);
          return FALSE;
        }
    }
  g_warning ("The state in %s is unusable (%s); moved aside to %s%s%s", journal->dir, problem->message,
             asides[0] != NULL ? asides[0] : "", asides[0] != NULL && asides[1] != NULL ? " and " : "",
             asides[1] != NULL ? asides[1] : "");
  *out_moved_aside = asides[0] != NULL ? g_steal_pointer (&asides[0]) : g_steal_pointer (&asides[1]);
  g_free (asides[0]);
  g_free (asides[1]);
  return TRUE;
}

gboolean
refmount_journal_load (RefmountJournal *journal,
                       guint64         *out_generation,
                       GPtrArray      **out_records,
                       char           **out_moved_aside,
                       GError         **error)
{
  g_autofree char      *state_path = g_build_filename (journal->dir, REFMOUNT_STATE_FILE_NAME, NULL);
  g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) refmount_record_free);
  g_autoptr (GPtrArray) changes = NULL;
  g_autoptr (GError)    problem = NULL;
  g_autoptr (GBytes)    snapshot = NULL;
  g_autoptr (GBytes)    log = NULL;
  guint64               generation = 0, epoch = 0, log_epoch = 0;
  gsize                 valid_length = 0;

  *out_generation = 0;
  *out_moved_aside = NULL;
  journal->appendable = FALSE;

  snapshot = read_file (state_path, &problem);
  if (snapshot != NULL)
    refmount_state_parse_snapshot (snapshot, &generation, &epoch, records, &problem);
  if (problem == NULL)
    log = read_file (journal->path, &problem);
  if (log != NULL && parse_header (g_bytes_get_data (log, NULL), g_bytes_get_size (log), &log_epoch, &problem) &&
      log_epoch == epoch)
    refmount_journal_parse (log, &log_epoch, &changes, &valid_length, &problem);

  if (problem != NULL)
    {
      if (!move_aside (journal, problem, out_moved_aside, error))
        return FALSE;
      /* Whatever was on disk is gone: any epoch is new. */
      journal->epoch = MAX (epoch, log_epoch);
      journal->snapshot_size = 0;
      *out_records = g_ptr_array_new_with_free_func ((GDestroyNotify) refmount_record_free);
      return TRUE;
    }

  if (changes != NULL && changes->len > 0)
    {
      GPtrArray *replayed = apply_changes (records, changes);

      g_ptr_array_unref (records);
      records = replayed;
    }
  /* An append that a crash interrupted was never acknowledged. */
  if (changes != NULL && valid_length < g_bytes_get_size (log))
    {
      if (truncate (journal->path, (off_t) valid_length) < 0)
        g_warning ("Cannot cut the incomplete last write off %s: %s", journal->path, g_strerror (errno));
      else
        g_message ("Dropped an incomplete last write (%" G_GSIZE_FORMAT " bytes, never acknowledged) from %s",
                   g_bytes_get_size (log) - valid_length, journal->path);
    }
  /* A journal of another epoch is a compaction's leftover, already in the
   * snapshot; the next epoch must differ from both. */
  journal->epoch = MAX (epoch, log_epoch);
  journal->snapshot_size = snapshot != NULL ? g_bytes_get_size (snapshot) : 0;
  *out_generation = generation;
  *out_records = g_steal_pointer (&records);
  return TRUE;
}

gboolean
refmount_state_load (const char *dir,
                     guint64    *out_generation,
                     GPtrArray **out_records,
                     char      **out_moved_aside,
                     GError    **error)
{
  g_autoptr (RefmountJournal) journal = refmount_journal_new (dir);

  return refmount_journal_load (journal, out_generation, out_records, out_moved_aside, error);
}

/* ---- writing ------------------------------------------------------------ */

GVariant *
refmount_journal_frame_new (const char *mountpoint,
                            GVariant   *record)
{
  return g_variant_ref_sink (g_variant_new ("(s@m" REFMOUNT_RECORD_VARIANT_TYPE ")", mountpoint,
                                            g_variant_new_maybe (G_VARIANT_TYPE (REFMOUNT_RECORD_VARIANT_TYPE),
                                                                 record)));
}

gboolean
refmount_journal_append (RefmountJournal *journal,
                         GVariant *const *frames,
                         guint            n_frames,
                         GError         **error)
{
  g_autoptr (GByteArray) buffer = g_byte_array_new ();
  struct stat            st;
  const char            *step = NULL;
  refmount_autofd int    fd = -1;
  int                    errsv;

  if (!journal->appendable)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "The journal %s must be compacted first", journal->path);
      return FALSE;
    }
  for (guint i = 0; i < n_frames; i++)
    {
      gsize         len = g_variant_get_size (frames[i]);
      const guint8 *payload = g_variant_get_data (frames[i]);

      if (len > G_MAXUINT32)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                       "A change of %" G_GSIZE_FORMAT " bytes does not fit in a journal frame", len);
          return FALSE;
        }
      put_le32 (buffer, (guint32) len);
      put_le32 (buffer, refmount_crc32 (payload, len));
      g_byte_array_append (buffer, payload, (guint) len);
    }

  /* Opened per append: a descriptor kept open for writing would keep the
   * state file system from being remounted read-only. */
  fd = open (journal->path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    {
      errsv = errno;
      if (errsv == ENOENT)
        journal->appendable = FALSE;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "Cannot open journal %s: %s",
                   journal->path, g_strerror (errsv));
      return FALSE;
    }
  if (fstat (fd, &st) < 0)
    step = "stat";
  else if ((guint64) st.st_size != journal->length)
    {
      journal->appendable = FALSE;
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "Journal %s changed behind refmount's back (%" G_GINT64_FORMAT " bytes, expected %" G_GSIZE_FORMAT ")",
                   journal->path, (gint64) st.st_size, journal->length);
      return FALSE;
    }
  else if (!refmount_write_all (fd, buffer->data, buffer->len))
    step = "append to";
  else if (fdatasync (fd) < 0)
    {
      /* After a failed sync the page cache no longer tells what is on
       * disk: only a fresh file is trusted again. */
      step = "sync";
      journal->appendable = FALSE;
    }
  if (step != NULL)
    {
      errsv = errno;
      /* A frame after a partial one would turn a torn tail into damage. */
      if (ftruncate (fd, (off_t) journal->length) < 0)
        journal->appendable = FALSE;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "Cannot %s journal %s: %s", step,
                   journal->path, g_strerror (errsv));
      return FALSE;
    }
  journal->length += buffer->len;
  return TRUE;
}

gboolean
refmount_journal_compact (RefmountJournal *journal,
                          guint64          generation,
                          GVariant        *records,
                          GError         **error)
{
  guint64                epoch = journal->epoch + 1;
  g_autoptr (GBytes)     snapshot = refmount_state_serialize (generation, epoch, records);
  g_autoptr (GByteArray) header = g_byte_array_new ();
  g_autoptr (GBytes)     header_bytes = NULL;
  g_autoptr (GError)     local_error = NULL;
  gboolean               replaced = FALSE;

  if (!refmount_state_replace_file (journal->dir, REFMOUNT_STATE_FILE_NAME, snapshot, &replaced, error))
    {
      /* The new snapshot may be the one on disk now: the old journal
       * must not be continued. */
      if (replaced)
        {
          journal->epoch = epoch;
          journal->appendable = FALSE;
        }
      return FALSE;
    }
  journal->epoch = epoch;
  journal->snapshot_size = g_bytes_get_size (snapshot);
  journal->appendable = FALSE;

  g_byte_array_append (header, (const guint8 *) JOURNAL_MAGIC, JOURNAL_MAGIC_LEN);
  put_le64 (header, epoch);
  header_bytes = g_byte_array_free_to_bytes (g_steal_pointer (&header));
  if (!refmount_state_replace_file (journal->dir, REFMOUNT_JOURNAL_FILE_NAME, header_bytes, NULL, &local_error))
    {
      g_warning ("Wrote the state snapshot but could not start a new journal (%s); "
                 "the next write is a full snapshot again",
                 local_error->message);
      return TRUE;
    }
  journal->length = JOURNAL_HEADER_LEN;
  journal->appendable = TRUE;
  return TRUE;
}
