/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "refmount-state.h"

G_BEGIN_DECLS

/*
 * The state directory holds a snapshot, "<dir>/state" (refmount-state.h),
 * and "<dir>/journal", the changes made since, so that an operation costs
 * one append and one fdatasync(2) whatever the size of the table:
 *
 *   header  "refmount-jrnl-1\n", epoch (u64 LE)
 *   frames  payload length (u32 LE), CRC-32 of the payload (u32 LE),
 *           payload: GVariant "(sm(sssassbta(sutbs)))", a mountpoint and
 *           its new record, or nothing when it was removed
 *
 * The journal continues the snapshot whose epoch it carries; one with
 * another epoch is what a crash during a compaction left behind, already
 * contained in the snapshot, and is ignored.  Compaction writes a snapshot
 * with the next epoch, then installs an empty journal for it (both
 * atomically: temp file, fsync, rename, directory fsync).
 *
 * Not thread-safe: the table serializes all calls (persist_mutex).
 */

#define REFMOUNT_JOURNAL_FRAME_VARIANT_TYPE "(sm" REFMOUNT_RECORD_VARIANT_TYPE ")"
/* A journal this much larger than the last snapshot, or than this
 * minimum, asks to be compacted. */
#define REFMOUNT_JOURNAL_COMPACT_MIN    (256 * 1024)
#define REFMOUNT_JOURNAL_COMPACT_FACTOR 2

typedef struct _RefmountJournal RefmountJournal;

typedef struct
{
  char           *mountpoint;
  RefmountRecord *record; /* NULL: removed */
} RefmountJournalChange;

void refmount_journal_change_free (RefmountJournalChange *change);

RefmountJournal *refmount_journal_new (const char *dir);
void             refmount_journal_free (RefmountJournal *journal);
const char      *refmount_journal_get_dir (RefmountJournal *journal);

/* Load the snapshot and replay the journal onto it.  Missing files are an
 * empty state (generation 0).  A torn tail (an incomplete last frame: a
 * write that was never acknowledged) is dropped and truncated away.
 * Anything else that is unreadable or corrupt moves the snapshot and the
 * journal aside ("state.corrupt-<unix time>", "journal.corrupt-…"), sets
 * *out_moved_aside to where the snapshot (or else the journal) went and
 * returns an empty state: the caller must report it.  FALSE only when a
 * file cannot be moved aside.  Afterwards the journal cannot be appended
 * to before a compaction. */
gboolean refmount_journal_load (RefmountJournal *journal,
                                guint64         *out_generation,
                                GPtrArray      **out_records, /* RefmountRecord* */
                                char           **out_moved_aside,
                                GError         **error);

/* refmount_journal_load() on a journal of its own. */
gboolean refmount_state_load (const char *dir,
                              guint64    *out_generation,
                              GPtrArray **out_records, /* RefmountRecord* */
                              char      **out_moved_aside,
                              GError    **error);

/* A frame: @mountpoint now has @record ("(sssassbta(sutbs))"), or is
 * gone when @record is NULL. */
GVariant *refmount_journal_frame_new (const char *mountpoint,
                                      GVariant   *record);

/* Whether the journal of the current epoch is installed and may be
 * appended to (not after a load, nor after a failure that left it in an
 * unknown state: then only a compaction can go on). */
gboolean refmount_journal_can_append (RefmountJournal *journal);
gboolean refmount_journal_wants_compaction (RefmountJournal *journal);
/* Test hook: a smaller minimum than REFMOUNT_JOURNAL_COMPACT_MIN. */
void refmount_journal_set_compact_min (RefmountJournal *journal,
                                       gsize            bytes);

/* Append @frames with one write and fdatasync(2) them: on TRUE they are
 * durable.  On FALSE the journal is cut back to what it was (or, when
 * that fails, refmount_journal_can_append() turns FALSE). */
gboolean refmount_journal_append (RefmountJournal *journal,
                                  GVariant *const *frames,
                                  guint            n_frames,
                                  GError         **error);

/* Write @records as the snapshot of the next epoch and start an empty
 * journal for it.  TRUE once the snapshot is durable, even when the new
 * journal could not be installed (logged; the next write compacts
 * again). */
gboolean refmount_journal_compact (RefmountJournal *journal,
                                   guint64          generation,
                                   GVariant        *records, /* a(sssassbta(sutbs)) */
                                   GError         **error);

/* Parse untrusted journal contents: the header's epoch and every complete
 * frame in order.  *out_valid_length is where the valid frames end (less
 * than the size for a torn tail).  FALSE with G_IO_ERROR_INVALID_DATA for a
 * bad header, a bad frame followed by a valid one, or a frame whose
 * checksum is right but whose payload is not a valid change. */
gboolean refmount_journal_parse (GBytes     *bytes,
                                 guint64    *out_epoch,
                                 GPtrArray **out_changes, /* RefmountJournalChange* */
                                 gsize      *out_valid_length,
                                 GError    **error);

/* CRC-32 (IEEE 802.3): zlib's crc32(), the frames' checksum. */
guint32 refmount_crc32 (const guint8 *data,
                        gsize         len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RefmountJournal, refmount_journal_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RefmountJournalChange, refmount_journal_change_free)

G_END_DECLS
