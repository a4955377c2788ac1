/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The directories refmount created for mountpoints, removed after the
 * last unmount, and dropping an entry that is gone.  An effect on the
 * filesystem, so not in the store (refmount-table.c), which only keeps
 * records (helper/layers.txt).
 *
 * rmdir(2) asks the filesystem the directory lies on: beneath an sshfs or
 * NFS mount whose server went away it waits in the kernel for good.  So a
 * caller's removal runs on a runner thread under the call's deadline, and
 * the background retries run on a runner thread with nobody waiting for
 * them, never on the main loop.
 */
#include "config.h"

#include "refmount-error.h"
#include "refmount-path.h"
#include "refmount-table-private.h"

/* A directory that cannot be removed right after an unmount (EBUSY while a
 * network filesystem's last references drain) is retried this often. */
#define RMDIR_RETRY_COUNT 5

typedef struct
{
  RefmountTable *table;
  char          *root;
  char          *relative;
  char          *mountpoint;
  guint          attempts;
} RmdirRetry;

static void
rmdir_retry_free (gpointer data)
{
  RmdirRetry *retry = data;

  g_free (retry->root);
  g_free (retry->relative);
  g_free (retry->mountpoint);
  g_free (retry);
}

/* How long a retry waits for the entry's lock (a call holds it); then it
 * counts as an attempt and is tried again later. */
#define RMDIR_RETRY_LOCK_SEC 5

/* A Mount of the same mountpoint came since: the directory is in use, and
 * its mount's last unmount removes it (refmount made it). */
static void
hand_over_dir (RefmountTable *table,
               RefmountEntry *entry)
{
  g_debug ("Not removing directory %s: it is mounted on again", entry->mountpoint);
  if (entry->record->created_dir)
    return;
  entry->record->created_dir = TRUE;
  refmount_table_commit_and_write (table, entry);
}

/* One attempt, under the entry's lock like every change to a mountpoint:
 * a Mount opens the directory and mounts on it holding that lock, so an
 * rmdir in between would leave mount(2) on a deleted directory (ENOENT)
 * or take the directory of a mount being set up.  When no entry exists, a
 * fresh one (no record; dropped again below) holds off a Mount during the
 * rmdir.  TRUE when done (removed, handed over, or in the way of another
 * managed mount), FALSE with @error to try again. */
static gboolean
rmdir_attempt (RmdirRetry *retry,
               GError    **error)
{
  RefmountTable *table = retry->table;
  RefmountEntry *entry;
  gboolean       done = TRUE;

  entry = refmount_table_lock_entry (table, retry->mountpoint, TRUE, 0,
                                     g_get_monotonic_time () + RMDIR_RETRY_LOCK_SEC * G_USEC_PER_SEC, error);
  if (entry == NULL)
    {
      if (!g_error_matches (*error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT))
        {
          /* Conflict: a managed mount lies above or beneath it now. */
          g_debug ("Not removing directory %s: %s", retry->mountpoint, (*error)->message);
          g_clear_error (error);
          return TRUE;
        }
      return FALSE;
    }
  entry->op_uid = -1;
  entry->op_pid = -1;
  if (entry->record != NULL)
    hand_over_dir (table, entry);
  else if (refmount_path_remove_dir (retry->root, retry->relative, error))
    g_debug ("Removed directory %s (attempt %u)", retry->mountpoint, retry->attempts + 1);
  else
    done = FALSE;
  if (entry->record == NULL)
    refmount_table_commit (table, entry); /* the fresh entry: drop it again */
  refmount_table_unlock_entry (table, entry);
  return done;
}

/* The next attempt is scheduled only once this one returned, so a
 * directory on a hung filesystem costs one thread (holding its entry's
 * lock), not one per second.  Owns @data. */
static void
rmdir_retry_func (RefmountTable *table,
                  gpointer       data)
{
  RmdirRetry        *retry = data;
  g_autoptr (GError) error = NULL;

  if (rmdir_attempt (retry, &error))
    rmdir_retry_free (retry);
  else if (++retry->attempts >= RMDIR_RETRY_COUNT)
    {
      g_warning ("Giving up removing directory %s: %s", retry->mountpoint, error->message);
      rmdir_retry_free (retry);
    }
  else
    refmount_table_schedule_retry (table, 1, rmdir_retry_func, retry, rmdir_retry_free);
}

static void
schedule_rmdir (RefmountTable *table,
                guint          delay_sec,
                const char    *root,
                const char    *relative,
                const char    *mountpoint)
{
  RmdirRetry *retry = g_new0 (RmdirRetry, 1);

  retry->table = table;
  retry->root = g_strdup (root);
  retry->relative = g_strdup (relative);
  retry->mountpoint = g_strdup (mountpoint);
  refmount_table_schedule_retry (table, delay_sec, rmdir_retry_func, retry, rmdir_retry_free);
}

/* An EBUSY right after unmounting a network filesystem is common: the
 * removal is retried in the background and never fails the caller. */
static void
retry_in_background (RefmountTable *table,
                     const char    *root,
                     const char    *relative,
                     const char    *mountpoint,
                     const GError  *error)
{
  g_message ("Could not remove directory %s (%s); retrying in the background", mountpoint, error->message);
  schedule_rmdir (table, 1, root, relative, mountpoint);
}

void
refmount_table_remove_dir_later (RefmountTable *table,
                                 const char    *root,
                                 const char    *relative,
                                 const char    *mountpoint)
{
  schedule_rmdir (table, 0, root, relative, mountpoint);
}

static void
forget_entry (RefmountTable *table,
              RefmountEntry *entry)
{
  g_clear_pointer (&entry->record, refmount_record_free);
  refmount_table_commit_and_write (table, entry);
}

/* One removal on the runner, with what its late completion must finish
 * once the caller was told Timeout: the entry's drop (it holds the lock). */
typedef struct
{
  RefmountTable *table;
  RefmountEntry *entry; /* locked; the lock passes to rmdir_late */
} RmdirCall;

static gboolean
rmdir_func (gpointer data,
            GError **error)
{
  RmdirCall *call = data;

  return refmount_path_remove_dir (call->entry->root, call->entry->relative, error);
}

static void
rmdir_late (gpointer      data,
            gboolean      ok,
            const GError *error)
{
  RmdirCall     *call = data;
  RefmountTable *table = call->table;
  RefmountEntry *entry = call->entry;

  g_message ("Removing directory %s finished after its caller timed out%s%s", entry->mountpoint,
             ok ? "" : ": ", ok ? "" : error->message);
  if (!ok)
    retry_in_background (table, entry->root, entry->relative, entry->mountpoint, error);
  forget_entry (table, entry);
  refmount_table_release_uid (table, entry);
  refmount_table_unlock_entry (table, entry);
}

void
refmount_table_drop_entry_tried (RefmountTable *table,
                                 RefmountEntry *entry,
                                 const GError  *rm_error)
{
  refmount_clear_fd (&entry->mounted_fd);
  if (rm_error != NULL)
    retry_in_background (table, entry->root, entry->relative, entry->mountpoint, rm_error);
  forget_entry (table, entry);
}

gboolean
refmount_table_drop_entry (RefmountTable *table,
                           RefmountEntry *entry,
                           gint64         deadline,
                           gboolean      *handed_off,
                           GError       **error)
{
  gboolean           created = entry->record != NULL && entry->record->created_dir;
  g_autoptr (GError) rm_error = NULL;
  RmdirCall         *call;
  gboolean           ok = TRUE;

  refmount_clear_fd (&entry->mounted_fd);
  /* Remove the directory while the entry is still in the table and its
   * lock held: once committed away, a new caller for the same mountpoint
   * opens the (still existing) directory, and an rmdir after that would
   * leave it mounting onto a deleted directory (ENOENT). */
  if (created && entry->root != NULL)
    {
      call = g_new0 (RmdirCall, 1);
      call->table = table;
      call->entry = entry;
      if (!refmount_runner_run (table->runner, rmdir_func, rmdir_late, call, g_free, deadline, &ok, &rm_error))
        {
          *handed_off = TRUE;
          g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT,
                       "Unmounted mountpoint '%s', but removing its directory did not finish within "
                       "MountTimeoutSec; it is removed in the background",
                       entry->mountpoint);
          return FALSE;
        }
    }
  refmount_table_drop_entry_tried (table, entry, ok ? NULL : rm_error);
  return TRUE;
}
