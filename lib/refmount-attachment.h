/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * RefmountAttachment:
 *
 * One attachment on a managed mountpoint: the attachment id its caller
 * chose, the uid that owns it, and when it was attached.  Immutable.
 */
typedef struct _RefmountAttachment RefmountAttachment;

#define REFMOUNT_TYPE_ATTACHMENT (refmount_attachment_get_type ())

GType               refmount_attachment_get_type (void) G_GNUC_CONST;
RefmountAttachment *refmount_attachment_new (const char *id,
                                             guint32     uid,
                                             gint64      time);
RefmountAttachment *refmount_attachment_copy (const RefmountAttachment *attachment);
void                refmount_attachment_free (RefmountAttachment *attachment);
const char         *refmount_attachment_get_id (const RefmountAttachment *attachment);
guint32             refmount_attachment_get_uid (const RefmountAttachment *attachment);
gint64              refmount_attachment_get_time (const RefmountAttachment *attachment);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RefmountAttachment, refmount_attachment_free)

G_END_DECLS
