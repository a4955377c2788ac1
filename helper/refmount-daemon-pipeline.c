/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "refmount-auth.h"
#include "refmount-daemon-call.h"
#include "refmount-daemon-private.h"
#include "refmount-error.h"
#include "refmount-log.h"
#include "refmount-manager.h"
#include "refmount-names.h"

/*
 * The request pipeline (doc/request-pipeline.md).  A call goes
 *
 *   filter (GDBus's thread): method table, validation, admission
 *     -> main thread: the caller's credentials (async), the per-uid bound,
 *        polkit (async, cancellable, with a deadline)
 *     -> its mountpoint's entry queue (refmount-table-lock.c), with the
 *        call's deadline as a timer
 *     -> a worker, holding the entry: the operation, the reply.
 *
 * Waiting — for polkitd, for a human at a prompt, for another call on the
 * same mountpoint — costs a queue entry and at most a timer, never a
 * thread; a worker only runs a call whose entry it holds, and then blocks
 * at most on a state write or a runner deadline (a hung mount(2) or path
 * walk, refmount-table-backend.c).  Admission bounds what a client, a
 * uid and everyone together may have in flight.
 */

/* ---- the stages ---------------------------------------------------------- */

static void
auth_done (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  g_autoptr (Call)   call = data;
  g_autoptr (GError) error = NULL;
  CancelReason       reason = call->reason;

  refmount_call_clear_timer (call);
  g_clear_object (&call->cancellable);
  if (refmount_auth_check_finish (result, &error))
    {
      if (call->auth_step == &call->method->others)
        call->others_allowed = TRUE;
      refmount_call_enqueue (call);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_clear_error (&error);
      if (reason == CANCEL_GONE)
        {
          RefmountLogContext ctx = { call->request.mountpoint, NULL, NULL, call->request.attachment,
                                     call->caller.uid, call->caller.pid };

          refmount_log_event (G_LOG_LEVEL_MESSAGE, "cancelled", &ctx,
                              "%s of %s: authorization cancelled, the caller left the bus",
                              call->method->member, call->sender);
          refmount_call_finish (call, NULL, NULL);
          return;
        }
      if (reason == CANCEL_SHUTDOWN)
        error = g_error_new (REFMOUNT_ERROR, REFMOUNT_ERROR_SHUTTING_DOWN,
                             "refmountd is shutting down; retry when it is back");
      else
        {
          gboolean interactive = g_dbus_message_get_flags (call->message) &
                                 G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION;

          error = g_error_new (REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_AUTHORIZED,
                               "Not authorized to perform '%s': the authorization did not complete within %s=%u",
                               call->auth_step->action,
                               interactive ? REFMOUNT_CONFIG_KEY_AUTH_TIMEOUT_INTERACTIVE : REFMOUNT_CONFIG_KEY_AUTH_TIMEOUT,
                               interactive ? call->config->interactive_authorization_timeout_sec
                                           : call->config->authorization_timeout_sec);
        }
    }
  if (g_error_matches (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_AUTHORIZED) ||
      g_error_matches (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_AUTHORIZED_DISMISSED))
    {
      const RefmountRequest *r = &call->request;
      RefmountLogContext     ctx = { r->mountpoint, r->source, r->fstype, r->attachment, call->caller.uid,
                                     call->caller.pid };

      refmount_daemon_log_denied (call->daemon, call->method->member, &ctx, error);
    }
  refmount_call_finish (call, NULL, g_steal_pointer (&error));
}

static gboolean
auth_deadline_cb (gpointer data)
{
  Call *call = data;

  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&call->lock);
    g_clear_pointer (&call->timer, g_source_unref);
  }
  if (call->cancellable != NULL && call->reason == CANCEL_NONE)
    {
      call->reason = CANCEL_DEADLINE;
      g_cancellable_cancel (call->cancellable);
    }
  return G_SOURCE_REMOVE;
}

/* Main thread: ask polkit what @step says, if anything. */
static void
call_authorize_step (Call                   *call,
                     const RefmountAuthStep *step)
{
  g_autoptr (RefmountRecord) record = NULL;
  RefmountAuthDetails        details = { 0 };
  gboolean                   interactive;
  guint                      timeout;
  GSource                   *timer;

  call->auth_step = step;
  /* Deny by default: only a step that names no action is skipped. */
  if (step->action == NULL || call->caller.uid == 0)
    {
      if (step == &call->method->others)
        call->others_allowed = TRUE;
      refmount_call_enqueue (call);
      return;
    }

  interactive = g_dbus_message_get_flags (call->message) & G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION;
  timeout = interactive ? call->config->interactive_authorization_timeout_sec : call->config->authorization_timeout_sec;
  if (call->method->details != NULL)
    {
      if (call->request.mountpoint != NULL && call->method->kind == REFMOUNT_METHOD_UNMOUNT)
        record = refmount_table_get_record (call->daemon->table, call->request.mountpoint);
      call->method->details (&call->request, record, &details);
    }
  call->cancellable = g_cancellable_new ();
  call->reason = CANCEL_NONE;
  timer = g_timeout_source_new_seconds (timeout);
  g_source_set_callback (timer, auth_deadline_cb, refmount_call_ref (call), (GDestroyNotify) refmount_call_unref);
  g_source_attach (timer, NULL);
  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&call->lock);
    call->timer = timer;
  }
  refmount_auth_check_async (call->sender, call->caller.uid, interactive, step->action,
                             call->method->details != NULL ? &details : NULL, call->cancellable, auth_done,
                             refmount_call_ref (call));
}

static void
call_authorize (Call *call)
{
  g_autoptr (GError)      error = NULL;
  RefmountAdmissionLimits limits = refmount_call_limits (call->config);

  if (!refmount_admission_enter_uid (call->daemon->admission, call->caller.uid, &limits, &error))
    {
      refmount_daemon_note_refusal (call->daemon, FALSE);
      refmount_call_finish (call, NULL, g_steal_pointer (&error));
      return;
    }
  call->uid_admitted = TRUE;
  /* What depends on who asks is checked before polkit is asked; nothing
   * here may block (no user database lookup: that runs with the entry
   * held, on a runner thread, refmount_manager_mount()). */
  if (!refmount_request_check_caller (&call->request, &call->caller, &error))
    {
      refmount_call_finish (call, NULL, g_steal_pointer (&error));
      return;
    }
  call_authorize_step (call, refmount_method_auth_step (call->method, &call->request));
}

static void
caller_resolved (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  Call              *call = data; /* the pipeline's reference */
  g_autoptr (GError) error = NULL;
  Caller             caller;

  if (!refmount_daemon_resolve_caller_finish (call->daemon, result, call->sender, &caller, &error))
    {
      if (!g_error_matches (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_AUTHORIZED))
        {
          GError *wrapped = g_error_new (REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_AUTHORIZED,
                                         "Cannot determine the uid of caller %s: %s", call->sender, error->message);
          g_clear_error (&error);
          error = wrapped;
        }
      refmount_call_finish (call, NULL, g_steal_pointer (&error));
      return;
    }
  call->caller.uid = caller.uid;
  call->caller.pid = caller.pid;
  call_authorize (call);
}

/* Main thread: the first stage after the filter. */
static gboolean
call_start_cb (gpointer data)
{
  Call  *call = data;
  Caller caller;

  if (refmount_daemon_lookup_caller (call->daemon, call->sender, &caller))
    {
      call->caller.uid = caller.uid;
      call->caller.pid = caller.pid;
      call_authorize (call);
      return G_SOURCE_REMOVE;
    }
  refmount_daemon_resolve_caller (call->daemon, call->sender, caller_resolved, call);
  return G_SOURCE_REMOVE;
}

/* ---- release-on-exit -------------------------------------------------------- */

static void
release_granted (RefmountTableWaiter *waiter,
                 const GError        *error,
                 gpointer             data)
{
  Job *job = data;

  if (error != NULL)
    job->grant_error = g_error_copy (error);
  refmount_call_push_job (job->daemon, job);
}

/* Any thread.  Each mountpoint holding one of @bus_name's release-on-exit
 * attachments gets a job that waits in the entry's queue like a call (so
 * this housekeeping never parks a thread behind a busy mountpoint). */
static void
schedule_release (Daemon     *daemon,
                  const char *bus_name)
{
  g_autoptr (GPtrArray) mountpoints = refmount_table_list_bus_name (daemon->table, bus_name);

  for (guint i = 0; i < mountpoints->len; i++)
    {
      Job *job = g_new0 (Job, 1);

      job->kind = JOB_RELEASE;
      job->daemon = daemon;
      job->bus_name = g_strdup (bus_name);
      job->waiter = refmount_table_waiter_new (daemon->table, g_ptr_array_index (mountpoints, i), FALSE, 0,
                                               release_granted, job);
      g_atomic_int_inc (&daemon->inflight);
      refmount_table_waiter_start (job->waiter);
    }
}

static void
run_release (Job *job)
{
  Daemon                    *daemon = job->daemon;
  g_autoptr (RefmountConfig) config = refmount_daemon_get_config (daemon);

  /* NotFound: released (or unmounted) meanwhile. */
  if (job->grant_error == NULL)
    refmount_table_release_bus_name_held (daemon->table, config, job->waiter, job->bus_name,
                                          g_get_monotonic_time () +
                                            (gint64) config->mount_timeout_sec * G_USEC_PER_SEC);
  refmount_table_waiter_free (job->waiter);
  g_clear_error (&job->grant_error);
  g_free (job->bus_name);
  refmount_daemon_call_done (daemon);
}

/* ---- the workers ------------------------------------------------------------- */

static gboolean
authorize_others_cb (gpointer data)
{
  Call *call = data;

  /* The second round gets a deadline of its own once authorized: the
   * check may have waited for a human. */
  call->deadline = 0;
  call_authorize_step (call, &call->method->others);
  return G_SOURCE_REMOVE;
}

typedef struct
{
  Call     *call;
  GVariant *value;
  GError   *error;
} Finish;

/* A Reload's reply goes through the main loop, behind the Manager's
 * PropertiesChanged that the skeleton emits from there. */
static gboolean
finish_on_main_cb (gpointer data)
{
  Finish *finish = data;

  refmount_call_finish (finish->call, finish->value, finish->error);
  g_free (finish);
  return G_SOURCE_REMOVE;
}

static void
run_call (Call *call)
{
  Daemon              *daemon = call->daemon;
  g_autoptr (GError)   error = NULL;
  GVariant            *value = NULL;
  RefmountTableWaiter *waiter;
  gboolean             needs_others = FALSE;

  refmount_call_clear_timer (call);
  if (call->grant_error != NULL)
    {
      refmount_call_finish (call, NULL, g_steal_pointer (&call->grant_error));
      return;
    }
  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&call->lock);
    waiter = call->waiter;
  }
  if (call->method->needs_entry && g_get_monotonic_time () >= call->deadline)
    {
      /* The lock came as the deadline passed: give it on. */
      {
        g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&call->lock);
        call->waiter = NULL;
      }
      refmount_table_waiter_free (waiter);
      refmount_call_finish (call, NULL,
                            g_error_new (REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT,
                                         "Timed out waiting for another operation on mountpoint '%s' (MountTimeoutSec=%u)",
                                         call->request.mountpoint, call->config->mount_timeout_sec));
      return;
    }

  switch (call->method->kind)
    {
    case REFMOUNT_METHOD_MOUNT:
      if (call->request.release_on_exit)
        {
          g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&daemon->roe_lock);
          g_hash_table_add (daemon->roe_names, g_strdup (call->sender));
        }
      value = refmount_manager_mount (daemon->table, call->config, waiter, &call->request, &call->caller,
                                      call->deadline, &error);
      /* The client may have gone before the attachment was recorded: its
       * NameOwnerChanged then came too early to release it. */
      if (value != NULL && call->request.release_on_exit && !refmount_daemon_name_alive (call->sender, daemon))
        schedule_release (daemon, call->sender);
      break;

    case REFMOUNT_METHOD_UNMOUNT:
      value = refmount_manager_unmount (daemon->table, call->config, waiter, &call->request, &call->caller,
                                        call->others_allowed, call->deadline, &needs_others, &error);
      if (value == NULL && needs_others && !call->others_allowed)
        {
          /* The second step: ask for org.refmount.unmount-others, then
           * wait for the entry again. */
          g_main_context_invoke (NULL, authorize_others_cb, call);
          return;
        }
      break;

    case REFMOUNT_METHOD_RECOVER:
      value = refmount_manager_recover (daemon->table, call->config, waiter, &call->request, &call->caller,
                                        call->deadline, &error);
      break;

    case REFMOUNT_METHOD_RELOAD:
      {
        Finish *finish = g_new0 (Finish, 1);

        finish->call = call;
        if (refmount_daemon_reload (daemon, &finish->error))
          finish->value = g_variant_new ("()");
        g_main_context_invoke (NULL, finish_on_main_cb, finish);
        return;
      }

    case REFMOUNT_METHOD_GET_MOUNT:
    default:
      g_assert_not_reached ();
    }

  if (value == NULL && error == NULL)
    g_set_error (&error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED, "Internal error");
  refmount_call_finish (call, value, g_steal_pointer (&error));
}

void
refmount_daemon_pipeline_worker (gpointer data,
                                 gpointer user_data)
{
  Job *job = data;

  switch (job->kind)
    {
    case JOB_CALL:
      run_call (job->call);
      break;
    case JOB_RELEASE:
      run_release (job);
      break;
    case JOB_RECHECK:
      /* Cleared first: a change during the check queues another one.  The
       * check skips entries that are busy (it only tries their locks) and
       * runs on runner threads, not waited for here: a mount beneath a
       * hung filesystem costs a runner thread, not this worker. */
      g_atomic_int_set (&job->daemon->recheck_pending, 0);
      {
        g_autoptr (RefmountConfig) config = refmount_daemon_get_config (job->daemon);

        refmount_table_check_vanished (job->daemon->table, config->mount_timeout_sec, g_get_monotonic_time ());
      }
      refmount_daemon_call_done (job->daemon);
      break;
    default:
      g_assert_not_reached ();
    }
  g_free (job);
}

void
refmount_daemon_pipeline_recheck (Daemon *daemon)
{
  Job *job = g_new0 (Job, 1);

  job->kind = JOB_RECHECK;
  job->daemon = daemon;
  g_atomic_int_inc (&daemon->inflight);
  refmount_call_push_job (daemon, job);
}

/* ---- entry from the filter, and the bus's events ------------------------------- */

void
refmount_daemon_pipeline_init (Daemon *daemon)
{
  g_mutex_init (&daemon->calls_lock);
  daemon->admission = refmount_admission_new ();
  daemon->calls = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  refmount_daemon_denials_init (daemon);
}

void
refmount_daemon_pipeline_submit (Daemon               *daemon,
                                 const RefmountMethod *method,
                                 GDBusMessage         *message)
{
  g_autoptr (GDBusMessage)   owned = message;
  g_autoptr (RefmountConfig) config = refmount_daemon_get_config (daemon);
  g_autoptr (GError)         error = NULL;
  RefmountAdmissionLimits    limits = refmount_call_limits (config);
  RefmountRequest            request;
  const char                *sender = g_dbus_message_get_sender (message);
  gboolean                   no_reply = g_dbus_message_get_flags (message) & G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED;
  Call                      *call;

  /* Syntax first: an invalid call is answered here and never queued. */
  if (!refmount_request_parse (&request, method, g_dbus_message_get_body (message), config, &error))
    {
      refmount_daemon_send_error (daemon, message, error);
      refmount_request_clear (&request);
      return;
    }
  /* Public and lock-free (the committed record): answered here, so it
   * never waits behind anything. */
  if (method->kind == REFMOUNT_METHOD_GET_MOUNT)
    {
      GVariant *value = refmount_manager_get_mount (daemon->table, &request, &error);

      if (value != NULL)
        refmount_daemon_send_value (daemon, message, value);
      else
        refmount_daemon_send_error (daemon, message, error);
      refmount_request_clear (&request);
      return;
    }

  if (!refmount_admission_enter_client (daemon->admission, sender, &limits, &error))
    {
      /* No-reply calls over the bound are dropped: counted, and the count
       * logged once per interval. */
      refmount_daemon_note_refusal (daemon, no_reply);
      if (!no_reply)
        refmount_daemon_send_error (daemon, message, error);
      refmount_request_clear (&request);
      return;
    }

  call = g_new0 (Call, 1);
  g_atomic_ref_count_init (&call->ref);
  g_mutex_init (&call->lock);
  call->daemon = daemon;
  call->method = method;
  call->message = g_steal_pointer (&owned);
  call->sender = g_dbus_message_get_sender (call->message);
  call->request = request;
  call->config = g_steal_pointer (&config);
  call->caller.pid = -1;
  call->caller.bus_name = call->sender;
  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&daemon->calls_lock);
    GPtrArray               *calls = g_hash_table_lookup (daemon->calls, call->sender);

    if (calls == NULL)
      {
        calls = g_ptr_array_new ();
        g_hash_table_insert (daemon->calls, g_strdup (call->sender), calls);
      }
    g_ptr_array_add (calls, call);
  }
  g_atomic_int_inc (&daemon->inflight);

  /* Root's calls, once its credentials are known, go on from this
   * thread: polkit is not asked for uid 0, nothing on that way blocks
   * (the admission and table locks are only held briefly, and a busy
   * entry costs a queue place), and a turn of the main thread would only
   * add a wake-up to every call.  Other callers' calls start on the main
   * thread, whose context the credentials query and polkit answer in;
   * what they cost there (a record restored when the entry is granted)
   * is never added to the thread that reads every caller's messages. */
  {
    Caller caller;

    if (refmount_daemon_lookup_caller (daemon, call->sender, &caller) && caller.uid == 0)
      {
        call->caller.uid = caller.uid;
        call->caller.pid = caller.pid;
        call_authorize (call);
        return;
      }
  }
  g_main_context_invoke (NULL, call_start_cb, call);
}

/* Main thread: cancel the pending authorizations of @bus_name's calls
 * (NULL: of every call). */
static void
cancel_authorizations (Daemon      *daemon,
                       const char  *bus_name,
                       CancelReason reason)
{
  g_autoptr (GPtrArray) pending = g_ptr_array_new_with_free_func ((GDestroyNotify) refmount_call_unref);

  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&daemon->calls_lock);
    GHashTableIter           iter;
    gpointer                 value;

    g_hash_table_iter_init (&iter, daemon->calls);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      {
        GPtrArray *calls = value;

        for (guint i = 0; i < calls->len; i++)
          {
            Call *call = g_ptr_array_index (calls, i);

            if (bus_name == NULL || g_str_equal (call->sender, bus_name))
              g_ptr_array_add (pending, refmount_call_ref (call));
          }
      }
  }
  for (guint i = 0; i < pending->len; i++)
    {
      Call *call = g_ptr_array_index (pending, i);

      if (call->cancellable != NULL && call->reason == CANCEL_NONE)
        {
          call->reason = reason;
          g_cancellable_cancel (call->cancellable);
        }
    }
}

void
refmount_daemon_pipeline_name_gone (Daemon     *daemon,
                                    const char *bus_name)
{
  gboolean had_roe;

  cancel_authorizations (daemon, bus_name, CANCEL_GONE);
  refmount_daemon_forget_caller (daemon, bus_name);
  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&daemon->roe_lock);
    had_roe = g_hash_table_remove (daemon->roe_names, bus_name);
  }
  if (had_roe)
    schedule_release (daemon, bus_name);
}

void
refmount_daemon_pipeline_shutdown (Daemon *daemon)
{
  cancel_authorizations (daemon, NULL, CANCEL_SHUTDOWN);
}
