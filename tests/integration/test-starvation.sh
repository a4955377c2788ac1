#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test, issue 11 finding 1 (worker starvation).  While a mount
# hangs in a real helper (as mount.nfs does against a server that went
# away), uid nobody sends 40 Unmount calls with NO_REPLY_EXPECTED for
# that mountpoint — releasing one's own attachment needs no
# authorization, so nothing stops them before they wait for the
# mountpoint.  Waiting must cost a queue entry, not a thread: root's
# Mount and Unmount of an unrelated tmpfs still complete within 2 s, and
# the hung Mount still ends in Timeout.
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
# shellcheck source=tests/integration/hang-helper-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/hang-helper-lib.sh"
export SANDBOX_MOUNT_TIMEOUT=20
export SANDBOX_ALLOWED_FS="tmpfs;refmounthang;"
sandbox_init "$@"

hang_setup
sandbox_start_daemon

HUNG=$SANDBOX_ROOT/hung

tc "a Mount hangs in its helper"
hang_start_mount 120 server:/export "$HUNG" hung "$SANDBOX_DIR/hung.out"

tc "nobody queues 40 no-reply Unmounts on the hung mountpoint"
flood_start "$SANDBOX_DIR/flood.out" unmount 40 0 "$HUNG"
flood_wait "$SANDBOX_DIR/flood.out"

tc "root's cycle of an unrelated tmpfs is not starved"
assert_root_cycle_within 2 "$SANDBOX_ROOT/other"
rm_gdbus GetMount "$(gv_str "$HUNG")"
assert_error NotFound

tc "resending keeps nothing frozen"
flood_start "$SANDBOX_DIR/flood-2.out" unmount 40 0 "$HUNG"
flood_wait "$SANDBOX_DIR/flood-2.out"
assert_root_cycle_within 2 "$SANDBOX_ROOT/other-2"

tc "the hung Mount still ends in Timeout"
sandbox_wait_until 60 "the hanging Mount to return" eval '! sandbox_pid_alive "$HUNG_PID"'
sandbox_stop_pid "$HUNG_PID"
assert_contains "$(cat "$SANDBOX_DIR/hung.out")" "${RM_ERROR_PREFIX}Timeout" "Mount through a hanging helper"
sandbox_daemon_alive || fail "refmountd died"
printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN"
