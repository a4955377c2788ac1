#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test: the published D-Bus contract (doc/dbus-api.md) as a
# client sees it on the bus — reply/signal order, the errors of paths
# that name no mount object, canonical object paths, ApiVersion and the
# EmitsChangedSignal annotations.
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
sandbox_init "$@"
sandbox_start_daemon

CONTRACT_CLIENT=${REFMOUNT_CONTRACT_CLIENT:-$SANDBOX_BUILD_DIR/tests/integration/refmount-contract-client}
[[ -x $CONTRACT_CLIENT ]] || fail "$CONTRACT_CLIENT not built"

# ---------------------------------------------------------------------------
tc "a Reload reply follows the Manager's PropertiesChanged"
# A allows ramfs (the sandbox's default), B does not.
cp "$SANDBOX_CONFIG" "$SANDBOX_DIR/config-a"
SANDBOX_ALLOWED_FS='tmpfs;nfs;cifs;' sandbox_write_config
cp "$SANDBOX_CONFIG" "$SANDBOX_DIR/config-b"
out=$("$CONTRACT_CLIENT" reload-order "$SANDBOX_CONFIG" "$SANDBOX_DIR/config-a" "$SANDBOX_DIR/config-b" 50 2>&1) ||
  fail "a proxy read a stale SupportedFilesystems in its Reload reply callback: $out"
sandbox_log "$out"
cp "$SANDBOX_DIR/config-a" "$SANDBOX_CONFIG"
rm_gdbus Reload
assert_ok "Reload back to the default configuration"

# ---------------------------------------------------------------------------
# call_on PATH INTERFACE.METHOD ARG...: RM_RC/RM_OUT of a call on PATH.
call_on ()
{
  local path=$1 method=$2
  shift 2
  _rm_run root gdbus call --system --timeout 30 --dest "$RM_BUS" --object-path "$path" --method "$method" "$@"
}

assert_unknown_object ()
{
  ((RM_RC != 0)) || fail "$1: expected UnknownObject, the call succeeded: $RM_OUT"
  [[ $RM_OUT == *"org.freedesktop.DBus.Error.UnknownObject"* ]] ||
    fail "$1: expected org.freedesktop.DBus.Error.UnknownObject, got: $RM_OUT"
}

# Every way of reaching an object: the properties, introspection, and a
# method of the Mount interface (it has none, but the object comes first).
assert_no_object_at ()
{
  local path=$1 what=$2
  call_on "$path" org.freedesktop.DBus.Properties.Get "'$RM_MOUNT_IFACE'" "'State'"
  assert_unknown_object "Get on $what"
  call_on "$path" org.freedesktop.DBus.Properties.GetAll "'$RM_MOUNT_IFACE'"
  assert_unknown_object "GetAll on $what"
  call_on "$path" org.freedesktop.DBus.Introspectable.Introspect
  assert_unknown_object "Introspect on $what"
  call_on "$path" "$RM_MOUNT_IFACE.Frobnicate"
  assert_unknown_object "a Mount method on $what"
}

MP=$SANDBOX_ROOT/contract-a
OBJ=$(rm_object_path_for "$MP")

tc "a mount object path that never existed: UnknownObject"
assert_no_object_at "$OBJ" "a path that never had a mount"
assert_no_object_at "$RM_MOUNTS_PATH/_2fnot_2fa_2fmount" "a path outside every mount root"

tc "a mount object path that existed: UnknownObject once it is gone"
rm_mount tmpfs contract "$MP" att-1
assert_ok "Mount"
assert_eq "$RM_MOUNT_OBJ" "$OBJ" "object path"
call_on "$OBJ" org.freedesktop.DBus.Properties.Get "'$RM_MOUNT_IFACE'" "'State'"
assert_ok "Get State of a live mount"
assert_contains "$RM_OUT" "'mounted'" "State of a live mount"
rm_unmount "$MP" att-1
assert_ok "Unmount"
assert_no_object_at "$OBJ" "the path of an unmounted mount"

tc "mount objects answer only on their canonical escaped path"
rm_mount tmpfs contract "$MP" att-1
assert_ok "Mount"
call_on "$OBJ" org.freedesktop.DBus.Properties.GetAll "'$RM_MOUNT_IFACE'"
assert_ok "GetAll on the canonical path"
# g_dbus_escape_object_path writes lower-case hex; the same bytes spelt
# with upper-case hex are another path, never signalled, so no object.
UPPER=$(sed -E 's/_([0-9a-f])([a-f])/_\1\U\2/g' <<<"$OBJ")
[[ $UPPER != "$OBJ" ]] || fail "test bug: $OBJ has no lower-case hex digit to spell differently"
assert_no_object_at "$UPPER" "an upper-case hex spelling of a live mount's path"
# A path below a mount object names nothing either.
assert_no_object_at "$OBJ/child" "a path below a mount object"
rm_unmount "$MP" att-1
assert_ok "Unmount"

# ---------------------------------------------------------------------------
tc "ApiVersion and the const properties"
assert_eq "$(rm_manager_property ApiVersion)" "u 1" "ApiVersion"
xml=$(gdbus introspect --system --xml --dest "$RM_BUS" --object-path "$RM_MANAGER_PATH")
# property_is_const XML NAME: the property's introspection carries
# EmitsChangedSignal=const.
property_is_const ()
{
  XML=$1 python3 - "$2" <<'PY'
import os, sys, xml.etree.ElementTree as ET
root = ET.fromstring(os.environ['XML'])
for prop in root.iter('property'):
    if prop.get('name') == sys.argv[1]:
        sys.exit(0 if any(a.get('name') == 'org.freedesktop.DBus.Property.EmitsChangedSignal'
                          and a.get('value') == 'const' for a in prop.iter('annotation')) else 1)
sys.exit(2)
PY
}
for p in Version ApiVersion Generation; do
  property_is_const "$xml" "$p" || fail "Manager.$p should be EmitsChangedSignal=const: $xml"
done
for p in MountRoots SupportedFilesystems FilesystemTypes; do
  ! property_is_const "$xml" "$p" || fail "Manager.$p changes on Reload, it cannot be const"
done
rm_mount tmpfs contract "$MP" att-1
assert_ok "Mount"
xml=$(gdbus introspect --system --xml --dest "$RM_BUS" --object-path "$OBJ")
for p in Mountpoint Source FilesystemType Options; do
  property_is_const "$xml" "$p" || fail "Mount.$p should be EmitsChangedSignal=const: $xml"
done
for p in State Attachments MountedAt; do
  ! property_is_const "$xml" "$p" || fail "Mount.$p changes, it cannot be const"
done
rm_unmount "$MP" att-1
assert_ok "Unmount"
