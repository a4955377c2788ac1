#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test: draining at SIGTERM.  On SIGTERM refmountd waits for
# the calls in flight; those end within MountTimeoutSec.  A call whose
# polkit check is pending — here with polkitd stopped (SIGSTOP), which
# GDBus would give up on only after 25 s — holds no thread (issue 11):
# SIGTERM withdraws the check and answers ShuttingDown, so the daemon
# exits at once, normally: status 0, the state written.
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
export SANDBOX_MOUNT_TIMEOUT=1
sandbox_init "$@"
sandbox_start_daemon

# ---------------------------------------------------------------------------
tc "SIGTERM with a call stuck in the polkit check: ShuttingDown, prompt exit"
# The authority is created by the first check: make one now, so that the
# stuck call waits on the check itself.
rm_mount -u nobody tmpfs warm "$SANDBOX_ROOT/warm" att
assert_error NotAuthorized

# The stuck call is in flight once its CheckAuthorization is on the bus
# (sent to a stopped polkitd): watch for that rather than guess a delay.
dbus-monitor --system "type='method_call',interface='org.freedesktop.PolicyKit1.Authority',member='CheckAuthorization'" \
  >"$SANDBOX_DIR/monitor.out" 2>&1 &
MONITOR_PID=$!
sandbox_track_pid "$MONITOR_PID"
sandbox_wait_until 10 "dbus-monitor to start" grep -q 'NameAcquired\|member=' "$SANDBOX_DIR/monitor.out"

kill -STOP "$SANDBOX_POLKITD_PID"
as_nobody gdbus call --system --timeout 60 --dest "$RM_BUS" --object-path "$RM_MANAGER_PATH" \
  --method "$RM_MANAGER_IFACE.Mount" tmpfs stuck "$SANDBOX_ROOT/stuck" '@as []' att '@a{sv} {}' \
  >"$SANDBOX_DIR/stuck.out" 2>&1 &
STUCK_PID=$!
sandbox_track_pid "$STUCK_PID"
_stuck_in_polkit ()
{
  sandbox_pid_alive "$STUCK_PID" || fail "the Mount returned at once: $(cat "$SANDBOX_DIR/stuck.out")"
  grep -q 'member=CheckAuthorization' "$SANDBOX_DIR/monitor.out"
}
sandbox_wait_until 10 "the Mount to wait on the stopped polkitd" _stuck_in_polkit
sandbox_stop_pid "$MONITOR_PID"

started=$SECONDS
kill -TERM "$SANDBOX_DAEMON_PID"
sandbox_wait_until 5 "refmountd to count the stuck call as in flight" \
  grep -q 'waiting for 1 in flight' "$SANDBOX_DAEMON_LOG"
sandbox_wait_until 5 "refmountd to exit" eval '! sandbox_pid_alive "$SANDBOX_DAEMON_PID"'
elapsed=$((SECONDS - started))
sandbox_stop_daemon
assert_eq "$SANDBOX_DAEMON_STATUS" 0 "exit status after SIGTERM"
assert_not_contains "$(cat "$SANDBOX_DAEMON_LOG")" "Calls still in flight after the shutdown grace period" \
  "the pending check did not hold the drain (exited after ${elapsed}s)"
assert_contains "$(cat "$SANDBOX_DAEMON_LOG")" "refmountd stopped" "the normal stop path ran"
sandbox_wait_until 10 "the stuck Mount to return" eval '! sandbox_pid_alive "$STUCK_PID"'
sandbox_stop_pid "$STUCK_PID"
assert_contains "$(cat "$SANDBOX_DIR/stuck.out")" "${RM_ERROR_PREFIX}ShuttingDown" "the pending Mount's answer"

kill -CONT "$SANDBOX_POLKITD_PID"
assert_eq "$(mounts_beneath "$SANDBOX_ROOT")" "" "nothing mounted"

printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN"
