#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test: the examples of librefmount-1 (examples/), Python
# (python3-gi) and GJS, against the real refmountd and polkitd, as uid
# nobody with a polkit rule that lets nobody mount tmpfs.  Each mounts
# (release-on-exit), sees its attachment arrive, lists the mounts,
# unmounts and waits for the mount to go away; the kernel's table must
# agree.  They load the staged typelib and library (sandbox.sh).
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
sandbox_init "$@"
[[ -f $SANDBOX_LIB/Refmount-1.0.typelib ]] ||
  fail "Refmount-1.0.typelib not built (meson setup -Dintrospection=enabled)"
sandbox_start_daemon

sandbox_set_rules nobody-tmpfs <<EOF2
// SPDX-License-Identifier: GPL-2.0-or-later
polkit.addRule(function(action, subject) {
    if (action.id == "org.refmount.mount" && subject.user == "nobody" &&
        action.lookup("fstype") == "tmpfs")
        return polkit.Result.YES;
    return polkit.Result.NOT_HANDLED;
});
EOF2

# The examples live in the source tree, which nobody may not reach.
install -m 0755 "$SANDBOX_SOURCE_DIR/examples/refmount-example.py" \
  "$SANDBOX_SOURCE_DIR/examples/refmount-example.js" "$SANDBOX_BIN/"

# A library built with -Db_sanitize needs the ASan runtime loaded before
# anything else, and python3 and gjs are not built with it: preload it
# (and UBSan's), and leave leak checking to the C tests (interpreters keep
# their memory until exit by design).
EXAMPLE_ENV=()
sanitizers=$(ldd "$SANDBOX_LIB/librefmount-1.so.0" | awk '/lib(asan|ubsan)\.so/ { print $3 }' | paste -sd:)
if [[ -n $sanitizers ]]; then
  EXAMPLE_ENV=(env LD_PRELOAD="$sanitizers" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0")
fi

# run_example NAME MOUNTPOINT COMMAND...: run it as nobody, check its
# account of events and that the filesystem came and went.
run_example ()
{
  local name=$1 mp=$2 out rc=0
  shift 2
  tc "$name example: mount, list, watch, unmount as nobody"
  out=$(as_nobody "${EXAMPLE_ENV[@]}" timeout 60 "$@" tmpfs "$name-src" "$mp" size=1m 2>&1) || rc=$?
  ((rc == 0)) || fail "$name example exited $rc: $out"
  assert_contains "$out" "mounted $mp"
  assert_contains "$out" "attached $mp example"
  assert_contains "$out" "mount $mp tmpfs mounted example"
  assert_contains "$out" "removed $mp"
  assert_not_mounted "$mp"
  rm_gdbus GetMount "$(gv_str "$mp")"
  assert_error NotFound
}

run_example python "$SANDBOX_ROOT/python" /usr/bin/python3 "$SANDBOX_BIN/refmount-example.py"

if command -v gjs >/dev/null 2>&1; then
  run_example gjs "$SANDBOX_ROOT/gjs" gjs "$SANDBOX_BIN/refmount-example.js"
else
  fail "gjs is not installed (tools/install-deps installs it)"
fi

tc "python example without authorization: a typed NotAuthorized"
sandbox_remove_rules nobody-tmpfs
out=$(as_nobody "${EXAMPLE_ENV[@]}" timeout 60 /usr/bin/python3 "$SANDBOX_BIN/refmount-example.py" \
  tmpfs denied-src "$SANDBOX_ROOT/denied" 2>&1) && fail "the example mounted without authorization: $out"
assert_contains "$out" "not authorized:"
assert_not_mounted "$SANDBOX_ROOT/denied"

sandbox_log "examples: all passed"
