# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Variables set here are read by the scripts that source this file:
# shellcheck disable=SC2034
#
# Sandbox library for refmount's integration tests and demo.  Source it,
# then call
#
#   sandbox_init "$@"
#
# which re-executes the calling script inside a private mount namespace
# and a PID namespace of its own (unshare -m -p -f --mount-proc, the
# script being its init) and there builds a throw-away world:
#
#   * a private system bus (dbus-daemon, permissive policy, or with
#     SANDBOX_BUS_POLICY=strict the real system bus policy plus the
#     project's data/org.refmount.Refmount1.conf);
#   * the real polkitd, seeing only the built BUILD/polkit/org.refmount.policy
#     (translations merged) as actions
#     and only the sandbox's rules (bind mounts over the polkit directories,
#     visible in this namespace only);
#   * a tmpfs mount root, a refmount.conf pointing at it and a state dir;
#   * libmount's utab of its own (a tmpfs on /run/mount).
#
# The host's mounts, system bus and polkit are never touched.  On exit a
# trap stops exactly the processes this library started (by pid) and
# removes the temporary directory.
#
# Inputs (environment or positional arguments of the test script):
#   $1 / REFMOUNT_BUILD_DIR    build directory (holds helper/refmountd)
#   $2 / REFMOUNT_SOURCE_DIR   source directory (holds data/)
#   REFMOUNTD                  daemon binary (default BUILD/helper/refmountd)
#   SANDBOX_BUS_POLICY         "permissive" (default) or "strict"
#   SANDBOX_KEEP=1             keep the (then empty) temporary directory
#   SANDBOX_SAVE_LOGS=DIR      copy the daemon's, polkitd's and the bus's
#                              logs to DIR on exit
#   SANDBOX_QUIET=1            no progress messages
#   SANDBOX_TRACE_SIGNALS=1    record who sends SIGTERM/SIGKILL (ftrace),
#                              reported if polkitd dies during the test;
#                              on by default under CI=true, =0 turns it
#                              off (sandbox-trace.sh)
#   SANDBOX_POLKIT_NO_DEBUG=1  start polkitd with --no-debug
#   SANDBOX_BUS_ACTIVATION=1   the bus activates services from
#                              SANDBOX_DIR/bus/services (no launch helper:
#                              started as the bus's user, root)
#
# Exit status 77 (meson's "skipped") with a one-line reason when not root
# or when the machine cannot provide a sandbox.

# ---------------------------------------------------------------------------
# Constants: names from doc/dbus-api.md "Names" / helper/refmount-names.h.
RM_BUS=org.refmount.Refmount1
RM_OM_PATH=/org/refmount/Refmount1
RM_MANAGER_PATH=/org/refmount/Refmount1/Manager
RM_MOUNTS_PATH=/org/refmount/Refmount1/mounts
RM_MANAGER_IFACE=org.refmount.Refmount1.Manager
RM_MOUNT_IFACE=org.refmount.Refmount1.Mount
RM_ERROR_PREFIX=org.refmount.Refmount1.Error.
POLKIT_BUS=org.freedesktop.PolicyKit1
POLKITD=${POLKITD:-/usr/lib/polkit-1/polkitd}
NOBODY_UID=65534
NOBODY_GID=65534

# shellcheck source=tests/integration/sandbox-trace.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox-trace.sh"

SANDBOX_PIDS=()
declare -A SANDBOX_PID_START=()
SANDBOX_DIR=
SANDBOX_DAEMON_PID=
SANDBOX_DAEMON_STATUS=
SANDBOX_POLKITD_PID=
SANDBOX_DBUS_PID=
SANDBOX_PROBE_PID=
SANDBOX_PROBE_GEN=0
SANDBOX_CASE=
SANDBOX_CASES_RUN=0

# ---------------------------------------------------------------------------
# Messages and assertions.

sandbox_log ()
{
  [[ -n ${SANDBOX_QUIET:-} ]] || printf '%s\n' "$*" >&2
}

# Print a failure (naming the current test case) and exit 1; the EXIT trap
# then dumps the daemon's and polkitd's logs.
fail ()
{
  printf 'FAIL%s: %s\n' "${SANDBOX_CASE:+ [$SANDBOX_CASE]}" "$*" >&2
  exit 1
}

skip ()
{
  printf 'SKIP: %s\n' "$*" >&2
  exit 77
}

# Announce a test case.
tc ()
{
  SANDBOX_CASE=$*
  SANDBOX_CASES_RUN=$((SANDBOX_CASES_RUN + 1))
  printf '### %s\n' "$*" >&2
}

assert_eq ()
{
  local actual=$1 expected=$2
  shift 2
  [[ $actual == "$expected" ]] ||
    fail "${*:-values differ}: expected '$expected', got '$actual'"
}

assert_ne ()
{
  local actual=$1 unexpected=$2
  shift 2
  [[ $actual != "$unexpected" ]] ||
    fail "${*:-values equal}: did not expect '$unexpected'"
}

# assert_contains HAYSTACK NEEDLE [MESSAGE]
assert_contains ()
{
  local haystack=$1 needle=$2
  shift 2
  [[ $haystack == *"$needle"* ]] ||
    fail "${*:-missing text}: '$needle' not found in: $haystack"
}

assert_not_contains ()
{
  local haystack=$1 needle=$2
  shift 2
  [[ $haystack != *"$needle"* ]] ||
    fail "${*:-unexpected text}: '$needle' found in: $haystack"
}

# ---------------------------------------------------------------------------
# Processes: everything started here is recorded and stopped by pid.

sandbox_track_pid ()
{
  SANDBOX_PIDS+=("$1")
  # A pid names a process only until the process is reaped, and bash reaps
  # its background children as soon as they exit, not at "wait".  Once
  # the kernel has handed the number to another process (it does after a
  # wrap of the pid space), a signal by number would reach that one.
  # The start time (in clock ticks since boot) tells the two apart: a pid
  # and its start time name one process for good.  A child that is gone
  # already is remembered as gone.
  sandbox_note_pid "$1"
  _sandbox_trace_note_pid "$1"
}

# sandbox_note_pid PID: remember which process PID is now (see above) for
# sandbox_signal_pid, without stopping it at exit: for processes that are
# not ours to reap, e.g. a mount helper refmountd started.
sandbox_note_pid ()
{
  if _sandbox_proc_stat "$1"; then
    SANDBOX_PID_START[$1]=$_SANDBOX_STAT_START
  else
    SANDBOX_PID_START[$1]=gone
  fi
}

sandbox_untrack_pid ()
{
  local pid=$1 i
  for i in "${!SANDBOX_PIDS[@]}"; do
    [[ ${SANDBOX_PIDS[$i]} != "$pid" ]] || unset 'SANDBOX_PIDS[i]'
  done
  unset 'SANDBOX_PID_START[$pid]'
}

# _sandbox_proc_stat PID: _SANDBOX_STAT_STATE, _SANDBOX_STAT_PPID and
# _SANDBOX_STAT_START (field 22 of /proc/PID/stat) of PID; false when there
# is no such process.  The fields are read after the last ')': the command
# name may hold anything.
_sandbox_proc_stat ()
{
  local stat
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  stat=${stat##*) }
  local -a fields
  read -r -a fields <<<"$stat"
  _SANDBOX_STAT_STATE=${fields[0]}
  _SANDBOX_STAT_PPID=${fields[1]}
  _SANDBOX_STAT_START=${fields[19]}
}

# True while PID exists, is not a zombie, and (for a pid recorded by
# sandbox_track_pid) is still the process that was started, not another
# one that got the number since.
sandbox_pid_alive ()
{
  _sandbox_proc_stat "$1" || return 1
  [[ $_SANDBOX_STAT_STATE != Z && $_SANDBOX_STAT_STATE != X ]] || return 1
  [[ -z ${SANDBOX_PID_START[$1]:-} || ${SANDBOX_PID_START[$1]} == "$_SANDBOX_STAT_START" ]]
}

# sandbox_signal_pid SIGNAL PID: send SIGNAL to PID only if it is still the
# process sandbox_track_pid or sandbox_note_pid recorded; false (nothing
# sent) otherwise, also for a pid that is not (or no longer) recorded.
# The way tests signal processes they started by pid.
sandbox_signal_pid ()
{
  local sig=$1 pid=$2
  [[ -n ${SANDBOX_PID_START[$pid]:-} ]] || return 1
  sandbox_pid_alive "$pid" || return 1
  kill "-$sig" "$pid" 2>/dev/null
}

# sandbox_stop_pid PID [SIGNAL] [TIMEOUT_SEC]: signal a child we started
# (recorded with sandbox_track_pid) unless it is gone, wait (bounded) for
# it to die, escalate to SIGKILL, reap it.  Sets SANDBOX_LAST_STATUS to its
# exit status (128+N when killed by signal N).
sandbox_stop_pid ()
{
  local pid=$1 sig=${2:-TERM} timeout=${3:-10} i escalated=''
  SANDBOX_LAST_STATUS=
  [[ -n $pid ]] || return 0
  [[ -n ${SANDBOX_PID_START[$pid]:-} ]] ||
    fail "sandbox_stop_pid: pid $pid was not recorded with sandbox_track_pid"
  # stderr off while the child dies: bash would print a job notice
  # ("Killed ...") for every child we kill on purpose.
  {
    if sandbox_signal_pid "$sig" "$pid"; then
      for ((i = 0; i < timeout * 20; i++)); do
        sandbox_pid_alive "$pid" || break
        sleep 0.05
      done
      if sandbox_signal_pid KILL "$pid"; then
        escalated=1
      fi
    fi
    SANDBOX_LAST_STATUS=0
    # "wait PID" means the newest child of ours with that number: if the
    # number is already another child's, it would wait for that one.  Our
    # process is long reaped then, and its status lost.
    if _sandbox_proc_stat "$pid" && [[ $_SANDBOX_STAT_START != "${SANDBOX_PID_START[$pid]}" &&
      $_SANDBOX_STAT_PPID == "$BASHPID" ]]; then
      SANDBOX_LAST_STATUS=unknown
    else
      wait "$pid" || SANDBOX_LAST_STATUS=$?
    fi
    : # the notice, if any, is printed before this command
  } 2>/dev/null
  if [[ -n $escalated ]]; then
    printf 'sandbox: pid %s did not exit %ss after SIG%s, killed it\n' "$pid" "$timeout" "$sig" >&2
  fi
  sandbox_untrack_pid "$pid"
}

# ---------------------------------------------------------------------------
# Bounded polling.

# sandbox_wait_until TIMEOUT_SEC DESCRIPTION COMMAND...: run COMMAND every
# 20-100 ms until it succeeds; fail with DESCRIPTION after TIMEOUT_SEC.
sandbox_wait_until ()
{
  local timeout=$1 what=$2
  shift 2
  local deadline=$((SECONDS + timeout)) delay=0.02
  while ! "$@"; do
    ((SECONDS < deadline)) || fail "timed out after ${timeout}s waiting for $what"
    sleep "$delay"
    [[ $delay == 0.1 ]] || delay=0.05
  done
}

# ---------------------------------------------------------------------------
# D-Bus helpers (the sandbox bus is $DBUS_SYSTEM_BUS_ADDRESS, so --system
# reaches it, also after setpriv).

sandbox_name_has_owner ()
{
  local out
  out=$(busctl --system call org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus NameHasOwner s "$1" 2>/dev/null) || return 1
  [[ $out == "b true" ]]
}

sandbox_name_owner_pid ()
{
  local out
  out=$(busctl --system call org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus GetConnectionUnixProcessID s "$1" 2>/dev/null) || return 1
  printf '%s\n' "${out#u }"
}

# Run a command as nobody:nogroup with no supplementary groups.  For a
# background process use "${AS_NOBODY[@]}" CMD... & so that $! is the
# process itself (a backgrounded shell function would be a subshell).
AS_NOBODY=(setpriv --reuid="$NOBODY_UID" --regid="$NOBODY_GID" --clear-groups --
  env HOME=/nonexistent USER=nobody LOGNAME=nobody)

as_nobody ()
{
  "${AS_NOBODY[@]}" "$@"
}

# ---------------------------------------------------------------------------
# Entering the namespace.

_sandbox_need_root_and_tools ()
{
  local tool
  [[ $EUID -eq 0 ]] || skip "integration tests need root (mount namespaces, mount(2), polkitd)"
  for tool in unshare setpriv mount umount dbus-daemon busctl gdbus pkcheck; do
    command -v "$tool" >/dev/null 2>&1 || skip "required tool '$tool' is not installed"
  done
  [[ -x $POLKITD ]] || skip "polkitd not found at $POLKITD (install polkitd)"
  [[ -d /usr/share/polkit-1/actions && -d /etc/polkit-1/rules.d ]] ||
    skip "polkit directories missing (install polkitd)"
  getent passwd polkitd >/dev/null 2>&1 || skip "user polkitd does not exist (install polkitd)"
}

# Re-execute the calling script inside a private mount namespace, unless
# this process already runs in one that the library created.
sandbox_enter ()
{
  _sandbox_need_root_and_tools
  local ns
  ns=$(readlink /proc/self/ns/mnt) || fail "cannot read /proc/self/ns/mnt"
  if [[ -n ${REFMOUNT_SANDBOX_NS:-} ]]; then
    # The variable holds the namespace we were started from.  Belt and
    # braces: never bind-mount over the host's polkit directories because
    # of an inherited variable.
    [[ $ns != "$REFMOUNT_SANDBOX_NS" ]] ||
      fail "REFMOUNT_SANDBOX_NS is set, but this is not a new mount namespace"
    return 0
  fi
  # A PID namespace per test: a signal a test sends by pid (its own, or
  # one of its programs', e.g. to a number whose process has been reaped
  # and replaced since) reaches only processes of that test, never the
  # polkitd or bus of a test running beside or after it; and nothing the
  # test started outlives it, because the kernel kills what is left when
  # the script, the namespace's init, exits.  polkitd, which takes a new
  # thread id for every rules evaluation, died of SIGTERM in CI runs: a
  # signal to a stale number does that (issue 16 item 2, doc/testing.md).
  unshare -m -p -f --kill-child --mount-proc --propagation private true 2>/dev/null ||
    skip "cannot create mount and PID namespaces here (unshare -m -p failed)"
  export REFMOUNT_SANDBOX_NS=$ns
  exec unshare -m -p -f --kill-child --mount-proc --propagation private -- "$BASH" "$0" "$@"
}

# ---------------------------------------------------------------------------
# Setting up the world.

_sandbox_write_bus_config ()
{
  local conf=$SANDBOX_DIR/bus/system.conf
  local servicedir=
  if [[ -n ${SANDBOX_BUS_ACTIVATION:-} ]]; then
    mkdir -p "$SANDBOX_DIR/bus/services"
    chmod 0755 "$SANDBOX_DIR/bus/services"
    servicedir="<servicedir>$SANDBOX_DIR/bus/services</servicedir>"
  fi
  if [[ ${SANDBOX_BUS_POLICY:-permissive} == strict ]]; then
    # The real system bus default policy (deny own and method calls), plus
    # the project's and polkit's busconfig snippets.
    cat >"$conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$SANDBOX_DIR/bus/system_bus_socket</listen>
  $servicedir
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <include>$SANDBOX_SOURCE_DIR/data/org.refmount.Refmount1.conf</include>
  <include ignore_missing="yes">/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf</include>
</busconfig>
EOF
  else
    # A private test bus: everyone may connect, own and talk.
    cat >"$conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$SANDBOX_DIR/bus/system_bus_socket</listen>
  $servicedir
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow send_type="method_call"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
  </policy>
</busconfig>
EOF
  fi
}

sandbox_start_bus ()
{
  _sandbox_write_bus_config
  : >"$SANDBOX_DIR/bus/address"
  dbus-daemon --config-file="$SANDBOX_DIR/bus/system.conf" --nofork --nopidfile \
    --print-address=3 3>"$SANDBOX_DIR/bus/address" \
    >>"$SANDBOX_DIR/dbus-daemon.log" 2>&1 &
  SANDBOX_DBUS_PID=$!
  sandbox_track_pid "$SANDBOX_DBUS_PID"
  _sandbox_bus_ready ()
  {
    sandbox_pid_alive "$SANDBOX_DBUS_PID" ||
      fail "dbus-daemon exited: $(cat "$SANDBOX_DIR/dbus-daemon.log")"
    [[ -s $SANDBOX_DIR/bus/address ]]
  }
  sandbox_wait_until 10 "the sandbox bus" _sandbox_bus_ready
  export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$SANDBOX_DIR/bus/system_bus_socket
  # Nothing in here may ever reach a session bus.
  export DBUS_SESSION_BUS_ADDRESS=disabled:
  sandbox_wait_until 10 "the sandbox bus to answer" sandbox_name_has_owner org.freedesktop.DBus
}

sandbox_start_polkitd ()
{
  # Debug output on by default: it carries polkit.log() from rules, which
  # the tests read, and explains failures.  SANDBOX_POLKIT_NO_DEBUG=1 for
  # a quiet polkitd.
  local args=() exe=$SANDBOX_BIN/polkitd
  [[ -z ${SANDBOX_POLKIT_NO_DEBUG:-} ]] || args+=(--no-debug)
  # Run from a copy on the sandbox's tmpfs, never as $POLKITD itself:
  # Debian's polkitd postinst (on a machine without systemd) stops every
  # process whose executable is /usr/lib/polkit-1/polkitd
  # (start-stop-daemon --stop --exec), and a package installed anywhere
  # on the machine while a test runs (a chroot that shares the PID
  # namespace, a developer's apt-get) would end this test's polkitd.
  # The signal record caught exactly that (doc/testing.md).
  [[ -x $exe ]] || install -m 0755 "$POLKITD" "$exe" || fail "cannot copy $POLKITD to $exe"
  "$exe" "${args[@]}" >>"$SANDBOX_DIR/polkitd.log" 2>&1 &
  SANDBOX_POLKITD_PID=$!
  sandbox_track_pid "$SANDBOX_POLKITD_PID"
  _sandbox_polkit_ready ()
  {
    sandbox_pid_alive "$SANDBOX_POLKITD_PID" ||
      fail "polkitd exited: $(tail -n 20 "$SANDBOX_DIR/polkitd.log")"
    sandbox_name_has_owner "$POLKIT_BUS"
  }
  sandbox_wait_until 15 "polkitd to own $POLKIT_BUS" _sandbox_polkit_ready
  # Rules are loaded asynchronously at start; make sure the current ones
  # (at least the probe) are in force.
  sandbox_sync_rules
}

sandbox_stop_polkitd ()
{
  local sig=${1:-TERM}
  sandbox_stop_pid "$SANDBOX_POLKITD_PID" "$sig" 10
  SANDBOX_POLKITD_PID=
  sandbox_wait_until 10 "$POLKIT_BUS to leave the bus" eval '! sandbox_name_has_owner "$POLKIT_BUS"'
}

sandbox_kill9_polkitd ()
{
  sandbox_stop_polkitd KILL
}

# sandbox_stop_bus: stop the sandbox's bus.  polkitd goes with it (GDBus
# raises SIGTERM in a process whose bus connection closes), which is then
# on purpose and no failure of the test.
sandbox_stop_bus ()
{
  sandbox_stop_pid "$SANDBOX_DBUS_PID" TERM 10
  SANDBOX_DBUS_PID=
  [[ -n $SANDBOX_POLKITD_PID ]] || return 0
  sandbox_wait_until 10 "polkitd to exit with the bus" eval '! sandbox_pid_alive "$SANDBOX_POLKITD_PID"'
  SANDBOX_POLKITD_PID=
}

# --- polkit rules -----------------------------------------------------------
#
# polkitd reloads rules through inotify.  To know when a change is in
# force, every change also rewrites 00-sandbox-probe.rules, which grants
# org.refmount.manage to the probe process (uid nobody) only when the detail
# refmount-sandbox-probe equals the new generation; sandbox_sync_rules polls
# pkcheck until that answer is "yes".  refmountd never passes that detail.

_sandbox_write_probe_rule ()
{
  SANDBOX_PROBE_GEN=$((SANDBOX_PROBE_GEN + 1))
  local f=$SANDBOX_DIR/polkit/rules.d/00-sandbox-probe.rules
  cat >"$f.tmp" <<EOF
// SPDX-License-Identifier: GPL-2.0-or-later
// Written by tests/integration/sandbox.sh; generation $SANDBOX_PROBE_GEN.
polkit.addRule(function(action, subject) {
    if (action.id == "org.refmount.manage" &&
        action.lookup("refmount-sandbox-probe") == "$SANDBOX_PROBE_GEN")
        return polkit.Result.YES;
    return polkit.Result.NOT_HANDLED;
});
EOF
  chmod 0644 "$f.tmp"
  mv -f "$f.tmp" "$f"
}

_sandbox_probe_ok ()
{
  pkcheck --action-id org.refmount.manage --process "$SANDBOX_PROBE_PID" \
    --detail refmount-sandbox-probe "$SANDBOX_PROBE_GEN" >/dev/null 2>&1
}

sandbox_sync_rules ()
{
  _sandbox_write_probe_rule
  sandbox_wait_until 15 "polkitd to load rules generation $SANDBOX_PROBE_GEN" _sandbox_probe_ok
}

# sandbox_set_rules NAME [CONTENT]: install NAME.rules (CONTENT or stdin)
# and wait until polkitd uses it.
sandbox_set_rules ()
{
  local name=$1 f
  f=$SANDBOX_DIR/polkit/rules.d/50-$name.rules
  if (($# > 1)); then
    printf '%s\n' "$2" >"$f.tmp"
  else
    cat >"$f.tmp"
  fi
  chmod 0644 "$f.tmp"
  mv -f "$f.tmp" "$f"
  sandbox_sync_rules
}

sandbox_remove_rules ()
{
  rm -f "$SANDBOX_DIR/polkit/rules.d/50-$1.rules"
  sandbox_sync_rules
}

sandbox_clear_rules ()
{
  rm -f "$SANDBOX_DIR"/polkit/rules.d/50-*.rules
  sandbox_sync_rules
}

# --- refmountd ----------------------------------------------------------------

# sandbox_write_config [EXTRA]: (re)write the test refmount.conf; EXTRA is
# appended verbatim (more [Filesystem X] groups).  Variables:
# SANDBOX_ALLOWED_FS, SANDBOX_MOUNT_TIMEOUT, SANDBOX_MAX_MOUNTS,
# SANDBOX_MAX_ATTACH, SANDBOX_RAMFS_FORCED (ForcedOptions for ramfs).
# shellcheck disable=SC2120
sandbox_write_config ()
{
  cat >"$SANDBOX_CONFIG" <<EOF
# SPDX-License-Identifier: GPL-2.0-or-later
# Written by tests/integration/sandbox.sh.
[Daemon]
MountRoots=$SANDBOX_ROOT;
AllowedFilesystems=${SANDBOX_ALLOWED_FS:-tmpfs;ramfs;nfs;cifs;}
ForcedOptions=nosuid;nodev;
MountTimeoutSec=${SANDBOX_MOUNT_TIMEOUT:-5}
MaxMounts=${SANDBOX_MAX_MOUNTS:-64}
MaxAttachmentsPerUser=${SANDBOX_MAX_ATTACH:-256}

[Filesystem tmpfs]
AllowedOptions=size;mode;nr_inodes;ro;rw;noexec;noatime;
UseHelper=false

[Filesystem ramfs]
AllowedOptions=mode;
${SANDBOX_RAMFS_FORCED:+ForcedOptions=$SANDBOX_RAMFS_FORCED}
UseHelper=false

[Filesystem nfs]
AllowedOptions=vers;ro;rw;soft;timeo;retrans;
UseHelper=true

[Filesystem cifs]
AllowedOptions=vers;ro;rw;
UseHelper=true
${1:-}
EOF
}

# Start refmountd and wait (bounded) until it owns its name.
sandbox_start_daemon ()
{
  [[ -x $REFMOUNTD ]] || fail "daemon binary $REFMOUNTD does not exist (build first)"
  printf '\n=== refmountd start (%s) ===\n' "$(date +%T.%N)" >>"$SANDBOX_DAEMON_LOG"
  # A GLib critical is a bug in refmountd: abort, and the test fails.
  G_DEBUG=fatal-criticals "$REFMOUNTD" --config="$SANDBOX_CONFIG" --state-dir="$SANDBOX_STATE_DIR" --verbose \
    "$@" >>"$SANDBOX_DAEMON_LOG" 2>&1 &
  SANDBOX_DAEMON_PID=$!
  sandbox_track_pid "$SANDBOX_DAEMON_PID"
  _sandbox_daemon_ready ()
  {
    if ! sandbox_pid_alive "$SANDBOX_DAEMON_PID"; then
      sandbox_stop_pid "$SANDBOX_DAEMON_PID"
      fail "refmountd exited with status $SANDBOX_LAST_STATUS during start-up; log:
$(tail -n 30 "$SANDBOX_DAEMON_LOG")"
    fi
    [[ $(sandbox_name_owner_pid "$RM_BUS") == "$SANDBOX_DAEMON_PID" ]]
  }
  sandbox_wait_until 20 "refmountd (pid $SANDBOX_DAEMON_PID) to own $RM_BUS" _sandbox_daemon_ready
}

# SIGTERM, bounded wait; SANDBOX_DAEMON_STATUS = exit status.
sandbox_stop_daemon ()
{
  local pid=$SANDBOX_DAEMON_PID
  [[ -n $pid ]] || return 0
  sandbox_stop_pid "$pid" TERM 30
  SANDBOX_DAEMON_STATUS=$SANDBOX_LAST_STATUS
  SANDBOX_DAEMON_PID=
  sandbox_wait_until 10 "$RM_BUS to leave the bus" eval '! sandbox_name_has_owner "$RM_BUS"'
}

sandbox_kill9_daemon ()
{
  local pid=$SANDBOX_DAEMON_PID
  [[ -n $pid ]] || return 0
  sandbox_stop_pid "$pid" KILL 10
  SANDBOX_DAEMON_STATUS=$SANDBOX_LAST_STATUS
  SANDBOX_DAEMON_PID=
  sandbox_wait_until 10 "$RM_BUS to leave the bus" eval '! sandbox_name_has_owner "$RM_BUS"'
}

sandbox_daemon_alive ()
{
  [[ -n $SANDBOX_DAEMON_PID ]] && sandbox_pid_alive "$SANDBOX_DAEMON_PID" &&
    sandbox_name_has_owner "$RM_BUS"
}

# ---------------------------------------------------------------------------
# Teardown.

# GLib's own complaints in refmountd's output (its log, or the bus's log
# for an activated daemon) fail the test even when every call succeeded:
# any CRITICAL, and any WARNING from a domain other than refmountd's own
# "refmount" (whose warnings are its operational messages: a failed
# rollback, an unusable state file, ...).  SANDBOX_GLIB_LOG_ALLOW is an
# extended regex of lines a test provokes on purpose.
SANDBOX_GLIB_LOG_RE='^\(refmountd[a-z-]*:[0-9]+\): ([A-Za-z0-9-]+-CRITICAL|[A-Za-z0-9-]*GLib[A-Za-z0-9-]*-WARNING|[A-Za-z0-9-]+-ERROR) \*\*'

sandbox_check_glib_log ()
{
  local f hits
  for f in "$SANDBOX_DIR/refmountd.log" "$SANDBOX_DIR/dbus-daemon.log"; do
    [[ -s $f ]] || continue
    hits=$(grep -E "$SANDBOX_GLIB_LOG_RE" "$f" || true)
    if [[ -n $hits && -n ${SANDBOX_GLIB_LOG_ALLOW:-} ]]; then
      hits=$(grep -v -E "$SANDBOX_GLIB_LOG_ALLOW" <<<"$hits" || true)
    fi
    if [[ -n $hits ]]; then
      printf '\n----- GLib criticals/warnings from refmountd (%s) -----\n%s\n' "${f##*/}" "$hits" >&2
      printf 'FAIL: refmountd logged GLib criticals or warnings (see above)\n' >&2
      return 1
    fi
  done
  return 0
}

# ---------------------------------------------------------------------------
# Mount helpers of a test's own: /sbin/mount.TYPE stand-ins.
#
# libmount runs helpers from /sbin only, so a stand-in goes into
# SANDBOX_DIR/sbin-extra, and an overlay of that over /sbin (/usr/sbin on
# Debian 12) shows it there, in this namespace only; the host's /sbin is
# never written.  Each helper records "PID START" in SANDBOX_HELPER_PIDS
# as it starts (a test can wait for a helper to run, and check that it is
# gone).  _sandbox_cleanup kills what is left of them once the daemon is
# stopped, then unmounts the overlay.

SANDBOX_HELPER_PIDS=
SANDBOX_HELPER_OVERLAY=
# For a stand-in's script (expanded into it): libmount runs "mount.TYPE
# SOURCE TARGET [-sfnv] [-o OPTIONS]"; this sets src, target and opts
# (",OPTIONS", or empty).
SANDBOX_HELPER_ARGS='src=$1 target=$2 opts=
shift 2
while [ $# -gt 0 ]; do
  [ "$1" = -o ] && opts=",$2" && shift
  shift
done'

# sandbox_install_helper [--or-skip] NAME < SCRIPT: /sbin/NAME runs
# SCRIPT, a /bin/sh script (its first line is replaced by the shebang and
# the pid record).  Where no overlay can be mounted over /sbin the test
# fails, or with --or-skip is skipped.
sandbox_install_helper ()
{
  local or=fail
  if [[ $1 == --or-skip ]]; then
    or=skip
    shift
  fi
  local name=$1 extra=$SANDBOX_DIR/sbin-extra sbin
  sbin=$(readlink -f /sbin)
  SANDBOX_HELPER_PIDS=$SANDBOX_DIR/helper.pids
  [[ -d $extra ]] || mkdir -m 0755 "$extra" || fail "cannot create $extra"
  {
    # "PID START": the start time (field 22 of /proc/PID/stat) tells the
    # helper from a later process that got its number.  $$ is the
    # helper's pid in the command substitution too.
    printf '#!/bin/sh\necho "$$ $(set -- $(sed '"'"'s/.*) //'"'"' /proc/$$/stat); echo "${20}")" >>"%s"\n' \
      "$SANDBOX_HELPER_PIDS"
    tail -n +2
  } >"$extra/$name" || fail "cannot write $extra/$name"
  chmod 0755 "$extra/$name"
  # Files added under a mounted overlay's lower directory need not show
  # (overlayfs caches what it has looked up): mount it again.
  if [[ -n $SANDBOX_HELPER_OVERLAY ]]; then
    umount "$SANDBOX_HELPER_OVERLAY" || fail "cannot unmount the overlay over $sbin to add $name"
    SANDBOX_HELPER_OVERLAY=
  fi
  mount -t overlay refmount-sbin -o "lowerdir=$extra:$sbin" "$sbin" ||
    "$or" "cannot mount an overlay over $sbin for the stand-in $name"
  SANDBOX_HELPER_OVERLAY=$sbin
  [[ -x /sbin/$name ]] || "$or" "the overlay over $sbin does not show $name"
}

# From _sandbox_cleanup, after the daemon has stopped: kill the helpers
# still running (a hanging one outlives a test that failed half-way),
# then unmount the overlay.  A pid is killed only while it still has the
# start time its helper recorded: a helper refmountd killed has left its
# number free for any process (a thread of polkitd, say).  Processes that
# run from the overlay keep it busy until they have exited: sshd
# re-executes /usr/sbin/sshd for each connection (test-sshfs.sh), and
# killed helpers take a moment to go.  Returns 1 when the overlay could
# not be unmounted within 10 s.
_sandbox_remove_helpers ()
{
  local pid start i
  if [[ -s $SANDBOX_HELPER_PIDS ]]; then
    while read -r pid start; do
      _sandbox_proc_stat "$pid" && [[ $_SANDBOX_STAT_START == "$start" ]] || continue
      kill -KILL "$pid" 2>/dev/null
    done <"$SANDBOX_HELPER_PIDS"
  fi
  [[ -n $SANDBOX_HELPER_OVERLAY ]] || return 0
  for ((i = 0; i < 200; i++)); do
    if umount "$SANDBOX_HELPER_OVERLAY" 2>/dev/null; then
      SANDBOX_HELPER_OVERLAY=
      return 0
    fi
    sleep 0.05
  done
  printf 'FAIL: the overlay over %s is still busy 10 s after the helpers were killed:\n' \
    "$SANDBOX_HELPER_OVERLAY" >&2
  umount "$SANDBOX_HELPER_OVERLAY" >&2
  umount -l "$SANDBOX_HELPER_OVERLAY"
  return 1
}

_sandbox_cleanup ()
{
  local status=$? i pid
  set +e
  trap - EXIT INT TERM
  if ((status != 0 && status != 77)) && [[ -n $SANDBOX_DIR ]]; then
    local f
    for f in refmountd.log polkitd.log dbus-daemon.log; do
      [[ -s $SANDBOX_DIR/$f ]] || continue
      printf '\n----- last lines of %s -----\n' "$f" >&2
      # polkitd's rule-reload chatter (one reload per probe) is noise here.
      grep -v -E 'Reloading rules|Collecting garbage|Loading rules from|Finished loading' \
        "$SANDBOX_DIR/$f" | tail -n "${SANDBOX_LOG_LINES:-80}" >&2
    done
    printf '\n----- refmount mounts in the sandbox -----\n' >&2
    grep -F " $SANDBOX_DIR/" /proc/self/mountinfo >&2
  fi
  if [[ -n ${SANDBOX_SAVE_LOGS:-} && -n $SANDBOX_DIR ]]; then
    mkdir -p "$SANDBOX_SAVE_LOGS" &&
      cp "$SANDBOX_DIR"/*.log "$SANDBOX_SAVE_LOGS"/ 2>/dev/null &&
      printf 'sandbox: logs saved in %s\n' "$SANDBOX_SAVE_LOGS" >&2
  fi
  # polkitd must live as long as the test unless the test stopped it
  # (sandbox_stop_polkitd clears the pid): had it died, every later
  # denial was "the authorization service is unavailable", and a test
  # that only expected NotAuthorized would pass for the wrong reason.
  # Its exit status (128+N for signal N) says whether it crashed.
  if [[ -n $SANDBOX_POLKITD_PID ]] && ((status != 77)) && ! sandbox_pid_alive "$SANDBOX_POLKITD_PID"; then
    local pk_status=0
    wait "$SANDBOX_POLKITD_PID" 2>/dev/null || pk_status=$?
    printf '
FAIL: polkitd (pid %s) died during the test, exit status %s%s
' "$SANDBOX_POLKITD_PID" "$pk_status" \
      "$( ((pk_status > 128)) && printf ' (signal %s)' "$(kill -l $((pk_status - 128)) 2>/dev/null)")" >&2
    tail -n 20 "$SANDBOX_DIR/polkitd.log" >&2
    _sandbox_trace_report
    status=1
  fi
  # Stop what we started, newest first: daemon, polkitd, probe, bus.
  for ((i = ${#SANDBOX_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${SANDBOX_PIDS[i]:-}
    [[ -n $pid ]] || continue
    sandbox_stop_pid "$pid" TERM 5
  done
  _sandbox_remove_helpers || status=1
  # In a sanitizer build (.ci/run) a report from the daemon, e.g. a leak
  # found when it exits, fails the test even when every call succeeded.
  if [[ -n $SANDBOX_DIR ]] && ((status != 77)) &&
    grep -l -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: ' "$SANDBOX_DIR"/*.log >/dev/null 2>&1; then
    printf '\n----- sanitizer reports -----\n' >&2
    grep -h -A 40 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: ' "$SANDBOX_DIR"/*.log >&2
    printf 'FAIL: a sanitizer report in the logs above\n' >&2
    status=1
  fi
  if [[ -n $SANDBOX_DIR ]] && ((status != 77)) && ! sandbox_check_glib_log; then
    status=1
  fi
  _sandbox_trace_stop
  if [[ -n $SANDBOX_DIR ]]; then
    # The mounts die with the namespace anyway; unmount so that the
    # directory on the host can be removed.  One lazy detach of the
    # sandbox's own tmpfs takes everything beneath it along in one
    # umount2(2); umount -R unmounts mount by mount and re-reads
    # mountinfo for each, which took over ten minutes for the bench's
    # 10,000 mounts.  Whatever was stacked on the directory goes first.
    for ((i = 0; i < 10; i++)); do
      mountpoint -q "$SANDBOX_DIR" || break
      umount -l "$SANDBOX_DIR" 2>/dev/null || break
    done
    if [[ -n ${SANDBOX_KEEP:-} ]]; then
      printf 'sandbox: kept %s (its tmpfs contents are gone with the namespace)\n' "$SANDBOX_DIR" >&2
    else
      rmdir "$SANDBOX_DIR" 2>/dev/null
    fi
  fi
  exit "$status"
}

# ---------------------------------------------------------------------------
# Clients that run as another uid.
#
# The build tree is wherever the user cloned the project, typically
# beneath /root (mode 0700): uid nobody cannot execute anything there.
# Every client binary a test or the demo may run as nobody is copied to
# SANDBOX_BIN on the sandbox's own tmpfs (0755 all the way up) and its
# variable is pointed at the copy, so the host's directories never need
# a permission change.  The one shared library of the build tree they may
# link, librefmount-1, is staged beside them (SANDBOX_LIB, first on
# LD_LIBRARY_PATH and GI_TYPELIB_PATH).  A client that is not built stays unset
# (the tests that need it say so).

SANDBOX_CLIENT_VARS=(REFMOUNTCTL REFMOUNT_TEST_CLIENT REFMOUNT_CHAOS_CLIENT REFMOUNT_BENCH)

_sandbox_stage_clients ()
{
  local var src
  SANDBOX_BIN=$SANDBOX_DIR/bin
  mkdir -m 0755 "$SANDBOX_BIN" || fail "cannot create $SANDBOX_BIN"
  for var in "${SANDBOX_CLIENT_VARS[@]}"; do
    src=${!var}
    if [[ ! -f $src ]]; then
      unset "$var"
      continue
    fi
    install -m 0755 "$src" "$SANDBOX_BIN/" || fail "cannot copy $src to $SANDBOX_BIN"
    export "$var=$SANDBOX_BIN/${src##*/}"
  done
  # librefmount-1, which those clients link, and its typelib (the
  # examples): the build tree's copy may be out of nobody's reach too.
  # LD_LIBRARY_PATH is searched before the clients' RUNPATH.
  SANDBOX_LIB=$SANDBOX_DIR/lib
  mkdir -m 0755 "$SANDBOX_LIB" || fail "cannot create $SANDBOX_LIB"
  for src in "$SANDBOX_BUILD_DIR"/lib/librefmount-1.so* "$SANDBOX_BUILD_DIR"/lib/Refmount-1.0.typelib; do
    [[ -f $src && ! -d $src ]] || continue
    cp -P "$src" "$SANDBOX_LIB/" || fail "cannot copy $src to $SANDBOX_LIB"
  done
  chmod -R a+rX "$SANDBOX_LIB"
  export LD_LIBRARY_PATH=$SANDBOX_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export GI_TYPELIB_PATH=$SANDBOX_LIB${GI_TYPELIB_PATH:+:$GI_TYPELIB_PATH}
}

# ---------------------------------------------------------------------------
# sandbox_init "$@": enter the namespace and build the sandbox.

sandbox_init ()
{
  SANDBOX_BUILD_DIR=${REFMOUNT_BUILD_DIR:-${1:-}}
  SANDBOX_SOURCE_DIR=${REFMOUNT_SOURCE_DIR:-${2:-}}
  [[ -n $SANDBOX_SOURCE_DIR ]] ||
    SANDBOX_SOURCE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  [[ -n $SANDBOX_BUILD_DIR ]] || SANDBOX_BUILD_DIR=$SANDBOX_SOURCE_DIR/build
  SANDBOX_SOURCE_DIR=$(cd "$SANDBOX_SOURCE_DIR" && pwd)
  SANDBOX_BUILD_DIR=$(cd "$SANDBOX_BUILD_DIR" 2>/dev/null && pwd) ||
    fail "build directory ${1:-build} does not exist"
  REFMOUNTD=${REFMOUNTD:-$SANDBOX_BUILD_DIR/helper/refmountd}
  REFMOUNTCTL=${REFMOUNTCTL:-$SANDBOX_BUILD_DIR/tools/refmountctl}
  REFMOUNT_TEST_CLIENT=${REFMOUNT_TEST_CLIENT:-$SANDBOX_BUILD_DIR/tests/integration/refmount-test-client}
  REFMOUNT_CHAOS_CLIENT=${REFMOUNT_CHAOS_CLIENT:-$SANDBOX_BUILD_DIR/tests/integration/refmount-chaos-client}
  REFMOUNT_BENCH=${REFMOUNT_BENCH:-$SANDBOX_BUILD_DIR/bench/refmount-bench}
  # The tests run in the sandbox directory: make paths absolute.
  local var
  for var in REFMOUNTD "${SANDBOX_CLIENT_VARS[@]}"; do
    [[ ${!var} == /* ]] || printf -v "$var" '%s' "$PWD/${!var}"
  done
  SANDBOX_POLKIT_POLICY=$SANDBOX_BUILD_DIR/polkit/org.refmount.policy
  [[ -f $SANDBOX_POLKIT_POLICY ]] ||
    fail "$SANDBOX_POLKIT_POLICY not found (build the project first: ninja -C $SANDBOX_BUILD_DIR)"

  sandbox_enter "$@"

  # From here on we are in our own mount namespace.
  trap _sandbox_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  # Not under /tmp: mount roots and all their ancestors must not be
  # group/world writable (doc/design.md "Validation and confinement").  A
  # tmpfs on top keeps everything we create inside this namespace.
  local base=${SANDBOX_BASE:-/run}
  SANDBOX_DIR=$(mktemp -d "$base/refmount-test.XXXXXX") ||
    fail "cannot create a temporary directory in $base"
  mount -t tmpfs -o mode=0755,size=256m refmount-sandbox "$SANDBOX_DIR" ||
    fail "cannot mount a tmpfs on $SANDBOX_DIR"
  chmod 0755 "$SANDBOX_DIR"
  cd "$SANDBOX_DIR" || fail "cannot enter $SANDBOX_DIR"
  _sandbox_trace_start
  _sandbox_stage_clients

  mkdir -m 0755 "$SANDBOX_DIR/bus" "$SANDBOX_DIR/polkit" "$SANDBOX_DIR/polkit/actions" \
    "$SANDBOX_DIR/polkit/rules.d" "$SANDBOX_DIR/polkit/empty" "$SANDBOX_DIR/mnt"
  mkdir -m 0700 "$SANDBOX_DIR/state"
  SANDBOX_DAEMON_LOG=$SANDBOX_DIR/refmountd.log
  SANDBOX_CONFIG=$SANDBOX_DIR/refmount.conf
  SANDBOX_STATE_DIR=$SANDBOX_DIR/state
  SANDBOX_STATE_FILE=$SANDBOX_STATE_DIR/state

  # polkit sees only our action file and only our rules.
  install -m 0644 "$SANDBOX_POLKIT_POLICY" "$SANDBOX_DIR/polkit/actions/"
  mount --bind "$SANDBOX_DIR/polkit/actions" /usr/share/polkit-1/actions
  mount --bind "$SANDBOX_DIR/polkit/rules.d" /etc/polkit-1/rules.d
  mount --bind "$SANDBOX_DIR/polkit/empty" /usr/share/polkit-1/rules.d

  # libmount's utab (/run/mount/utab): refmountd and mount helpers record
  # userspace options there, which must not reach the host's file.
  if [[ -d /run/mount ]]; then
    mount -t tmpfs -o mode=0755,size=4m refmount-sandbox-utab /run/mount
  else
    export LIBMOUNT_UTAB=$SANDBOX_DIR/utab
  fi

  # The mount root: its own tmpfs, root-owned 0755 all the way up.
  mount -t tmpfs -o mode=0755,size=64m refmount-sandbox-mnt "$SANDBOX_DIR/mnt"
  SANDBOX_ROOT=$SANDBOX_DIR/mnt/root
  mkdir -m 0755 "$SANDBOX_ROOT"
  sandbox_write_config

  sandbox_start_bus

  # The rules probe subject: a process of uid nobody that lives as long as
  # the sandbox.
  "${AS_NOBODY[@]}" sleep 100000 &
  SANDBOX_PROBE_PID=$!
  sandbox_track_pid "$SANDBOX_PROBE_PID"

  sandbox_start_polkitd
  sandbox_log "sandbox: ready in $SANDBOX_DIR (bus $DBUS_SYSTEM_BUS_ADDRESS, mount root $SANDBOX_ROOT)"
}

# ---------------------------------------------------------------------------
# refmount call helpers.
#
# Each sets RM_RC (exit status) and RM_OUT (stdout and stderr) and never
# exits on failure; use assert_ok / assert_error afterwards.

# GVariant text for a string / a string array.
gv_str ()
{
  local s=${1//\\/\\\\}
  s=${s//\'/\\\'}
  printf "'%s'" "$s"
}

gv_strv ()
{
  local out='' sep='' s
  if (($# == 0)); then
    printf '@as []'
    return
  fi
  for s in "$@"; do
    out+="$sep$(gv_str "$s")"
    sep=', '
  done
  printf '[%s]' "$out"
}

_rm_run ()
{
  local user=$1
  shift
  RM_RC=0
  if [[ $user == root ]]; then
    RM_OUT=$("$@" 2>&1) || RM_RC=$?
  else
    RM_OUT=$(as_nobody "$@" 2>&1) || RM_RC=$?
  fi
  return 0
}

# rm_gdbus [-u nobody] METHOD GVARIANT-ARG...: call a Manager method.
rm_gdbus ()
{
  local user=root
  if [[ ${1:-} == -u ]]; then
    user=$2
    shift 2
  fi
  local method=$1
  shift
  _rm_run "$user" gdbus call --system --timeout 60 --dest "$RM_BUS" \
    --object-path "$RM_MANAGER_PATH" --method "$RM_MANAGER_IFACE.$method" "$@"
}

# rm_mount [-u nobody] [-f FLAGS-GVARIANT] FSTYPE SOURCE MOUNTPOINT ATTACHMENT [OPTION...]
# On success RM_MOUNT_OBJ / RM_MOUNTPOINT hold the reply.
rm_mount ()
{
  local user=root flags='@a{sv} {}'
  while [[ ${1:-} == -u || ${1:-} == -f ]]; do
    case $1 in
    -u) user=$2 ;;
    -f) flags=$2 ;;
    esac
    shift 2
  done
  local fstype=$1 source=$2 mountpoint=$3 attachment=$4
  shift 4
  rm_gdbus -u "$user" Mount "$(gv_str "$fstype")" "$(gv_str "$source")" \
    "$(gv_str "$mountpoint")" "$(gv_strv "$@")" "$(gv_str "$attachment")" "$flags"
  RM_MOUNT_OBJ=
  RM_MOUNTPOINT=
  if ((RM_RC == 0)); then
    # (objectpath '/org/refmount/...', '/path')
    RM_MOUNT_OBJ=$(sed -nE "s/^\(objectpath '([^']*)', '.*'\)$/\1/p" <<<"$RM_OUT")
    RM_MOUNTPOINT=$(sed -nE "s/^\(objectpath '[^']*', '(.*)'\)$/\1/p" <<<"$RM_OUT")
  fi
}

# rm_unmount [-u nobody] [-f FLAGS-GVARIANT] MOUNTPOINT ATTACHMENT
# On success RM_UNMOUNTED is "true" or "false".
rm_unmount ()
{
  local user=root flags='@a{sv} {}'
  while [[ ${1:-} == -u || ${1:-} == -f ]]; do
    case $1 in
    -u) user=$2 ;;
    -f) flags=$2 ;;
    esac
    shift 2
  done
  rm_gdbus -u "$user" Unmount "$(gv_str "$1")" "$(gv_str "$2")" "$flags"
  RM_UNMOUNTED=
  if ((RM_RC == 0)); then
    RM_UNMOUNTED=$(sed -nE 's/^\((true|false),\)$/\1/p' <<<"$RM_OUT")
  fi
}

assert_ok ()
{
  ((RM_RC == 0)) || fail "${*:-call failed} (exit $RM_RC): $RM_OUT"
}

# sandbox_assert_polkit_denial TEXT: a denial in TEXT came from a live
# polkitd that said no, not from an unreachable one (refmountd then also
# answers NotAuthorized, "... the authorization service is unavailable").
# Skipped while a test has stopped polkitd on purpose.
sandbox_assert_polkit_denial ()
{
  [[ -n $SANDBOX_POLKITD_PID ]] || return 0
  sandbox_pid_alive "$SANDBOX_POLKITD_PID" ||
    fail "polkitd (pid $SANDBOX_POLKITD_PID) is gone: a NotAuthorized now proves nothing: $(tail -n 20 "$SANDBOX_DIR/polkitd.log")"
  [[ $1 != *"authorization service is unavailable"* ]] ||
    fail "the denial came from an unreachable polkitd, not from polkit's decision: $1"
}

# assert_error NAME [TEXT...]: the last call failed with
# org.refmount.Refmount1.Error.NAME and its message contains every TEXT.
assert_error ()
{
  local name=$1 text
  shift
  ((RM_RC != 0)) || fail "expected error $name, but the call succeeded: $RM_OUT"
  [[ $RM_OUT == *"$RM_ERROR_PREFIX$name:"* || $RM_OUT == *"$RM_ERROR_PREFIX$name" ]] ||
    fail "expected error $RM_ERROR_PREFIX$name, got: $RM_OUT"
  [[ $name != NotAuthorized ]] || sandbox_assert_polkit_denial "$RM_OUT"
  for text in "$@"; do
    [[ $RM_OUT == *"$text"* ]] || fail "error $name should mention '$text': $RM_OUT"
  done
}

# rm_get_property OBJECT-PATH INTERFACE PROPERTY: busctl's text form
# (e.g. 's "mounted"', 'as 2 "a" "b"'); empty on failure.
rm_get_property ()
{
  busctl --system get-property "$RM_BUS" "$1" "$2" "$3" 2>/dev/null || true
}

rm_manager_property ()
{
  rm_get_property "$RM_MANAGER_PATH" "$RM_MANAGER_IFACE" "$1"
}

rm_mount_property ()
{
  rm_get_property "$1" "$RM_MOUNT_IFACE" "$2"
}

# The object path refmountd must use for MOUNTPOINT:
# RM_MOUNTS_PATH/g_dbus_escape_object_path (MOUNTPOINT).
rm_object_path_for ()
{
  local s=$1 out='' c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    if [[ $c == [A-Za-z0-9] ]]; then
      out+=$c
    else
      out+=$(printf '_%02x' "'$c")
    fi
  done
  printf '%s/%s\n' "$RM_MOUNTS_PATH" "$out"
}

# ---------------------------------------------------------------------------
# The kernel's view (this namespace's mount table).

# Number of mounts whose mountpoint is exactly PATH.
mount_count ()
{
  local path=$1
  awk -v p="$path" '$5 == p { n++ } END { print n + 0 }' /proc/self/mountinfo
}

# Mounts at or beneath PATH, one mountpoint per line.
mounts_beneath ()
{
  local path=$1
  awk -v p="$path" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo
}

# Mount source / fstype / super options of the newest mount at PATH.
mount_field ()
{
  local path=$1 what=$2
  awk -v p="$path" -v w="$what" '
    $5 == p {
      for (i = 7; $i != "-"; i++) ;
      if (w == "fstype") r = $(i + 1)
      else if (w == "source") r = $(i + 2)
      else if (w == "super") r = $(i + 3)
      else if (w == "options") r = $6
    }
    END { print r }' /proc/self/mountinfo
}

# Mountpoints of every mount whose source is SOURCE.
mounts_of_source ()
{
  local source=$1
  awk -v s="$source" '{ for (i = 7; $i != "-"; i++) ; if ($(i + 2) == s) print $5 }' \
    /proc/self/mountinfo
}

assert_mounted ()
{
  local path=$1 n
  n=$(mount_count "$path")
  [[ $n == 1 ]] || fail "${2:-expected one mount} at $path, found $n"
}

assert_not_mounted ()
{
  local path=$1 n
  n=$(mount_count "$path")
  [[ $n == 0 ]] || fail "${2:-expected no mount} at $path, found $n"
}

_sandbox_not_mounted ()
{
  [[ $(mount_count "$1") == 0 ]]
}

sandbox_wait_unmounted ()
{
  sandbox_wait_until "${2:-10}" "$1 to be unmounted" _sandbox_not_mounted "$1"
}

# ---------------------------------------------------------------------------
# Availability under attack (issue 11).

# assert_root_cycle_within SECONDS MOUNTPOINT: root mounts a tmpfs at
# MOUNTPOINT and unmounts it again, each answered within SECONDS — a
# functional bound, generous on purpose: an idle cycle takes milliseconds.
assert_root_cycle_within ()
{
  local limit=$1 mp=$2 t0 mount_ms unmount_ms
  t0=$(date +%s%N)
  rm_mount tmpfs refmount-probe "$mp" probe size=1m
  mount_ms=$((($(date +%s%N) - t0) / 1000000))
  assert_ok "root's Mount of $mp under attack (after $mount_ms ms)"
  ((mount_ms <= limit * 1000)) || fail "root's Mount of $mp took $mount_ms ms under attack (bound: $limit s)"
  t0=$(date +%s%N)
  rm_unmount "$mp" probe
  unmount_ms=$((($(date +%s%N) - t0) / 1000000))
  assert_ok "root's Unmount of $mp under attack (after $unmount_ms ms)"
  ((unmount_ms <= limit * 1000)) || fail "root's Unmount of $mp took $unmount_ms ms under attack (bound: $limit s)"
  printf '%s: root Mount %d ms, Unmount %d ms under attack\n' "$SANDBOX_CASE" "$mount_ms" "$unmount_ms"
}

# daemon_rss_kb [FIELD]: the daemon's VmRSS (or FIELD, e.g. VmHWM) in kB.
daemon_rss_kb ()
{
  awk -v f="${1:-VmRSS}:" '$1 == f { print $2 }' "/proc/$SANDBOX_DAEMON_PID/status"
}

# flood_start OUTFILE ARGS...: the chaos client's flood (see
# refmount-chaos-client.c) as nobody in the background; waits until the
# daemon has taken every call off the bus ("sent N").
flood_start ()
{
  local out=$1
  shift
  # setpriv execs the client: $! is the client's pid (a function would put
  # a subshell in between).
  "${AS_NOBODY[@]}" "$REFMOUNT_CHAOS_CLIENT" flood "$@" >"$out" 2>&1 &
  FLOOD_PID=$!
  sandbox_track_pid "$FLOOD_PID"
  _flood_sent ()
  {
    grep -q '^sent ' "$1" && return 0
    # Exited meanwhile: then the line is there, or it failed.
    sandbox_pid_alive "$FLOOD_PID" || grep -q '^sent ' "$1" || fail "the flood client failed: $(cat "$1")"
    return 1
  }
  sandbox_wait_until 300 "the flood ($*) to reach the daemon" _flood_sent "$out"
}

# flood_wait OUTFILE: wait for the flood client to collect its replies.
flood_wait ()
{
  sandbox_wait_until 200 "the flood client to finish" eval '! sandbox_pid_alive "$FLOOD_PID"'
  sandbox_stop_pid "$FLOOD_PID"
  printf '%s: flood outcome: %s\n' "$SANDBOX_CASE" "$(grep '^reply ' "$1" | tr '\n' ' ')"
}

# flood_replies OUTFILE NAME: how many replies of the flood were NAME
# ("ok", or an error's short name such as LimitExceeded).
flood_replies ()
{
  local name=$2
  [[ $name == ok ]] || name=$RM_ERROR_PREFIX$name
  awk -v n="$name" '$1 == "reply" && $2 == n { c += $3 } END { print c + 0 }' "$1"
}
