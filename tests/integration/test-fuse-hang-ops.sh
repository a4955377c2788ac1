#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test, issue 11: the rest of the blocking filesystem work on
# a caller's path runs under the call's deadline (doc/request-pipeline.md).
# Mounts live beneath a real FUSE filesystem (refmount-stuck-fuse) whose
# server then stops answering (SIGSTOP), as an sshfs or NFS export does
# when its server goes away.  Then
#
#   rmdir    a lazy Unmount of a mountpoint refmountd created there: the
#            umount(2) goes through the mounted-on directory and needs
#            nothing from the server, but removing that directory waits in
#            the kernel for the server (RMDIR);
#   recover  Recover of a mount there: after the lazy detach, reaching the
#            directory again to remount waits for the server (LOOKUP);
#   recover-queue  40 no-reply Recovers of it from a uid holding
#            org.refmount.manage must wait in the entry's queue, not on
#            workers;
#   recheck  the vanished check (after the mount table changed) looks at
#            every managed mount, also the ones beneath the stuck FUSE:
#            it must still mark the mounts elsewhere that vanished.
#
# Each caller gets Timeout within MountTimeoutSec plus a margin, and root's
# Mount and Unmount of an unrelated tmpfs complete within 2 s throughout.
# FUSE_HANG_OPS_CASES selects cases (default: all, in this order).
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
# shellcheck source=tests/integration/stuck-fuse-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/stuck-fuse-lib.sh"
export SANDBOX_MOUNT_TIMEOUT=3
sandbox_init "$@"
CASES=${FUSE_HANG_OPS_CASES:-recover rmdir recover-queue recheck}
BOUND_MS=$(((SANDBOX_MOUNT_TIMEOUT + 3) * 1000))

# No kernel cache: every walk beneath the root asks the server at once.
stuck_fuse_start entry_timeout=0,attr_timeout=0,negative_timeout=0
sandbox_start_daemon
sandbox_set_rules nobody-manage <<RULES
// SPDX-License-Identifier: GPL-2.0-or-later
polkit.addRule(function(action, subject) {
    if (action.id == "org.refmount.manage" && subject.user == "nobody")
        return polkit.Result.YES;
    return polkit.Result.NOT_HANDLED;
});
RULES

has_case ()
{
  [[ " $CASES " == *" $1 "* ]]
}

# call_start NAME METHOD ARGS...: a Manager call by root in the
# background; call_wait NAME waits for it at most BOUND_MS and puts its
# output in RM_OUT.  call_within: both.
declare -A CALL_PID CALL_T0
call_start ()
{
  local name=$1 method=$2
  shift 2
  CALL_T0[$name]=$(date +%s%N)
  gdbus call --system --timeout 120 --dest "$RM_BUS" --object-path "$RM_MANAGER_PATH" \
    --method "$RM_MANAGER_IFACE.$method" "$@" >"$SANDBOX_DIR/$name.out" 2>&1 &
  CALL_PID[$name]=$!
  sandbox_track_pid "${CALL_PID[$name]}"
}

call_wait ()
{
  local name=$1 pid=${CALL_PID[$1]} t0=${CALL_T0[$1]} ms
  _call_returned ()
  {
    ! sandbox_pid_alive "$pid" || (((($(date +%s%N) - t0) / 1000000) > BOUND_MS + 1000))
  }
  sandbox_wait_until $((BOUND_MS / 1000 + 5)) "the call ($name) to return" _call_returned
  ms=$((($(date +%s%N) - t0) / 1000000))
  sandbox_pid_alive "$pid" &&
    fail "the call ($name) beneath the stuck FUSE did not return within $BOUND_MS ms (MountTimeoutSec=$SANDBOX_MOUNT_TIMEOUT)"
  sandbox_stop_pid "$pid"
  RM_OUT=$(cat "$SANDBOX_DIR/$name.out")
  RM_RC=$SANDBOX_LAST_STATUS
  printf 'fuse-hang-ops: %s returned after %d ms: %s\n' "$name" "$ms" "$RM_OUT"
  ((ms <= BOUND_MS)) || fail "the call ($name) returned after $ms ms (MountTimeoutSec=$SANDBOX_MOUNT_TIMEOUT)"
}

call_within ()
{
  call_start "$@"
  call_wait "$1"
}

tc "mounts beneath the FUSE root (and elsewhere) while it answers"
for name in rmdir recover h1 h2 h3 h4 h5 h6; do
  rm_mount tmpfs "src-$name" "$FUSEROOT/$name" "att-$name" size=1m
  assert_ok "Mount of $FUSEROOT/$name"
done
for i in 1 2 3 4 5 6; do
  rm_mount tmpfs "src-v$i" "$SANDBOX_ROOT/v$i" "att-v$i" size=1m
  assert_ok "Mount of $SANDBOX_ROOT/v$i"
done

# The mounts above queued a vanished check.  Once one has run with nothing
# changed since, none is pending.
tc "a vanished check has run"
rm_mount tmpfs src-canary "$SANDBOX_ROOT/canary" att-canary size=1m
assert_ok "Mount of the canary"
umount "$SANDBOX_ROOT/canary"
_canary_stale ()
{
  [[ $(rm_mount_property "$(rm_object_path_for "$SANDBOX_ROOT/canary")" State) == 's "stale"' ]]
}
sandbox_wait_until 10 "the canary to be marked stale" _canary_stale

tc "the FUSE server stops answering"
kill -STOP "$FUSE_PID"

# Both start at once: each finds its entry free.  Any change of the mount
# table queues a vanished check, and one that reaches an entry beneath the
# stopped server holds it for as long as its lookup hangs.
has_case recover && call_start recover Recover "$FUSEROOT/recover" '@a{sv} {}'
has_case rmdir && call_start rmdir Unmount "$FUSEROOT/rmdir" att-rmdir "{'lazy': <true>}"

if has_case recover; then
  tc "recover: Recover of a mount beneath it: Timeout"
  call_wait recover
  assert_error Timeout "Reaching mountpoint '$FUSEROOT/recover' to remount it"
  assert_root_cycle_within 2 "$SANDBOX_ROOT/after-recover"
fi

if has_case rmdir; then
  tc "rmdir: lazy Unmount of a directory refmountd created beneath it: Timeout, not a lost worker"
  call_wait rmdir
  assert_error Timeout "$FUSEROOT/rmdir"
  assert_not_mounted "$FUSEROOT/rmdir" "the unmount itself happened"
  assert_root_cycle_within 2 "$SANDBOX_ROOT/after-rmdir"
fi

if has_case recover-queue; then
  # The first Recover to get the entry hangs (or its late completion
  # holds the entry); the others must wait in the entry's queue.
  tc "recover-queue: 40 no-reply Recovers of it (nobody holds manage) wait in its queue"
  flood_start "$SANDBOX_DIR/flood.out" recover 40 0 "$FUSEROOT/recover"
  flood_wait "$SANDBOX_DIR/flood.out"
  assert_root_cycle_within 2 "$SANDBOX_ROOT/after-flood"
  call_within recover-2 Recover "$FUSEROOT/recover" '@a{sv} {}'
  assert_error Timeout "$FUSEROOT/recover"
  assert_root_cycle_within 2 "$SANDBOX_ROOT/after-flood-2"
fi

if has_case recheck; then
  tc "recheck: mounts elsewhere vanish; the vanished check still marks them"
  for i in 1 2 3 4 5 6; do
    umount "$SANDBOX_ROOT/v$i"
  done
  _all_stale ()
  {
    local i
    for i in 1 2 3 4 5 6; do
      [[ $(rm_mount_property "$(rm_object_path_for "$SANDBOX_ROOT/v$i")" State) == 's "stale"' ]] || return 1
    done
  }
  sandbox_wait_until $((BOUND_MS / 1000 + 3)) "every vanished mount to be marked stale" _all_stale
  assert_root_cycle_within 2 "$SANDBOX_ROOT/after-recheck"
  assert_root_cycle_within 2 "$SANDBOX_ROOT/after-recheck-2"
fi

tc "once the server is gone, the stuck work ends and the daemon is fine"
stuck_fuse_release
sandbox_daemon_alive || fail "refmountd died"
assert_root_cycle_within 2 "$SANDBOX_ROOT/after-release"
printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN"
