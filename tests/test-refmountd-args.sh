#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test-refmountd-args.sh REFMOUNTD VERSION: refmountd's command line and
# start-up failures, with no bus needed: --version; the usage errors (an
# unknown option, a stray argument) that must exit 2 with one line on
# stderr before anything starts; and, as root (the mount roots must be
# root's), a state directory that cannot be created and a system bus that
# cannot be reached, which must exit 1 with the reason.  --config always
# names a file of the test's, so that a daemon which wrongly went on would
# never create the default mount roots.
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

if ((EUID != 0)); then
  echo "PASS: refmountd command line (start-up failures need root, not checked)"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '[Daemon]\nMountRoots=%s/root;\n' "$tmp" >"$tmp/refmount.conf"
touch "$tmp/file"

# expect_start_failure REASON ARG...: status 1, and the start-failed
# event (stderr also carries debug lines) naming REASON.
expect_start_failure ()
{
  local want=$1 rc=0 err
  shift
  err=$(DBUS_SYSTEM_BUS_ADDRESS=unix:path=$tmp/no-bus "$refmountd" --config="$tmp/refmount.conf" "$@" 2>&1) ||
    rc=$?
  ((rc == 1)) || fail "refmountd $* exited $rc, not 1: $err"
  [[ $err == *"start-failed: Cannot start: $want"* ]] || fail "refmountd $*: no start-failed event with '$want' in: $err"
}

expect_start_failure "Cannot create state directory $tmp/file/state" --state-dir="$tmp/file/state"
expect_start_failure "Could not connect" --state-dir="$tmp/state"
[[ -d $tmp/root ]] || fail "the mount root $tmp/root was not created"

echo "PASS: refmountd command line and start-up failures"
