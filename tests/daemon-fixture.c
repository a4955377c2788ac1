/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <sys/socket.h>

#include "daemon-fixture.h"

static GDBusConnection *
connection_on_socket (int fd)
{
  g_autoptr (GError)            error = NULL;
  g_autoptr (GSocket)           socket = g_socket_new_from_fd (fd, &error);
  g_autoptr (GSocketConnection) stream = NULL;
  GDBusConnection              *connection;

  g_assert_no_error (error);
  stream = g_socket_connection_factory_create_connection (socket);
  connection = g_dbus_connection_new_sync (G_IO_STREAM (stream), NULL, G_DBUS_CONNECTION_FLAGS_NONE,
                                           NULL, NULL, &error);
  g_assert_no_error (error);
  return connection;
}

void
daemon_fixture_connect (GDBusConnection **daemon_end,
                        GDBusConnection **other_end)
{
  int fds[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
  *daemon_end = connection_on_socket (fds[0]);
  *other_end = connection_on_socket (fds[1]);
}

static void
disconnect (GDBusConnection **connection)
{
  if (*connection != NULL)
    g_dbus_connection_close_sync (*connection, NULL, NULL);
  g_clear_object (connection);
}

void
daemon_fixture_disconnect (GDBusConnection **daemon_end,
                           GDBusConnection **other_end)
{
  disconnect (other_end);
  disconnect (daemon_end);
}
