#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test, issue 11 finding 4 (synchronous polkit).  polkitd is
# stopped (SIGSTOP), so every check stays pending, as it does while a
# password prompt waits for a human.  Then:
#   * a check pending when its caller leaves the bus is cancelled;
#   * a check still pending at AuthorizationTimeoutSec (or, for a call that
#     allows interaction, InteractiveAuthorizationTimeoutSec) fails
#     NotAuthorized naming that deadline;
#   * 40 pending checks of uid nobody hold no worker: root's Mount and
#     Unmount of a tmpfs (no polkit round trip for root) complete within
#     2 s meanwhile.
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
sandbox_init "$@"
sandbox_write_config
sed -i '/^MountTimeoutSec=/a AuthorizationTimeoutSec=3\nInteractiveAuthorizationTimeoutSec=4' "$SANDBOX_CONFIG"
sandbox_start_daemon

# One denial first, so that polkitd's proxy is set up before it stops.
rm_mount -u nobody tmpfs refmount-test "$SANDBOX_ROOT/warm" warm size=1m
assert_error NotAuthorized

dbus-monitor --system "type='method_call',interface='org.freedesktop.PolicyKit1.Authority',member='CheckAuthorization'" \
  >"$SANDBOX_DIR/monitor.out" 2>&1 &
MONITOR_PID=$!
sandbox_track_pid "$MONITOR_PID"
sandbox_wait_until 10 "dbus-monitor to start" grep -q 'NameAcquired\|member=' "$SANDBOX_DIR/monitor.out"
checks_sent ()
{
  grep -c 'member=CheckAuthorization' "$SANDBOX_DIR/monitor.out" || true
}
kill -STOP "$SANDBOX_POLKITD_PID"
# shellcheck disable=SC2154 # status is assigned inside the trap's own text
trap 'status=$?; set +e; sandbox_signal_pid CONT "$SANDBOX_POLKITD_PID"; (exit "$status"); _sandbox_cleanup' EXIT

tc "a pending check is cancelled when its caller leaves the bus"
# Read by the eval below.
# shellcheck disable=SC2034
before=$(checks_sent)
flood_start "$SANDBOX_DIR/gone.out" mount 1 1 "$SANDBOX_ROOT/gone" 1 7
sandbox_wait_until 10 "the check to reach polkitd" eval '(($(checks_sent) > before))'
kill -KILL "$FLOOD_PID"
sandbox_stop_pid "$FLOOD_PID"
sandbox_wait_until 5 "the daemon to cancel the check of the caller that left" \
  grep -q 'authorization cancelled, the caller left the bus' "$SANDBOX_DAEMON_LOG"

tc "a check pending at AuthorizationTimeoutSec fails NotAuthorized naming it"
t0=$(date +%s%N)
rm_mount -u nobody tmpfs refmount-test "$SANDBOX_ROOT/pending-1" pending-1 size=1m
ms=$((($(date +%s%N) - t0) / 1000000))
assert_error NotAuthorized
assert_contains "$RM_OUT" "AuthorizationTimeoutSec=3" "the denial names the deadline"
((ms <= 6000)) || fail "the deadline answer came after $ms ms (AuthorizationTimeoutSec=3)"

tc "a call that allows interaction has InteractiveAuthorizationTimeoutSec"
t0=$(date +%s%N)
_rm_run nobody busctl --system --allow-interactive-authorization=yes --timeout=60 call "$RM_BUS" \
  "$RM_MANAGER_PATH" "$RM_MANAGER_IFACE" Mount 'sssassa{sv}' tmpfs refmount-test "$SANDBOX_ROOT/pending-2" \
  1 size=1m pending-2 0
ms=$((($(date +%s%N) - t0) / 1000000))
((RM_RC != 0)) || fail "the interactive Mount succeeded: $RM_OUT"
assert_contains "$RM_OUT" "InteractiveAuthorizationTimeoutSec=4" "the denial names the interactive deadline"
((ms <= 7000)) || fail "the deadline answer came after $ms ms (InteractiveAuthorizationTimeoutSec=4)"

tc "40 pending checks hold no worker"
# Every call expects a reply, so the client stays on the bus meanwhile.
flood_start "$SANDBOX_DIR/pending-flood.out" mount 40 1 "$SANDBOX_ROOT/pending-3" 1 7
assert_root_cycle_within 2 "$SANDBOX_ROOT/probe"
flood_wait "$SANDBOX_DIR/pending-flood.out"
assert_eq "$(flood_replies "$SANDBOX_DIR/pending-flood.out" NotAuthorized)" 40 "pending checks ending at their deadline"

tc "polkitd back: the daemon is fine"
kill -CONT "$SANDBOX_POLKITD_PID"
sandbox_stop_pid "$MONITOR_PID"
rm_mount -u nobody tmpfs refmount-test "$SANDBOX_ROOT/after" after size=1m
assert_error NotAuthorized
sandbox_daemon_alive || fail "refmountd died"
assert_root_cycle_within 2 "$SANDBOX_ROOT/probe-2"
printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN"
