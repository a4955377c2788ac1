/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The mount objects and the ObjectManager (doc/design.md "API",
 * doc/dbus-api.md).
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

/* REFMOUNT_MOUNTS_PATH/<g_dbus_escape_object_path (mountpoint)>, the
 * only path of a mount object (doc/dbus-api.md "Names"). */
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

/* The Mount interface's properties and the record field each comes from. */
static const struct
{
  const char         *name;
  RefmountRecordField field;
  gboolean            constant; /* EmitsChangedSignal=const in the XML */
} mount_properties_table[] = {
  { "Mountpoint", REFMOUNT_RECORD_FIELD_MOUNTPOINT, TRUE },
  { "Source", REFMOUNT_RECORD_FIELD_SOURCE, TRUE },
  { "FilesystemType", REFMOUNT_RECORD_FIELD_FSTYPE, TRUE },
  { "Options", REFMOUNT_RECORD_FIELD_OPTIONS, TRUE },
  { "State", REFMOUNT_RECORD_FIELD_STATE, FALSE },
  { "Attachments", REFMOUNT_RECORD_FIELD_ATTACHMENTS, FALSE },
  { "MountedAt", REFMOUNT_RECORD_FIELD_MOUNTED_AT, FALSE },
};

/* The value of the property taken from @field of @record. */
static GVariant *
property_from_field (GVariant           *record,
                     RefmountRecordField field)
{
  g_autoptr (GVariant) value = refmount_record_variant_get_field (record, field);
  GVariantBuilder      builder;
  GVariantIter         iter;
  const char          *id;
  guint32              uid;
  guint64              attached_at;

  if (field != REFMOUNT_RECORD_FIELD_ATTACHMENTS)
    return g_steal_pointer (&value);

  /* The persisted attachments also carry release-on-exit and the bus
   * name, which are not part of the API. */
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(sut)"));
  g_variant_iter_init (&iter, value);
  while (g_variant_iter_next (&iter, "(&sutb&s)", &id, &uid, &attached_at, NULL, NULL))
    g_variant_builder_add (&builder, "(sut)", id, uid, attached_at);
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

/* Health, HealthCheckedAt, HealthMessage and Usage are not in the record
 * (they are not persisted): the health module has them. */
static GVariant *
mount_property (Daemon     *daemon,
                GVariant   *record,
                const char *name)
{
  g_autoptr (GVariant) health = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (mount_properties_table); i++)
    if (g_str_equal (name, mount_properties_table[i].name))
      return property_from_field (record, mount_properties_table[i].field);
  health = g_variant_ref_sink (
    refmount_health_properties (daemon->health, refmount_record_variant_get_mountpoint (record)));
  return g_variant_lookup_value (health, name, NULL);
}

static GVariant *
mount_properties (Daemon   *daemon,
                  GVariant *record)
{
  g_autoptr (GVariant) health = g_variant_ref_sink (
    refmount_health_properties (daemon->health, refmount_record_variant_get_mountpoint (record)));
  GVariantBuilder builder;
  GVariantIter    iter;
  const char     *key;
  GVariant       *value;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  for (gsize i = 0; i < G_N_ELEMENTS (mount_properties_table); i++)
    {
      g_autoptr (GVariant) field = property_from_field (record, mount_properties_table[i].field);
      g_variant_builder_add (&builder, "{sv}", mount_properties_table[i].name, field);
    }
  g_variant_iter_init (&iter, health);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_variant_builder_add (&builder, "{sv}", key, value);
      g_variant_unref (value);
    }
  return g_variant_builder_end (&builder);
}

static char *
record_object_path (GVariant *record)
{
  return refmount_daemon_object_path (refmount_record_variant_get_mountpoint (record));
}

/* The mountpoint whose object node @node is, or NULL.  Only the
 * spelling refmount_daemon_object_path() produces counts: unescaping
 * also takes upper-case hex (and "_2F" for "/"), but those paths are
 * never signalled, so a client must not find an object there either. */
static char *
node_mountpoint (const char *node)
{
  /* Unescaping yields bytes; a mountpoint never contains NUL. */
  g_autofree char *mountpoint = (char *) g_dbus_unescape_object_path (node);
  g_autofree char *canonical = NULL;

  if (mountpoint == NULL)
    return NULL;
  canonical = g_dbus_escape_object_path (mountpoint);
  if (!g_str_equal (canonical, node))
    return NULL;
  return g_steal_pointer (&mountpoint);
}

/* The record behind the mount object at @object_path; NULL if there is
 * none (any more).  Any thread: the table hands out published records
 * under its own lock, each one immutable. */
static GVariant *
lookup_object (Daemon     *daemon,
               const char *object_path)
{
  const char      *node;
  g_autofree char *mountpoint = NULL;

  if (!g_str_has_prefix (object_path, REFMOUNT_MOUNTS_PATH "/"))
    return NULL;
  node = object_path + strlen (REFMOUNT_MOUNTS_PATH "/");
  if (strchr (node, '/') != NULL)
    return NULL;
  mountpoint = node_mountpoint (node);
  if (mountpoint == NULL)
    return NULL;
  return refmount_table_lookup_published (daemon->table, mountpoint);
}

/* ---- paths that name no mount object (GDBus worker thread) ------------- */

/* Answers every call on a path beneath REFMOUNT_MOUNTS_PATH that names no
 * mount object with UnknownObject, whatever its interface.  GDBus would
 * pass such a call to the subtree, which can only decline it, and then
 * answer "Method … does not exist": a client could not tell a vanished
 * mount from a typo in a method name.  Calls on live objects go on to
 * the subtree; one whose object vanishes on the way is answered there. */
static GDBusMessage *
mount_paths_filter (GDBusConnection *connection,
                    GDBusMessage    *message,
                    gboolean         incoming,
                    gpointer         user_data)
{
  const char              *path;
  g_autoptr (GVariant)     record = NULL;
  g_autoptr (GDBusMessage) reply = NULL;

  if (!incoming || g_dbus_message_get_message_type (message) != G_DBUS_MESSAGE_TYPE_METHOD_CALL)
    return message;
  path = g_dbus_message_get_path (message);
  if (path == NULL || !g_str_has_prefix (path, REFMOUNT_MOUNTS_PATH "/"))
    return message;
  record = lookup_object (user_data, path);
  if (record != NULL)
    return message;

  if (!(g_dbus_message_get_flags (message) & G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED))
    {
      reply = g_dbus_message_new_method_error (message, "org.freedesktop.DBus.Error.UnknownObject",
                                               "No mount object at '%s'", path);
      g_dbus_connection_send_message (connection, reply, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, NULL);
    }
  g_object_unref (message);
  return NULL;
}

/* ---- the subtree of mount objects (main thread) ------------------------- */

/* org.freedesktop.DBus.Properties on a mount object.  GDBus would build
 * GetAll from one get_property call per property, each looking the
 * record up again, so a change in between gave a reply mixing two
 * records (State "busy" with an attachment).  Without a get_property
 * function, GDBus passes Get and GetAll here (after checking the
 * interface and property names), and both read one record.  The object
 * may have gone since the filter let the call through. */
static void
mount_method_call (GDBusConnection       *connection,
                   const char            *sender,
                   const char            *object_path,
                   const char            *interface_name,
                   const char            *method_name,
                   GVariant              *parameters,
                   GDBusMethodInvocation *invocation,
                   gpointer               user_data)
{
  g_autoptr (GVariant)     record = lookup_object (user_data, object_path);
  const GDBusPropertyInfo *property;

  if (record == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT,
                                             "No mount object at '%s'", object_path);
      return;
    }
  if (g_str_equal (interface_name, "org.freedesktop.DBus.Properties") && g_str_equal (method_name, "GetAll"))
    {
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(@a{sv})", mount_properties (user_data, record)));
      return;
    }
  property = g_dbus_method_invocation_get_property_info (invocation);
  if (g_str_equal (interface_name, "org.freedesktop.DBus.Properties") && g_str_equal (method_name, "Get") &&
      property != NULL)
    {
      g_autoptr (GVariant) value = mount_property (user_data, record, property->name);

      if (value != NULL)
        {
          g_dbus_method_invocation_return_value (invocation, g_variant_new ("(v)", value));
          return;
        }
    }
  /* Set never gets here: every property is read-only, which GDBus checks. */
  g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                         "No method '%s.%s' on mount objects", interface_name, method_name);
}

static const GDBusInterfaceVTable mount_vtable = {
  .method_call = mount_method_call,
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
      const char *mountpoint = refmount_record_variant_get_mountpoint (g_ptr_array_index (records, i));

      g_ptr_array_add (nodes, g_dbus_escape_object_path (mountpoint));
    }
  g_ptr_array_add (nodes, NULL);
  return (char **) g_ptr_array_free (nodes, FALSE);
}

/* The filter has let only calls on live objects through, so any
 * canonical node has the Mount interface here; not looking the record
 * up again means an object that vanished in between still reaches
 * mount_method_call(), which says so, instead of GDBus's UnknownMethod. */
static GDBusInterfaceInfo **
subtree_introspect (GDBusConnection *connection,
                    const char      *sender,
                    const char      *object_path,
                    const char      *node,
                    gpointer         user_data)
{
  g_autofree char     *mountpoint = NULL;
  GDBusInterfaceInfo **infos;

  if (node == NULL)
    return NULL;
  mountpoint = node_mountpoint (node);
  if (mountpoint == NULL)
    return NULL;
  infos = g_new0 (GDBusInterfaceInfo *, 2);
  infos[0] = g_dbus_interface_info_ref (refmount_dbus_mount_interface_info ());
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
  if (node == NULL || g_strcmp0 (interface_name, REFMOUNT_MOUNT_INTERFACE) != 0)
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
      g_variant_builder_add (&interfaces, "{s@a{sv}}", REFMOUNT_MOUNT_INTERFACE, mount_properties (daemon, record));
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

static void
emit_removed (Daemon     *daemon,
              const char *path)
{
  const char *interfaces[] = { REFMOUNT_MOUNT_INTERFACE, NULL };

  emit (daemon, REFMOUNT_OBJECT_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager", "InterfacesRemoved",
        g_variant_new ("(o^as)", path, interfaces));
}

static void
emit_added (Daemon     *daemon,
            const char *path,
            GVariant   *record)
{
  GVariantBuilder interfaces;

  g_variant_builder_init (&interfaces, G_VARIANT_TYPE ("a{sa{sv}}"));
  g_variant_builder_add (&interfaces, "{s@a{sv}}", REFMOUNT_MOUNT_INTERFACE, mount_properties (daemon, record));
  emit (daemon, REFMOUNT_OBJECT_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager", "InterfacesAdded",
        g_variant_new ("(o@a{sa{sv}})", path, g_variant_builder_end (&interfaces)));
}

static gboolean
constant_fields_equal (GVariant *a,
                       GVariant *b)
{
  for (gsize i = 0; i < G_N_ELEMENTS (mount_properties_table); i++)
    {
      g_autoptr (GVariant) in_a = NULL;
      g_autoptr (GVariant) in_b = NULL;

      if (!mount_properties_table[i].constant)
        continue;
      in_a = refmount_record_variant_get_field (a, mount_properties_table[i].field);
      in_b = refmount_record_variant_get_field (b, mount_properties_table[i].field);
      if (!g_variant_equal (in_a, in_b))
        return FALSE;
    }
  return TRUE;
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

  /* First, so that InterfacesAdded carries the health properties. */
  refmount_health_track (daemon->health, mountpoint, new_record);
  /* A client may cache a const property for the object's life, so an
   * object whose constant part changed is a new object.  The table never
   * does that today (source, type and options are fixed when a record is
   * created); this keeps the promise if it ever did. */
  if (old_record != NULL && new_record != NULL && !constant_fields_equal (old_record, new_record))
    {
      emit_removed (daemon, path);
      emit_added (daemon, path, new_record);
      return;
    }
  if (new_record == NULL)
    {
      emit_removed (daemon, path);
      return;
    }
  if (old_record == NULL)
    {
      emit_added (daemon, path, new_record);
      return;
    }

  /* Only what changed, batched into one signal, as a skeleton does. */
  g_variant_builder_init (&changed, G_VARIANT_TYPE_VARDICT);
  for (gsize i = 0; i < G_N_ELEMENTS (mount_properties_table); i++)
    {
      RefmountRecordField  field = mount_properties_table[i].field;
      g_autoptr (GVariant) before = refmount_record_variant_get_field (old_record, field);
      g_autoptr (GVariant) after = refmount_record_variant_get_field (new_record, field);
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

void
refmount_daemon_objects_health_changed (const char *mountpoint,
                                        GVariant   *changed,
                                        gpointer    user_data)
{
  Daemon          *daemon = user_data;
  g_autofree char *path = refmount_daemon_object_path (mountpoint);

  emit (daemon, path, "org.freedesktop.DBus.Properties", "PropertiesChanged",
        g_variant_new ("(s@a{sv}@as)", REFMOUNT_MOUNT_INTERFACE, changed, g_variant_new_strv (NULL, 0)));
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
  g_dbus_connection_add_filter (daemon->connection, mount_paths_filter, daemon, NULL);
  return g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (daemon->manager), daemon->connection,
                                           REFMOUNT_MANAGER_PATH, error);
}
