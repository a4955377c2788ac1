/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "refmount-table-private.h"

/*
 * Release-on-exit: the attachments a client made with the flag go when
 * its bus connection does.  The daemon finds the mountpoints with
 * refmount_table_list_bus_name() and waits for each entry in its queue
 * like a call (refmount-table-lock.c), so this housekeeping never parks
 * a thread behind a busy mountpoint.
 */

GPtrArray *
refmount_table_list_bus_name (RefmountTable *table,
                              const char    *bus_name)
{
  GPtrArray               *mountpoints = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&table->mutex);
  GHashTableIter           iter;
  gpointer                 value;

  g_hash_table_iter_init (&iter, table->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      RefmountEntry       *entry = value;
      g_autoptr (GVariant) attachments = NULL;
      GVariantIter         aiter;
      const char          *name;
      gboolean             roe;

      if (entry->committed == NULL)
        continue;
      attachments = refmount_record_variant_get_attachments (entry->committed);
      g_variant_iter_init (&aiter, attachments);
      while (g_variant_iter_next (&aiter, "(&sutb&s)", NULL, NULL, NULL, &roe, &name))
        if (roe && g_strcmp0 (name, bus_name) == 0)
          {
            g_ptr_array_add (mountpoints, g_strdup (entry->mountpoint));
            break;
          }
    }
  return mountpoints;
}

/* With the entry locked (used up): release @bus_name's release-on-exit
 * attachments on it one by one; the last one may unmount and drop it. */
static void
release_bus_name_entry (RefmountTable  *table,
                        RefmountConfig *config,
                        RefmountEntry  *entry,
                        const char     *bus_name,
                        gint64          deadline)
{
  refmount_table_set_entry_paths (config, entry);
  for (;;)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char   *id = NULL;
      RefmountRecord    *record = entry->record;
      guint32            uid = 0;
      gboolean           handed_off = FALSE;
      gboolean           unmounted = FALSE;

      for (guint j = 0; record != NULL && j < record->attachments->len; j++)
        {
          RefmountAttachment *a = g_ptr_array_index (record->attachments, j);

          if (a->release_on_exit && g_strcmp0 (a->bus_name, bus_name) == 0)
            {
              id = g_strdup (a->id);
              uid = a->uid;
              break;
            }
        }
      if (id == NULL)
        break;

      {
        RefmountDetachRequest request = { entry->mountpoint, id, uid, -1, TRUE, FALSE, FALSE };

        entry->op_uid = uid;
        entry->op_pid = -1;
        if (!refmount_table_detach_locked (table, config, entry, &request, deadline, &handed_off, &unmounted, NULL, &error))
          {
            if (handed_off)
              return; /* the lock went to the late completion */
            g_warning ("Releasing attachment %s of %s on %s: %s", id, bus_name, entry->mountpoint,
                       error->message);
            break;
          }
      }
    }
  refmount_table_unlock_entry (table, entry);
}

void
refmount_table_release_bus_name_held (RefmountTable       *table,
                                      RefmountConfig      *config,
                                      RefmountTableWaiter *waiter,
                                      const char          *bus_name,
                                      gint64               deadline)
{
  RefmountEntry *entry = refmount_table_waiter_steal_entry (waiter);

  g_return_if_fail (entry != NULL);
  release_bus_name_entry (table, config, entry, bus_name, deadline);
}

void
refmount_table_release_bus_name (RefmountTable  *table,
                                 RefmountConfig *config,
                                 const char     *bus_name)
{
  g_autoptr (GPtrArray) mountpoints = refmount_table_list_bus_name (table, bus_name);

  for (guint i = 0; i < mountpoints->len; i++)
    {
      gint64             deadline = g_get_monotonic_time () + (gint64) config->mount_timeout_sec * G_USEC_PER_SEC;
      g_autoptr (GError) error = NULL;
      RefmountEntry     *entry;

      entry = refmount_table_lock_entry (table, g_ptr_array_index (mountpoints, i), FALSE, 0, deadline, &error);
      if (entry != NULL)
        release_bus_name_entry (table, config, entry, bus_name, deadline);
    }
}
