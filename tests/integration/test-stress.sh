#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test: load.  32 clients (refmount-chaos-client) attach and
# detach over 16 mountpoints.  Every STRESS_CHECK_SEC the clients are
# paused and the invariants checked: one mount per mountpoint, mounted ⇔
# attachments, every acknowledged attachment present, every acknowledged
# detach gone.  At the end nothing is left.  The daemon's fd count and RSS
# are sampled idle after a warm-up run of the same size and idle after
# the main run: the fd
# count must be equal, RSS may grow by less than 10 % or 1 MiB.  Figures
# are printed.
#
# STRESS_CLIENTS (32), STRESS_MOUNTPOINTS (16), STRESS_OPS per client (1000).
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
export SANDBOX_MAX_ATTACH=8192
CLIENT=${REFMOUNT_CHAOS_CLIENT:?REFMOUNT_CHAOS_CLIENT must name the refmount-chaos-client binary}
[[ $CLIENT == /* ]] || CLIENT=$PWD/$CLIENT
sandbox_init "$@"
sandbox_start_daemon

NCLIENTS=${STRESS_CLIENTS:-32}
NMP=${STRESS_MOUNTPOINTS:-16}
OPS=${STRESS_OPS:-1000}
CHECK_SEC=${STRESS_CHECK_SEC:-2}
CLIENT_PIDS=()

# Clients that have finished are skipped: their numbers may be other
# processes' by now.
signal_clients ()
{
  local pid
  for pid in "${CLIENT_PIDS[@]}"; do
    sandbox_signal_pid "$1" "$pid" || true
  done
}
trap 'status=$?; set +e; signal_clients CONT; (exit "$status"); _sandbox_cleanup' EXIT

# _settled: refmountd has finished the work the clients left (deferred
# retries, published records): its fd count, thread count and RSS are the
# same in two readings 0.2 s apart.
_settled ()
{
  local a b
  a="$(fd_count) $(rss_kib) $(_threads)"
  sleep 0.2
  b="$(fd_count) $(rss_kib) $(_threads)"
  [[ $a == "$b" ]]
}

_threads ()
{
  awk '/^Threads:/ { print $2 }' "/proc/$SANDBOX_DAEMON_PID/status"
}

check ()
{
  "$CLIENT" check "$LOGDIR" "$SANDBOX_ROOT" "$@" >"$SANDBOX_DIR/check.out" 2>&1
}

fd_count ()
{
  local fds=("/proc/$SANDBOX_DAEMON_PID/fd"/*)
  printf '%s\n' "${#fds[@]}"
}

rss_kib ()
{
  awk '$1 == "VmRSS:" { print $2 }' "/proc/$SANDBOX_DAEMON_PID/status"
}

# run_clients NAME OPS CHECKS: run NCLIENTS clients of OPS operations each,
# pausing them to check the invariants every CHECK_SEC until they finish.
run_clients ()
{
  local name=$1 ops=$2 i pid alive
  LOGDIR=$SANDBOX_DIR/$name
  mkdir "$LOGDIR"
  CLIENT_PIDS=()
  CHECKS=0
  START=$SECONDS
  for ((i = 0; i < NCLIENTS; i++)); do
    "$CLIENT" run "$i" "$LOGDIR/c$i.log" "$SANDBOX_DIR/never" "$ops" "$SANDBOX_ROOT" "$NMP" \
      >"$LOGDIR/client-$i.out" 2>&1 &
    CLIENT_PIDS+=("$!")
    sandbox_track_pid "$!"
  done
  while :; do
    alive=0
    for pid in "${CLIENT_PIDS[@]}"; do
      ! sandbox_pid_alive "$pid" || alive=$((alive + 1))
    done
    ((alive > 0)) || break
    ((SECONDS - START < 600)) || fail "$name: clients still running after 600 s"
    sleep "$CHECK_SEC"
    signal_clients STOP
    check || fail "$name: invariants: $(cat "$SANDBOX_DIR/check.out")"
    CHECKS=$((CHECKS + 1))
    if ((CHECKS == 1)); then
      MID_FDS=$(fd_count) MID_RSS=$(rss_kib)
      FIRST_CHECK=$(cat "$SANDBOX_DIR/check.out")
    fi
    signal_clients CONT
  done
  ELAPSED=$((SECONDS - START))
  TOTAL=0
  for i in "${!CLIENT_PIDS[@]}"; do
    pid=${CLIENT_PIDS[i]}
    sandbox_stop_pid "$pid"
    assert_eq "$SANDBOX_LAST_STATUS" 0 "$name: client $i exit status ($(cat "$LOGDIR/client-$i.out"))"
    read -r _ _ a _ d _ <"$LOGDIR/client-$i.out"
    TOTAL=$((TOTAL + a + d))
  done
  check strict || fail "$name: after the run: $(cat "$SANDBOX_DIR/check.out")"
  assert_contains "$(cat "$SANDBOX_DIR/check.out")" "check: 0 objects, 0 kernel mounts" "$name: nothing left"
}

# ---------------------------------------------------------------------------
# As large as the run itself: the runner threads, the vanished check's
# threads and malloc's arenas reach their high-water marks in the
# warm-up, so what the run adds is what it kept.  A quarter-size warm-up
# left them to grow in the run (1.1-1.3 MiB in some runs, on the old
# daemon too); a leak of 32 bytes per call is still 1 MiB over 32,000.
tc "warm-up: $NCLIENTS clients x $OPS operations"
run_clients warmup "$OPS"
sandbox_wait_until 30 "refmountd to settle after the warm-up" _settled
FDS0=$(fd_count) RSS0=$(rss_kib)
sandbox_log "idle after warm-up: $FDS0 fds, $RSS0 KiB RSS"

tc "stress: $NCLIENTS clients x $OPS operations over $NMP mountpoints"
MID_FDS=- MID_RSS=-
run_clients stress "$OPS"
sandbox_wait_until 30 "refmountd to settle after the run" _settled
FDS1=$(fd_count) RSS1=$(rss_kib)
printf 'stress: %d clients, %d mountpoints, %d acknowledged operations in %d s, %d invariant checks\n' \
  "$NCLIENTS" "$NMP" "$TOTAL" "$ELAPSED" "$CHECKS"
printf 'stress: first check under load: %s\n' "${FIRST_CHECK:-none}"
printf 'stress: daemon fds %s idle after warm-up, %s under load, %s idle after the run\n' "$FDS0" "$MID_FDS" "$FDS1"
printf 'stress: daemon VmRSS %s KiB idle after warm-up, %s KiB under load, %s KiB idle after the run\n' \
  "$RSS0" "$MID_RSS" "$RSS1"

tc "fd count and RSS are flat"
assert_eq "$FDS1" "$FDS0" "daemon fd count after the run (before: $FDS0)"
growth=$((RSS1 - RSS0))
((growth < 1024 || growth * 10 < RSS0)) ||
  fail "daemon RSS grew from $RSS0 KiB to $RSS1 KiB (limit: < 10 % or < 1 MiB)"
sandbox_daemon_alive || fail "refmountd died"
printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN"
