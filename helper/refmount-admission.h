/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Admission control of the request pipeline: bounded calls in flight per
 * unique bus name, per uid (root exempt) and in total, so that no client
 * can make the daemon hold more than a bounded amount of work and memory
 * (doc/request-pipeline.md).  Thread-safe; a leaf (its mutex is taken
 * last and nothing is called under it).
 */
typedef struct _RefmountAdmission RefmountAdmission;

typedef struct
{
  guint per_client; /* MaxCallsPerClient */
  guint per_user;   /* MaxCallsPerUser */
  guint total;      /* MaxCallsTotal */
} RefmountAdmissionLimits;

RefmountAdmission *refmount_admission_new (void);
void               refmount_admission_free (RefmountAdmission *admission);

/* A slot for a call from @client (its uid is not known yet): FALSE with
 * LimitExceeded naming the limit reached. */
gboolean refmount_admission_enter_client (RefmountAdmission             *admission,
                                          const char                    *client,
                                          const RefmountAdmissionLimits *limits,
                                          GError                       **error);
void     refmount_admission_leave_client (RefmountAdmission *admission,
                                          const char        *client);
/* The uid's slot, once known; uid 0 always gets one. */
gboolean refmount_admission_enter_uid (RefmountAdmission             *admission,
                                       guint32                        uid,
                                       const RefmountAdmissionLimits *limits,
                                       GError                       **error);
void     refmount_admission_leave_uid (RefmountAdmission *admission,
                                       guint32            uid);

/* Count a refusal: answered LimitExceeded, or (NO_REPLY_EXPECTED) dropped.
 * Returns TRUE for the first one since the counts were last taken. */
gboolean refmount_admission_note_refused (RefmountAdmission *admission,
                                          gboolean           dropped);
/* The refusals since the last call (and reset them). */
void    refmount_admission_take_refused (RefmountAdmission *admission,
                                         guint64           *refused,
                                         guint64           *dropped);
guint64 refmount_admission_get_dropped_total (RefmountAdmission *admission);
guint   refmount_admission_get_in_flight (RefmountAdmission *admission);

G_END_DECLS
