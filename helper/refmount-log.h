/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Who asked for what: the structured fields of every audit event. */
typedef struct
{
  const char *mountpoint;
  const char *source;
  const char *fstype;
  const char *attachment;
  gint64      uid; /* -1: the daemon itself */
  gint64      pid; /* -1: unknown */
} RefmountLogContext;

/*
 * Log one event once, as a structured entry: REFMOUNT_EVENT=@event plus
 * REFMOUNT_MOUNTPOINT/SOURCE/FSTYPE/ATTACHMENT/UID/PID, so the journal can
 * be filtered by field.  The same facts are repeated in MESSAGE because
 * the plain stderr writer prints only the message.
 */
void refmount_log_event (GLogLevelFlags            level,
                         const char               *event,
                         const RefmountLogContext *ctx,
                         const char               *format,
                         ...) G_GNUC_PRINTF (4, 5);

G_END_DECLS
