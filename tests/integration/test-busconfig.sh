#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test: the shipped D-Bus policy, data/org.refmount.Refmount1.conf,
# on a bus with the real system bus default policy (deny own, deny method
# calls): only root may own the name, anyone may call the Manager, read
# properties, introspect, ping and use the ObjectManager; refmountd (not
# the bus) decides who may mount.
set -euo pipefail
export SANDBOX_BUS_POLICY=strict
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
sandbox_init "$@"

# as_user USER CMD...: run as root or nobody, set RM_RC/RM_OUT.
as_user ()
{
  _rm_run "$@"
}

tc "nobody may not own the name"
as_user nobody gdbus call --system --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
  --method org.freedesktop.DBus.RequestName "$RM_BUS" 0
((RM_RC != 0)) || fail "nobody could own $RM_BUS: $RM_OUT"
assert_contains "$RM_OUT" AccessDenied "RequestName by nobody"

tc "root may own the name"
sandbox_start_daemon

tc "anyone may call the Manager; the daemon decides"
rm_gdbus -u nobody GetMount "$(gv_str "$SANDBOX_ROOT/nothing")"
assert_error NotFound
rm_mount -u nobody tmpfs src "$SANDBOX_ROOT/nobody" att size=1m
assert_error NotAuthorized
rm_mount tmpfs src "$SANDBOX_ROOT/root" att size=1m
assert_ok "root Mount through the strict bus"
OBJ=$RM_MOUNT_OBJ

tc "anyone may read properties, introspect, ping and list objects"
as_user nobody busctl --system get-property "$RM_BUS" "$RM_MANAGER_PATH" "$RM_MANAGER_IFACE" Version
assert_ok "nobody reads Version"
as_user nobody busctl --system get-property "$RM_BUS" "$OBJ" "$RM_MOUNT_IFACE" State
assert_ok "nobody reads a mount's State"
assert_eq "$RM_OUT" 's "mounted"'
as_user nobody busctl --system call "$RM_BUS" "$RM_OM_PATH" org.freedesktop.DBus.ObjectManager GetManagedObjects
assert_ok "nobody calls GetManagedObjects"
assert_contains "$RM_OUT" "$OBJ"
as_user nobody busctl --system introspect "$RM_BUS" "$RM_MANAGER_PATH"
assert_ok "nobody introspects the manager"
assert_contains "$RM_OUT" "$RM_MANAGER_IFACE"
as_user nobody busctl --system call "$RM_BUS" "$RM_MANAGER_PATH" org.freedesktop.DBus.Peer Ping
assert_ok "nobody pings the daemon"

tc "other interfaces are closed by the bus"
as_user nobody busctl --system call "$RM_BUS" "$RM_MANAGER_PATH" org.example.NotThere Nope
((RM_RC != 0)) || fail "a call to an unlisted interface went through: $RM_OUT"
[[ $RM_OUT == *AccessDenied* || $RM_OUT == *Rejected* || $RM_OUT == *denied* ]] ||
  fail "expected the bus to deny the call: $RM_OUT"

tc "clean up"
rm_unmount "$SANDBOX_ROOT/root" att
assert_ok
assert_eq "$RM_UNMOUNTED" true
sandbox_daemon_alive || fail "refmountd died"
printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN"
