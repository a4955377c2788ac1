/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char    *id;
  guint32  uid;
  guint64  attached_at; /* µs since the epoch */
  gboolean release_on_exit;
  char    *bus_name; /* unique name of the attaching connection */
} RefmountAttachment;

/* One managed mountpoint, as persisted and as exported on D-Bus. */
typedef struct
{
  char      *mountpoint;
  char      *source;
  char      *fstype;
  GStrv      options;     /* effective options */
  char      *state;       /* REFMOUNT_STATE_* */
  gboolean   created_dir; /* refmount created the directory */
  guint64    mounted_at;  /* µs since the epoch, 0 if not mounted */
  GPtrArray *attachments; /* RefmountAttachment*, owned */
} RefmountRecord;

RefmountAttachment *refmount_attachment_new (const char *id,
                                             guint32     uid,
                                             guint64     attached_at,
                                             gboolean    release_on_exit,
                                             const char *bus_name);
RefmountAttachment *refmount_attachment_copy (const RefmountAttachment *a);
void                refmount_attachment_free (RefmountAttachment *a);

RefmountRecord *refmount_record_new (void);
RefmountRecord *refmount_record_copy (const RefmountRecord *r);
void            refmount_record_free (RefmountRecord *r);

/* Type "(sssassbta(sutbs))". */
#define REFMOUNT_RECORD_VARIANT_TYPE "(sssassbta(sutbs))"
GVariant *refmount_record_to_variant (const RefmountRecord *r);
/* NULL (with error) for a record with bad fields, e.g. an unknown state. */
RefmountRecord *refmount_record_from_variant (GVariant *v, GError **error);

/*
 * Snapshot: "<dir>/state", a GVariant of type "(stta(sssassbta(sutbs)))":
 * format tag "refmount-state-2", generation, the epoch of the journal that
 * continues it (refmount-state-journal.h), records.  Version 1,
 * "(sta(sssassbta(sutbs)))" tagged "refmount-state-1", had no journal and
 * is still read (epoch 0).
 */
GBytes  *refmount_state_serialize (guint64   generation,
                                   guint64   epoch,
                                   GVariant *records); /* a(sssassbta(sutbs)) */
gboolean refmount_state_write (const char *dir,
                               guint64     generation,
                               guint64     epoch,
                               GVariant   *records, /* a(sssassbta(sutbs)) */
                               GError    **error);

/* The state file's contents, untrusted: FALSE with G_IO_ERROR_INVALID_DATA
 * (or a record's error) when they are not a valid state of either
 * version. */
gboolean refmount_state_parse (GBytes     *bytes,
                               guint64    *out_generation,
                               GPtrArray **out_records, /* RefmountRecord* */
                               GError    **error);
/* The same, also giving the epoch (0 for version 1), appending the
 * records to @records (partly filled on failure). */
gboolean refmount_state_parse_snapshot (GBytes    *bytes,
                                        guint64   *out_generation,
                                        guint64   *out_epoch,
                                        GPtrArray *records,
                                        GError   **error);

/* Replace "<dir>/<name>" by @contents: written to a temp file in @dir,
 * fsync'd, renamed over, then @dir fsync'd, so a crash leaves either the
 * old or the new file, never a torn one.  *out_replaced (may be NULL)
 * tells whether the rename happened, which a failed directory sync does
 * not undo. */
gboolean refmount_state_replace_file (const char *dir,
                                      const char *name,
                                      GBytes     *contents,
                                      gboolean   *out_replaced,
                                      GError    **error);

/* Rename "<dir>/<name>" to "<dir>/<prefix><now>" (or "-<n>" after it when
 * that exists): the path it got, or NULL with @error. */
char *refmount_state_move_aside (const char *dir,
                                 const char *name,
                                 const char *prefix,
                                 gint64      now,
                                 GError    **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RefmountRecord, refmount_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RefmountAttachment, refmount_attachment_free)

G_END_DECLS
