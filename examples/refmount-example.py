#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Mount, list, watch and unmount through librefmount-1 (Refmount-1.0).

Usage: refmount-example.py FSTYPE SOURCE MOUNTPOINT [OPTION...]
(an empty MOUNTPOINT lets refmountd derive one).  Prints what it sees and
exits once the mount it made is gone; tests/integration/test-examples.sh
runs it against the real daemon.
"""
import sys

import gi

gi.require_version("Refmount", "1.0")
from gi.repository import GLib, Refmount  # noqa: E402  (after require_version)

fstype, source, mountpoint, *options = sys.argv[1:]
loop = GLib.MainLoop()
client = Refmount.Client.new_sync(None)


def on_attachment_added(client, mount, attachment):
    if attachment.get_id() != "example":
        return
    print("attached", mount.get_mountpoint(), attachment.get_id())
    for m in client.get_mounts():
        ids = " ".join(a.get_id() for a in m.get_attachments())
        print("mount", m.get_mountpoint(), m.get_filesystem_type(), m.get_state().value_nick, ids)
    client.unmount_sync(mount.get_mountpoint(), "example", Refmount.MountFlags.NONE, None)


def on_mount_removed(client, mount):
    print("removed", mount.get_mountpoint())
    loop.quit()


client.connect("attachment-added", on_attachment_added)
client.connect("mount-removed", on_mount_removed)
try:
    used = client.mount_sync(fstype, source, mountpoint or None, options, "example",
                             Refmount.MountFlags.RELEASE_ON_EXIT, None)
except GLib.Error as e:
    if e.matches(Refmount.error_quark(), Refmount.Error.NOT_AUTHORIZED):
        sys.exit(f"not authorized: {e.message}")
    sys.exit(f"mount failed: {e.message}")
print("mounted", used)
loop.run()
