/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How RefmountClient follows the daemon's objects: the ObjectManager's
 * objects turned into RefmountMounts, and its signals into the client's.
 *
 * The D-Bus signals carry whole property values, so the change signals
 * are differences against the snapshot each RefmountMount holds.  That
 * snapshot also outlives a daemon restart: when refmountd leaves the bus,
 * GDBus drops every object proxy, and when it comes back it re-adds them
 * all before it announces the new name owner.  Mounts that come back are
 * diffed against what was seen before (so a restart does not read as a
 * burst of removals and additions); those that do not are removed once
 * the owner is announced.
 */
#include "config.h"

#include "refmount-client-private.h"
#include "refmount-generated.h"
#include "refmount-mount-private.h"

guint       refmount_client_signals[REFMOUNT_CLIENT_N_SIGNALS];
GParamSpec *refmount_client_daemon_running_pspec;

/* Emits SIGNAL with the arguments it takes (MOUNT, ATTACHMENT or none):
 * arguments beyond the signal's own are not read. */
static void
emit (RefmountClient      *client,
      RefmountClientSignal signal,
      RefmountMount       *mount,
      RefmountAttachment  *attachment)
{
  g_signal_emit (client, refmount_client_signals[signal], 0, mount, attachment);
}

static void
emit_attachments (RefmountClient      *client,
                  RefmountMount       *mount,
                  RefmountClientSignal signal,
                  GPtrArray           *attachments)
{
  for (guint i = 0; i < attachments->len; i++)
    emit (client, signal, mount, g_ptr_array_index (attachments, i));
}

/* PROXY was added or changed: update (or create) its RefmountMount and
 * say what differs. */
static void
sync_mount (RefmountClient    *client,
            RefmountDBusMount *proxy)
{
  const char               *path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (proxy));
  RefmountMount            *mount = g_hash_table_lookup (client->mounts, path);
  g_autoptr (GPtrArray)     added = g_ptr_array_new_with_free_func ((GDestroyNotify) refmount_attachment_free);
  g_autoptr (GPtrArray)     removed = g_ptr_array_new_with_free_func ((GDestroyNotify) refmount_attachment_free);
  g_autoptr (RefmountMount) held = NULL;

  if (mount == NULL)
    {
      mount = refmount_mount_new_for_proxy (proxy);
      g_hash_table_insert (client->mounts, g_strdup (path), g_object_ref (mount));
      held = g_object_ref (mount);
      emit (client, REFMOUNT_CLIENT_SIGNAL_MOUNT_ADDED, mount, NULL);
      emit_attachments (client, mount, REFMOUNT_CLIENT_SIGNAL_ATTACHMENT_ADDED, refmount_mount_get_attachments (mount));
      return;
    }

  held = g_object_ref (mount);
  if (!refmount_mount_update (mount, proxy, added, removed))
    return;
  emit_attachments (client, mount, REFMOUNT_CLIENT_SIGNAL_ATTACHMENT_REMOVED, removed);
  emit_attachments (client, mount, REFMOUNT_CLIENT_SIGNAL_ATTACHMENT_ADDED, added);
  emit (client, REFMOUNT_CLIENT_SIGNAL_MOUNT_CHANGED, mount, NULL);
}

static void
drop_mount (RefmountClient *client,
            const char     *path)
{
  g_autoptr (RefmountMount) mount = NULL;
  g_autofree char          *key = NULL;

  if (!g_hash_table_steal_extended (client->mounts, path, (gpointer *) &key, (gpointer *) &mount))
    return;
  emit_attachments (client, mount, REFMOUNT_CLIENT_SIGNAL_ATTACHMENT_REMOVED, refmount_mount_get_attachments (mount));
  emit (client, REFMOUNT_CLIENT_SIGNAL_MOUNT_REMOVED, mount, NULL);
}

static void
on_object_added (GDBusObjectManager *manager,
                 GDBusObject        *object,
                 gpointer            user_data)
{
  RefmountDBusMount *proxy = refmount_dbus_object_peek_mount (REFMOUNT_DBUS_OBJECT (object));

  if (proxy != NULL)
    sync_mount (user_data, proxy);
}

static void
on_object_removed (GDBusObjectManager *manager,
                   GDBusObject        *object,
                   gpointer            user_data)
{
  RefmountClient *client = user_data;

  /* The daemon left the bus: GDBus announces the owner's departure, then
   * drops every object.  Its mounts stay mounted (SIGTERM leaves them)
   * and it re-exports them when it comes back. */
  if (!client->daemon_present)
    return;
  drop_mount (client, g_dbus_object_get_object_path (object));
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
    sync_mount (user_data, REFMOUNT_DBUS_MOUNT (interface));
}

static void
on_name_owner (GObject    *object,
               GParamSpec *pspec,
               gpointer    user_data)
{
  RefmountClient       *client = user_data;
  g_autofree char      *owner = NULL;
  g_autoptr (GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter        iter;
  gpointer              path;

  owner = g_dbus_object_manager_client_get_name_owner (G_DBUS_OBJECT_MANAGER_CLIENT (object));
  /* GDBus may notify more than once for one change of owner. */
  if ((owner != NULL) == client->daemon_present)
    return;
  client->daemon_present = owner != NULL;
  if (owner == NULL)
    {
      emit (client, REFMOUNT_CLIENT_SIGNAL_DAEMON_VANISHED, NULL, NULL);
      g_object_notify_by_pspec (G_OBJECT (client), refmount_client_daemon_running_pspec);
      return;
    }

  /* The new owner's objects have all been added by now (GDBus notifies
   * the owner after GetManagedObjects): what did not come back is gone. */
  g_hash_table_iter_init (&iter, client->mounts);
  while (g_hash_table_iter_next (&iter, &path, NULL))
    {
      g_autoptr (GDBusObject) still = g_dbus_object_manager_get_object (client->manager, path);

      if (still == NULL)
        g_ptr_array_add (gone, g_strdup (path));
    }
  for (guint i = 0; i < gone->len; i++)
    drop_mount (client, g_ptr_array_index (gone, i));
  emit (client, REFMOUNT_CLIENT_SIGNAL_DAEMON_APPEARED, NULL, NULL);
  g_object_notify_by_pspec (G_OBJECT (client), refmount_client_daemon_running_pspec);
}

/* The ObjectManager client exists: take its objects without signals (they
 * are the initial state) and follow it from now on. */
void
refmount_client_follow (RefmountClient     *client,
                        GDBusObjectManager *manager)
{
  g_autolist (GDBusObject) objects = NULL;
  g_autofree char         *owner = NULL;

  client->manager = manager;
  owner = g_dbus_object_manager_client_get_name_owner (G_DBUS_OBJECT_MANAGER_CLIENT (manager));
  client->daemon_present = owner != NULL;
  objects = g_dbus_object_manager_get_objects (manager);
  for (GList *l = objects; l != NULL; l = l->next)
    {
      RefmountDBusMount *proxy = refmount_dbus_object_peek_mount (REFMOUNT_DBUS_OBJECT (l->data));

      if (proxy != NULL)
        g_hash_table_insert (client->mounts, g_strdup (g_dbus_proxy_get_object_path (G_DBUS_PROXY (proxy))),
                             refmount_mount_new_for_proxy (proxy));
    }
  g_signal_connect (manager, "object-added", G_CALLBACK (on_object_added), client);
  g_signal_connect (manager, "object-removed", G_CALLBACK (on_object_removed), client);
  g_signal_connect (manager, "interface-proxy-properties-changed", G_CALLBACK (on_properties_changed),
                    client);
  g_signal_connect (manager, "notify::name-owner", G_CALLBACK (on_name_owner), client);
}

/* ---- the mounts followed ------------------------------------------------ */

RefmountMount *
refmount_client_peek_mount_at (RefmountClient *client,
                               const char     *object_path)
{
  return g_hash_table_lookup (client->mounts, object_path);
}
