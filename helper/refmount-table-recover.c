/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Recover: replace a dead mount (stale handle, FUSE server gone) by a
 * fresh one of the same source, options and directory, keeping every
 * attachment (doc/network-filesystems.md, "Recovering a mount").
 */
#include "config.h"

#include <errno.h>
#include <unistd.h>

#include "refmount-error.h"
#include "refmount-fstype.h"
#include "refmount-log.h"
#include "refmount-names.h"
#include "refmount-path.h"
#include "refmount-table-private.h"
#include "refmount-validate.h"

typedef struct
{
  RefmountBackend *backend;
  int              fd;   /* the mounted-on directory, or the parent */
  char            *name; /* NULL with the mounted-on directory */
  char            *mountpoint;
} DetachCall;

static void
detach_call_free (gpointer data)
{
  DetachCall *call = data;

  refmount_clear_fd (&call->fd);
  g_free (call->name);
  g_free (call->mountpoint);
  g_free (call);
}

static gboolean
detach_call_func (gpointer data,
                  GError **error)
{
  DetachCall *call = data;

  return call->backend->ops->umount (call->backend, call->fd, call->name, call->mountpoint, FALSE, TRUE, error);
}

static void
detach_call_late (gpointer      data,
                  gboolean      ok,
                  const GError *error)
{
  DetachCall *call = data;

  g_message ("The lazy detach of %s for Recover finished after its caller timed out: %s", call->mountpoint,
             ok ? "detached" : error->message);
}

/* umount2(MNT_DETACH): takes the mount out of the tree without asking the
 * filesystem to flush anything.  It still resolves the mountpoint, and
 * libmount canonicalizes it (a stat of the dead root), so it runs with the
 * call's deadline on a runner thread.  Nothing mounted there counts as
 * success. */
static gboolean
detach_lazily (RefmountTable *table,
               RefmountEntry *entry,
               gint64         deadline,
               GError       **error)
{
  g_autoptr (GError) local_error = NULL;
  DetachCall        *call = g_new0 (DetachCall, 1);
  const char        *name = NULL;
  gboolean           ok = FALSE;

  call->backend = table->backend;
  call->mountpoint = g_strdup (entry->mountpoint);
  if (entry->mounted_fd >= 0)
    call->fd = refmount_dup_cloexec (entry->mounted_fd);
  else
    {
      call->fd = refmount_path_open_parent (entry->root, entry->relative, &name, &local_error);
      call->name = g_strdup (name);
    }
  if (call->fd < 0)
    {
      detach_call_free (call);
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED, "Cannot reach mountpoint '%s' to detach it: %s",
                   entry->mountpoint, local_error != NULL ? local_error->message : g_strerror (errno));
      return FALSE;
    }
  if (!refmount_runner_run (table->runner, detach_call_func, detach_call_late, call, detach_call_free, deadline,
                            &ok, &local_error))
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT,
                   "Detaching mountpoint '%s' did not finish within MountTimeoutSec", entry->mountpoint);
      return FALSE;
    }
  if (ok || g_error_matches (local_error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND))
    return TRUE;
  g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED, "Detaching mountpoint '%s' failed: %s",
               entry->mountpoint, local_error->message);
  return FALSE;
}

static gboolean
kernel_has_record (RefmountTable  *table,
                   RefmountRecord *record)
{
  g_autoptr (RefmountKernelMount) km = table->backend->ops->lookup (table->backend, record->mountpoint);

  return km != NULL && g_strcmp0 (km->source, record->source) == 0 &&
         refmount_fstype_kernel_matches (record->fstype, km->fstype);
}

/* The old mount is gone from the tree: mount again.  FALSE with @error
 * leaves the record "stale" (the next Mount or Recover tries again);
 * with *handed_off the entry lock has passed to the late completion. */
static gboolean
remount (RefmountTable      *table,
         RefmountConfig     *config,
         RefmountEntry      *entry,
         gint64              deadline,
         RefmountLogContext *ctx,
         gboolean           *handed_off,
         GError            **error)
{
  RefmountRecord         *record = entry->record;
  const RefmountFsConfig *fs = refmount_config_get_fs (config, record->fstype);
  g_autofree char        *options = g_strjoinv (",", record->options);
  g_autoptr (GError)      local_error = NULL;
  gboolean                ok = FALSE;
  int                     dirfd;
  refmount_autofd int     mounted_dir = -1;

  dirfd = refmount_path_open_beneath (entry->root, entry->relative, FALSE, NULL, &local_error);
  if (dirfd < 0)
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED, "Cannot reach mountpoint '%s' to remount it: %s",
                   entry->mountpoint, local_error->message);
      return FALSE;
    }
  if (refmount_path_fd_is_mount_root (dirfd))
    {
      /* Another mount lay beneath ours, or one appeared: never stack. */
      refmount_clear_fd (&dirfd);
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_CONFLICT,
                   "Mountpoint '%s' still has a filesystem mounted on it after the detach", entry->mountpoint);
      return FALSE;
    }
  mounted_dir = refmount_dup_cloexec (dirfd);
  /* No x-gvfs user options: the Mount flag "show" is not part of the
   * record, so a recovered mount is not listed for file managers again. */
  if (!refmount_table_run_mount (table, entry, dirfd, record->fstype, record->source, options, NULL,
                                 fs != NULL && fs->use_helper, FALSE, deadline, &ok, handed_off, &local_error))
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT,
                   "Remounting source '%s' on mountpoint '%s' did not finish within MountTimeoutSec=%u",
                   record->source, entry->mountpoint, config->mount_timeout_sec);
      return FALSE;
    }
  if (!kernel_has_record (table, record))
    {
      g_autoptr (GError) undo_error = NULL;

      if (ok && !refmount_table_undo_mount_by_fd (table, mounted_dir, entry->mountpoint, &undo_error))
        g_warning ("Could not undo the mount of a moved directory: %s", undo_error->message);
      if (ok)
        g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_MOUNT_FAILED,
                     "Mountpoint '%s' was replaced while it was being remounted", entry->mountpoint);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (!ok)
    refmount_log_event (G_LOG_LEVEL_WARNING, "mounted", ctx,
                        "Remount reported an error but %s is mounted from %s: %s", entry->mountpoint,
                        record->source, local_error->message);
  entry->mounted_fd = refmount_steal_fd (&mounted_dir);
  return TRUE;
}

static gboolean
recover_locked (RefmountTable  *table,
                RefmountConfig *config,
                RefmountEntry  *entry,
                gint64          deadline,
                gboolean       *handed_off,
                GError        **error)
{
  RefmountRecord    *record = entry->record;
  RefmountLogContext ctx = { entry->mountpoint, NULL, NULL, NULL, entry->op_uid, entry->op_pid };
  g_autoptr (GError) write_error = NULL;
  g_autoptr (GError) local_error = NULL;
  const char        *root = NULL;
  g_autofree char   *relative = NULL;

  if (record == NULL)
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND, "No managed mount at mountpoint '%s'",
                   entry->mountpoint);
      return FALSE;
    }
  ctx.source = record->source;
  ctx.fstype = record->fstype;
  if (record->state == REFMOUNT_MOUNT_STATE_BUSY)
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_BUSY,
                   "Mountpoint '%s' has no attachments left and is being unmounted: nothing to recover",
                   entry->mountpoint);
      return FALSE;
    }
  if (!refmount_validate_mountpoint (config, entry->mountpoint, &root, &relative, NULL))
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED,
                   "Mountpoint '%s' is no longer beneath a configured mount root", entry->mountpoint);
      return FALSE;
    }
  g_free (entry->root);
  entry->root = g_strdup (root);
  g_free (entry->relative);
  entry->relative = g_steal_pointer (&relative);

  if (!detach_lazily (table, entry, deadline, error))
    {
      refmount_log_event (G_LOG_LEVEL_WARNING, "mount-failed", &ctx, "Recover of %s: %s", entry->mountpoint,
                          (*error)->message);
      return FALSE;
    }
  refmount_clear_fd (&entry->mounted_fd);
  /* From here on the old mount is gone: whatever happens, the record
   * says so (a late remount that succeeds makes it "mounted" again). */
  record->state = REFMOUNT_MOUNT_STATE_STALE;

  if (!remount (table, config, entry, deadline, &ctx, handed_off, &local_error))
    {
      if (*handed_off)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      refmount_log_event (G_LOG_LEVEL_WARNING, "mount-failed", &ctx,
                          "Recover of %s: detached, but the remount failed; marked stale: %s", entry->mountpoint,
                          local_error->message);
      refmount_table_commit (table, entry);
      if (!refmount_table_write_state (table, &write_error))
        g_warning ("Could not write the state file: %s", write_error->message);
      refmount_table_notify (table, entry);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  record->state = REFMOUNT_MOUNT_STATE_MOUNTED;
  record->mounted_at = g_get_real_time ();
  /* One change in the journal: same record, new mount time.  The mount
   * exists whether or not the write succeeds, so a failure is not rolled
   * back (that would detach a working mount); the next write catches up. */
  refmount_table_commit (table, entry);
  if (!refmount_table_write_state (table, &write_error))
    g_warning ("Could not write the state file: %s", write_error->message);
  refmount_log_event (G_LOG_LEVEL_MESSAGE, "mounted", &ctx,
                      "Recovered %s: the old mount was detached lazily and %s (%s) mounted again, "
                      "keeping %u attachments",
                      entry->mountpoint, record->source, record->fstype, record->attachments->len);
  refmount_table_notify (table, entry);
  return TRUE;
}

gboolean
refmount_table_recover (RefmountTable  *table,
                        RefmountConfig *config,
                        const char     *mountpoint,
                        gint64          uid,
                        gint64          pid,
                        GError        **error)
{
  gint64         deadline = g_get_monotonic_time () + (gint64) config->mount_timeout_sec * G_USEC_PER_SEC;
  gboolean       handed_off = FALSE;
  RefmountEntry *entry;
  gboolean       ok;

  entry = refmount_table_lock_entry (table, mountpoint, FALSE, 0, deadline, error);
  if (entry == NULL)
    return FALSE;
  entry->op_uid = uid;
  entry->op_pid = pid;
  ok = recover_locked (table, config, entry, deadline, &handed_off, error);
  if (handed_off)
    return FALSE; /* the late completion unlocks */
  refmount_table_unlock_entry (table, entry);
  return ok;
}
