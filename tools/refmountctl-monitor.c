/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * refmountctl monitor: turn the ObjectManager's InterfacesAdded/Removed
 * and the mount objects' PropertiesChanged into a stream of events
 * (added, attached, detached, state, health, removed, daemon-left,
 * daemon-appeared), one line each, until SIGINT/SIGTERM.
 *
 * The signals carry whole property values, so the events are the
 * differences against what was seen before; that cache also keeps a
 * daemon restart (every object vanishes and comes back) from reading as
 * a burst of detaches.  monitor may start before refmountd: it then waits
 * for the name to get an owner.
 */
#include "config.h"

#include <glib-unix.h>
#include <stdio.h>

#include "refmount-names.h"
#include "refmountctl.h"

typedef struct
{
  char       *mountpoint;
  char       *state;
  char       *health;
  GHashTable *attachments; /* id → GUINT_TO_POINTER (uid) */
} Seen;

typedef struct
{
  RefmountCtlOutput output;
  GHashTable       *seen; /* object path → Seen */
  GMainLoop        *loop;
  gboolean          daemon_present;
  gboolean          lost_bus;
} Monitor;

static void
seen_free (gpointer data)
{
  Seen *seen = data;

  g_free (seen->mountpoint);
  g_free (seen->state);
  g_free (seen->health);
  g_hash_table_unref (seen->attachments);
  g_free (seen);
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
emit_attachment (Monitor    *monitor,
                 const char *event,
                 const char *mountpoint,
                 const char *id,
                 guint32     uid)
{
  g_autoptr (JsonBuilder) fields = fields_begin ();
  g_autofree char        *shown = refmountctl_escape (id);
  g_autofree char        *detail = g_strdup_printf ("%s (uid %u)", shown, uid);

  json_builder_set_member_name (fields, "attachment");
  json_builder_add_string_value (fields, id);
  json_builder_set_member_name (fields, "uid");
  json_builder_add_int_value (fields, uid);
  json_builder_end_object (fields);
  emit (monitor, event, mountpoint, detail, fields);
}

static void
emit_added (Monitor           *monitor,
            RefmountDBusMount *mount)
{
  g_autoptr (JsonBuilder) fields = fields_begin ();
  const char             *fstype = refmount_dbus_mount_get_filesystem_type (mount);
  const char             *source = refmount_dbus_mount_get_source (mount);
  const char             *state = refmount_dbus_mount_get_state (mount);
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
  emit (monitor, "added", refmount_dbus_mount_get_mountpoint (mount), detail, fields);
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
emit_health (Monitor           *monitor,
             RefmountDBusMount *mount,
             const char        *old_health,
             const char        *health)
{
  g_autoptr (JsonBuilder) fields = fields_begin ();
  const char             *message = refmount_dbus_mount_get_health_message (mount);
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
  emit (monitor, "health", refmount_dbus_mount_get_mountpoint (mount), detail, fields);
}

/* ---- differences ------------------------------------------------------- */

static GHashTable *
attachments_of (RefmountDBusMount *mount)
{
  GHashTable  *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GVariant    *attachments = refmount_dbus_mount_get_attachments (mount);
  GVariantIter iter;
  const char  *id;
  guint32      uid;
  guint64      since;

  if (attachments != NULL)
    {
      g_variant_iter_init (&iter, attachments);
      while (g_variant_iter_next (&iter, "(&sut)", &id, &uid, &since))
        g_hash_table_insert (table, g_strdup (id), GUINT_TO_POINTER (uid));
    }
  return table;
}

/* Compare MOUNT with what was seen at its path, print the differences
 * (unless QUIET: the initial snapshot) and remember the new values. */
static void
sync_mount (Monitor           *monitor,
            RefmountDBusMount *mount,
            gboolean           quiet)
{
  const char    *path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (mount));
  const char    *mountpoint = refmount_dbus_mount_get_mountpoint (mount);
  const char    *state = refmount_dbus_mount_get_state (mount);
  const char    *health = refmount_dbus_mount_get_health (mount);
  Seen          *seen = g_hash_table_lookup (monitor->seen, path);
  GHashTable    *now = attachments_of (mount);
  GHashTableIter iter;
  gpointer       key, value;

  if (mountpoint == NULL)
    {
      g_hash_table_unref (now);
      return;
    }
  if (seen == NULL)
    {
      seen = g_new0 (Seen, 1);
      seen->mountpoint = g_strdup (mountpoint);
      seen->attachments = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_hash_table_insert (monitor->seen, g_strdup (path), seen);
      if (!quiet)
        emit_added (monitor, mount);
    }
  else
    {
      if (!quiet && g_strcmp0 (seen->state, state) != 0 && seen->state != NULL && state != NULL)
        emit_state (monitor, mountpoint, seen->state, state);
      if (!quiet && g_strcmp0 (seen->health, health) != 0 && seen->health != NULL && health != NULL)
        emit_health (monitor, mount, seen->health, health);
    }

  if (!quiet)
    {
      g_hash_table_iter_init (&iter, seen->attachments);
      while (g_hash_table_iter_next (&iter, &key, &value))
        if (!g_hash_table_contains (now, key))
          emit_attachment (monitor, "detached", mountpoint, key, GPOINTER_TO_UINT (value));
      g_hash_table_iter_init (&iter, now);
      while (g_hash_table_iter_next (&iter, &key, &value))
        if (!g_hash_table_contains (seen->attachments, key))
          emit_attachment (monitor, "attached", mountpoint, key, GPOINTER_TO_UINT (value));
    }

  g_free (seen->state);
  seen->state = g_strdup (state);
  g_free (seen->health);
  seen->health = g_strdup (health);
  g_hash_table_unref (seen->attachments);
  seen->attachments = now;
}

/* ---- signal handlers --------------------------------------------------- */

static void
on_object_added (GDBusObjectManager *manager,
                 GDBusObject        *object,
                 gpointer            user_data)
{
  RefmountDBusMount *mount = refmount_dbus_object_peek_mount (REFMOUNT_DBUS_OBJECT (object));

  if (mount != NULL)
    sync_mount (user_data, mount, FALSE);
}

static void
on_object_removed (GDBusObjectManager *manager,
                   GDBusObject        *object,
                   gpointer            user_data)
{
  Monitor         *monitor = user_data;
  const char      *path = g_dbus_object_get_object_path (object);
  Seen            *seen = g_hash_table_lookup (monitor->seen, path);
  GHashTableIter   iter;
  gpointer         key, value;
  g_autofree char *owner = NULL;

  owner = g_dbus_object_manager_client_get_name_owner (G_DBUS_OBJECT_MANAGER_CLIENT (manager));

  /* Without an owner the daemon left the bus: its mounts stay (SIGTERM
   * leaves them mounted), and it re-exports them when it comes back. */
  if (seen == NULL || owner == NULL)
    return;
  g_hash_table_iter_init (&iter, seen->attachments);
  while (g_hash_table_iter_next (&iter, &key, &value))
    emit_attachment (monitor, "detached", seen->mountpoint, key, GPOINTER_TO_UINT (value));
  emit (monitor, "removed", seen->mountpoint, NULL, NULL);
  g_hash_table_remove (monitor->seen, path);
}

static void
on_properties_changed (GDBusObjectManagerClient *manager,
                       GDBusObjectProxy         *object,
                       GDBusProxy               *interface,
                       GVariant                 *changed,
                       const char *const        *invalidated,
                       gpointer                  user_data)
{
  if (REFMOUNT_DBUS_IS_MOUNT (interface))
    sync_mount (user_data, REFMOUNT_DBUS_MOUNT (interface), FALSE);
}

static void
on_name_owner (GObject    *object,
               GParamSpec *pspec,
               gpointer    user_data)
{
  Monitor         *monitor = user_data;
  g_autofree char *owner = NULL;

  owner = g_dbus_object_manager_client_get_name_owner (G_DBUS_OBJECT_MANAGER_CLIENT (object));
  /* GDBus may notify more than once for one change of owner. */
  if ((owner != NULL) == monitor->daemon_present)
    return;
  monitor->daemon_present = owner != NULL;
  if (owner == NULL)
    emit (monitor, "daemon-left", NULL, REFMOUNT_BUS_NAME, NULL);
  else
    emit (monitor, "daemon-appeared", NULL, REFMOUNT_BUS_NAME, NULL);
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

/* The ObjectManager client, even while refmountd is not running: it
 * follows the name's owner, so monitor may be started first and waits, as
 * busctl monitor does.  A ping first starts refmountd through D-Bus
 * activation where it is activatable; only "nobody owns the name" is
 * waited out, any other failure is reported. */
static GDBusObjectManager *
watch_daemon (RefmountCtl *ctl,
              GError     **error)
{
  g_autoptr (GError) ping_error = NULL;

  if (!refmountctl_ping (ctl, &ping_error) &&
      !g_error_matches (ping_error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) &&
      !g_error_matches (ping_error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER))
    {
      g_propagate_error (error, g_steal_pointer (&ping_error));
      return NULL;
    }
  return refmount_dbus_object_manager_client_new_sync (
    ctl->connection, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START, REFMOUNT_BUS_NAME,
    REFMOUNT_OBJECT_MANAGER_PATH, NULL, error);
}

int
refmountctl_monitor (RefmountCtl      *ctl,
                     RefmountCtlOutput output)
{
  g_autoptr (GError)             error = NULL;
  g_autoptr (GDBusObjectManager) manager = NULL;
  g_autoptr (GPtrArray)          mounts = NULL;
  g_autofree char               *owner = NULL;
  Monitor                        monitor = { output, NULL, NULL, TRUE, FALSE };
  guint                          sigint_id, sigterm_id;

  manager = watch_daemon (ctl, &error);
  if (manager == NULL)
    return refmountctl_fail (ctl, error);
  owner = g_dbus_object_manager_client_get_name_owner (G_DBUS_OBJECT_MANAGER_CLIENT (manager));
  monitor.daemon_present = owner != NULL;

  monitor.seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, seen_free);
  monitor.loop = g_main_loop_new (NULL, FALSE);
  mounts = refmountctl_collect_mounts (manager);
  for (guint i = 0; i < mounts->len; i++)
    sync_mount (&monitor, g_ptr_array_index (mounts, i), TRUE);

  g_signal_connect (manager, "object-added", G_CALLBACK (on_object_added), &monitor);
  g_signal_connect (manager, "object-removed", G_CALLBACK (on_object_removed), &monitor);
  g_signal_connect (manager, "interface-proxy-properties-changed",
                    G_CALLBACK (on_properties_changed), &monitor);
  g_signal_connect (manager, "notify::name-owner", G_CALLBACK (on_name_owner), &monitor);
  g_signal_connect (ctl->connection, "closed", G_CALLBACK (on_bus_closed), &monitor);
  sigint_id = g_unix_signal_add (SIGINT, on_quit_signal, monitor.loop);
  sigterm_id = g_unix_signal_add (SIGTERM, on_quit_signal, monitor.loop);

  /* On stderr, so that stdout carries only events; tests wait for it.
   * -q leaves it out (then nothing says when monitor is ready). */
  if (!ctl->quiet && monitor.daemon_present)
    fprintf (stderr, "Monitoring refmountd (%u mounts); press Ctrl-C to stop.\n", mounts->len);
  else if (!ctl->quiet)
    fprintf (stderr, "Monitoring refmountd (not running; waiting for it to appear on the bus); "
                     "press Ctrl-C to stop.\n");
  g_main_loop_run (monitor.loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_signal_handlers_disconnect_by_data (manager, &monitor);
  g_signal_handlers_disconnect_by_data (ctl->connection, &monitor);
  g_main_loop_unref (monitor.loop);
  g_hash_table_unref (monitor.seen);
  if (monitor.lost_bus)
    {
      g_autoptr (GError) lost = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                                     "lost the connection to the system bus");

      return refmountctl_fail (ctl, lost);
    }
  return REFMOUNTCTL_EXIT_OK;
}
