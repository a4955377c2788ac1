/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * refmountctl monitor: RefmountClient's signals as a stream of events
 * (added, attached, detached, state, health, removed, daemon-left,
 * daemon-appeared), one line each, until SIGINT/SIGTERM.
 *
 * The library works out what changed (and keeps a daemon restart from
 * reading as a burst of detaches); what monitor remembers is only each
 * mount's state and health as last printed, for "state OLD -> NEW".
 * monitor may start before refmountd: the client then waits for the
 * name to get an owner.
 */
#include "config.h"

#include <glib-unix.h>
#include <stdio.h>

#include "refmountctl.h"

/* What a mount's last "added", "state" or "health" event said. */
typedef struct
{
  RefmountMountState  state;
  RefmountMountHealth health;
} Shown;

typedef struct
{
  RefmountCtlOutput output;
  GHashTable       *shown; /* RefmountMount → Shown */
  GMainLoop        *loop;
  gboolean          lost_bus;
} Monitor;

static void
remember (Monitor       *monitor,
          RefmountMount *mount)
{
  Shown *shown = g_new (Shown, 1);

  shown->state = refmount_mount_get_state (mount);
  shown->health = refmount_mount_get_health (mount);
  g_hash_table_replace (monitor->shown, g_object_ref (mount), shown);
}

/* ---- printing ---------------------------------------------------------- */

static JsonBuilder *
fields_begin (void)
{
  JsonBuilder *builder = json_builder_new ();

  json_builder_begin_object (builder);
  return builder;
}

static void
copy_member (JsonObject *from,
             const char *name,
             JsonNode   *node,
             gpointer    user_data)
{
  json_object_set_member (user_data, name, json_node_copy (node));
}

/* An event: its JSON form is built by the caller (fields besides
 * "time_usec", "event" and "mountpoint"; NULL for none), its human form is
 * "TIME EVENT MOUNTPOINT DETAIL". */
static void
emit (Monitor     *monitor,
      const char  *event,
      const char  *mountpoint,
      const char  *detail,
      JsonBuilder *fields)
{
  gint64 now = g_get_real_time ();

  if (monitor->output != REFMOUNTCTL_OUTPUT_TABLE)
    {
      g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);
      g_autoptr (JsonNode) extra = NULL;
      JsonObject          *object = json_object_new ();

      /* The common members first, then the event's own. */
      json_object_set_int_member (object, "time_usec", now);
      json_object_set_string_member (object, "event", event);
      if (mountpoint != NULL)
        json_object_set_string_member (object, "mountpoint", mountpoint);
      if (fields != NULL)
        {
          extra = json_builder_get_root (fields);
          json_object_foreach_member (json_node_get_object (extra), copy_member, object);
        }
      json_node_take_object (root, object);
      refmountctl_print_json (root, monitor->output == REFMOUNTCTL_OUTPUT_JSON_PRETTY);
      return;
    }

  {
    g_autoptr (GDateTime) time = g_date_time_new_from_unix_local (now / G_USEC_PER_SEC);
    g_autofree char      *stamp = g_date_time_format (time, "%H:%M:%S");
    g_autofree char      *shown = mountpoint != NULL ? refmountctl_escape (mountpoint) : NULL;

    printf ("%s.%03d  %-9s %s%s%s\n", stamp, (int) (now % G_USEC_PER_SEC / 1000), event,
            shown != NULL ? shown : "", shown != NULL && detail != NULL ? "  " : "",
            detail != NULL ? detail : "");
    fflush (stdout);
  }
}

static void
emit_attachment (Monitor            *monitor,
                 const char         *event,
                 RefmountMount      *mount,
                 RefmountAttachment *attachment)
{
  g_autoptr (JsonBuilder) fields = fields_begin ();
  const char             *id = refmount_attachment_get_id (attachment);
  guint32                 uid = refmount_attachment_get_uid (attachment);
  g_autofree char        *shown = refmountctl_escape (id);
  g_autofree char        *detail = g_strdup_printf ("%s (uid %u)", shown, uid);

  json_builder_set_member_name (fields, "attachment");
  json_builder_add_string_value (fields, id);
  json_builder_set_member_name (fields, "uid");
  json_builder_add_int_value (fields, uid);
  json_builder_end_object (fields);
  emit (monitor, event, refmount_mount_get_mountpoint (mount), detail, fields);
}

static void
emit_added (Monitor       *monitor,
            RefmountMount *mount)
{
  g_autoptr (JsonBuilder) fields = fields_begin ();
  const char             *fstype = refmount_mount_get_filesystem_type (mount);
  const char             *source = refmount_mount_get_source (mount);
  const char             *state = refmountctl_state_name (refmount_mount_get_state (mount));
  g_autofree char        *shown = refmountctl_escape (source);
  g_autofree char        *detail = NULL;

  detail = g_strdup_printf ("%s %s, %s", fstype != NULL ? fstype : "?", shown,
                            state != NULL ? state : "?");

  json_builder_set_member_name (fields, "fstype");
  json_builder_add_string_value (fields, fstype != NULL ? fstype : "");
  json_builder_set_member_name (fields, "source");
  json_builder_add_string_value (fields, source != NULL ? source : "");
  json_builder_set_member_name (fields, "state");
  json_builder_add_string_value (fields, state != NULL ? state : "");
  json_builder_end_object (fields);
  emit (monitor, "added", refmount_mount_get_mountpoint (mount), detail, fields);
}

static void
emit_state (Monitor    *monitor,
            const char *mountpoint,
            const char *old_state,
            const char *state)
{
  g_autoptr (JsonBuilder) fields = fields_begin ();
  g_autofree char        *detail = g_strdup_printf ("%s -> %s", old_state, state);

  json_builder_set_member_name (fields, "old_state");
  json_builder_add_string_value (fields, old_state);
  json_builder_set_member_name (fields, "state");
  json_builder_add_string_value (fields, state);
  json_builder_end_object (fields);
  emit (monitor, "state", mountpoint, detail, fields);
}

/* Health went from @old_health to the mount's current one. */
static void
emit_health (Monitor       *monitor,
             RefmountMount *mount,
             const char    *old_health,
             const char    *health)
{
  g_autoptr (JsonBuilder) fields = fields_begin ();
  const char             *message = refmount_mount_get_health_message (mount);
  g_autofree char        *shown = message != NULL && message[0] != '\0' ? refmountctl_escape_text (message) : NULL;
  g_autofree char        *detail = g_strdup_printf ("%s -> %s%s%s", old_health, health, shown != NULL ? ": " : "",
                                             shown != NULL ? shown : "");

  json_builder_set_member_name (fields, "old_health");
  json_builder_add_string_value (fields, old_health);
  json_builder_set_member_name (fields, "health");
  json_builder_add_string_value (fields, health);
  json_builder_set_member_name (fields, "health_message");
  json_builder_add_string_value (fields, message != NULL ? message : "");
  json_builder_end_object (fields);
  emit (monitor, "health", refmount_mount_get_mountpoint (mount), detail, fields);
}

/* ---- the client's signals --------------------------------------------- */

static void
on_mount_added (RefmountClient *client,
                RefmountMount  *mount,
                gpointer        user_data)
{
  emit_added (user_data, mount);
  remember (user_data, mount);
}

static void
on_mount_removed (RefmountClient *client,
                  RefmountMount  *mount,
                  gpointer        user_data)
{
  Monitor *monitor = user_data;

  emit (monitor, "removed", refmount_mount_get_mountpoint (mount), NULL, NULL);
  g_hash_table_remove (monitor->shown, mount);
}

static void
on_mount_changed (RefmountClient *client,
                  RefmountMount  *mount,
                  gpointer        user_data)
{
  Monitor            *monitor = user_data;
  Shown              *shown = g_hash_table_lookup (monitor->shown, mount);
  RefmountMountState  state = refmount_mount_get_state (mount);
  RefmountMountHealth health = refmount_mount_get_health (mount);

  if (shown != NULL && shown->state != state)
    emit_state (monitor, refmount_mount_get_mountpoint (mount), refmountctl_state_name (shown->state),
                refmountctl_state_name (state));
  if (shown != NULL && shown->health != health)
    emit_health (monitor, mount, refmountctl_health_name (shown->health), refmountctl_health_name (health));
  remember (monitor, mount);
}

static void
on_attachment_added (RefmountClient     *client,
                     RefmountMount      *mount,
                     RefmountAttachment *attachment,
                     gpointer            user_data)
{
  emit_attachment (user_data, "attached", mount, attachment);
}

static void
on_attachment_removed (RefmountClient     *client,
                       RefmountMount      *mount,
                       RefmountAttachment *attachment,
                       gpointer            user_data)
{
  emit_attachment (user_data, "detached", mount, attachment);
}

static void
on_daemon_appeared (RefmountClient *client,
                    gpointer        user_data)
{
  emit (user_data, "daemon-appeared", NULL, REFMOUNT_BUS_NAME, NULL);
}

static void
on_daemon_vanished (RefmountClient *client,
                    gpointer        user_data)
{
  emit (user_data, "daemon-left", NULL, REFMOUNT_BUS_NAME, NULL);
}

static void
on_bus_closed (GDBusConnection *connection,
               gboolean         remote_peer_vanished,
               GError          *error,
               gpointer         user_data)
{
  Monitor *monitor = user_data;

  monitor->lost_bus = TRUE;
  g_main_loop_quit (monitor->loop);
}

static gboolean
on_quit_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

/* The client follows the name's owner, so monitor may be started first
 * and waits, as busctl monitor does.  Creating it starts refmountd
 * through D-Bus activation where it is activatable; only "nobody owns
 * the name" is waited out, any other failure is reported. */
int
refmountctl_monitor (RefmountCtl      *ctl,
                     RefmountCtlOutput output)
{
  g_autoptr (GError)    error = NULL;
  g_autoptr (GPtrArray) mounts = NULL;
  Monitor               monitor = { output, NULL, NULL, FALSE };
  guint                 sigint_id, sigterm_id;

  if (!refmountctl_open (ctl, REFMOUNT_CLIENT_FLAGS_NONE, &error))
    return refmountctl_fail (ctl, error);

  monitor.shown = g_hash_table_new_full (g_direct_hash, g_direct_equal, g_object_unref, g_free);
  monitor.loop = g_main_loop_new (NULL, FALSE);
  mounts = refmountctl_collect_mounts (ctl->client);
  for (guint i = 0; i < mounts->len; i++)
    remember (&monitor, g_ptr_array_index (mounts, i));

  g_signal_connect (ctl->client, "mount-added", G_CALLBACK (on_mount_added), &monitor);
  g_signal_connect (ctl->client, "mount-removed", G_CALLBACK (on_mount_removed), &monitor);
  g_signal_connect (ctl->client, "mount-changed", G_CALLBACK (on_mount_changed), &monitor);
  g_signal_connect (ctl->client, "attachment-added", G_CALLBACK (on_attachment_added), &monitor);
  g_signal_connect (ctl->client, "attachment-removed", G_CALLBACK (on_attachment_removed), &monitor);
  g_signal_connect (ctl->client, "daemon-appeared", G_CALLBACK (on_daemon_appeared), &monitor);
  g_signal_connect (ctl->client, "daemon-vanished", G_CALLBACK (on_daemon_vanished), &monitor);
  g_signal_connect (ctl->connection, "closed", G_CALLBACK (on_bus_closed), &monitor);
  sigint_id = g_unix_signal_add (SIGINT, on_quit_signal, monitor.loop);
  sigterm_id = g_unix_signal_add (SIGTERM, on_quit_signal, monitor.loop);

  /* On stderr, so that stdout carries only events; tests wait for it.
   * -q leaves it out (then nothing says when monitor is ready). */
  if (!ctl->quiet && refmount_client_get_daemon_running (ctl->client))
    fprintf (stderr, "Monitoring refmountd (%u mounts); press Ctrl-C to stop.\n", mounts->len);
  else if (!ctl->quiet)
    fprintf (stderr, "Monitoring refmountd (not running; waiting for it to appear on the bus); "
                     "press Ctrl-C to stop.\n");
  g_main_loop_run (monitor.loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_signal_handlers_disconnect_by_data (ctl->client, &monitor);
  g_signal_handlers_disconnect_by_data (ctl->connection, &monitor);
  g_main_loop_unref (monitor.loop);
  g_hash_table_unref (monitor.shown);
  if (monitor.lost_bus)
    {
      g_autoptr (GError) lost = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                                     "lost the connection to the system bus");

      return refmountctl_fail (ctl, lost);
    }
  return REFMOUNTCTL_EXIT_OK;
}
