# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The hanging mount helper of test-hang-helper.sh and test-starvation.sh
# (source it after sandbox.sh): a test-only filesystem type
# "refmounthang" whose helper /sbin/mount.refmounthang never returns, as
# mount.nfs does against a server that went away.

# hang_setup: install the helper and allow the type (UseHelper=true);
# call before sandbox_start_daemon.  Skips the test where no overlay can
# be mounted over /sbin.
hang_setup ()
{
  sandbox_install_helper --or-skip mount.refmounthang <<'HELPER'
#!/bin/sh
exec sleep 100000
HELPER
  sandbox_write_config "
[Filesystem refmounthang]
AllowedOptions=ro;
UseHelper=true
"
}

# hang_start_mount GDBUS_TIMEOUT SOURCE MOUNTPOINT ATTACHMENT OUTPUT: root's
# Mount of refmounthang in the background (its pid in HUNG_PID, its
# answer in OUTPUT), once its helper has started.
hang_start_mount ()
{
  local timeout=$1 source=$2 mountpoint=$3 attachment=$4 output=$5 started=0
  [[ ! -s $SANDBOX_HELPER_PIDS ]] || started=$(wc -l <"$SANDBOX_HELPER_PIDS")
  gdbus call --system --timeout "$timeout" --dest "$RM_BUS" --object-path "$RM_MANAGER_PATH" \
    --method "$RM_MANAGER_IFACE.Mount" refmounthang "$source" "$mountpoint" '@as []' "$attachment" '@a{sv} {}' \
    >"$output" 2>&1 &
  HUNG_PID=$!
  sandbox_track_pid "$HUNG_PID"
  _hang_helper_started ()
  {
    [[ -s $SANDBOX_HELPER_PIDS ]] && (($(wc -l <"$SANDBOX_HELPER_PIDS") > started))
  }
  sandbox_wait_until 10 "the helper of the Mount of $mountpoint to start" _hang_helper_started
}
