#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test: the README's commands from a checkout that uid nobody
# cannot enter.  A newcomer clones into /root (mode 0700); every client
# that the demo, the tests or the benchmark run as nobody must then come
# from the sandbox's own copy (sandbox.sh, _sandbox_stage_clients), never
# from the build tree.  Before that copy existed, refmountctl and
# refmount-bench failed there with "Permission denied" (exit 126).
#
# Here the source and build trees are bind-mounted beneath a 0700
# directory in a private mount namespace (nothing on the host changes),
# and the clients' variables point into it, so nothing reachable by
# nobody is left to fall back on.  Then, from there: the narrated demo
# (tools/refmount-sandbox, which runs refmountctl and its monitor as
# nobody), the refmountctl and release-on-exit integration tests, and a
# check that each staged client actually runs as nobody.
set -euo pipefail

build=$(cd "${1:?usage: test-private-tree.sh BUILDDIR SRCDIR}" && pwd)
src=$(cd "${2:?usage: test-private-tree.sh BUILDDIR SRCDIR}" && pwd)

fail ()
{
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}

[[ $EUID -eq 0 ]] || {
  echo "SKIP: needs root (mount namespaces)" >&2
  exit 77
}

if [[ -z ${PRIVATE_TREE_NS:-} ]]; then
  unshare -m --propagation private true 2>/dev/null || {
    echo "SKIP: cannot create a mount namespace here (unshare -m failed)" >&2
    exit 77
  }
  export PRIVATE_TREE_NS=1
  exec unshare -m --propagation private -- "$BASH" "$0" "$@"
fi

home=$(mktemp -d /run/refmount-private.XXXXXX)
cleanup ()
{
  umount -R -l "$home" 2>/dev/null || true
  rmdir "$home" 2>/dev/null || true
}
trap cleanup EXIT
mount -t tmpfs -o mode=0755,size=1m refmount-private "$home"
mkdir -m 0700 "$home/root"
mkdir "$home/root/project" "$home/root/build"
mount --bind "$src" "$home/root/project"
mount --bind "$build" "$home/root/build"
P=$home/root/project B=$home/root/build

# As sandbox.sh runs clients (through env: setpriv itself may exec a path
# its new uid could not open, env cannot).
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups -- env)
# The premise: nobody cannot run anything from the private tree.
if "${nobody[@]}" "$B/tools/refmountctl" --version >/dev/null 2>&1; then
  fail "uid nobody can run $B/tools/refmountctl: the tree is not private, the test proves nothing"
fi

export REFMOUNT_BUILD_DIR=$B REFMOUNT_SOURCE_DIR=$P
export REFMOUNTD=$B/helper/refmountd
export REFMOUNTCTL=$B/tools/refmountctl
export REFMOUNT_TEST_CLIENT=$B/tests/integration/refmount-test-client
export REFMOUNT_CHAOS_CLIENT=$B/tests/integration/refmount-chaos-client
export REFMOUNT_BENCH=$B/bench/refmount-bench
unset CTL

log=$home/root/demo.log
echo "### the demo: tools/refmount-sandbox from $P" >&2
if ! BUILD_DIR=$B "$P/tools/refmount-sandbox" --skip-deps --no-build >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  fail "tools/refmount-sandbox failed from a 0700 checkout"
fi
if grep -n -E 'Permission denied|not authorized to execute' "$log" >&2; then
  fail "the demo printed a permission error"
fi
grep -q 'nobody may release it' "$log" || fail "the demo did not reach its nobody steps"

echo "### every staged client runs as nobody" >&2
cat >"$home/root/check-staged.sh" <<'EOF'
set -euo pipefail
source "$REFMOUNT_SOURCE_DIR/tests/integration/sandbox.sh"
sandbox_init
for var in "${SANDBOX_CLIENT_VARS[@]}"; do
  path=${!var:-}
  [[ -n $path ]] || fail "$var: client not built"
  [[ $path == "$SANDBOX_BIN"/* ]] || fail "$var=$path is not the staged copy"
  # 126/127: the kernel refused to execute it (or it is not there).
  rc=0
  as_nobody "$path" --help >/dev/null 2>&1 </dev/null || rc=$?
  ((rc != 126 && rc != 127)) || fail "$var: uid nobody cannot run $path (exit $rc)"
done
[[ $(as_nobody "$REFMOUNTCTL" --version) == "refmountctl "* ]] ||
  fail "the staged refmountctl does not run as nobody"
EOF
SANDBOX_QUIET=1 bash "$home/root/check-staged.sh" || fail "staged clients"

for t in refmountctl release-on-exit; do
  echo "### integration-$t from $P" >&2
  bash "$P/tests/integration/test-$t.sh" "$B" "$P" ||
    fail "integration-$t failed from a 0700 checkout"
done
echo "ok: demo, staged clients, refmountctl and release-on-exit work from a 0700 checkout" >&2
