/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The mount objects and the ObjectManager (SPEC §1, §2).
 *
 * Mount objects are served from the table's published records through
 * one subtree registration instead of a GDBusObjectSkeleton each: a
 * skeleton with its interface, property cache and registrations costs
 * ~20 KiB per mount and makes start-up O(mounts) in GObject work, while
 * the subtree costs nothing per mount and answers from the records the
 * table already holds.  The ObjectManager interface is implemented here
 * for the same reason (GDBusObjectManagerServer needs skeletons).
 */
#include "config.h"

#include "refmount-daemon-private.h"
#include "refmount-generated.h"
#include "refmount-names.h"

/* SPEC §1: REFMOUNT_MOUNTS_PATH/<g_dbus_escape_object_path (mountpoint)>. */
char *
refmount_daemon_object_path (const char *mountpoint)
{
  return refmount_manager_object_path (mountpoint);
}

static const char object_manager_xml[] =
  "<node>"
  "  <interface name='org.freedesktop.DBus.ObjectManager'>"
  "    <method name='GetManagedObjects'>"
  "      <arg type='a{oa{sa{sv}}}' name='object_paths_interfaces_and_properties' direction='out'/>"
  "    </method>"
  "    <signal name='InterfacesAdded'>"
  "      <arg type='o' name='object_path'/>"
  "      <arg type='a{sa{sv}}' name='interfaces_and_properties'/>"
  "    </signal>"
  "    <signal name='InterfacesRemoved'>"
  "      <arg type='o' name='object_path'/>"
  "      <arg type='as' name='interfaces'/>"
  "    </signal>"
  "  </interface>"
  "</node>";

/* The Mount interface's properties and the record field each comes from;
 * a record is of type REFMOUNT_RECORD_VARIANT_TYPE: (mountpoint, source,
 * fstype, options, state, created_dir, mounted_at, attachments). */
static const struct
{
  const char *name;
  gsize       field;
} mount_properties_table[] = {
  { "Mountpoint", 0 },
  { "Source", 1 },
  { "FilesystemType", 2 },
  { "Options", 3 },
  { "State", 4 },
  { "Attachments", 7 },
  { "MountedAt", 6 },
};

#define ATTACHMENTS_FIELD 7

/* The value of the property taken from @field of @record. */
static GVariant *
property_from_field (GVariant *record,
                     gsize     field)
{
  g_autoptr (GVariant) value = g_variant_get_child_value (record, field);
  GVariantBuilder      builder;
  GVariantIter         iter;
  const char          *id;
  guint32              uid;
  guint64              attached_at;

  if (field != ATTACHMENTS_FIELD)
    return g_steal_pointer (&value);

  /* The persisted attachments also carry release-on-exit and the bus
   * name, which are not part of the API. */
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(sut)"));
  g_variant_iter_init (&iter, value);
  while (g_variant_iter_next (&iter, "(&sutb&s)", &id, &uid, &attached_at, NULL, NULL))
    g_variant_builder_add (&builder, "(sut)", id, uid, attached_at);
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

static GVariant *
mount_property (GVariant   *record,
                const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (mount_properties_table); i++)
    if (g_str_equal (name, mount_properties_table[i].name))
      return property_from_field (record, mount_properties_table[i].field);
  return NULL;
}

static GVariant *
mount_properties (GVariant *record)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  for (gsize i = 0; i < G_N_ELEMENTS (mount_properties_table); i++)
    {
      g_autoptr (GVariant) value = property_from_field (record, mount_properties_table[i].field);
      g_variant_builder_add (&builder, "{sv}", mount_properties_table[i].name, value);
    }
  return g_variant_builder_end (&builder);
}

static char *
record_object_path (GVariant *record)
{
  const char *mountpoint;

  g_variant_get_child (record, 0, "&s", &mountpoint);
  return refmount_daemon_object_path (mountpoint);
}

/* The record behind the mount object @node (its escaped mountpoint) or,
 * with @node NULL, behind the full @object_path; NULL if there is none. */
static GVariant *
lookup_object (Daemon     *daemon,
               const char *object_path,
               const char *node)
{
  g_autofree char *mountpoint = NULL;

  if (node == NULL)
    {
      if (!g_str_has_prefix (object_path, REFMOUNT_MOUNTS_PATH "/"))
        return NULL;
      node = object_path + strlen (REFMOUNT_MOUNTS_PATH "/");
    }
  /* Unescaping yields bytes; a mountpoint never contains NUL. */
  mountpoint = (char *) g_dbus_unescape_object_path (node);
  if (mountpoint == NULL)
    return NULL;
  return refmount_table_lookup_published (daemon->table, mountpoint);
}

/* ---- the subtree of mount objects (main thread) ------------------------- */

static GVariant *
mount_get_property (GDBusConnection *connection,
                    const char      *sender,
                    const char      *object_path,
                    const char      *interface_name,
                    const char      *property_name,
                    GError         **error,
                    gpointer         user_data)
{
  g_autoptr (GVariant) record = lookup_object (user_data, object_path, NULL);
  GVariant            *value = NULL;

  if (record != NULL)
    value = mount_property (record, property_name);
  if (value == NULL)
    g_set_error (error, G_DBUS_ERROR, record == NULL ? G_DBUS_ERROR_UNKNOWN_OBJECT : G_DBUS_ERROR_UNKNOWN_PROPERTY,
                 record == NULL ? "No mount object at '%s'" : "No property '%s' on %s",
                 record == NULL ? object_path : property_name, object_path);
  return value;
}

static const GDBusInterfaceVTable mount_vtable = {
  .get_property = mount_get_property,
};

static char **
subtree_enumerate (GDBusConnection *connection,
                   const char      *sender,
                   const char      *object_path,
                   gpointer         user_data)
{
  Daemon               *daemon = user_data;
  g_autoptr (GPtrArray) records = refmount_table_list_published (daemon->table);
  GPtrArray            *nodes = g_ptr_array_new_full (records->len + 1, NULL);

  for (guint i = 0; i < records->len; i++)
    {
      const char *mountpoint;

      g_variant_get_child (g_ptr_array_index (records, i), 0, "&s", &mountpoint);
      g_ptr_array_add (nodes, g_dbus_escape_object_path (mountpoint));
    }
  g_ptr_array_add (nodes, NULL);
  return (char **) g_ptr_array_free (nodes, FALSE);
}

static GDBusInterfaceInfo **
subtree_introspect (GDBusConnection *connection,
                    const char      *sender,
                    const char      *object_path,
                    const char      *node,
                    gpointer         user_data)
{
  g_autoptr (GVariant) record = NULL;
  GDBusInterfaceInfo **infos;

  if (node == NULL)
    return NULL;
  record = lookup_object (user_data, NULL, node);
  if (record == NULL)
    return NULL;
  infos = g_new0 (GDBusInterfaceInfo *, 2);
  infos[0] = g_dbus_interface_info_ref (refmount_mount_interface_info ());
  return infos;
}

static const GDBusInterfaceVTable *
subtree_dispatch (GDBusConnection *connection,
                  const char      *sender,
                  const char      *object_path,
                  const char      *interface_name,
                  const char      *node,
                  gpointer        *out_user_data,
                  gpointer         user_data)
{
  g_autoptr (GVariant) record = NULL;

  if (node == NULL || g_strcmp0 (interface_name, REFMOUNT_MOUNT_INTERFACE) != 0)
    return NULL;
  record = lookup_object (user_data, NULL, node);
  if (record == NULL)
    return NULL;
  *out_user_data = user_data;
  return &mount_vtable;
}

static const GDBusSubtreeVTable subtree_vtable = {
  .enumerate = subtree_enumerate,
  .introspect = subtree_introspect,
  .dispatch = subtree_dispatch,
};

/* ---- the ObjectManager (main thread) ------------------------------------ */

static void
object_manager_method_call (GDBusConnection       *connection,
                            const char            *sender,
                            const char            *object_path,
                            const char            *interface_name,
                            const char            *method_name,
                            GVariant              *parameters,
                            GDBusMethodInvocation *invocation,
                            gpointer               user_data)
{
  Daemon               *daemon = user_data;
  g_autoptr (GPtrArray) records = NULL;
  GVariantBuilder       objects;
  GVariantBuilder       interfaces;

  if (!g_str_equal (method_name, "GetManagedObjects"))
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                             "No method '%s'", method_name);
      return;
    }

  g_variant_builder_init (&objects, G_VARIANT_TYPE ("a{oa{sa{sv}}}"));
  g_variant_builder_init (&interfaces, G_VARIANT_TYPE ("a{sa{sv}}"));
  g_variant_builder_add (&interfaces, "{s@a{sv}}", REFMOUNT_MANAGER_INTERFACE,
                         g_dbus_interface_skeleton_get_properties (G_DBUS_INTERFACE_SKELETON (daemon->manager)));
  g_variant_builder_add (&objects, "{o@a{sa{sv}}}", REFMOUNT_MANAGER_PATH, g_variant_builder_end (&interfaces));

  records = refmount_table_list_published (daemon->table);
  for (guint i = 0; i < records->len; i++)
    {
      GVariant        *record = g_ptr_array_index (records, i);
      g_autofree char *path = record_object_path (record);

      g_variant_builder_init (&interfaces, G_VARIANT_TYPE ("a{sa{sv}}"));
      g_variant_builder_add (&interfaces, "{s@a{sv}}", REFMOUNT_MOUNT_INTERFACE, mount_properties (record));
      g_variant_builder_add (&objects, "{o@a{sa{sv}}}", path, g_variant_builder_end (&interfaces));
    }
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(@a{oa{sa{sv}}})",
                                                                    g_variant_builder_end (&objects)));
}

static const GDBusInterfaceVTable object_manager_vtable = {
  .method_call = object_manager_method_call,
};

/* ---- change signals (any thread) ---------------------------------------- */

static void
emit (Daemon     *daemon,
      const char *path,
      const char *interface,
      const char *signal,
      GVariant   *parameters)
{
  g_autoptr (GError) error = NULL;

  if (!g_dbus_connection_emit_signal (daemon->connection, NULL, path, interface, signal, parameters, &error))
    g_debug ("Could not emit %s on %s: %s", signal, path, error->message);
}

/* The table calls this with the entry locked, before the reply of the
 * call that made the change is queued: GDBus sends messages in the order
 * they were queued, so a client sees the signal before its reply. */
void
refmount_daemon_objects_changed (const char *mountpoint,
                                 GVariant   *old_record,
                                 GVariant   *new_record,
                                 gpointer    user_data)
{
  Daemon          *daemon = user_data;
  g_autofree char *path = refmount_daemon_object_path (mountpoint);
  GVariantBuilder  changed;
  gboolean         any = FALSE;

  if (new_record == NULL)
    {
      const char *interfaces[] = { REFMOUNT_MOUNT_INTERFACE, NULL };

      emit (daemon, REFMOUNT_OBJECT_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager", "InterfacesRemoved",
            g_variant_new ("(o^as)", path, interfaces));
      return;
    }
  if (old_record == NULL)
    {
      GVariantBuilder interfaces;

      g_variant_builder_init (&interfaces, G_VARIANT_TYPE ("a{sa{sv}}"));
      g_variant_builder_add (&interfaces, "{s@a{sv}}", REFMOUNT_MOUNT_INTERFACE, mount_properties (new_record));
      emit (daemon, REFMOUNT_OBJECT_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager", "InterfacesAdded",
            g_variant_new ("(o@a{sa{sv}})", path, g_variant_builder_end (&interfaces)));
      return;
    }

  /* Only what changed, batched into one signal, as a skeleton does. */
  g_variant_builder_init (&changed, G_VARIANT_TYPE_VARDICT);
  for (gsize i = 0; i < G_N_ELEMENTS (mount_properties_table); i++)
    {
      gsize                field = mount_properties_table[i].field;
      g_autoptr (GVariant) before = g_variant_get_child_value (old_record, field);
      g_autoptr (GVariant) after = g_variant_get_child_value (new_record, field);
      g_autoptr (GVariant) value = NULL;

      /* Compared in their stored form, so only what changed is converted
       * (an attachment's hidden fields, its flag and bus name, never
       * change on their own). */
      if (g_variant_equal (before, after))
        continue;
      value = property_from_field (new_record, field);
      g_variant_builder_add (&changed, "{sv}", mount_properties_table[i].name, value);
      any = TRUE;
    }
  if (!any)
    {
      g_variant_builder_clear (&changed);
      return;
    }
  emit (daemon, path, "org.freedesktop.DBus.Properties", "PropertiesChanged",
        g_variant_new ("(s@a{sv}@as)", REFMOUNT_MOUNT_INTERFACE, g_variant_builder_end (&changed),
                       g_variant_new_strv (NULL, 0)));
}

gboolean
refmount_daemon_objects_export (Daemon  *daemon,
                                GError **error)
{
  g_autoptr (GDBusNodeInfo) node = g_dbus_node_info_new_for_xml (object_manager_xml, error);

  if (node == NULL)
    return FALSE;
  if (g_dbus_connection_register_object (daemon->connection, REFMOUNT_OBJECT_MANAGER_PATH, node->interfaces[0],
                                         &object_manager_vtable, daemon, NULL, error) == 0)
    return FALSE;
  if (g_dbus_connection_register_subtree (daemon->connection, REFMOUNT_MOUNTS_PATH, &subtree_vtable,
                                          G_DBUS_SUBTREE_FLAGS_DISPATCH_TO_UNENUMERATED_NODES, daemon, NULL,
                                          error) == 0)
    return FALSE;
  return g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (daemon->manager), daemon->connection,
                                           REFMOUNT_MANAGER_PATH, error);
}
