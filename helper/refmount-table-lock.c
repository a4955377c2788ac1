/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "refmount-error.h"
#include "refmount-table-private.h"

/*
 * The entry locks.  A call for a mountpoint whose entry is locked waits in
 * that entry's FIFO as a RefmountTableWaiter — a queue entry, not a
 * thread — and unlocking hands the lock straight to the head of the queue
 * and calls its grant function.  A thread stuck in the kernel with the
 * lock (a hung mount(2), a late completion) therefore costs the calls
 * queued behind it nothing but their queue entries, and each of those
 * still ends at its own deadline (refmount_table_cancel_wait()).
 */

typedef enum
{
  WAITER_NEW,       /* not started, or being moved to a fresh entry */
  WAITER_QUEUED,    /* in entry->waiters */
  WAITER_GRANTED,   /* holds entry's lock (grant function called or about to be) */
  WAITER_CONSUMED,  /* the lock went to an operation, which unlocks it */
  WAITER_FINISHED,  /* grant function called with an error; no lock */
  WAITER_CANCELLED, /* taken out of the queue; the grant function is never called */
} WaiterState;

struct _RefmountTableWaiter
{
  RefmountTable         *table;
  RefmountEntry         *entry; /* a reference while queued or granted */
  char                  *mountpoint;
  gboolean               create;
  guint                  max_mounts;
  RefmountTableGrantFunc func;
  gpointer               data;
  WaiterState            state; /* wait_mutex */
};

RefmountTableWaiter *
refmount_table_waiter_new (RefmountTable         *table,
                           const char            *mountpoint,
                           gboolean               create,
                           guint                  max_mounts,
                           RefmountTableGrantFunc func,
                           gpointer               user_data)
{
  RefmountTableWaiter *waiter = g_new0 (RefmountTableWaiter, 1);

  waiter->table = table;
  waiter->mountpoint = g_strdup (mountpoint);
  waiter->create = create;
  waiter->max_mounts = max_mounts;
  waiter->func = func;
  waiter->data = user_data;
  waiter->state = WAITER_NEW;
  return waiter;
}

static void waiter_start (RefmountTableWaiter *waiter);

/* The lock is @waiter's now.  An entry removed while it waited is never
 * used — look it up again, as Nova's _get_locked does. */
static void
waiter_granted (RefmountTableWaiter *waiter)
{
  RefmountTable *table = waiter->table;
  RefmountEntry *entry = waiter->entry;
  gboolean       removed;

  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&table->mutex);

    removed = entry->removed;
    if (!removed && entry->record == NULL && entry->committed != NULL)
      entry->record = refmount_record_from_variant (entry->committed, NULL);
  }
  if (removed)
    {
      waiter->entry = NULL;
      {
        g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&table->wait_mutex);
        waiter->state = WAITER_NEW;
      }
      refmount_table_unlock_entry (table, entry);
      waiter_start (waiter);
      return;
    }
  waiter->func (waiter, NULL, waiter->data);
}

static void
waiter_start (RefmountTableWaiter *waiter)
{
  RefmountTable     *table = waiter->table;
  g_autoptr (GError) error = NULL;
  RefmountEntry     *entry = NULL;
  gboolean           granted = FALSE;

  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&table->mutex);

    entry = g_hash_table_lookup (table->entries, waiter->mountpoint);
    if (entry == NULL)
      {
        if (!waiter->create)
          g_set_error (&error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND,
                       "No managed mount at mountpoint '%s'", waiter->mountpoint);
        else if (waiter->max_mounts > 0 && g_hash_table_size (table->entries) >= waiter->max_mounts)
          g_set_error (&error, REFMOUNT_ERROR, REFMOUNT_ERROR_LIMIT_EXCEEDED,
                       "Cannot manage mountpoint '%s': MaxMounts=%u reached",
                       waiter->mountpoint, waiter->max_mounts);
        /* Under the table mutex: of two overlapping requests (the victim's
         * Mount of a/b while the attacker's Mount of a is in flight),
         * exactly one gets an entry. */
        else if (refmount_table_check_tree_locked (table, waiter->mountpoint, &error))
          {
            entry = refmount_entry_new (waiter->mountpoint);
            refmount_table_insert_entry_locked (table, entry);
          }
      }
    if (entry != NULL)
      refmount_entry_ref (entry);
  }

  if (entry == NULL)
    {
      {
        g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&table->wait_mutex);
        waiter->state = WAITER_FINISHED;
      }
      waiter->func (waiter, error, waiter->data);
      return;
    }

  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&table->wait_mutex);

    waiter->entry = entry;
    if (!entry->locked)
      {
        entry->locked = TRUE;
        waiter->state = WAITER_GRANTED;
        granted = TRUE;
      }
    else
      {
        waiter->state = WAITER_QUEUED;
        g_queue_push_tail (&entry->waiters, waiter);
      }
  }
  if (granted)
    waiter_granted (waiter);
}

void
refmount_table_waiter_start (RefmountTableWaiter *waiter)
{
  g_return_if_fail (waiter->state == WAITER_NEW);
  waiter_start (waiter);
}

gboolean
refmount_table_cancel_wait (RefmountTable       *table,
                            RefmountTableWaiter *waiter)
{
  RefmountEntry *entry = NULL;

  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&table->wait_mutex);

    if (waiter->state != WAITER_QUEUED)
      return waiter->state == WAITER_CANCELLED;
    g_queue_remove (&waiter->entry->waiters, waiter);
    waiter->state = WAITER_CANCELLED;
    entry = g_steal_pointer (&waiter->entry);
  }
  refmount_entry_unref (entry);
  return TRUE;
}

RefmountEntry *
refmount_table_waiter_get_entry (RefmountTableWaiter *waiter)
{
  return waiter->state == WAITER_GRANTED ? waiter->entry : NULL;
}

RefmountEntry *
refmount_table_waiter_steal_entry (RefmountTableWaiter *waiter)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&waiter->table->wait_mutex);

  if (waiter->state != WAITER_GRANTED)
    return NULL;
  waiter->state = WAITER_CONSUMED;
  return g_steal_pointer (&waiter->entry);
}

void
refmount_table_waiter_return_entry (RefmountTableWaiter *waiter,
                                    RefmountEntry       *entry)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&waiter->table->wait_mutex);

  g_return_if_fail (waiter->state == WAITER_CONSUMED && waiter->entry == NULL);
  waiter->state = WAITER_GRANTED;
  waiter->entry = entry;
}

void
refmount_table_waiter_free (RefmountTableWaiter *waiter)
{
  RefmountEntry *entry;

  if (waiter == NULL)
    return;
  /* Granted but not used (the call's deadline passed meanwhile, or its
   * caller left): give the lock on. */
  entry = refmount_table_waiter_steal_entry (waiter);
  if (entry != NULL)
    refmount_table_unlock_entry (waiter->table, entry);
  g_return_if_fail (waiter->state != WAITER_QUEUED);
  g_free (waiter->mountpoint);
  g_free (waiter);
}

/* An idle entry keeps only its committed record, one flat GVariant: the
 * unpacked RefmountRecord (a struct and two strings per attachment) would
 * more than double the memory of every managed mount, and unpacking it
 * again under the lock costs a few µs.  A record that differs from what
 * was committed (a change in progress that the holder did not commit) is
 * kept as it is.  Called with the entry lock held. */
static void
entry_shed_record (RefmountEntry *entry)
{
  g_autoptr (GVariant) unpacked = NULL;

  if (entry->record == NULL || entry->committed == NULL)
    return;
  unpacked = g_variant_ref_sink (refmount_record_to_variant (entry->record));
  if (g_variant_equal (unpacked, entry->committed))
    g_clear_pointer (&entry->record, refmount_record_free);
}

void
refmount_table_unlock_entry (RefmountTable *table,
                             RefmountEntry *entry)
{
  RefmountTableWaiter *next = NULL;
  GQueue               moved = G_QUEUE_INIT;
  gboolean             removed;

  entry_shed_record (entry);
  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&table->mutex);
    removed = entry->removed;
  }
  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&table->wait_mutex);

    if (removed)
      {
        /* Nobody can find this entry any more: every waiter looks up the
         * mountpoint afresh (the first may create a new entry). */
        moved = entry->waiters;
        g_queue_init (&entry->waiters);
        for (GList *l = moved.head; l != NULL; l = l->next)
          ((RefmountTableWaiter *) l->data)->state = WAITER_NEW;
        entry->locked = FALSE;
      }
    else
      {
        next = g_queue_pop_head (&entry->waiters);
        entry->locked = next != NULL;
        if (next != NULL)
          next->state = WAITER_GRANTED;
      }
  }

  if (next != NULL)
    waiter_granted (next);
  while (!g_queue_is_empty (&moved))
    {
      RefmountTableWaiter *waiter = g_queue_pop_head (&moved);

      refmount_entry_unref (g_steal_pointer (&waiter->entry));
      waiter_start (waiter);
    }
  refmount_entry_unref (entry);
}

/* ---- the synchronous form ------------------------------------------------ */

typedef struct
{
  GMutex   mutex;
  GCond    cond;
  gboolean done;
  GError  *error;
} SyncWait;

static void
sync_granted (RefmountTableWaiter *waiter,
              const GError        *error,
              gpointer             data)
{
  SyncWait                *wait = data;
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&wait->mutex);

  wait->done = TRUE;
  if (error != NULL)
    wait->error = g_error_copy (error);
  g_cond_signal (&wait->cond);
}

RefmountEntry *
refmount_table_lock_entry (RefmountTable *table,
                           const char    *mountpoint,
                           gboolean       create,
                           guint          max_mounts,
                           gint64         deadline,
                           GError       **error)
{
  SyncWait             wait = { 0 };
  RefmountTableWaiter *waiter;
  RefmountEntry       *entry = NULL;
  gboolean             cancelled = FALSE;

  g_mutex_init (&wait.mutex);
  g_cond_init (&wait.cond);
  waiter = refmount_table_waiter_new (table, mountpoint, create, max_mounts, sync_granted, &wait);
  refmount_table_waiter_start (waiter);

  g_mutex_lock (&wait.mutex);
  while (!wait.done)
    {
      if (g_cond_wait_until (&wait.cond, &wait.mutex, deadline) || wait.done)
        continue;
      /* Past the deadline: leave the queue, unless the lock is being
       * handed to us right now (then wait for that, it is imminent). */
      if (refmount_table_cancel_wait (table, waiter))
        {
          cancelled = TRUE;
          break;
        }
      deadline = G_MAXINT64;
    }
  g_mutex_unlock (&wait.mutex);

  if (cancelled)
    g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT,
                 "Timed out waiting for another operation on mountpoint '%s'", mountpoint);
  else if (wait.error != NULL)
    g_propagate_error (error, g_steal_pointer (&wait.error));
  else
    entry = refmount_table_waiter_steal_entry (waiter);
  refmount_table_waiter_free (waiter);
  g_clear_error (&wait.error);
  g_mutex_clear (&wait.mutex);
  g_cond_clear (&wait.cond);
  return entry;
}
