#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test (a): the reference-counted mount lifecycle, mount
# objects and their properties, the ObjectManager, and the error replies
# of Mount/Unmount/GetMount (doc/dbus-api.md; doc/design.md "Mount states",
# "Validation and confinement").
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
sandbox_init "$@"
sandbox_start_daemon

MP=$SANDBOX_ROOT/shared-a

# ---------------------------------------------------------------------------
tc "manager properties"
out=$(rm_manager_property Version)
assert_contains "$out" 's "' "Version is a string"
out=$(rm_manager_property MountRoots)
assert_eq "$out" "as 1 \"$SANDBOX_ROOT\"" "MountRoots"
out=$(rm_manager_property SupportedFilesystems)
assert_contains "$out" '"tmpfs"' "SupportedFilesystems"
out=$(rm_manager_property Generation)
[[ $out =~ ^t\ [1-9][0-9]*$ ]] || fail "Generation should be a positive t, got '$out'"

# ---------------------------------------------------------------------------
tc "first attachment mounts"
rm_mount tmpfs refmount-test "$MP" att-1 size=1m
assert_ok "Mount att-1"
assert_eq "$RM_MOUNTPOINT" "$MP" "returned mountpoint"
assert_eq "$RM_MOUNT_OBJ" "$(rm_object_path_for "$MP")" "mount object path (g_dbus_escape_object_path)"
OBJ=$RM_MOUNT_OBJ
assert_mounted "$MP" "after the first Mount"
assert_eq "$(mount_field "$MP" fstype)" tmpfs "kernel fstype"
assert_eq "$(mount_field "$MP" source)" refmount-test "kernel source"
mopts=$(mount_field "$MP" options)
assert_contains ",$mopts," ",nosuid," "kernel mount options (forced nosuid)"
assert_contains ",$mopts," ",nodev," "kernel mount options (forced nodev)"
[[ -d $MP ]] || fail "mountpoint directory $MP missing"

tc "second attachment shares the mount"
rm_mount tmpfs refmount-test "$MP" att-2 size=1m
assert_ok "Mount att-2"
assert_eq "$RM_MOUNT_OBJ" "$OBJ" "same object for the second attachment"
assert_mounted "$MP" "two attachments, one mount"

tc "the same attachment again is a no-op"
rm_mount tmpfs refmount-test "$MP" att-1 size=1m
assert_ok "Mount att-1 again"
assert_mounted "$MP" "re-attach must not mount again"
att=$(rm_mount_property "$OBJ" Attachments)
[[ $att =~ ^a\(sut\)\ 2\  ]] || fail "expected exactly 2 attachments, got: $att"

# ---------------------------------------------------------------------------
tc "mount object properties"
assert_eq "$(rm_mount_property "$OBJ" State)" 's "mounted"' "State"
assert_eq "$(rm_mount_property "$OBJ" Mountpoint)" "s \"$MP\"" "Mountpoint"
assert_eq "$(rm_mount_property "$OBJ" Source)" 's "refmount-test"' "Source"
assert_eq "$(rm_mount_property "$OBJ" FilesystemType)" 's "tmpfs"' "FilesystemType"
opts=$(rm_mount_property "$OBJ" Options)
assert_contains "$opts" '"size=1m"' "Options has the caller's option"
assert_contains "$opts" '"nosuid"' "Options has forced nosuid"
assert_contains "$opts" '"nodev"' "Options has forced nodev"
att=$(rm_mount_property "$OBJ" Attachments)
[[ $att =~ \"att-1\"\ 0\ [1-9][0-9]+ ]] || fail "Attachments lacks (att-1, uid 0, time): $att"
[[ $att =~ \"att-2\"\ 0\ [1-9][0-9]+ ]] || fail "Attachments lacks (att-2, uid 0, time): $att"
# Attach times are microseconds since the epoch: within a minute of now.
now_us=$(($(date +%s) * 1000000))
for t in $(sed -E 's/"[^"]*" [0-9]+ ([0-9]+)/\n\1\n/g' <<<"${att#a(sut) 2 }" | grep -E '^[0-9]+$'); do
  ((t > now_us - 60000000 && t <= now_us + 60000000)) ||
    fail "attach time $t is not in µs since the epoch (now ~$now_us)"
done
mounted_at=$(rm_mount_property "$OBJ" MountedAt)
[[ $mounted_at =~ ^t\ [1-9][0-9]+$ ]] || fail "MountedAt should be non-zero, got '$mounted_at'"

tc "GetMount and GetManagedObjects"
rm_gdbus GetMount "$(gv_str "$MP")"
assert_ok "GetMount"
assert_eq "$RM_OUT" "(objectpath '$OBJ',)" "GetMount reply"
managed=$(busctl --system call "$RM_BUS" "$RM_OM_PATH" org.freedesktop.DBus.ObjectManager GetManagedObjects) ||
  fail "GetManagedObjects failed: $managed"
assert_contains "$managed" "\"$OBJ\"" "GetManagedObjects lists the mount"
assert_contains "$managed" "\"$RM_MOUNT_IFACE\"" "GetManagedObjects shows the Mount interface"

# ---------------------------------------------------------------------------
tc "errors: NotFound, NotAttached, Conflict"
rm_unmount "$SANDBOX_ROOT/not-managed" att-1
assert_error NotFound "$SANDBOX_ROOT/not-managed"
rm_gdbus GetMount "$(gv_str "$SANDBOX_ROOT/not-managed")"
assert_error NotFound "$SANDBOX_ROOT/not-managed"
rm_unmount "$MP" no-such-attachment
assert_error NotAttached "no-such-attachment"
rm_mount tmpfs other-source "$MP" att-3 size=1m
assert_error Conflict
rm_mount tmpfs refmount-test "$MP" att-3 size=2m
assert_error Conflict
assert_mounted "$MP" "failed calls must not change the mount"
att=$(rm_mount_property "$OBJ" Attachments)
[[ $att =~ ^a\(sut\)\ 2\  ]] || fail "failed calls must not change attachments: $att"
assert_not_contains "$att" att-3 "rejected attachment recorded"

# ---------------------------------------------------------------------------
tc "first Unmount keeps the mount"
rm_unmount "$MP" att-1
assert_ok "Unmount att-1"
assert_eq "$RM_UNMOUNTED" false "Unmount of one of two attachments"
assert_mounted "$MP" "one attachment left"
att=$(rm_mount_property "$OBJ" Attachments)
[[ $att =~ ^a\(sut\)\ 1\ \"att-2\" ]] || fail "expected only att-2, got: $att"
rm_unmount "$MP" att-1
assert_error NotAttached att-1

tc "last Unmount unmounts and removes the directory"
rm_unmount "$MP" att-2
assert_ok "Unmount att-2"
assert_eq "$RM_UNMOUNTED" true "Unmount of the last attachment"
assert_not_mounted "$MP" "after the last Unmount"
[[ ! -e $MP ]] || fail "mountpoint directory $MP was not removed"
rm_gdbus GetMount "$(gv_str "$MP")"
assert_error NotFound
managed=$(busctl --system call "$RM_BUS" "$RM_OM_PATH" org.freedesktop.DBus.ObjectManager GetManagedObjects)
assert_not_contains "$managed" "\"$OBJ\"" "GetManagedObjects after the last Unmount"
rm_unmount "$MP" att-2
assert_error NotFound

# ---------------------------------------------------------------------------
tc "empty mountpoint: derived name"
src=derived-source
hash=$(printf '%s' "$src" | sha256sum | cut -c1-16)
expected=$SANDBOX_ROOT/tmpfs-$hash
rm_mount tmpfs "$src" "" derived
assert_ok "Mount with empty mountpoint"
assert_eq "$RM_MOUNTPOINT" "$expected" "derived mountpoint"
assert_mounted "$expected" "derived mountpoint mounted"
# The same request again lands on the same mountpoint.
rm_mount tmpfs "$src" "" derived-2
assert_ok "second Mount with empty mountpoint"
assert_eq "$RM_MOUNTPOINT" "$expected" "derived mountpoint is deterministic"
assert_mounted "$expected"
rm_unmount "$expected" derived
assert_ok
rm_unmount "$expected" derived-2
assert_ok
assert_eq "$RM_UNMOUNTED" true
assert_not_mounted "$expected"

# ---------------------------------------------------------------------------
tc "InvalidArgument names the offending value"
before=$(grep -c . /proc/self/mountinfo)
bad=$SANDBOX_ROOT/bad
rm_mount tmpfs src "$bad" att bogus-option=1
assert_error InvalidArgument bogus-option
rm_mount tmpfs src "$bad" att suid
assert_error InvalidArgument suid
rm_mount tmpfs src "$bad" att dev
assert_error InvalidArgument dev
rm_mount tmpfs src "$bad" att size=1m,mode=0777
assert_error InvalidArgument "size=1m,mode=0777"
rm_mount tmpfs src "$bad" att "x-foo=1"
assert_error InvalidArgument x-foo
rm_mount tmpfs src "$bad" att "helper=foo"
assert_error InvalidArgument helper
rm_mount -f "{'no-such-flag': <true>}" tmpfs src "$bad" att
assert_error InvalidArgument no-such-flag
rm_mount ext4 /dev/null "$bad" att
assert_error InvalidArgument ext4
rm_mount tmpfs "src with space" "$bad" att
assert_error InvalidArgument source
rm_mount tmpfs -src "$bad" att
assert_error InvalidArgument -src
rm_mount tmpfs src "$bad" -att
assert_error InvalidArgument -att
rm_mount tmpfs src "$bad" 'att/x'
assert_error InvalidArgument 'att/x'
rm_mount tmpfs src "$bad" ""
assert_error InvalidArgument attachment
rm_mount tmpfs src /tmp/refmount-outside att
assert_error InvalidArgument /tmp/refmount-outside
rm_mount tmpfs src "$SANDBOX_ROOT" att
assert_error InvalidArgument "$SANDBOX_ROOT"
rm_mount tmpfs src "$SANDBOX_ROOT/a/../b" att
assert_error InvalidArgument "$SANDBOX_ROOT/a/../b"
rm_mount tmpfs src "$SANDBOX_ROOT//b" att
assert_error InvalidArgument "$SANDBOX_ROOT//b"
rm_mount tmpfs src "$SANDBOX_ROOT/b/" att
assert_error InvalidArgument "$SANDBOX_ROOT/b/"
rm_mount tmpfs src "relative/path" att
assert_error InvalidArgument "relative/path"
rm_mount nfs "not-a-host-path" "$bad" att
assert_error InvalidArgument not-a-host-path
rm_unmount -f "{'force': <'yes'>}" "$bad" att
assert_error InvalidArgument force
rm_unmount -f "{'bogus': <true>}" "$bad" att
assert_error InvalidArgument bogus
after=$(grep -c . /proc/self/mountinfo)
assert_eq "$after" "$before" "rejected calls must not mount anything"
[[ ! -e $bad ]] || fail "rejected calls created $bad"

tc "injection attempts through mount arguments change nothing"
rm_mount tmpfs 'src;touch /tmp/refmount-pwned' "$bad" att
assert_error InvalidArgument
rm_mount tmpfs src "$bad" att 'mode=0755 suid'
assert_error InvalidArgument
rm_mount tmpfs src "$bad" att $'size=1m\nsuid'
assert_error InvalidArgument
rm_mount tmpfs src "$bad" $'att\n'
assert_error InvalidArgument
[[ ! -e /tmp/refmount-pwned ]] || fail "a mount argument was executed"
assert_eq "$(grep -c . /proc/self/mountinfo)" "$before" "injection attempts mounted something"

# ---------------------------------------------------------------------------
tc "a mount refmount does not manage is a Conflict"
FOREIGN=$SANDBOX_ROOT/foreign
mkdir -m 0755 "$FOREIGN"
mount -t tmpfs -o size=1m,nosuid,nodev foreign-source "$FOREIGN"
rm_mount tmpfs other-source "$FOREIGN" att size=1m
assert_error Conflict
assert_mounted "$FOREIGN" "the foreign mount must stay alone"
umount "$FOREIGN"
rmdir "$FOREIGN"

# ---------------------------------------------------------------------------
# refmountd takes well-formed Manager calls off the bus before GDBus's
# object dispatch; calls that path does not take must still work.
CLIENT=${REFMOUNT_TEST_CLIENT:?refmount-test-client is not built}

tc "a call without an interface name is refused and changes nothing"
# GDBus answers such calls to exported objects with UnknownMethod; the
# filter must not take them either.
BARE=$SANDBOX_ROOT/bare
out=$("$CLIENT" bare "$BARE" att-bare) && fail "a Mount without an interface name succeeded: $out"
assert_eq "$out" "error UnknownMethod" "reply to a Mount without an interface name"
assert_not_mounted "$BARE"
[[ ! -e $BARE ]] || fail "$BARE was created"

tc "a call that asks for no reply is carried out without one"
NOREPLY=$SANDBOX_ROOT/noreply
out=$("$CLIENT" noreply "$NOREPLY" att-noreply) || fail "noreply Mount failed: $out"
assert_eq "$out" "sent, then mounted" "noreply client"
assert_mounted "$NOREPLY"
rm_unmount "$NOREPLY" att-noreply
assert_ok "Unmount after the no-reply Mount"
assert_eq "$RM_UNMOUNTED" true "last attachment unmounts"

tc "daemon still healthy"
sandbox_daemon_alive || fail "refmountd died during the test"
assert_eq "$(mounts_beneath "$SANDBOX_ROOT")" "" "mounts left beneath the root"
printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN"
