#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""What a file manager learns about mounts through GIO, for refmount's tests.

  refmount-gio-mounts.py watch --log FILE --ready-file FILE [--prefix DIR]
      Run Gio.UnixMountMonitor (as GVfs does) and, at start and on every
      "mounts-changed", append one JSON line to FILE: the mounts beneath
      DIR from Gio.unix_mounts_get(), each with its options and, where
      they say so, "show" (x-gvfs-show) and "name" (x-gvfs-name=, URI
      unescaped as GVfs does).  Writes "ready" to --ready-file once the
      monitor is set up.  Runs until SIGTERM.
  refmount-gio-mounts.py list [--prefix DIR]
      Print that JSON line once.
"""
import argparse
import json
import signal
import sys

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402


def snapshot(prefix):
    mounts, _ = Gio.unix_mounts_get()
    out = []
    for m in mounts:
        path = Gio.unix_mount_get_mount_path(m)
        if prefix and not path.startswith(prefix):
            continue
        options = Gio.unix_mount_get_options(m) or ""
        entry = {"path": path, "fstype": Gio.unix_mount_get_fs_type(m),
                 "source": Gio.unix_mount_get_device_path(m), "options": options,
                 "show": False, "name": None}
        for opt in options.split(","):
            if opt == "x-gvfs-show":
                entry["show"] = True
            elif opt.startswith("x-gvfs-name="):
                entry["name"] = GLib.Uri.unescape_string(opt[len("x-gvfs-name="):], None)
        out.append(entry)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["watch", "list"])
    parser.add_argument("--prefix", default="")
    parser.add_argument("--log")
    parser.add_argument("--ready-file")
    args = parser.parse_args()

    if args.command == "list":
        print(json.dumps(snapshot(args.prefix)))
        return
    if not args.log:
        parser.error("watch needs --log")

    def log(reason):
        with open(args.log, "a", encoding="utf-8") as f:
            f.write(json.dumps({"event": reason, "mounts": snapshot(args.prefix)}) + "\n")

    monitor = Gio.UnixMountMonitor.get()
    monitor.connect("mounts-changed", lambda m: log("mounts-changed"))
    log("start")
    if args.ready_file:
        with open(args.ready_file, "w", encoding="ascii") as f:
            f.write("ready\n")
    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    loop.run()


if __name__ == "__main__":
    sys.exit(main())
