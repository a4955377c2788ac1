#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test: hang isolation (doc/design.md "Process model").  The real
# daemon code runs over the fake backend (tests/refmountd-fake), where a mount
# of the source "hang-forever" never returns — as mount(2) does against an NFS
# server that went away.  Such a call must fail with Timeout after
# MountTimeoutSec and block neither other mountpoints, nor other D-Bus calls,
# nor SIGTERM.
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
export SANDBOX_MOUNT_TIMEOUT=2
export REFMOUNT_FAKE_HANG_SOURCE=hang-forever
REFMOUNTD=${REFMOUNTD_FAKE:?REFMOUNTD_FAKE must name the refmountd-fake binary}
sandbox_init "$@"
sandbox_start_daemon

HUNG=$SANDBOX_ROOT/hung
OTHER=$SANDBOX_ROOT/other

# hung_mount MOUNTPOINT OUTFILE: a Mount that will hang, in the background.
hung_mount ()
{
  gdbus call --system --timeout 60 --dest "$RM_BUS" --object-path "$RM_MANAGER_PATH" \
    --method "$RM_MANAGER_IFACE.Mount" tmpfs hang-forever "$1" '@as []' hung '@a{sv} {}' \
    >"$2" 2>&1 &
  HUNG_PID=$!
  sandbox_track_pid "$HUNG_PID"
  _hung_in_backend ()
  {
    sandbox_pid_alive "$HUNG_PID" || fail "the hanging Mount returned at once: $(cat "$2")"
    grep -qF "fake backend: the call on $1 hangs" "$SANDBOX_DAEMON_LOG"
  }
  sandbox_wait_until 10 "the Mount of $1 to hang in the backend" _hung_in_backend "$1" "$2"
}

# ---------------------------------------------------------------------------
tc "a hung mount does not block other mountpoints or other calls"
hung_mount "$HUNG" "$SANDBOX_DIR/hung-1.out"
rm_mount tmpfs fine "$OTHER" att
assert_ok "Mount of another mountpoint while one hangs"
rm_gdbus GetMount "$(gv_str "$OTHER")"
assert_ok "GetMount while a mount hangs"
assert_contains "$(rm_manager_property Version)" 's "' "Version readable while a mount hangs"
busctl --system call "$RM_BUS" "$RM_OM_PATH" org.freedesktop.DBus.Peer Ping >/dev/null ||
  fail "Ping while a mount hangs"
sandbox_pid_alive "$HUNG_PID" || fail "the hanging Mount should still be pending"

tc "the hung mount fails with Timeout"
sandbox_wait_until 30 "the hanging Mount to return" eval '! sandbox_pid_alive "$HUNG_PID"'
sandbox_stop_pid "$HUNG_PID"
out=$(cat "$SANDBOX_DIR/hung-1.out")
assert_contains "$out" "${RM_ERROR_PREFIX}Timeout" "hung Mount error"
assert_contains "$out" "$HUNG" "the Timeout message names the mountpoint"
rm_gdbus GetMount "$(gv_str "$HUNG")"
assert_error NotFound

tc "a second caller on the hung mountpoint times out too, others still work"
rm_mount tmpfs fine "$HUNG" att2
assert_error Timeout
rm_unmount "$OTHER" att
assert_ok "Unmount of another mountpoint"
assert_eq "$RM_UNMOUNTED" true

tc "SIGTERM is not blocked by a hung mount, and refuses new calls meanwhile"
hung_mount "$SANDBOX_ROOT/hung-2" "$SANDBOX_DIR/hung-2.out"
kill -TERM "$SANDBOX_DAEMON_PID"
rm_gdbus GetMount "$(gv_str "$OTHER")"
assert_error ShuttingDown
sandbox_stop_daemon
assert_eq "$SANDBOX_DAEMON_STATUS" 0 "exit status after SIGTERM with a hung mount"
sandbox_wait_until 10 "the second hanging Mount to return" eval '! sandbox_pid_alive "$HUNG_PID"'
sandbox_stop_pid "$HUNG_PID"
assert_contains "$(cat "$SANDBOX_DIR/hung-2.out")" "${RM_ERROR_PREFIX}Timeout" "in-flight hung Mount at shutdown"

printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN"
