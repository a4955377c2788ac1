/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <stdarg.h>

#include "refmount-log.h"

void
refmount_log_event (GLogLevelFlags            level,
                    const char               *event,
                    const RefmountLogContext *ctx,
                    const char               *format,
                    ...)
{
  va_list                  args;
  g_autofree char         *text = NULL;
  g_autofree char         *message = NULL;
  g_autofree char         *uid = NULL;
  g_autofree char         *pid = NULL;
  const RefmountLogContext empty = { NULL, NULL, NULL, NULL, -1, -1 };

  if (ctx == NULL)
    ctx = &empty;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  uid = ctx->uid >= 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, ctx->uid) : g_strdup ("");
  pid = ctx->pid >= 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, ctx->pid) : g_strdup ("");
  message = g_strdup_printf ("%s: %s [mountpoint=%s source=%s fstype=%s attachment=%s uid=%s pid=%s]",
                             event, text,
                             ctx->mountpoint ? ctx->mountpoint : "-",
                             ctx->source ? ctx->source : "-",
                             ctx->fstype ? ctx->fstype : "-",
                             ctx->attachment ? ctx->attachment : "-",
                             ctx->uid >= 0 ? uid : "-",
                             ctx->pid >= 0 ? pid : "-");
  {
    const GLogField fields[] = {
      { "GLIB_DOMAIN", G_LOG_DOMAIN, -1 },
      { "MESSAGE", message, -1 },
      { "REFMOUNT_EVENT", event, -1 },
      { "REFMOUNT_MOUNTPOINT", ctx->mountpoint ? ctx->mountpoint : "", -1 },
      { "REFMOUNT_SOURCE", ctx->source ? ctx->source : "", -1 },
      { "REFMOUNT_FSTYPE", ctx->fstype ? ctx->fstype : "", -1 },
      { "REFMOUNT_ATTACHMENT", ctx->attachment ? ctx->attachment : "", -1 },
      { "REFMOUNT_UID", uid, -1 },
      { "REFMOUNT_PID", pid, -1 },
    };
    g_log_structured_array (level, fields, G_N_ELEMENTS (fields));
  }
}
