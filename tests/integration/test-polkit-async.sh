#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test, issue 11 finding 4 (synchronous polkit).  A polkit
# rule makes checks of attachments named "slow-*" take long (it runs a
# helper that waits for a file, as a prompt waits for a human).  Then:
#   * a check still pending at AuthorizationTimeoutSec fails NotAuthorized
#     naming that reason;
#   * 40 pending checks of uid nobody hold no worker: root's Mount and
#     Unmount of a tmpfs complete within 2 s meanwhile;
#   * a pending check is cancelled when its caller leaves the bus.
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
sandbox_init "$@"

RELEASE=$SANDBOX_DIR/release-slow-checks
sandbox_write_config
sed -i '/^MountTimeoutSec=/a AuthorizationTimeoutSec=2\nInteractiveAuthorizationTimeoutSec=3' "$SANDBOX_CONFIG"
sandbox_start_daemon
# polkit.spawn() gives up on a helper after a while; each slow check waits
# at most that long, or until the test creates $RELEASE.
sandbox_set_rules slow "polkit.addRule(function(action, subject) {
  if (action.id == 'org.refmount.mount' && String(action.lookup('attachment')).indexOf('slow') == 0) {
    try { polkit.spawn(['/bin/sh', '-c', 'i=0; while [ ! -e $RELEASE ] && [ \$i -lt 80 ]; do sleep 0.1; i=\$((i+1)); done']); } catch (e) {}
    return polkit.Result.NO;
  }
});"
trap 'status=$?; set +e; touch "$RELEASE"; (exit "$status"); _sandbox_cleanup' EXIT

tc "a check pending at AuthorizationTimeoutSec fails NotAuthorized with that reason"
t0=$(date +%s%N)
rm_mount -u nobody tmpfs refmount-test "$SANDBOX_ROOT/slow-1" slow-1 size=1m
ms=$((($(date +%s%N) - t0) / 1000000))
assert_error NotAuthorized
assert_contains "$RM_OUT" "AuthorizationTimeoutSec=2" "the denial names the deadline"
((ms <= 5000)) || fail "the deadline answer came after $ms ms (AuthorizationTimeoutSec=2)"
touch "$RELEASE"
sandbox_sync_rules
rm -f "$RELEASE"

tc "the interactive deadline applies to calls that allow interaction"
t0=$(date +%s%N)
_rm_run nobody busctl --system --allow-interactive-authorization=yes --timeout=60 call "$RM_BUS" \
  "$RM_MANAGER_PATH" "$RM_MANAGER_IFACE" Mount sssassa{sv} tmpfs refmount-test "$SANDBOX_ROOT/slow-2" \
  1 size=1m slow-2 0
ms=$((($(date +%s%N) - t0) / 1000000))
((RM_RC != 0)) || fail "the slow interactive Mount succeeded: $RM_OUT"
assert_contains "$RM_OUT" "InteractiveAuthorizationTimeoutSec=3" "the denial names the interactive deadline"
((ms <= 6000)) || fail "the deadline answer came after $ms ms (InteractiveAuthorizationTimeoutSec=3)"
touch "$RELEASE"
sandbox_sync_rules
rm -f "$RELEASE"

tc "40 pending checks hold no worker"
# Every call expects a reply, so the client stays on the bus meanwhile.
flood_start "$SANDBOX_DIR/slow-flood.out" mount 40 1 "$SANDBOX_ROOT/slow-3" 1 7
assert_root_cycle_within 2 "$SANDBOX_ROOT/probe"
touch "$RELEASE"
flood_wait "$SANDBOX_DIR/slow-flood.out"
(($(flood_replies "$SANDBOX_DIR/slow-flood.out" ok) == 0)) || fail "a slow check was granted"
sandbox_sync_rules
rm -f "$RELEASE"

tc "a pending check is cancelled when its caller leaves the bus"
# The client is killed once the daemon has taken its call off the bus.
before=$(grep -c 'left the bus' "$SANDBOX_DAEMON_LOG" || true)
flood_start "$SANDBOX_DIR/gone.out" mount 1 1 "$SANDBOX_ROOT/slow-4" 1 7
kill -KILL "$FLOOD_PID"
sandbox_stop_pid "$FLOOD_PID"
_cancelled ()
{
  (($(grep -c 'left the bus' "$SANDBOX_DAEMON_LOG" || true) > before))
}
sandbox_wait_until 5 "the daemon to cancel the check of a caller that left" _cancelled
grep 'left the bus' "$SANDBOX_DAEMON_LOG" | tail -n 1
touch "$RELEASE"
sandbox_daemon_alive || fail "refmountd died"
assert_root_cycle_within 2 "$SANDBOX_ROOT/probe-2"
printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN"
