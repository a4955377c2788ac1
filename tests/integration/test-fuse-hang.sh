#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test, issue 11 finding 3 (path work without a deadline).  A
# mount root lies on a real FUSE filesystem (refmount-stuck-fuse) whose
# server then stops answering (SIGSTOP), as an sshfs or NFS export does
# when its server goes away.  Resolving a mountpoint beneath it (openat2,
# mkdirat) then waits in the kernel for an answer that never comes.  That
# work must run under the call's deadline like mount(2): the caller gets
# Timeout within MountTimeoutSec plus a margin, and other mountpoints keep
# answering.  So must reading the configuration (SIGHUP, Reload), which
# checks the mount roots.
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
# shellcheck source=tests/integration/stuck-fuse-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/stuck-fuse-lib.sh"
export SANDBOX_MOUNT_TIMEOUT=3
sandbox_init "$@"
stuck_fuse_start
sandbox_start_daemon

tc "a mount beneath the FUSE root while it answers"
rm_mount tmpfs refmount-early "$FUSEROOT/early" early size=1m
assert_ok "Mount beneath the FUSE root"
assert_mounted "$FUSEROOT/early"

tc "the FUSE server stops answering"
kill -STOP "$FUSE_PID"

tc "a Mount beneath it gets Timeout within MountTimeoutSec plus a margin"
t0=$(date +%s%N)
gdbus call --system --timeout 60 --dest "$RM_BUS" --object-path "$RM_MANAGER_PATH" \
  --method "$RM_MANAGER_IFACE.Mount" tmpfs refmount-test "$FUSEROOT/x" "['size=1m']" att '@a{sv} {}' \
  >"$SANDBOX_DIR/stuck-1.out" 2>&1 &
STUCK_PID=$!
sandbox_track_pid "$STUCK_PID"

tc "meanwhile other mountpoints answer"
assert_root_cycle_within 2 "$SANDBOX_ROOT/other"
rm_gdbus GetMount "$(gv_str "$SANDBOX_ROOT/other")"
assert_error NotFound

sandbox_wait_until 30 "the Mount beneath the stuck FUSE to return" eval '! sandbox_pid_alive "$STUCK_PID"'
sandbox_stop_pid "$STUCK_PID"
ms=$((($(date +%s%N) - t0) / 1000000))
printf 'fuse-hang: the Mount beneath the stuck FUSE returned after %d ms (MountTimeoutSec=%s)\n' "$ms" "$SANDBOX_MOUNT_TIMEOUT"
assert_contains "$(cat "$SANDBOX_DIR/stuck-1.out")" "${RM_ERROR_PREFIX}Timeout" "Mount beneath a stuck FUSE"
((ms <= (SANDBOX_MOUNT_TIMEOUT + 3) * 1000)) || fail "Timeout came after $ms ms (MountTimeoutSec=$SANDBOX_MOUNT_TIMEOUT)"

tc "a second mountpoint beneath it times out too; the rest still answers"
t0=$(date +%s%N)
rm_mount tmpfs refmount-test "$FUSEROOT/y" att size=1m
ms=$((($(date +%s%N) - t0) / 1000000))
assert_error Timeout
((ms <= (SANDBOX_MOUNT_TIMEOUT + 3) * 1000)) || fail "Timeout came after $ms ms (MountTimeoutSec=$SANDBOX_MOUNT_TIMEOUT)"
assert_root_cycle_within 2 "$SANDBOX_ROOT/other-2"

tc "attaching to the mount beneath it (its lookup walks the FUSE) times out too"
t0=$(date +%s%N)
rm_mount tmpfs refmount-early "$FUSEROOT/early" early-2 size=1m
ms=$((($(date +%s%N) - t0) / 1000000))
assert_error Timeout
((ms <= (SANDBOX_MOUNT_TIMEOUT + 3) * 1000)) || fail "Timeout came after $ms ms (MountTimeoutSec=$SANDBOX_MOUNT_TIMEOUT)"
assert_root_cycle_within 2 "$SANDBOX_ROOT/other-4"

# Reading the configuration checks every mount root with lstat(2), which
# asks the filesystem the root lies on: SIGHUP ran it on the main thread,
# which then answered no unprivileged caller until the server came back.
tc "SIGHUP while a mount root does not answer: unprivileged callers are still served"
kill -HUP "$SANDBOX_DAEMON_PID"
assert_root_cycle_within 2 "$SANDBOX_ROOT/other-5"
t0=$(date +%s%N)
rm_gdbus -u nobody GetMount "$(gv_str "$SANDBOX_ROOT/none")"
ms=$((($(date +%s%N) - t0) / 1000000))
printf 'fuse-hang: nobody'"'"'s GetMount after SIGHUP returned after %d ms: %s\n' "$ms" "$RM_OUT"
assert_error NotFound
((ms <= 2000)) || fail "nobody's GetMount after SIGHUP took $ms ms"

tc "Reload while a mount root does not answer: Timeout within MountTimeoutSec plus a margin"
t0=$(date +%s%N)
rm_gdbus Reload
ms=$((($(date +%s%N) - t0) / 1000000))
printf 'fuse-hang: Reload returned after %d ms: %s\n' "$ms" "$RM_OUT"
assert_error Timeout "MountTimeoutSec"
((ms <= (SANDBOX_MOUNT_TIMEOUT + 3) * 1000)) || fail "Reload returned after $ms ms (MountTimeoutSec=$SANDBOX_MOUNT_TIMEOUT)"

tc "once the server is gone, the stuck work ends and the daemon is fine"
stuck_fuse_release
sandbox_daemon_alive || fail "refmountd died"
assert_root_cycle_within 2 "$SANDBOX_ROOT/other-3"
# SIGHUP's read timed out on its own (logged), and ends now, not applied.
grep -q "reload-failed: .*checking its mount roots did not finish within MountTimeoutSec=$SANDBOX_MOUNT_TIMEOUT" \
  "$SANDBOX_DAEMON_LOG" || fail "SIGHUP's reload should have failed with Timeout: $(grep reload "$SANDBOX_DAEMON_LOG")"
_late_read_logged ()
{
  grep -q "Reading the configuration finished after its reload timed out" "$SANDBOX_DAEMON_LOG"
}
sandbox_wait_until 10 "the stuck configuration read to end" _late_read_logged
rm_gdbus Reload
assert_ok "Reload once the mount root answers again"
printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN"
