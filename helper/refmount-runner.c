/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "refmount-runner.h"

struct _RefmountRunner
{
  GThreadPool *pool;
  gint         abandoned; /* atomic */
};

typedef struct
{
  gatomicrefcount        ref;
  GMutex                 mutex;
  GCond                  cond;
  gboolean               done;
  gboolean               abandoned;
  gboolean               detached; /* refmount_runner_submit(): nobody waits */
  RefmountRunner        *runner;
  RefmountRunnerFunc     func;
  RefmountRunnerLateFunc late;
  gpointer               data;
  GDestroyNotify         destroy;
  gboolean               ok;
  GError                *error;
} RunnerCall;

static void
runner_call_unref (RunnerCall *call)
{
  if (!g_atomic_ref_count_dec (&call->ref))
    return;
  g_mutex_clear (&call->mutex);
  g_cond_clear (&call->cond);
  g_clear_error (&call->error);
  g_free (call);
}

static void
runner_thread (gpointer item,
               gpointer user_data)
{
  RunnerCall        *call = item;
  g_autoptr (GError) error = NULL;
  gboolean           ok;
  gboolean           abandoned;

  ok = call->func (call->data, &error);

  g_mutex_lock (&call->mutex);
  call->done = TRUE;
  call->ok = ok;
  abandoned = call->abandoned;
  if (!abandoned)
    call->error = g_steal_pointer (&error);
  g_cond_signal (&call->cond);
  g_mutex_unlock (&call->mutex);

  if (abandoned)
    {
      if (call->late != NULL)
        call->late (call->data, ok, error);
      if (call->destroy != NULL)
        call->destroy (call->data);
      if (!call->detached)
        g_atomic_int_dec_and_test (&call->runner->abandoned);
    }

  runner_call_unref (call);
}

RefmountRunner *
refmount_runner_new (void)
{
  RefmountRunner *runner = g_new0 (RefmountRunner, 1);

  /* Unbounded: a thread stuck in an uninterruptible mount(2) must never
   * starve the calls for other mountpoints.  Idle threads are reused, so
   * the steady state creates no thread per call. */
  runner->pool = g_thread_pool_new (runner_thread, runner, -1, FALSE, NULL);
  return runner;
}

void
refmount_runner_free (RefmountRunner *runner)
{
  if (runner == NULL)
    return;
  /* Do not wait: threads still stuck in the kernel finish (or die with the
   * process) on their own. */
  g_thread_pool_free (runner->pool, FALSE, FALSE);
  g_free (runner);
}

guint
refmount_runner_get_abandoned (RefmountRunner *runner)
{
  return (guint) g_atomic_int_get (&runner->abandoned);
}

gboolean
refmount_runner_run (RefmountRunner        *runner,
                     RefmountRunnerFunc     func,
                     RefmountRunnerLateFunc late,
                     gpointer               data,
                     GDestroyNotify         destroy,
                     gint64                 deadline,
                     gboolean              *out_ok,
                     GError               **error)
{
  RunnerCall *call = g_new0 (RunnerCall, 1);
  gboolean    finished = TRUE;

  g_atomic_ref_count_init (&call->ref);
  g_atomic_ref_count_inc (&call->ref); /* one for the runner thread */
  g_mutex_init (&call->mutex);
  g_cond_init (&call->cond);
  call->runner = runner;
  call->func = func;
  call->late = late;
  call->data = data;
  call->destroy = destroy;

  g_thread_pool_push (runner->pool, call, NULL);

  g_mutex_lock (&call->mutex);
  while (!call->done)
    {
      if (!g_cond_wait_until (&call->cond, &call->mutex, deadline) && !call->done)
        {
          call->abandoned = TRUE;
          finished = FALSE;
          g_atomic_int_inc (&runner->abandoned);
          break;
        }
    }
  if (finished)
    {
      *out_ok = call->ok;
      if (call->error != NULL)
        g_propagate_error (error, g_steal_pointer (&call->error));
    }
  g_mutex_unlock (&call->mutex);

  if (finished && destroy != NULL)
    destroy (data);

  runner_call_unref (call);
  return finished;
}

void
refmount_runner_submit (RefmountRunner    *runner,
                        RefmountRunnerFunc func,
                        gpointer           data,
                        GDestroyNotify     destroy)
{
  RunnerCall *call = g_new0 (RunnerCall, 1);

  /* One reference, the runner thread's; abandoned from the start, so the
   * thread runs @destroy itself. */
  g_atomic_ref_count_init (&call->ref);
  g_mutex_init (&call->mutex);
  g_cond_init (&call->cond);
  call->runner = runner;
  call->func = func;
  call->data = data;
  call->destroy = destroy;
  call->abandoned = TRUE;
  call->detached = TRUE;
  g_thread_pool_push (runner->pool, call, NULL);
}
