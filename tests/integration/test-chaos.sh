#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test: crash consistency under load (doc/design.md
# "Persistence").  Concurrent clients (refmount-chaos-client) attach and
# detach over a few mountpoints while refmountd is killed with SIGKILL at
# random moments and restarted. After every restart, with the clients paused:
# every attachment a client had acknowledged is present, every acknowledged
# detach stays detached, at most one mount per mountpoint, and "mounted"
# objects are mounted and attached (what a crash may leave — a mount not yet
# recorded, a record not yet dropped — is allowed only where a client has an
# uncertain call). The clients retry their uncertain calls, then release
# everything: no mount and no record may be left, also across one more
# restart.
#
# CHAOS_ROUNDS (default 20), CHAOS_CLIENTS (8), CHAOS_MOUNTPOINTS (4).
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
export SANDBOX_MAX_ATTACH=4096
CLIENT=${REFMOUNT_CHAOS_CLIENT:?REFMOUNT_CHAOS_CLIENT must name the refmount-chaos-client binary}
[[ $CLIENT == /* ]] || CLIENT=$PWD/$CLIENT
sandbox_init "$@"
sandbox_start_daemon

ROUNDS=${CHAOS_ROUNDS:-20}
NCLIENTS=${CHAOS_CLIENTS:-8}
NMP=${CHAOS_MOUNTPOINTS:-4}
LOGDIR=$SANDBOX_DIR/chaos
STOP=$SANDBOX_DIR/chaos.stop
mkdir "$LOGDIR"
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

check ()
{
  "$CLIENT" check "$LOGDIR" "$SANDBOX_ROOT" "$@" >"$SANDBOX_DIR/check.out" 2>&1
}

# ---------------------------------------------------------------------------
tc "start $NCLIENTS clients over $NMP mountpoints"
for ((i = 0; i < NCLIENTS; i++)); do
  "$CLIENT" run "$i" "$LOGDIR/c$i.log" "$STOP" 0 "$SANDBOX_ROOT" "$NMP" \
    >"$SANDBOX_DIR/client-$i.out" 2>&1 &
  CLIENT_PIDS+=("$!")
  sandbox_track_pid "$!"
done
# Stopped clients would ignore the cleanup's SIGTERM; keep the exit status.
trap 'status=$?; set +e; signal_clients CONT; (exit "$status"); _sandbox_cleanup' EXIT

tc "$ROUNDS rounds of kill -9 at random moments"
for ((round = 1; round <= ROUNDS; round++)); do
  sleep "0.$((RANDOM % 6 + 1))$((RANDOM % 10))"
  sandbox_kill9_daemon
  signal_clients STOP
  sandbox_start_daemon
  check || fail "round $round: $(cat "$SANDBOX_DIR/check.out")"
  sandbox_log "round $round: $(cat "$SANDBOX_DIR/check.out")"
  last_check=$(cat "$SANDBOX_DIR/check.out")
  signal_clients CONT
  for pid in "${CLIENT_PIDS[@]}"; do
    sandbox_pid_alive "$pid" || fail "round $round: a client exited: $(cat "$SANDBOX_DIR"/client-*.out)"
  done
done

tc "clients retry, release everything and exit"
touch "$STOP"
for i in "${!CLIENT_PIDS[@]}"; do
  pid=${CLIENT_PIDS[i]}
  sandbox_wait_until 60 "client $i to finish" eval '! sandbox_pid_alive "$pid"'
  sandbox_stop_pid "$pid"
  assert_eq "$SANDBOX_LAST_STATUS" 0 "client $i exit status ($(cat "$SANDBOX_DIR/client-$i.out"))"
done
sandbox_wait_until 30 "no mount and no record left" check strict
assert_eq "$(mounts_beneath "$SANDBOX_ROOT")" "" "mounts left beneath the root"

tc "nothing comes back after one more restart"
sandbox_kill9_daemon
sandbox_start_daemon
check strict || fail "after the last restart: $(cat "$SANDBOX_DIR/check.out")"
assert_contains "$(cat "$SANDBOX_DIR/check.out")" "check: 0 objects, 0 kernel mounts" "final state"

ops=0 retries=0
for ((i = 0; i < NCLIENTS; i++)); do
  read -r _ _ a _ d _ r _ <"$SANDBOX_DIR/client-$i.out"
  ops=$((ops + a + d))
  retries=$((retries + r))
done
printf 'chaos: %d kill -9 rounds, %d clients, %d mountpoints, %d acknowledged operations, %d retried calls\n' \
  "$ROUNDS" "$NCLIENTS" "$NMP" "$ops" "$retries"
printf 'chaos: last mid-run check: %s\n' "${last_check:-none}"
printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN"
