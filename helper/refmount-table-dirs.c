/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The directories refmount created for mountpoints, removed after the
 * last unmount.  An effect on the filesystem, so not in the store
 * (refmount-table.c), which only keeps records (helper/layers.txt).
 */
#include "config.h"

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

static gboolean
rmdir_retry_cb (gpointer data)
{
  RmdirRetry        *retry = data;
  g_autoptr (GError) error = NULL;

  if (refmount_path_remove_dir (retry->root, retry->relative, &error))
    g_debug ("Removed directory %s on retry %u", retry->mountpoint, retry->attempts);
  else if (++retry->attempts >= RMDIR_RETRY_COUNT)
    g_warning ("Giving up removing directory %s: %s", retry->mountpoint, error->message);
  else
    return G_SOURCE_CONTINUE;
  refmount_table_forget_current_source (retry->table);
  return G_SOURCE_REMOVE;
}

/* Remove the directory refmount created for @entry.  Never fails the
 * caller: an EBUSY right after unmounting a network filesystem is common,
 * so the removal is retried in the background. */
void
refmount_table_remove_created_dir (RefmountTable *table,
                                   RefmountEntry *entry)
{
  g_autoptr (GError)  error = NULL;
  RmdirRetry         *retry;
  g_autoptr (GSource) source = NULL;

  if (refmount_path_remove_dir (entry->root, entry->relative, &error))
    return;

  g_message ("Could not remove directory %s (%s); retrying in the background",
             entry->mountpoint, error->message);
  retry = g_new0 (RmdirRetry, 1);
  retry->table = table;
  retry->root = g_strdup (entry->root);
  retry->relative = g_strdup (entry->relative);
  retry->mountpoint = g_strdup (entry->mountpoint);
  source = g_timeout_source_new_seconds (1);
  g_source_set_callback (source, rmdir_retry_cb, retry, rmdir_retry_free);
  refmount_table_attach_source (table, source);
}
