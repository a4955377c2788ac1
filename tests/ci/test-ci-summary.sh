#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# .ci/summary.py, the CI gate: per-suite lines and the closing line; a
# failure, no test at all, and (with --strict-skips) an unlisted skip
# fail it; an allow-listed skip does not.
#
# usage: test-ci-summary.sh SRCDIR
set -euo pipefail

summary=${1:?usage: test-ci-summary.sh SRCDIR}/.ci/summary.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0

fail ()
{
  printf 'not ok - %s\n' "$*"
  exit 1
}

# log FILE NAME:RESULT...: a testlog.json with those tests.
log ()
{
  local f=$1 t
  shift
  : >"$f"
  for t in "$@"; do
    printf '{"name": "refmount:%s", "result": "%s", "returncode": 0}\n' "${t%%=*}" "${t#*=}" >>"$f"
  done
}

# expect RC OUTPUT-LINE... -- ARGS...: run summary.py, check exit status
# and that every OUTPUT-LINE is a line of its output.
expect ()
{
  local rc=$1 want=() line out st=0
  shift
  while [[ $1 != -- ]]; do
    want+=("$1")
    shift
  done
  shift
  out=$(python3 "$summary" "$@" 2>&1) || st=$?
  n=$((n + 1))
  [[ $st == "$rc" ]] || fail "summary.py $* exited $st, expected $rc: $out"
  for line in "${want[@]}"; do
    grep -qxF -- "$line" <<<"$out" || fail "summary.py $*: no line '$line' in: $out"
  done
  printf 'ok %d - summary.py %s\n' "$n" "${*##*/}"
}

printf 'integration-sshfs  no FUSE on the test machines (reason)\n' >"$tmp/allow"
printf '# nothing allowed\n' >"$tmp/none"
log "$tmp/a.json" "unit / test-a=OK" "unit / test-b=OK" "integration / integration-x=OK"
log "$tmp/b.json" "integration / integration-sshfs=SKIP" "lint / lint-xml=OK"
log "$tmp/c.json" "unit / test-c=FAIL" "unit / test-d=TIMEOUT"
log "$tmp/empty.json"

expect 0 "ci: suite unit: 2 passed, 0 failed, 0 skipped" "3 passed, 0 failed" -- "$tmp/a.json"
expect 0 "ci: suite integration: 1 passed, 0 failed, 1 skipped" "4 passed, 0 failed, 1 skipped" \
  -- "$tmp/a.json" "$tmp/b.json"
expect 0 "4 passed, 0 failed, 1 skipped" -- --strict-skips "$tmp/allow" "$tmp/a.json" "$tmp/b.json"
expect 1 "ci: suite integration: 1 passed, 1 failed, 0 skipped" "4 passed, 1 failed" \
  -- --strict-skips "$tmp/none" "$tmp/a.json" "$tmp/b.json"
expect 1 "ci: suite unit: 2 passed, 2 failed, 0 skipped" "3 passed, 2 failed" -- "$tmp/a.json" "$tmp/c.json"
expect 1 "0 passed, 0 failed" -- "$tmp/empty.json"
expect 1 "0 passed, 0 failed" -- "$tmp/missing.json"
printf 'test-a\n' >"$tmp/noreason"
expect 1 -- --strict-skips "$tmp/noreason" "$tmp/a.json"
printf '1..%d\n' "$n"
