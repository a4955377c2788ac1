/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include <gio/gio.h>

#include "refmount-names.h"
#include "refmount-fd.h"
#include "refmount-state.h"

/* v1 had no journal; v2 adds the epoch of the journal that goes with it. */
#define STATE_FORMAT_TAG_1   "refmount-state-1"
#define STATE_VARIANT_TYPE_1 "(sta" REFMOUNT_RECORD_VARIANT_TYPE ")"
#define STATE_FORMAT_TAG_2   "refmount-state-2"
#define STATE_VARIANT_TYPE_2 "(stta" REFMOUNT_RECORD_VARIANT_TYPE ")"

static const char *const mount_state_names[] = {
  [REFMOUNT_MOUNT_STATE_MOUNTED] = REFMOUNT_STATE_MOUNTED,
  [REFMOUNT_MOUNT_STATE_BUSY] = REFMOUNT_STATE_BUSY,
  [REFMOUNT_MOUNT_STATE_STALE] = REFMOUNT_STATE_STALE,
};

const char *
refmount_mount_state_to_string (RefmountMountState state)
{
  g_return_val_if_fail ((gsize) state < G_N_ELEMENTS (mount_state_names), REFMOUNT_STATE_STALE);
  return mount_state_names[state];
}

gboolean
refmount_mount_state_from_string (const char         *string,
                                  RefmountMountState *out_state)
{
  for (gsize i = 0; i < G_N_ELEMENTS (mount_state_names); i++)
    if (g_strcmp0 (string, mount_state_names[i]) == 0)
      {
        *out_state = (RefmountMountState) i;
        return TRUE;
      }
  return FALSE;
}

RefmountAttachment *
refmount_attachment_new (const char *id,
                         guint32     uid,
                         guint64     attached_at,
                         gboolean    release_on_exit,
                         const char *bus_name)
{
  RefmountAttachment *a = g_new0 (RefmountAttachment, 1);

  a->id = g_strdup (id);
  a->uid = uid;
  a->attached_at = attached_at;
  a->release_on_exit = release_on_exit;
  a->bus_name = g_strdup (bus_name != NULL ? bus_name : "");
  return a;
}

RefmountAttachment *
refmount_attachment_copy (const RefmountAttachment *a)
{
  return refmount_attachment_new (a->id, a->uid, a->attached_at, a->release_on_exit, a->bus_name);
}

void
refmount_attachment_free (RefmountAttachment *a)
{
  if (a == NULL)
    return;
  g_free (a->id);
  g_free (a->bus_name);
  g_free (a);
}

RefmountRecord *
refmount_record_new (void)
{
  RefmountRecord *r = g_new0 (RefmountRecord, 1);

  r->attachments = g_ptr_array_new_with_free_func ((GDestroyNotify) refmount_attachment_free);
  r->options = g_new0 (char *, 1);
  return r;
}

RefmountRecord *
refmount_record_copy (const RefmountRecord *r)
{
  RefmountRecord *copy = refmount_record_new ();

  copy->mountpoint = g_strdup (r->mountpoint);
  copy->source = g_strdup (r->source);
  copy->fstype = g_strdup (r->fstype);
  g_strfreev (copy->options);
  copy->options = g_strdupv (r->options);
  copy->state = r->state;
  copy->created_dir = r->created_dir;
  copy->mounted_at = r->mounted_at;
  for (guint i = 0; i < r->attachments->len; i++)
    g_ptr_array_add (copy->attachments, refmount_attachment_copy (g_ptr_array_index (r->attachments, i)));
  return copy;
}

void
refmount_record_free (RefmountRecord *r)
{
  if (r == NULL)
    return;
  g_free (r->mountpoint);
  g_free (r->source);
  g_free (r->fstype);
  g_strfreev (r->options);
  g_ptr_array_unref (r->attachments);
  g_free (r);
}

GVariant *
refmount_record_to_variant (const RefmountRecord *r)
{
  GVariantBuilder   attachments;
  const char *const empty[] = { NULL };

  g_variant_builder_init (&attachments, G_VARIANT_TYPE ("a" REFMOUNT_ATTACHMENT_VARIANT_TYPE));
  for (guint i = 0; i < r->attachments->len; i++)
    {
      RefmountAttachment *a = g_ptr_array_index (r->attachments, i);
      g_variant_builder_add (&attachments, REFMOUNT_ATTACHMENT_VARIANT_TYPE, a->id, a->uid, a->attached_at,
                             a->release_on_exit, a->bus_name != NULL ? a->bus_name : "");
    }
  return g_variant_new ("(sss^assbt@a(sutbs))",
                        r->mountpoint, r->source, r->fstype,
                        r->options != NULL ? (const char *const *) r->options : empty,
                        refmount_mount_state_to_string (r->state),
                        r->created_dir, r->mounted_at,
                        g_variant_builder_end (&attachments));
}

GVariant *
refmount_record_variant_get_field (GVariant           *record,
                                   RefmountRecordField field)
{
  return g_variant_get_child_value (record, field);
}

const char *
refmount_record_variant_get_mountpoint (GVariant *record)
{
  const char *mountpoint = NULL;

  g_variant_get_child (record, REFMOUNT_RECORD_FIELD_MOUNTPOINT, "&s", &mountpoint);
  return mountpoint;
}

GVariant *
refmount_record_variant_get_attachments (GVariant *record)
{
  return g_variant_get_child_value (record, REFMOUNT_RECORD_FIELD_ATTACHMENTS);
}

RefmountMountState
refmount_record_variant_get_state (GVariant *record)
{
  const char        *string = NULL;
  RefmountMountState state = REFMOUNT_MOUNT_STATE_STALE;

  g_variant_get_child (record, REFMOUNT_RECORD_FIELD_STATE, "&s", &string);
  /* Records come from refmount_record_to_variant() or were checked by
   * refmount_record_from_variant(): the string is always known. */
  if (!refmount_mount_state_from_string (string, &state))
    g_critical ("Record with unknown state '%s'", string);
  return state;
}

RefmountRecord *
refmount_record_from_variant (GVariant *v,
                              GError  **error)
{
  g_autoptr (RefmountRecord) r = refmount_record_new ();
  g_autoptr (GVariantIter)   iter = NULL;
  const char                *id, *bus_name, *state;
  guint32                    uid;
  guint64                    attached_at;
  gboolean                   roe;

  if (!g_variant_is_of_type (v, G_VARIANT_TYPE (REFMOUNT_RECORD_VARIANT_TYPE)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Record has type %s, expected %s",
                   g_variant_get_type_string (v), REFMOUNT_RECORD_VARIANT_TYPE);
      return NULL;
    }
  g_strfreev (r->options);
  g_variant_get (v, "(sss^as&sbta(sutbs))", &r->mountpoint, &r->source, &r->fstype, &r->options, &state,
                 &r->created_dir, &r->mounted_at, &iter);
  if (r->mountpoint[0] != '/' || r->source[0] == '\0' || r->fstype[0] == '\0' ||
      !refmount_mount_state_from_string (state, &r->state))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "Invalid record for mountpoint '%s' (state '%s')", r->mountpoint, state);
      return NULL;
    }
  while (g_variant_iter_next (iter, "(&sutb&s)", &id, &uid, &attached_at, &roe, &bus_name))
    {
      if (id[0] == '\0')
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "Record for mountpoint '%s' has an empty attachment id", r->mountpoint);
          return NULL;
        }
      g_ptr_array_add (r->attachments, refmount_attachment_new (id, uid, attached_at, roe, bus_name));
    }
  return g_steal_pointer (&r);
}

GBytes *
refmount_state_serialize (guint64   generation,
                          guint64   epoch,
                          GVariant *records)
{
  g_autoptr (GVariant) state = NULL;

  state = g_variant_ref_sink (g_variant_new ("(stt@a" REFMOUNT_RECORD_VARIANT_TYPE ")",
                                             STATE_FORMAT_TAG_2, generation, epoch, records));
  return g_variant_get_data_as_bytes (state);
}

gboolean
refmount_state_replace_file (const char *dir,
                             const char *name,
                             GBytes     *contents,
                             gboolean   *out_replaced,
                             GError    **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *tmp = g_strconcat (path, ".XXXXXX", NULL);
  const char      *step;
  int              fd;
  int              errsv;

  if (out_replaced != NULL)
    *out_replaced = FALSE;
  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Cannot create a temporary file for %s: %s", path, g_strerror (errsv));
      return FALSE;
    }

  /* Data durable before the rename makes it visible, and the rename
   * durable (directory fsync) before we acknowledge anything: after a
   * crash the file is either the old one or the new, never torn. */
  if (!refmount_write_all (fd, g_bytes_get_data (contents, NULL), g_bytes_get_size (contents)))
    step = "write";
  else if (fsync (fd) < 0)
    step = "fsync";
  else
    step = NULL;
  errsv = errno;
  /* close(2) reports what a write-back found (NFS), so it is checked
   * here rather than left to refmount_autofd. */
  if (close (fd) < 0 && step == NULL)
    {
      step = "close";
      errsv = errno;
    }
  if (step == NULL && rename (tmp, path) < 0)
    {
      step = "rename";
      errsv = errno;
    }
  if (step != NULL)
    {
      (void) unlink (tmp);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Cannot %s %s: %s", step, path, g_strerror (errsv));
      return FALSE;
    }
  if (out_replaced != NULL)
    *out_replaced = TRUE;

  if (!refmount_fsync_dir (dir))
    {
      errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Cannot sync state directory %s: %s", dir, g_strerror (errsv));
      return FALSE;
    }
  return TRUE;
}

gboolean
refmount_state_write (const char *dir,
                      guint64     generation,
                      guint64     epoch,
                      GVariant   *records,
                      GError    **error)
{
  g_autoptr (GVariant) sunk = g_variant_ref_sink (records);
  g_autoptr (GBytes)   bytes = refmount_state_serialize (generation, epoch, sunk);

  return refmount_state_replace_file (dir, REFMOUNT_STATE_FILE_NAME, bytes, NULL, error);
}

/* @bytes as a state of @type whose tag is @tag: NULL when it is not in
 * normal form (then nothing of it may be read) or the tag differs, with
 * the tag in *out_tag when there was one. */
static GVariant *
state_variant (GBytes     *bytes,
               const char *type,
               const char *tag,
               char      **out_tag)
{
  g_autoptr (GVariant) state = NULL;
  g_autoptr (GVariant) child = NULL;

  state = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (type), bytes, FALSE));
  if (!g_variant_is_normal_form (state))
    return NULL;
  child = g_variant_get_child_value (state, 0);
  if (!g_str_equal (g_variant_get_string (child, NULL), tag))
    {
      if (*out_tag == NULL)
        *out_tag = g_variant_dup_string (child, NULL);
      return NULL;
    }
  return g_steal_pointer (&state);
}

/* Parse untrusted bytes: type and normal form are checked before any
 * value is read, so a crafted file cannot make GVariant misbehave. */
gboolean
refmount_state_parse_snapshot (GBytes    *bytes,
                               guint64   *out_generation,
                               guint64   *out_epoch,
                               GPtrArray *records,
                               GError   **error)
{
  g_autoptr (GVariant) state = NULL;
  g_autoptr (GVariant) array = NULL;
  g_autofree char     *tag = NULL;
  GVariantIter         iter;
  GVariant            *child;

  *out_epoch = 0;
  if ((state = state_variant (bytes, STATE_VARIANT_TYPE_2, STATE_FORMAT_TAG_2, &tag)) != NULL)
    g_variant_get (state, "(&stt@a" REFMOUNT_RECORD_VARIANT_TYPE ")", NULL, out_generation,
                   out_epoch, &array);
  else if ((state = state_variant (bytes, STATE_VARIANT_TYPE_1, STATE_FORMAT_TAG_1, &tag)) != NULL)
    g_variant_get (state, "(&st@a" REFMOUNT_RECORD_VARIANT_TYPE ")", NULL, out_generation, &array);
  else if (tag != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "unknown format tag '%s'", tag);
      return FALSE;
    }
  else
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not a refmount state file");
      return FALSE;
    }

  g_variant_iter_init (&iter, array);
  while ((child = g_variant_iter_next_value (&iter)) != NULL)
    {
      g_autoptr (GVariant) owned = child;
      RefmountRecord      *record = refmount_record_from_variant (owned, error);

      if (record == NULL)
        return FALSE;
      g_ptr_array_add (records, record);
    }
  return TRUE;
}

gboolean
refmount_state_parse (GBytes     *bytes,
                      guint64    *out_generation,
                      GPtrArray **out_records,
                      GError    **error)
{
  g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) refmount_record_free);
  guint64               generation = 0;
  guint64               epoch = 0;

  if (!refmount_state_parse_snapshot (bytes, &generation, &epoch, records, error))
    return FALSE;
  *out_generation = generation;
  *out_records = g_steal_pointer (&records);
  return TRUE;
}

char *
refmount_state_move_aside (const char *dir,
                           const char *name,
                           const char *prefix,
                           gint64      now,
                           GError    **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *aside = g_strdup_printf ("%s/%s%" G_GINT64_FORMAT, dir, prefix, now);

  /* Two in the same second must not overwrite the earlier evidence. */
  for (guint n = 1; g_file_test (aside, G_FILE_TEST_EXISTS); n++)
    {
      g_free (aside);
      aside = g_strdup_printf ("%s/%s%" G_GINT64_FORMAT "-%u", dir, prefix, now, n);
    }
  if (g_rename (path, aside) < 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Cannot move %s aside: %s", path, g_strerror (errsv));
      return NULL;
    }
  return g_steal_pointer (&aside);
}
