#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test: the audit log (doc/audit-log.md).  refmountd's stderr
# is not the journal at first, so every audit event must be exactly one
# plain line "refmountd: EVENT: ... [mountpoint="..." uid="..." pid="..."]"
# naming the caller's uid and pid (gdbus calls): Mount/Unmount as root and
# as nobody, denials, a failed mount, and the reconciliation after a
# restart.  Then refmountd runs with stderr connected to a fake journald
# (sockets in /run/systemd/journal/ of this namespace): the same events
# must arrive as native journal entries with the MESSAGE_IDs of
# doc/audit-log.md and every REFMOUNT_* field, and nothing on the stream.
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"

# A private /run (SANDBOX_BASE), so that the journal test at the end can
# put a fake journald's sockets where GLib looks for them.
sandbox_enter "$@"
mount -t tmpfs -o mode=0755,size=64m refmount-audit-run /run || fail "cannot mount a private /run"
export SANDBOX_BASE=/run
sandbox_init "$@"
sandbox_start_daemon

MP=$SANDBOX_ROOT/audit-a
NB=$SANDBOX_ROOT/nobody

# audit_call USER METHOD GVARIANT-ARG...: call a Manager method with gdbus
# (not interactive) as USER (root or nobody).  Sets RM_RC, RM_OUT and
# CALL_PID, the pid of gdbus and so the pid the daemon must log: the inner
# shell prints its own pid and then execs gdbus.
audit_call ()
{
  local user=$1 method=$2 out rc=0
  local prefix=()
  shift 2
  [[ $user == root ]] || prefix=("${AS_NOBODY[@]}")
  # shellcheck disable=SC2016 # expanded by the inner shell
  out=$("${prefix[@]}" bash -c 'echo "$$"; exec gdbus call --system --timeout 60 "$@"' gdbus \
    --dest "$RM_BUS" --object-path "$RM_MANAGER_PATH" --method "$RM_MANAGER_IFACE.$method" "$@" 2>&1) ||
    rc=$?
  CALL_PID=${out%%$'\n'*}
  RM_OUT=${out#*$'\n'}
  RM_RC=$rc
  [[ $CALL_PID =~ ^[0-9]+$ ]] || fail "could not learn the caller's pid: $out"
}

# audit_mount USER FSTYPE SOURCE MOUNTPOINT ATTACHMENT
audit_mount ()
{
  audit_call "$1" Mount "$(gv_str "$2")" "$(gv_str "$3")" "$(gv_str "$4")" '@as []' \
    "$(gv_str "$5")" '@a{sv} {}'
}

# audit_unmount USER MOUNTPOINT ATTACHMENT
audit_unmount ()
{
  audit_call "$1" Unmount "$(gv_str "$2")" "$(gv_str "$3")" '@a{sv} {}'
}

LOG_MARK=0
# Remember where the log ends: the next checks see only what follows.
log_mark ()
{
  LOG_MARK=$(wc -l <"$SANDBOX_DAEMON_LOG")
}

# The audit event kinds (doc/audit-log.md); "started", "stopped" and the
# like are plain lines too, but not audit events.
AUDIT_KINDS='(mounted|unmounted|attached|detached|denied|reconciled|vanished|mount-failed|mount-timeout|attach-failed|unmount-failed)'

new_audit_lines ()
{
  tail -n +"$((LOG_MARK + 1))" "$SANDBOX_DAEMON_LOG" | grep -E "^refmountd: $AUDIT_KINDS: " || true
}

# expect_events "E1 E2 ...": exactly these audit events since the mark.
expect_events ()
{
  local got
  got=$(new_audit_lines | sed -E 's/^refmountd: ([a-z-]+): .*/\1/' | tr '\n' ' ')
  assert_eq "${got% }" "$1" "audit events since the last call (log: $(new_audit_lines))"
}

# expect_line EVENT TEXT...: the new line of EVENT contains every TEXT.
expect_line ()
{
  local event=$1 line text
  shift
  line=$(new_audit_lines | grep -E "^refmountd: $event: ") ||
    fail "no '$event' line since the last call"
  [[ $(wc -l <<<"$line") == 1 ]] || fail "more than one '$event' line: $line"
  for text in "$@"; do
    assert_contains "$line" "$text" "the '$event' line"
  done
}

# ---------------------------------------------------------------------------
tc "root mounts: one 'mounted' and one 'attached' line with uid and pid"
log_mark
audit_mount root tmpfs audit-src "$MP" att-root
assert_ok "root Mount"
assert_mounted "$MP"
expect_events "mounted attached"
expect_line mounted "[mountpoint=\"$MP\" source=\"audit-src\" fstype=\"tmpfs\" attachment=\"att-root\" uid=\"0\" pid=\"$CALL_PID\"]"
expect_line attached "[mountpoint=\"$MP\" source=\"audit-src\" fstype=\"tmpfs\" attachment=\"att-root\" uid=\"0\" pid=\"$CALL_PID\"]"

tc "re-attaching the same attachment logs nothing"
log_mark
audit_mount root tmpfs audit-src "$MP" att-root
assert_ok "root re-Mount"
expect_events ""

# ---------------------------------------------------------------------------
tc "nobody without a rule: one 'denied' line"
log_mark
audit_mount nobody tmpfs audit-src "$MP" att-nobody
assert_error NotAuthorized
expect_events "denied"
expect_line denied "Mount denied" \
  "[mountpoint=\"$MP\" source=\"audit-src\" fstype=\"tmpfs\" attachment=\"att-nobody\" uid=\"$NOBODY_UID\" pid=\"$CALL_PID\"]"

sandbox_set_rules nobody-tmpfs <<EOF
// SPDX-License-Identifier: GPL-2.0-or-later
polkit.addRule(function(action, subject) {
    if (action.id == "org.refmount.mount" && subject.user == "nobody" &&
        action.lookup("fstype") == "tmpfs")
        return polkit.Result.YES;
    return polkit.Result.NOT_HANDLED;
});
EOF

tc "nobody attaches to a mounted filesystem: 'attached' only"
log_mark
audit_mount nobody tmpfs audit-src "$MP" att-nobody
assert_ok "nobody Mount"
expect_events "attached"
expect_line attached "attachment=\"att-nobody\" uid=\"$NOBODY_UID\" pid=\"$CALL_PID\"]"

tc "nobody mounts a new filesystem: 'mounted' and 'attached' as nobody"
log_mark
audit_mount nobody tmpfs nobody-src "$NB" att-nb
assert_ok "nobody Mount of a new mountpoint"
expect_events "mounted attached"
expect_line mounted "[mountpoint=\"$NB\" source=\"nobody-src\" fstype=\"tmpfs\" attachment=\"att-nb\" uid=\"$NOBODY_UID\" pid=\"$CALL_PID\"]"

tc "nobody may not release root's attachment: 'denied', nothing released"
log_mark
audit_unmount nobody "$MP" att-root
assert_error NotAuthorized
expect_events "denied"
expect_line denied "Unmount denied" "attachment=\"att-root\" uid=\"$NOBODY_UID\" pid=\"$CALL_PID\"]"

tc "nobody releases its own attachment: 'detached' only"
log_mark
audit_unmount nobody "$MP" att-nobody
assert_ok "nobody Unmount"
expect_events "detached"
expect_line detached "[mountpoint=\"$MP\" source=\"audit-src\" fstype=\"tmpfs\" attachment=\"att-nobody\" uid=\"$NOBODY_UID\" pid=\"$CALL_PID\"]"
assert_mounted "$MP" "root's attachment keeps the mount"

tc "root releases the last attachment: 'detached' and 'unmounted'"
log_mark
audit_unmount root "$MP" att-root
assert_ok "root Unmount"
assert_not_mounted "$MP"
expect_events "detached unmounted"
expect_line detached "attachment=\"att-root\" uid=\"0\" pid=\"$CALL_PID\"]"
expect_line unmounted "[mountpoint=\"$MP\" source=\"audit-src\" fstype=\"tmpfs\" attachment=\"att-root\" uid=\"0\" pid=\"$CALL_PID\"]"

tc "a force unmount by nobody is denied (org.refmount.manage)"
log_mark
audit_call nobody Unmount "$(gv_str "$NB")" "'att-nb'" "{'force': <true>}"
assert_error NotAuthorized
expect_events "denied"
expect_line denied "attachment=\"att-nb\" uid=\"$NOBODY_UID\" pid=\"$CALL_PID\"]"
assert_mounted "$NB"

tc "a Reload by nobody is denied"
log_mark
audit_call nobody Reload
assert_error NotAuthorized
expect_events "denied"
expect_line denied "Reload denied" "uid=\"$NOBODY_UID\" pid=\"$CALL_PID\"]"

tc "a failed mount: one failure line, no 'mounted', no 'attached'"
log_mark
# No NFS in the sandbox: the mount cannot succeed.
audit_mount root nfs 127.0.0.1:/audit "$SANDBOX_ROOT/nfs-fail" att-nfs
((RM_RC != 0)) || fail "an NFS mount succeeded in the sandbox: $RM_OUT"
got=$(new_audit_lines | sed -E 's/^refmountd: ([a-z-]+): .*/\1/' | tr '\n' ' ')
[[ $got == "mount-failed " || $got == "mount-timeout " ]] ||
  fail "expected one mount-failed or mount-timeout line, got '$got'"
expect_line 'mount-(failed|timeout)' "attachment=\"att-nfs\" uid=\"0\" pid=\"$CALL_PID\"]"

# ---------------------------------------------------------------------------
tc "restart: every record is reconciled, once, by the daemon (no uid/pid)"
audit_mount root tmpfs stale-src "$SANDBOX_ROOT/stale" att-stale
assert_ok "root Mount of the soon stale mount"
sandbox_stop_daemon
assert_eq "$SANDBOX_DAEMON_STATUS" 0 "refmountd exit status"
# Gone behind the daemon's back while it was down.
umount "$SANDBOX_ROOT/stale"
log_mark
sandbox_start_daemon
expect_events "reconciled reconciled"
line=$(new_audit_lines | grep -F "[mountpoint=\"$NB\" ") || fail "no 'reconciled' line for $NB"
assert_contains "$line" "Adopted $NB" "the adopted mount's line"
assert_contains "$line" "[mountpoint=\"$NB\" source=\"nobody-src\" fstype=\"tmpfs\" attachment=- uid=- pid=-]" \
  "the adopted mount's line"
line=$(new_audit_lines | grep -F "[mountpoint=\"$SANDBOX_ROOT/stale\" ") ||
  fail "no 'reconciled' line for the stale mount"
assert_contains "$line" "marked stale" "the stale mount's line"

tc "after the restart the caller is logged again"
log_mark
audit_unmount nobody "$NB" att-nb
assert_ok "nobody Unmount after the restart"
expect_events "detached unmounted"
expect_line unmounted "[mountpoint=\"$NB\" source=\"nobody-src\" fstype=\"tmpfs\" attachment=\"att-nb\" uid=\"$NOBODY_UID\" pid=\"$CALL_PID\"]"

tc "every audit line is a single line"
# Each "refmountd: EVENT:" line ends with the field list.
bad=$(grep -E '^refmountd: [a-z-]+: ' "$SANDBOX_DAEMON_LOG" | grep -vE ' pid=("[0-9]+"|-)\]$' || true)
[[ -z $bad ]] || fail "audit lines without their field list: $bad"

# ---------------------------------------------------------------------------
# Under journald.

JOURNAL_DIR=/run/systemd/journal
JOURNAL_ENTRIES=$SANDBOX_DIR/journal-entries.jsonl
JOURNAL_STREAM=$SANDBOX_DIR/journal-stream.txt
mkdir -m 0755 /run/systemd "$JOURNAL_DIR"
: >"$JOURNAL_ENTRIES"
: >"$JOURNAL_STREAM"
# The fake journald: native protocol datagrams on .../socket become JSON
# lines in JOURNAL_ENTRIES; whatever arrives on the stdout stream socket
# is appended to JOURNAL_STREAM.
python3 - "$JOURNAL_DIR" "$JOURNAL_ENTRIES" "$JOURNAL_STREAM" <<'EOF' &
import json, os, select, socket, struct, sys

jdir, entries_path, stream_path = sys.argv[1:4]
dgram = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
dgram.bind(os.path.join(jdir, "socket"))
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(os.path.join(jdir, "stdout"))
listener.listen(8)
entries = open(entries_path, "a")
stream = open(stream_path, "ab")
conns = []


def parse(data):
    fields = {}
    while data:
        nl = data.index(b"\n")
        line = data[:nl]
        if b"=" in line:
            key, value = line.split(b"=", 1)
            data = data[nl + 1:]
        else:
            key = line
            size = struct.unpack("<Q", data[nl + 1:nl + 9])[0]
            value = data[nl + 9:nl + 9 + size]
            data = data[nl + 9 + size + 1:]
        fields[key.decode()] = value.decode(errors="replace")
    return fields


while True:
    ready, _, _ = select.select([dgram, listener] + conns, [], [])
    for s in ready:
        if s is dgram:
            entries.write(json.dumps(parse(dgram.recv(1 << 20))) + "\n")
            entries.flush()
        elif s is listener:
            conns.append(listener.accept()[0])
        else:
            chunk = s.recv(65536)
            if chunk:
                stream.write(chunk)
                stream.flush()
            else:
                conns.remove(s)
                s.close()
EOF
sandbox_track_pid $!
sandbox_wait_until 10 "the fake journald" test -S "$JOURNAL_DIR/stdout"

# refmountd with stdout and stderr connected to the journal's stream
# socket, as systemd starts it (python execs refmountd: same pid).
REAL_REFMOUNTD=$REFMOUNTD
REFMOUNTD=$SANDBOX_DIR/refmountd-under-journald
cat >"$REFMOUNTD" <<EOF
#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect("$JOURNAL_DIR/stdout")
s.sendall(b"refmountd\n\n6\n0\n0\n0\n0\n")
os.dup2(s.fileno(), 1)
os.dup2(s.fileno(), 2)
os.execv("$REAL_REFMOUNTD", ["$REAL_REFMOUNTD"] + sys.argv[1:])
EOF
chmod 0755 "$REFMOUNTD"

# journal_count KEY=VALUE...: the number of entries matching every pair.
journal_count ()
{
  python3 - "$JOURNAL_ENTRIES" "$@" <<'EOF'
import json, sys

path, *conditions = sys.argv[1:]
wanted = [c.split("=", 1) for c in conditions]
print(sum(1 for line in open(path) if all(json.loads(line).get(k) == v for k, v in wanted)))
EOF
}

_journal_has ()
{
  (($(journal_count "$@") > 0))
}

# The id documented for KIND in doc/audit-log.md.
doc_id ()
{
  sed -nE "s/^\| $1 \| \`([0-9a-f]{32})\` \|.*/\1/p" "$SANDBOX_SOURCE_DIR/doc/audit-log.md"
}

for kind in mounted unmounted attached detached denied reconciled failed; do
  [[ $(doc_id "$kind") =~ ^[0-9a-f]{32}$ ]] || fail "doc/audit-log.md documents no MESSAGE_ID for $kind"
done

tc "under journald: the restart's reconciliation, as native entries"
sandbox_stop_daemon
sandbox_start_daemon
sandbox_wait_until 10 "the reconciled entry" _journal_has REFMOUNT_EVENT=reconciled
assert_eq "$(journal_count REFMOUNT_EVENT=reconciled MESSAGE_ID="$(doc_id reconciled)" \
  REFMOUNT_MOUNTPOINT="$SANDBOX_ROOT/stale" REFMOUNT_SOURCE=stale-src REFMOUNT_FSTYPE=tmpfs \
  REFMOUNT_UID= REFMOUNT_PID= PRIORITY=4 SYSLOG_IDENTIFIER=refmountd)" 1 \
  "one reconciled entry for the stale record, priority warning"

J=$SANDBOX_ROOT/journal
tc "under journald: nobody's Mount is one mounted and one attached entry"
audit_mount nobody tmpfs j-src "$J" att-j
assert_ok "nobody Mount under journald"
common=(REFMOUNT_MOUNTPOINT="$J" REFMOUNT_SOURCE=j-src REFMOUNT_FSTYPE=tmpfs REFMOUNT_ATTACHMENT=att-j
  REFMOUNT_UID="$NOBODY_UID" REFMOUNT_PID="$CALL_PID" SYSLOG_IDENTIFIER=refmountd)
sandbox_wait_until 10 "the attached entry" _journal_has REFMOUNT_EVENT=attached REFMOUNT_MOUNTPOINT="$J"
assert_eq "$(journal_count REFMOUNT_EVENT=mounted MESSAGE_ID="$(doc_id mounted)" PRIORITY=5 "${common[@]}")" 1 \
  "one mounted entry with every field"
assert_eq "$(journal_count REFMOUNT_EVENT=attached MESSAGE_ID="$(doc_id attached)" PRIORITY=5 "${common[@]}")" 1 \
  "one attached entry with every field"
assert_eq "$(journal_count REFMOUNT_MOUNTPOINT="$J")" 2 "entries for $J"

tc "under journald: a denial has priority warning"
audit_call nobody Reload
assert_error NotAuthorized
sandbox_wait_until 10 "the denied entry" _journal_has REFMOUNT_EVENT=denied
assert_eq "$(journal_count REFMOUNT_EVENT=denied MESSAGE_ID="$(doc_id denied)" PRIORITY=4 \
  REFMOUNT_UID="$NOBODY_UID" REFMOUNT_PID="$CALL_PID")" 1 "one denied entry"

tc "under journald: a failed mount has the failed id"
audit_mount root nfs 127.0.0.1:/journal "$SANDBOX_ROOT/nfs-j" att-nfs-j
((RM_RC != 0)) || fail "an NFS mount succeeded in the sandbox: $RM_OUT"
sandbox_wait_until 10 "the failed entry" _journal_has MESSAGE_ID="$(doc_id failed)"
assert_eq "$(journal_count MESSAGE_ID="$(doc_id failed)" PRIORITY=4 REFMOUNT_ATTACHMENT=att-nfs-j \
  REFMOUNT_UID=0 REFMOUNT_PID="$CALL_PID")" 1 "one failed entry"

tc "under journald: the last Unmount is one detached and one unmounted entry"
audit_unmount nobody "$J" att-j
assert_ok "nobody Unmount under journald"
common=(REFMOUNT_MOUNTPOINT="$J" REFMOUNT_SOURCE=j-src REFMOUNT_FSTYPE=tmpfs REFMOUNT_ATTACHMENT=att-j
  REFMOUNT_UID="$NOBODY_UID" REFMOUNT_PID="$CALL_PID" SYSLOG_IDENTIFIER=refmountd)
sandbox_wait_until 10 "the unmounted entry" _journal_has REFMOUNT_EVENT=unmounted REFMOUNT_MOUNTPOINT="$J"
assert_eq "$(journal_count REFMOUNT_EVENT=detached MESSAGE_ID="$(doc_id detached)" "${common[@]}")" 1 \
  "one detached entry"
assert_eq "$(journal_count REFMOUNT_EVENT=unmounted MESSAGE_ID="$(doc_id unmounted)" "${common[@]}")" 1 \
  "one unmounted entry"

tc "under journald: nothing of it on the stream (stderr)"
if grep -E "^refmountd: $AUDIT_KINDS: " "$JOURNAL_STREAM"; then
  fail "audit events were also written to stderr under journald"
fi

sandbox_log "test-audit: $SANDBOX_CASES_RUN cases passed"
