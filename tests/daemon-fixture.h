/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The daemon's D-Bus connection in unit tests (test-daemon-names,
 * test-daemon-objects): one end of a peer-to-peer connection over a
 * socketpair, the other end played by the test (the bus itself, or a
 * client).  No bus daemon, no authentication: both ends are ours, and
 * neither side blocks on a handshake the other would have to answer from
 * the same thread.
 */
void daemon_fixture_connect (GDBusConnection **daemon_end,
                             GDBusConnection **other_end);
/* Close and drop both ends; either may be closed and dropped already. */
void daemon_fixture_disconnect (GDBusConnection **daemon_end,
                                GDBusConnection **other_end);

G_END_DECLS
