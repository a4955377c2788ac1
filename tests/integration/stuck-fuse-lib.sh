# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# A mount root on a real FUSE filesystem whose server can be stopped
# (refmount-stuck-fuse), for test-fuse-hang.sh and test-fuse-hang-ops.sh:
# source it after sandbox.sh.  A stopped server (SIGSTOP on FUSE_PID)
# leaves every walk beneath FUSEROOT waiting in the kernel, as an sshfs or
# NFS export does when its server goes away.

# stuck_fuse_start [FUSE_OPTIONS]: mount it at FUSEROOT (its server's pid
# in FUSE_PID), release it at exit, and make FUSEROOT a mount root beside
# the sandbox's own; call before sandbox_start_daemon.  Skips the test
# where FUSE cannot run.
stuck_fuse_start ()
{
  [[ -c /dev/fuse ]] || skip "/dev/fuse does not exist: this machine cannot run FUSE filesystems"
  [[ -x ${REFMOUNT_STUCK_FUSE:-} ]] || skip "refmount-stuck-fuse was not built (libfuse3-dev missing)"
  FUSEROOT=$SANDBOX_DIR/fuse-root
  mkdir -m 0755 "$FUSEROOT"
  "$REFMOUNT_STUCK_FUSE" "$FUSEROOT" "$@" >"$SANDBOX_DIR/fuse.log" 2>&1 &
  FUSE_PID=$!
  sandbox_note_pid "$FUSE_PID"
  sandbox_wait_until 10 "the FUSE filesystem to be mounted" _stuck_fuse_mounted
  # shellcheck disable=SC2154 # status is assigned inside the trap's own text
  trap 'status=$?; set +e; stuck_fuse_release; (exit "$status"); _sandbox_cleanup' EXIT
  sandbox_write_config
  sed -i "s|^MountRoots=.*|MountRoots=$SANDBOX_ROOT;$FUSEROOT;|" "$SANDBOX_CONFIG"
}

_stuck_fuse_mounted ()
{
  grep -q " $FUSEROOT .* - fuse.refmountstuck " /proc/self/mountinfo
}

# stuck_fuse_release: killing the server aborts the connection: every
# request still waiting fails (ENOTCONN), so nothing stays stuck in the
# kernel.  Only while FUSE_PID is still the server (sandbox_signal_pid).
stuck_fuse_release ()
{
  sandbox_signal_pid CONT "$FUSE_PID" || true
  sandbox_signal_pid KILL "$FUSE_PID" || true
  umount -l "$FUSEROOT" 2>/dev/null || true
}
