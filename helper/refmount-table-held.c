/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Blocking work of a call that is not a backend call (the user database
 * lookup of the Mount flag "owner"): on the runner under the call's
 * deadline, with the entry held, like the backend calls in
 * refmount-table-backend.c.
 */
#include "config.h"

#include "refmount-table-private.h"

typedef struct
{
  RefmountTable     *table;
  RefmountEntry     *entry; /* locked; the lock passes to held_late */
  RefmountRunnerFunc func;
  gpointer           data;
  GDestroyNotify     destroy;
  gboolean           late_ran;
} HeldCall;

static gboolean
held_func (gpointer data,
           GError **error)
{
  HeldCall *call = data;

  return call->func (call->data, error);
}

static void
held_late (gpointer      data,
           gboolean      ok,
           const GError *error)
{
  HeldCall      *call = data;
  RefmountEntry *entry = call->entry;

  call->late_ran = TRUE;
  g_message ("Work for a call on %s finished after its caller timed out", entry->mountpoint);
  /* A fresh entry the call created is dropped again. */
  if (entry->record == NULL)
    refmount_table_commit (call->table, entry);
  refmount_table_unlock_entry (call->table, entry);
}

static void
held_free (gpointer data)
{
  HeldCall *call = data;

  if (call->late_ran && call->destroy != NULL)
    call->destroy (call->data);
  g_free (call);
}

gboolean
refmount_table_run_held (RefmountTable       *table,
                         RefmountTableWaiter *waiter,
                         RefmountRunnerFunc   func,
                         gpointer             data,
                         GDestroyNotify       destroy,
                         gint64               deadline,
                         gboolean            *out_ok,
                         GError             **error)
{
  /* Taken from the waiter while the work runs, so that after a timeout
   * the lock belongs to the late completion alone. */
  RefmountEntry *entry = refmount_table_waiter_steal_entry (waiter);
  HeldCall      *call;

  g_return_val_if_fail (entry != NULL, FALSE);
  call = g_new0 (HeldCall, 1);
  call->entry = entry;
  call->table = table;
  call->func = func;
  call->data = data;
  call->destroy = destroy;
  if (refmount_runner_run (table->runner, held_func, held_late, call, held_free, deadline, out_ok, error))
    {
      refmount_table_waiter_return_entry (waiter, entry);
      return TRUE;
    }
  return FALSE;
}

void
refmount_table_give_up_held (RefmountTable       *table,
                             RefmountTableWaiter *waiter)
{
  RefmountEntry *entry = refmount_table_waiter_steal_entry (waiter);

  if (entry == NULL)
    return;
  if (entry->record == NULL)
    refmount_table_commit (table, entry); /* a fresh entry: drop it again */
  refmount_table_unlock_entry (table, entry);
}
