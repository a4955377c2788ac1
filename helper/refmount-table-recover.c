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
  RefmountTable *table;
  RefmountEntry *entry; /* locked; the lock passes to detach_call_late */
  int            fd;    /* the mounted-on directory, or -1: open the parent */
} DetachCall;

static void
detach_call_free (gpointer data)
{
  DetachCall *call = data;

  refmount_clear_fd (&call->fd);
  g_free (call);
}

static gboolean
detach_call_func (gpointer data,
                  GError **error)
{
  DetachCall        *call = data;
  RefmountEntry     *entry = call->entry;
  RefmountBackend   *backend = call->table->backend;
  g_autoptr (GError) local_error = NULL;
  const char        *name = NULL;
  gboolean           ok;

  if (call->fd >= 0)
    ok = backend->ops->umount (backend, call->fd, NULL, entry->mountpoint, FALSE, TRUE, &local_error);
  else
    {
      /* Adopted, or mounted before a restart: only the path is known, and
       * reaching its parent may wait on a hung filesystem. */
      call->fd = refmount_path_open_parent (entry->root, entry->relative, &name, &local_error);
      if (call->fd < 0)
        {
          g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED, "Cannot reach mountpoint '%s' to detach it: %s",
                       entry->mountpoint, local_error->message);
          return FALSE;
        }
      ok = backend->ops->umount (backend, call->fd, name, entry->mountpoint, FALSE, TRUE, &local_error);
    }
  /* Nothing mounted there counts as success. */
  if (ok || g_error_matches (local_error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND))
    return TRUE;
  g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED, "Detaching mountpoint '%s' failed: %s",
               entry->mountpoint, local_error->message);
  return FALSE;
}

/* The caller was told Timeout: record what the detach did, then give the
 * entry on (it held the lock all along, so no other call saw the mount
 * half gone). */
static void
detach_call_late (gpointer      data,
                  gboolean      ok,
                  const GError *error)
{
  DetachCall        *call = data;
  RefmountTable     *table = call->table;
  RefmountEntry     *entry = call->entry;
  g_autoptr (GError) write_error = NULL;

  g_message ("The lazy detach of %s for Recover finished after its caller timed out: %s", entry->mountpoint,
             ok ? "detached; marked stale until the next Mount or Recover" : error->message);
  if (ok && entry->record != NULL)
    {
      refmount_clear_fd (&entry->mounted_fd);
      entry->record->state = REFMOUNT_MOUNT_STATE_STALE;
      refmount_table_commit (table, entry);
      if (!refmount_table_write_state (table, &write_error))
        g_warning ("Could not write the state file: %s", write_error->message);
      refmount_table_notify (table, entry);
    }
  refmount_table_unlock_entry (table, entry);
}

/* umount2(MNT_DETACH): takes the mount out of the tree without asking the
 * filesystem to flush anything.  It still resolves the mountpoint, and
 * libmount canonicalizes it (a stat of the dead root), so it runs with the
 * call's deadline on a runner thread, and so does opening the parent when
 * the mount was not made by this process.  FALSE with *handed_off on
 * timeout: the entry lock passes to the late completion. */
static gboolean
detach_lazily (RefmountTable *table,
               RefmountEntry *entry,
               gint64         deadline,
               gboolean      *handed_off,
               GError       **error)
{
  DetachCall *call = g_new0 (DetachCall, 1);
  gboolean    ok = FALSE;

  call->table = table;
  call->entry = entry;
  call->fd = entry->mounted_fd >= 0 ? refmount_dup_cloexec (entry->mounted_fd) : -1;
  if (!refmount_runner_run (table->runner, detach_call_func, detach_call_late, call, detach_call_free, deadline,
                            &ok, error))
    {
      *handed_off = TRUE;
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT,
                   "Detaching mountpoint '%s' did not finish within MountTimeoutSec", entry->mountpoint);
      return FALSE;
    }
  return ok;
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
  RefmountRecord                 *record = entry->record;
  const RefmountFsConfig         *fs = refmount_config_get_fs (config, record->fstype);
  g_autofree char                *options = g_strjoinv (",", record->options);
  g_autoptr (GError)              local_error = NULL;
  g_autoptr (RefmountKernelMount) km = NULL;
  gboolean                        ok = FALSE;
  gboolean                        created = FALSE;
  gboolean                        mount_root = FALSE;
  gboolean                        mounting = FALSE;
  RefmountPrepared                prepared;
  g_auto (RefmountMounted) after = { 0 };
  int dirfd = -1;

  /* Reaching the directory again walks the path the dead mount lay on:
   * on the runner, under the call's deadline, like a Mount's. */
  if (!refmount_table_run_prepare_mount (table, entry, NULL, deadline, &prepared, &mounting, handed_off,
                                         &local_error))
    {
      if (*handed_off)
        g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT,
                     "Reaching mountpoint '%s' to remount it did not finish within MountTimeoutSec=%u",
                     entry->mountpoint, config->mount_timeout_sec);
      else
        g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED, "Cannot reach mountpoint '%s' to remount it: %s",
                     entry->mountpoint, local_error->message);
      return FALSE;
    }
  dirfd = g_steal_fd (&prepared.dirfd);
  created = prepared.created;
  km = g_steal_pointer (&prepared.km);
  mount_root = prepared.mount_root;
  if (km != NULL || mount_root)
    {
      /* Another mount lay beneath ours, or one appeared: never stack. */
      refmount_clear_fd (&dirfd);
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_CONFLICT,
                   "Mountpoint '%s' still has a filesystem mounted on it after the detach", entry->mountpoint);
      return FALSE;
    }
  if (created)
    record->created_dir = TRUE;
  refmount_clear_fd (&entry->mounted_fd);
  entry->mounted_fd = refmount_dup_cloexec (dirfd);
  /* No x-gvfs user options: the Mount flag "show" is not part of the
   * record, so a recovered mount is not listed for file managers again. */
  /* Where the mount landed is looked up in the same runner call (the
   * lookup walks the path again).  Until it says so the record stays
   * "stale" with the fd of what was mounted, so a call that times out
   * leaves nothing the next Mount cannot undo. */
  if (!refmount_table_run_mount (table, entry, dirfd, record->fstype, record->source, options, NULL,
                                 fs != NULL && fs->use_helper, FALSE, deadline, &ok, &after, handed_off,
                                 &local_error))
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT,
                   "Remounting source '%s' on mountpoint '%s' did not finish within MountTimeoutSec=%u",
                   record->source, entry->mountpoint, config->mount_timeout_sec);
      return FALSE;
    }
  g_clear_pointer (&km, refmount_kernel_mount_free);
  km = g_steal_pointer (&after.km);
  if (km == NULL || g_strcmp0 (km->source, record->source) != 0 ||
      !refmount_fstype_kernel_matches (record->fstype, km->fstype))
    {
      g_autoptr (GError) undo_error = NULL;

      if (ok && !refmount_table_undo_mount_by_fd (table, entry->mounted_fd, entry->mountpoint, &undo_error))
        g_warning ("Could not undo the mount of a moved directory: %s", undo_error->message);
      refmount_clear_fd (&entry->mounted_fd);
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

  if (!detach_lazily (table, entry, deadline, handed_off, error))
    {
      if (*handed_off)
        return FALSE;
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

static gboolean
recover_entry (RefmountTable  *table,
               RefmountConfig *config,
               RefmountEntry  *entry,
               gint64          uid,
               gint64          pid,
               gint64          deadline,
               GError        **error)
{
  gboolean handed_off = FALSE;
  gboolean ok;

  entry->op_uid = uid;
  entry->op_pid = pid;
  ok = recover_locked (table, config, entry, deadline, &handed_off, error);
  if (handed_off)
    return FALSE; /* the late completion unlocks */
  refmount_table_unlock_entry (table, entry);
  return ok;
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
  RefmountEntry *entry;

  entry = refmount_table_lock_entry (table, mountpoint, FALSE, 0, deadline, error);
  if (entry == NULL)
    return FALSE;
  return recover_entry (table, config, entry, uid, pid, deadline, error);
}

gboolean
refmount_table_recover_held (RefmountTable       *table,
                             RefmountConfig      *config,
                             RefmountTableWaiter *waiter,
                             gint64               uid,
                             gint64               pid,
                             gint64               deadline,
                             GError             **error)
{
  RefmountEntry *entry = refmount_table_waiter_steal_entry (waiter);

  g_return_val_if_fail (entry != NULL, FALSE);
  return recover_entry (table, config, entry, uid, pid, deadline, error);
}
