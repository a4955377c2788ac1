#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test, issues 11 and 16: the last Unmount of a stale record
# (its mount vanished while refmountd was stopped) removes the directory
# refmountd created for it, and that rmdir(2) is a caller's path work like
# any other: under the call's deadline.  The mount root lies on a real
# FUSE filesystem (refmount-stuck-fuse) whose server then stops answering.
# The kernel caches its names and attributes for an hour here, so looking
# the mountpoint up still answers from the cache, while RMDIR always goes
# to the server and waits for it.
#
#   - the caller gets Timeout within MountTimeoutSec plus a margin, and the
#     record is gone (the release was acknowledged);
#   - root's Mount and Unmount of an unrelated tmpfs complete within 2 s;
#   - once the server answers again (it refuses RMDIR), the late rmdir is
#     logged, retried in the background, and given up on after its
#     attempts; the mountpoint is usable again throughout;
#   - a record left with no attachments (refmountd killed meanwhile) is
#     dropped at the next start, and its rmdir, waiting for the stopped
#     server as well, does not hold up the start (it ran on the main
#     thread, before the bus name was owned).
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
# shellcheck source=tests/integration/stuck-fuse-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/stuck-fuse-lib.sh"
export SANDBOX_MOUNT_TIMEOUT=3
sandbox_init "$@"
BOUND_MS=$(((SANDBOX_MOUNT_TIMEOUT + 3) * 1000))

stuck_fuse_start entry_timeout=3600,attr_timeout=3600,negative_timeout=3600
sandbox_start_daemon
MP=$FUSEROOT/stale

# stale_from_before_restart MOUNTPOINT ATTACHMENT: a mount there while the
# server answers, which vanishes while refmountd is stopped.  A mount of
# the running daemon's own is undone through the fd it was mounted on (it
# may have moved rather than vanished); only a record from before a
# restart is dropped by a lookup of its path.
stale_from_before_restart ()
{
  local mp=$1 obj
  rm_mount tmpfs "src-$2" "$mp" "$2" size=1m
  assert_ok "Mount of $mp"
  obj=$RM_MOUNT_OBJ
  sandbox_stop_daemon
  umount "$mp"
  sandbox_start_daemon
  _stale ()
  {
    [[ $(rm_mount_property "$obj" State) == 's "stale"' ]]
  }
  sandbox_wait_until 10 "$mp to be marked stale" _stale
  [[ -d $mp ]] || fail "the directory refmountd created for $mp should still be there"
}

tc "a mount beneath the FUSE root while it answers; it vanishes while refmountd is stopped"
stale_from_before_restart "$MP" att-stale

tc "the FUSE server stops answering"
kill -STOP "$FUSE_PID"

tc "the last Unmount of the stale record: Timeout within MountTimeoutSec plus a margin"
t0=$(date +%s%N)
rm_unmount "$MP" att-stale
ms=$((($(date +%s%N) - t0) / 1000000))
printf 'fuse-hang-dirs: Unmount returned after %d ms: %s\n' "$ms" "$RM_OUT"
assert_error Timeout "removing its directory did not finish within MountTimeoutSec" "$MP"
((ms <= BOUND_MS)) || fail "the Unmount returned after $ms ms (MountTimeoutSec=$SANDBOX_MOUNT_TIMEOUT)"

tc "meanwhile other mountpoints answer"
assert_root_cycle_within 2 "$SANDBOX_ROOT/other"

tc "the server answers again: the late rmdir is logged, retried, given up on"
kill -CONT "$FUSE_PID"
_late_logged ()
{
  grep -q "Removing directory $MP finished after its caller timed out: " "$SANDBOX_DAEMON_LOG"
}
sandbox_wait_until 10 "the late rmdir to be logged" _late_logged
_given_up ()
{
  grep -q "Giving up removing directory $MP: " "$SANDBOX_DAEMON_LOG"
}
# Five attempts, a second apart.
sandbox_wait_until 20 "the background retries to give up" _given_up
grep "$MP" "$SANDBOX_DAEMON_LOG" | grep -E "timed out|retrying|Giving up" || true

tc "the record is gone: the release was acknowledged and is kept"
rm_gdbus GetMount "$(gv_str "$MP")"
assert_error NotFound "$MP"

tc "the mountpoint is usable again"
rm_mount tmpfs src-again "$MP" att-again size=1m
assert_ok "Mount of $MP again"
assert_mounted "$MP"
rm_unmount "$MP" att-again
assert_ok "Unmount of $MP"
assert_not_mounted "$MP"

# A record whose last attachment was released (durably) while its rmdir
# hung, and then refmountd was killed: at the next start it is not mounted
# and has no attachments, so it is dropped and its directory removed.
# That rmdir waits for the stopped server too, and must not hold up the
# start: refmountd owns its name and serves other mountpoints.
BOOT=$FUSEROOT/boot
tc "boot: a stale record beneath the FUSE root, its last Unmount stuck in rmdir"
stale_from_before_restart "$BOOT" att-boot
kill -STOP "$FUSE_PID"
rm_unmount "$BOOT" att-boot
assert_error Timeout "removing its directory did not finish within MountTimeoutSec" "$BOOT"

tc "boot: refmountd killed; the next start drops the record without waiting for the server"
sandbox_kill9_daemon
t0=$(date +%s%N)
sandbox_start_daemon
ms=$((($(date +%s%N) - t0) / 1000000))
printf 'fuse-hang-dirs: refmountd owned its name %d ms after its start\n' "$ms"
assert_root_cycle_within 2 "$SANDBOX_ROOT/after-boot"
rm_gdbus GetMount "$(gv_str "$BOOT")"
assert_error NotFound "$BOOT"

tc "boot: the server answers again: the directory's removal is tried, and given up on"
kill -CONT "$FUSE_PID"
_boot_given_up ()
{
  grep -q "Giving up removing directory $BOOT: " "$SANDBOX_DAEMON_LOG"
}
sandbox_wait_until 20 "the removal of $BOOT to be given up on" _boot_given_up

stuck_fuse_release
sandbox_daemon_alive || fail "refmountd died"
printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN"
