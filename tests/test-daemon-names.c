/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * refmount_daemon_name_alive(): whether the client that made a
 * release-on-exit attachment is still connected.  The daemon asks the
 * bus (NameHasOwner); here the "bus" is a peer-to-peer connection whose
 * far end answers NameHasOwner itself, so each answer — yes, no, an
 * error, no bus at all — can be produced on demand without a bus daemon.
 * The rule under test: an attachment is dropped only when the bus says
 * its client is gone, never when the bus cannot answer.
 */
#include "config.h"

#include "daemon-fixture.h"
#include "refmount-daemon-private.h"
#include "refmount-names.h"
#include "table-fixture.h"
#include "test-openat2.h"

#define ALIVE  ":1.10"
#define GONE   ":1.11"
#define BROKEN ":1.12" /* the bus answers with an error */

typedef struct
{
  Fixture          fx;
  GDBusConnection *bus; /* the far end, playing org.freedesktop.DBus */
  Daemon           daemon;
  guint            questions;
} BusFixture;

/* Runs on the far end's GDBus worker thread, so it answers while the
 * test's thread is blocked in the synchronous call. */
static GDBusMessage *
bus_filter (GDBusConnection *connection,
            GDBusMessage    *message,
            gboolean         incoming,
            gpointer         user_data)
{
  BusFixture              *f = user_data;
  g_autoptr (GDBusMessage) reply = NULL;
  const char              *name;

  if (!incoming || g_dbus_message_get_message_type (message) != G_DBUS_MESSAGE_TYPE_METHOD_CALL)
    return message;
  g_assert_cmpstr (g_dbus_message_get_member (message), ==, "NameHasOwner");
  g_assert_cmpstr (g_dbus_message_get_interface (message), ==, "org.freedesktop.DBus");
  g_variant_get (g_dbus_message_get_body (message), "(&s)", &name);
  g_atomic_int_inc (&f->questions);
  if (g_str_equal (name, BROKEN))
    reply = g_dbus_message_new_method_error (message, "org.freedesktop.DBus.Error.LimitsExceeded",
                                             "too many questions");
  else
    {
      reply = g_dbus_message_new_method_reply (message);
      g_dbus_message_set_body (reply, g_variant_new ("(b)", g_str_equal (name, ALIVE)));
    }
  g_dbus_connection_send_message (connection, reply, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, NULL);
  g_object_unref (message);
  return NULL;
}

static void
bus_setup (BusFixture   *f,
           gconstpointer data)
{
  fixture_setup (&f->fx, data);
  daemon_fixture_connect (&f->daemon.connection, &f->bus);
  g_dbus_connection_add_filter (f->bus, bus_filter, f, NULL);
}

static void
bus_teardown (BusFixture   *f,
              gconstpointer data)
{
  daemon_fixture_disconnect (&f->daemon.connection, &f->bus);
  fixture_teardown (&f->fx, data);
}

/* The far end goes away: every question now fails. */
static void
bus_disconnect (BusFixture *f)
{
  g_assert_true (g_dbus_connection_close_sync (f->bus, NULL, NULL));
  g_clear_object (&f->bus);
}

static void
test_answers (BusFixture   *f,
              gconstpointer data)
{
  g_assert_true (refmount_daemon_name_alive (ALIVE, &f->daemon));
  g_assert_false (refmount_daemon_name_alive (GONE, &f->daemon));
  g_assert_cmpuint (f->questions, ==, 2);

  /* No name (an attachment recorded without one) is never alive, and
   * costs no question. */
  g_assert_false (refmount_daemon_name_alive ("", &f->daemon));
  g_assert_false (refmount_daemon_name_alive (NULL, &f->daemon));
  g_assert_cmpuint (f->questions, ==, 2);
}

/* Doubt keeps the attachment: an error reply, or no bus at all. */
static void
test_no_answer_is_alive (BusFixture   *f,
                         gconstpointer data)
{
  g_assert_true (refmount_daemon_name_alive (BROKEN, &f->daemon));
  g_assert_cmpuint (f->questions, ==, 1);

  /* A client the bus would have called gone stays too once the bus
   * cannot be asked. */
  bus_disconnect (f);
  g_assert_true (refmount_daemon_name_alive (GONE, &f->daemon));
  g_assert_true (refmount_daemon_name_alive (ALIVE, &f->daemon));
}

static void
attach_roe (BusFixture *f,
            const char *mountpoint,
            const char *attachment,
            const char *bus_name)
{
  g_autoptr (GError)    error = NULL;
  RefmountAttachRequest request = { "tmpfs", "src", mountpoint, NULL, attachment, 1000, 1, TRUE, bus_name };

  g_assert_true (refmount_table_attach (f->fx.table, f->fx.config, &request, &error));
  g_assert_no_error (error);
}

/* Start-up with the daemon's own check: release-on-exit attachments of
 * clients that still hold their connection across the restart. */
static void
restart_with_bus (BusFixture *f)
{
  g_autoptr (GError) error = NULL;

  refmount_table_free (f->fx.table);
  f->fx.table = refmount_table_new (&f->fx.fake->parent, f->fx.state_dir, f->fx.context, NULL, NULL);
  g_assert_true (refmount_table_start (f->fx.table, f->fx.config, refmount_daemon_name_alive, &f->daemon, &error));
  g_assert_no_error (error);
}

static char *
attachment_ids (BusFixture *f,
                const char *mountpoint)
{
  g_autoptr (RefmountRecord) record = refmount_table_get_record (f->fx.table, mountpoint);
  g_autoptr (GString)        ids = g_string_new (NULL);

  for (guint i = 0; record != NULL && i < record->attachments->len; i++)
    {
      RefmountAttachment *a = g_ptr_array_index (record->attachments, i);

      g_string_append_printf (ids, "%s%s", ids->len > 0 ? " " : "", a->id);
    }
  return g_string_free (g_steal_pointer (&ids), FALSE);
}

static void
test_start_drops_only_gone (BusFixture   *f,
                            gconstpointer data)
{
  g_autofree char *m = mp (&f->fx, "roe");
  g_autofree char *only_gone = mp (&f->fx, "only-gone");
  g_autofree char *ids = NULL;

  attach_roe (f, m, "alive", ALIVE);
  attach_roe (f, m, "gone", GONE);
  attach_roe (f, m, "gone-too", GONE);
  attach_roe (f, m, "broken", BROKEN);
  attach_roe (f, only_gone, "gone", GONE);

  restart_with_bus (f);
  ids = attachment_ids (f, m);
  g_assert_cmpstr (ids, ==, "alive broken");
  /* One question per client, not per attachment. */
  g_assert_cmpuint (f->questions, ==, 3);
  /* Nothing held it any more: unmounting is under way. */
  g_assert_cmpuint (n_attachments (&f->fx, only_gone), ==, 0);
}

/* The bus is down while the daemon starts: nobody's attachment goes. */
static void
test_start_without_bus_keeps_all (BusFixture   *f,
                                  gconstpointer data)
{
  g_autofree char *m = mp (&f->fx, "roe");
  g_autofree char *ids = NULL;
  g_autofree char *state = NULL;

  attach_roe (f, m, "alive", ALIVE);
  attach_roe (f, m, "gone", GONE);
  bus_disconnect (f);

  restart_with_bus (f);
  ids = attachment_ids (f, m);
  g_assert_cmpstr (ids, ==, "alive gone");
  state = record_state (&f->fx, m);
  g_assert_cmpstr (state, ==, REFMOUNT_STATE_MOUNTED);
  g_assert_true (fake_backend_is_mounted (f->fx.fake, m));
}

#define ADD_BUS(path, func) \
  g_test_add (path, BusFixture, NULL, bus_setup, func, bus_teardown)

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  test_require_openat2 ();

  ADD_BUS ("/daemon/name-alive/answers", test_answers);
  ADD_BUS ("/daemon/name-alive/no-answer-is-alive", test_no_answer_is_alive);
  ADD_BUS ("/daemon/name-alive/start-drops-only-gone", test_start_drops_only_gone);
  ADD_BUS ("/daemon/name-alive/start-without-bus-keeps-all", test_start_without_bus_keeps_all);

  return g_test_run ();
}
