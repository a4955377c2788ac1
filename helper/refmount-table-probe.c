/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Health probes and unmounts of the same mount.  A probe holds an fd on
 * the mountpoint (and, inside fstatfs(2), a reference to the mount):
 * an umount(2) meanwhile fails with EBUSY, and the caller's Unmount would
 * be deferred as if a process used the filesystem.  So a probe starts
 * only while no operation holds the entry, and an unmount first waits
 * for the probes in flight, boundedly: a probe stuck on a dead server
 * must not stall the unmount for longer than that.
 */
#include "config.h"

#include "refmount-table-private.h"

/* The hold is the entry itself, referenced. */
struct _RefmountProbeHold;

RefmountProbeHold *
refmount_table_probe_begin (RefmountTable *table,
                            const char    *mountpoint)
{
  RefmountEntry *entry;

  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&table->mutex);

    entry = g_hash_table_lookup (table->entries, mountpoint);
    if (entry == NULL || entry->removed)
      return NULL;
    refmount_entry_ref (entry);
  }
  {
    /* The entry's lock flag is the wait_mutex's: a caller that takes the
     * entry after this sees the probe and waits for it. */
    g_autoptr (GMutexLocker) wait_locker = g_mutex_locker_new (&table->wait_mutex);

    if (!entry->locked)
      {
        g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&entry->lock_mutex);

        entry->probes++;
        return (RefmountProbeHold *) entry;
      }
  }
  refmount_entry_unref (entry);
  return NULL;
}

void
refmount_table_probe_end (RefmountProbeHold *hold)
{
  RefmountEntry *entry = (RefmountEntry *) hold;

  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&entry->lock_mutex);

    if (--entry->probes == 0)
      g_cond_broadcast (&entry->probes_cond);
  }
  refmount_entry_unref (entry);
}

void
refmount_entry_wait_probes (RefmountEntry *entry,
                            gint64         deadline)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&entry->lock_mutex);

  while (entry->probes > 0)
    if (!g_cond_wait_until (&entry->probes_cond, &entry->lock_mutex, deadline))
      break;
}
