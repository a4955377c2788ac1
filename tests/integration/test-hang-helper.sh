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
export SANDBOX_MOUNT_TIMEOUT=2
export SANDBOX_ALLOWED_FS="tmpfs;refmounthang;"
sandbox_init "$@"

SBIN=$(readlink -f /sbin)
EXTRA=$SANDBOX_DIR/sbin-extra
mkdir -m 0755 "$EXTRA"
cat >"$EXTRA/mount.refmounthang" <<HELPER
#!/bin/sh
# Written by test-hang-helper.sh: hang like a mount of an unreachable server.
echo \$\$ >>"$SANDBOX_DIR/helper.pids"
exec sleep 100000
HELPER
chmod 0755 "$EXTRA/mount.refmounthang"
mount -t overlay refmount-sbin -o "lowerdir=$EXTRA:$SBIN" "$SBIN" 2>/dev/null ||
  skip "cannot mount an overlay over $SBIN here"
[[ -x /sbin/mount.refmounthang ]] || skip "the overlay does not show the helper"

# Each helper's pid is noted while it runs (sandbox_note_pid): only that
# process is ever signalled or waited for, not whatever has the number
# after refmountd killed it.
HELPER_PIDS=()
note_helpers ()
{
  local pid
  while read -r pid; do
    [[ -z ${SANDBOX_PID_START[$pid]:-} ]] || continue
    sandbox_note_pid "$pid"
    HELPER_PIDS+=("$pid")
  done <"$SANDBOX_DIR/helper.pids"
}
kill_helpers ()
{
  local pid
  for pid in "${HELPER_PIDS[@]}"; do
    sandbox_signal_pid KILL "$pid" || true
  done
}
# shellcheck disable=SC2154 # status is assigned inside the trap's own text
trap 'status=$?; set +e; kill_helpers; (exit "$status"); _sandbox_cleanup' EXIT

sandbox_write_config "
[Filesystem refmounthang]
AllowedOptions=ro;
UseHelper=true
"
sandbox_start_daemon

HUNG=$SANDBOX_ROOT/hung
OTHER=$SANDBOX_ROOT/other

tc "a hanging helper: Timeout, other mountpoints unaffected"
gdbus call --system --timeout 60 --dest "$RM_BUS" --object-path "$RM_MANAGER_PATH" \
  --method "$RM_MANAGER_IFACE.Mount" refmounthang server:/export "$HUNG" '@as []' hung '@a{sv} {}' \
  >"$SANDBOX_DIR/hung.out" 2>&1 &
HUNG_PID=$!
sandbox_track_pid "$HUNG_PID"
sandbox_wait_until 10 "the helper to start" test -s "$SANDBOX_DIR/helper.pids"
note_helpers
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
gdbus call --system --timeout 60 --dest "$RM_BUS" --object-path "$RM_MANAGER_PATH" \
  --method "$RM_MANAGER_IFACE.Mount" refmounthang server:/export2 "$SANDBOX_ROOT/hung-2" '@as []' hung2 '@a{sv} {}' \
  >"$SANDBOX_DIR/hung-2.out" 2>&1 &
HUNG_PID=$!
sandbox_track_pid "$HUNG_PID"
sandbox_wait_until 10 "the second helper to start" eval '(($(wc -l <"$SANDBOX_DIR/helper.pids") >= 2))'
note_helpers
start=$SECONDS
sandbox_stop_daemon
assert_eq "$SANDBOX_DAEMON_STATUS" 0 "exit status after SIGTERM with a hanging helper"
printf 'hang-helper: refmountd exited %d s after SIGTERM (MountTimeoutSec=%s)\n' \
  "$((SECONDS - start))" "$SANDBOX_MOUNT_TIMEOUT"
sandbox_wait_until 10 "the second hanging Mount to return" eval '! sandbox_pid_alive "$HUNG_PID"'
sandbox_stop_pid "$HUNG_PID"
assert_contains "$(cat "$SANDBOX_DIR/hung-2.out")" "${RM_ERROR_PREFIX}" "the in-flight Mount got an answer"

# Running, not a zombie waiting for whoever inherited it (and still the
# helper noted, not a process that got its number since).
process_running ()
{
  sandbox_pid_alive "$1"
}
tc "the helper still hanging at SIGTERM was killed, not left behind"
while read -r pid; do
  sandbox_wait_until 10 "hanging helper $pid to be gone" eval '! process_running "$pid"'
done <"$SANDBOX_DIR/helper.pids"

tc "refmountd killed with SIGKILL while a helper hangs: the helper dies with it"
sandbox_start_daemon
gdbus call --system --timeout 60 --dest "$RM_BUS" --object-path "$RM_MANAGER_PATH" \
  --method "$RM_MANAGER_IFACE.Mount" refmounthang server:/export3 "$SANDBOX_ROOT/hung-3" '@as []' hung3 '@a{sv} {}' \
  >"$SANDBOX_DIR/hung-3.out" 2>&1 &
HUNG_PID=$!
sandbox_track_pid "$HUNG_PID"
sandbox_wait_until 10 "the third helper to start" eval '(($(wc -l <"$SANDBOX_DIR/helper.pids") >= 3))'
note_helpers
helper=$(tail -n 1 "$SANDBOX_DIR/helper.pids")
process_running "$helper" || fail "the third helper $helper is not running"
sandbox_kill9_daemon
# Nobody else would: KillMode=process leaves the control group alone.
sandbox_wait_until 10 "the hanging helper $helper to die with refmountd" eval '! process_running "$helper"'
sandbox_wait_until 10 "the third Mount to return" eval '! sandbox_pid_alive "$HUNG_PID"'
sandbox_stop_pid "$HUNG_PID"
printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN"
