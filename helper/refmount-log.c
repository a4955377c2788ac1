/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "refmount-fd.h"
#include "refmount-log.h"

static const struct
{
  const char *event;
  const char *message_id;
} message_ids[] = {
  { "mounted", REFMOUNT_LOG_ID_MOUNTED },
  { "unmounted", REFMOUNT_LOG_ID_UNMOUNTED },
  { "attached", REFMOUNT_LOG_ID_ATTACHED },
  { "detached", REFMOUNT_LOG_ID_DETACHED },
  { "denied", REFMOUNT_LOG_ID_DENIED },
  { "reconciled", REFMOUNT_LOG_ID_RECONCILED },
  /* Found unmounted while running: the table follows the kernel. */
  { "vanished", REFMOUNT_LOG_ID_RECONCILED },
  { "unresponsive", REFMOUNT_LOG_ID_UNRESPONSIVE },
  { "stale-handle", REFMOUNT_LOG_ID_STALE_HANDLE },
  { "recovered", REFMOUNT_LOG_ID_RECOVERED },
  { "mount-failed", REFMOUNT_LOG_ID_FAILED },
  { "mount-timeout", REFMOUNT_LOG_ID_FAILED },
  { "attach-failed", REFMOUNT_LOG_ID_FAILED },
  { "unmount-failed", REFMOUNT_LOG_ID_FAILED },
};

const char *
refmount_log_message_id (const char *event)
{
  for (gsize i = 0; event != NULL && i < G_N_ELEMENTS (message_ids); i++)
    if (strcmp (message_ids[i].event, event) == 0)
      return message_ids[i].message_id;
  return NULL;
}

/* g_log_structured_array() expects the caller to supply PRIORITY; these
 * are the values GLib's own g_log_structured() uses. */
static const char *
level_to_priority (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return "3";
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return "4";
  if (level & G_LOG_LEVEL_MESSAGE)
    return "5";
  if (level & G_LOG_LEVEL_INFO)
    return "6";
  if (level & G_LOG_LEVEL_DEBUG)
    return "7";
  return "5";
}

/* Append @s with '\\', '[', ']', control characters and every byte
 * outside printable ASCII as \xNN (a backslash as \\), and with @quote
 * also '"' as \".  Nothing a caller controls can then end a value, open
 * or close the field list, start a line or hide behind terminal tricks. */
static void
append_escaped (GString    *out,
                const char *s,
                gboolean    quote)
{
  for (const guchar *p = (const guchar *) s; *p != '\0'; p++)
    {
      if (*p == '\\' || (quote && *p == '"'))
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char) *p);
        }
      else if (*p < 0x20 || *p >= 0x7f || *p == '[' || *p == ']')
        g_string_append_printf (out, "\\x%02x", *p);
      else
        g_string_append_c (out, (char) *p);
    }
}

/* key="value", or key=- when there is none. */
static void
append_field (GString    *out,
              const char *key,
              const char *value)
{
  g_string_append_printf (out, "%s%s=", out->str[out->len - 1] == '[' ? "" : " ", key);
  if (value == NULL)
    {
      g_string_append_c (out, '-');
      return;
    }
  g_string_append_c (out, '"');
  append_escaped (out, value, TRUE);
  g_string_append_c (out, '"');
}

void
refmount_log_event_full (const char               *file,
                         const char               *line,
                         const char               *func,
                         GLogLevelFlags            level,
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
  const char              *message_id = refmount_log_message_id (event);
  const char              *prgname = g_get_prgname ();
  GLogField                fields[16];
  gsize                    n = 0;

  if (ctx == NULL)
    ctx = &empty;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  uid = ctx->uid >= 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, ctx->uid) : g_strdup ("");
  pid = ctx->pid >= 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, ctx->pid) : g_strdup ("");
  /* One event, one unambiguous line: the text cannot contain a bracket,
   * so the first '[' opens the field list, and each value is quoted with
   * its quotes and backslashes escaped (doc/audit-log.md). */
  {
    GString *out = g_string_new (event);

    g_string_append (out, ": ");
    append_escaped (out, text, TRUE);
    g_string_append (out, " [");
    append_field (out, "mountpoint", ctx->mountpoint);
    append_field (out, "source", ctx->source);
    append_field (out, "fstype", ctx->fstype);
    append_field (out, "attachment", ctx->attachment);
    append_field (out, "uid", ctx->uid >= 0 ? uid : NULL);
    append_field (out, "pid", ctx->pid >= 0 ? pid : NULL);
    g_string_append_c (out, ']');
    message = g_string_free (out, FALSE);
  }

#define ADD_FIELD(k, v) fields[n++] = (GLogField){ (k), (v), -1 }
  ADD_FIELD ("PRIORITY", level_to_priority (level));
  ADD_FIELD ("GLIB_DOMAIN", G_LOG_DOMAIN);
  if (prgname != NULL)
    ADD_FIELD ("SYSLOG_IDENTIFIER", prgname);
  if (message_id != NULL)
    ADD_FIELD ("MESSAGE_ID", message_id);
  ADD_FIELD ("MESSAGE", message);
  ADD_FIELD ("CODE_FILE", file);
  ADD_FIELD ("CODE_LINE", line);
  ADD_FIELD ("CODE_FUNC", func);
  ADD_FIELD ("REFMOUNT_EVENT", event);
  ADD_FIELD ("REFMOUNT_MOUNTPOINT", ctx->mountpoint ? ctx->mountpoint : "");
  ADD_FIELD ("REFMOUNT_SOURCE", ctx->source ? ctx->source : "");
  ADD_FIELD ("REFMOUNT_FSTYPE", ctx->fstype ? ctx->fstype : "");
  ADD_FIELD ("REFMOUNT_ATTACHMENT", ctx->attachment ? ctx->attachment : "");
  ADD_FIELD ("REFMOUNT_UID", uid);
  ADD_FIELD ("REFMOUNT_PID", pid);
#undef ADD_FIELD
  g_assert (n <= G_N_ELEMENTS (fields));
  g_log_structured_array (level, fields, n);
}

static const char *
field_value (const GLogField *fields,
             gsize            n_fields,
             const char      *key)
{
  for (gsize i = 0; i < n_fields; i++)
    if (strcmp (fields[i].key, key) == 0)
      return fields[i].value;
  return NULL;
}

char *
refmount_log_format_line (const GLogField *fields,
                          gsize            n_fields)
{
  const char *message = field_value (fields, n_fields, "MESSAGE");
  const char *prgname = g_get_prgname ();
  GString    *line = g_string_new (prgname != NULL ? prgname : "refmountd");

  g_string_append (line, ": ");
  /* One event, one line: a newline inside a value (a mount helper's
   * message) must not forge a second entry. */
  for (const char *p = message != NULL ? message : ""; *p != '\0'; p++)
    g_string_append_c (line, (*p == '\n' || *p == '\r') ? ' ' : *p);
  return g_string_free (line, FALSE);
}

static gboolean
stderr_is_journal (void)
{
  static gsize journal = 0;

  if (g_once_init_enter (&journal))
    g_once_init_leave (&journal, g_log_writer_is_journald (fileno (stderr)) ? 2 : 1);
  return journal == 2;
}

GLogWriterOutput
refmount_log_writer (GLogLevelFlags   level,
                     const GLogField *fields,
                     gsize            n_fields,
                     gpointer         user_data)
{
  g_autofree char *line = NULL;
  g_autofree char *out = NULL;

  if (field_value (fields, n_fields, "REFMOUNT_EVENT") == NULL)
    {
      const char *message = field_value (fields, n_fields, "MESSAGE");

      /* libpolkit warns when a check the daemon cancels (its deadline, its
       * caller leaving the bus, shutdown) was already answered by polkitd
       * or not yet registered there: an expected race, not a fault. */
      if ((level & G_LOG_LEVEL_WARNING) && message != NULL &&
          g_str_has_prefix (message, "Error cancelling authorization check: "))
        level = G_LOG_LEVEL_DEBUG;
      return g_log_writer_default (level, fields, n_fields, user_data);
    }

  if (stderr_is_journal () &&
      g_log_writer_journald (level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED)
    return G_LOG_WRITER_HANDLED;

  /* A single write(2) per line: worker threads log concurrently and
   * their lines must not interleave. */
  line = refmount_log_format_line (fields, n_fields);
  out = g_strconcat (line, "\n", NULL);
  if (!refmount_write_all (STDERR_FILENO, out, strlen (out)))
    return G_LOG_WRITER_UNHANDLED;
  return G_LOG_WRITER_HANDLED;
}
