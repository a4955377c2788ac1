/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "refmount-error.h"
#include "refmount-log.h"
#include "table-fixture.h"

/*
 * The audit log: every event kind carries its MESSAGE_ID, PRIORITY and
 * the REFMOUNT_* fields, and the table emits each kind exactly once per
 * occurrence.  A GLogWriterFunc captures the structured fields.
 */

static GMutex     captured_lock;
static GPtrArray *captured; /* GHashTable* field -> value, audit events only */

static GLogWriterOutput
capture_writer (GLogLevelFlags   level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  g_autoptr (GHashTable) event = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (gsize i = 0; i < n_fields; i++)
    g_hash_table_insert (event, g_strdup (fields[i].key),
                         fields[i].length < 0 ? g_strdup (fields[i].value)
                                              : g_strndup (fields[i].value, fields[i].length));
  if (!g_hash_table_contains (event, "REFMOUNT_EVENT"))
    return g_log_writer_default (level, fields, n_fields, user_data);

  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&captured_lock);
    g_ptr_array_add (captured, g_steal_pointer (&event));
  }
  return G_LOG_WRITER_HANDLED;
}

/* Take what was captured so far. */
static GPtrArray *
take_events (void)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&captured_lock);
  GPtrArray               *events = g_steal_pointer (&captured);

  captured = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  return events;
}

static const char *
field (GPtrArray  *events,
       guint       index,
       const char *key)
{
  g_assert_cmpuint (index, <, events->len);
  return g_hash_table_lookup (g_ptr_array_index (events, index), key);
}

/* The REFMOUNT_EVENT values since the last call, space-separated. */
static char *
take_event_names (GPtrArray **out_events)
{
  g_autoptr (GPtrArray) events = take_events ();
  g_autoptr (GString)   names = g_string_new (NULL);

  for (guint i = 0; i < events->len; i++)
    g_string_append_printf (names, "%s%s", i > 0 ? " " : "", field (events, i, "REFMOUNT_EVENT"));
  if (out_events != NULL)
    *out_events = g_steal_pointer (&events);
  return g_string_free (g_steal_pointer (&names), FALSE);
}

#define assert_events(expected)                        \
  G_STMT_START                                         \
  {                                                    \
    g_autofree char *names_ = take_event_names (NULL); \
    g_assert_cmpstr (names_, ==, (expected));          \
  }                                                    \
  G_STMT_END

static const struct
{
  const char *event;
  const char *message_id;
} kinds[] = {
  { "mounted", REFMOUNT_LOG_ID_MOUNTED },
  { "unmounted", REFMOUNT_LOG_ID_UNMOUNTED },
  { "attached", REFMOUNT_LOG_ID_ATTACHED },
  { "detached", REFMOUNT_LOG_ID_DETACHED },
  { "denied", REFMOUNT_LOG_ID_DENIED },
  { "reconciled", REFMOUNT_LOG_ID_RECONCILED },
  { "vanished", REFMOUNT_LOG_ID_RECONCILED },
  { "mount-failed", REFMOUNT_LOG_ID_FAILED },
  { "mount-timeout", REFMOUNT_LOG_ID_FAILED },
  { "attach-failed", REFMOUNT_LOG_ID_FAILED },
  { "unmount-failed", REFMOUNT_LOG_ID_FAILED },
};

static void
test_message_ids (void)
{
  const char *ids[] = { REFMOUNT_LOG_ID_MOUNTED, REFMOUNT_LOG_ID_UNMOUNTED, REFMOUNT_LOG_ID_ATTACHED,
                        REFMOUNT_LOG_ID_DETACHED, REFMOUNT_LOG_ID_DENIED, REFMOUNT_LOG_ID_RECONCILED,
                        REFMOUNT_LOG_ID_FAILED };

  /* journald's MESSAGE_ID: 128 bits as 32 lowercase hex digits, unique. */
  for (gsize i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_assert_cmpuint (strlen (ids[i]), ==, 32);
      for (const char *p = ids[i]; *p != '\0'; p++)
        g_assert_true (g_ascii_isdigit (*p) || (*p >= 'a' && *p <= 'f'));
      for (gsize j = 0; j < i; j++)
        g_assert_cmpstr (ids[i], !=, ids[j]);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    g_assert_cmpstr (refmount_log_message_id (kinds[i].event), ==, kinds[i].message_id);
  g_assert_null (refmount_log_message_id ("started"));
  g_assert_null (refmount_log_message_id ("busy"));
  g_assert_null (refmount_log_message_id (NULL));
}

static void
test_fields (void)
{
  const RefmountLogContext ctx = { "/run/refmount/mounts/x", "server:/export", "nfs", "vol-1", 1000, 4242 };

  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autoptr (GPtrArray) events = NULL;
      g_autofree char      *names = NULL;
      GLogLevelFlags        level = i % 2 == 0 ? G_LOG_LEVEL_MESSAGE : G_LOG_LEVEL_WARNING;
      const char           *message;

      refmount_log_event (level, kinds[i].event, &ctx, "something %s", "happened");
      names = take_event_names (&events);
      g_assert_cmpstr (names, ==, kinds[i].event);
      g_assert_cmpstr (field (events, 0, "MESSAGE_ID"), ==, kinds[i].message_id);
      g_assert_cmpstr (field (events, 0, "PRIORITY"), ==, level == G_LOG_LEVEL_MESSAGE ? "5" : "4");
      g_assert_cmpstr (field (events, 0, "REFMOUNT_MOUNTPOINT"), ==, "/run/refmount/mounts/x");
      g_assert_cmpstr (field (events, 0, "REFMOUNT_SOURCE"), ==, "server:/export");
      g_assert_cmpstr (field (events, 0, "REFMOUNT_FSTYPE"), ==, "nfs");
      g_assert_cmpstr (field (events, 0, "REFMOUNT_ATTACHMENT"), ==, "vol-1");
      g_assert_cmpstr (field (events, 0, "REFMOUNT_UID"), ==, "1000");
      g_assert_cmpstr (field (events, 0, "REFMOUNT_PID"), ==, "4242");
      g_assert_cmpstr (field (events, 0, "SYSLOG_IDENTIFIER"), ==, g_get_prgname ());
      g_assert_cmpstr (field (events, 0, "CODE_FUNC"), ==, "test_fields");
      g_assert_nonnull (field (events, 0, "CODE_FILE"));
      g_assert_nonnull (field (events, 0, "CODE_LINE"));
      /* The plain stderr line is MESSAGE: it must carry the same facts. */
      message = field (events, 0, "MESSAGE");
      g_assert_true (g_str_has_prefix (message, kinds[i].event));
      g_assert_nonnull (strstr (message, "something happened"));
      g_assert_nonnull (strstr (message, "[mountpoint=\"/run/refmount/mounts/x\" source=\"server:/export\" "
                                         "fstype=\"nfs\" attachment=\"vol-1\" uid=\"1000\" pid=\"4242\"]"));
    }
}

static void
test_no_context (void)
{
  g_autoptr (GPtrArray) events = NULL;
  g_autofree char      *names = NULL;

  refmount_log_event (G_LOG_LEVEL_MESSAGE, "started", NULL, "up");
  names = take_event_names (&events);
  g_assert_cmpstr (names, ==, "started");
  /* Not an audit event: no MESSAGE_ID at all, rather than an empty one. */
  g_assert_null (field (events, 0, "MESSAGE_ID"));
  g_assert_cmpstr (field (events, 0, "REFMOUNT_UID"), ==, "");
  g_assert_cmpstr (field (events, 0, "REFMOUNT_PID"), ==, "");
  g_assert_cmpstr (field (events, 0, "REFMOUNT_MOUNTPOINT"), ==, "");
  g_assert_cmpstr (field (events, 0, "MESSAGE"), ==,
                   "started: up [mountpoint=- source=- fstype=- attachment=- uid=- pid=-]");
}

static void
test_plain_line (void)
{
  const GLogField fields[] = {
    { "PRIORITY", "4", -1 },
    { "MESSAGE", "mount-failed: helper said\nmounted: forged [uid=0]", -1 },
    { "REFMOUNT_EVENT", "mount-failed", -1 },
  };
  g_autofree char *line = refmount_log_format_line (fields, G_N_ELEMENTS (fields));
  g_autofree char *expected = g_strdup_printf ("%s: mount-failed: helper said mounted: forged [uid=0]",
                                               g_get_prgname ());

  /* One event, one line, whatever a mount helper put in its message. */
  g_assert_cmpstr (line, ==, expected);
}

/* ---- hostile values cannot forge a field (issue 10, finding 6) ----------- */

/* Undo the quoting of one value ("…" with \\, \" and \xNN); NULL if it
 * is malformed.  *end is set past the closing quote. */
static char *
unquote (const char  *p,
         const char **end)
{
  g_autoptr (GString) out = g_string_new (NULL);

  if (*p == '-')
    {
      *end = p + 1;
      return g_strdup ("");
    }
  if (*p++ != '"')
    return NULL;
  while (*p != '"')
    {
      if (*p == '\0' || *p == '[' || *p == ']' || (guchar) *p < 0x20 || (guchar) *p >= 0x7f)
        return NULL;
      if (*p == '\\')
        {
          if (p[1] == '\\' || p[1] == '"')
            g_string_append_c (out, p[1]), p += 2;
          else if (p[1] == 'x' && g_ascii_isxdigit (p[2]) && g_ascii_isxdigit (p[3]))
            g_string_append_c (out, (char) (g_ascii_xdigit_value (p[2]) * 16 + g_ascii_xdigit_value (p[3]))), p += 4;
          else
            return NULL;
        }
      else
        g_string_append_c (out, *p++);
    }
  *end = p + 1;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Parse "PRG: EVENT: TEXT [mountpoint=V source=V fstype=V attachment=V
 * uid=V pid=V]" back into its six values (doc/audit-log.md). */
static GStrv
parse_line (const char *line)
{
  static const char *const keys[] = { "mountpoint", "source", "fstype", "attachment", "uid", "pid" };
  g_autoptr (GStrvBuilder) values = g_strv_builder_new ();
  const char              *p = strchr (line, '[');

  g_assert_nonnull (p);
  g_assert_null (strchr (line, '\n'));
  /* Everything before the field list is printable ASCII without brackets. */
  for (const char *q = line; q < p; q++)
    g_assert_true ((guchar) *q >= 0x20 && (guchar) *q < 0x7f && *q != ']');
  p++;
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autofree char *prefix = g_strdup_printf ("%s%s=", i > 0 ? " " : "", keys[i]);
      char            *value;

      g_assert_true (g_str_has_prefix (p, prefix));
      p += strlen (prefix);
      value = unquote (p, &p);
      g_assert_nonnull (value);
      g_strv_builder_add (values, value);
      g_free (value);
    }
  g_assert_cmpstr (p, ==, "]");
  return g_strv_builder_end (values);
}

static void
test_hostile_values (void)
{
  const char *const mountpoints[] = {
    "/run/refmount/mounts/x\" uid=\"0\" pid=\"1\"] [mountpoint=/etc uid=0 pid=1]",
    "/run/refmount/mounts/a b]c",
    "/run/refmount/mounts/back\\slash\\x41\\\"",
    "/run/refmount/mounts/caf\xc3\xa9 \xe2\x80\xae]1=diu",
    "/run/refmount/mounts/- -",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (mountpoints); i++)
    {
      const RefmountLogContext ctx = { mountpoints[i], "src\"] uid=0", "tmpfs", "a=b", 65534, 7 };
      g_autoptr (GPtrArray)    events = NULL;
      g_autofree char         *names = NULL;
      g_autofree char         *line = NULL;
      g_auto (GStrv) parsed = NULL;

      refmount_log_event (G_LOG_LEVEL_MESSAGE, "attached", &ctx, "Attachment %s added to %s\n(%s)",
                          ctx.attachment, ctx.mountpoint, "forged: [uid=0 pid=1]");
      names = take_event_names (&events);
      g_assert_cmpstr (names, ==, "attached");
      {
        const GLogField fields[] = {
          { "MESSAGE", field (events, 0, "MESSAGE"), -1 },
          { "REFMOUNT_EVENT", "attached", -1 },
        };
        line = refmount_log_format_line (fields, G_N_ELEMENTS (fields));
      }
      g_test_message ("%s", line);
      g_assert_null (strstr (line, "uid=0 pid=1]"));
      g_assert_null (strstr (line, "uid=\"0\" pid=\"1\"]"));
      parsed = parse_line (line);
      g_assert_cmpstr (parsed[0], ==, mountpoints[i]);
      g_assert_cmpstr (parsed[1], ==, ctx.source);
      g_assert_cmpstr (parsed[2], ==, "tmpfs");
      g_assert_cmpstr (parsed[3], ==, "a=b");
      g_assert_cmpstr (parsed[4], ==, "65534");
      g_assert_cmpstr (parsed[5], ==, "7");
      /* The structured fields keep the values as they are. */
      g_assert_cmpstr (field (events, 0, "REFMOUNT_MOUNTPOINT"), ==, mountpoints[i]);
    }
}

/* ---- the table emits each kind once per occurrence ---------------------- */

static void
test_table_refcount (Fixture      *fx,
                     gconstpointer data)
{
  g_autofree char      *m = mp (fx, "a");
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autofree char      *names = NULL;
  gboolean              unmounted = FALSE;

  take_events ();
  g_assert_true (attach_full (fx, m, "src", "vol1", 1000, NULL, &error));
  g_assert_no_error (error);
  names = take_event_names (&events);
  g_assert_cmpstr (names, ==, "mounted attached");
  for (guint i = 0; i < 2; i++)
    {
      g_assert_cmpstr (field (events, i, "REFMOUNT_MOUNTPOINT"), ==, m);
      g_assert_cmpstr (field (events, i, "REFMOUNT_SOURCE"), ==, "src");
      g_assert_cmpstr (field (events, i, "REFMOUNT_FSTYPE"), ==, "tmpfs");
      g_assert_cmpstr (field (events, i, "REFMOUNT_ATTACHMENT"), ==, "vol1");
      g_assert_cmpstr (field (events, i, "REFMOUNT_UID"), ==, "1000");
      g_assert_cmpstr (field (events, i, "REFMOUNT_PID"), ==, "1");
    }
  g_assert_cmpstr (field (events, 0, "MESSAGE_ID"), ==, REFMOUNT_LOG_ID_MOUNTED);
  g_assert_cmpstr (field (events, 1, "MESSAGE_ID"), ==, REFMOUNT_LOG_ID_ATTACHED);

  g_assert_true (attach_full (fx, m, "src", "vol2", 1001, NULL, &error));
  assert_events ("attached");
  /* Re-attaching is a no-op, and nothing is claimed to have happened. */
  g_assert_true (attach_full (fx, m, "src", "vol2", 1001, NULL, &error));
  assert_events ("");

  g_assert_true (detach_full (fx, m, "vol2", 1001, FALSE, &unmounted, NULL, &error));
  g_assert_false (unmounted);
  g_clear_pointer (&events, g_ptr_array_unref);
  g_clear_pointer (&names, g_free);
  names = take_event_names (&events);
  g_assert_cmpstr (names, ==, "detached");
  g_assert_cmpstr (field (events, 0, "MESSAGE_ID"), ==, REFMOUNT_LOG_ID_DETACHED);
  g_assert_cmpstr (field (events, 0, "REFMOUNT_ATTACHMENT"), ==, "vol2");
  g_assert_cmpstr (field (events, 0, "REFMOUNT_UID"), ==, "1001");

  /* root releasing another uid's attachment: the actor is root. */
  g_assert_true (detach_full (fx, m, "vol1", 0, TRUE, &unmounted, NULL, &error));
  g_assert_true (unmounted);
  g_clear_pointer (&events, g_ptr_array_unref);
  g_clear_pointer (&names, g_free);
  names = take_event_names (&events);
  g_assert_cmpstr (names, ==, "detached unmounted");
  g_assert_cmpstr (field (events, 0, "REFMOUNT_ATTACHMENT"), ==, "vol1");
  g_assert_cmpstr (field (events, 0, "REFMOUNT_UID"), ==, "0");
  g_assert_cmpstr (field (events, 1, "MESSAGE_ID"), ==, REFMOUNT_LOG_ID_UNMOUNTED);
  g_assert_cmpstr (field (events, 1, "REFMOUNT_MOUNTPOINT"), ==, m);
}

static void
test_table_mount_failure (Fixture      *fx,
                          gconstpointer data)
{
  g_autofree char      *m = mp (fx, "a");
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autofree char      *names = NULL;

  take_events ();
  fx->fake->fail_mounts = 1;
  g_assert_false (attach (fx, m, "vol1", &error));
  g_assert_nonnull (error);
  names = take_event_names (&events);
  g_assert_cmpstr (names, ==, "mount-failed");
  g_assert_cmpstr (field (events, 0, "MESSAGE_ID"), ==, REFMOUNT_LOG_ID_FAILED);
  g_assert_cmpstr (field (events, 0, "PRIORITY"), ==, "4");
}

static void
test_table_error_but_mounted (Fixture      *fx,
                              gconstpointer data)
{
  g_autofree char      *m = mp (fx, "a");
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autofree char      *names = NULL;

  take_events ();
  fx->fake->fail_but_mounted = TRUE;
  g_assert_true (attach (fx, m, "vol1", &error));
  g_assert_no_error (error);
  /* It is mounted: one "mounted", flagged with a warning priority. */
  names = take_event_names (&events);
  g_assert_cmpstr (names, ==, "mounted attached");
  g_assert_cmpstr (field (events, 0, "PRIORITY"), ==, "4");
}

static void
test_table_unmount_failure (Fixture      *fx,
                            gconstpointer data)
{
  g_autofree char      *m = mp (fx, "a");
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autofree char      *names = NULL;
  gboolean              unmounted = FALSE;

  g_assert_true (attach (fx, m, "vol1", &error));
  take_events ();
  fx->fake->fail_umounts = 1;
  g_assert_false (detach (fx, m, "vol1", &unmounted, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED);
  g_clear_error (&error);
  /* The attachment was put back: no "detached". */
  names = take_event_names (&events);
  g_assert_cmpstr (names, ==, "unmount-failed");
  g_assert_cmpstr (field (events, 0, "MESSAGE_ID"), ==, REFMOUNT_LOG_ID_FAILED);
  g_assert_cmpuint (n_attachments (fx, m), ==, 1);

  g_assert_true (detach (fx, m, "vol1", &unmounted, &error));
  g_assert_true (unmounted);
  assert_events ("detached unmounted");
}

static void
test_table_busy (Fixture      *fx,
                 gconstpointer data)
{
  g_autofree char   *m = mp (fx, "a");
  g_autoptr (GError) error = NULL;
  gboolean           unmounted = TRUE;

  g_assert_true (attach (fx, m, "vol1", &error));
  take_events ();
  fx->fake->busy_umounts = 1;
  g_assert_true (detach (fx, m, "vol1", &unmounted, &error));
  g_assert_false (unmounted);
  /* Released now, unmounted later by the retry. */
  assert_events ("detached busy");
  iterate_until (fx, is_unmounted, m);
  assert_events ("unmounted");
}

static void
test_table_stale (Fixture      *fx,
                  gconstpointer data)
{
  g_autofree char   *m = mp (fx, "a");
  g_autoptr (GError) error = NULL;
  gboolean           unmounted = FALSE;

  g_assert_true (attach (fx, m, "vol1", &error));
  fake_backend_set_unmounted (fx->fake, m);
  refmount_table_free (fx->table);
  take_events ();
  fx->table = refmount_table_new (&fx->fake->parent, fx->state_dir, fx->context, NULL, NULL);
  g_assert_true (refmount_table_start (fx->table, fx->config, NULL, NULL, &error));
  g_assert_no_error (error);
  {
    g_autoptr (GPtrArray) events = NULL;
    g_autofree char      *names = take_event_names (&events);

    g_assert_cmpstr (names, ==, "reconciled");
    g_assert_cmpstr (field (events, 0, "MESSAGE_ID"), ==, REFMOUNT_LOG_ID_RECONCILED);
    g_assert_cmpstr (field (events, 0, "REFMOUNT_MOUNTPOINT"), ==, m);
    g_assert_cmpstr (field (events, 0, "REFMOUNT_UID"), ==, "");
  }
  /* The stale record goes with its last attachment: nothing to unmount,
   * yet both the detach and the end of the mount are on record. */
  g_assert_true (detach (fx, m, "vol1", &unmounted, &error));
  g_assert_true (unmounted);
  assert_events ("detached unmounted");
}

static void
test_table_adopt (Fixture      *fx,
                  gconstpointer data)
{
  g_autofree char   *m = mp (fx, "a");
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir (m, 0755), ==, 0);
  fake_backend_set_mounted (fx->fake, m, "src", "tmpfs");
  take_events ();
  g_assert_true (attach (fx, m, "vol1", &error));
  g_assert_no_error (error);
  /* Not mounted by this call: adopted, i.e. reconciled with the kernel. */
  assert_events ("reconciled attached");
}

static void
test_table_vanished (Fixture      *fx,
                     gconstpointer data)
{
  g_autofree char      *m = mp (fx, "a");
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autofree char      *names = NULL;

  g_assert_true (attach (fx, m, "vol1", &error));
  fake_backend_set_unmounted (fx->fake, m);
  take_events ();
  refmount_table_check_vanished (fx->table, 5, G_MAXINT64);
  /* The table follows the kernel, as at start-up: a reconciliation. */
  names = take_event_names (&events);
  g_assert_cmpstr (names, ==, "vanished");
  g_assert_cmpstr (field (events, 0, "MESSAGE_ID"), ==, REFMOUNT_LOG_ID_RECONCILED);
  g_assert_cmpstr (field (events, 0, "PRIORITY"), ==, "4");
  g_assert_cmpstr (field (events, 0, "REFMOUNT_MOUNTPOINT"), ==, m);
  refmount_table_check_vanished (fx->table, 5, G_MAXINT64);
  assert_events ("");
  /* The next Mount remounts it. */
  g_assert_true (attach (fx, m, "vol1", &error));
  g_assert_no_error (error);
  assert_events ("mounted attached");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* Failure paths log warnings on purpose; only criticals are bugs. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  captured = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  g_log_set_writer_func (capture_writer, NULL, NULL);

  g_test_add_func ("/log/message-ids", test_message_ids);
  g_test_add_func ("/log/fields", test_fields);
  g_test_add_func ("/log/no-context", test_no_context);
  g_test_add_func ("/log/plain-line", test_plain_line);
  g_test_add_func ("/log/hostile-values", test_hostile_values);
  ADD ("/log/table/refcount", test_table_refcount);
  ADD ("/log/table/mount-failure", test_table_mount_failure);
  ADD ("/log/table/error-but-mounted", test_table_error_but_mounted);
  ADD ("/log/table/unmount-failure", test_table_unmount_failure);
  ADD ("/log/table/busy", test_table_busy);
  ADD ("/log/table/stale", test_table_stale);
  ADD ("/log/table/adopt", test_table_adopt);
  ADD ("/log/table/vanished", test_table_vanished);
  return g_test_run ();
}
