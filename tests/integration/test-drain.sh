#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test: draining at SIGTERM.  On SIGTERM refmountd waits for
# the calls in flight; those end within MountTimeoutSec.
#
#  1. A call whose polkit check is pending — here with polkitd stopped
#     (SIGSTOP), which GDBus would give up on only after 25 s — holds no
#     thread (issue 11): SIGTERM withdraws the check and answers
#     ShuttingDown, so the daemon exits at once, normally: status 0, the
#     state written.
#  2. A Reload whose configuration file hangs — a FIFO with no writer, as
#     a configuration on a dead network filesystem would — gets Timeout at
#     MountTimeoutSec; the read, when it finally ends, is not applied.
#  3. The grace period (drain_timeout_cb, MountTimeoutSec + 5 s): a Mount
#     in flight at SIGTERM (its mount helper hangs) still gets its answer,
#     Timeout at MountTimeoutSec; one that started under a longer
#     MountTimeoutSec (lowered by a Reload since) is cut at the grace
#     period, and the daemon exits normally anyway.
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
# shellcheck source=tests/integration/hang-helper-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/hang-helper-lib.sh"
export SANDBOX_MOUNT_TIMEOUT=2
export SANDBOX_ALLOWED_FS="tmpfs;refmounthang;"
sandbox_init "$@"

# A mount helper that never returns, as test-hang-helper.sh uses.
hang_setup
FIFO=$SANDBOX_DIR/conf.fifo
cleanup_hangs ()
{
  # A reader blocked in open(2) of the FIFO wakes once a writer opens it.
  if [[ -p $FIFO ]]; then
    exec 3<>"$FIFO"
    exec 3>&-
  fi
}
trap 'status=$?; set +e; cleanup_hangs; (exit "$status"); _sandbox_cleanup' EXIT

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

# ---------------------------------------------------------------------------
tc "a Reload whose configuration file hangs: Timeout at MountTimeoutSec, the old one kept"
# A Mount that starts under MountTimeoutSec=30 keeps that deadline after a
# Reload lowers it to 2 s (for the grace period case below).
sed -i "s/^MountTimeoutSec=.*/MountTimeoutSec=30/" "$SANDBOX_CONFIG"
sandbox_start_daemon
hang_start_mount 60 server:/long "$SANDBOX_ROOT/long" long "$SANDBOX_DIR/long.out"
LONG_PID=$HUNG_PID
sed -i "s/^MountTimeoutSec=.*/MountTimeoutSec=$SANDBOX_MOUNT_TIMEOUT/" "$SANDBOX_CONFIG"
rm_gdbus Reload
assert_ok "Reload to MountTimeoutSec=$SANDBOX_MOUNT_TIMEOUT"

mv "$SANDBOX_CONFIG" "$SANDBOX_CONFIG.real"
mkfifo -m 0644 "$FIFO"
ln -s "$FIFO" "$SANDBOX_CONFIG"
t0=$(date +%s%N)
rm_gdbus Reload
ms=$((($(date +%s%N) - t0) / 1000000))
printf 'drain: Reload of a FIFO configuration returned after %d ms: %s\n' "$ms" "$RM_OUT"
assert_error Timeout "MountTimeoutSec=$SANDBOX_MOUNT_TIMEOUT"
((ms <= (SANDBOX_MOUNT_TIMEOUT + 3) * 1000)) || fail "the Reload returned after $ms ms"
_reload_blocked ()
{
  # A runner thread of refmountd waits in open(2) for a writer of the FIFO.
  grep -qs wait_for_partner /proc/"$SANDBOX_DAEMON_PID"/task/*/wchan
}
sandbox_wait_until 5 "the configuration read to block on the FIFO" _reload_blocked
# The read finishes once a writer comes; what it read is not applied.
cat "$SANDBOX_CONFIG.real" >"$FIFO"
_late_read_logged ()
{
  grep -q "Reading the configuration finished after its reload timed out; not applied" "$SANDBOX_DAEMON_LOG"
}
sandbox_wait_until 10 "the late configuration read to be logged" _late_read_logged
rm -f "$SANDBOX_CONFIG" "$FIFO"
mv "$SANDBOX_CONFIG.real" "$SANDBOX_CONFIG"

# ---------------------------------------------------------------------------
tc "SIGTERM: a Mount in flight still gets its answer; one whose deadline lies beyond the grace period is cut at it"
# The grace period (MountTimeoutSec + 5 s) comes from the configuration in
# effect at SIGTERM: 7 s, while the Mount started under MountTimeoutSec=30
# is still in flight then.  Every call ends within its deadline, so the
# grace period is a safety net (drain_timeout_cb); this is how it is
# reached.
hang_start_mount 60 server:/export "$SANDBOX_ROOT/hung" hung "$SANDBOX_DIR/hung.out"
sandbox_pid_alive "$LONG_PID" || fail "the long Mount returned before SIGTERM: $(cat "$SANDBOX_DIR/long.out")"

t0=$(date +%s%N)
kill -TERM "$SANDBOX_DAEMON_PID"
sandbox_wait_until 5 "refmountd to count both calls as in flight" \
  grep -q 'waiting for 2 in flight' "$SANDBOX_DAEMON_LOG"
sandbox_wait_until 10 "the Mount in flight to be answered" eval '! sandbox_pid_alive "$HUNG_PID"'
sandbox_stop_pid "$HUNG_PID"
assert_contains "$(cat "$SANDBOX_DIR/hung.out")" "${RM_ERROR_PREFIX}Timeout" "the answer to the Mount in flight"
sandbox_daemon_alive || fail "refmountd exited before the grace period"
# The grace period is MountTimeoutSec + 5 = 7 s.
sandbox_wait_until 15 "refmountd to exit after the grace period" eval '! sandbox_pid_alive "$SANDBOX_DAEMON_PID"'
ms=$((($(date +%s%N) - t0) / 1000000))
printf 'drain: refmountd exited %d ms after SIGTERM (grace period %d s)\n' "$ms" $((SANDBOX_MOUNT_TIMEOUT + 5))
((ms >= (SANDBOX_MOUNT_TIMEOUT + 5) * 1000 - 500)) || fail "refmountd exited after $ms ms, before the grace period"
sandbox_stop_daemon
assert_eq "$SANDBOX_DAEMON_STATUS" 0 "exit status after the grace period"
assert_contains "$(cat "$SANDBOX_DAEMON_LOG")" "Calls still in flight after the shutdown grace period" \
  "the daemon log says why it exited"
assert_contains "$(tail -n 5 "$SANDBOX_DAEMON_LOG")" "refmountd stopped" "the normal stop path ran"
sandbox_wait_until 10 "the long Mount's client to see the daemon go" eval '! sandbox_pid_alive "$LONG_PID"'
sandbox_stop_pid "$LONG_PID"
assert_not_contains "$(cat "$SANDBOX_DIR/long.out")" "objectpath" "the long Mount did not succeed"
assert_eq "$(mounts_beneath "$SANDBOX_ROOT")" "" "nothing mounted"

printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN"
