/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Journal MESSAGE_IDs of the audit events, one per kind (doc/audit-log.md).
 * They are part of the interface: admins filter on them
 * (journalctl MESSAGE_ID=...), so they never change.
 */
#define REFMOUNT_LOG_ID_MOUNTED    "b2c98151c39e476aa8ba4d76198cb674"
#define REFMOUNT_LOG_ID_UNMOUNTED  "31719be72f6b430181a9e957470732f5"
#define REFMOUNT_LOG_ID_ATTACHED   "7d74e410c6444e36b90b43da07de0d86"
#define REFMOUNT_LOG_ID_DETACHED   "570fe80b58ed49c9a6719b555e9b1186"
#define REFMOUNT_LOG_ID_DENIED     "bd61052729454d19a276157c8ddc0c93"
#define REFMOUNT_LOG_ID_RECONCILED "26540f2b775048b18ced0d300c7c946d"
/* Health (refmount-health.c): a mount stopped answering, answers with a
 * stale handle, or answers again after either. */
#define REFMOUNT_LOG_ID_UNRESPONSIVE "46fc46714cde41f18d256d8b24b7979a"
#define REFMOUNT_LOG_ID_STALE_HANDLE "963b9958de4f46b49b2983d8b5f4daa1"
#define REFMOUNT_LOG_ID_RECOVERED    "5e5a666f94f441fca5dd1eee7a5c713c"
/* A mount, unmount or attachment that was authorized but failed. */
#define REFMOUNT_LOG_ID_FAILED "17eab2b774884a9193284182aca7df1b"

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
 * Log one event once, as a structured entry: MESSAGE_ID (for the event
 * kinds that have one, see refmount_log_message_id()), PRIORITY,
 * REFMOUNT_EVENT=@event plus REFMOUNT_MOUNTPOINT/SOURCE/FSTYPE/ATTACHMENT/
 * UID/PID, so the journal can be filtered by field.  The same facts are
 * repeated in MESSAGE because the plain stderr writer prints only the
 * message.
 */
#define refmount_log_event(level, event, ctx, ...) \
  refmount_log_event_full (__FILE__, G_STRINGIFY (__LINE__), G_STRFUNC, level, event, ctx, __VA_ARGS__)

void refmount_log_event_full (const char               *file,
                              const char               *line,
                              const char               *func,
                              GLogLevelFlags            level,
                              const char               *event,
                              const RefmountLogContext *ctx,
                              const char               *format,
                              ...) G_GNUC_PRINTF (7, 8);

/* The MESSAGE_ID of @event ("mounted", "mount-failed", ...), or NULL for
 * events that are not audit events (start-up, reload, ...). */
const char *refmount_log_message_id (const char *event);

/* The daemon's GLogWriterFunc.  Audit events (those with REFMOUNT_EVENT)
 * go to the journal's native protocol when stderr is connected to the
 * journal, else as one plain line on stderr (refmount_log_format_line());
 * everything else goes to g_log_writer_default(). */
GLogWriterOutput refmount_log_writer (GLogLevelFlags   level,
                                      const GLogField *fields,
                                      gsize            n_fields,
                                      gpointer         user_data);

/* The plain stderr line of an audit event, without the newline:
 * "PRGNAME: MESSAGE" (MESSAGE already names the event and its fields). */
char *refmount_log_format_line (const GLogField *fields,
                                gsize            n_fields);

G_END_DECLS
