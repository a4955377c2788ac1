#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test: what a desktop session sees (issue 15), with the real
# polkitd and a registered authentication agent (tests/refmount-test-agent.py,
# which logs what polkitd sends it):
#   * the prompt names what is mounted: the policy's own message with
#     $(fstype), $(source) and $(mountpoint) filled in by polkitd, in the
#     agent's language (the translation merged into the built policy), and
#     the same text pkaction shows (refmountd passes no polkit.message);
#   * refmountctl without a terminal lets the agent answer; a dismissed
#     dialog and a refusal are told apart; --no-ask-password asks nobody.
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
sandbox_init "$@"
# The distribution's python3: python3-gi is a Debian package.
PY=${REFMOUNT_PYTHON3:-/usr/bin/python3}
[[ -x $PY ]] || skip "$PY is needed for the test agent"
"$PY" -c 'import gi; gi.require_version("PolkitAgent", "1.0"); from gi.repository import PolkitAgent' \
  2>/dev/null || skip "python3-gi and gir1.2-polkit-1.0 are needed for the test agent (tools/install-deps)"
AGENT=$SANDBOX_SOURCE_DIR/tests/refmount-test-agent.py
CTL=${REFMOUNTCTL:-}
[[ -x $CTL ]] || fail "refmountctl $CTL not built"
sandbox_start_daemon

ALLOWED=$SANDBOX_ROOT/desk
mkdir -m 0755 "$ALLOWED"
AGENT_PID=
CLIENT_PID=

# start_client_with_agent ANSWER LOCALE CMD...: start CMD as nobody, but
# let it exec CMD only once the agent is registered for its pid (the pid
# stays the same through the execs, so the agent's scope is the client).
# Sets AGENT_PID, CLIENT_PID; the agent logs to $SANDBOX_DIR/agent.log.
start_client_with_agent ()
{
  local answer=$1 locale=$2
  shift 2
  rm -f "$SANDBOX_DIR/go" "$SANDBOX_DIR/agent-ready" "$SANDBOX_DIR/agent.log" "$SANDBOX_DIR/client.out"
  mkfifo -m 0644 "$SANDBOX_DIR/go"
  "${AS_NOBODY[@]}" bash -c 'read -r _ <"$0"; exec "$@"' "$SANDBOX_DIR/go" "$@" \
    </dev/null >"$SANDBOX_DIR/client.out" 2>&1 &
  CLIENT_PID=$!
  sandbox_track_pid "$CLIENT_PID"
  "$PY" "$AGENT" --process "$CLIENT_PID" --answer "$answer" --locale "$locale" \
    --log "$SANDBOX_DIR/agent.log" --ready-file "$SANDBOX_DIR/agent-ready" \
    ${AGENT_PASSWORD_FILE:+--password-file "$AGENT_PASSWORD_FILE"} 2>>"$SANDBOX_DIR/agent.err" &
  AGENT_PID=$!
  sandbox_track_pid "$AGENT_PID"
  sandbox_wait_until 20 "the test agent to register" test -s "$SANDBOX_DIR/agent-ready"
  echo go >"$SANDBOX_DIR/go"
}

# finish_client: wait for the client; CLIENT_RC, CLIENT_OUT; stop the agent.
finish_client ()
{
  CLIENT_RC=0
  wait "$CLIENT_PID" || CLIENT_RC=$?
  sandbox_untrack_pid "$CLIENT_PID"
  CLIENT_OUT=$(cat "$SANDBOX_DIR/client.out")
  sandbox_stop_pid "$AGENT_PID"
}

# agent_field EVENT FIELD: FIELD of the first EVENT line of the agent's log.
agent_field ()
{
  "$PY" - "$SANDBOX_DIR/agent.log" "$1" "$2" <<'EOF'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    rec = json.loads(line)
    if rec.get("event") == sys.argv[2]:
        v = rec.get(sys.argv[3])
        print(json.dumps(v) if isinstance(v, (dict, list)) else v)
        break
EOF
}

MOUNT_MESSAGE="Authentication is required to mount the tmpfs filesystem 'scratch' at $ALLOWED/m1."

# ---------------------------------------------------------------------------
tc "pkaction shows the policy's message, placeholders and translation included"
out=$(pkaction --verbose --action-id org.refmount.mount 2>&1) || fail "pkaction failed: $out"
assert_contains "$out" "Authentication is required to mount the \$(fstype) filesystem '\$(source)' at \$(mountpoint)."
grep -q 'xml:lang="de"' "$SANDBOX_POLKIT_POLICY" || fail "the built policy has no German translation"

# ---------------------------------------------------------------------------
tc "the agent is shown the message with type, source and mountpoint filled in"
start_client_with_agent dismiss C \
  busctl --system call "$RM_BUS" "$RM_MANAGER_PATH" "$RM_MANAGER_IFACE" Mount \
  'sssassa{sv}' tmpfs scratch "$ALLOWED/m1" 1 size=1m m1 0
finish_client
((CLIENT_RC != 0)) || fail "a dismissed dialog let the Mount through: $CLIENT_OUT"
assert_eq "$(agent_field begin action_id)" org.refmount.mount "the action the agent was asked about"
assert_eq "$(agent_field begin message)" "$MOUNT_MESSAGE" "the message polkitd sent the agent"
assert_not_mounted "$ALLOWED/m1"

tc "the agent's language: the German message from the merged translation"
start_client_with_agent dismiss de_DE.UTF-8 \
  busctl --system call "$RM_BUS" "$RM_MANAGER_PATH" "$RM_MANAGER_IFACE" Mount \
  'sssassa{sv}' tmpfs scratch "$ALLOWED/m1" 1 size=1m m1 0
finish_client
assert_eq "$(agent_field begin message)" \
  "Zum Einhängen des tmpfs-Dateisystems »scratch« unter $ALLOWED/m1 ist eine Authentifizierung erforderlich." \
  "the German message polkitd sent the agent"

tc "unmount-others: the message names the attachment and the mountpoint"
rm_mount tmpfs rootsrc "$ALLOWED/r1" root-att size=1m
assert_ok "root Mount"
start_client_with_agent dismiss C \
  busctl --system call "$RM_BUS" "$RM_MANAGER_PATH" "$RM_MANAGER_IFACE" Unmount \
  'ssa{sv}' "$ALLOWED/r1" root-att 0
finish_client
((CLIENT_RC != 0)) || fail "a dismissed dialog let the Unmount through: $CLIENT_OUT"
assert_eq "$(agent_field begin action_id)" org.refmount.unmount-others
assert_eq "$(agent_field begin message)" \
  "Authentication is required to release the attachment 'root-att' of another user from $ALLOWED/r1."
assert_mounted "$ALLOWED/r1"

# ---------------------------------------------------------------------------
# refmountctl without a terminal (stdin /dev/null), as from a launcher.

tc "refmountctl without a terminal: the agent is asked; dismissed is said as such"
start_client_with_agent dismiss C "$CTL" --json mount -t tmpfs -o size=1m --attachment c1 scratch "$ALLOWED/c1"
finish_client
assert_eq "$CLIENT_RC" 3 "exit status of a dismissed dialog: $CLIENT_OUT"
assert_eq "$(agent_field begin message)" \
  "Authentication is required to mount the tmpfs filesystem 'scratch' at $ALLOWED/c1." "the agent's message"
assert_contains "$CLIENT_OUT" '"error":"org.refmount.Refmount1.Error.NotAuthorizedDismissed"'
assert_contains "$CLIENT_OUT" "the authentication dialog was dismissed"
assert_not_contains "$CLIENT_OUT" '"hint"' "a dismissed dialog needs no advice"
assert_not_mounted "$ALLOWED/c1"

tc "a refusal by a rule is 'not authorized', and nobody is asked"
sandbox_set_rules deny-nobody <<'RULES'
// SPDX-License-Identifier: GPL-2.0-or-later
polkit.addRule(function(action, subject) {
    if (action.id == "org.refmount.mount" && subject.user == "nobody")
        return polkit.Result.NO;
    return polkit.Result.NOT_HANDLED;
});
RULES
start_client_with_agent dismiss C "$CTL" --json mount -t tmpfs -o size=1m --attachment c1 scratch "$ALLOWED/c1"
finish_client
assert_eq "$CLIENT_RC" 3 "exit status of a refusal: $CLIENT_OUT"
assert_contains "$CLIENT_OUT" '"error":"org.refmount.Refmount1.Error.NotAuthorized"'
assert_not_contains "$CLIENT_OUT" "dismissed"
[[ -z $(agent_field begin message) ]] || fail "the agent was asked although a rule refused: $(cat "$SANDBOX_DIR/agent.log")"
sandbox_remove_rules deny-nobody

tc "--no-ask-password: the registered agent is not asked"
start_client_with_agent dismiss C "$CTL" --no-ask-password mount -t tmpfs -o size=1m --attachment c1 scratch "$ALLOWED/c1"
finish_client
assert_eq "$CLIENT_RC" 3 "exit status with --no-ask-password: $CLIENT_OUT"
assert_contains "$CLIENT_OUT" "did not allow interactive authorization"
[[ -z $(agent_field begin message) ]] || fail "--no-ask-password, yet the agent was asked: $(cat "$SANDBOX_DIR/agent.log")"
assert_not_mounted "$ALLOWED/c1"

tc "refmountctl without a terminal: the agent answers with the password, the mount is made"
# polkit's admin identity here is root (no admin rules); its password,
# in a copy of /etc/shadow bound over the real one in this namespace
# only, is what polkit-agent-helper-1 checks through PAM.
command -v openssl >/dev/null 2>&1 || skip "openssl is needed to hash the test password"
[[ -u /usr/lib/polkit-1/polkit-agent-helper-1 ]] || skip "polkit-agent-helper-1 is missing or not setuid"
printf 'refmount-test-pw\n' >"$SANDBOX_DIR/password"
AGENT_PASSWORD_FILE=$SANDBOX_DIR/password
hash=$(openssl passwd -6 -salt refmounttest refmount-test-pw)
awk -F: -v OFS=: -v h="$hash" '$1 == "root" { $2 = h } { print }' /etc/shadow >"$SANDBOX_DIR/shadow"
chmod 0640 "$SANDBOX_DIR/shadow"
mount --bind "$SANDBOX_DIR/shadow" /etc/shadow
# polkit-agent-helper-1 clears its environment, so it reaches polkitd
# only at the system bus's standard address: the sandbox's bus there.
# On a machine where no system bus ever ran (a fresh container or chroot)
# /run/dbus does not exist; the empty directory made for the mount here
# is removed again below.
CREATED_RUN_DBUS=
if [[ ! -d /run/dbus ]]; then
  mkdir -m 0755 /run/dbus
  CREATED_RUN_DBUS=1
fi
mount -t tmpfs -o mode=0755,size=1m refmount-sandbox-dbus /run/dbus
touch /run/dbus/system_bus_socket
mount --bind "$SANDBOX_DIR/bus/system_bus_socket" /run/dbus/system_bus_socket
start_client_with_agent password C "$CTL" mount -t tmpfs -o size=1m --attachment c2 scratch "$ALLOWED/c2"
finish_client
assert_eq "$CLIENT_RC" 0 "refmountctl answered by the agent: $CLIENT_OUT; agent: $(cat "$SANDBOX_DIR/agent.log")"
assert_eq "$(agent_field completed gained)" True "the agent's session gained the authorization"
assert_eq "$(agent_field completed identity)" root "the identity authenticated"
assert_mounted "$ALLOWED/c2"
att=$(rm_mount_property "$(rm_object_path_for "$ALLOWED/c2")" Attachments)
assert_contains "$att" "\"c2\" $NOBODY_UID " "the attachment belongs to the caller, not to the admin who typed"
umount /run/dbus/system_bus_socket /run/dbus /etc/shadow
[[ -z $CREATED_RUN_DBUS ]] || rmdir /run/dbus
unset AGENT_PASSWORD_FILE

# ---------------------------------------------------------------------------
# Caller-owned mounts (the Mount flag "owner").

OWN=(-f "{'owner': <true>}")
# A second unprivileged uid: daemon (1).
AS_OTHER=(setpriv --reuid=1 --regid=1 --clear-groups -- env HOME=/nonexistent)
# The rule of polkit/examples/40-refmount-private-tmpfs.rules, but for this
# sandbox's mount root and without its subject.local/subject.active test
# (no logind here; the system suite runs the example as it is).
sed -e "s|\"/run/refmount/mounts/\"|\"$ALLOWED/\"|" \
  -e 's/ || !subject.local || !subject.active//' \
  "$SANDBOX_SOURCE_DIR/polkit/examples/40-refmount-private-tmpfs.rules" >"$SANDBOX_DIR/owner.rules"
grep -q "\"$ALLOWED/\" + subject.user" "$SANDBOX_DIR/owner.rules" || fail "the example's prefix was not replaced"
sandbox_set_rules private-tmpfs <"$SANDBOX_DIR/owner.rules"

tc "owner: the flag is a polkit detail; without it the rule does not allow the mount"
rm_mount -u nobody tmpfs scratch "$ALLOWED/nobody-plain" plain size=1m
assert_error NotAuthorized
assert_not_mounted "$ALLOWED/nobody-plain"

tc "owner: nobody's private tmpfs is nobody's, mode 0700"
rm_mount -u nobody "${OWN[@]}" tmpfs scratch "$ALLOWED/nobody-own" own1 size=1m mode=0777
assert_ok "nobody's owned Mount"
assert_mounted "$ALLOWED/nobody-own"
assert_eq "$(stat -c '%u:%g %a' "$ALLOWED/nobody-own")" "$NOBODY_UID:$NOBODY_GID 700" "owner and mode of the tmpfs root"
opts=$(rm_mount_property "$RM_MOUNT_OBJ" Options)
assert_contains "$opts" "\"uid=$NOBODY_UID\"" "the effective options"
assert_contains "$opts" '"mode=0700"' "the owner's mode wins over the caller's mode=0777"
assert_not_contains "$opts" "mode=0777"
as_nobody sh -c "echo mine >'$ALLOWED/nobody-own/file'" || fail "nobody cannot write to its own tmpfs"
assert_eq "$(stat -c %u "$ALLOWED/nobody-own/file")" "$NOBODY_UID"
if "${AS_OTHER[@]}" sh -c "echo theirs >'$ALLOWED/nobody-own/other'" 2>/dev/null; then
  fail "uid 1 could write into nobody's private tmpfs"
fi
if "${AS_OTHER[@]}" cat "$ALLOWED/nobody-own/file" 2>/dev/null; then
  fail "uid 1 could read nobody's file"
fi

tc "owner: nobody may attach again; nobody else may share it (Conflict)"
rm_mount -u nobody "${OWN[@]}" tmpfs scratch "$ALLOWED/nobody-own" own2 size=1m mode=0777
assert_ok "nobody's second attachment to its own mount"
rm_mount tmpfs scratch "$ALLOWED/nobody-own" root-att size=1m mode=0777
assert_error Conflict
rm_mount "${OWN[@]}" tmpfs scratch "$ALLOWED/nobody-own" root-att size=1m mode=0777
assert_error Conflict
sandbox_set_rules other-any-tmpfs <<'RULES'
// SPDX-License-Identifier: GPL-2.0-or-later
polkit.addRule(function(action, subject) {
    if (action.id == "org.refmount.mount" && subject.user == "daemon")
        return polkit.Result.YES;
    return polkit.Result.NOT_HANDLED;
});
RULES
rc=0
out=$("${AS_OTHER[@]}" gdbus call --system --dest "$RM_BUS" --object-path "$RM_MANAGER_PATH" \
  --method "$RM_MANAGER_IFACE.Mount" tmpfs scratch "$ALLOWED/nobody-own" "['size=1m', 'mode=0777']" \
  daemon-att "{'owner': <true>}" 2>&1) || rc=$?
((rc != 0)) || fail "uid 1 attached to nobody's owned mount: $out"
assert_contains "$out" "${RM_ERROR_PREFIX}Conflict" "another uid's owned Mount of the same mountpoint"
sandbox_remove_rules other-any-tmpfs
att=$(rm_mount_property "$RM_MOUNT_OBJ" Attachments)
assert_not_contains "$att" "daemon-att"
assert_not_contains "$att" "root-att"

tc "owner: types without a way refuse the flag; uid=/gid= are never the caller's"
rm_mount "${OWN[@]}" nfs server:/export "$ALLOWED/nfs-own" n1
assert_error InvalidArgument "'owner'" "nfs"
assert_not_mounted "$ALLOWED/nfs-own"
[[ ! -e $ALLOWED/nfs-own ]] || fail "a refused owner Mount created its mountpoint"
rm_mount -u nobody tmpfs scratch "$ALLOWED/nobody-uid" u1 uid=0
assert_error InvalidArgument "uid=0" "never allowed"
rm_mount -u nobody "${OWN[@]}" tmpfs scratch "$ALLOWED/nobody-uid" u1 gid=0
assert_error InvalidArgument "gid=0" "never allowed"
assert_not_mounted "$ALLOWED/nobody-uid"

tc "owner: released like any other mount"
rm_unmount -u nobody "$ALLOWED/nobody-own" own1
assert_ok
rm_unmount -u nobody "$ALLOWED/nobody-own" own2
assert_ok
assert_eq "$RM_UNMOUNTED" true
assert_not_mounted "$ALLOWED/nobody-own"
sandbox_remove_rules private-tmpfs

# ---------------------------------------------------------------------------
# File managers: GIO's mount list (GUnixMountMonitor, as GVfs reads it).

GIO_MOUNTS=$SANDBOX_SOURCE_DIR/tests/refmount-gio-mounts.py
rm -f "$SANDBOX_DIR/gio.log" "$SANDBOX_DIR/gio-ready"
"$PY" "$GIO_MOUNTS" watch --prefix "$ALLOWED/" --log "$SANDBOX_DIR/gio.log" \
  --ready-file "$SANDBOX_DIR/gio-ready" 2>>"$SANDBOX_DIR/gio.err" &
GIO_PID=$!
sandbox_track_pid "$GIO_PID"
sandbox_wait_until 20 "the GIO mount monitor to start" test -s "$SANDBOX_DIR/gio-ready"

# gio_events MOUNTPOINT: for every event of the monitor, one line:
# "absent", or "show=BOOL name=NAME" for MOUNTPOINT.
gio_events ()
{
  "$PY" - "$SANDBOX_DIR/gio.log" "$1" <<'EOF'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    mounts = [m for m in json.loads(line)["mounts"] if m["path"] == sys.argv[2]]
    print("absent" if not mounts else "show=%s name=%s" % (mounts[-1]["show"], mounts[-1]["name"]))
EOF
}
gio_last_is ()
{
  [[ $(gio_events "$1" | tail -n 1) == "$2" ]]
}
utab_text ()
{
  cat "${LIBMOUNT_UTAB:-/run/mount/utab}" 2>/dev/null || true
}

tc "show: the mount appears in GIO's list with its name, and goes when unmounted"
rm_mount -f "{'show': <true>}" tmpfs project-files "$ALLOWED/shown" s1 size=1m
assert_ok "Mount with show"
sandbox_wait_until 20 "GIO to list $ALLOWED/shown" gio_last_is "$ALLOWED/shown" "show=True name=project-files"
# The options are there from the first event that lists the mount: a file
# manager reading the table once per change never sees it without them.
first=$(gio_events "$ALLOWED/shown" | grep -v '^absent$' | head -n 1)
assert_eq "$first" "show=True name=project-files" "the first event listing the mount"
opts=$(rm_mount_property "$RM_MOUNT_OBJ" Options)
assert_not_contains "$opts" "x-gvfs" "the utab options are no mount options"
rm_unmount "$ALLOWED/shown" s1
assert_ok
sandbox_wait_until 20 "GIO to drop $ALLOWED/shown" gio_last_is "$ALLOWED/shown" absent
assert_not_contains "$(utab_text)" "$ALLOWED/shown" "utab after the unmount"

tc "show: not without the flag; owned mounts by default, and show=false hides them"
rm_mount tmpfs plain "$ALLOWED/plain" p1 size=1m
assert_ok
rm_mount -f "{'owner': <true>, 'show': <false>}" tmpfs hidden "$ALLOWED/root-hidden" h1 size=1m
assert_ok
rm_mount "${OWN[@]}" tmpfs mine "$ALLOWED/root-own" o1 size=1m
assert_ok
sandbox_wait_until 20 "GIO to list $ALLOWED/root-own" gio_last_is "$ALLOWED/root-own" "show=True name=mine"
gio_last_is "$ALLOWED/plain" "show=False name=None" ||
  fail "a mount without show is marked for file managers: $(gio_events "$ALLOWED/plain" | tail -n 1)"
gio_last_is "$ALLOWED/root-hidden" "show=False name=None" ||
  fail "show=false was not honoured: $(gio_events "$ALLOWED/root-hidden" | tail -n 1)"
for m in plain:p1 root-own:o1 root-hidden:h1; do
  rm_unmount "$ALLOWED/${m%%:*}" "${m##*:}"
  assert_ok
done
sandbox_wait_until 20 "GIO to drop $ALLOWED/root-own" gio_last_is "$ALLOWED/root-own" absent
sandbox_stop_pid "$GIO_PID"

SANDBOX_CASE=
echo "ok: $SANDBOX_CASES_RUN cases" >&2
