#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test of the sandbox's own checks, so that they can fail:
#
#   * a GLib critical (any domain) or a GLib warning in refmountd's log
#     fails a test whose calls all succeeded; refmountd's own operational
#     warnings (domain "refmount") and allow-listed lines do not;
#   * refmountd runs with G_DEBUG=fatal-criticals;
#   * a NotAuthorized from a dead polkitd is not taken for a denial;
#   * polkitd dying during a test (not stopped by it) fails the test, and
#     with SANDBOX_TRACE_SIGNALS=1 (default under CI=true) the report names
#     the process that sent the signal; the ftrace instance is removed;
#   * a pid is signalled only while it names the process that was started:
#     a child that has exited, been reaped, and whose number the kernel
#     has given to another process (a child of ours, a thread of polkitd)
#     is left alone (issue 16 item 2);
#   * each sandbox has a PID namespace of its own: it sees no other
#     test's polkitd, and nothing it started outlives it.
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
sandbox_init "$@"

# nested LOG-LINE [ALLOW-RE]: a sandbox (inside this one's namespace) whose
# daemon log gets LOG-LINE, then exits 0; prints its exit status.
nested ()
{
  NESTED_LINE=$1 SANDBOX_GLIB_LOG_ALLOW=${2:-} nested_run 'printf "%s\n" "$NESTED_LINE" >>"$SANDBOX_DAEMON_LOG"'
}

# nested_run BODY: a sandbox (inside this one's namespace) that runs the
# shell code BODY, then exits 0; prints its exit status (its output is in
# $SANDBOX_DIR/nested.out).
nested_run ()
{
  local script=$SANDBOX_DIR/nested.sh rc=0
  {
    printf '%s\n' 'set -euo pipefail' 'source "$REFMOUNT_SOURCE_DIR/tests/integration/sandbox.sh"' sandbox_init
    printf '%s\n' "$1" 'exit 0'
  } >"$script"
  REFMOUNT_SANDBOX_NS='' SANDBOX_QUIET=1 \
    REFMOUNT_SOURCE_DIR=$SANDBOX_SOURCE_DIR REFMOUNT_BUILD_DIR=$SANDBOX_BUILD_DIR \
    bash "$script" >"$SANDBOX_DIR/nested.out" 2>&1 || rc=$?
  echo "$rc"
}

tc "a GLib critical in the daemon's log fails the test"
assert_eq "$(nested '(refmountd:42): GLib-GIO-CRITICAL **: 12:00:00.000: g_dbus_connection_emit_signal: assertion failed')" 1
assert_contains "$(cat "$SANDBOX_DIR/nested.out")" "FAIL: refmountd logged GLib criticals or warnings"

tc "a GLib warning fails it too"
assert_eq "$(nested '(refmountd:42): GLib-GObject-WARNING **: 12:00:00.000: invalid cast')" 1

tc "refmountd's own warnings and allow-listed lines do not"
assert_eq "$(nested '(refmountd:42): refmount-WARNING **: 12:00:00.000: Rollback: could not unmount')" 0
assert_eq "$(nested '(refmountd:42): GLib-GIO-WARNING **: 12:00:00.000: expected noise' 'expected noise')" 0

tc "refmountd runs with G_DEBUG=fatal-criticals"
sandbox_start_daemon
tr '\0' '\n' <"/proc/$SANDBOX_DAEMON_PID/environ" | grep -qx 'G_DEBUG=fatal-criticals' ||
  fail "refmountd's environment has no G_DEBUG=fatal-criticals"

tc "a NotAuthorized from a dead polkitd is not a denial"
rm_mount -u nobody tmpfs src "$SANDBOX_ROOT/a" a size=1m
assert_error NotAuthorized
kill -KILL "$SANDBOX_POLKITD_PID"
sandbox_wait_until 10 "polkitd to die" eval '! sandbox_pid_alive "$SANDBOX_POLKITD_PID"'
rm_mount -u nobody tmpfs src "$SANDBOX_ROOT/a" a size=1m
# In a subshell: the check must fail there (and only there).
if (assert_error NotAuthorized) 2>"$SANDBOX_DIR/denial.err"; then
  fail "assert_error NotAuthorized accepted an answer while polkitd was dead: $RM_OUT"
fi
assert_contains "$(cat "$SANDBOX_DIR/denial.err")" "polkitd (pid $SANDBOX_POLKITD_PID) is gone"
sandbox_stop_pid "$SANDBOX_POLKITD_PID"
SANDBOX_POLKITD_PID=

tc "polkitd dying during a test fails it, with how it died"
# shellcheck disable=SC2016 # expanded by the nested sandbox
assert_eq "$(nested_run 'kill -SEGV "$SANDBOX_POLKITD_PID"
sandbox_wait_until 10 "polkitd to die" eval "! sandbox_pid_alive $SANDBOX_POLKITD_PID"')" 1
assert_contains "$(cat "$SANDBOX_DIR/nested.out")" "died during the test, exit status 139 (signal SEGV)"

tc "polkitd killed during a test: the report names the sender (ftrace)"
# The nested sandbox records signals (as under CI=true); a process named
# refmount-killer sends polkitd SIGTERM by pid.  Its instance must be gone
# afterwards: ftrace instances are global kernel state.
# shellcheck disable=SC2016 # expanded by the nested sandbox
rc=$(SANDBOX_TRACE_SIGNALS=1 OUTER_DIR=$SANDBOX_DIR nested_run 'echo "${SANDBOX_TRACE_INSTANCE##*/}" >"$OUTER_DIR/instance"
[[ -z $SANDBOX_TRACE_INSTANCE ]] || echo "${SANDBOX_TRACE_GLOBAL[$SANDBOX_POLKITD_PID]:-}" >"$OUTER_DIR/polkitd-global"
(printf refmount-killer >"/proc/$BASHPID/comm" && kill -TERM "$SANDBOX_POLKITD_PID")
sandbox_wait_until 10 "polkitd to die" eval "! sandbox_pid_alive $SANDBOX_POLKITD_PID"')
out=$(cat "$SANDBOX_DIR/nested.out")
assert_eq "$rc" 1 "exit status of the sandbox whose polkitd was killed: $out"
assert_contains "$out" "died during the test, exit status 143 (signal TERM)"
instance=$(cat "$SANDBOX_DIR/instance")
if [[ -z $instance ]]; then
  # tracefs cannot be mounted here (no kernel support, or not allowed):
  # the sandbox runs without the record, by design.
  printf 'sandbox-checks: no ftrace here, the sender is not recorded: case not applicable
' >&2
else
  pk_global=$(cat "$SANDBOX_DIR/polkitd-global")
  [[ -n $pk_global ]] || fail "the sandbox did not find polkitd's global pid"
  grep -A1 -E "^ *refmount-killer-[0-9]+ .* signal_generate: sig=15 .* comm=polkitd pid=$pk_global grp=1 " \
    <<<"$out" | grep -q "target: THIS test's polkitd" ||
    fail "the report does not name refmount-killer as the sender of polkitd's SIGTERM: $out"
  tracefs=$SANDBOX_TRACE_MNT
  if [[ -z $tracefs ]]; then
    tracefs=$SANDBOX_DIR/tracefs-check
    mkdir "$tracefs"
    mount -t tracefs nodev "$tracefs"
  fi
  left=$(ls "$tracefs/instances")
  [[ -n $SANDBOX_TRACE_MNT ]] || umount "$tracefs"
  assert_not_contains "$left" "$instance" "ftrace instances after the sandbox exited"
fi

tc "no ftrace instance unless asked for"
# shellcheck disable=SC2016 # expanded by the nested sandbox
assert_eq "$(SANDBOX_TRACE_SIGNALS=0 CI=true OUTER_DIR=$SANDBOX_DIR nested_run 'echo "x$SANDBOX_TRACE_INSTANCE$SANDBOX_TRACE_MNT" >"$OUTER_DIR/instance"')" 0
assert_eq "$(cat "$SANDBOX_DIR/instance")" x "SANDBOX_TRACE_SIGNALS=0 under CI=true"
# shellcheck disable=SC2016 # expanded by the nested sandbox
assert_eq "$(CI='' SANDBOX_TRACE_SIGNALS='' OUTER_DIR=$SANDBOX_DIR nested_run 'echo "x$SANDBOX_TRACE_INSTANCE$SANDBOX_TRACE_MNT" >"$OUTER_DIR/instance"')" 0
assert_eq "$(cat "$SANDBOX_DIR/instance")" x "neither CI=true nor SANDBOX_TRACE_SIGNALS=1"

tc "a test that stops polkitd on purpose is not failed for it"
assert_eq "$(nested_run sandbox_stop_polkitd)" 0

tc "a reaped child's pid, given to another process, is never signalled"
# The kernel hands out a freed pid again once the numbers wrap; here the
# wrap is forced: ns_last_pid (this sandbox's own PID namespace) makes the
# next fork take the old number.  The start times (in 10 ms ticks) of the
# two processes must differ, as they do across a real wrap.
sleep 0.2 &
GONE=$!
sandbox_track_pid "$GONE"
sandbox_wait_until 10 "the child to be reaped" eval '[[ ! -e /proc/$GONE ]]'
sleep 0.05
VICTIM=
for _ in $(seq 50); do
  echo $((GONE - 1)) >/proc/sys/kernel/ns_last_pid
  sleep 30 &
  if [[ $! == "$GONE" ]]; then
    VICTIM=$!
    break
  fi
  kill -KILL $! && wait $! 2>/dev/null || true
done
[[ -n $VICTIM ]] || fail "could not make a process take pid $GONE again"
# Bounded: "wait" on the number would wait for the new process, ours too.
timeout_at=$((SECONDS + 10))
sandbox_stop_pid "$GONE" TERM 1
((SECONDS < timeout_at)) || fail "sandbox_stop_pid waited for the process that has the number now"
stat=$(cat "/proc/$VICTIM/stat" 2>/dev/null) || stat=
stat=${stat##*) }
[[ -n $stat && ${stat:0:1} != Z ]] ||
  fail "sandbox_stop_pid signalled pid $GONE after its process had been reaped: it killed the process that has the number now"
kill -KILL "$VICTIM"
wait "$VICTIM" 2>/dev/null || true

tc "a reaped child's pid, taken by a thread of polkitd, is never signalled"
# What killed polkitd in CI (exit status 143, issue 16 item 2): polkitd
# takes a new thread id for every rules evaluation, and kill(2) on a
# thread id ends the whole process.  Here a start-up thread of a fresh
# polkitd is made to take the number: the process gets GONE - 1.
sleep 0.2 &
GONE=$!
sandbox_track_pid "$GONE"
sandbox_wait_until 10 "the child to be reaped" eval '[[ ! -e /proc/$GONE ]]'
sleep 0.05
sandbox_stop_polkitd
mkfifo "$SANDBOX_DIR/never"
TAKEN=
for try in $(seq 10); do
  # No fork of ours between these lines: "read -t" on a FIFO nobody
  # writes is bash's own sleep.
  echo $((GONE - 2)) >/proc/sys/kernel/ns_last_pid
  "$SANDBOX_BIN/polkitd" >>"$SANDBOX_DIR/polkitd.log" 2>&1 &
  SANDBOX_POLKITD_PID=$!
  sandbox_track_pid "$SANDBOX_POLKITD_PID"
  read -r -t 1 _ <>"$SANDBOX_DIR/never" || true
  if [[ -e /proc/$SANDBOX_POLKITD_PID/task/$GONE ]]; then
    TAKEN=1
    break
  fi
  sandbox_stop_polkitd
done
[[ -n $TAKEN ]] || fail "could not make a thread of polkitd take pid $GONE"
sandbox_wait_until 15 "polkitd to own $POLKIT_BUS" sandbox_name_has_owner "$POLKIT_BUS"
sandbox_sync_rules
printf 'sandbox-checks: thread %s of polkitd %s (start %s)\n' "$GONE" "$SANDBOX_POLKITD_PID" "$try" >&2
[[ -e /proc/$SANDBOX_POLKITD_PID/task/$GONE ]] || fail "thread $GONE of polkitd has exited: nothing to test"
sandbox_stop_pid "$GONE" TERM 1
sandbox_pid_alive "$SANDBOX_POLKITD_PID" ||
  fail "sandbox_stop_pid signalled pid $GONE, a thread of polkitd (pid $SANDBOX_POLKITD_PID) by now, and polkitd died"
rm_mount -u nobody tmpfs src "$SANDBOX_ROOT/b" b size=1m
assert_error NotAuthorized

tc "a sandbox sees only its own polkitd and processes"
# shellcheck disable=SC2016 # expanded by the nested sandbox
assert_eq "$(OUTER_DIR=$SANDBOX_DIR nested_run 'pgrep -x polkitd >"$OUTER_DIR/polkitds"
readlink /proc/self/ns/pid >"$OUTER_DIR/pidns"
echo "$SANDBOX_POLKITD_PID" >"$OUTER_DIR/own-polkitd"')" 0
assert_eq "$(cat "$SANDBOX_DIR/polkitds")" "$(cat "$SANDBOX_DIR/own-polkitd")" \
  "the polkitd processes a nested sandbox sees (its own is $(cat "$SANDBOX_DIR/own-polkitd"))"
assert_ne "$(cat "$SANDBOX_DIR/pidns")" "$(readlink /proc/self/ns/pid)" "the nested sandbox's PID namespace"

tc "a package's postinst stopping polkitd by its executable misses the sandbox's"
# Debian's polkitd postinst runs "start-stop-daemon --stop --exec
# $POLKITD" on a machine without systemd: an apt-get anywhere on the
# machine (a chroot sharing the PID namespace) ended tests' polkitd in
# CI, twice.  --test only says what it would signal; this PID
# namespace's /proc shows it only this test's processes.
sandbox_pid_alive "$SANDBOX_POLKITD_PID" || fail "polkitd should be running"
if out=$(start-stop-daemon --stop --test --exec "$POLKITD" 2>&1); then
  fail "start-stop-daemon --stop --exec $POLKITD would stop the sandbox's polkitd (pid $SANDBOX_POLKITD_PID): $out"
fi
assert_ne "$(readlink "/proc/$SANDBOX_POLKITD_PID/exe")" "$POLKITD" "the sandbox's polkitd executable"

tc "nothing a sandbox started outlives it"
# A daemon of its own session that no trap knows, as a FUSE server is.
assert_eq "$(nested_run 'setsid sleep 100017 </dev/null >/dev/null 2>&1 &')" 0
left=$(pgrep -f -x 'sleep 100017' || true)
if [[ -n $left ]]; then
  kill -KILL $left
  fail "process $left, started in a sandbox that has exited, is still running"
fi

printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN"
