# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Sourced by sandbox.sh: a record of who sends SIGTERM and SIGKILL while a
# test runs, printed when the sandbox's polkitd dies during the test
# (issue 16: polkitd died of SIGTERM in CI about once per few runs, and
# the sender was never caught).  doc/testing.md "Who killed polkitd".
#
# A private ftrace instance per sandbox records the kernel's
# signal/signal_generate event for signals 15 and 9, system-wide: the
# sender may be outside the test's PID namespace (the test runner, another
# test's script), which the namespace's /proc cannot show.  tracefs is
# mounted in the sandbox's own mount namespace only.  An instance is
# global kernel state: it has a name of its own and _sandbox_cleanup
# always removes it.
#
# On when root and CI=true, or with SANDBOX_TRACE_SIGNALS=1 (=0: off).
# Where tracefs cannot be mounted or the event is missing, the sandbox
# runs without it, silently: this is a diagnostic, never a failure.

SANDBOX_TRACE_MNT=
SANDBOX_TRACE_INSTANCE=
# The /proc of the PID namespace the test was started from, where the
# trace's pids (the kernel's global ones) can be looked up; empty when
# that view is not the global one.
SANDBOX_TRACE_HOST_PROC=
# The script's own global pid, and the global pid of every process
# sandbox_track_pid recorded (key: its pid in the test's namespace).
SANDBOX_TRACE_SELF=
declare -A SANDBOX_TRACE_GLOBAL=()

_sandbox_trace_wanted ()
{
  [[ $EUID -eq 0 ]] || return 1
  case ${SANDBOX_TRACE_SIGNALS:-} in
  1) return 0 ;;
  0) return 1 ;;
  esac
  [[ ${CI:-} == true ]]
}

# _sandbox_trace_host_proc GLOBAL-PID: bind the /proc that shows this
# shell as GLOBAL-PID (the view of the trace) to SANDBOX_DIR/host-proc.
# unshare --mount-proc mounted the namespace's /proc over the one the test
# was started from (over that of an outer sandbox's namespace, over the
# machine's), and those are still there beneath, in this copied, private
# mount namespace: unmount /proc until it shows GLOBAL-PID, bind that
# one, mount the namespace's /proc again.  Nothing runs in the sandbox yet.
_sandbox_trace_host_proc ()
{
  local global=$1 hp=$SANDBOX_DIR/host-proc line depth found=
  for ((depth = 0; depth < 8; depth++)); do
    { read -r line </proc/self/stat; } 2>/dev/null || break
    if [[ ${line%% *} == "$global" ]]; then
      { [[ -d $hp ]] || mkdir -m 0700 "$hp"; } && mount --bind /proc "$hp" && found=1
      break
    fi
    umount /proc 2>/dev/null || break
  done
  if ((depth > 0)); then
    mount -t proc -o nosuid,nodev,noexec proc /proc ||
      fail "cannot mount /proc again for the sandbox's PID namespace"
  fi
  [[ -n $found ]] || return 1
  SANDBOX_TRACE_HOST_PROC=$hp
  SANDBOX_TRACE_SELF=$global
}

# _sandbox_trace_start: set up the instance (called by sandbox_init once
# the sandbox directory exists, before anything is started).
_sandbox_trace_start ()
{
  _sandbox_trace_wanted || return 0
  local mnt=$SANDBOX_DIR/tracefs inst ev line fmt=
  mkdir -m 0700 "$mnt" || return 0
  if ! mount -t tracefs nodev "$mnt" 2>/dev/null; then
    rmdir "$mnt"
    return 0
  fi
  SANDBOX_TRACE_MNT=$mnt
  ev=$mnt/events/signal/signal_generate
  # The filter and the report read these fields: no tracing on a kernel
  # whose event has others.
  { read -r -d '' fmt <"$ev/format"; } 2>/dev/null || true
  if [[ ! -d $mnt/instances || $fmt != *'field:int sig;'* || $fmt != *'field:char comm[16];'* ||
    $fmt != *'field:pid_t pid;'* ]]; then
    _sandbox_trace_stop
    return 0
  fi
  # Inside the namespace $$ is 1 for every test: the sandbox directory's
  # mktemp suffix is what is unique on this machine.
  inst=$mnt/instances/refmount-${SANDBOX_DIR##*.}-$RANDOM
  if ! mkdir "$inst" 2>/dev/null; then
    _sandbox_trace_stop
    return 0
  fi
  SANDBOX_TRACE_INSTANCE=$inst
  ev=$inst/events/signal/signal_generate
  # 256 KiB per CPU (the default is 1.4 MiB): some thousand signals; the
  # trace's header says when older ones were overwritten.  record-tgid: the sender's process, not
  # only its thread.
  if ! {
    echo 256 >"$inst/buffer_size_kb" &&
      echo 1 >"$inst/options/record-tgid" &&
      echo 'sig == 15 || sig == 9' >"$ev/filter" &&
      echo 1 >"$ev/enable" &&
      echo 1 >"$inst/tracing_on"
  } 2>/dev/null; then
    _sandbox_trace_stop
    return 0
  fi
  # The global pid of this shell: a marker it writes carries it.
  local self=
  printf 'refmount-sandbox start %s\n' "$SANDBOX_DIR" >"$inst/trace_marker" 2>/dev/null
  while IFS= read -r line; do
    [[ $line == *"tracing_mark_write: refmount-sandbox start $SANDBOX_DIR" ]] || continue
    [[ $line =~ -([0-9]+)\ +\( ]] && self=${BASH_REMATCH[1]}
  done <"$inst/trace"
  [[ -z $self ]] || _sandbox_trace_host_proc "$self" || true
}

# _sandbox_trace_note_pid PID: remember PID's global pid (from
# sandbox_track_pid, right after the fork: PID is a child of this shell).
_sandbox_trace_note_pid ()
{
  local hp=$SANDBOX_TRACE_HOST_PROC inner=$1 i key nspid
  [[ -n $hp ]] || return 0
  local -a children nsids
  # The file has no newline at its end: read fails, yet fills the array.
  { read -r -a children <"$hp/thread-self/children"; } 2>/dev/null || true
  for ((i = ${#children[@]} - 1; i >= 0; i--)); do
    # NSpid: the process's pid in each namespace from the outer view
    # down to its own; a child of ours lives in ours, the last one.
    while read -r key nspid; do
      [[ $key == NSpid: ]] || continue
      read -r -a nsids <<<"$nspid"
      if [[ ${nsids[-1]} == "$inner" ]]; then
        SANDBOX_TRACE_GLOBAL[$inner]=${children[i]}
        return 0
      fi
      break
    done <"$hp/${children[i]}/status" 2>/dev/null
  done
}

# _sandbox_trace_who GLOBAL-PID: what this sandbox knows of a process.
_sandbox_trace_who ()
{
  local g=$1 inner name cmd
  [[ $g != "$SANDBOX_TRACE_SELF" ]] || {
    printf 'the test script'
    return
  }
  for inner in "${!SANDBOX_TRACE_GLOBAL[@]}"; do
    [[ ${SANDBOX_TRACE_GLOBAL[$inner]} == "$g" ]] || continue
    case $inner in
    "$SANDBOX_POLKITD_PID") name=polkitd ;;
    "$SANDBOX_DBUS_PID") name=dbus-daemon ;;
    "$SANDBOX_DAEMON_PID") name=refmountd ;;
    *) name='a process' ;;
    esac
    printf '%s this test started, pid %s in its namespace' "$name" "$inner"
    return
  done
  if [[ -n $SANDBOX_TRACE_HOST_PROC && -r $SANDBOX_TRACE_HOST_PROC/$g/cmdline ]]; then
    cmd=$(tr '\0' ' ' <"$SANDBOX_TRACE_HOST_PROC/$g/cmdline" 2>/dev/null | cut -c1-160)
    printf 'still running: %s' "$cmd"
    return
  fi
  printf 'gone (no process the sandbox recorded)'
}

# _sandbox_trace_report: print the signals aimed at polkitd (from
# _sandbox_cleanup, when polkitd died during the test); SANDBOX_SAVE_LOGS
# gets the whole trace.
_sandbox_trace_report ()
{
  local inst=$SANDBOX_TRACE_INSTANCE
  [[ -n $inst ]] || return 0
  echo 0 >"$inst/tracing_on"
  local pk=${SANDBOX_POLKITD_PID:-} pk_g line shown=0 others=0 total target
  pk_g=${SANDBOX_TRACE_GLOBAL[$pk]:-}
  cp "$inst/trace" "$SANDBOX_DIR/signal-trace.txt" 2>/dev/null
  if [[ -n ${SANDBOX_SAVE_LOGS:-} ]]; then
    mkdir -p "$SANDBOX_SAVE_LOGS" && cp "$SANDBOX_DIR/signal-trace.txt" "$SANDBOX_SAVE_LOGS/"
  fi
  total=$(grep -m1 'entries-in-buffer/entries-written' "$SANDBOX_DIR/signal-trace.txt")
  printf '
----- SIGTERM (15) and SIGKILL (9) aimed at polkitd while the test ran (ftrace signal_generate) -----
polkitd: pid %s in the test'"'"'s PID namespace, pid %s globally; the trace shows global pids.
Columns: SENDER-COMM-TID (SENDER-PID) [CPU] FLAGS TIME: sig=SIGNAL code=HOW comm=TARGET-THREAD-NAME
pid=TARGET-TID grp=1 (for the whole process) res=0 (queued).  HOW: 0 kill(2), -6 tgkill/raise
(GDBus exit-on-close raises SIGTERM in polkitd itself: sender = target), 128 the kernel.
A kill(2) aimed at any thread id of polkitd ends the whole process.  A sender "<...>": the
kernel had forgotten its name.  Shown: targets named polkitd or like its threads (gmain,
gdbus, pool-*), and any target pid %s.  Trace %s (more written than in the
buffer: the oldest were overwritten).
' "$pk" "${pk_g:-unknown}" "${pk_g:-(unknown)}" "${total#\# }" >&2
  while IFS= read -r line; do
    [[ $line == *signal_generate:* ]] || continue
    [[ $line =~ ^\ *(.*)-([0-9]+)\ +\(\ *([0-9-]+)\).*\ comm=(.*)\ pid=([0-9]+)\ grp= ]] || continue
    local s_tgid=${BASH_REMATCH[3]} t_comm=${BASH_REMATCH[4]} t_pid=${BASH_REMATCH[5]}
    if [[ $t_pid == "$pk_g" ]]; then
      target="THIS test's polkitd"
    elif [[ $t_comm == polkitd || $t_comm == gmain || $t_comm == gdbus || $t_comm == pool-* ]]; then
      target=$(_sandbox_trace_who "$t_pid")
    else
      target=
    fi
    if [[ -n $target ]]; then
      printf '%s\n    sender: %s; target: %s\n' "$line" "$(_sandbox_trace_who "$s_tgid")" "$target" >&2
      shown=$((shown + 1))
    else
      others=$((others + 1))
    fi
  done <"$SANDBOX_DIR/signal-trace.txt"
  printf '(%d shown, %d signals to other targets not shown%s)\n' "$shown" "$others" \
    "${SANDBOX_SAVE_LOGS:+; whole trace in $SANDBOX_SAVE_LOGS/signal-trace.txt}" >&2
}

# _sandbox_trace_stop: remove the instance and unmount tracefs (always,
# from _sandbox_cleanup: an instance outlives the mount namespace).
_sandbox_trace_stop ()
{
  local i
  if [[ -n $SANDBOX_TRACE_INSTANCE ]]; then
    echo 0 >"$SANDBOX_TRACE_INSTANCE/tracing_on" 2>/dev/null
    # rmdir fails (EBUSY) while a reader has the trace open: a cp or grep
    # of ours that was killed a moment ago.
    for ((i = 0; i < 50; i++)); do
      rmdir "$SANDBOX_TRACE_INSTANCE" 2>/dev/null && break
      sleep 0.1
    done
    [[ ! -d $SANDBOX_TRACE_INSTANCE ]] ||
      printf 'sandbox: could not remove the ftrace instance %s\n' "${SANDBOX_TRACE_INSTANCE##*/}" >&2
    SANDBOX_TRACE_INSTANCE=
  fi
  if [[ -n $SANDBOX_TRACE_MNT ]]; then
    umount "$SANDBOX_TRACE_MNT" 2>/dev/null || umount -l "$SANDBOX_TRACE_MNT"
    rmdir "$SANDBOX_TRACE_MNT" 2>/dev/null
    SANDBOX_TRACE_MNT=
  fi
  if [[ -n $SANDBOX_TRACE_HOST_PROC ]]; then
    umount -l "$SANDBOX_TRACE_HOST_PROC" 2>/dev/null
    SANDBOX_TRACE_HOST_PROC=
  fi
}
