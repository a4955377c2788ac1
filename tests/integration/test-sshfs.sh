#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test: a real network filesystem end to end.  sshfs (FUSE)
# against an sshd this test starts on 127.0.0.1 with keys it generates;
# the ssh key and known_hosts reach ssh only through the fuse.sshfs
# ForcedOptions of the test config (issue 6, doc/network-filesystems.md):
#
#   * two attachments -> one mount; a server file read through it; the
#     helper's environment is the fixed minimal one; detach both ->
#     unmounted;
#   * server down -> MountFailed carrying ssh's/sshfs's own reason;
#   * a port that accepts but never answers, short MountTimeoutSec ->
#     Timeout within the bound, the helper and its ssh killed;
#   * server killed while mounted -> the next detach still cleans up;
#   * refmountd stopped (SIGTERM) and started again with an sshfs mount
#     attached: sshfs and its ssh run outside refmountd's process group
#     and session and survive, the mount stays readable and is adopted
#     again with its attachments (issue 13, part 4);
#   * server stopped with SIGSTOP while mounted: Health unresponsive
#     within HealthTimeoutSec + one interval, calls for other
#     mountpoints answer; SIGCONT: Health ok (issue 13, part 2);
#   * a kernel type that differs from the requested one: a stand-in
#     /sbin/mount.glusterfs (sandbox_install_helper, an overlay over
#     /sbin) makes a real FUSE mount of subtype glusterfs with sshfs, so
#     a requested "glusterfs" mount shows up as "fuse.glusterfs", as the
#     real glusterfs client's does; it must be kept, adopted again after a
#     restart and unmounted by the last detach (issue 13, part 1).
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
sandbox_init "$@"

[[ -c /dev/fuse ]] ||
  skip "/dev/fuse does not exist: this machine cannot run FUSE filesystems (load the fuse module)"
for tool in sshfs ssh ssh-keygen /usr/sbin/sshd; do
  command -v "$tool" >/dev/null 2>&1 || skip "'$tool' is not installed (packages sshfs openssh-client openssh-server)"
done
[[ -x /sbin/mount.fuse.sshfs ]] || skip "/sbin/mount.fuse.sshfs is missing (package sshfs)"
PYTHON=/usr/bin/python3
[[ -x $PYTHON ]] || skip "$PYTHON is not installed"

SSH_DIR=$SANDBOX_DIR/ssh
EXPORT=$SANDBOX_DIR/export
SSHD_PID=
SILENT_PID=

# Every pid whose parent chain leads to $1 (not $1 itself).
descendants ()
{
  local child
  for child in $(pgrep -P "$1" 2>/dev/null || true); do
    printf '%s\n' "$child"
    descendants "$child"
  done
}

# sshfs and ssh processes of this test (started by the helper, which
# daemonizes): found by the sandbox path in their command line, which
# names our export (sshfs) or our key (ssh).  Prints "PID NAME" lines.
client_pids ()
{
  local dir cmd argv0
  for dir in /proc/[0-9]*; do
    cmd=$({ tr '\0' ' ' <"$dir/cmdline"; } 2>/dev/null) || continue
    argv0=${cmd%% *}
    argv0=${argv0##*/}
    case $argv0 in
    ssh | sshfs | mount.fuse.sshfs | mount.sshfs) ;;
    *) continue ;;
    esac
    [[ $cmd == *"$SANDBOX_DIR/"* ]] && printf '%s %s\n' "${dir#/proc/}" "$argv0"
  done
  return 0
}

no_client_left ()
{
  [[ -z $(client_pids) ]]
}

# Kill sshd with everything it forked (the per-connection processes live
# on after the listener dies), as a crashed server would vanish.
kill_sshd ()
{
  local sig=${1:-TERM} pids pid
  [[ -n $SSHD_PID ]] || return 0
  # Children of whatever has the number now if sshd is gone: none of ours.
  pids=
  ! sandbox_pid_alive "$SSHD_PID" || pids=$(descendants "$SSHD_PID")
  for pid in $pids; do
    kill "-$sig" "$pid" 2>/dev/null || true
  done
  sandbox_stop_pid "$SSHD_PID" "$sig" 5
  SSHD_PID=
}

sshfs_cleanup ()
{
  local pid
  kill_sshd KILL
  [[ -z $SILENT_PID ]] || sandbox_stop_pid "$SILENT_PID" KILL 5
  while read -r pid _; do
    kill -KILL "$pid" 2>/dev/null || true
  done < <(client_pids)
}
# Our processes first, then the sandbox's (which reads the exit status
# from $?, so it is restored for it).
_sshfs_exit ()
{
  local st=$?
  set +e
  sshfs_cleanup
  (exit "$st")
  _sandbox_cleanup
}
trap _sshfs_exit EXIT

# --- the server -------------------------------------------------------------

mkdir -m 0700 "$SSH_DIR"
ssh-keygen -q -t ed25519 -N '' -C refmount-test-host -f "$SSH_DIR/host_key"
ssh-keygen -q -t ed25519 -N '' -C refmount-test-client -f "$SSH_DIR/client_key"
cp "$SSH_DIR/client_key.pub" "$SSH_DIR/authorized_keys"
mkdir -m 0755 "$EXPORT"
CONTENT="served by the test's sshd $$"
printf '%s\n' "$CONTENT" >"$EXPORT/hello.txt"

# sshd insists on its privilege separation directory, the compiled-in
# /run/sshd (root-owned, not group- or world-writable), and chroots into
# it.  Each test gets its own: a tmpfs mounted there in this mount
# namespace, so that the machine's directory is never written and two
# tests beside each other share nothing.  Where the machine has no
# /run/sshd (openssh-server's tmpfiles.d creates it at boot; not in a
# container without systemd), the mountpoint is created as that rule
# would, and left: removing it would detach the tmpfs a test running
# beside this one has mounted there (rmdir(2) of a mountpoint in another
# mount namespace succeeds).  A tmpfs over all of /run instead would hide
# the sandbox directory, the bus socket and libmount's utab.
# (A test beside this one may create it at the same moment.)
[[ -d /run/sshd ]] || mkdir -m 0755 /run/sshd 2>/dev/null || [[ -d /run/sshd ]] ||
  fail "cannot create /run/sshd"
mount -t tmpfs -o mode=0755,size=1m refmount-sandbox-sshd /run/sshd ||
  fail "cannot mount a tmpfs on /run/sshd for sshd's privilege separation"

port_open ()
{
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# start_sshd PORT: sshd -D on 127.0.0.1:PORT, root by key only.
start_sshd ()
{
  local port=$1
  # One server at a time: a second one would overwrite SSHD_PID, and the
  # first would outlive the test.
  [[ -z $SSHD_PID ]] || fail "start_sshd: sshd (pid $SSHD_PID) is still running; kill_sshd first"
  cat >"$SSH_DIR/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $port
HostKey $SSH_DIR/host_key
PidFile none
AuthorizedKeysFile $SSH_DIR/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
EOF
  /usr/sbin/sshd -D -e -f "$SSH_DIR/sshd_config" >>"$SANDBOX_DIR/sshd.log" 2>&1 &
  SSHD_PID=$!
  sandbox_track_pid "$SSHD_PID"
  _sshd_ready ()
  {
    sandbox_pid_alive "$SSHD_PID" || return 2
    port_open "$port"
  }
  local deadline=$((SECONDS + 10)) rc
  while true; do
    rc=0
    _sshd_ready || rc=$?
    ((rc != 0)) || return 0
    if ((rc == 2)); then
      sandbox_stop_pid "$SSHD_PID"
      SSHD_PID=
      return 1 # port taken, most likely
    fi
    ((SECONDS < deadline)) || fail "sshd did not listen on port $port: $(tail -n 5 "$SANDBOX_DIR/sshd.log")"
    sleep 0.05
  done
}

SSH_PORT=
for _ in 1 2 3 4 5 6 7 8; do
  p=$((20000 + RANDOM % 30000))
  port_open "$p" && continue
  if start_sshd "$p"; then
    SSH_PORT=$p
    break
  fi
done
[[ -n $SSH_PORT ]] || fail "could not start sshd on any port: $(tail -n 5 "$SANDBOX_DIR/sshd.log")"
# Only this host key is trusted, through the forced known_hosts file.
printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cut -d' ' -f1,2 "$SSH_DIR/host_key.pub")" \
  >"$SSH_DIR/known_hosts"

# --- the daemon ----------------------------------------------------------------

write_config ()
{
  SANDBOX_ALLOWED_FS="tmpfs;fuse.sshfs;" SANDBOX_MOUNT_TIMEOUT=$1 sandbox_write_config "
[Filesystem fuse.sshfs]
AllowedOptions=port;ro;rw;reconnect;ServerAliveInterval;ServerAliveCountMax;
ForcedOptions=IdentityFile=$SSH_DIR/client_key;UserKnownHostsFile=$SSH_DIR/known_hosts;StrictHostKeyChecking=yes;BatchMode=yes;
UseHelper=true
${2:-}"
}
write_config 30
sandbox_start_daemon

SRC="root@127.0.0.1:$EXPORT"
MP=$SANDBOX_ROOT/sshfs-a

# ---------------------------------------------------------------------------
tc "two attachments, one sshfs mount"
rm_mount fuse.sshfs "$SRC" "$MP" volume-1:instance-1 "port=$SSH_PORT"
assert_ok "first Mount over sshfs"
OBJ=$RM_MOUNT_OBJ
assert_mounted "$MP" "after the first attachment"
assert_eq "$(mount_field "$MP" fstype)" fuse.sshfs "kernel fstype"
assert_eq "$(mount_field "$MP" source)" "$SRC" "kernel source"
mopts=$(mount_field "$MP" options)
assert_contains ",$mopts," ",nosuid," "forced nosuid"
assert_contains ",$mopts," ",nodev," "forced nodev"
rm_mount fuse.sshfs "$SRC" "$MP" volume-1:instance-2 "port=$SSH_PORT"
assert_ok "second Mount"
assert_eq "$RM_MOUNT_OBJ" "$OBJ" "same mount object"
assert_mounted "$MP" "two attachments, one mount"
opts=$(rm_mount_property "$OBJ" Options)
assert_contains "$opts" "\"IdentityFile=$SSH_DIR/client_key\"" "Options shows the forced key"
assert_contains "$opts" "\"port=$SSH_PORT\"" "Options shows the caller's port"

tc "a server file is read through the mountpoint"
assert_eq "$(cat "$MP/hello.txt")" "$CONTENT" "file content through sshfs"

tc "the helper ran with the fixed minimal environment"
sshfs_pid=$(client_pids | awk '$2 == "mount.fuse.sshfs" { print $1; exit }')
[[ -n $sshfs_pid ]] || fail "no mount.fuse.sshfs process found for $SRC: $(client_pids)"
env_lines=$(tr '\0' '\n' <"/proc/$sshfs_pid/environ" | sort | tr '\n' ' ')
assert_eq "$env_lines" "LANG=C PATH=/usr/sbin:/usr/bin:/sbin:/bin " "sshfs environment"

tc "detaching both unmounts"
rm_unmount "$MP" volume-1:instance-1
assert_ok "Unmount instance-1"
assert_eq "$RM_UNMOUNTED" false "one attachment left"
assert_mounted "$MP" "still mounted for instance-2"
rm_unmount "$MP" volume-1:instance-2
assert_ok "Unmount instance-2"
assert_eq "$RM_UNMOUNTED" true "last attachment gone"
assert_not_mounted "$MP" "after the last detach"
sandbox_wait_until 10 "sshfs and ssh to exit after the unmount" no_client_left
[[ ! -e $MP ]] || fail "the mountpoint directory $MP should be removed"

# ---------------------------------------------------------------------------
tc "owner: nobody's sshfs mount shows the files as nobody's, and only nobody's"
sandbox_set_rules owner-sshfs <<'EOF'
// SPDX-License-Identifier: GPL-2.0-or-later
polkit.addRule(function(action, subject) {
    if (action.id == "org.refmount.mount" && subject.user == "nobody" &&
        action.lookup("fstype") == "fuse.sshfs" && action.lookup("owner") == "true")
        return polkit.Result.YES;
    return polkit.Result.NOT_HANDLED;
});
EOF
OWNED=$SANDBOX_ROOT/sshfs-owned
rm_mount -u nobody -f "{'owner': <true>, 'show': <false>}" fuse.sshfs "$SRC" "$OWNED" owned-1 "port=$SSH_PORT"
assert_ok "nobody's owned sshfs Mount"
opts=$(rm_mount_property "$RM_MOUNT_OBJ" Options)
for o in uid=$NOBODY_UID gid=$NOBODY_GID allow_other default_permissions umask=0077; do
  assert_contains "$opts" "\"$o\"" "the owner's options"
done
# FUSE's umask= sets the mode bits outright: 0777 & ~umask.
assert_eq "$(stat -c '%u %a' "$OWNED/hello.txt")" "$NOBODY_UID 700" "owner and mode of a served file"
assert_eq "$(as_nobody cat "$OWNED/hello.txt")" "$CONTENT" "nobody reads its own sshfs mount"
if setpriv --reuid=1 --regid=1 --clear-groups -- cat "$OWNED/hello.txt" >/dev/null 2>&1; then
  fail "uid 1 could read nobody's sshfs mount"
fi
rm_unmount -u nobody "$OWNED" owned-1
assert_ok
assert_not_mounted "$OWNED"
sandbox_remove_rules owner-sshfs
sandbox_wait_until 10 "sshfs and ssh to exit after the unmount" no_client_left

# ---------------------------------------------------------------------------
tc "the README's busctl calls: derived mountpoint, attach, detach"
out=$(busctl --system call org.refmount.Refmount1 /org/refmount/Refmount1/Manager \
  org.refmount.Refmount1.Manager Mount 'sssassa{sv}' \
  fuse.sshfs "$SRC" '' 1 "port=$SSH_PORT" vol-1a2b:inst-77ff 0 2>&1) ||
  fail "busctl Mount: $out"
derived=$(sed -nE 's/^os "[^"]*" "(.*)"$/\1/p' <<<"$out")
[[ $derived == "$SANDBOX_ROOT"/fuse.sshfs-[0-9a-f]* && ${#derived} == $((${#SANDBOX_ROOT} + 28)) ]] ||
  fail "derived mountpoint should be $SANDBOX_ROOT/fuse.sshfs-<16 hex>: $out"
assert_mounted "$derived" "busctl Mount"
assert_eq "$(cat "$derived/hello.txt")" "$CONTENT" "file content through the derived mountpoint"
out=$(busctl --system call org.refmount.Refmount1 /org/refmount/Refmount1/Manager \
  org.refmount.Refmount1.Manager Unmount 'ssa{sv}' "$derived" vol-1a2b:inst-77ff 0 2>&1) ||
  fail "busctl Unmount: $out"
assert_eq "$out" "b true" "busctl Unmount reply"
assert_not_mounted "$derived" "busctl Unmount"
sandbox_wait_until 10 "sshfs and ssh to exit" no_client_left

# ---------------------------------------------------------------------------
tc "callers cannot name files or commands for ssh"
for opt in "IdentityFile=/root/.ssh/id_ed25519" "ssh_command=/bin/sh" "ProxyCommand=sh" \
  "UserKnownHostsFile=/dev/null" "F=/tmp/ssh_config" "StrictHostKeyChecking=no"; do
  rm_mount fuse.sshfs "$SRC" "$MP" volume-x:instance-1 "port=$SSH_PORT" "$opt"
  assert_error InvalidArgument "${opt%%=*}"
done
rm_mount fuse.sshfs "-oProxyCommand=sh:/" "$MP" volume-x:instance-1
assert_error InvalidArgument "source"
assert_not_mounted "$MP" "after rejected requests"
[[ ! -e $MP ]] || fail "a rejected request must not create $MP"

# ---------------------------------------------------------------------------
tc "server down: MountFailed with sshfs's reason"
kill_sshd TERM
port_open "$SSH_PORT" && fail "port $SSH_PORT still open after stopping sshd"
rm_mount fuse.sshfs "$SRC" "$MP" volume-2:instance-1 "port=$SSH_PORT"
assert_error MountFailed "mount.fuse.sshfs exited with status 1: " "$MP"
# sshfs's own words, which depend on whether it was reading or writing
# when ssh gave up.
[[ $RM_OUT =~ "exited with status 1: "(read: Connection reset by peer|write: Broken pipe) ]] ||
  fail "MountFailed should carry sshfs's reason: $RM_OUT"
assert_not_mounted "$MP" "after a failed mount"
[[ ! -e $MP ]] || fail "the mountpoint directory of a failed mount should be removed"
rm_gdbus GetMount "$(gv_str "$MP")"
assert_error NotFound

# ---------------------------------------------------------------------------
tc "a server that never answers: Timeout within MountTimeoutSec, helper killed"
# Accepts TCP connections (the kernel does, from the backlog) and never
# says a word: ssh waits for the SSH banner forever.
"$PYTHON" -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
print(s.getsockname()[1], flush=True)
time.sleep(3600)
' >"$SANDBOX_DIR/silent.port" &
SILENT_PID=$!
sandbox_track_pid "$SILENT_PID"
sandbox_wait_until 10 "the silent listener" test -s "$SANDBOX_DIR/silent.port"
SILENT_PORT=$(cat "$SANDBOX_DIR/silent.port")
TIMEOUT=3
write_config "$TIMEOUT"
rm_gdbus Reload
assert_ok "Reload with MountTimeoutSec=$TIMEOUT"
start=$SECONDS
rm_mount fuse.sshfs "$SRC" "$SANDBOX_ROOT/sshfs-silent" volume-3:instance-1 "port=$SILENT_PORT"
elapsed=$((SECONDS - start))
assert_error Timeout "MountTimeoutSec"
printf 'sshfs: Mount against a silent server failed after %ss (MountTimeoutSec=%s)\n' "$elapsed" "$TIMEOUT" >&2
# Generous slack for a loaded machine; without the deadline this would
# hang for as long as ssh waits for a banner (forever).
((elapsed < TIMEOUT + 20)) || fail "Timeout came after ${elapsed}s, MountTimeoutSec=$TIMEOUT"
sandbox_wait_until 10 "the timed-out helper and its ssh to be killed" no_client_left
assert_not_mounted "$SANDBOX_ROOT/sshfs-silent" "after the timeout"
sandbox_wait_until 10 "the timed-out mount's directory to be removed" eval "[[ ! -e $SANDBOX_ROOT/sshfs-silent ]]"
grep -q "did not finish within MountTimeoutSec and was killed" "$SANDBOX_DAEMON_LOG" ||
  fail "the daemon log should say that the helper was killed"
sandbox_stop_pid "$SILENT_PID" KILL 5
SILENT_PID=

# ---------------------------------------------------------------------------
tc "server killed while mounted: the next detach still cleans up"
write_config 30
rm_gdbus Reload
assert_ok "Reload with MountTimeoutSec=30"
start_sshd "$SSH_PORT" || fail "could not restart sshd on port $SSH_PORT: $(tail -n 3 "$SANDBOX_DIR/sshd.log")"
rm_mount fuse.sshfs "$SRC" "$MP" volume-4:instance-1 "port=$SSH_PORT"
assert_ok "Mount before the server dies"
assert_eq "$(cat "$MP/hello.txt")" "$CONTENT" "file content before the server dies"
kill_sshd KILL
# sshfs notices the lost connection on its next request and exits; it may
# unmount on its way out, or leave a mount that answers ENOTCONN.
_mount_dead ()
{
  ! cat "$MP/hello.txt" >/dev/null 2>&1
}
sandbox_wait_until 15 "the mount to lose its server" _mount_dead
printf 'sshfs: after the server died, %s mount(s) left at the mountpoint\n' "$(mount_count "$MP")" >&2
rm_unmount "$MP" volume-4:instance-1
assert_ok "Unmount after the server died"
assert_eq "$RM_UNMOUNTED" true "detached although the server is gone"
assert_not_mounted "$MP" "after detaching from a dead server"
sandbox_wait_until 10 "sshfs and ssh to be gone" no_client_left
rm_gdbus GetMount "$(gv_str "$MP")"
assert_error NotFound
sandbox_wait_until 10 "the mountpoint directory to be removed" eval "[[ ! -e $MP ]]"

# ---------------------------------------------------------------------------
tc "FUSE server killed while mounted (ENOTCONN): the next detach unmounts lazily"
start_sshd "$SSH_PORT" || fail "could not restart sshd on port $SSH_PORT: $(tail -n 3 "$SANDBOX_DIR/sshd.log")"
rm_mount fuse.sshfs "$SRC" "$MP" volume-5:instance-1 "port=$SSH_PORT"
assert_ok "Mount before sshfs dies"
assert_eq "$(cat "$MP/hello.txt")" "$CONTENT" "file content before sshfs dies"
# SIGKILL gives sshfs no chance to unmount: the mount stays, dead.
while read -r pid name; do
  [[ $name == mount.fuse.sshfs ]] && kill -KILL "$pid"
done < <(client_pids)
_enotconn ()
{
  local err
  err=$(stat "$MP/hello.txt" 2>&1 >/dev/null) && return 1
  [[ $err == *"not connected"* ]]
}
sandbox_wait_until 10 "the mount to answer ENOTCONN" _enotconn
assert_mounted "$MP" "the dead FUSE mount is still in the mount table"
rm_unmount "$MP" volume-5:instance-1
assert_ok "Unmount of a dead FUSE mount"
assert_eq "$RM_UNMOUNTED" true "detached from a dead FUSE mount"
assert_not_mounted "$MP" "after detaching from a dead FUSE mount"
rm_gdbus GetMount "$(gv_str "$MP")"
assert_error NotFound
if grep -q "unmounting it lazily" "$SANDBOX_DAEMON_LOG"; then
  printf 'sshfs: the dead mount needed the lazy fallback\n' >&2
else
  printf 'sshfs: the dead mount unmounted without the lazy fallback\n' >&2
fi
kill_sshd TERM
sandbox_wait_until 10 "ssh to be gone" no_client_left

# ---------------------------------------------------------------------------
tc "refmountd stopped and started again: the sshfs mount survives, adopted with its attachments"
start_sshd "$SSH_PORT" || fail "could not restart sshd on port $SSH_PORT: $(tail -n 3 "$SANDBOX_DIR/sshd.log")"
rm_mount fuse.sshfs "$SRC" "$MP" volume-6:instance-1 "port=$SSH_PORT"
assert_ok "first Mount before the restart"
rm_mount fuse.sshfs "$SRC" "$MP" volume-6:instance-2 "port=$SSH_PORT"
assert_ok "second Mount before the restart"
assert_eq "$(cat "$MP/hello.txt")" "$CONTENT" "file content before the restart"
# Nothing aimed at refmountd's process group or session may reach them.
daemon_ids=$(ps -o pgid=,sid= -p "$SANDBOX_DAEMON_PID" | xargs)
clients=$(client_pids)
[[ -n $clients ]] || fail "no sshfs or ssh process found for the mount"
while read -r pid name; do
  ids=$(ps -o pgid=,sid= -p "$pid" | xargs) || continue
  read -r dpgid dsid <<<"$daemon_ids"
  read -r pgid sid <<<"$ids"
  [[ $pgid != "$dpgid" && $sid != "$dsid" ]] ||
    fail "$name ($pid, pgid $pgid, session $sid) shares refmountd's process group $dpgid or session $dsid"
done <<<"$clients"
sandbox_stop_daemon
assert_eq "$SANDBOX_DAEMON_STATUS" 0 "refmountd exit status after SIGTERM"
assert_mounted "$MP" "while refmountd is stopped"
assert_eq "$(cat "$MP/hello.txt")" "$CONTENT" "file content while refmountd is stopped"
sandbox_start_daemon
assert_eq "$(cat "$MP/hello.txt")" "$CONTENT" "file content after the restart"
OBJ=$(rm_object_path_for "$MP")
assert_contains "$(rm_mount_property "$OBJ" State)" '"mounted"' "State after the restart"
atts=$(rm_mount_property "$OBJ" Attachments)
assert_contains "$atts" '"volume-6:instance-1"' "first attachment adopted"
assert_contains "$atts" '"volume-6:instance-2"' "second attachment adopted"
grep -q "Adopted $MP (2 attachments)" "$SANDBOX_DAEMON_LOG" ||
  fail "the daemon log should say that $MP was adopted with 2 attachments"
rm_unmount "$MP" volume-6:instance-1
assert_ok "Unmount instance-1 after the restart"
rm_unmount "$MP" volume-6:instance-2
assert_ok "Unmount instance-2 after the restart"
assert_eq "$RM_UNMOUNTED" true "last attachment gone after the restart"
assert_not_mounted "$MP" "after the last detach"
sandbox_wait_until 10 "sshfs and ssh to exit after the unmount" no_client_left

# ---------------------------------------------------------------------------
tc "server stopped (SIGSTOP): unresponsive within HealthTimeoutSec + one interval, others unaffected; SIGCONT: ok"
H_INTERVAL=1
H_TIMEOUT=2
write_config 30 "HealthIntervalSec=$H_INTERVAL
HealthTimeoutSec=$H_TIMEOUT"
rm_gdbus Reload
assert_ok "Reload with health probes every ${H_INTERVAL}s"
# The server of the previous case still runs.
sandbox_pid_alive "$SSHD_PID" || fail "sshd (pid $SSHD_PID) should still run"
rm_mount fuse.sshfs "$SRC" "$MP" volume-8:instance-1 "port=$SSH_PORT"
assert_ok "Mount before the server stops"
OBJ=$RM_MOUNT_OBJ
_health_is ()
{
  [[ $(rm_mount_property "$OBJ" Health) == "s \"$1\"" ]]
}
sandbox_wait_until 15 "Health ok" _health_is ok
# The listener and the per-connection processes that serve sshfs.
# (A short-lived child may be gone by the time it is signalled.)
mapfile -t stopped < <(printf '%s\n' "$SSHD_PID"; descendants "$SSHD_PID")
for pid in "${stopped[@]}"; do
  kill -STOP "$pid" 2>/dev/null || true
done
start=$SECONDS
sandbox_wait_until $((H_TIMEOUT + H_INTERVAL + 10)) "Health unresponsive" _health_is unresponsive
printf 'sshfs: unresponsive %ss after SIGSTOP (HealthTimeoutSec=%s, HealthIntervalSec=%s)\n' \
  "$((SECONDS - start))" "$H_TIMEOUT" "$H_INTERVAL" >&2
# Another mountpoint is served as usual meanwhile.
t0=$(date +%s%N)
rm_mount tmpfs tmpfs "$SANDBOX_ROOT/beside" beside-1
assert_ok "Mount of another mountpoint while the server is stopped"
rm_gdbus GetMount "$(gv_str "$SANDBOX_ROOT/beside")"
assert_ok "GetMount of another mountpoint while the server is stopped"
rm_unmount "$SANDBOX_ROOT/beside" beside-1
assert_ok "Unmount of another mountpoint while the server is stopped"
ms=$((($(date +%s%N) - t0) / 1000000))
((ms < 2000)) || fail "calls for another mountpoint took ${ms} ms while the server was stopped"
for pid in "${stopped[@]}"; do
  kill -CONT "$pid" 2>/dev/null || true
done
sandbox_wait_until $((H_TIMEOUT + H_INTERVAL + 10)) "Health ok after SIGCONT" _health_is ok
grep -q "^refmountd: unresponsive: .*mountpoint=\"$MP\"" "$SANDBOX_DAEMON_LOG" ||
  fail "the audit log should have an unresponsive event for $MP"
grep -q "^refmountd: recovered: .*mountpoint=\"$MP\"" "$SANDBOX_DAEMON_LOG" ||
  fail "the audit log should have a recovered event for $MP"
rm_unmount "$MP" volume-8:instance-1
assert_ok "Unmount after SIGCONT"
assert_not_mounted "$MP" "after the last detach"
sandbox_wait_until 10 "sshfs and ssh to be gone" no_client_left

# ---------------------------------------------------------------------------
tc "requested glusterfs, kernel type fuse.glusterfs: kept, adopted, unmounted"
# libmount runs "mount.glusterfs SOURCE TARGET [-sfnv] [-o OPTIONS]".  The
# caller's and forced options (nosuid,nodev) reach the FUSE mount; the
# sshfs connection details are the stand-in's own.
sandbox_install_helper mount.glusterfs <<HELPER
#!/bin/sh
# Written by test-sshfs.sh: a glusterfs client stand-in (FUSE, subtype glusterfs).
$SANDBOX_HELPER_ARGS
exec /usr/bin/sshfs -o "fsname=\$src,subtype=glusterfs,port=$SSH_PORT,IdentityFile=$SSH_DIR/client_key,UserKnownHostsFile=$SSH_DIR/known_hosts,StrictHostKeyChecking=yes,BatchMode=yes\$opts" \\
  "root@127.0.0.1:$EXPORT" "\$target"
HELPER
GSRC=127.0.0.1:/gv0
GMP=$SANDBOX_ROOT/gluster
SANDBOX_ALLOWED_FS="tmpfs;fuse.sshfs;glusterfs;" SANDBOX_MOUNT_TIMEOUT=30 sandbox_write_config "
[Filesystem glusterfs]
AllowedOptions=ro;rw;
UseHelper=true"
rm_gdbus Reload
assert_ok "Reload with glusterfs allowed"
rm_mount glusterfs "$GSRC" "$GMP" volume-7:instance-1 ro
assert_ok "Mount of glusterfs through the stand-in helper"
assert_eq "$(mount_field "$GMP" fstype)" fuse.glusterfs "kernel fstype"
assert_eq "$(mount_field "$GMP" source)" "$GSRC" "kernel source"
assert_eq "$(cat "$GMP/hello.txt")" "$CONTENT" "file content through the glusterfs stand-in"
OBJ=$(rm_object_path_for "$GMP")
assert_contains "$(rm_mount_property "$OBJ" FilesystemType)" '"glusterfs"' "FilesystemType is the requested type"
rm_gdbus GetMount "$(gv_str "$GMP")"
assert_ok "GetMount: the mount was kept"
sandbox_stop_daemon
sandbox_start_daemon
OBJ=$(rm_object_path_for "$GMP")
assert_contains "$(rm_mount_property "$OBJ" State)" '"mounted"' "State after the restart"
assert_contains "$(rm_mount_property "$OBJ" Attachments)" '"volume-7:instance-1"' "attachment adopted"
assert_eq "$(cat "$GMP/hello.txt")" "$CONTENT" "file content after the restart"
rm_unmount "$GMP" volume-7:instance-1
assert_ok "Unmount of the glusterfs mount"
assert_eq "$RM_UNMOUNTED" true "unmounted by the last detach"
assert_not_mounted "$GMP" "after the last detach"
# sshd re-executes /usr/sbin/sshd for every connection, so the connection
# processes started since the overlay went up run from it: the overlay
# can only go once they have exited, which kill_sshd does not wait for
# (umount(8) says "target is busy" until then); _sandbox_cleanup waits.
kill_sshd TERM
sandbox_wait_until 10 "sshfs and ssh to be gone" no_client_left

sandbox_stop_daemon
assert_eq "$SANDBOX_DAEMON_STATUS" 0 "refmountd exit status"
printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN" >&2
