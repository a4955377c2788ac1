#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test: the shutdown grace period.  On SIGTERM refmountd waits
# for the calls in flight; those end within MountTimeoutSec, except one
# stuck elsewhere — here in the polkit check, with polkitd stopped
# (SIGSTOP), which GDBus gives up on only after 25 s.  After
# MountTimeoutSec + 5 s the daemon must exit anyway (drain_timeout_cb),
# normally: status 0, the state written.
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
export SANDBOX_MOUNT_TIMEOUT=1
sandbox_init "$@"
sandbox_start_daemon

# ---------------------------------------------------------------------------
tc "SIGTERM with a call stuck in the polkit check: exit after the grace period"
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
# The grace period is MountTimeoutSec + 5 = 6 s; the stuck call would end
# only after 25 s.
sandbox_wait_until 20 "refmountd to exit after the grace period" eval '! sandbox_pid_alive "$SANDBOX_DAEMON_PID"'
elapsed=$((SECONDS - started))
((elapsed >= 5)) || fail "refmountd exited after ${elapsed}s, before the grace period"
sandbox_stop_daemon
assert_eq "$SANDBOX_DAEMON_STATUS" 0 "exit status after the grace period"
assert_contains "$(cat "$SANDBOX_DAEMON_LOG")" "Calls still in flight after the shutdown grace period" \
  "the daemon log says why it exited"
assert_contains "$(cat "$SANDBOX_DAEMON_LOG")" "refmountd stopped" "the normal stop path ran"

kill -CONT "$SANDBOX_POLKITD_PID"
sandbox_wait_until 40 "the stuck Mount to return" eval '! sandbox_pid_alive "$STUCK_PID"'
sandbox_stop_pid "$STUCK_PID"
assert_not_contains "$(cat "$SANDBOX_DIR/stuck.out")" "(objectpath" "the stuck Mount did not succeed"
assert_eq "$(mounts_beneath "$SANDBOX_ROOT")" "" "nothing mounted"

printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN"
