#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A polkit authentication agent for refmount's tests.

It registers with the real polkitd as an agent, as a desktop shell's agent
does, for one process (--process PID) or for its own login session
(--session), and logs every BeginAuthentication polkitd sends it as one JSON
line (action id, the message as polkitd prepared it -- placeholders filled
in and translated for --locale --, the details, the identities offered).
Then it answers:

  --answer dismiss    as a user closing the dialog: the Cancelled error,
                      which polkitd reports as polkit.dismissed
  --answer password   with the password read from --password-file, through
                      polkit-agent-helper-1 (PolkitAgent.Session, PAM), for
                      the first identity offered or the one named by
                      --identity USER

When it is registered it writes "ready\\n" to --ready-file (a FIFO or a
file), so a test can start its client only then.  It runs until SIGTERM.
"""
import argparse
import json
import os
import signal
import sys

import gi

gi.require_version("Polkit", "1.0")
gi.require_version("PolkitAgent", "1.0")
from gi.repository import Gio, GLib, Polkit, PolkitAgent  # noqa: E402

AGENT_PATH = "/org/refmount/TestAgent"
AGENT_XML = """
<node>
  <interface name="org.freedesktop.PolicyKit1.AuthenticationAgent">
    <method name="BeginAuthentication">
      <arg type="s" name="action_id" direction="in"/>
      <arg type="s" name="message" direction="in"/>
      <arg type="s" name="icon_name" direction="in"/>
      <arg type="a{ss}" name="details" direction="in"/>
      <arg type="s" name="cookie" direction="in"/>
      <arg type="a(sa{sv})" name="identities" direction="in"/>
    </method>
    <method name="CancelAuthentication">
      <arg type="s" name="cookie" direction="in"/>
    </method>
  </interface>
</node>
"""
CANCELLED = "org.freedesktop.PolicyKit1.Error.Cancelled"
FAILED = "org.freedesktop.PolicyKit1.Error.Failed"


def start_time_of(pid):
    # Field 22 of /proc/PID/stat, after the parenthesised command name.
    with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


def identity_from_variant(kind, fields):
    if kind == "unix-user":
        return Polkit.UnixUser.new(fields["uid"])
    if kind == "unix-group":
        return Polkit.UnixGroup.new(fields["gid"])
    return None


class Agent:
    def __init__(self, args):
        self.args = args
        self.sessions = {}
        self.password = None
        if args.answer == "password":
            with open(args.password_file, encoding="utf-8") as f:
                self.password = f.read().rstrip("\n")

    def log(self, record):
        with open(self.args.log, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")

    def on_call(self, conn, sender, path, iface, method, params, invocation):
        if method == "CancelAuthentication":
            (cookie,) = params.unpack()
            session = self.sessions.pop(cookie, None)
            if session is not None:
                session.cancel()
            self.log({"event": "cancel"})
            invocation.return_value(None)
            return
        action_id, message, icon, details, cookie, identities = params.unpack()
        names = []
        for kind, fields in identities:
            ident = identity_from_variant(kind, fields)
            names.append(ident.to_string() if ident is not None else kind)
        self.log({"event": "begin", "action_id": action_id, "message": message,
                  "details": details, "identities": names})
        if self.args.answer == "dismiss":
            invocation.return_dbus_error(CANCELLED, "Dismissed by the test agent")
            return
        self.authenticate(cookie, identities, invocation)

    def authenticate(self, cookie, identities, invocation):
        chosen = None
        for kind, fields in identities:
            ident = identity_from_variant(kind, fields)
            if not isinstance(ident, Polkit.UnixUser):
                continue
            if self.args.identity is None or ident.get_name() == self.args.identity:
                chosen = ident
                break
        if chosen is None:
            self.log({"event": "no-identity"})
            invocation.return_dbus_error(FAILED, "no identity to authenticate as")
            return
        session = PolkitAgent.Session.new(chosen, cookie)
        self.sessions[cookie] = session

        def on_request(sess, request, echo_on):
            self.log({"event": "request", "prompt": request})
            sess.response(self.password)

        def on_completed(sess, gained):
            self.sessions.pop(cookie, None)
            self.log({"event": "completed", "identity": chosen.get_name(),
                      "gained": bool(gained)})
            # polkitd learns the outcome from the helper; the reply only
            # ends the agent's part of the conversation.
            invocation.return_value(None)

        session.connect("request", on_request)
        session.connect("completed", on_completed)
        session.connect("show-error", lambda s, t: self.log({"event": "error", "text": t}))
        session.connect("show-info", lambda s, t: self.log({"event": "info", "text": t}))
        session.initiate()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    scope = parser.add_mutually_exclusive_group(required=True)
    scope.add_argument("--process", type=int, help="register for this process")
    scope.add_argument("--session", action="store_true", help="register for our login session")
    parser.add_argument("--log", required=True)
    parser.add_argument("--answer", choices=["dismiss", "password"], required=True)
    parser.add_argument("--password-file")
    parser.add_argument("--identity")
    parser.add_argument("--locale", default="C")
    parser.add_argument("--ready-file")
    args = parser.parse_args()
    if args.answer == "password" and args.password_file is None:
        parser.error("--answer password needs --password-file")

    agent = Agent(args)
    conn = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
    info = Gio.DBusNodeInfo.new_for_xml(AGENT_XML).interfaces[0]
    conn.register_object(AGENT_PATH, info, agent.on_call, None, None)

    if args.process is not None:
        subject = Polkit.UnixProcess.new_for_owner(args.process, start_time_of(args.process), -1)
    else:
        subject = Polkit.UnixSession.new_for_process_sync(os.getpid(), None)
        if subject is None:
            sys.exit("refmount-test-agent: this process is in no login session")
    authority = Polkit.Authority.get_sync(None)
    authority.register_authentication_agent_sync(subject, args.locale, AGENT_PATH, None)
    agent.log({"event": "registered", "subject": subject.to_string()})
    if args.ready_file:
        with open(args.ready_file, "w", encoding="ascii") as f:
            f.write("ready\n")

    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    loop.run()
    authority.unregister_authentication_agent_sync(subject, AGENT_PATH, None)


if __name__ == "__main__":
    main()
