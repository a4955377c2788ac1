#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Install test: "meson install --destdir" into a temporary directory, then
# check that every file of the system integration lands where meson's
# options / pkg-config say and is valid:
#   * refmountd (runs --version), the systemd unit, the D-Bus activation
#     file, the busconfig, the polkit policy, the default configuration
#     and its drop-in directory, the interface XML, the API notes, the man
#     pages, and everything else meson lists in intro-installed.json (so
#     files added later, e.g. refmountctl and its completion, are covered);
#   * the policy validates against polkit's DTD (xmllint);
#   * dbus-daemon starts with a configuration that includes the installed
#     busconfig (and refuses a broken copy, so the check can fail);
#   * the unit passes "systemd-analyze verify" (skipped when the command is
#     missing), on a copy whose ExecStart points into the destdir, with
#     MANPATH pointing at the installed man pages for Documentation=.
# Needs no root: nothing outside the temporary directory is touched.
#
# Usage: test-install.sh BUILDDIR SRCDIR; the expected locations come
# from tests/install/meson.build through the environment.
set -euo pipefail

build=${1:?usage: test-install.sh BUILDDIR SRCDIR}
src=${2:?usage: test-install.sh BUILDDIR SRCDIR}
: "${INSTALL_REFMOUNTD:?} ${INSTALL_UNIT_DIR:?} ${INSTALL_DBUS_SERVICES_DIR:?}"
: "${INSTALL_DBUS_POLICY_DIR:?} ${INSTALL_DBUS_INTERFACES_DIR:?} ${INSTALL_POLKIT_POLICY_DIR:?}"
: "${INSTALL_SYSCONF_DIR:?} ${INSTALL_MAN_DIR:?} ${INSTALL_DOC_DIR:?} ${INSTALL_VERSION:?}"
read -r -a man_pages <<<"${INSTALL_MAN_PAGES:-}"
api_docs=${INSTALL_API_DOCS:-true}

failures=0
checks=0
fail ()
{
  printf 'FAIL: %s\n' "$*" >&2
  failures=$((failures + 1))
}
ok ()
{
  checks=$((checks + 1))
  printf 'ok %d - %s\n' "$checks" "$*"
}
check ()
{
  local what=$1
  shift
  if "$@"; then
    ok "$what"
  else
    checks=$((checks + 1))
    fail "$what"
  fi
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/refmount-install.XXXXXX")
dbus_pid=
cleanup ()
{
  if [[ -n $dbus_pid ]]; then
    kill "$dbus_pid" 2>/dev/null || true
    wait "$dbus_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
dest=$tmp/dest
mkdir "$dest"

# --no-rebuild: meson test has built everything already, and a rebuild
# from inside a test would race with the test runner.
if ! meson install -C "$build" --destdir "$dest" --no-rebuild >"$tmp/install.log" 2>&1; then
  cat "$tmp/install.log" >&2
  echo "FAIL: meson install --destdir failed" >&2
  exit 1
fi
ok "meson install --destdir $dest"

in_dest ()
{
  printf '%s%s' "$dest" "$1"
}

listed_in ()
{
  local want=$1 item
  shift
  for item; do
    [[ $item == "$want" ]] && return 0
  done
  return 1
}

exists ()
{
  [[ -f $(in_dest "$1") && -s $(in_dest "$1") ]] || {
    echo "  missing or empty: $1" >&2
    return 1
  }
}

# ---------------------------------------------------------------------------
# Every file of the system integration.
unit=$INSTALL_UNIT_DIR/refmountd.service
activation=$INSTALL_DBUS_SERVICES_DIR/org.refmount.Refmount1.service
busconfig=$INSTALL_DBUS_POLICY_DIR/org.refmount.Refmount1.conf
policy=$INSTALL_POLKIT_POLICY_DIR/org.refmount.policy
interface=$INSTALL_DBUS_INTERFACES_DIR/org.refmount.Refmount1.xml
config=$INSTALL_SYSCONF_DIR/refmount/refmount.conf
required=("$INSTALL_REFMOUNTD" "$unit" "$activation" "$busconfig" "$policy" "$interface" "$config")
if [[ $api_docs == true ]]; then
  for iface in Manager Mount; do
    required+=("$INSTALL_DOC_DIR/refmount-dbus-org.refmount.Refmount1.$iface.rst")
  done
fi
for page in "${man_pages[@]}"; do
  required+=("$INSTALL_MAN_DIR/man${page##*.}/$page")
done
# The published D-Bus API and the design overview.
for note in dbus-api.md design.md; do
  required+=("$INSTALL_DOC_DIR/$note")
done
for f in "${required[@]}"; do
  check "installed: $f" exists "$f"
done
check "drop-in directory: $INSTALL_SYSCONF_DIR/refmount/refmount.conf.d" \
  test -d "$(in_dest "$INSTALL_SYSCONF_DIR/refmount/refmount.conf.d")"
if [[ -n ${INSTALL_MAN_ENABLED:-} && $INSTALL_MAN_ENABLED == true ]]; then
  for page in refmountd.8 refmount.conf.5; do
    check "man page $page is built" listed_in "$page" "${man_pages[@]}"
  done
fi

# Whatever else meson installs (refmountctl, completions, translations...).
mapfile -t listed < <(python3 - "$build/meson-info/intro-installed.json" <<'PY'
import json
import sys

with open(sys.argv[1], encoding="utf-8") as f:
    for path in sorted(set(json.load(f).values())):
        print(path)
PY
)
((${#listed[@]} > 0)) || fail "meson lists no installed files"
missing=0
for f in "${listed[@]}"; do
  [[ -e $(in_dest "$f") ]] || {
    echo "  meson lists $f, but it did not land" >&2
    missing=$((missing + 1))
  }
done
check "all ${#listed[@]} files meson lists landed" test "$missing" -eq 0
for f in "${listed[@]}"; do
  case $f in
  */bin/refmountctl)
    # It links librefmount-1, installed beside it in DESTDIR (installed
    # binaries carry no build-tree RPATH).
    check "refmountctl runs --help" env LD_LIBRARY_PATH="$(in_dest "$INSTALL_LIBDIR")" \
      bash -c '"$1" --help >/dev/null' _ "$(in_dest "$f")"
    check "refmountctl needs librefmount-1.so.0" \
      bash -c 'readelf -d "$1" | grep -q "NEEDED.*\[librefmount-1\.so\.0\]"' _ "$(in_dest "$f")"
    # The generated D-Bus code is the library's alone: a second copy
    # would register its GTypes twice.
    check "refmountctl does not contain the generated D-Bus code" \
      bash -c '! nm "$1" 2>/dev/null | grep -q " [TtDdBb] refmount_dbus_"' _ "$(in_dest "$f")"
    ;;
  esac
done

# ---------------------------------------------------------------------------
# The daemon binary.
check "refmountd is executable" test -x "$(in_dest "$INSTALL_REFMOUNTD")"
version=$("$(in_dest "$INSTALL_REFMOUNTD")" --version 2>&1 || true)
check "refmountd --version prints '$version'" test "$version" = "refmountd $INSTALL_VERSION"

# ---------------------------------------------------------------------------
# Activation file and unit agree with each other and with the install paths.
keyval ()
{
  # keyval FILE KEY: the value of the first KEY= line.
  sed -n "s/^$2=//p" "$1" | head -n 1
}
act=$(in_dest "$activation")
uf=$(in_dest "$unit")
check "activation Name=org.refmount.Refmount1" test "$(keyval "$act" Name)" = org.refmount.Refmount1
check "activation Exec= is the installed refmountd" test "$(keyval "$act" Exec)" = "$INSTALL_REFMOUNTD"
check "activation User=root" test "$(keyval "$act" User)" = root
check "activation SystemdService=refmountd.service" test "$(keyval "$act" SystemdService)" = refmountd.service
check "unit Type=dbus" test "$(keyval "$uf" Type)" = dbus
check "unit BusName= matches the activation Name=" test "$(keyval "$uf" BusName)" = "$(keyval "$act" Name)"
check "unit ExecStart= is the installed refmountd" test "$(keyval "$uf" ExecStart)" = "$INSTALL_REFMOUNTD"
check "no unsubstituted @variables@" bash -c '! grep -n "@[a-z_]*@" "$1" "$2"' _ "$act" "$uf"
# The daemon's mounts must reach the host: nothing that creates a mount
# namespace (see refmountd(8), SERVICE HARDENING).
check "unit creates no mount namespace" bash -c '! grep -n -E "^(PrivateMounts|PrivateTmp|PrivateDevices|PrivateIPC|PrivateNetwork|PrivateUsers|ProtectSystem|ProtectHome|ProtectKernelTunables|ProtectKernelModules|ProtectKernelLogs|ProtectControlGroups|ProtectProc|ProcSubset|ProtectHostname|ReadOnlyPaths|ReadWritePaths|InaccessiblePaths|ExecPaths|NoExecPaths|BindPaths|BindReadOnlyPaths|TemporaryFileSystem|RootDirectory|RootImage|MountFlags)=" "$1"' _ "$uf"

# ---------------------------------------------------------------------------
# polkit policy: the built one, translations merged.
pol=$(in_dest "$policy")
dtd=/usr/share/polkit-1/policyconfig-1.dtd
if command -v xmllint >/dev/null 2>&1; then
  if [[ -f $dtd ]]; then
    check "policy validates against $dtd" xmllint --noout --nonet --dtdvalid "$dtd" "$pol"
  else
    echo "# SKIP: $dtd not installed (apt-get install polkitd): DTD check skipped"
  fi
  check "busconfig is well-formed XML" xmllint --noout --nonet "$(in_dest "$busconfig")"
  check "interface XML is well-formed" xmllint --noout --nonet "$(in_dest "$interface")"
else
  echo "# SKIP: xmllint not installed (apt-get install libxml2-utils): XML checks skipped"
fi
for action in org.refmount.mount org.refmount.unmount-others org.refmount.manage; do
  check "policy declares $action" grep -q "<action id=\"$action\">" "$pol"
done
# The translations are in the policy itself (polkitd picks the agent's
# language); a gettext-domain attribute would make polkitd look them up in
# .mo files instead, for generated locales only (doc/desktop.md).
check "policy has no gettext-domain (translations merged)" bash -c '! grep -q gettext-domain "$1"' _ "$pol"
check "policy carries the German translation" grep -q '<message xml:lang="de">Zum Einhängen des $(fstype)-Dateisystems' "$pol"
check "policy's mount message names type, source and mountpoint" \
  grep -qF "<message>Authentication is required to mount the \$(fstype) filesystem '\$(source)' at \$(mountpoint).</message>" "$pol"

# ---------------------------------------------------------------------------
# busconfig: dbus-daemon must accept a configuration including it.  An
# unparsable <include> is fatal for dbus-daemon, so starting is the check.
bus_config ()
{
  # bus_config OUT INCLUDED
  cat >"$1" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$tmp/bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
  </policy>
  <include>$2</include>
</busconfig>
EOF
}

# bus_starts CONFIG: dbus-daemon starts and prints its address.
bus_starts ()
{
  local addr=$tmp/bus_address
  : >"$addr"
  rm -f "$tmp/bus_socket"
  dbus-daemon --config-file="$1" --nofork --nopidfile --print-address=3 \
    3>"$addr" >"$tmp/dbus.log" 2>&1 &
  dbus_pid=$!
  local i
  for ((i = 0; i < 100; i++)); do
    if [[ -s $addr ]]; then
      kill "$dbus_pid" 2>/dev/null || true
      wait "$dbus_pid" 2>/dev/null || true
      dbus_pid=
      return 0
    fi
    kill -0 "$dbus_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill "$dbus_pid" 2>/dev/null || true
  wait "$dbus_pid" 2>/dev/null || true
  dbus_pid=
  cat "$tmp/dbus.log" >&2
  return 1
}

if command -v dbus-daemon >/dev/null 2>&1; then
  bus_config "$tmp/bus.conf" "$(in_dest "$busconfig")"
  check "dbus-daemon accepts the installed busconfig" bus_starts "$tmp/bus.conf"
  # The same check on a broken copy must fail, or it proves nothing.
  sed 's|</busconfig>|<policy user="root">|' "$(in_dest "$busconfig")" >"$tmp/broken.conf"
  bus_config "$tmp/bus-broken.conf" "$tmp/broken.conf"
  checks=$((checks + 1))
  if bus_starts "$tmp/bus-broken.conf" 2>/dev/null; then
    fail "dbus-daemon accepted a broken busconfig: the busconfig check proves nothing"
  else
    printf 'ok %d - %s\n' "$checks" "dbus-daemon rejects a broken busconfig"
  fi
else
  echo "# SKIP: dbus-daemon not installed: busconfig start check skipped"
fi

# ---------------------------------------------------------------------------
# systemd-analyze verify on a copy of the unit whose ExecStart points at
# the installed binary inside the destdir (verify checks it exists and is
# executable); Documentation=man:... is resolved against the installed
# pages when there are any.
if command -v systemd-analyze >/dev/null 2>&1; then
  mkdir "$tmp/unit"
  sed "s|^ExecStart=$INSTALL_REFMOUNTD|ExecStart=$(in_dest "$INSTALL_REFMOUNTD")|" "$uf" \
    >"$tmp/unit/refmountd.service"
  man_arg=(--man=no)
  if ((${#man_pages[@]} > 0)) && command -v man >/dev/null 2>&1; then
    man_arg=()
  fi
  if MANPATH=$(in_dest "$INSTALL_MAN_DIR") systemd-analyze verify "${man_arg[@]}" \
    "$tmp/unit/refmountd.service" >"$tmp/verify.log" 2>&1 &&
    ! grep -E -i 'unknown|ignoring|invalid|not executable|failed' "$tmp/verify.log"; then
    ok "systemd-analyze verify refmountd.service"
  else
    checks=$((checks + 1))
    cat "$tmp/verify.log" >&2
    fail "systemd-analyze verify refmountd.service"
  fi
else
  echo "# SKIP: systemd-analyze not installed: unit verification skipped"
fi

# ---------------------------------------------------------------------------
# Configuration, docs, man pages.
check "installed refmount.conf is the shipped one" cmp -s "$(in_dest "$config")" "$src/data/refmount.conf"
check "refmount.conf names the drop-in directory" grep -q 'refmount.conf.d/\*.conf' "$(in_dest "$config")"
if [[ $api_docs == true ]]; then
  manager_rst=$(in_dest "$INSTALL_DOC_DIR/refmount-dbus-org.refmount.Refmount1.Manager.rst")
  for method in Mount Unmount GetMount Reload; do
    check "API notes document Manager.$method" grep -q "^org.refmount.Refmount1.Manager.$method\$" "$manager_rst"
  done
fi
if command -v man >/dev/null 2>&1; then
  for page in "${man_pages[@]}"; do
    f=$(in_dest "$INSTALL_MAN_DIR/man${page##*.}/$page")
    check "man page $page renders without warnings" \
      bash -c 'out=$(MANWIDTH=80 man --warnings -l "$1" 2>&1 >/dev/null) && [[ -z $out ]] || { echo "$out" >&2; false; }' _ "$f"
  done
fi

# ---------------------------------------------------------------------------
# librefmount-1: the library, its headers and .pc, a program built and run
# against the installed copy only, and the typelib loaded by Python.
if [[ -n ${INSTALL_LIBDIR:-} ]]; then
  lib_dir=$(in_dest "$INSTALL_LIBDIR")
  inc_dir=$(in_dest "$INSTALL_INCLUDEDIR")
  check "installed: librefmount-1.so.0 (soname link)" test -L "$lib_dir/librefmount-1.so.0"
  check "installed: librefmount-1.so (development link)" test -L "$lib_dir/librefmount-1.so"
  check "librefmount-1.so.0 has soname librefmount-1.so.0" \
    bash -c 'objdump -p "$1" | grep -q "SONAME *librefmount-1.so.0$"' _ "$lib_dir/librefmount-1.so.0"
  for h in refmount.h refmount-client.h refmount-mount.h refmount-attachment.h refmount-dbus.h \
    refmount-enums.h refmount-enum-types.h refmount-error.h; do
    check "installed header $h" exists "$INSTALL_INCLUDEDIR/$h"
  done
  check "no private header installed" bash -c '! ls "$1" | grep -E "generated|private|names"' _ "$inc_dir"
  pc=$lib_dir/pkgconfig/refmount-1.pc
  check "installed: refmount-1.pc" test -s "$pc"
  # The .pc names the final prefix: a copy pointing into the destdir
  # (--define-variable would move glib's prefix too).
  mkdir "$tmp/pc"
  sed "s|^prefix=\(.*\)|prefix=$dest\1|" "$pc" >"$tmp/pc/refmount-1.pc"
  pkg_flags=$(PKG_CONFIG_PATH=$tmp/pc pkg-config --cflags --libs refmount-1 2>&1) || pkg_flags=
  check "pkg-config --cflags --libs refmount-1" test -n "$pkg_flags"
  cat >"$tmp/use-lib.c" <<'EOF'
#include <refmount.h>
int
main (void)
{
  /* The error domain names the D-Bus errors; the types register; the
   * daemon's D-Bus names are there for clients that watch it. */
  return REFMOUNT_ERROR != 0 && refmount_client_get_type () != 0 &&
             g_type_is_a (REFMOUNT_TYPE_MOUNT_FLAGS, G_TYPE_FLAGS) &&
             g_dbus_is_name (REFMOUNT_BUS_NAME) && g_variant_is_object_path (REFMOUNT_MANAGER_PATH) &&
             g_dbus_is_interface_name (REFMOUNT_MANAGER_INTERFACE)
         ? 0
         : 1;
}
EOF
  # shellcheck disable=SC2086 # pkg-config prints a list of flags
  check "a program builds against the installed headers and library" \
    cc -o "$tmp/use-lib" "$tmp/use-lib.c" $pkg_flags
  check "that program runs with the installed library" \
    env LD_LIBRARY_PATH="$lib_dir" "$tmp/use-lib"
  if [[ ${INSTALL_GIR:-false} == true ]]; then
    check "installed: Refmount-1.0.gir" exists "$INSTALL_GIRDIR/Refmount-1.0.gir"
    check "installed: Refmount-1.0.typelib" exists "$INSTALL_TYPELIBDIR/Refmount-1.0.typelib"
    check "Python loads the installed typelib and library" \
      env GI_TYPELIB_PATH="$(in_dest "$INSTALL_TYPELIBDIR")" LD_LIBRARY_PATH="$lib_dir" /usr/bin/python3 -c '
import gi
gi.require_version("Refmount", "1.0")
from gi.repository import Refmount
assert Refmount.Client.new_sync and Refmount.MountState.STALE and Refmount.Error.NOT_FOUND
assert Refmount.BUS_NAME == "org.refmount.Refmount1"
'
    check "installed: the library reference" exists "$INSTALL_DOC_DIR/librefmount-1.md"
  fi
fi

printf '%d checks, %d failed\n' "$checks" "$failures"
((failures == 0))
