/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The mount objects as a client sees them (helper/refmount-daemon-objects.c,
 * doc/dbus-api.md): the daemon's object code exported on one end of a
 * peer-to-peer connection, serving a table over the fake backend, and a
 * client on the other end.  The server end runs its own main loop on a
 * thread, as the daemon's main loop would, so that the table can change
 * underneath it from yet another thread while the client reads.
 */
#include "config.h"

#include "daemon-fixture.h"
#include "refmount-daemon-private.h"
#include "refmount-names.h"
#include "table-fixture.h"
#include "test-openat2.h"

typedef struct
{
  Fixture          fx;
  Daemon           daemon;
  GDBusConnection *client;
  GMainContext    *server_context;
  GMainLoop       *server_loop;
  GThread         *server_thread;
} ObjectsFixture;

static gpointer
server_thread (gpointer data)
{
  ObjectsFixture *f = data;

  g_main_context_push_thread_default (f->server_context);
  g_main_loop_run (f->server_loop);
  g_main_context_pop_thread_default (f->server_context);
  return NULL;
}

/* The health module is never started here (no probes): its properties
 * are those of mounts not probed yet. */
static RefmountConfig *
default_config (gpointer user_data)
{
  return refmount_config_new_default ();
}

static void
objects_setup (ObjectsFixture *f,
               gconstpointer   data)
{
  g_autoptr (GError) error = NULL;

  fixture_setup (&f->fx, data);
  daemon_fixture_connect (&f->daemon.connection, &f->client);
  f->daemon.table = f->fx.table;
  f->daemon.health = refmount_health_new (default_config, refmount_daemon_objects_health_changed, &f->daemon);
  f->daemon.manager = refmount_dbus_manager_skeleton_new ();

  /* Registrations dispatch on the thread-default context of the caller:
   * the server thread's. */
  f->server_context = g_main_context_new ();
  f->server_loop = g_main_loop_new (f->server_context, FALSE);
  g_main_context_push_thread_default (f->server_context);
  g_assert_true (refmount_daemon_objects_export (&f->daemon, &error));
  g_assert_no_error (error);
  g_main_context_pop_thread_default (f->server_context);
  f->server_thread = g_thread_new ("server", server_thread, f);
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
objects_teardown (ObjectsFixture *f,
                  gconstpointer   data)
{
  g_main_context_invoke (f->server_context, quit_cb, f->server_loop);
  g_thread_join (f->server_thread);
  daemon_fixture_disconnect (&f->daemon.connection, &f->client);
  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (f->daemon.manager));
  g_clear_object (&f->daemon.manager);
  g_clear_pointer (&f->daemon.health, refmount_health_free);
  /* Pending idles of the closed connections hold references. */
  while (g_main_context_iteration (f->server_context, FALSE))
    ;
  g_main_loop_unref (f->server_loop);
  g_main_context_unref (f->server_context);
  fixture_teardown (&f->fx, data);
}

static GVariant *
call (ObjectsFixture *f,
      const char     *path,
      const char     *interface,
      const char     *method,
      GVariant       *parameters,
      GError        **error)
{
  return g_dbus_connection_call_sync (f->client, NULL, path, interface, method, parameters, NULL,
                                      G_DBUS_CALL_FLAGS_NONE, 10000, NULL, error);
}

static GVariant *
get_all (ObjectsFixture *f,
         const char     *path,
         GError        **error)
{
  return call (f, path, "org.freedesktop.DBus.Properties", "GetAll",
               g_variant_new ("(s)", REFMOUNT_MOUNT_INTERFACE), error);
}

static void
assert_unknown_object (GError *error)
{
  g_autofree char *name = NULL;

  g_assert_nonnull (error);
  name = g_dbus_error_get_remote_error (error);
  g_assert_cmpstr (name, ==, "org.freedesktop.DBus.Error.UnknownObject");
}

/* Every way of reaching an object on @path names it as missing. */
static void
assert_no_object (ObjectsFixture *f,
                  const char     *path)
{
  struct
  {
    const char *interface;
    const char *method;
    GVariant   *parameters;
  } calls[] = {
    { "org.freedesktop.DBus.Properties", "Get", g_variant_new ("(ss)", REFMOUNT_MOUNT_INTERFACE, "State") },
    { "org.freedesktop.DBus.Properties", "GetAll", g_variant_new ("(s)", REFMOUNT_MOUNT_INTERFACE) },
    { "org.freedesktop.DBus.Introspectable", "Introspect", NULL },
    { REFMOUNT_MOUNT_INTERFACE, "Frobnicate", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (calls); i++)
    {
      g_autoptr (GError)   error = NULL;
      g_autoptr (GVariant) reply = call (f, path, calls[i].interface, calls[i].method, calls[i].parameters, &error);

      g_test_message ("%s.%s on %s", calls[i].interface, calls[i].method, path);
      g_assert_null (reply);
      assert_unknown_object (error);
    }
}

static void
test_unknown_object (ObjectsFixture *f,
                     gconstpointer   data)
{
  g_autofree char   *mountpoint = mp (&f->fx, "gone-soon");
  g_autofree char   *path = refmount_daemon_object_path (mountpoint);
  g_autoptr (GError) error = NULL;
  gboolean           unmounted = FALSE;

  /* Never there. */
  assert_no_object (f, path);

  /* There, then gone. */
  g_assert_true (attach (&f->fx, mountpoint, "a", &error));
  g_assert_no_error (error);
  {
    g_autoptr (GVariant) reply = get_all (f, path, &error);
    g_assert_no_error (error);
  }
  g_assert_true (detach (&f->fx, mountpoint, "a", &unmounted, &error));
  g_assert_no_error (error);
  g_assert_true (unmounted);
  assert_no_object (f, path);
}

/* g_dbus_unescape_object_path() takes upper-case hex too; only the
 * lower-case spelling g_dbus_escape_object_path() writes is signalled,
 * so only that one may answer. */
static void
test_canonical_path (ObjectsFixture *f,
                     gconstpointer   data)
{
  g_autofree char   *mountpoint = mp (&f->fx, "canonical-path");
  g_autofree char   *path = refmount_daemon_object_path (mountpoint);
  g_autofree char   *upper = g_strdup (path);
  g_autofree char   *below = g_strconcat (path, "/child", NULL);
  g_autoptr (GError) error = NULL;
  gboolean           changed = FALSE;

  /* "-" escapes to "_2d": spell its hex digit "d" as "D". */
  for (char *p = upper + strlen (REFMOUNT_MOUNTS_PATH); *p != '\0'; p++)
    if (p[0] == '_' && g_ascii_isxdigit (p[1]) && p[2] >= 'a' && p[2] <= 'f')
      {
        p[2] = g_ascii_toupper (p[2]);
        changed = TRUE;
      }
  g_assert_true (changed);

  g_assert_true (attach (&f->fx, mountpoint, "a", &error));
  g_assert_no_error (error);
  {
    g_autoptr (GVariant) reply = get_all (f, path, &error);
    g_assert_no_error (error);
  }
  assert_no_object (f, upper);
  assert_no_object (f, below);
}

/* ---- GetAll is one snapshot --------------------------------------------- */

typedef struct
{
  ObjectsFixture *f;
  const char     *mountpoint;
  gint            stop; /* atomic */
} Changer;

/* The record flips between (mounted, [a]) and (busy, []): the last
 * detach finds the filesystem busy, the next attach reuses it. */
static gpointer
changer_thread (gpointer data)
{
  Changer *changer = data;
  Fixture *fx = &changer->f->fx;

  while (!g_atomic_int_get (&changer->stop))
    {
      g_autoptr (GError) error = NULL;
      gboolean           unmounted = TRUE;

      g_assert_true (attach (fx, changer->mountpoint, "a", &error));
      g_assert_no_error (error);
      g_mutex_lock (&fx->fake->lock);
      fx->fake->busy_umounts = 1;
      g_mutex_unlock (&fx->fake->lock);
      g_assert_true (detach (fx, changer->mountpoint, "a", &unmounted, &error));
      g_assert_no_error (error);
      g_assert_false (unmounted);
    }
  return NULL;
}

static void
test_get_all_snapshot (ObjectsFixture *f,
                       gconstpointer   data)
{
  g_autofree char   *mountpoint = mp (&f->fx, "snapshot");
  g_autofree char   *path = refmount_daemon_object_path (mountpoint);
  Changer            changer = { f, mountpoint, 0 };
  g_autoptr (GError) error = NULL;
  gboolean           unmounted = TRUE;
  GThread           *thread;
  guint              reads = 0, mixed = 0;

  /* Each read has a window of a few µs in which a change can fall; the
   * old code mixed about one reply in a thousand. */
  g_assert_true (attach (&f->fx, mountpoint, "first", &error));
  g_assert_no_error (error);
  g_mutex_lock (&f->fx.fake->lock);
  f->fx.fake->busy_umounts = 1;
  g_mutex_unlock (&f->fx.fake->lock);
  g_assert_true (detach (&f->fx, mountpoint, "first", &unmounted, &error));
  g_assert_no_error (error);
  thread = g_thread_new ("changer", changer_thread, &changer);
  while (reads < 8000)
    {
      g_autoptr (GVariant) reply = get_all (f, path, &error);
      g_autoptr (GVariant) props = NULL;
      g_autoptr (GVariant) attachments = NULL;
      const char          *state = NULL;

      g_assert_no_error (error);
      reads++;
      props = g_variant_get_child_value (reply, 0);
      g_assert_cmpuint (g_variant_n_children (props), ==, 11); /* 7 from the record, 4 from the health module */
      g_assert_true (g_variant_lookup (props, "State", "&s", &state));
      attachments = g_variant_lookup_value (props, "Attachments", G_VARIANT_TYPE ("a(sut)"));
      g_assert_nonnull (attachments);
      if (g_str_equal (state, REFMOUNT_STATE_MOUNTED) != (g_variant_n_children (attachments) == 1))
        mixed++;
    }
  g_atomic_int_set (&changer.stop, 1);
  g_thread_join (thread);
  g_test_message ("%u of %u GetAll replies mixed two records", mixed, reads);
  g_assert_cmpuint (mixed, ==, 0);
}

/* ---- const properties ---------------------------------------------------- */

typedef struct
{
  GPtrArray *signals; /* "Member" names, in order */
} Recorder;

static void
record_signal (GDBusConnection *connection,
               const char      *sender,
               const char      *object_path,
               const char      *interface,
               const char      *signal,
               GVariant        *parameters,
               gpointer         user_data)
{
  Recorder *recorder = user_data;

  g_ptr_array_add (recorder->signals, g_strdup (signal));
}

static GVariant *
make_record (const char        *mountpoint,
             const char        *source,
             RefmountMountState state)
{
  g_autoptr (RefmountRecord) record = refmount_record_new ();

  record->mountpoint = g_strdup (mountpoint);
  record->source = g_strdup (source);
  record->fstype = g_strdup ("tmpfs");
  record->state = state;
  record->mounted_at = 1;
  return g_variant_ref_sink (refmount_record_to_variant (record));
}

/* Signals the client has received by now: a round trip to the server
 * ends after every signal sent before it, and each has then been queued
 * to this thread's context. */
static void
collect_signals (ObjectsFixture *f)
{
  g_autoptr (GVariant) reply = call (f, REFMOUNT_OBJECT_MANAGER_PATH, "org.freedesktop.DBus.Peer", "Ping",
                                     NULL, NULL);

  g_assert_nonnull (reply);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* A client may keep a const property for an object's whole life: if one
 * ever changed, the object must be announced as a new one, never with
 * PropertiesChanged. */
static void
test_const_properties (ObjectsFixture *f,
                       gconstpointer   data)
{
  g_autofree char     *mountpoint = mp (&f->fx, "const");
  g_autoptr (GVariant) first = make_record (mountpoint, "src-1", REFMOUNT_MOUNT_STATE_MOUNTED);
  g_autoptr (GVariant) busy = make_record (mountpoint, "src-1", REFMOUNT_MOUNT_STATE_BUSY);
  g_autoptr (GVariant) other = make_record (mountpoint, "src-2", REFMOUNT_MOUNT_STATE_BUSY);
  Recorder             recorder = { g_ptr_array_new_with_free_func (g_free) };
  guint                sub;

  sub = g_dbus_connection_signal_subscribe (f->client, NULL, NULL, NULL, NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                            record_signal, &recorder, NULL);

  /* A changing property: PropertiesChanged. */
  refmount_daemon_objects_changed (mountpoint, first, busy, &f->daemon);
  collect_signals (f);
  g_assert_cmpuint (recorder.signals->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (recorder.signals, 0), ==, "PropertiesChanged");

  /* Another source on the same mountpoint: another object. */
  refmount_daemon_objects_changed (mountpoint, busy, other, &f->daemon);
  collect_signals (f);
  g_assert_cmpuint (recorder.signals->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (recorder.signals, 1), ==, "InterfacesRemoved");
  g_assert_cmpstr (g_ptr_array_index (recorder.signals, 2), ==, "InterfacesAdded");

  g_dbus_connection_signal_unsubscribe (f->client, sub);
  g_ptr_array_unref (recorder.signals);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  test_require_openat2 ();
#define ADD_OBJECTS(name, func) \
  g_test_add (name, ObjectsFixture, NULL, objects_setup, func, objects_teardown)
  ADD_OBJECTS ("/daemon-objects/unknown-object", test_unknown_object);
  ADD_OBJECTS ("/daemon-objects/canonical-path", test_canonical_path);
  ADD_OBJECTS ("/daemon-objects/get-all-snapshot", test_get_all_snapshot);
  ADD_OBJECTS ("/daemon-objects/const-properties", test_const_properties);
  return g_test_run ();
}
