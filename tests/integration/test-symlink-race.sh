#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test (e): symlink races (doc/design.md "Validation and
# confinement").  Beneath a world-writable directory inside the mount root, an
# unprivileged user (nobody) keeps atomically exchanging a directory with a
# symlink to a directory outside the mount root, while root drives
# Mount/Unmount through the swapped path.  Nothing may ever be mounted or
# unmounted outside the root, and nothing may be created there.  Inside the
# root, a failed Mount and a completed Unmount must not leave a mount behind
# (the race client counts those as leaks).
#
# To see every call: REFMOUNT_RACE_TRACE=1 (the race client then prints one
# line per call with the mounts beneath the shared tmpfs to stderr), and
# SANDBOX_SAVE_LOGS=DIR keeps refmountd's log.
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
sandbox_init "$@"
CLIENT=${REFMOUNT_TEST_CLIENT:?refmount-test-client is not built}
[[ -x $CLIENT ]] || fail "test client $CLIENT not built"
# nobody runs it too; the build tree may not be reachable for nobody.
install -m 0755 "$CLIENT" "$SANDBOX_DIR/refmount-test-client"
CLIENT=$SANDBOX_DIR/refmount-test-client
ITERATIONS=${REFMOUNT_RACE_ITERATIONS:-1000}
sandbox_start_daemon

SHARED=$SANDBOX_ROOT/shared
OUT=$SANDBOX_DIR/outside
STOP=$SANDBOX_DIR/stop-race
ANOMALIES=$SANDBOX_DIR/race-anomalies
# Findings that are not escapes; reported together at the end.
PROBLEMS=()

# ---------------------------------------------------------------------------
tc "set up: a world-writable directory beneath the root and a canary outside it"
# A plain directory on the root's filesystem: refmount neither walks into
# nor mounts inside another mount, so the shared place cannot be a
# refmount mount (issue 10).
mkdir -m 0777 "$SHARED"
chmod 0777 "$SHARED"
mkdir -m 0755 "$OUT" "$OUT/m"
mount -t tmpfs -o size=1m,mode=0755 refmount-canary "$OUT/m"
echo canary >"$OUT/m/canary"
OUT_LISTING=$(ls -A "$OUT")
OUT_MOUNTS=$(mounts_beneath "$OUT")
assert_eq "$OUT_MOUNTS" "$OUT/m" "canary mount"

as_nobody mkdir -m 0755 "$SHARED/d" "$SHARED/p"
as_nobody ln -s "$OUT" "$SHARED/d-link"
as_nobody ln -s "$OUT/m" "$SHARED/p-link"

# Watches the mount table for anything at or beneath $OUT other than the
# canary, and for the canary disappearing, until $STOP exists.
start_monitor ()
{
  (
    while [[ ! -e $STOP ]]; do
      now=$(awk -v p="$OUT" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo)
      if [[ $now != "$OUT_MOUNTS" ]]; then
        printf '%s: mounts beneath %s: %s\n' "$(date +%T.%N)" "$OUT" "${now//$'\n'/ }" >>"$ANOMALIES"
      fi
      sleep 0.02
    done
  ) &
  MONITOR_PID=$!
  sandbox_track_pid "$MONITOR_PID"
}

# race_phase NAME SWAP-A SWAP-B MOUNTPOINT
race_phase ()
{
  local name=$1 a=$2 b=$3 mountpoint=$4 out rc=0
  rm -f "$STOP"
  start_monitor
  "${AS_NOBODY[@]}" "$CLIENT" swap "$a" "$b" "$STOP" >"$SANDBOX_DIR/swap-$name.out" 2>&1 &
  SWAP_PID=$!
  sandbox_track_pid "$SWAP_PID"
  out=$("$CLIENT" race "$ITERATIONS" "$mountpoint" "$OUT" "$SHARED" 2>"$SANDBOX_DIR/race-$name.trace") || rc=$?
  if [[ -n ${REFMOUNT_RACE_TRACE:-} ]]; then
    sed "s|$SHARED/||g" "$SANDBOX_DIR/race-$name.trace" >&2
  fi
  touch "$STOP"
  sandbox_stop_pid "$SWAP_PID" TERM 10
  sandbox_stop_pid "$MONITOR_PID" TERM 10
  printf '%s: race: %s; swapper: %s\n' "$name" "$out" "$(cat "$SANDBOX_DIR/swap-$name.out")" >&2
  ((rc != 2)) || fail "$name: a mount escaped the root: $out"
  # Not an escape, but a leak (doc/design.md "Mount states", Mount step 4):
  # noted, and the test goes on so that the escape checks of the other phases
  # still run.
  if ((rc == 3)); then
    PROBLEMS+=("$name: refmountd left mounts behind inside the root: $out")
    rc=0
  fi
  ((rc == 0)) || fail "$name: race client failed ($rc): $out"
  [[ $out =~ mount_ok=([0-9]+) ]] || fail "$name: cannot parse race summary: $out"
  ((BASH_REMATCH[1] > 0)) ||
    fail "$name: no Mount succeeded in $ITERATIONS attempts, the race was not exercised: $out"
  [[ $(cat "$SANDBOX_DIR/swap-$name.out") =~ swaps=([0-9]+) ]] && ((BASH_REMATCH[1] > 0)) ||
    fail "$name: the swapper did not swap: $(cat "$SANDBOX_DIR/swap-$name.out")"
}

# Put DIR back as a directory (the swapper may have left the symlink there).
restore_dir ()
{
  local path=$1 link=$2
  if [[ -L $path ]]; then
    as_nobody "$CLIENT" exchange "$path" "$link" || fail "cannot exchange $path and $link"
  fi
  [[ -d $path && ! -L $path ]] || fail "cannot restore $path as a directory"
}

# Unmount leftovers refmount no longer tracks (after a leak), so that the
# next phase starts clean.
sweep_untracked ()
{
  local mp
  while IFS= read -r mp; do
    [[ -n $mp && $mp != "$SHARED" ]] || continue
    umount -l "$mp" 2>/dev/null || true
  done < <(mounts_beneath "$SHARED" | sort -r)
}

# Release whatever refmount still holds at MOUNTPOINT (bounded).
release_all ()
{
  local mountpoint=$1 i
  for ((i = 0; i < 20; i++)); do
    rm_unmount "$mountpoint" race
    if ((RM_RC != 0)); then
      [[ $RM_OUT == *"${RM_ERROR_PREFIX}NotFound"* ]] && return 0
      [[ $RM_OUT == *"${RM_ERROR_PREFIX}NotAttached"* ]] && return 0
    fi
    sleep 0.1
  done
  fail "could not release $mountpoint after the race: $RM_OUT"
}

check_outside_untouched ()
{
  assert_eq "$(ls -A "$OUT")" "$OUT_LISTING" "entries in $OUT (something was created outside the root)"
  assert_eq "$(mounts_beneath "$OUT")" "$OUT_MOUNTS" "mounts beneath $OUT"
  assert_eq "$(cat "$OUT/m/canary" 2>/dev/null)" canary "the canary file (was the canary mount covered or unmounted?)"
  [[ ! -s $ANOMALIES ]] || fail "the monitor saw mounts outside the root:
$(head -n 20 "$ANOMALIES")"
}

# ---------------------------------------------------------------------------
tc "race on an intermediate component ($ITERATIONS Mount+Unmount pairs)"
race_phase component "$SHARED/d" "$SHARED/d-link" "$SHARED/d/m"
restore_dir "$SHARED/d" "$SHARED/d-link"
release_all "$SHARED/d/m"
check_outside_untouched
sweep_untracked

tc "race on the mountpoint itself ($ITERATIONS Mount+Unmount pairs)"
race_phase mountpoint "$SHARED/p" "$SHARED/p-link" "$SHARED/p"
restore_dir "$SHARED/p" "$SHARED/p-link"
release_all "$SHARED/p"
check_outside_untouched
sweep_untracked

tc "a symlink in place of a component is refused outright"
rm_mount tmpfs race-src "$SHARED/d-link/m" direct
((RM_RC != 0)) || fail "Mount through a symlinked component succeeded: $RM_OUT"
rm_mount tmpfs race-src "$SHARED/p-link" direct
((RM_RC != 0)) || fail "Mount onto a symlink succeeded: $RM_OUT"
check_outside_untouched

tc "Unmount below a renamed parent neither lies nor forgets"
# Deterministic: nobody renames the (nobody-owned) parent of a refmount
# mount and puts a symlink in its place.  Whatever Unmount answers, it must
# not report true while the filesystem is still mounted, nor drop the
# record of a filesystem that is still mounted.
as_nobody mkdir -m 0755 "$SHARED/q"
rm_mount tmpfs renamed-parent "$SHARED/q/m" rp size=1m
assert_ok "Mount below a nobody-owned directory"
as_nobody mv -T "$SHARED/q" "$SHARED/q.moved"
as_nobody ln -s "$OUT" "$SHARED/q"
rm_unmount "$SHARED/q/m" rp
left=$(mounts_of_source renamed-parent)
if ((RM_RC == 0)) && [[ $RM_UNMOUNTED == true && -n $left ]]; then
  PROBLEMS+=("Unmount of $SHARED/q/m after its parent was renamed returned true, but the filesystem is still mounted at $left")
fi
rm_gdbus GetMount "$(gv_str "$SHARED/q/m")"
if ((RM_RC != 0)) && [[ -n $left ]]; then
  PROBLEMS+=("refmountd forgot $SHARED/q/m (GetMount: $RM_OUT) although it is still mounted at $left")
fi
check_outside_untouched
as_nobody rm "$SHARED/q"
as_nobody mv -T "$SHARED/q.moved" "$SHARED/q"
rm_unmount "$SHARED/q/m" rp
sweep_untracked

tc "clean up"
sandbox_daemon_alive || fail "refmountd died during the race"
left=$(mounts_beneath "$SHARED" | grep -v -x -F "$SHARED" || true)
[[ -z $left ]] || fail "mounts left beneath $SHARED after releasing everything: $left"
assert_eq "$(mounts_beneath "$SANDBOX_ROOT")" "" "mounts left beneath the root"
check_outside_untouched
if ((${#PROBLEMS[@]} > 0)); then
  tc "summary"
  fail "no escape from the root, but:
$(printf '  - %s\n' "${PROBLEMS[@]}")"
fi
printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN"
