#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test-refmountd-args.sh REFMOUNTD VERSION: refmountd's command line, with
# no bus needed: --version, and the usage errors (an unknown option, a
# stray argument) that must exit 2 with one line on stderr before anything
# starts.  --config names a file that does not exist, so that a daemon
# which wrongly went on would stop at once (status 1) rather than create
# the default mount roots.
set -euo pipefail

refmountd=${1:?usage: test-refmountd-args.sh REFMOUNTD VERSION}
version=${2:?usage: test-refmountd-args.sh REFMOUNTD VERSION}
missing=/nonexistent/refmount-test/refmount.conf

fail ()
{
  echo "FAIL: $*" >&2
  exit 1
}

# expect STATUS STDERR ARG...: exit status and the whole of stderr.
expect ()
{
  local status=$1 want=$2 rc=0 err
  shift 2
  err=$("$refmountd" "$@" 2>&1 >/dev/null) || rc=$?
  ((rc == status)) || fail "refmountd $* exited $rc, not $status: $err"
  [[ $err == "$want" ]] || fail "refmountd $*: stderr '$err', expected '$want'"
}

out=$("$refmountd" --version) || fail "refmountd --version exited $?"
[[ $out == "refmountd $version" ]] || fail "refmountd --version printed '$out'"

expect 2 "refmountd: Unknown option --no-such-option" --config="$missing" --no-such-option
expect 2 "refmountd: unexpected argument 'stray'" --config="$missing" stray

echo "PASS: refmountd command line"
