/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "refmount-error.h"
#include "refmount-fstype.h"
#include "refmount-names.h"
#include "refmount-runner.h"
#include "refmount-table-private.h"

/* Frames queued while state writes fail; past this, the next write is a
 * full snapshot instead, so a long outage does not pile up memory. */
#define PENDING_FRAMES_MAX 1024

RefmountTable *
refmount_table_new (RefmountBackend         *backend,
                    const char              *state_dir,
                    GMainContext            *context,
                    RefmountTableChangedFunc changed,
                    gpointer                 user_data)
{
  RefmountTable *table = g_new0 (RefmountTable, 1);

  g_mutex_init (&table->mutex);
  g_mutex_init (&table->persist_mutex);
  g_mutex_init (&table->wait_mutex);
  table->entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                          (GDestroyNotify) refmount_entry_unref);
  table->uid_counts = g_hash_table_new (g_direct_hash, g_direct_equal);
  table->uid_reserved = g_hash_table_new (g_direct_hash, g_direct_equal);
  table->ancestors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  table->sources = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) g_source_unref, NULL);
  table->backend = backend;
  table->journal = refmount_journal_new (state_dir);
  /* Nothing is on disk for this table yet: its first write is a snapshot. */
  table->compact_due = TRUE;
  table->context = context != NULL ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  table->changed = changed;
  table->changed_data = user_data;
  table->runner = refmount_runner_new ();
  return table;
}

void
refmount_table_free (RefmountTable *table)
{
  GHashTableIter iter;
  gpointer       source;

  if (table == NULL)
    return;
  /* Only tests free a table; let retries already running finish. */
  while (g_atomic_int_get (&table->retry_threads) > 0)
    g_usleep (1000);
  g_hash_table_iter_init (&iter, table->sources);
  while (g_hash_table_iter_next (&iter, &source, NULL))
    g_source_destroy (source);
  g_hash_table_unref (table->sources);
  refmount_runner_free (table->runner);
  g_hash_table_unref (table->entries);
  g_hash_table_unref (table->uid_counts);
  g_hash_table_unref (table->uid_reserved);
  g_hash_table_unref (table->ancestors);
  g_main_context_unref (table->context);
  g_queue_clear_full (&table->pending, (GDestroyNotify) g_variant_unref);
  refmount_journal_free (table->journal);
  g_mutex_clear (&table->mutex);
  g_mutex_clear (&table->persist_mutex);
  g_mutex_clear (&table->wait_mutex);
  g_free (table);
}

guint64
refmount_table_get_generation (RefmountTable *table)
{
  return table->generation;
}

guint
refmount_table_get_abandoned (RefmountTable *table)
{
  return refmount_runner_get_abandoned (table->runner);
}

/* ---- entries and their locks ------------------------------------------ */

RefmountEntry *
refmount_entry_ref (RefmountEntry *entry)
{
  g_atomic_ref_count_inc (&entry->ref);
  return entry;
}

void
refmount_entry_unref (RefmountEntry *entry)
{
  if (!g_atomic_ref_count_dec (&entry->ref))
    return;
  refmount_clear_fd (&entry->mounted_fd);
  g_clear_pointer (&entry->record, refmount_record_free);
  g_clear_pointer (&entry->committed, g_variant_unref);
  g_clear_pointer (&entry->published, g_variant_unref);
  g_free (entry->mountpoint);
  g_free (entry->root);
  g_free (entry->relative);
  g_mutex_clear (&entry->lock_mutex);
  g_cond_clear (&entry->probes_cond);
  g_free (entry);
}

RefmountEntry *
refmount_entry_new (const char *mountpoint)
{
  RefmountEntry *entry = g_new0 (RefmountEntry, 1);

  g_atomic_ref_count_init (&entry->ref);
  g_queue_init (&entry->waiters);
  g_mutex_init (&entry->lock_mutex);
  g_cond_init (&entry->probes_cond);
  entry->mountpoint = g_strdup (mountpoint);
  entry->op_uid = -1;
  entry->op_pid = -1;
  entry->reserved_uid = -1;
  entry->mounted_fd = -1;
  return entry;
}

/* ---- the tree of mountpoints ------------------------------------------ */

/* The proper ancestors of a canonical absolute path, longest first:
 * "/a/b/c" -> "/a/b", "/a". */
static void
ancestors_adjust (RefmountTable *table,
                  const char    *mountpoint,
                  int            delta)
{
  g_autofree char *path = g_strdup (mountpoint);
  char            *slash;

  while ((slash = strrchr (path, '/')) != NULL && slash != path)
    {
      int count;

      *slash = '\0';
      count = GPOINTER_TO_INT (g_hash_table_lookup (table->ancestors, path)) + delta;
      if (count > 0)
        g_hash_table_insert (table->ancestors, g_strdup (path), GINT_TO_POINTER (count));
      else
        g_hash_table_remove (table->ancestors, path);
    }
}

void
refmount_table_insert_entry_locked (RefmountTable *table,
                                    RefmountEntry *entry)
{
  g_hash_table_insert (table->entries, entry->mountpoint, entry);
  ancestors_adjust (table, entry->mountpoint, +1);
}

void
refmount_table_remove_entry_locked (RefmountTable *table,
                                    RefmountEntry *entry)
{
  ancestors_adjust (table, entry->mountpoint, -1);
  g_hash_table_remove (table->entries, entry->mountpoint);
}

gboolean
refmount_table_check_tree_locked (RefmountTable *table,
                                  const char    *mountpoint,
                                  GError       **error)
{
  g_autofree char *path = g_strdup (mountpoint);
  char            *slash;
  gsize            len = strlen (mountpoint);

  /* Beneath a managed mountpoint: mounting there would put a tree of
   * directories and a mount inside another caller's filesystem. */
  while ((slash = strrchr (path, '/')) != NULL && slash != path)
    {
      *slash = '\0';
      if (g_hash_table_contains (table->entries, path))
        {
          g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_CONFLICT,
                       "Mountpoint '%s' lies inside mountpoint '%s', which refmount manages",
                       mountpoint, path);
          return FALSE;
        }
    }

  /* Above one: mounting there would hide it. */
  if (g_hash_table_contains (table->ancestors, mountpoint))
    {
      GHashTableIter iter;
      gpointer       key;

      g_hash_table_iter_init (&iter, table->entries);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        {
          const char *other = key;

          if (strncmp (other, mountpoint, len) == 0 && other[len] == '/')
            {
              g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_CONFLICT,
                           "Mountpoint '%s' lies above mountpoint '%s', which refmount manages",
                           mountpoint, other);
              return FALSE;
            }
        }
    }
  return TRUE;
}

/* ---- commit and persistence ------------------------------------------- */

static void
uid_counts_adjust (RefmountTable *table,
                   GVariant      *record,
                   int            delta)
{
  g_autoptr (GVariant) attachments = NULL;
  GVariantIter         iter;
  guint32              uid;

  if (record == NULL)
    return;
  attachments = refmount_record_variant_get_attachments (record);
  g_variant_iter_init (&iter, attachments);
  while (g_variant_iter_next (&iter, "(&sutb&s)", NULL, &uid, NULL, NULL, NULL))
    {
      gpointer key = GUINT_TO_POINTER (uid);
      int      count = GPOINTER_TO_INT (g_hash_table_lookup (table->uid_counts, key)) + delta;

      if (count > 0)
        g_hash_table_insert (table->uid_counts, key, GINT_TO_POINTER (count));
      else
        g_hash_table_remove (table->uid_counts, key);
    }
}

static void
release_uid_locked (RefmountTable *table,
                    RefmountEntry *entry)
{
  gpointer key;
  int      count;

  if (entry->reserved_uid < 0)
    return;
  key = GUINT_TO_POINTER ((guint32) entry->reserved_uid);
  count = GPOINTER_TO_INT (g_hash_table_lookup (table->uid_reserved, key)) - 1;
  if (count > 0)
    g_hash_table_insert (table->uid_reserved, key, GINT_TO_POINTER (count));
  else
    g_hash_table_remove (table->uid_reserved, key);
  entry->reserved_uid = -1;
}

gboolean
refmount_table_reserve_uid (RefmountTable *table,
                            RefmountEntry *entry,
                            guint32        uid,
                            guint          max,
                            GError       **error)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&table->mutex);
  gpointer                 key = GUINT_TO_POINTER (uid);
  guint                    held = GPOINTER_TO_UINT (g_hash_table_lookup (table->uid_counts, key));
  guint                    adding = GPOINTER_TO_UINT (g_hash_table_lookup (table->uid_reserved, key));

  if (max == 0 || entry->reserved_uid >= 0)
    return TRUE;
  /* Committed and in-flight attachments together: twenty concurrent
   * Mounts of one uid must not all pass a check of committed ones. */
  if (held + adding >= max)
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_LIMIT_EXCEEDED,
                   "uid %u already holds MaxAttachmentsPerUser=%u attachments (%u of them being added)",
                   uid, max, adding);
      return FALSE;
    }
  g_hash_table_insert (table->uid_reserved, key, GUINT_TO_POINTER (adding + 1));
  entry->reserved_uid = uid;
  return TRUE;
}

void
refmount_table_release_uid (RefmountTable *table,
                            RefmountEntry *entry)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&table->mutex);

  release_uid_locked (table, entry);
}

/* Make the entry's current record (or its absence) what the next state
 * write contains: a journal frame queued in commit order.  Called with the
 * entry lock held. */
void
refmount_table_commit (RefmountTable *table,
                       RefmountEntry *entry)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&table->mutex);
  GVariant                *next = NULL;

  if (entry->record != NULL)
    {
      next = g_variant_ref_sink (refmount_record_to_variant (entry->record));
      /* A built GVariant is a tree of one instance per value (~100 bytes
       * each, 60 for a record with 10 attachments); serializing it now
       * frees the tree and leaves one flat buffer, since this one is kept
       * for the entry's lifetime. */
      (void) g_variant_get_data (next);
    }

  /* Absent before and after (a fresh entry that failed): the journal
   * already says so. */
  if (entry->committed != NULL || next != NULL)
    {
      if (!table->compact_due && table->pending.length < PENDING_FRAMES_MAX)
        g_queue_push_tail (&table->pending, refmount_journal_frame_new (entry->mountpoint, next));
      else
        table->compact_due = TRUE;
    }

  uid_counts_adjust (table, entry->committed, -1);
  uid_counts_adjust (table, next, +1);
  /* In the same critical section: the attachment now counts as committed
   * (or failed), never as both or neither. */
  release_uid_locked (table, entry);
  g_clear_pointer (&entry->committed, g_variant_unref);
  entry->committed = next;

  if (entry->record == NULL && !entry->removed)
    {
      entry->removed = TRUE;
      refmount_table_remove_entry_locked (table, entry);
    }
  table->commit_seq++;
}

guint
refmount_table_count_uid (RefmountTable *table,
                          guint32        uid)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&table->mutex);

  return GPOINTER_TO_UINT (g_hash_table_lookup (table->uid_counts, GUINT_TO_POINTER (uid)));
}

/* Every committed record: the contents of a snapshot. */
static GVariant *
snapshot_records_locked (RefmountTable *table)
{
  g_autoptr (GVariantBuilder) builder = g_variant_builder_new (G_VARIANT_TYPE ("a" REFMOUNT_RECORD_VARIANT_TYPE));
  GHashTableIter              iter;
  gpointer                    value;

  g_hash_table_iter_init (&iter, table->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      RefmountEntry *entry = value;

      if (entry->committed != NULL)
        g_variant_builder_add_value (builder, entry->committed);
    }
  return g_variant_ref_sink (g_variant_builder_end (builder));
}

/* The first @n_frames pending frames and every commit up to @seq are
 * durable. */
static gboolean
written (RefmountTable *table,
         guint64        seq,
         guint          n_frames)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&table->mutex);

  for (guint i = 0; i < n_frames; i++)
    g_variant_unref (g_queue_pop_head (&table->pending));
  table->written_seq = seq;
  table->written_once = TRUE;
  return TRUE;
}

/* Group commit: whoever holds persist_mutex writes everything committed so
 * far, so callers that queued behind it find their change already durable
 * and skip their own fsync.  Normally that is one journal append of the
 * pending frames; a snapshot (compaction) when the journal has grown past
 * its bound, cannot be appended to, or frames were not queued.  Frames
 * leave the queue only once durable: after a failed append they are
 * written again by the next caller, in order, together with the frames
 * that roll the failed operations back. */
gboolean
refmount_table_write_state (RefmountTable *table,
                            GError       **error)
{
  g_autoptr (GMutexLocker) persist_locker = g_mutex_locker_new (&table->persist_mutex);
  g_autoptr (GPtrArray)    frames = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autoptr (GVariant)     records = NULL;
  g_autoptr (GError)       compact_error = NULL;
  gboolean                 must_compact;
  guint64                  seq;

  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&table->mutex);

    seq = table->commit_seq;
    if (table->written_seq == seq && table->written_once)
      return TRUE;
    must_compact = !table->written_once || table->compact_due || !refmount_journal_can_append (table->journal);
    if (must_compact || refmount_journal_wants_compaction (table->journal))
      {
        records = snapshot_records_locked (table);
        table->compact_due = FALSE;
      }
    for (GList *l = table->pending.head; l != NULL; l = l->next)
      g_ptr_array_add (frames, g_variant_ref (l->data));
  }

  if (records != NULL)
    {
      if (refmount_journal_compact (table->journal, table->generation, records, &compact_error))
        return written (table, seq, frames->len);
      if (must_compact || !refmount_journal_can_append (table->journal))
        {
          g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&table->mutex);

          table->compact_due = TRUE;
          g_propagate_error (error, g_steal_pointer (&compact_error));
          return FALSE;
        }
      /* The journal is still good (a full disk may have room for a few
       * frames but not for a snapshot): compact later. */
      g_debug ("Could not compact the state journal: %s", compact_error->message);
    }
  if (frames->len > 0 &&
      !refmount_journal_append (table->journal, (GVariant *const *) frames->pdata, frames->len, error))
    return FALSE;
  return written (table, seq, frames->len);
}

gboolean
refmount_table_persist (RefmountTable *table,
                        GError       **error)
{
  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&table->mutex);
    table->written_once = FALSE;
    table->compact_due = TRUE;
  }
  return refmount_table_write_state (table, error);
}

/* Called with the entry lock held after a change was persisted. */
void
refmount_table_notify (RefmountTable *table,
                       RefmountEntry *entry)
{
  g_autoptr (GVariant) old = NULL;
  g_autoptr (GVariant) now = NULL;

  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&table->mutex);

    old = g_steal_pointer (&entry->published);
    if (entry->committed != NULL)
      entry->published = g_variant_ref (entry->committed);
    now = entry->published != NULL ? g_variant_ref (entry->published) : NULL;
  }
  if (table->changed != NULL && (old != NULL || now != NULL))
    table->changed (entry->mountpoint, old, now, table->changed_data);
}

/* A failure is logged; the next successful write catches up. */
void
refmount_table_commit_and_write (RefmountTable *table,
                                 RefmountEntry *entry)
{
  g_autoptr (GError) error = NULL;

  refmount_table_commit (table, entry);
  if (!refmount_table_write_state (table, &error))
    g_warning ("Could not write the state file: %s", error->message);
  refmount_table_notify (table, entry);
}

/* ---- queries ------------------------------------------------------------ */

RefmountRecord *
refmount_table_get_record (RefmountTable *table,
                           const char    *mountpoint)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&table->mutex);
  RefmountEntry           *entry = g_hash_table_lookup (table->entries, mountpoint);

  if (entry == NULL || entry->committed == NULL)
    return NULL;
  return refmount_record_from_variant (entry->committed, NULL);
}

GVariant *
refmount_table_lookup_published (RefmountTable *table,
                                 const char    *mountpoint)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&table->mutex);
  RefmountEntry           *entry = g_hash_table_lookup (table->entries, mountpoint);

  if (entry == NULL || entry->published == NULL)
    return NULL;
  return g_variant_ref (entry->published);
}

GPtrArray *
refmount_table_list_published (RefmountTable *table)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&table->mutex);
  GPtrArray               *list = g_ptr_array_new_full (g_hash_table_size (table->entries),
                                                        (GDestroyNotify) g_variant_unref);
  GHashTableIter           iter;
  gpointer                 value;

  g_hash_table_iter_init (&iter, table->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      RefmountEntry *entry = value;

      if (entry->published != NULL)
        g_ptr_array_add (list, g_variant_ref (entry->published));
    }
  return list;
}

/* ---- retries ----------------------------------------------------------- */

typedef struct
{
  RefmountTable         *table;
  RefmountTableRetryFunc func;
  gpointer               data; /* NULL once handed to the attempt */
  GDestroyNotify         destroy;
} Retry;

static void
retry_free (gpointer data)
{
  Retry *retry = data;

  if (retry->data != NULL && retry->destroy != NULL)
    retry->destroy (retry->data);
  g_free (retry);
}

/* On a runner thread, with nobody waiting for it. */
static gboolean
retry_run (gpointer data,
           GError **error)
{
  Retry         *retry = data;
  RefmountTable *table = retry->table;

  /* Scheduling the next attempt (in func) comes before the count drops:
   * likewise never neither. */
  retry->func (table, g_steal_pointer (&retry->data));
  retry_free (retry);
  g_atomic_int_dec_and_test (&table->retry_threads);
  return TRUE;
}

static gboolean
retry_cb (gpointer data)
{
  Retry *timer = data;
  Retry *retry = g_new0 (Retry, 1);

  *retry = *timer;
  timer->data = NULL;
  /* Counted before the timer is forgotten: a table is never seen with
   * neither while a retry is pending. */
  g_atomic_int_inc (&timer->table->retry_threads);
  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&timer->table->mutex);

    g_hash_table_remove (timer->table->sources, g_main_current_source ());
  }
  /* The attempt may block in the kernel (umount(2), rmdir(2) beneath a
   * filesystem that stopped answering): never on the main loop.  The
   * runner's pool is unbounded, so one that hangs costs its thread and
   * no other attempt or call waits for it; idle threads are reused. */
  refmount_runner_submit (retry->table->runner, retry_run, retry, NULL);
  return G_SOURCE_REMOVE;
}

/* The timers are the table's: destroyed with it, so none fires on a freed
 * table (tests free and recreate tables on one context). */
void
refmount_table_schedule_retry (RefmountTable         *table,
                               guint                  delay_sec,
                               RefmountTableRetryFunc func,
                               gpointer               data,
                               GDestroyNotify         destroy)
{
  g_autoptr (GSource)      source = g_timeout_source_new_seconds (delay_sec);
  g_autoptr (GMutexLocker) locker = NULL;
  Retry                   *retry = g_new0 (Retry, 1);

  retry->table = table;
  retry->func = func;
  retry->data = data;
  retry->destroy = destroy;
  g_source_set_callback (source, retry_cb, retry, retry_free);
  locker = g_mutex_locker_new (&table->mutex);
  g_hash_table_add (table->sources, g_source_ref (source));
  g_source_attach (source, table->context);
}

/* The kernel's type may be an alias of the requested one (nfs -> nfs4,
 * glusterfs -> fuse.glusterfs): refmount-fstype.c decides. */
gboolean
refmount_table_kernel_mount_matches (const RefmountKernelMount *km,
                                     const char                *source,
                                     const char                *fstype)
{
  return km != NULL && g_strcmp0 (km->source, source) == 0 && refmount_fstype_kernel_matches (fstype, km->fstype);
}
