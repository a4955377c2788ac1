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

/*
 * The state of a managed mount.  Stored and exported (the Mount object's
 * State property, doc/dbus-api.md "Mount objects") as the strings
 * REFMOUNT_STATE_* of refmount-names.h; in memory only as this enum.
 */
typedef enum
{
  REFMOUNT_MOUNT_STATE_MOUNTED = 0, /* also what a zeroed record has */
  REFMOUNT_MOUNT_STATE_BUSY,        /* an unmount found it busy; retried */
  REFMOUNT_MOUNT_STATE_STALE,       /* recorded, but not (or not ours) in the kernel */
} RefmountMountState;

/* "mounted", "busy", "stale". */
const char *refmount_mount_state_to_string (RefmountMountState state);
/* FALSE for any other string (e.g. from a damaged or newer state file). */
gboolean refmount_mount_state_from_string (const char         *string,
                                           RefmountMountState *out_state);

/* One managed mountpoint, as persisted and as exported on D-Bus. */
typedef struct
{
  char              *mountpoint;
  char              *source;
  char              *fstype;
  GStrv              options; /* effective options */
  RefmountMountState state;
  gboolean           created_dir; /* refmount created the directory */
  guint64            mounted_at;  /* µs since the epoch, 0 if not mounted */
  GPtrArray         *attachments; /* RefmountAttachment*, owned */
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
/* An attachment in it: id, uid, attached_at, release_on_exit, bus name. */
#define REFMOUNT_ATTACHMENT_VARIANT_TYPE "(sutbs)"
GVariant *refmount_record_to_variant (const RefmountRecord *r);
/* NULL (with error) for a record with bad fields, e.g. an unknown state. */
RefmountRecord *refmount_record_from_variant (GVariant *v, GError **error);

/* The fields of a record variant, in their order. */
typedef enum
{
  REFMOUNT_RECORD_FIELD_MOUNTPOINT,
  REFMOUNT_RECORD_FIELD_SOURCE,
  REFMOUNT_RECORD_FIELD_FSTYPE,
  REFMOUNT_RECORD_FIELD_OPTIONS,
  REFMOUNT_RECORD_FIELD_STATE,
  REFMOUNT_RECORD_FIELD_CREATED_DIR,
  REFMOUNT_RECORD_FIELD_MOUNTED_AT,
  REFMOUNT_RECORD_FIELD_ATTACHMENTS,
} RefmountRecordField;

/* Reads of a record variant (of REFMOUNT_RECORD_VARIANT_TYPE, as the table
 * keeps them) without decoding all of it. */
GVariant   *refmount_record_variant_get_field (GVariant           *record,
                                               RefmountRecordField field); /* full reference */
const char *refmount_record_variant_get_mountpoint (GVariant *record);     /* owned by @record */
/* a(sutbs): a full reference. */
GVariant *refmount_record_variant_get_attachments (GVariant *record);
/* The state of a record the table made (refmount_record_to_variant). */
RefmountMountState refmount_record_variant_get_state (GVariant *record);

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
