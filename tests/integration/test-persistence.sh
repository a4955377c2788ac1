#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test (c): persistence and lifecycle (doc/design.md
# "Lifecycle", "Persistence"): acknowledged attachments survive kill -9,
# Generation is bumped on every start, SIGTERM exits 0 leaving mounts
# mounted, a recorded mount that vanished is "stale" and remounted by the
# next Mount, an unrecorded kernel mount with the same source/fstype is
# adopted, and a corrupt state file is moved aside.
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
sandbox_init "$@"
sandbox_start_daemon

A=$SANDBOX_ROOT/persist-a
B=$SANDBOX_ROOT/persist-b

generation ()
{
  local g
  g=$(rm_manager_property Generation)
  [[ $g =~ ^t\ ([0-9]+)$ ]] || fail "cannot read Generation: '$g'"
  printf '%s\n' "${BASH_REMATCH[1]}"
}

# attachment_ids MOUNTPOINT: sorted "id:uid" lines of the Attachments property.
attachment_ids ()
{
  local p
  p=$(rm_mount_property "$(rm_object_path_for "$1")" Attachments)
  [[ -n $p ]] || return 0
  p=${p#a(sut) }
  p=${p#* }
  # p is now: "id" uid time "id" uid time ...
  local -a words
  read -r -a words <<<"$p"
  local i
  for ((i = 0; i + 2 < ${#words[@]}; i += 3)); do
    printf '%s:%s\n' "${words[i]//\"/}" "${words[i + 1]}"
  done | sort
}

# ---------------------------------------------------------------------------
tc "set up attachments"
G1=$(generation)
sandbox_set_rules nobody-mount <<'EOF'
// SPDX-License-Identifier: GPL-2.0-or-later
polkit.addRule(function(action, subject) {
    if (action.id == "org.refmount.mount" && subject.user == "nobody")
        return polkit.Result.YES;
    return polkit.Result.NOT_HANDLED;
});
EOF
rm_mount tmpfs persist-src-a "$A" a-1 size=1m
assert_ok
rm_mount tmpfs persist-src-a "$A" a-2 size=1m
assert_ok
rm_mount -u nobody tmpfs persist-src-a "$A" a-nobody size=1m
assert_ok
rm_mount tmpfs persist-src-b "$B" b-1 size=2m
assert_ok
EXPECTED_A=$(printf '%s\n' a-1:0 a-2:0 "a-nobody:$NOBODY_UID" | sort)
assert_eq "$(attachment_ids "$A")" "$EXPECTED_A" "attachments on A before the crash"
[[ -s $SANDBOX_STATE_FILE ]] || fail "no state file at $SANDBOX_STATE_FILE after acknowledged Mounts"

# ---------------------------------------------------------------------------
tc "kill -9 keeps every acknowledged attachment"
sandbox_kill9_daemon
assert_mounted "$A" "kill -9 must not unmount A"
assert_mounted "$B" "kill -9 must not unmount B"
sandbox_start_daemon
G2=$(generation)
assert_eq "$G2" "$((G1 + 1))" "Generation after restart"
assert_eq "$(attachment_ids "$A")" "$EXPECTED_A" "attachments on A after kill -9"
assert_eq "$(attachment_ids "$B")" "b-1:0" "attachments on B after kill -9"
assert_eq "$(rm_mount_property "$(rm_object_path_for "$A")" State)" 's "mounted"' "A adopted as mounted"
assert_mounted "$A" "restart must not mount A again"
assert_mounted "$B" "restart must not mount B again"
opts=$(rm_mount_property "$(rm_object_path_for "$A")" Options)
assert_contains "$opts" '"size=1m"' "Options survive the restart"

tc "the restored refcount works"
rm_unmount "$A" a-1
assert_ok
assert_eq "$RM_UNMOUNTED" false
rm_unmount -u nobody "$A" a-nobody
assert_ok "nobody still owns its attachment after the restart"
assert_eq "$RM_UNMOUNTED" false
rm_unmount "$A" a-2
assert_ok
assert_eq "$RM_UNMOUNTED" true
assert_not_mounted "$A"

# ---------------------------------------------------------------------------
tc "SIGTERM exits 0 and leaves mounts mounted"
sandbox_stop_daemon
assert_eq "$SANDBOX_DAEMON_STATUS" 0 "refmountd exit status after SIGTERM"
assert_mounted "$B" "SIGTERM must not unmount B"
sandbox_start_daemon
assert_eq "$(generation)" "$((G2 + 1))" "Generation after the second restart"
assert_eq "$(attachment_ids "$B")" "b-1:0" "attachments on B after SIGTERM"

# ---------------------------------------------------------------------------
tc "a recorded mount that vanished is stale, and Mount remounts it"
sandbox_kill9_daemon
umount "$B"
sandbox_start_daemon
assert_eq "$(rm_mount_property "$(rm_object_path_for "$B")" State)" 's "stale"' "State of a vanished mount"
assert_eq "$(attachment_ids "$B")" "b-1:0" "a stale mount keeps its attachments"
rm_mount tmpfs persist-src-b "$B" b-2 size=2m
assert_ok "Mount of a stale mountpoint"
assert_mounted "$B" "stale mountpoint remounted"
assert_eq "$(rm_mount_property "$(rm_object_path_for "$B")" State)" 's "mounted"' "State after the remount"
assert_eq "$(attachment_ids "$B")" "$(printf '%s\n' b-1:0 b-2:0)" "attachments after the remount"

# ---------------------------------------------------------------------------
tc "a corrupt state file is moved aside"
sandbox_stop_daemon
assert_eq "$SANDBOX_DAEMON_STATUS" 0 "refmountd exit status after SIGTERM"
printf 'this is not a GVariant state file\0\377\376garbage' >"$SANDBOX_STATE_FILE"
sandbox_start_daemon
shopt -s nullglob
corrupt=("$SANDBOX_STATE_DIR"/state.corrupt-*)
shopt -u nullglob
((${#corrupt[@]} == 1)) || fail "expected one state.corrupt-* file, found: $(ls -A "$SANDBOX_STATE_DIR")"
grep -q 'this is not a GVariant state file' "${corrupt[0]}" ||
  fail "${corrupt[0]} does not hold the corrupt contents"
grep -qi 'corrupt' "$SANDBOX_DAEMON_LOG" || fail "the daemon did not report the corrupt state file"
assert_mounted "$B" "B is still mounted in the kernel"

tc "an unrecorded kernel mount with the same source and fstype is adopted"
rm_mount tmpfs persist-src-b "$B" b-3 size=2m
assert_ok "Mount onto an unrecorded mount of the same source"
assert_mounted "$B" "adoption must not mount a second time"
rm_unmount "$B" b-3
assert_ok
assert_eq "$RM_UNMOUNTED" true
assert_not_mounted "$B"

tc "daemon still healthy"
sandbox_daemon_alive || fail "refmountd died"
assert_eq "$(mounts_beneath "$SANDBOX_ROOT")" "" "mounts left beneath the root"
printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN"
