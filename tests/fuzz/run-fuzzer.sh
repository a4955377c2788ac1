#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run-fuzzer.sh TARGET SEED_CORPUS ARTIFACT_DIR
#
# Run a libFuzzer TARGET for FUZZ_SECONDS (default 60) on a scratch copy
# of SEED_CORPUS (the checked-in corpus is never modified).  A crash, leak
# or sanitizer report fails the run; libFuzzer writes the reproducer into
# ARTIFACT_DIR, which is kept.  Prints the executions and the time.
set -euo pipefail

target=${1:?target}
seeds=${2:?seed corpus}
artifacts=${3:?artifact dir}
seconds=${FUZZ_SECONDS:-60}
name=$(basename "$target")

[[ -d $seeds ]] || {
  echo "$name: no seed corpus at $seeds" >&2
  exit 1
}
mkdir -p "$artifacts"
work=$(mktemp -d "${TMPDIR:-/tmp}/refmount-$name.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -a "$seeds/." "$work/"

export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

log=$work.log
trap 'rm -rf "$work" "$log"' EXIT
status=0
"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
  -print_final_stats=1 -artifact_prefix="$artifacts/" "$work" >"$log" 2>&1 || status=$?

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
if ((status != 0)); then
  tail -n 60 "$log" >&2
  echo "$name: FAILED (exit $status) after ${runs:-?} executions; reproducer(s) in $artifacts:" >&2
  ls -l "$artifacts" >&2
  exit 1
fi
echo "$name: ${runs:-?} executions in ${seconds}s, corpus $(find "$seeds" -type f | wc -l) seeds -> $(find "$work" -type f | wc -l) inputs, no crash"
