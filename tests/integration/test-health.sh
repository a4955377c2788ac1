#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test: health and usage of mounts, Recover and AutoRecover
# (issue 13, parts 2 and 3), with real kernel mounts of
# tests/refmount-test-fuse.c, a FUSE filesystem whose answers are switched
# at run time (ok, hang, estale, eio) through a control file per mount
# instance.  A stand-in /sbin/mount.glusterfs (an overlay, only in the
# test's mount namespace, as test-sshfs.sh does) starts it, so refmountd
# mounts it as the network type "glusterfs" (kernel type fuse.glusterfs):
#
#   * Health ok and Usage = the test filesystem's fixed statfs figures;
#   * hang -> unresponsive within HealthTimeoutSec + one interval, the
#     stuck probe is not repeated (one probe thread), calls for other
#     mountpoints and property reads answer within 2 s; answer again ->
#     ok, "recovered" logged, refmountctl monitor prints both changes;
#   * estale -> stale-handle; Recover: bad input is InvalidArgument
#     naming the argument, uid nobody is NotAuthorized, root gets a new
#     mount on the same directory with both attachments, Health ok again;
#   * AutoRecover=true: a stale-handle mount is recovered by refmountd;
#   * a tmpfs (health off): Usage equals statvfs(3) after writing a file.
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
sandbox_init "$@"

[[ -c /dev/fuse ]] ||
  skip "/dev/fuse does not exist: this machine cannot run FUSE filesystems (load the fuse module)"
[[ -n ${REFMOUNT_TEST_FUSE:-} && -x ${REFMOUNT_TEST_FUSE:-} ]] ||
  skip "refmount-test-fuse was not built (libfuse3-dev is missing)"
PYTHON=/usr/bin/python3
[[ -x $PYTHON ]] || skip "$PYTHON is not installed"
[[ -x ${REFMOUNTCTL:-} ]] || fail "refmountctl ${REFMOUNTCTL:-} not built"

CTL=$SANDBOX_DIR/fuse-ctl
mkdir -m 0755 "$CTL"

# The stand-in helper: libmount runs "mount.glusterfs SOURCE TARGET
# [-sfnv] [-o OPTIONS]".  Each mount gets a control file of its own,
# CTL/VOLUME.N, and CTL/VOLUME.current names the newest, so that a test
# can break one mount instance while its replacement works; a new
# instance starts in the mode CTL/VOLUME.default names (default: ok).
sandbox_install_helper mount.glusterfs <<HELPER
#!/bin/sh
# Written by test-health.sh: a glusterfs stand-in (refmount-test-fuse).
$SANDBOX_HELPER_ARGS
vol=\${src##*/}
n=\$(( \$(cat "$CTL/\$vol.count" 2>/dev/null || echo 0) + 1 ))
echo "\$n" >"$CTL/\$vol.count"
cat "$CTL/\$vol.default" 2>/dev/null >"$CTL/\$vol.\$n" || echo ok >"$CTL/\$vol.\$n"
echo "$CTL/\$vol.\$n" >"$CTL/\$vol.current"
exec "$REFMOUNT_TEST_FUSE" "$CTL/\$vol.\$n" -o "fsname=\$src,subtype=glusterfs\$opts" "\$target"
HELPER

# Release every hanging instance on the way out, or umount and the
# daemon's probe threads would wait for it.
_health_exit ()
{
  local st=$? f
  set +e
  for f in "$CTL"/*.[0-9]*; do
    [[ -f $f ]] && echo ok >"$f"
  done
  (exit "$st")
  _sandbox_cleanup
}
trap _health_exit EXIT

INTERVAL=1
TIMEOUT=2
write_config ()
{
  SANDBOX_ALLOWED_FS="tmpfs;glusterfs;" SANDBOX_MOUNT_TIMEOUT=10 sandbox_write_config "
[Filesystem glusterfs]
AllowedOptions=ro;rw;
UseHelper=true
HealthIntervalSec=$INTERVAL
HealthTimeoutSec=$TIMEOUT
AutoRecover=${1:-false}"
}
write_config false
sandbox_start_daemon

# set_mode VOLUME MODE: switch the newest instance of VOLUME.
set_mode ()
{
  echo "$2" >"$(cat "$CTL/$1.current")"
}

health_is ()
{
  [[ $(rm_mount_property "$1" Health) == "s \"$2\"" ]]
}

# A call for another mountpoint, and a property read of the troubled
# mount itself, answer within 2 s.
others_answer ()
{
  local obj=$1 start
  start=$(date +%s%N)
  rm_mount tmpfs tmpfs "$SANDBOX_ROOT/other" other-1
  assert_ok "Mount of another mountpoint while $2"
  rm_unmount "$SANDBOX_ROOT/other" other-1
  assert_ok "Unmount of another mountpoint while $2"
  [[ -n $(rm_mount_property "$obj" Health) ]] || fail "Health could not be read while $2"
  local ms=$((($(date +%s%N) - start) / 1000000))
  ((ms < 2000)) || fail "calls took ${ms} ms while $2 (bound: 2000 ms)"
}

probe_threads ()
{
  local n=0 comm
  for comm in /proc/"$SANDBOX_DAEMON_PID"/task/*/comm; do
    [[ $(cat "$comm" 2>/dev/null) == refmount-probe ]] && n=$((n + 1))
  done
  echo "$n"
}

MP=$SANDBOX_ROOT/gluster-a
SRC=127.0.0.1:/vola

# ---------------------------------------------------------------------------
tc "a network mount is probed: Health ok, Usage from statfs"
rm_mount glusterfs "$SRC" "$MP" vol-a:inst-1
assert_ok "Mount through the stand-in"
OBJ=$RM_MOUNT_OBJ
rm_mount glusterfs "$SRC" "$MP" vol-a:inst-2
assert_ok "second attachment"
assert_eq "$(mount_field "$MP" fstype)" fuse.glusterfs "kernel fstype"
sandbox_wait_until 10 "Health ok" health_is "$OBJ" ok
# refmount-test-fuse's statfs: 1000 blocks of 4096, 600 free, 500 available.
assert_eq "$(rm_mount_property "$OBJ" Usage)" "(ttt) 4096000 2457600 2048000" "Usage"
assert_eq "$(rm_mount_property "$OBJ" HealthMessage)" 's ""' "HealthMessage when ok"
checked=$(rm_mount_property "$OBJ" HealthCheckedAt)
[[ $checked =~ ^t\ [1-9][0-9]{15}$ ]] || fail "HealthCheckedAt should be µs since the epoch: $checked"

# refmountctl monitor prints the health changes from here on.
"$REFMOUNTCTL" monitor </dev/null >"$SANDBOX_DIR/monitor.out" 2>"$SANDBOX_DIR/monitor.err" &
MON_PID=$!
sandbox_track_pid "$MON_PID"
sandbox_wait_until 30 "refmountctl monitor to start" grep -q '^Monitoring refmountd' "$SANDBOX_DIR/monitor.err"

# ---------------------------------------------------------------------------
tc "a hanging server: unresponsive within HealthTimeoutSec + one interval, nothing else waits"
set_mode vola hang
start=$SECONDS
sandbox_wait_until $((TIMEOUT + INTERVAL + 10)) "Health unresponsive" health_is "$OBJ" unresponsive
elapsed=$((SECONDS - start))
printf 'health: unresponsive after %ss (HealthTimeoutSec=%s, HealthIntervalSec=%s)\n' \
  "$elapsed" "$TIMEOUT" "$INTERVAL" >&2
assert_contains "$(rm_mount_property "$OBJ" HealthMessage)" "HealthTimeoutSec=$TIMEOUT" "HealthMessage"
others_answer "$OBJ" "the mount hangs"
# Several intervals later the stuck probe is still the only one.
sleep $((INTERVAL * 3))
assert_eq "$(probe_threads)" 1 "probe threads while the mount hangs (never repeated while stuck)"
grep -q "^refmountd: unresponsive: .*mountpoint=\"$MP\"" "$SANDBOX_DAEMON_LOG" ||
  fail "the audit log should have an unresponsive event for $MP"
set_mode vola ok
sandbox_wait_until $((TIMEOUT + INTERVAL + 10)) "Health ok again" health_is "$OBJ" ok
grep -q "^refmountd: recovered: .*mountpoint=\"$MP\"" "$SANDBOX_DAEMON_LOG" ||
  fail "the audit log should have a recovered event for $MP"
sandbox_wait_until 10 "monitor to print the health changes" \
  grep -q "health *$MP  unresponsive -> ok" "$SANDBOX_DIR/monitor.out"
grep -q "health *$MP  ok -> unresponsive: statfs did not answer within HealthTimeoutSec=$TIMEOUT" \
  "$SANDBOX_DIR/monitor.out" || fail "monitor should print ok -> unresponsive: $(cat "$SANDBOX_DIR/monitor.out")"
sandbox_stop_pid "$MON_PID" INT 10

# ---------------------------------------------------------------------------
tc "a stale handle: stale-handle; Recover checks its arguments and its caller"
set_mode vola estale
sandbox_wait_until $((INTERVAL + 10)) "Health stale-handle" health_is "$OBJ" stale-handle
assert_contains "$(rm_mount_property "$OBJ" HealthMessage)" "Stale file handle" "HealthMessage"
grep -q "^refmountd: stale-handle: .*mountpoint=\"$MP\"" "$SANDBOX_DAEMON_LOG" ||
  fail "the audit log should have a stale-handle event for $MP"
others_answer "$OBJ" "the mount is stale"
rm_gdbus Recover "$(gv_str "$MP")" "{'force': <true>}"
assert_error InvalidArgument "flags" "force"
rm_gdbus Recover "$(gv_str "relative/path")" "@a{sv} {}"
assert_error InvalidArgument "relative/path"
rm_gdbus Recover "$(gv_str "$SANDBOX_ROOT/not-managed")" "@a{sv} {}"
assert_error NotFound "$SANDBOX_ROOT/not-managed"
rm_gdbus -u nobody Recover "$(gv_str "$MP")" "@a{sv} {}"
assert_error NotAuthorized
assert_eq "$(cat "$CTL/vola.count")" 1 "no remount after the refused calls"

tc "Recover: a new mount on the same directory, with both attachments"
mounted_before=$(rm_mount_property "$OBJ" MountedAt)
rm_gdbus Recover "$(gv_str "$MP")" "@a{sv} {}"
assert_ok "Recover as root"
assert_eq "$(cat "$CTL/vola.count")" 2 "the stand-in mounted a second instance"
assert_eq "$(mount_count "$MP")" 1 "one mount at the mountpoint (the old one detached)"
assert_eq "$(cat "$MP/hello")" "served by refmount-test-fuse" "file read through the new mount"
atts=$(rm_mount_property "$OBJ" Attachments)
assert_contains "$atts" '"vol-a:inst-1"' "first attachment kept"
assert_contains "$atts" '"vol-a:inst-2"' "second attachment kept"
assert_ne "$(rm_mount_property "$OBJ" MountedAt)" "$mounted_before" "MountedAt of the new mount"
assert_eq "$(rm_mount_property "$OBJ" State)" 's "mounted"' "State after Recover"
sandbox_wait_until $((INTERVAL + 10)) "Health ok after Recover" health_is "$OBJ" ok
grep -q "^refmountd: mounted: Recovered $MP" "$SANDBOX_DAEMON_LOG" ||
  fail "the audit log should say that $MP was recovered"

# ---------------------------------------------------------------------------
tc "AutoRecover=true: refmountd recovers a stale-handle mount by itself"
write_config true
rm_gdbus Reload
assert_ok "Reload with AutoRecover=true"
set_mode vola estale
_recovered_alone ()
{
  [[ $(cat "$CTL/vola.count") == 3 ]] && health_is "$OBJ" ok
}
sandbox_wait_until $((INTERVAL + 20)) "the mount to be recovered by refmountd" _recovered_alone
assert_eq "$(mount_count "$MP")" 1 "one mount after AutoRecover"
atts=$(rm_mount_property "$OBJ" Attachments)
assert_contains "$atts" '"vol-a:inst-1"' "first attachment kept by AutoRecover"
assert_contains "$atts" '"vol-a:inst-2"' "second attachment kept by AutoRecover"
others_answer "$OBJ" "after AutoRecover"

tc "AutoRecover once per episode: a server that stays broken gets no remount storm"
echo estale >"$CTL/vola.default"
set_mode vola estale
_recovered_once ()
{
  [[ $(cat "$CTL/vola.count") == 4 ]]
}
sandbox_wait_until $((INTERVAL + 20)) "refmountd to recover the mount once more" _recovered_once
sandbox_wait_until $((INTERVAL + 10)) "the new mount to be stale-handle too" health_is "$OBJ" stale-handle
# Several intervals: no further remount while it stays stale.
sleep $((INTERVAL * 4))
assert_eq "$(cat "$CTL/vola.count")" 4 "mount instances after a failed AutoRecover"
rm -f "$CTL/vola.default"
set_mode vola ok
sandbox_wait_until $((INTERVAL + 10)) "Health ok" health_is "$OBJ" ok

rm_unmount "$MP" vol-a:inst-1
assert_ok "Unmount inst-1"
rm_unmount "$MP" vol-a:inst-2
assert_ok "Unmount inst-2"
assert_eq "$RM_UNMOUNTED" true "unmounted with the last attachment"
assert_not_mounted "$MP" "after the last detach"

# ---------------------------------------------------------------------------
tc "tmpfs (health off): Usage is statfs's after writing a file"
TMP=$SANDBOX_ROOT/tmpfs-usage
rm_mount tmpfs tmpfs "$TMP" usage-1 size=8m
assert_ok "Mount tmpfs"
TOBJ=$RM_MOUNT_OBJ
dd if=/dev/zero of="$TMP/file" bs=1M count=3 status=none
expected=$("$PYTHON" -c '
import os, sys
s = os.statvfs(sys.argv[1])
print("(ttt) %d %d %d" % (s.f_blocks * s.f_frsize, s.f_bfree * s.f_frsize, s.f_bavail * s.f_frsize))
' "$TMP")
_usage_matches ()
{
  [[ $(rm_mount_property "$TOBJ" Usage) == "$expected" ]]
}
sandbox_wait_until 20 "Usage of the tmpfs to be $expected" _usage_matches
df_used=$(df -B1 --output=used "$TMP" | tail -n 1 | tr -d ' ')
((df_used >= 3 * 1024 * 1024)) || fail "df should count the 3 MiB file: $df_used"
assert_eq "$(rm_mount_property "$TOBJ" Health)" 's "unknown"' "Health of a type with health checks off"
assert_contains "$(rm_mount_property "$TOBJ" HealthMessage)" "HealthIntervalSec=0" "HealthMessage says why"
rm_unmount "$TMP" usage-1
assert_ok "Unmount tmpfs"

sandbox_stop_daemon
assert_eq "$SANDBOX_DAEMON_STATUS" 0 "refmountd exit status"
printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN" >&2
