/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "refmount-error.h"
#include "refmount-log.h"
#include "refmount-names.h"
#include "refmount-path.h"
#include "refmount-table-private.h"
#include "refmount-validate.h"

static RefmountAttachment *
find_attachment (RefmountRecord *record,
                 const char     *id,
                 guint          *out_index)
{
  for (guint i = 0; i < record->attachments->len; i++)
    {
      RefmountAttachment *a = g_ptr_array_index (record->attachments, i);

      if (g_strcmp0 (a->id, id) == 0)
        {
          if (out_index != NULL)
            *out_index = i;
          return a;
        }
    }
  return NULL;
}

/* Persist a change the caller cannot report (a rollback, a state the
 * daemon noticed by itself): a failure is logged and caught up by the
 * next successful write. */
static void
write_best_effort (RefmountTable *table,
                   RefmountEntry *entry)
{
  g_autoptr (GError) error = NULL;

  refmount_table_commit (table, entry);
  if (!refmount_table_write_state (table, &error))
    g_warning ("Could not write the state file: %s", error->message);
}

/* A recorded mount that is no longer in the kernel (unmounted behind
 * refmount's back) becomes "stale", so that the next Mount remounts it
 * instead of handing out an attachment to an empty directory. */
static gboolean
mark_stale_if_vanished (RefmountTable *table,
                        RefmountEntry *entry,
                        gint64         deadline,
                        gboolean      *handed_off)
{
  RefmountRecord                 *record = entry->record;
  g_autoptr (RefmountKernelMount) km = NULL;
  RefmountLogContext              ctx = { entry->mountpoint, NULL, NULL, NULL, -1, -1 };
  guint64                         changes;

  if (record == NULL || record->state == REFMOUNT_MOUNT_STATE_STALE)
    return FALSE;
  /* Nothing was mounted, unmounted or moved anywhere in this namespace
   * since the lookup that found this mount in place: it still is.  This
   * spares an attach to a mounted mountpoint (the common case) the path
   * walk and its hand-off to a runner thread.  The count is read before
   * the lookup, so a change during the lookup shows at the next call. */
  changes = table->backend->ops->changes != NULL ? table->backend->ops->changes (table->backend) : 0;
  if (changes != 0 && entry->verified_changes == changes)
    return FALSE;
  /* The lookup walks the path: on a caller's behalf, under its deadline. */
  if (!refmount_table_run_lookup (table, entry, entry->mountpoint, deadline, &km, handed_off))
    return FALSE;
  if (refmount_table_kernel_mount_matches (km, record->source, record->fstype))
    {
      entry->verified_changes = changes;
      return FALSE;
    }
  if (entry->mounted_fd >= 0)
    {
      g_autofree char *link = g_strdup_printf ("/proc/self/fd/%d", entry->mounted_fd);
      g_autofree char *now = g_file_read_link (link, NULL);

      /* Not gone but moved: the directory it sits on was renamed (the
       * symlink-race test does that).  The unmount goes through the fd. */
      g_clear_pointer (&km, refmount_kernel_mount_free);
      if (now != NULL && g_strcmp0 (now, entry->mountpoint) != 0 &&
          !refmount_table_run_lookup (table, entry, now, deadline, &km, handed_off))
        return FALSE;
      if (refmount_table_kernel_mount_matches (km, record->source, record->fstype))
        return FALSE;
    }
  ctx.source = record->source;
  ctx.fstype = record->fstype;
  refmount_log_event (G_LOG_LEVEL_WARNING, "vanished", &ctx,
                      "%s was unmounted behind refmount's back; marked stale until the next Mount",
                      entry->mountpoint);
  /* mounted_fd is kept: if the mount merely moved after all, the remount
   * or the last Unmount undoes it through the fd. */
  record->state = REFMOUNT_MOUNT_STATE_STALE;
  write_best_effort (table, entry);
  refmount_table_notify (table, entry);
  return TRUE;
}

/* A mount that did not finish within MountTimeoutSec: its late
 * completion undoes or finishes it.  Returns FALSE. */
static gboolean
mount_timed_out (RefmountConfig              *config,
                 RefmountEntry               *entry,
                 const RefmountAttachRequest *request,
                 const RefmountLogContext    *ctx,
                 GError                     **error)
{
  refmount_log_event (G_LOG_LEVEL_WARNING, "mount-timeout", ctx, "Mounting %s on %s did not finish within %u s",
                      request->source, entry->mountpoint, config->mount_timeout_sec);
  g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT,
               "Mounting source '%s' on mountpoint '%s' did not finish within MountTimeoutSec=%u", request->source,
               entry->mountpoint, config->mount_timeout_sec);
  return FALSE;
}

/* Mount (or remount a stale record) with the entry locked.  On success the
 * entry has a record in state "mounted".  A fresh entry that fails keeps
 * record == NULL; the caller drops it. */
static gboolean
mount_locked (RefmountTable               *table,
              RefmountConfig              *config,
              RefmountEntry               *entry,
              const RefmountAttachRequest *request,
              const char *const           *effective,
              gint64                       deadline,
              gboolean                    *mounted_now,
              gboolean                    *handed_off,
              GError                     **error)
{
  const RefmountFsConfig         *fs = refmount_config_get_fs (config, request->fstype);
  RefmountLogContext              ctx = { entry->mountpoint, request->source, request->fstype,
                                          request->attachment, request->uid, request->pid };
  g_autoptr (RefmountKernelMount) km = NULL;
  g_autoptr (GError)              local_error = NULL;
  g_autoptr (GError)              backend_error = NULL;
  g_autofree char                *options = g_strjoinv (",", (char **) effective);
  RefmountMountSpec               spec = { request->fstype, request->source, options, request->user_options,
                                           fs != NULL && fs->use_helper };
  RefmountPrepared                prepared;
  g_auto (RefmountMounted) after = { 0 };
  gboolean mounting = FALSE;
  gboolean created = FALSE;
  gboolean mount_root = FALSE;
  gboolean ok = FALSE;
  int      mounted_dir = -1;
  int      dirfd = -1;

  /* On the runner, under the call's deadline like mount(2): the mount
   * root may lie on a filesystem that stopped answering.  The mount runs
   * in the same call when the directory is free, unless an earlier mount
   * of this entry may still sit elsewhere (mounted_fd, below): that one
   * is undone first. */
  if (!refmount_table_run_prepare_mount (table, entry, entry->mounted_fd < 0 ? &spec : NULL, deadline, &prepared,
                                         &mounting, handed_off, &local_error))
    {
      int code;

      if (*handed_off && mounting)
        return mount_timed_out (config, entry, request, &ctx, error);
      if (*handed_off)
        {
          refmount_log_event (G_LOG_LEVEL_WARNING, "mount-timeout", &ctx,
                              "Resolving %s did not finish within %u s", entry->mountpoint,
                              config->mount_timeout_sec);
          g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT,
                       "Resolving mountpoint '%s' did not finish within MountTimeoutSec=%u",
                       entry->mountpoint, config->mount_timeout_sec);
          return FALSE;
        }
      code = (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_LINKS) ||
              g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY))
               ? REFMOUNT_ERROR_INVALID_ARGUMENT
               : REFMOUNT_ERROR_FAILED;

      if (g_error_matches (local_error, G_IO_ERROR, REFMOUNT_PATH_ERROR_CROSSES_MOUNT))
        {
          /* Another filesystem hides part of the path (a stale record
           * stays stale): never create or mount anything inside it. */
          refmount_log_event (G_LOG_LEVEL_WARNING, "mount-failed", &ctx,
                              "Not mounting %s: %s", entry->mountpoint, local_error->message);
          g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_CONFLICT,
                       "Mountpoint '%s' cannot be reached without crossing another mount: %s",
                       entry->mountpoint, local_error->message);
          return FALSE;
        }
      g_set_error (error, REFMOUNT_ERROR, code, "Invalid mountpoint '%s': %s",
                   entry->mountpoint, local_error->message);
      return FALSE;
    }
  dirfd = g_steal_fd (&prepared.dirfd);
  created = prepared.created;
  km = g_steal_pointer (&prepared.km);
  mount_root = prepared.mount_root;

  if (mount_root)
    {
      /* A mount the lookup does not see at this path (it moved here, or
       * appeared just now): never stack another one on it. */
      close (dirfd);
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_CONFLICT,
                   "Mountpoint '%s' already has a filesystem mounted on it, which refmount does not manage",
                   entry->mountpoint);
      return FALSE;
    }
  if (km != NULL)
    {
      close (dirfd);
      if (!refmount_table_kernel_mount_matches (km, request->source, request->fstype))
        {
          g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_CONFLICT,
                       "Mountpoint '%s' already holds %s (%s), which refmount does not manage",
                       entry->mountpoint, km->source, km->fstype);
          return FALSE;
        }
      /* A crash between mount(2) and the state write leaves exactly this:
       * the kernel has our mount, the state file does not. */
      refmount_log_event (G_LOG_LEVEL_MESSAGE, "reconciled", &ctx,
                          "Adopted existing mount of %s on %s", request->source, entry->mountpoint);
      created = FALSE;
    }
  else
    {
      if (prepared.mount_tried)
        {
          /* Mounted along with the preparation, on dirfd. */
          mounted_dir = g_steal_fd (&dirfd);
          ok = prepared.mounted;
          backend_error = g_steal_pointer (&prepared.mount_error);
          after = prepared.after;
          memset (&prepared.after, 0, sizeof prepared.after);
        }
      else
        {
          if (entry->mounted_fd >= 0)
            {
              g_autoptr (GError) undo_error = NULL;
              gboolean           undone = FALSE;

              /* A stale entry whose earlier mount may still exist
               * elsewhere (moved with its directory): never leave it
               * behind.  Its umount(2) may wait on a server that went
               * away: on the runner, under the call's deadline.  A
               * directory made anew here (it moved away with that mount)
               * is the record's to remove, even if this call times out. */
              if (created && entry->record != NULL)
                entry->record->created_dir = TRUE;
              if (!refmount_table_run_undo_mount (table, entry, entry->mounted_fd, deadline, &undone, handed_off,
                                                  &undo_error))
                {
                  /* The entry is the late completion's now. */
                  close (dirfd);
                  g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT,
                               "Undoing the earlier mount of mountpoint '%s' did not finish within "
                               "MountTimeoutSec=%u",
                               request->mountpoint, config->mount_timeout_sec);
                  return FALSE;
                }
              if (undone)
                g_message ("Undid the moved earlier mount of %s before remounting", entry->mountpoint);
              refmount_clear_fd (&entry->mounted_fd);
            }
          mounted_dir = refmount_dup_cloexec (dirfd);
          if (!refmount_table_run_mount (table, entry, dirfd, request->fstype, request->source, options,
                                         request->user_options, spec.use_helper, created, deadline, &ok,
                                         &after, handed_off, &backend_error))
            {
              close (mounted_dir);
              return mount_timed_out (config, entry, request, &ctx, error);
            }
        }

      /* Where the mount landed was looked up in its runner call, right
       * after mount(2): the path walk may wait on the filesystem the
       * mount root lies on. */
      if (!ok)
        {
          if (!refmount_table_kernel_mount_matches (after.km, request->source, request->fstype))
            {
              refmount_log_event (G_LOG_LEVEL_WARNING, "mount-failed", &ctx, "%s", backend_error->message);
              /* Removed in the runner call too, if refmount created it. */
              if (after.dir_error != NULL)
                g_warning ("%s", after.dir_error->message);
              g_propagate_error (error, g_steal_pointer (&backend_error));
              close (mounted_dir);
              return FALSE;
            }
          /* mount(8) helpers in particular report failures after the
           * kernel mount succeeded (e.g. utab updates); the mount is what
           * was asked for, so it is used, not leaked. */
          refmount_log_event (G_LOG_LEVEL_WARNING, "mounted", &ctx,
                              "Mount reported an error but %s is mounted from %s: %s",
                              entry->mountpoint, request->source, backend_error->message);
        }
      else
        {
          /* The directory was resolved safely, but someone may have renamed
           * it between resolution and mount(2): the mount then sits inside
           * the root under another name.  Undo it through the fd. */
          if (!refmount_table_kernel_mount_matches (after.km, request->source, request->fstype))
            {
              g_autoptr (GError) undo_error = NULL;

              if (!refmount_table_undo_mount_by_fd (table, mounted_dir, entry->mountpoint, &undo_error))
                g_warning ("Could not undo the mount of a moved directory: %s", undo_error->message);
              refmount_log_event (G_LOG_LEVEL_WARNING, "mount-failed", &ctx,
                                  "%s was replaced while it was being mounted", entry->mountpoint);
              g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_MOUNT_FAILED,
                           "Mountpoint '%s' was replaced while it was being mounted", entry->mountpoint);
              close (mounted_dir);
              return FALSE;
            }
          refmount_log_event (G_LOG_LEVEL_MESSAGE, "mounted", &ctx,
                              "Mounted %s (%s) on %s", request->source, request->fstype, entry->mountpoint);
        }
      refmount_clear_fd (&entry->mounted_fd);
      entry->mounted_fd = mounted_dir;
      *mounted_now = TRUE;
    }

  if (entry->record == NULL)
    {
      entry->record = refmount_record_new ();
      entry->record->mountpoint = g_strdup (entry->mountpoint);
      entry->record->source = g_strdup (request->source);
      entry->record->fstype = g_strdup (request->fstype);
      g_strfreev (entry->record->options);
      entry->record->options = g_strdupv ((char **) effective);
      entry->record->created_dir = created;
    }
  else if (created)
    entry->record->created_dir = TRUE;
  entry->record->state = REFMOUNT_MOUNT_STATE_MOUNTED;
  entry->record->mounted_at = g_get_real_time ();
  return TRUE;
}

/* Undo a mount this call made, when it cannot be recorded. */
static void
rollback_mount (RefmountTable *table,
                RefmountEntry *entry,
                gboolean       created)
{
  g_autoptr (GError) error = NULL;

  if (entry->mounted_fd < 0 || !refmount_table_undo_mount_by_fd (table, entry->mounted_fd, entry->mountpoint, &error))
    g_warning ("Rollback: could not unmount %s: %s", entry->mountpoint,
               error != NULL ? error->message : "no handle on the mounted directory");
  refmount_clear_fd (&entry->mounted_fd);
  if (created)
    {
      g_clear_error (&error);
      if (!refmount_path_remove_dir (entry->root, entry->relative, &error))
        g_warning ("Rollback: %s", error->message);
    }
}

/* MaxAttachmentsPerUser: the slot is taken under the table mutex before
 * anything is mounted, and given back on failure. */
static gboolean
reserve_slot (RefmountTable               *table,
              RefmountConfig              *config,
              RefmountEntry               *entry,
              const RefmountAttachRequest *request,
              GError                     **error)
{
  g_autoptr (GError) local_error = NULL;

  if (refmount_table_reserve_uid (table, entry, request->uid, config->max_attachments_per_user, &local_error))
    return TRUE;
  g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_LIMIT_EXCEEDED,
               "Cannot add attachment '%s': %s", request->attachment, local_error->message);
  return FALSE;
}

static gboolean
attach_locked (RefmountTable               *table,
               RefmountConfig              *config,
               RefmountEntry               *entry,
               const RefmountAttachRequest *request,
               gint64                       deadline,
               gboolean                    *handed_off,
               GError                     **error)
{
  RefmountLogContext ctx = { entry->mountpoint, request->source, request->fstype,
                             request->attachment, request->uid, request->pid };
  g_auto (GStrv) effective = refmount_effective_options (config, request->fstype, request->options);
  g_autoptr (RefmountRecord) previous = NULL;
  g_autoptr (GError)         write_error = NULL;
  RefmountRecord            *record = entry->record;
  gboolean                   mounted_now = FALSE;

  /* Whatever the configuration and the caller put together, libmount
   * must read the final string as nosuid,nodev. */
  if (!refmount_options_check_confined ((const char *const *) effective, error))
    return FALSE;

  if (record != NULL)
    {
      RefmountAttachment *existing;

      if (g_strcmp0 (record->source, request->source) != 0 ||
          g_strcmp0 (record->fstype, request->fstype) != 0 ||
          !refmount_options_equal ((const char *const *) record->options, (const char *const *) effective))
        {
          g_autofree char *have = g_strjoinv (",", record->options);
          g_autofree char *want = g_strjoinv (",", effective);

          g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_CONFLICT,
                       "Mountpoint '%s' already holds source '%s' (%s, options %s); "
                       "requested source '%s' (%s, options %s)",
                       entry->mountpoint, record->source, record->fstype, have,
                       request->source, request->fstype, want);
          return FALSE;
        }

      mark_stale_if_vanished (table, entry, deadline, handed_off);
      if (*handed_off)
        {
          g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT,
                       "Looking up mountpoint '%s' did not finish within MountTimeoutSec=%u",
                       entry->mountpoint, config->mount_timeout_sec);
          return FALSE;
        }
      existing = find_attachment (record, request->attachment, NULL);
      if (existing != NULL && existing->uid != request->uid)
        {
          g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_CONFLICT,
                       "Attachment '%s' on mountpoint '%s' belongs to uid %u",
                       request->attachment, entry->mountpoint, existing->uid);
          return FALSE;
        }
      if (existing != NULL && record->state != REFMOUNT_MOUNT_STATE_STALE)
        {
          /* Re-attaching (a hard reboot does) is a no-op. */
          g_debug ("Attachment %s already on %s", request->attachment, entry->mountpoint);
          return TRUE;
        }
      if (existing == NULL && !reserve_slot (table, config, entry, request, error))
        return FALSE;

      previous = refmount_record_copy (record);
      if (record->state == REFMOUNT_MOUNT_STATE_STALE)
        {
          if (!mount_locked (table, config, entry, request, (const char *const *) effective,
                             deadline, &mounted_now, handed_off, error))
            return FALSE;
        }
      else if (record->state == REFMOUNT_MOUNT_STATE_BUSY)
        {
          /* Still mounted: reuse it; the pending retry sees the new state. */
          record->state = REFMOUNT_MOUNT_STATE_MOUNTED;
          entry->busy_attempt = 0;
          refmount_log_event (G_LOG_LEVEL_MESSAGE, "reused", &ctx,
                              "Busy mount %s reused", entry->mountpoint);
        }
    }
  else
    {
      if (!reserve_slot (table, config, entry, request, error))
        return FALSE;
      if (!mount_locked (table, config, entry, request, (const char *const *) effective,
                         deadline, &mounted_now, handed_off, error))
        return FALSE;
    }

  if (find_attachment (entry->record, request->attachment, NULL) == NULL)
    g_ptr_array_add (entry->record->attachments,
                     refmount_attachment_new (request->attachment, request->uid, g_get_real_time (),
                                              request->release_on_exit, request->bus_name));

  refmount_table_commit (table, entry);
  if (!refmount_table_write_state (table, &write_error))
    {
      gboolean created = entry->record->created_dir && (previous == NULL || !previous->created_dir);

      refmount_log_event (G_LOG_LEVEL_WARNING, "attach-failed", &ctx,
                          "Could not record the attachment, rolling back: %s", write_error->message);
      if (mounted_now)
        rollback_mount (table, entry, created);
      g_clear_pointer (&entry->record, refmount_record_free);
      entry->record = g_steal_pointer (&previous);
      if (entry->record != NULL && mounted_now)
        {
          entry->record->state = REFMOUNT_MOUNT_STATE_STALE;
        }
      /* Another caller's group commit may have written the change before
       * it was undone: write the undone state too. */
      write_best_effort (table, entry);
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED,
                   "Could not record attachment '%s' on mountpoint '%s': %s",
                   request->attachment, entry->mountpoint, write_error->message);
      return FALSE;
    }

  refmount_log_event (G_LOG_LEVEL_MESSAGE, "attached", &ctx, "Attachment %s added to %s (%u attached)",
                      request->attachment, entry->mountpoint, entry->record->attachments->len);
  refmount_table_notify (table, entry);
  return TRUE;
}

gboolean
refmount_table_set_entry_paths (RefmountConfig *config,
                                RefmountEntry  *entry)
{
  const char      *root = NULL;
  g_autofree char *relative = NULL;

  g_clear_pointer (&entry->root, g_free);
  g_clear_pointer (&entry->relative, g_free);
  if (!refmount_validate_mountpoint (config, entry->mountpoint, &root, &relative, NULL))
    return FALSE;
  entry->root = g_strdup (root);
  entry->relative = g_steal_pointer (&relative);
  return TRUE;
}

/* With the entry locked (the lock is used up: released, or handed to a
 * late completion). */
static gboolean
attach_entry (RefmountTable               *table,
              RefmountConfig              *config,
              RefmountEntry               *entry,
              const RefmountAttachRequest *request,
              gint64                       deadline,
              GError                     **error)
{
  gboolean handed_off = FALSE;
  gboolean ok;

  entry->op_uid = request->uid;
  entry->op_pid = request->pid;
  if (!refmount_table_set_entry_paths (config, entry))
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT,
                   "Invalid mountpoint '%s': not beneath a configured mount root", request->mountpoint);
      ok = FALSE;
    }
  else
    ok = attach_locked (table, config, entry, request, deadline, &handed_off, error);

  if (handed_off)
    return FALSE; /* the late completion gives the slot back */
  if (entry->record == NULL)
    refmount_table_commit (table, entry); /* a fresh entry that failed: drop it */
  refmount_table_release_uid (table, entry);
  refmount_table_unlock_entry (table, entry);
  return ok;
}

gboolean
refmount_table_attach (RefmountTable               *table,
                       RefmountConfig              *config,
                       const RefmountAttachRequest *request,
                       GError                     **error)
{
  gint64         deadline = g_get_monotonic_time () + (gint64) config->mount_timeout_sec * G_USEC_PER_SEC;
  RefmountEntry *entry;

  entry = refmount_table_lock_entry (table, request->mountpoint, TRUE, config->max_mounts, deadline, error);
  if (entry == NULL)
    return FALSE;
  return attach_entry (table, config, entry, request, deadline, error);
}

gboolean
refmount_table_attach_held (RefmountTable               *table,
                            RefmountConfig              *config,
                            RefmountTableWaiter         *waiter,
                            const RefmountAttachRequest *request,
                            gint64                       deadline,
                            GError                     **error)
{
  RefmountEntry *entry = refmount_table_waiter_steal_entry (waiter);

  g_return_val_if_fail (entry != NULL, FALSE);
  return attach_entry (table, config, entry, request, deadline, error);
}

/* Release one attachment with the entry locked. */
gboolean
refmount_table_detach_locked (RefmountTable               *table,
                              RefmountConfig              *config,
                              RefmountEntry               *entry,
                              const RefmountDetachRequest *request,
                              gint64                       deadline,
                              gboolean                    *handed_off,
                              gboolean                    *out_unmounted,
                              guint32                     *out_owner_uid,
                              GError                     **error)
{
  RefmountRecord                *record = entry->record;
  RefmountLogContext             ctx = { entry->mountpoint, record->source, record->fstype,
                                         request->attachment, request->uid, request->pid };
  g_autoptr (RefmountAttachment) removed = NULL;
  g_autoptr (GError)             write_error = NULL;
  RefmountAttachment            *attachment;
  guint                          index = 0;

  attachment = find_attachment (record, request->attachment, &index);
  if (attachment == NULL)
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_ATTACHED,
                   "Attachment '%s' is not attached to mountpoint '%s'",
                   request->attachment, entry->mountpoint);
      return FALSE;
    }
  if (attachment->uid != request->uid && !request->others_allowed)
    {
      if (out_owner_uid != NULL)
        *out_owner_uid = attachment->uid;
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_AUTHORIZED,
                   "Attachment '%s' on mountpoint '%s' belongs to uid %u",
                   request->attachment, entry->mountpoint, attachment->uid);
      return FALSE;
    }

  removed = g_ptr_array_steal_index (record->attachments, index);

  /* The release is durable before anything is unmounted, also for the
   * last attachment: a detach acknowledged and then lost to a crash would
   * come back as a stale attachment.  A record left with no attachments
   * is unmounted or dropped at the next start. */
  refmount_table_commit (table, entry);
  if (!refmount_table_write_state (table, &write_error))
    {
      g_ptr_array_insert (record->attachments, index, g_steal_pointer (&removed));
      write_best_effort (table, entry);
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED,
                   "Could not record the release of attachment '%s' on mountpoint '%s': %s",
                   request->attachment, entry->mountpoint, write_error->message);
      return FALSE;
    }

  if (record->attachments->len > 0)
    {
      refmount_log_event (G_LOG_LEVEL_MESSAGE, "detached", &ctx, "Attachment %s released (%u left)",
                          request->attachment, record->attachments->len);
      refmount_table_notify (table, entry);
      *out_unmounted = FALSE;
      return TRUE;
    }

  if (record->state == REFMOUNT_MOUNT_STATE_STALE)
    {
      g_autoptr (RefmountKernelMount) km = NULL;

      /* The lookup walks the path: under the caller's deadline. */
      if (!refmount_table_run_lookup (table, entry, entry->mountpoint, deadline, &km, handed_off))
        {
          g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT,
                       "Looking up mountpoint '%s' did not finish within MountTimeoutSec=%u",
                       entry->mountpoint, config->mount_timeout_sec);
          return FALSE;
        }
      /* Nothing of ours is mounted: only the record goes.  A mount made
       * by this process is undone through its fd instead (below): it may
       * have moved rather than vanished. */
      if (entry->mounted_fd < 0 && !refmount_table_kernel_mount_matches (km, record->source, record->fstype))
        {
          refmount_log_event (G_LOG_LEVEL_MESSAGE, "detached", &ctx, "Last attachment %s released",
                              request->attachment);
          refmount_log_event (G_LOG_LEVEL_MESSAGE, "unmounted", &ctx,
                              "Dropped stale record %s", entry->mountpoint);
          if (!refmount_table_drop_entry (table, entry, deadline, handed_off, error))
            return FALSE;
          *out_unmounted = TRUE;
          return TRUE;
        }
    }

  if (refmount_table_unmount_last (table, entry, request->force, request->lazy, deadline,
                                   &removed, handed_off, out_unmounted, error))
    return TRUE;
  /* The attachment was put back: make that durable too, since its
   * release was already written. */
  if (!*handed_off && entry->record != NULL)
    write_best_effort (table, entry);
  return FALSE;
}

static gboolean
detach_entry (RefmountTable               *table,
              RefmountConfig              *config,
              RefmountEntry               *entry,
              const RefmountDetachRequest *request,
              gint64                       deadline,
              gboolean                    *out_unmounted,
              guint32                     *out_owner_uid,
              GError                     **error)
{
  gboolean handed_off = FALSE;
  gboolean unmounted = FALSE;
  gboolean ok;

  if (entry->record == NULL)
    {
      /* Another caller's fresh entry whose mount is still being set up. */
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND,
                   "No managed mount at mountpoint '%s'", request->mountpoint);
      refmount_table_unlock_entry (table, entry);
      return FALSE;
    }

  refmount_table_set_entry_paths (config, entry);
  entry->op_uid = request->uid;
  entry->op_pid = request->pid;
  ok = refmount_table_detach_locked (table, config, entry, request, deadline, &handed_off, &unmounted,
                                     out_owner_uid, error);
  if (handed_off)
    return FALSE;
  refmount_table_unlock_entry (table, entry);
  if (ok && out_unmounted != NULL)
    *out_unmounted = unmounted;
  return ok;
}

gboolean
refmount_table_detach (RefmountTable               *table,
                       RefmountConfig              *config,
                       const RefmountDetachRequest *request,
                       gboolean                    *out_unmounted,
                       guint32                     *out_owner_uid,
                       GError                     **error)
{
  gint64         deadline = g_get_monotonic_time () + (gint64) config->mount_timeout_sec * G_USEC_PER_SEC;
  RefmountEntry *entry;

  entry = refmount_table_lock_entry (table, request->mountpoint, FALSE, 0, deadline, error);
  if (entry == NULL)
    return FALSE;
  return detach_entry (table, config, entry, request, deadline, out_unmounted, out_owner_uid, error);
}

gboolean
refmount_table_detach_held (RefmountTable               *table,
                            RefmountConfig              *config,
                            RefmountTableWaiter         *waiter,
                            const RefmountDetachRequest *request,
                            gint64                       deadline,
                            gboolean                    *out_unmounted,
                            guint32                     *out_owner_uid,
                            GError                     **error)
{
  RefmountEntry *entry = refmount_table_waiter_steal_entry (waiter);

  g_return_val_if_fail (entry != NULL, FALSE);
  return detach_entry (table, config, entry, request, deadline, out_unmounted, out_owner_uid, error);
}

/* The vanished check of one mountpoint (refmount-table-vanished.c runs
 * the pass), on a runner thread.  An entry that is busy with a call is
 * skipped: that call leaves a consistent state itself, and the next Mount
 * checks again.  The lookup gets @timeout (µs); one that does not finish
 * keeps the entry locked (its late completion unlocks it). */
void
refmount_table_check_vanished_entry (RefmountTable *table,
                                     const char    *mountpoint,
                                     gint64         timeout)
{
  RefmountEntry *entry;
  gboolean       handed_off = FALSE;

  entry = refmount_table_lock_entry (table, mountpoint, FALSE, 0, g_get_monotonic_time (), NULL);
  if (entry == NULL)
    return;
  if (entry->record != NULL && entry->record->state == REFMOUNT_MOUNT_STATE_MOUNTED)
    mark_stale_if_vanished (table, entry, g_get_monotonic_time () + timeout, &handed_off);
  if (!handed_off)
    refmount_table_unlock_entry (table, entry);
}
