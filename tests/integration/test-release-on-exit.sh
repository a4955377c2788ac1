#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test (d): the release-on-exit Mount flag (doc/dbus-api.md
# "Mount", doc/design.md "Lifecycle"). busctl exits right after its call, so
# its connection closes at once: a release-on-exit attachment made by busctl
# must go away by itself, while a normal one stays.  refmount-test-client
# keeps its connection open to show that the attachment lives exactly as long
# as the connection, also across a daemon restart.
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
sandbox_init "$@"
CLIENT=${REFMOUNT_TEST_CLIENT:?refmount-test-client is not built}
[[ -x $CLIENT ]] || fail "test client $CLIENT not built"
sandbox_start_daemon

# busctl_mount MOUNTPOINT ATTACHMENT RELEASE-ON-EXIT(true|false)
busctl_mount ()
{
  local flags=(0)
  [[ $3 == false ]] || flags=(1 release-on-exit b true)
  busctl --system call "$RM_BUS" "$RM_MANAGER_PATH" "$RM_MANAGER_IFACE" Mount \
    'sssassa{sv}' tmpfs roe-src "$1" 1 size=1m "$2" "${flags[@]}" >/dev/null ||
    fail "busctl Mount $1 $2 (release-on-exit=$3) failed"
}

attachments_of ()
{
  rm_mount_property "$(rm_object_path_for "$1")" Attachments
}

_only_attachment ()
{
  [[ $(attachments_of "$1") =~ ^a\(sut\)\ 1\ \"$2\"\  ]]
}

_no_object ()
{
  rm_gdbus GetMount "$(gv_str "$1")"
  ((RM_RC != 0)) && [[ $RM_OUT == *"${RM_ERROR_PREFIX}NotFound"* ]]
}

# _logged EVENT MOUNTPOINT ATTACHMENT: refmountd logged that audit event
# (a line starting "refmountd: EVENT: " that names both).
_logged ()
{
  awk -v e="refmountd: $1: " -v m="$2" -v a="$3" \
    'index($0, e) == 1 && index($0, m) && index($0, a) { found = 1 } END { exit !found }' \
    "$SANDBOX_DAEMON_LOG"
}

# hold_start MOUNTPOINT ATTACHMENT: a client that keeps its connection.
hold_start ()
{
  rm -f "$SANDBOX_DIR/hold.in" "$SANDBOX_DIR/hold.out"
  mkfifo "$SANDBOX_DIR/hold.in"
  # Keep a writer open so the client sees EOF only when we close it.
  exec {HOLD_FD}<>"$SANDBOX_DIR/hold.in"
  "$CLIENT" hold tmpfs roe-src "$1" "$2" size=1m \
    <"$SANDBOX_DIR/hold.in" >"$SANDBOX_DIR/hold.out" 2>&1 {HOLD_FD}>&- &
  HOLD_PID=$!
  sandbox_track_pid "$HOLD_PID"
  _hold_replied ()
  {
    grep -q -e '^mounted ' -e '^error ' "$SANDBOX_DIR/hold.out" && return 0
    sandbox_pid_alive "$HOLD_PID" || fail "test client exited: $(cat "$SANDBOX_DIR/hold.out")"
    return 1
  }
  sandbox_wait_until 30 "the test client's Mount reply" _hold_replied
  grep -q '^mounted ' "$SANDBOX_DIR/hold.out" ||
    fail "test client Mount failed: $(cat "$SANDBOX_DIR/hold.out")"
}

hold_close_stdin ()
{
  exec {HOLD_FD}>&-
}

# ---------------------------------------------------------------------------
tc "a lone release-on-exit attachment goes away with busctl's connection"
MP1=$SANDBOX_ROOT/roe-1
busctl_mount "$MP1" roe true
# busctl has exited: the attachment must be released and, being the last,
# the filesystem unmounted and the directory removed.
sandbox_wait_unmounted "$MP1" 10
sandbox_wait_until 10 "the mount object of $MP1 to disappear" _no_object "$MP1"
sandbox_wait_until 5 "$MP1 to be removed" test ! -e "$MP1"

tc "a normal attachment by busctl stays, the release-on-exit one goes"
MP2=$SANDBOX_ROOT/roe-2
busctl_mount "$MP2" keep false
busctl_mount "$MP2" roe true
sandbox_wait_until 10 "only 'keep' to remain on $MP2" _only_attachment "$MP2" keep
# The release is complete (logged) before we look again: a wrong unmount
# would be part of the same operation.
sandbox_wait_until 10 "the release of 'roe' to be logged" _logged detached "$MP2" roe
assert_mounted "$MP2" "a normal attachment remains"
_only_attachment "$MP2" keep || fail "attachments changed: $(attachments_of "$MP2")"
rm_unmount "$MP2" keep
assert_ok
assert_eq "$RM_UNMOUNTED" true

# ---------------------------------------------------------------------------
tc "the attachment lives as long as the connection"
MP3=$SANDBOX_ROOT/roe-3
hold_start "$MP3" held
assert_mounted "$MP3"
# The attachment is recorded and the client is watched; a round trip
# through the daemon after that would see a wrong release.
sandbox_wait_until 10 "the attachment of 'held' to be logged" _logged attached "$MP3" held
rm_gdbus GetMount "$(gv_str "$MP3")"
assert_ok
_only_attachment "$MP3" held || fail "attachment lost while the client is connected: $(attachments_of "$MP3")"
assert_mounted "$MP3" "still connected"
hold_close_stdin
sandbox_wait_unmounted "$MP3" 10
sandbox_stop_pid "$HOLD_PID"
assert_eq "$SANDBOX_LAST_STATUS" 0 "test client exit status"

tc "kill -9 of the client releases too"
busctl_mount "$MP3" keep false
hold_start "$MP3" held
sandbox_stop_pid "$HOLD_PID" KILL
sandbox_wait_until 10 "only 'keep' to remain on $MP3" _only_attachment "$MP3" keep
hold_close_stdin

tc "a restarted daemon keeps watching live connections"
hold_start "$MP3" held
sandbox_kill9_daemon
# refmountd takes its name only after start-up reconciliation, which
# checks every release-on-exit client: the state is settled once it
# answers.
sandbox_start_daemon
att=$(attachments_of "$MP3")
assert_contains "$att" '"held"' "the client is still connected, its attachment must survive the restart"
assert_contains "$att" '"keep"' "normal attachment after the restart"
sandbox_stop_pid "$HOLD_PID" TERM
sandbox_wait_until 10 "the restarted daemon to release 'held'" _only_attachment "$MP3" keep
hold_close_stdin

tc "attachments of connections that closed while the daemon was down are dropped at start"
hold_start "$MP3" held
sandbox_kill9_daemon
sandbox_stop_pid "$HOLD_PID" KILL
hold_close_stdin
sandbox_start_daemon
_only_attachment "$MP3" keep || fail "expected only 'keep' after the restart: $(attachments_of "$MP3")"
assert_mounted "$MP3"
rm_unmount "$MP3" keep
assert_ok
assert_eq "$RM_UNMOUNTED" true

tc "... and when that was the last attachment, the filesystem is unmounted"
MP4=$SANDBOX_ROOT/roe-4
hold_start "$MP4" held
sandbox_kill9_daemon
sandbox_stop_pid "$HOLD_PID" KILL
hold_close_stdin
sandbox_start_daemon
sandbox_wait_unmounted "$MP4" 10
sandbox_wait_until 10 "the mount object of $MP4 to disappear" _no_object "$MP4"

tc "daemon still healthy"
sandbox_daemon_alive || fail "refmountd died"
assert_eq "$(mounts_beneath "$SANDBOX_ROOT")" "" "mounts left beneath the root"
printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN"
