#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test: a real mount helper that hangs (doc/design.md "Process
# model").  A test-only filesystem type "refmounthang" has a helper
# /sbin/mount.refmounthang that never returns, as mount.nfs does against a
# server that went away. The helper appears only in this test's mount
# namespace, through a read-only overlay over /usr/sbin (the host's /sbin is
# never written). The real refmountd must answer Timeout after
# MountTimeoutSec, keep serving other mountpoints, and still exit promptly on
# SIGTERM.  The unit stops only refmountd itself (KillMode=process), so a
# helper must never outlive it, even when it is killed with SIGKILL (issue 13,
# part 4).
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
# shellcheck source=tests/integration/hang-helper-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/hang-helper-lib.sh"
export SANDBOX_MOUNT_TIMEOUT=2
export SANDBOX_ALLOWED_FS="tmpfs;refmounthang;"
sandbox_init "$@"

hang_setup
sandbox_start_daemon

HUNG=$SANDBOX_ROOT/hung
OTHER=$SANDBOX_ROOT/other

tc "a hanging helper: Timeout, other mountpoints unaffected"
hang_start_mount 60 server:/export "$HUNG" hung "$SANDBOX_DIR/hung.out"
rm_mount tmpfs fine "$OTHER" att size=1m
assert_ok "Mount of another mountpoint while the helper hangs"
assert_mounted "$OTHER"
sandbox_wait_until 30 "the hanging Mount to return" eval '! sandbox_pid_alive "$HUNG_PID"'
sandbox_stop_pid "$HUNG_PID"
assert_contains "$(cat "$SANDBOX_DIR/hung.out")" "${RM_ERROR_PREFIX}Timeout" "Mount through a hanging helper"
assert_not_mounted "$HUNG"
rm_unmount "$OTHER" att
assert_ok
assert_eq "$RM_UNMOUNTED" true

tc "SIGTERM exits promptly while a helper hangs"
hang_start_mount 60 server:/export2 "$SANDBOX_ROOT/hung-2" hung2 "$SANDBOX_DIR/hung-2.out"
start=$SECONDS
sandbox_stop_daemon
assert_eq "$SANDBOX_DAEMON_STATUS" 0 "exit status after SIGTERM with a hanging helper"
printf 'hang-helper: refmountd exited %d s after SIGTERM (MountTimeoutSec=%s)\n' \
  "$((SECONDS - start))" "$SANDBOX_MOUNT_TIMEOUT"
sandbox_wait_until 10 "the second hanging Mount to return" eval '! sandbox_pid_alive "$HUNG_PID"'
sandbox_stop_pid "$HUNG_PID"
assert_contains "$(cat "$SANDBOX_DIR/hung-2.out")" "${RM_ERROR_PREFIX}" "the in-flight Mount got an answer"

# Running, not a zombie waiting for whoever inherited it.
process_running ()
{
  local state
  state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}
tc "the helper still hanging at SIGTERM was killed, not left behind"
while read -r pid _; do
  sandbox_wait_until 10 "hanging helper $pid to be gone" eval '! process_running "$pid"'
done <"$SANDBOX_HELPER_PIDS"

tc "refmountd killed with SIGKILL while a helper hangs: the helper dies with it"
sandbox_start_daemon
hang_start_mount 60 server:/export3 "$SANDBOX_ROOT/hung-3" hung3 "$SANDBOX_DIR/hung-3.out"
read -r helper _ < <(tail -n 1 "$SANDBOX_HELPER_PIDS")
process_running "$helper" || fail "the third helper $helper is not running"
sandbox_kill9_daemon
# Nobody else would: KillMode=process leaves the control group alone.
sandbox_wait_until 10 "the hanging helper $helper to die with refmountd" eval '! process_running "$helper"'
sandbox_wait_until 10 "the third Mount to return" eval '! sandbox_pid_alive "$HUNG_PID"'
sandbox_stop_pid "$HUNG_PID"
printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN"
