#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test: every refmountctl command against the real refmountd
# (and polkitd) in the sandbox.  JSON output is parsed with python3 and
# checked against the daemon's properties and /proc/self/mountinfo; exit
# statuses (0 ok, 1 failed call, 2 usage), error wording, human output,
# the polkit agent paths (no TTY, --no-ask-password, a TTY through
# script(1)), --release-on-exit, monitor seeing attach and detach, and
# bash completion of managed mountpoints.
set -euo pipefail
# The real system bus policy plus data/org.refmount.Refmount1.conf, as
# refmountctl meets it on a real system.
export SANDBOX_BUS_POLICY=strict
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
sandbox_init "$@"
# The sandbox's copy, which uid nobody can run (sandbox.sh).
CTL=${REFMOUNTCTL:-}
[[ -x $CTL ]] || fail "refmountctl $CTL not built"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to parse refmountctl's JSON"
sandbox_start_daemon

# ctl [-u nobody] ARG...: run refmountctl; CTL_RC, CTL_OUT (stdout),
# CTL_ERR (stderr).  stdin is /dev/null: not a terminal.
ctl ()
{
  local as=()
  if [[ ${1:-} == -u ]]; then
    as=("${AS_NOBODY[@]}")
    shift 2
  fi
  CTL_RC=0
  CTL_OUT=$("${as[@]}" "$CTL" "$@" </dev/null 2>"$SANDBOX_DIR/ctl.err") || CTL_RC=$?
  CTL_ERR=$(cat "$SANDBOX_DIR/ctl.err")
}

ctl_ok ()
{
  ctl "$@"
  ((CTL_RC == 0)) || fail "refmountctl $* exited $CTL_RC: $CTL_ERR"
  [[ -z $CTL_ERR ]] || fail "refmountctl $* wrote to stderr: $CTL_ERR"
}

# ctl_fails STATUS TEXT ARG...: exits STATUS, stdout empty, stderr one line
# (usage errors: plus the hint) containing TEXT.
ctl_fails ()
{
  local status=$1 text=$2
  shift 2
  ctl "$@"
  assert_eq "$CTL_RC" "$status" "exit status of refmountctl $*"
  assert_eq "$CTL_OUT" "" "stdout of refmountctl $*"
  assert_contains "$CTL_ERR" "$text" "stderr of refmountctl $*"
  [[ $CTL_ERR != *"Not authorized"* ]] || sandbox_assert_polkit_denial "$CTL_ERR"
  if ((status == 2)); then
    assert_contains "$CTL_ERR" "Try 'refmountctl" "usage hint"
    assert_eq "$(wc -l <<<"$CTL_ERR")" 2 "usage error: message and hint"
  else
    assert_eq "$(wc -l <<<"$CTL_ERR")" 1 "one line on stderr"
  fi
}

# py CODE: run python3 with the last stdout as JSON in "j".
py ()
{
  JSON=$CTL_OUT ROOT=$SANDBOX_ROOT python3 -c '
import json, os, sys
j = json.loads(os.environ["JSON"])
root = os.environ["ROOT"]
def mountinfo():
    out = {}
    for line in open("/proc/self/mountinfo"):
        f = line.split()
        i = f.index("-")
        out[f[4]] = {"fstype": f[i + 1], "source": f[i + 2], "super": f[i + 3], "options": f[5]}
    return out
'"$1" || fail "JSON check failed: $1
JSON: $CTL_OUT"
}

A=$SANDBOX_ROOT/a
B=$SANDBOX_ROOT/b

# ---------------------------------------------------------------------------
tc "--version, --help, usage errors exit 2"
ctl_ok --version
[[ $CTL_OUT =~ ^refmountctl\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "--version printed: $CTL_OUT"
VERSION=${CTL_OUT#refmountctl }
ctl_ok --help
assert_contains "$CTL_OUT" "Usage: refmountctl"
TOP_HELP=$CTL_OUT
for cmd in mount unmount list show status monitor reload; do
  assert_contains "$TOP_HELP" "  $cmd" "--help lists $cmd"
  ctl_ok "$cmd" --help
  assert_contains "$CTL_OUT" "refmountctl $cmd" "$cmd --help"
done
ctl_fails 2 "missing command"
ctl_fails 2 "unknown command 'frobnicate'" frobnicate
ctl_fails 2 "unknown option '--frob'" --frob list
ctl_fails 2 "Unknown option --frob" list --frob
ctl_fails 2 "missing -t FSTYPE" mount src "$A"
ctl_fails 2 "Missing argument for -t" mount src -t
ctl_fails 2 "missing argument" mount -t tmpfs
ctl_fails 2 "unexpected argument 'extra'" mount -t tmpfs src "$A" extra
ctl_fails 2 "empty mount option in -o 'size=1m,,ro'" mount -t tmpfs -o size=1m,,ro src "$A"
ctl_fails 2 "missing argument (expected MOUNTPOINT)" unmount
ctl_fails 2 "--force and --lazy exclude each other" unmount --force --lazy "$A"
ctl_fails 2 "unexpected argument" show "$A" "$B"
ctl_fails 2 "unexpected argument 'x'" status x
ctl_fails 2 "unexpected argument 'x'" reload x
assert_not_mounted "$A"

# ---------------------------------------------------------------------------
tc "status --json matches the Manager's properties"
ctl_ok status --json
py '
assert j["version"] == "'"$VERSION"'", j
assert j["mount_roots"] == [root], j
assert "tmpfs" in j["supported_filesystems"], j
assert j["mounts"] == 0 and j["attachments"] == 0, j
assert j["states"] == {"mounted": 0, "busy": 0, "stale": 0}, j'
GEN=$(py 'print(j["generation"])')
assert_eq "$(rm_manager_property Generation)" "t $GEN" "generation"
assert_eq "$(rm_manager_property Version)" "s \"$VERSION\"" "refmountctl and refmountd versions"
ctl_ok status
assert_contains "$CTL_OUT" "Version: $VERSION"
assert_contains "$CTL_OUT" "Generation: $GEN"
assert_contains "$CTL_OUT" "Mount roots: $SANDBOX_ROOT"
assert_contains "$CTL_OUT" "Mounts: 0 (0 mounted, 0 busy, 0 stale)"

# ---------------------------------------------------------------------------
tc "mount prints the mountpoint; -o is split into single options"
ctl_ok mount -t tmpfs -o size=1m,mode=0750 -o noatime share-a "$A"
assert_eq "$CTL_OUT" "$A" "mount output"
assert_mounted "$A"
assert_eq "$(mount_field "$A" fstype)" tmpfs
assert_eq "$(mount_field "$A" source)" share-a
assert_contains "$(mount_field "$A" super)" size=1024k "size=1m reached the kernel"
assert_contains "$(mount_field "$A" super)" mode=750 "mode=0750 reached the kernel"
assert_contains "$(mount_field "$A" options)" noatime "noatime reached the kernel"
# A relative MOUNTPOINT with a trailing slash names the same mountpoint.
ctl_ok mount -t tmpfs -o size=1m,mode=0750,noatime --attachment vm-2 share-a "${A#"$PWD"/}/"
assert_eq "$CTL_OUT" "$A" "second attachment"
assert_mounted "$A"

tc "mount without MOUNTPOINT: the daemon derives ROOT/FSTYPE-HASH16"
ctl_ok mount -t tmpfs -o size=1m derived-src
HASH=$(printf '%s' derived-src | sha256sum | cut -c1-16)
D=$SANDBOX_ROOT/tmpfs-$HASH
assert_eq "$CTL_OUT" "$D" "derived mountpoint"
assert_mounted "$D"

# ---------------------------------------------------------------------------
tc "list --json agrees with /proc/self/mountinfo"
ctl_ok list --json
py '
mounts = j["mounts"]
info = mountinfo()
assert [m["mountpoint"] for m in mounts] == sorted([root + "/a", "'"$D"'"]), mounts
for m in mounts:
    k = info[m["mountpoint"]]
    assert m["fstype"] == k["fstype"] == "tmpfs", (m, k)
    assert m["source"] == k["source"], (m, k)
    assert m["state"] == "mounted", m
    assert m["mounted_at_usec"] > 0, m
    assert m["object_path"].startswith("/org/refmount/Refmount1/mounts/"), m
    assert "nosuid" in m["options"] and "nodev" in m["options"], m
    assert "nosuid" in k["options"] and "nodev" in k["options"], k
    assert set(m) == {"mountpoint", "fstype", "source", "options", "state",
                      "mounted_at_usec", "object_path", "attachments"}, sorted(m)
a = [m for m in mounts if m["mountpoint"] == root + "/a"][0]
assert "size=1m" in a["options"] and "noatime" in a["options"], a
assert sorted(x["id"] for x in a["attachments"]) == ["refmountctl:0", "vm-2"], a
for x in a["attachments"]:
    assert x["uid"] == 0 and x["attached_at_usec"] >= a["mounted_at_usec"], x
    assert set(x) == {"id", "uid", "attached_at_usec"}, x
'
assert_eq "$(py 'print(j["mounts"][0]["object_path"])')" "$(rm_object_path_for "$A")" "object path"

tc "list: an aligned table with header and footer; --no-legend"
ctl_ok list
python3 - "$CTL_OUT" "$A" "$D" <<'EOF' || fail "table check failed: $CTL_OUT"
import sys
text, a, d = sys.argv[1:]
lines = text.split("\n")
header = lines[0]
assert header.split() == ["MOUNTPOINT", "FSTYPE", "SOURCE", "STATE", "ATTACHMENTS"], header
assert lines[-1] == "2 mounts listed.", lines
assert lines[-2] == "", lines
rows = lines[1:-2]
assert [r.split() for r in rows] == [[a, "tmpfs", "share-a", "mounted", "2"],
                                     [d, "tmpfs", "derived-src", "mounted", "1"]], rows
# Every column starts where its header starts.
for name in ["FSTYPE", "SOURCE", "STATE", "ATTACHMENTS"]:
    col = header.index(name)
    for r in rows:
        assert r[col - 1] == " " and r[col] != " ", (name, r)
EOF
ctl_ok list --no-legend
assert_eq "$(wc -l <<<"$CTL_OUT")" 2 "--no-legend: only the rows"
assert_not_contains "$CTL_OUT" MOUNTPOINT
assert_not_contains "$CTL_OUT" listed

tc "show MOUNTPOINT [--json]"
ctl_ok show "$A" --json
py '
assert j["mountpoint"] == root + "/a" and j["source"] == "share-a", j
assert len(j["attachments"]) == 2, j
'
ctl_ok show "$A"
assert_contains "$CTL_OUT" "Mountpoint: $A"
assert_contains "$CTL_OUT" "Source: share-a"
assert_contains "$CTL_OUT" "Type: tmpfs"
assert_contains "$CTL_OUT" "State: mounted"
assert_contains "$CTL_OUT" "Attachments: 2"
assert_contains "$CTL_OUT" "refmountctl:0 (uid 0, since "
assert_contains "$CTL_OUT" "vm-2 (uid 0, since "
ctl_ok status --json
py 'assert (j["mounts"], j["attachments"], j["states"]["mounted"]) == (2, 3, 2), j'

# ---------------------------------------------------------------------------
tc "unmount: still held by N, then unmounted"
ctl_ok unmount --attachment vm-2 "$A"
assert_eq "$CTL_OUT" "Released attachment vm-2; $A is still mounted, held by 1 attachment."
assert_mounted "$A"
ctl_ok mount -t tmpfs -o size=1m,mode=0750,noatime --attachment vm-3 share-a "$A"
ctl_ok mount -t tmpfs -o size=1m,mode=0750,noatime --attachment vm-4 share-a "$A"
ctl_ok unmount "$A"
assert_eq "$CTL_OUT" "Released attachment refmountctl:0; $A is still mounted, held by 2 attachments."
ctl_ok unmount --attachment vm-3 "$A"
ctl_ok unmount --attachment vm-4 "$A"
assert_eq "$CTL_OUT" "Released attachment vm-4; $A is unmounted."
assert_not_mounted "$A"

# ---------------------------------------------------------------------------
tc "errors: one line in words, exit 1"
ctl_fails 1 "Not a managed mountpoint: " unmount "$A"
assert_contains "$CTL_ERR" "$A"
ctl_fails 1 "Not a managed mountpoint: " show "$A"
ctl_fails 1 "No such attachment on this mountpoint: " unmount --attachment nope "$D"
assert_contains "$CTL_ERR" "'nope'"
assert_mounted "$D"
ctl_fails 1 "Invalid argument: " mount -t tmpfs -o suid share-b "$B"
assert_contains "$CTL_ERR" "suid"
ctl_fails 1 "Invalid argument: " mount -t tmpfs share-b /tmp/outside
assert_contains "$CTL_ERR" "/tmp/outside"
ctl_fails 1 "Invalid argument: " mount -t tmpfs --attachment -bad share-b "$B"
ctl_fails 1 "Conflicts with what is mounted there: " mount -t tmpfs -o size=2m other-src "$D"
ctl_fails 1 "Invalid argument: " unmount --attachment "bad id" "$D"
assert_not_mounted "$B"

# ---------------------------------------------------------------------------
tc "nobody: NotAuthorized without a rule (no TTY, --no-ask-password)"
ctl_fails 1 "Not authorized: " -u nobody mount -t tmpfs -o size=1m share-b "$B"
ctl_fails 1 "Not authorized: " -u nobody --no-ask-password mount -t tmpfs -o size=1m share-b "$B"
ctl_fails 1 "Not authorized: " -u nobody mount --no-ask-password -t tmpfs -o size=1m share-b "$B"
ctl_fails 1 "Not authorized: " -u nobody reload
ctl_fails 1 "Not authorized: " -u nobody unmount --attachment refmountctl:0 "$D"
assert_not_mounted "$B"
assert_mounted "$D"

# On a terminal refmountctl starts pkttyagent for the call (it registers
# for refmountctl's process, polkitd logs that) and stops it afterwards.
# Without a logind session polkitd does not route the challenge of a
# system-bus-name subject to a process-scoped agent, so the call still
# ends in NotAuthorized here; what is checked is the agent's lifetime.
_agents_registered ()
{
  grep -c 'Registered Authentication Agent for unix-process' "$SANDBOX_DIR/polkitd.log" || true
}
_agents_unregistered ()
{
  grep -c 'Unregistered Authentication Agent for unix-process' "$SANDBOX_DIR/polkitd.log" || true
}
if command -v script >/dev/null 2>&1 && [[ -x /usr/bin/pkttyagent && -z ${SANDBOX_POLKIT_NO_DEBUG:-} ]]; then
  tc "on a TTY: pkttyagent for the call; --no-ask-password: none"
  before=$(_agents_registered)
  TTY_CMD=$(printf '%q ' "${AS_NOBODY[@]}" "$CTL" mount -t tmpfs -o size=1m share-b "$B")
  rc=0
  out=$(timeout 60 script -qec "$TTY_CMD" /dev/null </dev/null 2>&1) || rc=$?
  assert_eq "$rc" 1 "exit status on a TTY: $out"
  assert_contains "$out" "Not authorized"
  assert_eq "$(_agents_registered)" "$((before + 1))" "pkttyagent registered once"
  grep 'Registered Authentication Agent for unix-process' "$SANDBOX_DIR/polkitd.log" | tail -n 1 |
    grep -q -- '--notify-fd 3 --fallback' || fail "pkttyagent's command line: $(tail -n 5 "$SANDBOX_DIR/polkitd.log")"
  _agent_gone ()
  {
    [[ $(_agents_unregistered) == "$(_agents_registered)" ]]
  }
  sandbox_wait_until 10 "pkttyagent to be stopped" _agent_gone

  TTY_CMD=$(printf '%q ' "${AS_NOBODY[@]}" "$CTL" --no-ask-password mount -t tmpfs -o size=1m share-b "$B")
  rc=0
  out=$(timeout 60 script -qec "$TTY_CMD" /dev/null </dev/null 2>&1) || rc=$?
  assert_eq "$rc" 1 "exit status on a TTY with --no-ask-password: $out"
  assert_contains "$out" "Not authorized"
  assert_eq "$(_agents_registered)" "$((before + 1))" "--no-ask-password must not start pkttyagent"
  assert_not_mounted "$B"
fi

tc "nobody with a rule: mount, default attachment refmountctl:65534, unmount"
sandbox_set_rules ctl-nobody "$(
  cat <<EOF
polkit.addRule(function(action, subject) {
    if (action.id == "org.refmount.mount" && subject.user == "nobody" &&
        action.lookup("fstype") == "tmpfs" &&
        action.lookup("mountpoint") == "$B")
        return polkit.Result.YES;
    return polkit.Result.NOT_HANDLED;
});
EOF
)"
ctl -u nobody mount -t tmpfs -o size=1m share-b "$B"
((CTL_RC == 0)) || fail "nobody's mount failed ($CTL_RC): $CTL_ERR"
assert_eq "$CTL_OUT" "$B"
assert_mounted "$B"
ctl_ok show --json "$B"
py 'assert [(x["id"], x["uid"]) for x in j["attachments"]] == [("refmountctl:65534", 65534)], j'
ctl_fails 1 "No such attachment on this mountpoint" -u nobody unmount --attachment refmountctl:0 "$B"
ctl -u nobody unmount "$B"
((CTL_RC == 0)) || fail "nobody's unmount failed ($CTL_RC): $CTL_ERR"
assert_eq "$CTL_OUT" "Released attachment refmountctl:65534; $B is unmounted."
assert_not_mounted "$B"
sandbox_remove_rules ctl-nobody

# ---------------------------------------------------------------------------
tc "reload: re-reads the configuration"
ctl_ok reload
assert_eq "$CTL_OUT" "" "reload prints nothing"
SANDBOX_ALLOWED_FS='tmpfs;ramfs;' sandbox_write_config
ctl_ok reload
ctl_ok status --json
py 'assert sorted(j["supported_filesystems"]) == ["ramfs", "tmpfs"], j'

# ---------------------------------------------------------------------------
tc "mount --release-on-exit holds the attachment while refmountctl runs"
R=$SANDBOX_ROOT/roe
"$CTL" mount --release-on-exit -t tmpfs -o size=1m roe-src "$R" \
  </dev/null >"$SANDBOX_DIR/roe.out" 2>"$SANDBOX_DIR/roe.err" &
ROE_PID=$!
sandbox_track_pid "$ROE_PID"
_roe_ready ()
{
  [[ -s $SANDBOX_DIR/roe.out ]] && return 0
  sandbox_pid_alive "$ROE_PID" || fail "refmountctl --release-on-exit exited: $(cat "$SANDBOX_DIR/roe.err")"
  return 1
}
sandbox_wait_until 30 "refmountctl --release-on-exit to print the mountpoint" _roe_ready
assert_eq "$(cat "$SANDBOX_DIR/roe.out")" "$R"
assert_mounted "$R"
sandbox_pid_alive "$ROE_PID" || fail "refmountctl --release-on-exit did not keep running"
sandbox_stop_pid "$ROE_PID" TERM 10
assert_eq "$SANDBOX_LAST_STATUS" 0 "refmountctl exit status after SIGTERM"
sandbox_wait_unmounted "$R" 10

# ---------------------------------------------------------------------------
# monitor_start [ARG...]: refmountctl monitor in the background, ready.
monitor_start ()
{
  # Not the previous monitor's files: the shell goes on before the child
  # has opened (and truncated) them.
  rm -f "$SANDBOX_DIR/monitor.out" "$SANDBOX_DIR/monitor.err"
  "$CTL" monitor "$@" </dev/null >"$SANDBOX_DIR/monitor.out" 2>"$SANDBOX_DIR/monitor.err" &
  MON_PID=$!
  sandbox_track_pid "$MON_PID"
  _monitor_ready ()
  {
    grep -q '^Monitoring refmountd' "$SANDBOX_DIR/monitor.err" 2>/dev/null && return 0
    sandbox_pid_alive "$MON_PID" || fail "monitor exited: $(cat "$SANDBOX_DIR/monitor.err")"
    return 1
  }
  sandbox_wait_until 30 "refmountctl monitor to start" _monitor_ready
}

_monitor_saw ()
{
  grep -q -- "$1" "$SANDBOX_DIR/monitor.out" 2>/dev/null
}

monitor_stop ()
{
  sandbox_stop_pid "$MON_PID" INT 10
  assert_eq "$SANDBOX_LAST_STATUS" 0 "monitor's exit status after SIGINT"
}

M=$SANDBOX_ROOT/m
tc "monitor sees added, attached, detached, removed"
monitor_start
ctl_ok mount -t tmpfs -o size=1m --attachment m-1 mon-src "$M"
ctl_ok mount -t tmpfs -o size=1m --attachment m-2 mon-src "$M"
ctl_ok unmount --attachment m-2 "$M"
ctl_ok unmount --attachment m-1 "$M"
sandbox_wait_until 20 "monitor to report the removal" _monitor_saw "removed"
monitor_stop
# Drop the time stamps; the rest is deterministic.
EVENTS=$(awk '{ $1 = ""; sub(/^ +/, ""); print }' "$SANDBOX_DIR/monitor.out")
EXPECTED="added $M tmpfs mon-src, mounted
attached $M m-1 (uid 0)
attached $M m-2 (uid 0)
detached $M m-2 (uid 0)
detached $M m-1 (uid 0)
removed $M"
assert_eq "$(tr -s ' ' <<<"$EVENTS")" "$EXPECTED" "monitor events"

tc "monitor --json: one JSON object per event"
monitor_start --json
ctl_ok mount -t tmpfs -o size=1m --attachment j-1 mon-src "$M"
ctl_ok unmount --attachment j-1 "$M"
sandbox_wait_until 20 "monitor to report the removal" _monitor_saw '"removed"'
monitor_stop
CTL_OUT=$(cat "$SANDBOX_DIR/monitor.out")
JSON=$CTL_OUT python3 -c '
import json, os
events = [json.loads(l) for l in os.environ["JSON"].splitlines()]
got = [(e["event"], e["mountpoint"], e.get("attachment"), e.get("uid")) for e in events]
m = "'"$M"'"
assert got == [("added", m, None, None), ("attached", m, "j-1", 0),
               ("detached", m, "j-1", 0), ("removed", m, None, None)], got
assert events[0]["fstype"] == "tmpfs" and events[0]["source"] == "mon-src", events[0]
assert all(isinstance(e["time_usec"], int) for e in events), events
' || fail "monitor --json events: $CTL_OUT"

tc "unmount of a busy filesystem: deferred; list, status and monitor show it"
BZ=$SANDBOX_ROOT/busy
ctl_ok mount -t tmpfs -o size=1m busy-src "$BZ"
monitor_start
# A process with its working directory there makes umount(2) fail EBUSY.
(cd "$BZ" && exec sleep 120) &
BUSY_PID=$!
sandbox_track_pid "$BUSY_PID"
_busy_holder_in ()
{
  [[ $(readlink "/proc/$BUSY_PID/cwd") == "$BZ" ]]
}
sandbox_wait_until 10 "the holder to enter $BZ" _busy_holder_in
ctl_ok unmount "$BZ"
assert_eq "$CTL_OUT" "Released attachment refmountctl:0; $BZ is busy: its unmount is deferred and retried."
assert_mounted "$BZ"
ctl_ok list --no-legend
assert_eq "$(awk -v p="$BZ" '$1 == p { print $3, $4, $5 }' <<<"$CTL_OUT")" "busy-src busy 0" \
  "list shows the busy state"
ctl_ok status --json
py 'assert j["states"]["busy"] == 1 and j["attachments"] == 1, j'
sandbox_stop_pid "$BUSY_PID" TERM 10
sandbox_wait_unmounted "$BZ" 30
sandbox_wait_until 20 "monitor to report the removal" _monitor_saw "removed"
monitor_stop
EVENTS=$(awk '{ $1 = ""; sub(/^ +/, ""); print }' "$SANDBOX_DIR/monitor.out" | tr -s ' ')
assert_contains "$EVENTS" "state $BZ mounted -> busy" "monitor: state change"
assert_contains "$EVENTS" "detached $BZ refmountctl:0 (uid 0)" "monitor: detach"
assert_contains "$EVENTS" "removed $BZ" "monitor: removal after the retry"

tc "monitor across a daemon restart: no detach for mounts that stay"
K=$SANDBOX_ROOT/keep
ctl_ok mount -t tmpfs -o size=1m --attachment keep-1 keep-src "$K"
monitor_start
sandbox_stop_daemon
sandbox_start_daemon
ctl_ok mount -t tmpfs -o size=1m --attachment keep-2 keep-src "$K"
sandbox_wait_until 20 "monitor to report keep-2" _monitor_saw "keep-2"
monitor_stop
EVENTS=$(awk '{ $1 = ""; sub(/^ +/, ""); print }' "$SANDBOX_DIR/monitor.out")
assert_eq "$(tr -s ' ' <<<"$EVENTS")" "daemon-left $RM_BUS
daemon-appeared $RM_BUS
attached $K keep-2 (uid 0)" "monitor events across a restart"
ctl_ok unmount --attachment keep-1 "$K"
ctl_ok unmount --attachment keep-2 "$K"
assert_not_mounted "$K"

# ---------------------------------------------------------------------------
tc "bash completion offers managed mountpoints"
if [[ -f /usr/share/bash-completion/bash_completion ]]; then
  S=$SANDBOX_ROOT/with\ space
  ctl_ok mount -t tmpfs -o size=1m spaced "$S"
  ctl_ok list --no-legend
  assert_contains "$CTL_OUT" "$SANDBOX_ROOT/with\\x20space" "list escapes whitespace"
  COMP=$(PATH=$(dirname "$CTL"):$PATH bash -c '
    source "$1"
    COMP_WORDS=(refmountctl unmount "$2/")
    COMP_CWORD=2
    _refmountctl
    printf "%s\n" "${COMPREPLY[@]}"
    COMP_WORDS=(refmountctl mount -t "")
    COMP_CWORD=3
    _refmountctl
    printf "fs:%s\n" "${COMPREPLY[@]}"' _ "$SANDBOX_SOURCE_DIR/data/completion/refmountctl" "$SANDBOX_ROOT")
  # printf %q output of the two mountpoints, sorted by list.
  assert_eq "$(grep -v '^fs:' <<<"$COMP")" "$(printf '%q\n%q' "$D" "$S")" "completed mountpoints"
  assert_eq "$(grep '^fs:' <<<"$COMP" | sort | tr '\n' ' ')" "fs:ramfs fs:tmpfs " "completed -t"
  ctl_ok unmount "$S"
fi

ctl_ok unmount "$D"
assert_not_mounted "$D"
ctl_ok list --json
py 'assert j == {"mounts": []}, j'
ctl_ok list
assert_eq "$CTL_OUT" "MOUNTPOINT  FSTYPE  SOURCE  STATE  ATTACHMENTS

0 mounts listed." "empty list"

tc "the daemon gone: exit 1 with words"
sandbox_stop_daemon
ctl_fails 1 "refmountd is not available on the system bus" list
ctl_fails 1 "refmountd is not available on the system bus" unmount "$D"

tc "the bus gone: monitor and mount --release-on-exit exit 1 and say why"
sandbox_start_daemon
rm -f "$SANDBOX_DIR/roe.out" "$SANDBOX_DIR/roe.err"
"$CTL" mount --release-on-exit -t tmpfs -o size=1m roe-src "$R" \
  </dev/null >"$SANDBOX_DIR/roe.out" 2>"$SANDBOX_DIR/roe.err" &
ROE_PID=$!
sandbox_track_pid "$ROE_PID"
sandbox_wait_until 30 "refmountctl --release-on-exit to print the mountpoint" _roe_ready
monitor_start
_both_exited ()
{
  ! sandbox_pid_alive "$ROE_PID" && ! sandbox_pid_alive "$MON_PID"
}
# The last case: without a bus the sandbox's own helpers cannot work.
sandbox_stop_pid "$SANDBOX_DBUS_PID" TERM 10
sandbox_wait_until 20 "refmountctl to notice the lost bus" _both_exited
sandbox_stop_pid "$ROE_PID"
assert_eq "$SANDBOX_LAST_STATUS" 1 "mount --release-on-exit after losing the bus"
assert_contains "$(cat "$SANDBOX_DIR/roe.err")" "refmountctl mount: lost the connection to the system bus"
sandbox_stop_pid "$MON_PID"
assert_eq "$SANDBOX_LAST_STATUS" 1 "monitor after losing the bus"
assert_contains "$(cat "$SANDBOX_DIR/monitor.err")" "refmountctl monitor: lost the connection to the system bus"

printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN" >&2
