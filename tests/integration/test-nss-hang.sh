#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test, issue 11: the user database lookup of the Mount flag
# "owner" (the caller's primary group, getpwuid_r through NSS) must not
# run on the main loop or GDBus's thread.  With sssd or LDAP behind NSS it
# can wait for a server that went away.  Here the user database stops
# answering for real: in the sandbox's mount namespace /etc/passwd is
# replaced by a FIFO with no writer, so glibc's "files" service waits in
# open(2) as it would for an unreachable directory server.  The owned
# Mount gets Timeout within MountTimeoutSec plus a margin, and root's
# plain Mount and Unmount keep completing within 2 s.
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
export SANDBOX_MOUNT_TIMEOUT=3
sandbox_init "$@"
grep -q '^passwd:[[:space:]]*files' /etc/nsswitch.conf ||
  skip "NSS does not ask the files service first for passwd here"
BOUND_MS=$(((SANDBOX_MOUNT_TIMEOUT + 3) * 1000))
FIFO=$SANDBOX_DIR/passwd.fifo

release_passwd ()
{
  # Lazily: a reader blocked in open(2) holds the mount.
  umount -l /etc/passwd 2>/dev/null || true
  # Readers blocked in open(2) of the FIFO wake once a writer opens it and
  # read end-of-file once it closes (O_RDWR: opening does not block).
  if [[ -p $FIFO ]]; then
    exec 3<>"$FIFO"
    exec 3>&-
  fi
}
trap 'status=$?; set +e; release_passwd; (exit "$status"); _sandbox_cleanup' EXIT
sandbox_start_daemon

OWN="{'owner': <true>}"

tc "root's owned Mount while the user database answers"
rm_mount -f "$OWN" tmpfs own-src "$SANDBOX_ROOT/own-1" att size=1m
assert_ok "owned Mount"
assert_eq "$(stat -c '%u:%g %a' "$SANDBOX_ROOT/own-1")" "0:0 700" "owner and mode of the tmpfs root"
rm_unmount "$SANDBOX_ROOT/own-1" att
assert_ok "Unmount"

tc "the user database stops answering"
mkfifo -m 0644 "$FIFO"
mount --bind "$FIFO" /etc/passwd

tc "root's owned Mount gets Timeout; root's plain cycle is not held up"
t0=$(date +%s%N)
gdbus call --system --timeout 120 --dest "$RM_BUS" --object-path "$RM_MANAGER_PATH" \
  --method "$RM_MANAGER_IFACE.Mount" tmpfs own-src "$SANDBOX_ROOT/own-2" "['size=1m']" att "$OWN" \
  >"$SANDBOX_DIR/owned.out" 2>&1 &
OWNED_PID=$!
sandbox_track_pid "$OWNED_PID"
assert_root_cycle_within 2 "$SANDBOX_ROOT/plain-1"
_owned_returned ()
{
  ! sandbox_pid_alive "$OWNED_PID" || (((($(date +%s%N) - t0) / 1000000) > BOUND_MS + 1000))
}
sandbox_wait_until $((BOUND_MS / 1000 + 5)) "the owned Mount to return" _owned_returned
ms=$((($(date +%s%N) - t0) / 1000000))
sandbox_pid_alive "$OWNED_PID" && fail "the owned Mount did not return within $BOUND_MS ms"
sandbox_stop_pid "$OWNED_PID"
printf 'nss-hang: the owned Mount returned after %d ms: %s\n' "$ms" "$(cat "$SANDBOX_DIR/owned.out")"
assert_contains "$(cat "$SANDBOX_DIR/owned.out")" "${RM_ERROR_PREFIX}Timeout" "owned Mount while NSS hangs"
assert_contains "$(cat "$SANDBOX_DIR/owned.out")" "Looking up the group of uid 0"
((ms <= BOUND_MS)) || fail "the Timeout came after $ms ms (MountTimeoutSec=$SANDBOX_MOUNT_TIMEOUT)"
assert_not_mounted "$SANDBOX_ROOT/own-2"
rm_gdbus GetMount "$(gv_str "$SANDBOX_ROOT/own-2")"
assert_error NotFound
assert_root_cycle_within 2 "$SANDBOX_ROOT/plain-2"

tc "the user database answers again: the owned Mount works"
release_passwd
rm_mount -f "$OWN" tmpfs own-src "$SANDBOX_ROOT/own-3" att size=1m
assert_ok "owned Mount after the user database came back"
rm_unmount "$SANDBOX_ROOT/own-3" att
assert_ok "Unmount"
sandbox_daemon_alive || fail "refmountd died"
printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN"
