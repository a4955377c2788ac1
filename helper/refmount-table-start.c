/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Start-up (doc/design.md "Lifecycle"): load the snapshot and its journal,
 * reconcile every record with the kernel's mount table in one pass, and
 * write a fresh snapshot before the daemon owns its bus name.
 */
#include "config.h"

#include "refmount-fstype.h"
#include "refmount-log.h"
#include "refmount-names.h"
#include "refmount-table-private.h"
#include "refmount-validate.h"

/* ---- start-up: load and reconcile -------------------------------------- */

/* One client often holds many attachments: ask the bus once per name
 * (@alive caches the answers, name -> "alive"/"gone"). */
static void
drop_dead_attachments (RefmountRecord            *record,
                       RefmountTableNameAliveFunc name_alive,
                       gpointer                   user_data,
                       GHashTable                *alive)
{
  static const char gone[] = "gone";

  for (guint i = record->attachments->len; i > 0; i--)
    {
      RefmountAttachment *a = g_ptr_array_index (record->attachments, i - 1);
      RefmountLogContext  ctx = { record->mountpoint, record->source, record->fstype, a->id, a->uid, -1 };
      const char         *known;

      if (!a->release_on_exit || name_alive == NULL)
        continue;
      known = g_hash_table_lookup (alive, a->bus_name);
      if (known == NULL)
        {
          known = name_alive (a->bus_name, user_data) ? "alive" : gone;
          g_hash_table_insert (alive, g_strdup (a->bus_name), (gpointer) known);
        }
      if (known != gone)
        continue;
      refmount_log_event (G_LOG_LEVEL_MESSAGE, "reconciled", &ctx,
                          "Dropped release-on-exit attachment %s: its client %s is gone",
                          a->id, a->bus_name);
      g_ptr_array_remove_index (record->attachments, i - 1);
    }
}

gboolean
refmount_table_start (RefmountTable             *table,
                      RefmountConfig            *config,
                      RefmountTableNameAliveFunc name_alive,
                      gpointer                   user_data,
                      GError                   **error)
{
  g_autoptr (GPtrArray)  records = NULL;
  g_autoptr (GHashTable) kernel = NULL;
  g_autofree char       *moved_aside = NULL;
  g_autoptr (GPtrArray)  retries = g_ptr_array_new ();
  g_autoptr (GHashTable) alive = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint64                generation = 0;

  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&table->persist_mutex);

    if (!refmount_journal_load (table->journal, &generation, &records, &moved_aside, error))
      return FALSE;
  }
  if (moved_aside != NULL)
    refmount_log_event (G_LOG_LEVEL_WARNING, "state-corrupt", NULL,
                        "The state file was corrupt or unreadable and was moved aside to %s; "
                        "starting with an empty table",
                        moved_aside);

  kernel = table->backend->ops->list (table->backend, error);
  if (kernel == NULL)
    return FALSE;

  for (guint i = 0; i < records->len; i++)
    {
      RefmountRecord      *record = g_ptr_array_index (records, i);
      RefmountKernelMount *km = g_hash_table_lookup (kernel, record->mountpoint);
      RefmountLogContext   ctx = { record->mountpoint, record->source, record->fstype, NULL, -1, -1 };
      gboolean             ours = km != NULL && g_strcmp0 (km->source, record->source) == 0 &&
                      refmount_fstype_kernel_matches (record->fstype, km->fstype);
      RefmountEntry *entry;

      drop_dead_attachments (record, name_alive, user_data, alive);

      if (ours && record->attachments->len == 0)
        {
          record->state = REFMOUNT_MOUNT_STATE_BUSY;
          refmount_log_event (G_LOG_LEVEL_MESSAGE, "reconciled", &ctx,
                              "%s is mounted with no attachments left; unmounting it", record->mountpoint);
        }
      else if (ours)
        {
          record->state = REFMOUNT_MOUNT_STATE_MOUNTED;
          refmount_log_event (G_LOG_LEVEL_MESSAGE, "reconciled", &ctx, "Adopted %s (%u attachments)",
                              record->mountpoint, record->attachments->len);
        }
      else if (record->attachments->len == 0)
        {
          const char      *root = NULL;
          g_autofree char *relative = NULL;

          refmount_log_event (G_LOG_LEVEL_MESSAGE, "reconciled", &ctx,
                              "Dropped %s: not mounted and no attachments left", record->mountpoint);
          /* rmdir(2) asks the filesystem the directory lies on, which may
           * not answer (a mount root on an NFS export whose server is down
           * at boot): not on this thread, which owns the bus name only
           * once the start is done, but on the runner's pool afterwards. */
          if (record->created_dir &&
              refmount_validate_mountpoint (config, record->mountpoint, &root, &relative, NULL))
            refmount_table_remove_dir_later (table, root, relative, record->mountpoint);
          continue;
        }
      else
        {
          record->state = REFMOUNT_MOUNT_STATE_STALE;
          refmount_log_event (G_LOG_LEVEL_WARNING, "reconciled", &ctx,
                              "%s is recorded but %s; marked stale until the next Mount",
                              record->mountpoint,
                              km != NULL ? "another filesystem is mounted there" : "not mounted");
        }

      entry = refmount_entry_new (record->mountpoint);
      {
        const char *root = NULL;

        /* A record outside today's roots stays listed but cannot be
         * unmounted by refmount until the configuration allows it again. */
        if (refmount_validate_mountpoint (config, record->mountpoint, &root, &entry->relative, NULL))
          entry->root = g_strdup (root);
        else
          g_warning ("%s is no longer beneath a configured mount root", record->mountpoint);
      }
      entry->record = g_ptr_array_steal_index_fast (records, i);
      i--;
      {
        g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&table->mutex);
        refmount_table_insert_entry_locked (table, entry);
      }
      refmount_table_commit (table, entry);
      if (entry->record->state == REFMOUNT_MOUNT_STATE_BUSY)
        g_ptr_array_add (retries, entry->mountpoint);
    }

  table->generation = generation + 1;
  if (!refmount_table_persist (table, error))
    return FALSE;

  /* Publish every record without a signal: the bus name is not owned
   * yet, so there is nobody to tell.  Each record was committed as it is,
   * so the unpacked copies can go without comparing them; nobody else can
   * lock an entry yet. */
  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&table->mutex);
    GHashTableIter           iter;
    gpointer                 value;

    g_hash_table_iter_init (&iter, table->entries);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      {
        RefmountEntry *entry = value;

        if (entry->committed == NULL)
          continue;
        if (entry->published == NULL)
          entry->published = g_variant_ref (entry->committed);
        g_clear_pointer (&entry->record, refmount_record_free);
      }
  }

  for (guint i = 0; i < retries->len; i++)
    refmount_table_schedule_busy_retry (table, g_ptr_array_index (retries, i), 0);
  return TRUE;
}
