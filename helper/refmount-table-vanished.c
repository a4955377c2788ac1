/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vanished check: after the kernel's mount table changed, every
 * managed mount that is no longer there (unmounted behind refmount's
 * back) is marked stale.  This file runs the pass over all entries on a
 * few runner threads; the check of one entry is an operation
 * (refmount_table_check_vanished_entry in refmount-table-ops.c, beside
 * the same check on Mount's hit path).
 */
#include "config.h"

#include "refmount-fstype.h"
#include "refmount-table-private.h"

/* Threads one pass of the vanished check uses at most (each also waits
 * for the lookups it hands to the runner). */
#define VANISHED_CHECK_THREADS 8

/* One pass of the vanished check: the mountpoints to look at, shared by
 * its threads (each takes the next one). */
typedef struct
{
  gatomicrefcount ref;
  RefmountTable  *table;
  GPtrArray      *mountpoints;
  gint64          timeout; /* per lookup, µs */
  GMutex          mutex;
  GCond           cond;
  guint           next;    /* mutex */
  guint           running; /* mutex: threads not done */
} VanishedPass;

static void
vanished_pass_unref (gpointer data)
{
  VanishedPass *pass = data;

  if (!g_atomic_ref_count_dec (&pass->ref))
    return;
  g_ptr_array_unref (pass->mountpoints);
  g_mutex_clear (&pass->mutex);
  g_cond_clear (&pass->cond);
  g_free (pass);
}

/* On a runner thread: never a worker or the main loop.  Each lookup walks
 * a path that may lie beneath a filesystem that stopped answering, so it
 * runs on a runner thread of its own under a deadline; one that does not
 * finish keeps its entry locked (calls for it time out in its queue, later
 * passes skip it) and costs that one thread, and this thread goes on. */
static gboolean
vanished_check_func (gpointer data,
                     GError **error)
{
  VanishedPass  *pass = data;
  RefmountTable *table = pass->table;

  for (;;)
    {
      const char *mountpoint = NULL;

      g_mutex_lock (&pass->mutex);
      if (pass->next < pass->mountpoints->len)
        mountpoint = g_ptr_array_index (pass->mountpoints, pass->next++);
      g_mutex_unlock (&pass->mutex);
      if (mountpoint == NULL)
        break;
      refmount_table_check_vanished_entry (table, mountpoint, pass->timeout);
    }

  g_mutex_lock (&pass->mutex);
  pass->running--;
  g_cond_broadcast (&pass->cond);
  g_mutex_unlock (&pass->mutex);
  g_atomic_int_dec_and_test (&table->retry_threads);
  return TRUE;
}

/* Table mutex held: the kernel's topmost mount at @mountpoint is the
 * source and type of @committed (a mounted record).  Anything else (a
 * moved, covered or vanished mount) gets the full check. */
static gboolean
still_in_place (GVariant   *committed,
                GHashTable *kernel,
                const char *mountpoint)
{
  const RefmountKernelMount *km = g_hash_table_lookup (kernel, mountpoint);
  const char                *source, *fstype;

  if (km == NULL)
    return FALSE;
  g_variant_get_child (committed, REFMOUNT_RECORD_FIELD_SOURCE, "&s", &source);
  g_variant_get_child (committed, REFMOUNT_RECORD_FIELD_FSTYPE, "&s", &fstype);
  return g_strcmp0 (km->source, source) == 0 && refmount_fstype_kernel_matches (fstype, km->fstype);
}

gboolean
refmount_table_check_vanished (RefmountTable *table,
                               guint          timeout_sec,
                               gint64         deadline)
{
  VanishedPass *pass = g_new0 (VanishedPass, 1);
  gboolean      done;
  guint         threads;

  g_atomic_ref_count_init (&pass->ref);
  g_mutex_init (&pass->mutex);
  g_cond_init (&pass->cond);
  pass->table = table;
  pass->timeout = (gint64) MAX (timeout_sec, 1) * G_USEC_PER_SEC;
  pass->mountpoints = g_ptr_array_new_with_free_func (g_free);
  {
    /* One read of mountinfo (kernel data: it asks no filesystem, a hung
     * one included) tells which mounts are still in place; only the
     * others need the careful look, a path walk each on the runner.  At
     * 10,000 mounts that is one parse instead of 10,000 hand-offs after
     * every change of the mount table.  Read after the change that
     * started this pass, so a mount listed here was there after it. */
    g_autoptr (GHashTable)   kernel = table->backend->ops->list (table->backend, NULL);
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&table->mutex);
    GHashTableIter           iter;
    gpointer                 key, value;

    g_hash_table_iter_init (&iter, table->entries);
    while (g_hash_table_iter_next (&iter, &key, &value))
      {
        RefmountEntry *entry = value;

        /* Only a mounted record can vanish (refmount_table_check_vanished_entry
         * checks the entry's own record again, with its lock). */
        if (entry->committed == NULL ||
            refmount_record_variant_get_state (entry->committed) != REFMOUNT_MOUNT_STATE_MOUNTED)
          continue;
        if (kernel != NULL && still_in_place (entry->committed, kernel, key))
          continue;
        g_ptr_array_add (pass->mountpoints, g_strdup (key));
      }
  }

  threads = MIN (pass->mountpoints->len, VANISHED_CHECK_THREADS);
  pass->running = threads;
  for (guint i = 0; i < threads; i++)
    {
      g_atomic_ref_count_inc (&pass->ref);
      /* Counted like the busy retries: a table is freed (in tests) only
       * once these are done. */
      g_atomic_int_inc (&table->retry_threads);
      refmount_runner_submit (table->runner, vanished_check_func, pass, vanished_pass_unref);
    }

  g_mutex_lock (&pass->mutex);
  while (pass->running > 0)
    {
      if (deadline == G_MAXINT64)
        g_cond_wait (&pass->cond, &pass->mutex);
      else if (!g_cond_wait_until (&pass->cond, &pass->mutex, deadline))
        break;
    }
  done = pass->running == 0;
  g_mutex_unlock (&pass->mutex);
  vanished_pass_unref (pass);
  return done;
}
