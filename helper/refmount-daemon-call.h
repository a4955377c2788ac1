/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A Manager call in the request pipeline (refmount-daemon-pipeline.c):
 * its state, its end, and its wait for the mountpoint's entry.  Below
 * the pipeline's stages, which call down into this, never back.
 */

#include "refmount-admission.h"
#include "refmount-daemon-private.h"
#include "refmount-manager.h"

G_BEGIN_DECLS

typedef enum
{
  CANCEL_NONE,
  CANCEL_DEADLINE,
  CANCEL_GONE,
  CANCEL_SHUTDOWN,
} CancelReason;

typedef enum
{
  JOB_CALL,
  JOB_RELEASE, /* a release-on-exit attachment's owner left the bus */
  JOB_RECHECK, /* the kernel's mount table changed */
} JobKind;

typedef struct
{
  gatomicrefcount       ref;
  Daemon               *daemon;
  const RefmountMethod *method;
  GDBusMessage         *message;
  const char           *sender; /* in @message */
  RefmountRequest       request;
  RefmountConfig       *config;
  RefmountCaller        caller;
  gboolean              uid_admitted;
  gboolean              others_allowed;

  /* Main thread only (root's calls, which never ask polkit, may start
   * on the filter's thread and never set them). */
  GCancellable           *cancellable; /* the pending authorization */
  CancelReason            reason;
  const RefmountAuthStep *auth_step;

  gint64 deadline; /* of the operation, monotonic µs */

  /* @lock guards @timer and @waiter against the deadline timer (main
   * thread) racing the grant (any thread); taken before the table's
   * wait_mutex, never inside it. */
  GMutex               lock;
  GSource             *timer;
  RefmountTableWaiter *waiter;
  gboolean             granted; /* @waiter's grant function ran */
  GError              *grant_error;
} Call;

typedef struct
{
  JobKind              kind;
  Daemon              *daemon;
  Call                *call;
  char                *bus_name; /* JOB_RELEASE */
  RefmountTableWaiter *waiter;   /* JOB_RELEASE */
  GError              *grant_error;
} Job;

Call *refmount_call_ref (Call *call);
void  refmount_call_unref (Call *call);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Call, refmount_call_unref)

RefmountAdmissionLimits refmount_call_limits (RefmountConfig *config);
void                    refmount_call_push_job (Daemon *daemon,
                                                Job    *job);
void                    refmount_call_clear_timer (Call *call);
/* The end of every call (any thread): the reply or @error goes out, the
 * admission slots and the in-flight count are given back, the pipeline's
 * reference is dropped.  Takes @error. */
void refmount_call_finish (Call     *call,
                           GVariant *value,
                           GError   *error);
/* Wait for the call's mountpoint entry (or go straight to a worker when
 * the method needs none); granted, the call goes to a worker as a
 * JOB_CALL. */
void refmount_call_enqueue (Call *call);

G_END_DECLS
