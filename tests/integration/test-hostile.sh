#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test: a table of hostile requests over D-Bus (doc/design.md
# "Validation and confinement"), each sent as root and as nobody.  Every one
# must be rejected with InvalidArgument (naming the argument) or, for nobody,
# NotAuthorized; and together they must change nothing: /proc/self/mountinfo,
# the daemon's object tree, Generation and the state file are compared before
# and after.  Prints   "N hostile requests, N rejected with
# InvalidArgument/NotAuthorized, 0 mount-table changes"
#
# Requests whose argument types are wrong never reach refmount's code:
# GDBus checks them against the introspection data and replies with the
# standard org.freedesktop.DBus.Error.InvalidArgs, which counts as
# InvalidArgument here.  A string that is not UTF-8 cannot be sent at all
# (the client library and dbus-daemon refuse it); those attempts are made
# with the bytes in an "ay" where an "s" belongs.
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
sandbox_init "$@"
sandbox_start_daemon

R=$SANDBOX_ROOT
MP=$R/hostile-target

# A legitimate mount, so that hostile Unmounts have something to aim at.
tc "set-up: one legitimate mount"
rm_mount tmpfs refmount-test "$MP" legit size=1m
assert_ok "Mount legit"

snapshot ()
{
  printf '== mountinfo\n'
  cut -d' ' -f5- /proc/self/mountinfo
  printf '== objects\n'
  # HealthCheckedAt is when the last probe ran (EmitsChangedSignal=false),
  # a clock, not state that a request could change.
  busctl --system call "$RM_BUS" "$RM_OM_PATH" org.freedesktop.DBus.ObjectManager GetManagedObjects |
    sed -E 's/"HealthCheckedAt" t [0-9]+/"HealthCheckedAt" t -/g'
  printf '== generation\n'
  rm_manager_property Generation
  printf '== state\n'
  if [[ -e $SANDBOX_STATE_DIR/state ]]; then
    sha256sum <"$SANDBOX_STATE_DIR/state"
  else
    echo absent
  fi
  # Nothing may have been created beneath the root but the target.
  find "$R" -mindepth 1 -maxdepth 1 | sort
}

# Mount tables use busctl's text form; every state, mount and file count.
before=$(snapshot)

TOTAL=0
REJECTED=0

# check USER ARGNAME: the call just made (RM_RC/RM_OUT) was rejected as it
# must be.  ARGNAME is what an InvalidArgument message must name ("-" when
# the rejection is GDBus's InvalidArgs or NotAuthorized only).
check ()
{
  local user=$1 arg=$2 name=$3
  TOTAL=$((TOTAL + 1))
  ((RM_RC != 0)) || fail "$name as $user was accepted: $RM_OUT"
  if [[ $RM_OUT == *"${RM_ERROR_PREFIX}InvalidArgument"* ]]; then
    [[ $arg == - || $RM_OUT == *"Invalid $arg"* ]] ||
      fail "$name as $user: InvalidArgument should name '$arg': $RM_OUT"
  elif [[ $RM_OUT == *org.freedesktop.DBus.Error.InvalidArgs* ]]; then
    :
  elif [[ $user == nobody && $RM_OUT == *"${RM_ERROR_PREFIX}NotAuthorized"* ]]; then
    :
  else
    fail "$name as $user: expected InvalidArgument$([[ $user == root ]] || echo ' or NotAuthorized'), got: $RM_OUT"
  fi
  REJECTED=$((REJECTED + 1))
}

# The table.  Each helper sends one request per user.
USERS=(root nobody)

# bad_mount ARGNAME FSTYPE SOURCE MOUNTPOINT ATTACHMENT [OPTION...]
bad_mount ()
{
  local arg=$1 u
  shift
  for u in "${USERS[@]}"; do
    rm_mount -u "$u" "$@"
    check "$u" "$arg" "Mount(${*:1:4})"
  done
}

# bad_flags FLAGS-GVARIANT: a Mount that is valid but for its flags.
bad_flags ()
{
  local u
  for u in "${USERS[@]}"; do
    rm_mount -u "$u" -f "$1" tmpfs refmount-test "$R/flags-case" att
    check "$u" flags "Mount flags $1"
  done
}

# bad_unmount ARGNAME MOUNTPOINT ATTACHMENT [FLAGS-GVARIANT]
bad_unmount ()
{
  local arg=$1 flags='@a{sv} {}' u
  [[ -z ${4:-} ]] || flags=$4
  for u in "${USERS[@]}"; do
    rm_unmount -u "$u" -f "$flags" "$2" "$3"
    check "$u" "$arg" "Unmount($2, $3, ${4:-})"
  done
}

bad_getmount ()
{
  local u
  for u in "${USERS[@]}"; do
    rm_gdbus -u "$u" GetMount "$(gv_str "$1")"
    check "$u" mountpoint "GetMount($1)"
  done
}

# bad_raw METHOD TYPE:VALUE...: dbus-send with arbitrary argument types
# (wrong types, missing or extra arguments); it prints the error's name,
# which busctl does not.
bad_raw ()
{
  local method=$1 u
  shift
  for u in "${USERS[@]}"; do
    _rm_run "$u" dbus-send --system --print-reply --reply-timeout=60000 --dest="$RM_BUS" \
      "$RM_MANAGER_PATH" "$RM_MANAGER_IFACE.$method" "$@"
    check "$u" - "$method raw ($*)"
  done
}

# Shell metacharacters are meant literally here.
# shellcheck disable=SC2016
true
long=$(printf 'a%.0s' {1..300})
huge=$(printf 'x%.0s' {1..5000})
deep=$(printf '/d%.0s' {1..2100})

tc "hostile mountpoints"
bad_mount mountpoint tmpfs refmount-test "relative/path" att
bad_mount mountpoint tmpfs refmount-test "$R/../etc" att
bad_mount mountpoint tmpfs refmount-test "$R/a/../../etc" att
bad_mount mountpoint tmpfs refmount-test "$R/./a" att
bad_mount mountpoint tmpfs refmount-test "$R//a" att
bad_mount mountpoint tmpfs refmount-test "$R/a/" att
bad_mount mountpoint tmpfs refmount-test "$R" att
bad_mount mountpoint tmpfs refmount-test "/etc" att
bad_mount mountpoint tmpfs refmount-test "/" att
bad_mount mountpoint tmpfs refmount-test "${R}x/a" att
bad_mount mountpoint tmpfs refmount-test "$R/a"$'\n'"b" att
bad_mount mountpoint tmpfs refmount-test "$R/a"$'\t'"b" att
bad_mount mountpoint tmpfs refmount-test "$R/a"$'\x1b'"[31m" att
bad_mount mountpoint tmpfs refmount-test "$R/a"$'\u0085'"b" att
bad_mount mountpoint tmpfs refmount-test "$R/$long" att
bad_mount mountpoint tmpfs refmount-test "$R$deep" att

tc "hostile fstypes"
bad_mount fstype proc proc "$R/h1" att
bad_mount fstype sysfs sysfs "$R/h1" att
bad_mount fstype ext4 /dev/sda1 "$R/h1" att
bad_mount fstype "" refmount-test "$R/h1" att
bad_mount fstype "tmpfs " refmount-test "$R/h1" att
bad_mount fstype "TMPFS" refmount-test "$R/h1" att
bad_mount fstype "fuse.sshfs;rm" host:/ "$R/h1" att
bad_mount fstype "$huge" refmount-test "$R/h1" att

tc "hostile sources"
bad_mount source tmpfs "" "$R/h2" att
bad_mount source tmpfs "-oexec" "$R/h2" att
bad_mount source tmpfs "a b" "$R/h2" att
bad_mount source tmpfs "a"$'\n'"b" "$R/h2" att
bad_mount source nfs "srv;reboot:/x" "$R/h2" att
bad_mount source tmpfs "$huge" "$R/h2" att
bad_mount source nfs "server" "$R/h2" att
bad_mount source nfs "server:relative" "$R/h2" att
bad_mount source nfs "-server:/x" "$R/h2" att
bad_mount source cifs "host/share" "$R/h2" att
bad_mount source cifs "//host" "$R/h2" att
bad_mount source cifs '\\host\share' "$R/h2" att
bad_mount source nfs 'ser$(id)ver:/x' "$R/h2" att
bad_mount source tmpfs 'src`id`'$'\x7f' "$R/h2" att

tc "hostile attachments"
bad_mount attachment tmpfs refmount-test "$R/h3" ""
bad_mount attachment tmpfs refmount-test "$R/h3" "-rf"
bad_mount attachment tmpfs refmount-test "$R/h3" "a b"
bad_mount attachment tmpfs refmount-test "$R/h3" "a/b"
bad_mount attachment tmpfs refmount-test "$R/h3" "a;b"
bad_mount attachment tmpfs refmount-test "$R/h3" '$(id)'
bad_mount attachment tmpfs refmount-test "$R/h3" "a"$'\n'"b"
bad_mount attachment tmpfs refmount-test "$R/h3" "é"
bad_mount attachment tmpfs refmount-test "$R/h3" "$(printf 'a%.0s' {1..256})"
bad_mount attachment tmpfs refmount-test "$R/h3" "$huge"

tc "hostile options"
bad_mount options tmpfs refmount-test "$R/h4" att suid
bad_mount options tmpfs refmount-test "$R/h4" att dev
bad_mount options tmpfs refmount-test "$R/h4" att exec
bad_mount options tmpfs refmount-test "$R/h4" att "size=1m,exec"
bad_mount options tmpfs refmount-test "$R/h4" att "size=1m,suid"
bad_mount options tmpfs refmount-test "$R/h4" att "helper=/bin/sh"
bad_mount options tmpfs refmount-test "$R/h4" att "x-systemd.automount"
bad_mount options tmpfs refmount-test "$R/h4" att "X-mount.mkdir"
bad_mount options tmpfs refmount-test "$R/h4" att "size=1m size=2m"
bad_mount options tmpfs refmount-test "$R/h4" att 'size="1m,exec"'
bad_mount options tmpfs refmount-test "$R/h4" att ""
bad_mount options tmpfs refmount-test "$R/h4" att "=1m"
bad_mount options tmpfs refmount-test "$R/h4" att "size=1m"$'\n'"exec"
bad_mount options cifs //host/share "$R/h4" att "credentials=/etc/shadow"
bad_mount options cifs //host/share "$R/h4" att "Credentials=/root/x"
bad_mount options nfs server:/x "$R/h4" att "vers=4" "ssh_command=sh"
bad_mount options nfs server:/x "$R/h4" att "log-file=/etc/passwd"
bad_mount options tmpfs refmount-test "$R/h4" att "uid=0"
bad_mount options tmpfs refmount-test "$R/h4" att "$huge=1"
# 5000 options, as GVariant text (gv_strv would fork once per element).
many="['ro'$(printf ", 'ro'%.0s" {1..4999})]"
for u in "${USERS[@]}"; do
  rm_gdbus -u "$u" Mount "'tmpfs'" "'refmount-test'" "$(gv_str "$R/h4")" "$many" "'att'" "@a{sv} {}"
  check "$u" options "Mount with 5000 options"
done

tc "hostile flags"
bad_flags "{'release-on-exit': <'yes'>}"
bad_flags "{'release-on-exit': <int32 1>}"
bad_flags "{'unknown': <true>}"
bad_flags "{'force': <true>}"
bad_flags "{'Release-On-Exit': <true>}"
bad_flags "{'release-on-exit': <<true>>}"
flags="{'release-on-exit': <true>"
for ((i = 0; i < 1000; i++)); do flags+=", 'k$i': <true>"; done
bad_flags "$flags}"

tc "hostile unmounts"
bad_unmount mountpoint "$R/../etc" legit
bad_unmount mountpoint "/" legit
bad_unmount mountpoint "" legit
bad_unmount mountpoint "$MP/" legit
bad_unmount attachment "$MP" ""
bad_unmount attachment "$MP" "-x"
bad_unmount attachment "$MP" "legit;x"
bad_unmount flags "$MP" legit "{'force': <'yes'>}"
bad_unmount flags "$MP" legit "{'release-on-exit': <true>}"
bad_unmount flags "$MP" legit "{'lazy': <uint32 1>}"

tc "hostile GetMount"
bad_getmount "$R/../etc"
bad_getmount "relative"
bad_getmount "$R/a"$'\r'

tc "wrong types, missing and extra arguments, non-UTF-8 attempts"
bad_raw Mount string:tmpfs string:refmount-test string:"$R/w" string:att array:string:ro string:x
bad_raw Mount string:tmpfs string:refmount-test string:"$R/w" string:att
bad_raw Mount int32:1 string:tmpfs string:refmount-test string:"$R/w" array:string:ro string:att
bad_raw Mount string:tmpfs string:refmount-test string:"$R/w" array:string:ro string:att dict:string:boolean:x,true string:extra
bad_raw Mount string:tmpfs string:refmount-test string:"$R/w" array:string:ro dict:string:boolean:x,true
bad_raw Mount string:tmpfs string:refmount-test string:"$R/w" array:string:ro string:att array:string:x
bad_raw Mount string:tmpfs string:refmount-test string:"$R/w" array:string:ro string:att variant:boolean:true
bad_raw Mount string:tmpfs string:refmount-test string:"$R/w" array:string:ro string:att dict:string:string:release-on-exit,true
bad_raw Mount string:tmpfs string:refmount-test string:"$R/w" array:string:ro array:byte:255,254 dict:string:boolean:x,true
bad_raw Mount array:byte:195,40 string:refmount-test string:"$R/w" array:string:ro string:att dict:string:boolean:x,true
bad_raw Mount string:tmpfs array:byte:237,160,128 string:"$R/w" array:string:ro string:att dict:string:boolean:x,true
bad_raw Mount string:tmpfs string:refmount-test array:byte:47,255 array:string:ro string:att dict:string:boolean:x,true
bad_raw Mount string:tmpfs string:refmount-test string:"$R/w" array:byte:192,175 string:att dict:string:boolean:x,true
bad_raw Mount objpath:/x string:refmount-test string:"$R/w" array:string:ro string:att dict:string:boolean:x,true
bad_raw Mount
bad_raw Unmount string:"$MP" string:legit
bad_raw Unmount string:"$MP" array:byte:255 dict:string:boolean:force,true
bad_raw Unmount string:"$MP" string:legit dict:string:string:force,true
bad_raw Unmount string:"$MP" string:legit dict:string:boolean:force,true string:extra
bad_raw GetMount int32:1
bad_raw GetMount array:byte:192,175
bad_raw GetMount
bad_raw Reload string:now

tc "privileged operations as nobody only"
USERS=(nobody)
bad_unmount - "$MP" legit
bad_unmount - "$MP" legit "{'force': <true>}"
bad_unmount - "$MP" legit "{'lazy': <true>}"
for ((i = 0; i < 3; i++)); do
  rm_gdbus -u nobody Reload
  check nobody - "Reload"
done

# ---------------------------------------------------------------------------
tc "nothing changed"
sandbox_daemon_alive || fail "refmountd died during the hostile requests"
after=$(snapshot)
changes=0
if [[ $before != "$after" ]]; then
  diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") >&2 || true
  changes=$(diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | grep -c '^[<>]' || true)
fi
echo "$TOTAL hostile requests, $REJECTED rejected with InvalidArgument/NotAuthorized, $changes mount-table changes"
((TOTAL >= 100)) || fail "only $TOTAL hostile requests (want at least 100)"
((REJECTED == TOTAL)) || fail "$((TOTAL - REJECTED)) requests not rejected as required"
((changes == 0)) || fail "hostile requests changed the mount table, objects or state"

tc "the legitimate mount still works"
rm_unmount "$MP" legit
assert_ok "Unmount legit"
assert_eq "$RM_UNMOUNTED" true "last attachment unmounts"
assert_eq "$(mounts_beneath "$SANDBOX_ROOT")" "" "mounts left beneath the root"
printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN"
