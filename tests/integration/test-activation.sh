#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test: D-Bus activation.  The built activation file
# (data/org.refmount.Refmount1.service) in the bus's service directory,
# with only its Exec= line pointed at the build tree and the sandbox's
# configuration: the first call of an unprivileged client starts
# refmountd, which then serves it; after the daemon exits (SIGTERM) the
# next call activates it again, with the state it left behind.
set -euo pipefail
export SANDBOX_BUS_ACTIVATION=1
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
sandbox_init "$@"

shipped=$SANDBOX_BUILD_DIR/data/org.refmount.Refmount1.service
[[ -f $shipped ]] || fail "activation file $shipped was not built"

tc "the shipped activation file names the bus name and the systemd unit"
assert_contains "$(cat "$shipped")" "Name=$RM_BUS" "activation file"
assert_contains "$(cat "$shipped")" "SystemdService=refmountd.service" "activation file"

# Everything but Exec= as shipped; the daemon gets the sandbox's paths.
sed -E "s|^Exec=.*$|Exec=$REFMOUNTD --config=$SANDBOX_CONFIG --state-dir=$SANDBOX_STATE_DIR --verbose|" \
  "$shipped" >"$SANDBOX_DIR/bus/services/$RM_BUS.service"
kill -HUP "$SANDBOX_DBUS_PID"

# The pid the bus started for us, tracked so the trap stops it.
track_activated ()
{
  local pid
  pid=$(sandbox_name_owner_pid "$RM_BUS")
  [[ -n $pid ]] || fail "$RM_BUS has no owner after activation"
  sandbox_track_pid "$pid"
  SANDBOX_DAEMON_PID=$pid
}

activatable ()
{
  busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
    ListActivatableNames | grep -q "\"$RM_BUS\""
}
sandbox_wait_until 10 "the bus to list $RM_BUS as activatable" activatable

tc "nothing runs before the first call"
if sandbox_name_has_owner "$RM_BUS"; then
  fail "$RM_BUS is owned before any call"
fi

tc "an unprivileged client's first call starts refmountd"
_rm_run nobody busctl --system get-property "$RM_BUS" "$RM_MANAGER_PATH" "$RM_MANAGER_IFACE" Version
assert_ok "nobody reads Version through activation"
assert_contains "$RM_OUT" 's "' "Version"
track_activated
first_pid=$SANDBOX_DAEMON_PID
[[ $(stat -c %u "/proc/$first_pid") == 0 ]] || fail "the activated daemon does not run as root"

tc "the activated daemon mounts (root) and keeps the attachment"
rm_mount tmpfs activated "$SANDBOX_ROOT/activated" att-1 size=1m
assert_ok "Mount through the activated daemon"
assert_mounted "$SANDBOX_ROOT/activated"

tc "after SIGTERM the next call activates it again, with its state"
# A child of dbus-daemon, not ours: its status is the bus's to reap, so
# only its leaving the bus (sandbox_stop_daemon waits for that) is checked.
sandbox_stop_daemon
assert_mounted "$SANDBOX_ROOT/activated"
rm_gdbus -u nobody GetMount "$(gv_str "$SANDBOX_ROOT/activated")"
assert_ok "GetMount activates the daemon again"
track_activated
[[ $SANDBOX_DAEMON_PID != "$first_pid" ]] || fail "no new daemon was started"
assert_eq "$(rm_manager_property Generation)" "t 2" "Generation after the second start"
rm_unmount "$SANDBOX_ROOT/activated" att-1
assert_ok "Unmount of the attachment made before the restart"
assert_not_mounted "$SANDBOX_ROOT/activated"

tc "clean up"
sandbox_stop_daemon
sandbox_log "activation: ok"
