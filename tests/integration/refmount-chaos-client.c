/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Load and crash-consistency client for refmount's chaos and stress tests.
 *
 *   run ID LOGFILE STOPFILE NOPS ROOT NMP
 *       Attach and detach tmpfs attachments "cID-N" on ROOT/chaos-0 …
 *       ROOT/chaos-(NMP-1) (source chaos-src-I, option size=1m) over one
 *       bus connection, until NOPS operations are done (0: no limit) or
 *       STOPFILE exists; then release everything still held and exit 0.
 *       Every call is logged to LOGFILE (fsync'ed) before it is made
 *       ("a"/"d" MP ID: attach/detach intent) and after it is acknowledged
 *       ("A"/"D" MP ID), so a reader of the log knows which calls were
 *       acknowledged and which are uncertain.  A call that fails because
 *       the daemon is gone (no reply, name not owned, Timeout,
 *       ShuttingDown) is retried until it gets a definite answer; any
 *       other error exits 3.
 *
 *   check LOGDIR ROOT [strict]
 *       Wait until the daemon's objects and the mount table are quiescent
 *       (two identical snapshots 100 ms apart), then check them against
 *       each other and against the clients' logs (LOGDIR/ *.log):
 *       at most one mount per mountpoint; a "mounted" object is mounted
 *       from its source and has >= 1 attachment; every acknowledged
 *       attachment is present; every acknowledged detach stays detached.
 *       Without "strict", what a crash may legitimately leave is allowed
 *       where a client has an uncertain call on it (a kernel mount not yet
 *       recorded, a "busy" record with no attachments, a "stale" one).
 *       Prints a summary; exits 1 on a violation.
 *
 *   flood KIND COUNT EVERY MOUNTPOINT [NOPTS OPTSIZE [INTERACTIVE]]
 *       Send COUNT Mount (KIND "mount": tmpfs from "flood-src" with NOPTS
 *       options "size=" padded to OPTSIZE bytes, attachment "flood-N"),
 *       Unmount (KIND "unmount", attachment "flood-N") calls for
 *       MOUNTPOINT, Recover calls (KIND "recover") for MOUNTPOINT, or
 *       Reload calls (KIND "reload"; MOUNTPOINT unused),
 *       as fast as the connection takes them; COUNT 0: without end, in
 *       batches of 1000 each followed by a Ping, until killed (the
 *       benchmark's "one uid floods"; "flooding" is printed after the
 *       first batch); every EVERY-th
 *       one (0: none) expects a reply, the others are sent with
 *       NO_REPLY_EXPECTED.  INTERACTIVE "interactive" sets
 *       ALLOW_INTERACTIVE_AUTHORIZATION.  Then a Peer.Ping to the daemon
 *       over the same connection (repeated while the bus refuses it for a
 *       full queue): once it is answered, the daemon has
 *       taken every call off the bus (a connection's messages arrive in
 *       order), and "sent N" is printed and flushed.  Then waits (at most
 *       120 s) for the replies and prints one line "reply NAME COUNT" per
 *       outcome ("ok" or the error name).  Exits 0.
 *
 * Uses the system bus ($DBUS_SYSTEM_BUS_ADDRESS), through librefmount-1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

#include "refmount-names.h"
#include "refmount.h"

#define MAX_HELD 8

/* ---- run ------------------------------------------------------------------ */

typedef struct
{
  guint id;
  int   log_fd;
  guint retries;
} Client;

typedef struct
{
  guint mp;
  char *att;
} Held;

static void
held_free (gpointer data)
{
  Held *h = data;

  g_free (h->att);
  g_free (h);
}

static void
log_line (Client     *client,
          char        op,
          guint       mp,
          const char *att)
{
  g_autofree char *line = g_strdup_printf ("%c %u %s\n", op, mp, att);
  size_t           len = strlen (line);

  if (write (client->log_fd, line, len) != (ssize_t) len || fdatasync (client->log_fd) < 0)
    {
      g_printerr ("client %u: cannot write its log: %s\n", client->id, g_strerror (errno));
      exit (4);
    }
}

typedef enum
{
  OUTCOME_OK,
  OUTCOME_GONE, /* detach: NotAttached / NotFound */
  OUTCOME_RETRY,
  OUTCOME_FATAL,
} Outcome;

static Outcome
classify (const GError *error)
{
  if (error->domain != REFMOUNT_ERROR)
    return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED) ? OUTCOME_FATAL : OUTCOME_RETRY;
  switch ((RefmountError) error->code)
    {
    case REFMOUNT_ERROR_TIMEOUT:
    case REFMOUNT_ERROR_SHUTTING_DOWN:
      return OUTCOME_RETRY;
    case REFMOUNT_ERROR_NOT_ATTACHED:
    case REFMOUNT_ERROR_NOT_FOUND:
      return OUTCOME_GONE;
    default:
      return OUTCOME_FATAL;
    }
}

/* One logged call, retried until it has a definite outcome.  Returns FALSE
 * on an error that must not happen. */
static gboolean
client_call (Client         *client,
             RefmountClient *refmount,
             gboolean        attach,
             const char     *root,
             guint           mp,
             const char     *att)
{
  g_autofree char *mountpoint = g_strdup_printf ("%s/chaos-%u", root, mp);
  g_autofree char *source = g_strdup_printf ("chaos-src-%u", mp);
  gboolean         retried = FALSE;

  log_line (client, attach ? 'a' : 'd', mp, att);
  for (;;)
    {
      g_autoptr (GError) error = NULL;
      const char *const  options[] = { "size=1m", NULL };
      gboolean           ok;
      Outcome            outcome;

      if (attach)
        {
          g_autofree char *used = refmount_client_mount_sync (refmount, "tmpfs", source, mountpoint, options, att,
                                                              REFMOUNT_MOUNT_FLAGS_NONE, NULL, &error);
          ok = used != NULL;
        }
      else
        ok = refmount_client_unmount_sync (refmount, mountpoint, att, REFMOUNT_MOUNT_FLAGS_NONE, NULL, NULL, &error);
      outcome = ok ? OUTCOME_OK : classify (error);
      if (outcome == OUTCOME_OK || (outcome == OUTCOME_GONE && !attach && retried))
        {
          log_line (client, attach ? 'A' : 'D', mp, att);
          return TRUE;
        }
      if (outcome != OUTCOME_RETRY)
        {
          g_printerr ("client %u: %s %s on %s%s: %s\n", client->id, attach ? "Mount" : "Unmount", att,
                      mountpoint, retried ? " (retried)" : "", error->message);
          return FALSE;
        }
      retried = TRUE;
      client->retries++;
      g_usleep (20000 + g_random_int_range (0, 30000));
    }
}

static int
cmd_run (int    argc,
         char **argv)
{
  g_autoptr (GError)         error = NULL;
  g_autoptr (RefmountClient) refmount = NULL;
  g_autoptr (GPtrArray)      held = g_ptr_array_new_with_free_func (held_free);
  Client                     client = { 0 };
  const char                *stopfile, *root;
  guint64                    nops;
  guint                      nmp, serial = 0, attaches = 0, detaches = 0;

  if (argc != 6)
    {
      g_printerr ("usage: run ID LOGFILE STOPFILE NOPS ROOT NMP\n");
      return 64;
    }
  client.id = (guint) g_ascii_strtoull (argv[0], NULL, 10);
  stopfile = argv[2];
  nops = g_ascii_strtoull (argv[3], NULL, 10);
  root = argv[4];
  nmp = (guint) g_ascii_strtoull (argv[5], NULL, 10);
  if (nmp == 0)
    {
      g_printerr ("NMP must be > 0, got '%s'\n", argv[5]);
      return 64;
    }
  client.log_fd = open (argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (client.log_fd < 0)
    {
      g_printerr ("cannot open log '%s': %s\n", argv[1], g_strerror (errno));
      return 4;
    }
  /* Calls only: 32 clients each hearing of every change would load the
   * bus more than the daemon. */
  refmount = refmount_client_new_full_sync (NULL, REFMOUNT_CLIENT_FLAGS_DO_NOT_FOLLOW, NULL, &error);
  if (refmount == NULL)
    {
      g_printerr ("cannot connect to the system bus: %s\n", error->message);
      return 4;
    }
  g_dbus_connection_set_exit_on_close (refmount_client_get_connection (refmount), FALSE);

  while ((nops == 0 || attaches + detaches < nops) && access (stopfile, F_OK) != 0)
    {
      if (held->len == 0 || (held->len < MAX_HELD && g_random_int_range (0, 100) < 55))
        {
          Held *h = g_new0 (Held, 1);

          h->mp = g_random_int_range (0, (gint32) nmp);
          h->att = g_strdup_printf ("c%u-%u", client.id, serial++);
          if (!client_call (&client, refmount, TRUE, root, h->mp, h->att))
            {
              held_free (h);
              return 3;
            }
          g_ptr_array_add (held, h);
          attaches++;
        }
      else
        {
          guint i = g_random_int_range (0, (gint32) held->len);
          Held *h = g_ptr_array_index (held, i);

          if (!client_call (&client, refmount, FALSE, root, h->mp, h->att))
            return 3;
          g_ptr_array_remove_index_fast (held, i);
          detaches++;
        }
    }

  while (held->len > 0)
    {
      Held *h = g_ptr_array_index (held, held->len - 1);

      if (!client_call (&client, refmount, FALSE, root, h->mp, h->att))
        return 3;
      g_ptr_array_remove_index (held, held->len - 1);
      detaches++;
    }
  close (client.log_fd);
  printf ("client %u: %u attaches, %u detaches, %u retries\n", client.id, attaches, detaches, client.retries);
  return 0;
}

/* ---- check ---------------------------------------------------------------- */

typedef struct
{
  char  last; /* a A d D */
  guint mp;
  char *client;
} LogState;

static void
log_state_free (gpointer data)
{
  LogState *s = data;

  g_free (s->client);
  g_free (s);
}

/* attachment id -> LogState, from every LOGDIR/ *.log */
static GHashTable *
replay_logs (const char *logdir,
             GError    **error)
{
  g_autoptr (GHashTable) states = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, log_state_free);
  g_autoptr (GDir)       dir = g_dir_open (logdir, 0, error);
  const char            *name;

  if (dir == NULL)
    return NULL;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *contents = NULL;
      g_auto (GStrv) lines = NULL;

      if (!g_str_has_suffix (name, ".log"))
        continue;
      path = g_build_filename (logdir, name, NULL);
      if (!g_file_get_contents (path, &contents, NULL, error))
        return NULL;
      lines = g_strsplit (contents, "\n", -1);
      for (guint i = 0; lines[i] != NULL; i++)
        {
          char      op;
          guint     mp;
          char      att[64];
          LogState *s;

          /* A line torn by a stopped writer has no newline: it is the last
           * element and does not parse as three fields, or is ignored. */
          if (lines[i + 1] == NULL || sscanf (lines[i], "%c %u %63s", &op, &mp, att) != 3)
            continue;
          s = g_hash_table_lookup (states, att);
          if (s == NULL)
            {
              s = g_new0 (LogState, 1);
              s->client = g_strdup (name);
              g_hash_table_insert (states, g_strdup (att), s);
            }
          s->last = op;
          s->mp = mp;
        }
    }
  return g_steal_pointer (&states);
}

typedef struct
{
  RefmountMountState state;
  const char        *state_name; /* static, for messages and the dump */
  char              *source;
  GPtrArray         *attachments; /* ids */
} ObjectInfo;

static void
object_info_free (gpointer data)
{
  ObjectInfo *o = data;

  g_free (o->source);
  g_ptr_array_unref (o->attachments);
  g_free (o);
}

/* mountpoint -> ObjectInfo; *text gets a canonical dump for comparison.
 * A new client each time: its construction reads every object at once
 * (GetManagedObjects), which is the snapshot wanted here. */
static GHashTable *
read_objects (GString *text,
              GError **error)
{
  g_autoptr (RefmountClient) refmount = NULL;
  g_autolist (RefmountMount) mounts = NULL;
  g_autoptr (GHashTable)     result = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, object_info_free);

  refmount = refmount_client_new_sync (NULL, error);
  if (refmount == NULL)
    return NULL;
  if (!refmount_client_get_daemon_running (refmount))
    {
      g_set_error_literal (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER, "refmountd is not running");
      return NULL;
    }
  /* Sorted by mountpoint: the dump compares equal when nothing changed. */
  mounts = refmount_client_get_mounts (refmount);
  for (GList *l = mounts; l != NULL; l = l->next)
    {
      RefmountMount         *mount = l->data;
      GPtrArray             *attachments = refmount_mount_get_attachments (mount);
      const char            *mountpoint = refmount_mount_get_mountpoint (mount);
      g_autoptr (GEnumClass) states = g_type_class_ref (REFMOUNT_TYPE_MOUNT_STATE);
      GEnumValue            *state = g_enum_get_value (states, refmount_mount_get_state (mount));
      ObjectInfo            *o;

      if (mountpoint == NULL)
        continue;
      o = g_new0 (ObjectInfo, 1);
      o->attachments = g_ptr_array_new_with_free_func (g_free);
      o->state = refmount_mount_get_state (mount);
      o->state_name = state != NULL ? state->value_nick : "?";
      o->source = g_strdup (refmount_mount_get_source (mount));
      g_string_append_printf (text, "%s %s %s", mountpoint, o->state_name, o->source);
      for (guint i = 0; i < attachments->len; i++)
        {
          const char *id = refmount_attachment_get_id (g_ptr_array_index (attachments, i));

          g_ptr_array_add (o->attachments, g_strdup (id));
          g_string_append_printf (text, " %s", id);
        }
      g_string_append_c (text, '\n');
      g_hash_table_insert (result, g_strdup (mountpoint), o);
    }
  return g_steal_pointer (&result);
}

/* Mounts at ROOT/x (one level): mountpoint -> GPtrArray of sources. */
static GHashTable *
read_kernel (const char *root,
             GString    *text,
             GError    **error)
{
  g_autoptr (GHashTable) result = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                         (GDestroyNotify) g_ptr_array_unref);
  g_autofree char       *contents = NULL;
  g_autofree char       *prefix = g_strconcat (root, "/", NULL);
  g_auto (GStrv) lines = NULL;

  if (!g_file_get_contents ("/proc/self/mountinfo", &contents, NULL, error))
    return NULL;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], " ", -1);
      guint      n = g_strv_length (f), sep;
      GPtrArray *sources;

      if (n < 10 || !g_str_has_prefix (f[4], prefix))
        continue;
      for (sep = 6; sep < n && strcmp (f[sep], "-") != 0; sep++)
        ;
      if (sep + 2 >= n)
        continue;
      sources = g_hash_table_lookup (result, f[4]);
      if (sources == NULL)
        {
          sources = g_ptr_array_new_with_free_func (g_free);
          g_hash_table_insert (result, g_strdup (f[4]), sources);
        }
      g_ptr_array_add (sources, g_strdup (f[sep + 2]));
      g_string_append_printf (text, "%s %s %s\n", f[4], f[sep + 1], f[sep + 2]);
    }
  return g_steal_pointer (&result);
}

static gboolean
has_uncertain_attach (GHashTable *logs,
                      const char *root,
                      const char *mountpoint)
{
  GHashTableIter iter;
  gpointer       value;

  g_hash_table_iter_init (&iter, logs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      LogState        *s = value;
      g_autofree char *mp = g_strdup_printf ("%s/chaos-%u", root, s->mp);

      if ((s->last == 'a' || s->last == 'd') && g_str_equal (mp, mountpoint))
        return TRUE;
    }
  return FALSE;
}

static int
cmd_check (int    argc,
           char **argv)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (GHashTable) logs = NULL;
  g_autoptr (GHashTable) objects = NULL;
  g_autoptr (GHashTable) kernel = NULL;
  g_autoptr (GString)    previous = NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  const char            *root;
  gboolean               strict;
  guint                  violations = 0, acked = 0, uncertain = 0, detached = 0, attachments = 0;
  GHashTableIter         iter;
  gpointer               key, value;

  if (argc < 2 || argc > 3 || (argc == 3 && strcmp (argv[2], "strict") != 0))
    {
      g_printerr ("usage: check LOGDIR ROOT [strict]\n");
      return 64;
    }
  root = argv[1];
  strict = argc == 3;
  for (guint tries = 0;; tries++)
    {
      g_autoptr (GString) text = g_string_new (NULL);

      g_clear_pointer (&objects, g_hash_table_unref);
      g_clear_pointer (&kernel, g_hash_table_unref);
      objects = read_objects (text, &error);
      if (objects == NULL)
        {
          g_printerr ("GetManagedObjects: %s\n", error->message);
          return 4;
        }
      kernel = read_kernel (root, text, &error);
      if (kernel == NULL)
        {
          g_printerr ("mountinfo: %s\n", error->message);
          return 4;
        }
      if (previous != NULL && g_str_equal (previous->str, text->str))
        break;
      if (tries == 100 && previous != NULL)
        {
          g_printerr ("the daemon's objects and the mount table did not settle within 10 s:\n%s\n---\n%s",
                      previous->str, text->str);
          return 1;
        }
      if (previous != NULL)
        g_string_free (g_steal_pointer (&previous), TRUE);
      previous = g_steal_pointer (&text);
      g_usleep (100000);
    }
  logs = replay_logs (argv[0], &error);
  if (logs == NULL)
    {
      g_printerr ("reading the logs: %s\n", error->message);
      return 4;
    }

#define VIOLATION(...)                        \
  do                                          \
    {                                         \
      g_printerr ("VIOLATION: " __VA_ARGS__); \
      g_printerr ("\n");                      \
      violations++;                           \
    }                                         \
  while (0)

  /* The kernel against the objects. */
  g_hash_table_iter_init (&iter, kernel);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GPtrArray *sources = value;

      if (sources->len > 1)
        VIOLATION ("%u mounts on %s", sources->len, (char *) key);
      if (g_hash_table_lookup (objects, key) == NULL && (strict || !has_uncertain_attach (logs, root, key)))
        VIOLATION ("%s is mounted but not managed, and no client has an uncertain call on it", (char *) key);
    }
  g_hash_table_iter_init (&iter, objects);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      ObjectInfo *o = value;
      GPtrArray  *sources = g_hash_table_lookup (kernel, key);
      guint       n = sources != NULL ? sources->len : 0;

      attachments += o->attachments->len;
      if (o->state == REFMOUNT_MOUNT_STATE_MOUNTED)
        {
          if (n != 1 || g_strcmp0 (g_ptr_array_index (sources, 0), o->source) != 0)
            VIOLATION ("%s is \"mounted\" from %s, the kernel has %u mounts there", (char *) key, o->source, n);
          if (o->attachments->len == 0)
            VIOLATION ("%s is \"mounted\" with no attachments", (char *) key);
        }
      else if (strict || !has_uncertain_attach (logs, root, key))
        VIOLATION ("%s is \"%s\" (%u attachments, %u mounts) and no client has an uncertain call on it",
                   (char *) key, o->state_name, o->attachments->len, n);
      for (guint i = 0; i < o->attachments->len; i++)
        {
          const char *id = g_ptr_array_index (o->attachments, i);
          LogState   *s = g_hash_table_lookup (logs, id);

          g_hash_table_add (seen, (gpointer) id);
          if (s == NULL)
            VIOLATION ("attachment %s on %s is in no client's log", id, (char *) key);
          else if (s->last == 'D')
            VIOLATION ("attachment %s on %s was acknowledged as detached (%s)", id, (char *) key, s->client);
          else if (strict && s->last != 'A')
            VIOLATION ("attachment %s on %s: its client's last call on it is uncertain ('%c')", id,
                       (char *) key, s->last);
        }
    }

  /* The logs against the objects. */
  g_hash_table_iter_init (&iter, logs);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      LogState *s = value;

      if (s->last == 'A')
        {
          g_autofree char *mp = g_strdup_printf ("%s/chaos-%u", root, s->mp);
          ObjectInfo      *o = g_hash_table_lookup (objects, mp);
          gboolean         found = FALSE;

          acked++;
          for (guint i = 0; o != NULL && i < o->attachments->len; i++)
            found = found || g_str_equal (g_ptr_array_index (o->attachments, i), key);
          if (!found)
            VIOLATION ("acknowledged attachment %s on %s (%s) is missing", (char *) key, mp, s->client);
        }
      else if (s->last == 'D')
        detached++;
      else
        uncertain++;
    }

  printf ("check: %u objects, %u kernel mounts, %u attachments; logs: %u attached, %u detached, "
          "%u uncertain; %u violations\n",
          g_hash_table_size (objects), g_hash_table_size (kernel), attachments, acked, detached,
          uncertain, violations);
  return violations == 0 ? 0 : 1;
}

/* ---- flood ------------------------------------------------------------------ */

typedef struct
{
  GMainLoop  *loop;
  GHashTable *outcomes; /* name -> count */
  guint       outstanding;
} Flood;

static void
flood_reply_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Flood                   *flood = user_data;
  g_autoptr (GError)       error = NULL;
  g_autoptr (GDBusMessage) reply = NULL;
  g_autofree char         *name = NULL;

  reply = g_dbus_connection_send_message_with_reply_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL)
    name = g_strdup_printf ("client-error:%s", error->message);
  else if (g_dbus_message_get_message_type (reply) == G_DBUS_MESSAGE_TYPE_ERROR)
    name = g_strdup (g_dbus_message_get_error_name (reply));
  else
    name = g_strdup ("ok");
  g_hash_table_insert (flood->outcomes, g_strdup (name),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (flood->outcomes, name)) + 1));
  if (--flood->outstanding == 0)
    g_main_loop_quit (flood->loop);
}

static gboolean
flood_timeout_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static int
cmd_flood (int    argc,
           char **argv)
{
  g_autoptr (GError)          error = NULL;
  g_autoptr (GDBusConnection) bus = NULL;
  g_autoptr (GVariant)        pong = NULL;
  g_autoptr (GPtrArray)       options = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GMainLoop)       loop = g_main_loop_new (NULL, FALSE);
  Flood                       flood = { loop, g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL), 0 };
  gboolean                    mount, reload, recover;
  guint                       count, every, nopts = 1, optsize = 7;
  gboolean                    interactive = FALSE;
  GHashTableIter              iter;
  gpointer                    key, value;

  if (argc < 4)
    {
      g_printerr ("usage: flood mount|unmount|recover|reload COUNT EVERY MOUNTPOINT [NOPTS OPTSIZE [interactive]]\n");
      return 64;
    }
  mount = g_str_equal (argv[0], "mount");
  reload = g_str_equal (argv[0], "reload");
  recover = g_str_equal (argv[0], "recover");
  count = (guint) g_ascii_strtoull (argv[1], NULL, 10);
  every = (guint) g_ascii_strtoull (argv[2], NULL, 10);
  if (argc >= 6)
    {
      nopts = (guint) g_ascii_strtoull (argv[4], NULL, 10);
      optsize = MAX (6, (guint) g_ascii_strtoull (argv[5], NULL, 10));
    }
  interactive = argc >= 7 && g_str_equal (argv[6], "interactive");
  for (guint i = 0; i < nopts; i++)
    {
      GString *opt = g_string_new ("size=");

      while (opt->len < optsize)
        g_string_append_c (opt, '1');
      g_ptr_array_add (options, g_string_free (opt, FALSE));
    }
  g_ptr_array_add (options, NULL);

  bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  if (bus == NULL)
    {
      g_printerr ("flood: %s\n", error->message);
      return 2;
    }
  for (guint i = 0; count == 0 || i < count; i++)
    {
      g_autoptr (GDBusMessage) call = g_dbus_message_new_method_call (REFMOUNT_BUS_NAME, REFMOUNT_MANAGER_PATH, REFMOUNT_MANAGER_INTERFACE,
                                                                      mount     ? "Mount"
                                                                      : reload  ? "Reload"
                                                                      : recover ? "Recover"
                                                                                : "Unmount");
      g_autofree char         *att = g_strdup_printf ("flood-%u", i);
      GDBusMessageFlags        flags = G_DBUS_MESSAGE_FLAGS_NO_AUTO_START;
      gboolean                 want_reply = every > 0 && i % every == every - 1;

      /* Without end: keep at most a batch queued in this process. */
      if (count == 0 && i % 1000 == 999)
        {
          g_autoptr (GVariant) batch_pong = g_dbus_connection_call_sync (bus, REFMOUNT_BUS_NAME, REFMOUNT_MANAGER_PATH,
                                                                         "org.freedesktop.DBus.Peer", "Ping", NULL,
                                                                         NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, -1,
                                                                         NULL, NULL);
          if (i == 999)
            {
              printf ("flooding\n");
              fflush (stdout);
            }
        }
      if (mount)
        g_dbus_message_set_body (call, g_variant_new ("(sss^ass@a{sv})", "tmpfs", "flood-src", argv[3],
                                                      (const char *const *) options->pdata, att,
                                                      g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0)));
      else if (recover)
        g_dbus_message_set_body (call, g_variant_new ("(s@a{sv})", argv[3],
                                                      g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0)));
      else if (!reload)
        g_dbus_message_set_body (call, g_variant_new ("(ss@a{sv})", argv[3], att,
                                                      g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0)));
      if (interactive)
        flags |= G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION;
      if (!want_reply)
        flags |= G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED;
      g_dbus_message_set_flags (call, flags);
      if (want_reply)
        {
          flood.outstanding++;
          g_dbus_connection_send_message_with_reply (bus, call, G_DBUS_SEND_MESSAGE_FLAGS_NONE, 300000, NULL,
                                                     NULL, flood_reply_cb, &flood);
        }
      else if (!g_dbus_connection_send_message (bus, call, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, &error))
        {
          g_printerr ("flood: %s\n", error->message);
          return 2;
        }
    }
  /* The bus refuses messages while the daemon's incoming queue is full
   * (LimitsExceeded from dbus-daemon): the Ping is repeated until the
   * daemon has read what came before. */
  for (guint attempt = 0; attempt < 3000; attempt++)
    {
      g_autofree char *remote = NULL;

      g_clear_error (&error);
      pong = g_dbus_connection_call_sync (bus, REFMOUNT_BUS_NAME, REFMOUNT_MANAGER_PATH, "org.freedesktop.DBus.Peer", "Ping", NULL,
                                          NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, 300000, NULL, &error);
      if (pong != NULL)
        break;
      remote = g_dbus_error_get_remote_error (error);
      if (g_strcmp0 (remote, "org.freedesktop.DBus.Error.LimitsExceeded") != 0)
        break;
      g_usleep (100000);
    }
  if (pong == NULL)
    {
      g_printerr ("flood: Ping after the flood: %s\n", error->message);
      return 2;
    }
  printf ("sent %u\n", count);
  fflush (stdout);
  if (flood.outstanding > 0)
    {
      g_timeout_add_seconds (120, flood_timeout_cb, loop);
      g_main_loop_run (loop);
    }
  g_hash_table_iter_init (&iter, flood.outcomes);
  while (g_hash_table_iter_next (&iter, &key, &value))
    printf ("reply %s %u\n", (const char *) key, GPOINTER_TO_UINT (value));
  if (flood.outstanding > 0)
    printf ("reply none %u\n", flood.outstanding);
  g_hash_table_unref (flood.outcomes);
  return 0;
}

int
main (int    argc,
      char **argv)
{
  if (argc >= 2 && strcmp (argv[1], "flood") == 0)
    return cmd_flood (argc - 2, argv + 2);
  if (argc >= 2 && strcmp (argv[1], "run") == 0)
    return cmd_run (argc - 2, argv + 2);
  if (argc >= 2 && strcmp (argv[1], "check") == 0)
    return cmd_check (argc - 2, argv + 2);
  g_printerr ("usage: %s run|check|flood ARGS...\n", argv[0]);
  return 64;
}
