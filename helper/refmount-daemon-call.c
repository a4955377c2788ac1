/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "refmount-daemon-call.h"
#include "refmount-error.h"

Call *
refmount_call_ref (Call *call)
{
  g_atomic_ref_count_inc (&call->ref);
  return call;
}

void
refmount_call_unref (Call *call)
{
  if (!g_atomic_ref_count_dec (&call->ref))
    return;
  refmount_table_waiter_free (call->waiter);
  g_clear_error (&call->grant_error);
  g_clear_object (&call->cancellable);
  refmount_request_clear (&call->request);
  g_clear_pointer (&call->config, refmount_config_unref);
  g_clear_object (&call->message);
  g_mutex_clear (&call->lock);
  g_free (call);
}

RefmountAdmissionLimits
refmount_call_limits (RefmountConfig *config)
{
  RefmountAdmissionLimits limits = { config->max_calls_per_client, config->max_calls_per_user,
                                     config->max_calls_total };
  return limits;
}

void
refmount_call_push_job (Daemon *daemon,
                        Job    *job)
{
  g_thread_pool_push (daemon->workers, job, NULL);
}

void
refmount_call_clear_timer (Call *call)
{
  GSource *timer;

  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&call->lock);
    timer = g_steal_pointer (&call->timer);
  }
  if (timer != NULL)
    {
      g_source_destroy (timer);
      g_source_unref (timer);
    }
}

/* The end of every call (any thread): the reply or error goes out, the
 * admission slots and the in-flight count are given back. */
void
refmount_call_finish (Call     *call,
                      GVariant *value,
                      GError   *error)
{
  Daemon *daemon = call->daemon;

  refmount_call_clear_timer (call);
  if (error != NULL)
    refmount_daemon_send_error (daemon, call->message, error);
  else if (value != NULL)
    refmount_daemon_send_value (daemon, call->message, value);
  g_clear_error (&error);

  refmount_admission_leave_client (daemon->admission, call->sender);
  if (call->uid_admitted)
    refmount_admission_leave_uid (daemon->admission, call->caller.uid);
  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&daemon->calls_lock);
    GPtrArray               *calls = g_hash_table_lookup (daemon->calls, call->sender);

    if (calls != NULL && g_ptr_array_remove_fast (calls, call) && calls->len == 0)
      g_hash_table_remove (daemon->calls, call->sender);
  }
  refmount_call_unref (call); /* the pipeline's reference */
  refmount_daemon_call_done (daemon);
}

static void
entry_granted (RefmountTableWaiter *waiter,
               const GError        *error,
               gpointer             data)
{
  Call *call = data;
  Job  *job = g_new0 (Job, 1);

  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&call->lock);
    call->granted = TRUE;
  }
  if (error != NULL)
    call->grant_error = g_error_copy (error);
  job->kind = JOB_CALL;
  job->daemon = call->daemon;
  job->call = call;
  refmount_call_push_job (call->daemon, job);
}

static gboolean
queue_deadline_cb (gpointer data)
{
  Call    *call = data;
  gboolean cancelled = FALSE;

  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&call->lock);

    if (call->timer == NULL)
      return G_SOURCE_REMOVE; /* granted meanwhile */
    g_clear_pointer (&call->timer, g_source_unref);
    if (call->waiter != NULL)
      cancelled = refmount_table_cancel_wait (call->daemon->table, call->waiter);
  }
  /* Not cancelled: the lock is being handed over right now; the worker
   * sees the deadline. */
  if (cancelled)
    refmount_call_finish (call, NULL,
                          g_error_new (REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT,
                                       "Timed out waiting for another operation on mountpoint '%s' (MountTimeoutSec=%u)",
                                       call->request.mountpoint, call->config->mount_timeout_sec));
  return G_SOURCE_REMOVE;
}

/* Main thread, or the filter's for root's calls: wait
 * for the mountpoint's entry (or go straight to a worker when the method
 * needs none). */
void
refmount_call_enqueue (Call *call)
{
  g_autoptr (Call)     hold = NULL;
  Job                 *job;
  RefmountTableWaiter *waiter;

  if (!call->method->needs_entry)
    {
      job = g_new0 (Job, 1);
      job->kind = JOB_CALL;
      job->daemon = call->daemon;
      job->call = call;
      refmount_call_push_job (call->daemon, job);
      return;
    }
  if (call->deadline == 0)
    call->deadline = g_get_monotonic_time () + (gint64) call->config->mount_timeout_sec * G_USEC_PER_SEC;
  waiter = refmount_table_waiter_new (call->daemon->table, call->request.mountpoint, call->method->creates_entry,
                                      call->config->max_mounts, entry_granted, call);
  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&call->lock);

    refmount_table_waiter_free (call->waiter); /* a second round (unmount-others) */
    call->waiter = waiter;
    call->granted = FALSE;
  }
  /* A free entry is granted within waiter_start(), and the call may then
   * be answered by a worker before this returns. */
  hold = refmount_call_ref (call);
  refmount_table_waiter_start (waiter);
  /* Only a call that waits in the queue needs its deadline as a timer:
   * one granted at once is on a worker, which sees the deadline itself,
   * and attaching a source to the main context would wake the main
   * thread for every call. */
  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&call->lock);
    GSource                 *timer;

    if (call->granted)
      return;
    timer = g_timeout_source_new (MAX (0, (call->deadline - g_get_monotonic_time ()) / 1000));
    g_source_set_callback (timer, queue_deadline_cb, refmount_call_ref (call), (GDestroyNotify) refmount_call_unref);
    g_source_attach (timer, NULL);
    call->timer = timer;
  }
}
