/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "refmount-attachment.h"

struct _RefmountAttachment
{
  char   *id;
  guint32 uid;
  gint64  time;
};

G_DEFINE_BOXED_TYPE (RefmountAttachment, refmount_attachment, refmount_attachment_copy, refmount_attachment_free)

/**
 * refmount_attachment_new:
 * @id: the attachment id
 * @uid: the uid that owns it
 * @time: when it was attached, in µs since the epoch
 *
 * Creates an attachment record (the library makes them from the
 * `Attachments` property; tests and callers comparing records may too).
 *
 * Returns: (transfer full): a new #RefmountAttachment
 */
RefmountAttachment *
refmount_attachment_new (const char *id,
                         guint32     uid,
                         gint64      time)
{
  RefmountAttachment *attachment;

  g_return_val_if_fail (id != NULL, NULL);
  attachment = g_new0 (RefmountAttachment, 1);
  attachment->id = g_strdup (id);
  attachment->uid = uid;
  attachment->time = time;
  return attachment;
}

/**
 * refmount_attachment_copy:
 * @attachment: a #RefmountAttachment
 *
 * Returns: (transfer full): a copy of @attachment
 */
RefmountAttachment *
refmount_attachment_copy (const RefmountAttachment *attachment)
{
  g_return_val_if_fail (attachment != NULL, NULL);
  return refmount_attachment_new (attachment->id, attachment->uid, attachment->time);
}

/**
 * refmount_attachment_free:
 * @attachment: (nullable): a #RefmountAttachment
 *
 * Frees @attachment.
 */
void
refmount_attachment_free (RefmountAttachment *attachment)
{
  if (attachment == NULL)
    return;
  g_free (attachment->id);
  g_free (attachment);
}

/**
 * refmount_attachment_get_id:
 * @attachment: a #RefmountAttachment
 *
 * Returns: the attachment id its caller chose (e.g. a volume and instance)
 */
const char *
refmount_attachment_get_id (const RefmountAttachment *attachment)
{
  g_return_val_if_fail (attachment != NULL, NULL);
  return attachment->id;
}

/**
 * refmount_attachment_get_uid:
 * @attachment: a #RefmountAttachment
 *
 * Returns: the uid of the process that attached
 */
guint32
refmount_attachment_get_uid (const RefmountAttachment *attachment)
{
  g_return_val_if_fail (attachment != NULL, 0);
  return attachment->uid;
}

/**
 * refmount_attachment_get_time:
 * @attachment: a #RefmountAttachment
 *
 * Returns: when it was attached, in µs since the epoch
 */
gint64
refmount_attachment_get_time (const RefmountAttachment *attachment)
{
  g_return_val_if_fail (attachment != NULL, 0);
  return attachment->time;
}
