#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test: configuration (doc/design.md "Validation and
# confinement", "Configuration"): Reload and SIGHUP, a
# configuration that does not load leaves the old one in force, per-fstype
# ForcedOptions, MaxMounts / MaxAttachmentsPerUser, and mount roots that
# are writable by others make the daemon refuse to start.
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
sandbox_init "$@"
sandbox_start_daemon

# ---------------------------------------------------------------------------
tc "Reload applies a new configuration"
assert_contains "$(rm_manager_property SupportedFilesystems)" '"ramfs"' "ramfs allowed at first"
rm_mount ramfs ramfs-src "$SANDBOX_ROOT/ram-1" r1
assert_ok "ramfs Mount before the Reload"
SANDBOX_ALLOWED_FS='tmpfs;nfs;' sandbox_write_config
rm_gdbus Reload
assert_ok "Reload"
out=$(rm_manager_property SupportedFilesystems)
assert_not_contains "$out" '"ramfs"' "SupportedFilesystems after the Reload"
rm_mount ramfs ramfs-src "$SANDBOX_ROOT/ram-2" r2
assert_error InvalidArgument ramfs
# Existing mounts and attachments are not touched by a Reload.
assert_mounted "$SANDBOX_ROOT/ram-1" "a Reload must not unmount anything"
rm_unmount "$SANDBOX_ROOT/ram-1" r1
assert_ok "Unmount of a mount whose fstype is no longer allowed"
assert_eq "$RM_UNMOUNTED" true

tc "SIGHUP reloads too"
sandbox_write_config
kill -HUP "$SANDBOX_DAEMON_PID"
_ramfs_back ()
{
  [[ $(rm_manager_property SupportedFilesystems) == *'"ramfs"'* ]]
}
sandbox_wait_until 10 "SIGHUP to re-allow ramfs" _ramfs_back
sandbox_daemon_alive || fail "refmountd died on SIGHUP"

tc "a configuration that does not load is refused, the old one stays"
before=$(rm_manager_property SupportedFilesystems)
printf '[Daemon\nthis is = not a key file\n' >"$SANDBOX_CONFIG"
rm_gdbus Reload
assert_error Failed
assert_eq "$(rm_manager_property SupportedFilesystems)" "$before" "configuration after a failed Reload"
sandbox_daemon_alive || fail "refmountd died on a bad configuration"
rm_mount tmpfs after-bad "$SANDBOX_ROOT/after-bad" a size=1m
assert_ok "Mount after a failed Reload"
rm_unmount "$SANDBOX_ROOT/after-bad" a
assert_ok

# ---------------------------------------------------------------------------
tc "per-fstype ForcedOptions are applied"
SANDBOX_RAMFS_FORCED='noexec;' sandbox_write_config
rm_gdbus Reload
assert_ok "Reload with ForcedOptions=noexec for ramfs"
rm_mount ramfs ramfs-src "$SANDBOX_ROOT/ram-3" r3
assert_ok
opts=$(rm_mount_property "$RM_MOUNT_OBJ" Options)
assert_contains "$opts" '"noexec"' "Options include the per-fstype forced option"
assert_contains "$opts" '"nosuid"' "Options include the daemon-wide forced options"
assert_contains ",$(mount_field "$SANDBOX_ROOT/ram-3" options)," ",noexec," "kernel mount is noexec"
rm_unmount "$SANDBOX_ROOT/ram-3" r3
assert_ok

# ---------------------------------------------------------------------------
tc "MaxMounts and MaxAttachmentsPerUser"
SANDBOX_MAX_MOUNTS=2 SANDBOX_MAX_ATTACH=3 sandbox_write_config
rm_gdbus Reload
assert_ok "Reload with small limits"
rm_mount tmpfs lim "$SANDBOX_ROOT/lim-1" a1 size=1m
assert_ok
rm_mount tmpfs lim "$SANDBOX_ROOT/lim-2" a2 size=1m
assert_ok
rm_mount tmpfs lim "$SANDBOX_ROOT/lim-3" a3 size=1m
assert_error LimitExceeded
assert_not_mounted "$SANDBOX_ROOT/lim-3" "a refused mount"
rm_mount tmpfs lim "$SANDBOX_ROOT/lim-1" a3 size=1m
assert_ok "a third attachment (uid 0) on an existing mount"
rm_mount tmpfs lim "$SANDBOX_ROOT/lim-1" a4 size=1m
assert_error LimitExceeded
for a in a1 a3; do
  rm_unmount "$SANDBOX_ROOT/lim-1" "$a"
  assert_ok
done
rm_unmount "$SANDBOX_ROOT/lim-2" a2
assert_ok
assert_eq "$(mounts_beneath "$SANDBOX_ROOT")" "" "mounts left beneath the root"

# ---------------------------------------------------------------------------
tc "the shipped data/refmount.conf loads (with the sandbox's mount root)"
sed "s|^MountRoots=.*|MountRoots=$SANDBOX_ROOT;|" "$SANDBOX_SOURCE_DIR/data/refmount.conf" >"$SANDBOX_CONFIG"
rm_gdbus Reload
assert_ok "Reload with the shipped configuration"
assert_eq "$(rm_manager_property SupportedFilesystems)" \
  'as 7 "nfs" "nfs4" "cifs" "smb3" "glusterfs" "fuse.sshfs" "tmpfs"' "SupportedFilesystems of the shipped configuration"
rm_mount tmpfs shipped "$SANDBOX_ROOT/shipped" a size=1m mode=0755 noexec
assert_ok "tmpfs Mount under the shipped configuration"
opts=$(rm_mount_property "$RM_MOUNT_OBJ" Options)
assert_contains "$opts" '"nosuid"' "shipped ForcedOptions"
assert_contains "$opts" '"nodev"' "shipped ForcedOptions"
rm_unmount "$SANDBOX_ROOT/shipped" a
assert_ok
rm_mount fuse.sshfs user@host:/path "$SANDBOX_ROOT/ssh" a IdentityFile=/tmp/key
assert_error InvalidArgument IdentityFile
sandbox_write_config
rm_gdbus Reload
assert_ok

# ---------------------------------------------------------------------------
tc "mount roots writable by others are refused at start"
sandbox_stop_daemon
assert_eq "$SANDBOX_DAEMON_STATUS" 0 "exit status after SIGTERM"
check_refused ()
{
  local what=$1 rc=0 out
  out=$(timeout 10 "$REFMOUNTD" --config="$SANDBOX_CONFIG" --state-dir="$SANDBOX_STATE_DIR" 2>&1) || rc=$?
  ((rc != 124)) || fail "refmountd kept running with $what"
  ((rc != 0)) || fail "refmountd exited 0 with $what: $out"
  sandbox_name_has_owner "$RM_BUS" && fail "refmountd owned its name with $what"
  assert_contains "$out" "$SANDBOX_ROOT" "the start-up error names the mount root"
}
chmod 0777 "$SANDBOX_ROOT"
check_refused "a world-writable mount root"
chmod 0775 "$SANDBOX_ROOT"
check_refused "a group-writable mount root"
chmod 0755 "$SANDBOX_ROOT"
chown "$NOBODY_UID" "$SANDBOX_ROOT"
check_refused "a mount root owned by nobody"
chown 0 "$SANDBOX_ROOT"

tc "a sane root starts again"
sandbox_start_daemon
sandbox_daemon_alive || fail "refmountd did not start with a sane root"
printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN"
