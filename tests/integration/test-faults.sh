#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test: faults (doc/design.md "Mount states",
# "Persistence").  A full or read-only state
# directory fails the call with Failed and rolls it back (nothing mounted
# that is not recorded, nothing acknowledged lost; a full one once the
# journal's last page is used up), the daemon keeps serving and recovers
# when the directory is writable again; polkitd
# killed in the middle of a CheckAuthorization → NotAuthorized for
# non-root, and recovery when it returns; a caller that disconnects
# mid-call; a mount unmounted behind refmount's back is reported "stale"
# and remounted by the next Mount; a busy unmount is deferred ("busy"),
# retried, and done once the holder lets go.  (A mount that hangs is
# test-hang.sh, over the fake backend.)
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
sandbox_init "$@"

# The state directory on its own tiny tmpfs, so it can be filled.
SMALL=$SANDBOX_DIR/small
mkdir -m 0700 "$SMALL"
mount -t tmpfs -o size=64k,mode=0700 refmount-small-state "$SMALL"
SANDBOX_STATE_DIR=$SMALL
sandbox_start_daemon

A=$SANDBOX_ROOT/fault-a
B=$SANDBOX_ROOT/fault-b

state_of ()
{
  rm_mount_property "$(rm_object_path_for "$1")" State
}

attachments_of ()
{
  rm_mount_property "$(rm_object_path_for "$1")" Attachments | grep -o '"[^"]*"' | tr -d '"' | sort | tr '\n' ' '
}

# The writes refused; what was acknowledged before is what is recorded.
check_refused ()
{
  local why=$1
  rm_mount tmpfs src-b "$B" b1 size=1m
  assert_error Failed "$B"
  assert_not_mounted "$B" "$why: a refused first Mount must not leave a mount"
  rm_gdbus GetMount "$(gv_str "$B")"
  assert_error NotFound
  rm_mount tmpfs src-a "$A" a2 size=1m
  assert_error Failed "a2"
  assert_eq "$(attachments_of "$A")" "a1 " "$why: attachments of A after a refused Mount"
  rm_unmount "$A" a1
  assert_error Failed "a1"
  assert_mounted "$A" "$why: a refused last Unmount must not unmount"
  assert_eq "$(attachments_of "$A")" "a1 " "$why: attachments of A after a refused Unmount"
  sandbox_daemon_alive || fail "$why: refmountd died"
  # kill -9 now: what comes back is what was acknowledged.
  sandbox_kill9_daemon
}

recovered ()
{
  local why=$1
  sandbox_start_daemon
  assert_eq "$(attachments_of "$A")" "a1 " "$why: attachments of A after kill -9"
  assert_eq "$(mounts_beneath "$SANDBOX_ROOT")" "$A" "$why: mounts after kill -9"
  rm_mount tmpfs src-b "$B" b1 size=1m
  assert_ok "$why: Mount once the state directory is writable"
  assert_mounted "$B"
  rm_unmount "$B" b1
  assert_ok
  assert_eq "$RM_UNMOUNTED" true
}

# ---------------------------------------------------------------------------
tc "state directory full: Failed, rolled back, daemon serving, recovers"
rm_mount tmpfs src-a "$A" a1 size=1m
assert_ok
dd if=/dev/zero of="$SMALL/filler" bs=4k 2>/dev/null || true
# A journal append may still fit in the last page of the journal, and is
# then durable: Mount new mountpoints until one is refused.
ACKED=()
REFUSED=
for ((i = 0; i < 64; i++)); do
  F=$SANDBOX_ROOT/fill-$i
  rm_mount tmpfs "src-fill-$i" "$F" f1 size=1m
  if ((RM_RC != 0)); then
    assert_error Failed "$F"
    REFUSED=$F
    break
  fi
  ACKED+=("$F")
done
[[ -n $REFUSED ]] || fail "full: 64 Mounts into a full state directory were all acknowledged"
sandbox_log "full: $((${#ACKED[@]})) Mounts acknowledged before $REFUSED was refused"
assert_not_mounted "$REFUSED" "full: a refused Mount must not leave a mount"
rm_gdbus GetMount "$(gv_str "$REFUSED")"
assert_error NotFound
# The refused change and its rollback wait to be written first: every
# later change is refused too until there is room.
rm_mount tmpfs src-a "$A" a2 size=1m
assert_error Failed "a2"
assert_eq "$(attachments_of "$A")" "a1 " "full: attachments of A after a refused Mount"
rm_unmount "$A" a1
assert_error Failed "a1"
assert_mounted "$A" "full: a refused last Unmount must not unmount"
sandbox_daemon_alive || fail "full: refmountd died"
rm -f "$SMALL/filler"
rm_mount tmpfs src-b "$B" b1 size=1m
assert_ok "full: Mount once there is room again"
assert_mounted "$B"
# kill -9 now: what comes back is exactly what was acknowledged.
sandbox_kill9_daemon
sandbox_start_daemon
assert_eq "$(attachments_of "$A")" "a1 " "full: attachments of A after kill -9"
assert_eq "$(attachments_of "$B")" "b1 " "full: attachments of B after kill -9"
for F in "${ACKED[@]}"; do
  assert_eq "$(attachments_of "$F")" "f1 " "full: acknowledged $F after kill -9"
  assert_mounted "$F" "full: acknowledged $F after kill -9"
done
rm_gdbus GetMount "$(gv_str "$REFUSED")"
assert_error NotFound
assert_not_mounted "$REFUSED" "full: refused $REFUSED after kill -9"
for F in "${ACKED[@]}" "$B"; do
  rm_unmount "$F" "$(attachments_of "$F" | tr -d ' ')"
  assert_ok
  assert_eq "$RM_UNMOUNTED" true
done
assert_eq "$(mounts_beneath "$SANDBOX_ROOT")" "$A" "full: mounts after the clean-up"

tc "state directory read-only: Failed, rolled back, recovers"
mount -o remount,ro "$SMALL"
check_refused "read-only"
mount -o remount,rw "$SMALL"
recovered "read-only"
rm_unmount "$A" a1
assert_ok
assert_eq "$RM_UNMOUNTED" true
assert_not_mounted "$A"

# ---------------------------------------------------------------------------
# A rule that makes an authorization take 3 s (polkit.spawn), so that
# something can happen in the middle of it.
sandbox_set_rules slow-nobody <<'RULES'
// SPDX-License-Identifier: GPL-2.0-or-later
polkit.addRule(function(action, subject) {
    if (action.id == "org.refmount.mount" && subject.user == "nobody") {
        if (action.lookup("attachment").indexOf("slow") == 0) {
            polkit.log("slow authorization of " + action.lookup("attachment") + " started");
            polkit.spawn(["/bin/sleep", "3"]);
            polkit.log("slow authorization of " + action.lookup("attachment") + " done");
        }
        return polkit.Result.YES;
    }
    return polkit.Result.NOT_HANDLED;
});
RULES

# slow_mount OUTFILE ATTACHMENT [FLAGS]: a nobody Mount of C in the background.
C=$SANDBOX_ROOT/fault-c
slow_mount ()
{
  "${AS_NOBODY[@]}" gdbus call --system --timeout 60 --dest "$RM_BUS" --object-path "$RM_MANAGER_PATH" \
    --method "$RM_MANAGER_IFACE.Mount" tmpfs src-c "$C" '["size=1m"]' "$2" "${3:-@a{sv\} {\}}" \
    >"$1" 2>&1 &
  SLOW_PID=$!
  sandbox_track_pid "$SLOW_PID"
  _slow_started ()
  {
    sandbox_pid_alive "$SLOW_PID" || fail "the slow Mount returned at once: $(cat "$1")"
    grep -qF "slow authorization of $2 started" "$SANDBOX_DIR/polkitd.log"
  }
  sandbox_wait_until 20 "polkitd to start the slow authorization of $2" _slow_started "$1" "$2"
}

# slow_done ATTACHMENT: polkitd finished the slow authorization.
slow_done ()
{
  grep -qF "slow authorization of $1 done" "$SANDBOX_DIR/polkitd.log"
}

tc "polkitd killed in the middle of a request: NotAuthorized, nothing mounted"
slow_mount "$SANDBOX_DIR/slow-1.out" slow-1
sandbox_kill9_polkitd
sandbox_wait_until 30 "the interrupted Mount to return" eval '! sandbox_pid_alive "$SLOW_PID"'
sandbox_stop_pid "$SLOW_PID"
assert_contains "$(cat "$SANDBOX_DIR/slow-1.out")" "${RM_ERROR_PREFIX}NotAuthorized" "Mount when polkitd died mid-request"
assert_not_mounted "$C"
rm_mount -u nobody tmpfs src-c "$C" fast-1 size=1m
assert_error NotAuthorized
sandbox_daemon_alive || fail "refmountd died with polkitd"

tc "polkitd back: authorization works again"
sandbox_start_polkitd
rm_mount -u nobody tmpfs src-c "$C" fast-1 size=1m
assert_ok "nobody Mount after polkitd restarted"
rm_unmount -u nobody "$C" fast-1
assert_ok
assert_eq "$RM_UNMOUNTED" true

# ---------------------------------------------------------------------------
tc "a caller that disconnects mid-call with release-on-exit: nothing outlives it"
slow_mount "$SANDBOX_DIR/slow-2.out" slow-2 "{'release-on-exit': <true>}"
sandbox_stop_pid "$SLOW_PID" KILL
# The check is withdrawn when the caller leaves (issue 11); polkitd still
# finishes it, and nothing may outlive the caller.
sandbox_wait_until 20 "polkitd to finish the slow authorization" slow_done slow-2
sandbox_wait_until 20 "the orphaned attachment to be released" eval '! [[ $(state_of "$C") ]]'
assert_not_mounted "$C" "nothing mounted for a caller that went away"

tc "a caller that disconnects mid-call: its check is cancelled, nothing is recorded"
# The authorization of a caller that left is withdrawn (issue 11): no
# attachment is made for a client that can no longer be told about it.
slow_mount "$SANDBOX_DIR/slow-3.out" slow-3
sandbox_stop_pid "$SLOW_PID" KILL
sandbox_wait_until 20 "the check of the caller that left to be cancelled" \
  grep -q 'Mount of .*: authorization cancelled, the caller left the bus' "$SANDBOX_DAEMON_LOG"
sandbox_wait_until 20 "polkitd to finish the slow authorization" slow_done slow-3
assert_eq "$(state_of "$C")" "" "no record of C"
assert_not_mounted "$C" "nothing mounted for a caller that went away"
rm_mount -u nobody tmpfs src-c "$C" fast-3 size=1m
assert_ok "a caller that stays is served"
rm_unmount -u nobody "$C" fast-3
assert_ok "its owner can release it"
assert_eq "$RM_UNMOUNTED" true
sandbox_remove_rules slow-nobody

# ---------------------------------------------------------------------------
S=$SANDBOX_ROOT/fault-stale
tc "unmounted behind refmount's back: reported stale, the next Mount remounts"
rm_mount tmpfs src-s "$S" s1 size=1m
assert_ok
umount "$S"
sandbox_wait_until 10 "State stale" eval '[[ $(state_of "$S") == "s \"stale\"" ]]'
assert_eq "$(attachments_of "$S")" "s1 " "a stale mount keeps its attachments"
rm_mount tmpfs src-s "$S" s2 size=1m
assert_ok "Mount of a stale mountpoint"
assert_mounted "$S" "remounted"
assert_eq "$(mount_field "$S" source)" src-s
assert_eq "$(state_of "$S")" 's "mounted"'
assert_eq "$(attachments_of "$S")" "s1 s2 "

tc "... and a re-attach of a present attachment remounts too"
umount "$S"
rm_mount tmpfs src-s "$S" s1 size=1m
assert_ok
assert_mounted "$S" "remounted by a re-attach"
rm_unmount "$S" s1
assert_ok
rm_unmount "$S" s2
assert_ok
assert_eq "$RM_UNMOUNTED" true
assert_not_mounted "$S"

# ---------------------------------------------------------------------------
U=$SANDBOX_ROOT/fault-busy
tc "busy unmount: deferred, retried, unmounted once released"
rm_mount tmpfs src-u "$U" u1 size=1m
assert_ok
(cd "$U" && exec sleep 1000) &
HOLDER=$!
sandbox_track_pid "$HOLDER"
sandbox_wait_until 10 "the holder to enter $U" eval '[[ $(readlink "/proc/$HOLDER/cwd") == "$U" ]]'
rm_unmount "$U" u1
assert_ok "Unmount of a busy mount"
assert_eq "$RM_UNMOUNTED" false "a deferred unmount reports false"
assert_eq "$(state_of "$U")" 's "busy"'
assert_mounted "$U" "still mounted while busy"
# The first retry comes after 2 s; it must find the mount still busy.
_busy_retried ()
{
  grep -qF "Retrying the deferred unmount of $U" "$SANDBOX_DAEMON_LOG"
}
sandbox_wait_until 20 "refmountd to retry the busy unmount" _busy_retried
assert_mounted "$U" "still mounted while the holder is there (retried)"
assert_eq "$(state_of "$U")" 's "busy"' "still busy after a retry"
grep -q "busy" "$SANDBOX_DAEMON_LOG" || fail "no busy message in the log"
sandbox_stop_pid "$HOLDER" KILL
sandbox_wait_until 30 "the busy mount to be unmounted" _sandbox_not_mounted "$U"
sandbox_wait_until 10 "the record to go" eval '! [[ $(state_of "$U") ]]'
rm_gdbus GetMount "$(gv_str "$U")"
assert_error NotFound

tc "daemon still healthy, nothing left"
sandbox_daemon_alive || fail "refmountd died"
assert_eq "$(mounts_beneath "$SANDBOX_ROOT")" "" "mounts left beneath the root"
printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN"
