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
 * State file: "<dir>/state", a GVariant of type "(sta(sssassbta(sutbs)))":
 * format tag "refmount-state-1", generation, records.  Written to a temp
 * file in @dir, fsync'd, renamed over, then @dir fsync'd, so a crash leaves
 * either the old or the new file, never a torn one.
 */
gboolean refmount_state_write (const char *dir,
                               guint64     generation,
                               GVariant   *records, /* a(sssassbta(sutbs)) */
                               GError    **error);

/* A missing file is an empty state (generation 0).  A corrupt/unreadable
 * one is renamed to "state.corrupt-<unix time>", *out_moved_aside set to
 * that path, and an empty state returned: the caller must report it. */
gboolean refmount_state_load (const char *dir,
                              guint64    *out_generation,
                              GPtrArray **out_records, /* RefmountRecord* */
                              char      **out_moved_aside,
                              GError    **error);

/* The state file's contents, untrusted: FALSE with G_IO_ERROR_INVALID_DATA
 * (or a record's error) when they are not a valid state. */
gboolean refmount_state_parse (GBytes     *bytes,
                               guint64    *out_generation,
                               GPtrArray **out_records, /* RefmountRecord* */
                               GError    **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RefmountRecord, refmount_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RefmountAttachment, refmount_attachment_free)

G_END_DECLS
