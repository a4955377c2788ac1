#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test: tenant isolation (issue 10).  Two unprivileged users,
# nobody (the victim) and rmtenant (uid 61601, the attacker), are both
# granted org.refmount.mount beneath the mount root by one polkit rule,
# and nothing else.  Each case is an attack as the hostile uid runs it:
#   inside      a Mount inside the victim's mount
#   above       a Mount above the victim's mount
#   hidden      a filesystem mounted above it behind refmount's back, then
#               the victim's next Mount
#   options     ro,rw against rw,ro; size=2m,size=1m against the reverse
#   limit       20 concurrent Mounts of one uid through a slow helper (held
#               until the refusals are in, at most 4 s) with
#               MaxAttachmentsPerUser=3
#   fds         a helper lists the fds it inherited
#   log         a mountpoint that forges audit fields
# TENANT_CASES (space-separated names) runs a subset.
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
export SANDBOX_ALLOWED_FS="tmpfs;refmountslow;refmountfds;"
export SANDBOX_MAX_ATTACH=3
sandbox_init "$@"

want ()
{
  [[ -z ${TENANT_CASES:-} || " $TENANT_CASES " == *" $1 "* ]]
}

# The attacker's passwd and group entries, in this namespace only (polkitd
# resolves subject.user through NSS on every check).
TENANT_UID=61601
ETC=$SANDBOX_DIR/etc
mkdir -m 0755 "$ETC"
cp /etc/passwd "$ETC/passwd"
cp /etc/group "$ETC/group"
! grep -qE "^rmtenant:|^[^:]*:[^:]*:$TENANT_UID:" "$ETC/passwd" ||
  fail "user rmtenant or uid $TENANT_UID already exists on this machine"
printf 'rmtenant:x:%s:%s::/nonexistent:/usr/sbin/nologin\n' "$TENANT_UID" "$TENANT_UID" >>"$ETC/passwd"
printf 'rmtenant:x:%s:\n' "$TENANT_UID" >>"$ETC/group"
chmod 0644 "$ETC/passwd" "$ETC/group"
mount --bind "$ETC/passwd" /etc/passwd
mount --bind "$ETC/group" /etc/group

# Slow and fd-listing mount helpers, through a read-only overlay over
# /sbin (as test-hang-helper.sh does); the host's /sbin is never written.
SBIN=$(readlink -f /sbin)
EXTRA=$SANDBOX_DIR/sbin-extra
mkdir -m 0755 "$EXTRA"
cat >"$EXTRA/mount.refmountslow" <<HELPER
#!/bin/sh
# Written by test-tenant.sh: a slow mount (until the test releases it,
# at most 4 s), which then fails.
i=0
while [ ! -e "$SANDBOX_DIR/slow-release" ] && [ \$i -lt 40 ]; do
  sleep 0.1
  i=\$((i + 1))
done
echo "slow helper done"
exit 32
HELPER
cat >"$EXTRA/mount.refmountfds" <<'HELPER'
#!/bin/sh
# Written by test-tenant.sh: report the fds a helper inherits.
ls -l /proc/self/fd/ 2>&1 | sed -n 's/.* \([0-9][0-9]*\) -> \(.*\)$/fd:\1=\2/p' | tr '\n' ' '
exit 32
HELPER
chmod 0755 "$EXTRA/mount.refmountslow" "$EXTRA/mount.refmountfds"
HELPERS=yes
mount -t overlay refmount-sbin -o "lowerdir=$EXTRA:$SBIN" "$SBIN" 2>/dev/null || HELPERS=
[[ -x /sbin/mount.refmountfds ]] || HELPERS=

sandbox_write_config "
[Filesystem refmountslow]
AllowedOptions=ro;
UseHelper=true

[Filesystem refmountfds]
AllowedOptions=ro;
UseHelper=true
"
sandbox_start_daemon

R=$SANDBOX_ROOT
sandbox_set_rules tenants <<EOF
// Written by test-tenant.sh: both tenants may mount beneath the root.
polkit.addRule(function(action, subject) {
    if (action.id == "org.refmount.mount" &&
        (subject.user == "nobody" || subject.user == "rmtenant") &&
        action.lookup("mountpoint").indexOf("$R/") == 0)
        return polkit.Result.YES;
    return polkit.Result.NOT_HANDLED;
});
EOF

AS_TENANT=(setpriv --reuid="$TENANT_UID" --regid="$TENANT_UID" --clear-groups --
  env HOME=/nonexistent USER=rmtenant LOGNAME=rmtenant)

# t_mount WHO FSTYPE SOURCE MOUNTPOINT ATTACHMENT [OPTION...]; WHO is
# victim (nobody) or attacker (rmtenant).
t_mount ()
{
  local who=$1 fstype=$2 source=$3 mountpoint=$4 attachment=$5
  shift 5
  if [[ $who == victim ]]; then
    rm_mount -u nobody "$fstype" "$source" "$mountpoint" "$attachment" "$@"
    return
  fi
  RM_RC=0
  RM_OUT=$("${AS_TENANT[@]}" gdbus call --system --timeout 60 --dest "$RM_BUS" \
    --object-path "$RM_MANAGER_PATH" --method "$RM_MANAGER_IFACE.Mount" \
    "$(gv_str "$fstype")" "$(gv_str "$source")" "$(gv_str "$mountpoint")" \
    "$(gv_strv "$@")" "$(gv_str "$attachment")" '@a{sv} {}' 2>&1) || RM_RC=$?
}

# Sanity: the rule lets both in.
tc "both tenants may mount beneath the root"
t_mount attacker tmpfs own "$R/own" own size=1m
assert_ok "Mount as rmtenant"
t_mount victim tmpfs own "$R/own" own2 size=1m
assert_ok "Mount as nobody"
rm_unmount "$R/own" own
rm_unmount "$R/own" own2

if want inside; then
  tc "inside: a Mount inside the victim's mount is refused"
  t_mount victim tmpfs victim-data "$R/victim" v size=1m
  assert_ok "victim's Mount"
  echo secret >"$R/victim/file"
  t_mount attacker tmpfs evil "$R/victim/images" a size=1m
  assert_error Conflict "$R/victim/images" "'$R/victim'"
  t_mount attacker tmpfs evil "$R/victim/made/by/refmountd" a size=1m
  assert_error Conflict "'$R/victim'"
  [[ ! -e $R/victim/made && ! -e $R/victim/images ]] ||
    fail "refmountd created directories inside the victim's filesystem: $(ls "$R/victim")"
  assert_eq "$(mounts_beneath "$R/victim")" "$R/victim" "mounts at or beneath the victim's"
  assert_eq "$(cat "$R/victim/file")" secret
  rm_unmount -u nobody "$R/victim" v
  assert_ok
fi

if want above; then
  tc "above: a Mount above the victim's mount is refused"
  t_mount victim tmpfs victim-vol "$R/proj/vol" v size=1m
  assert_ok "victim's Mount"
  echo data >"$R/proj/vol/file"
  t_mount attacker tmpfs evil "$R/proj" a size=1m
  assert_error Conflict "'$R/proj'" "'$R/proj/vol'"
  assert_not_mounted "$R/proj"
  assert_eq "$(cat "$R/proj/vol/file")" data "the victim's data is still visible"
  rm_unmount -u nobody "$R/proj/vol" v
  assert_ok
  assert_eq "$RM_UNMOUNTED" true
fi

if want hidden; then
  tc "hidden: a filesystem mounted over the victim's behind refmount's back"
  t_mount victim tmpfs victim-vol "$R/proj/vol" v size=1m
  assert_ok "victim's Mount"
  echo data >"$R/proj/vol/file"
  mount -t tmpfs -o size=1m hider "$R/proj"
  t_mount victim tmpfs victim-vol "$R/proj/vol" v2 size=1m
  assert_error Conflict "'$R/proj/vol'" "crossing another mount"
  [[ ! -e $R/proj/vol ]] || fail "refmountd created $R/proj/vol inside the other filesystem"
  umount "$R/proj"
  assert_eq "$(cat "$R/proj/vol/file")" data "the victim's filesystem was left alone"
  assert_eq "$(mount_count "$R/proj/vol")" 1 "mounts at $R/proj/vol"
  # Once nothing hides it any more, the victim's Mount works again.
  t_mount victim tmpfs victim-vol "$R/proj/vol" v2 size=1m
  assert_ok "victim's Mount once the other filesystem is gone"
  assert_eq "$(cat "$R/proj/vol/file")" data "the victim's own filesystem"
  rm_unmount -u nobody "$R/proj/vol" v
  rm_unmount -u nobody "$R/proj/vol" v2
  assert_ok
  assert_eq "$RM_UNMOUNTED" true
fi

if want options; then
  tc "options: ro,rw is rw, and rw,ro is not the same mount"
  t_mount victim tmpfs opts "$R/opts" v ro rw
  assert_ok "victim's Mount with ro,rw"
  assert_contains "$(mount_field "$R/opts" options)" rw "mount options of ro,rw"
  t_mount attacker tmpfs opts "$R/opts" a rw ro
  assert_error Conflict "'$R/opts'"
  t_mount attacker tmpfs opts "$R/opts" a rw
  assert_ok "the same effective options in another spelling"
  rm_unmount -u nobody "$R/opts" v
  rm_unmount "$R/opts" a
  assert_ok

  tc "options: size=2m,size=1m against size=1m,size=2m"
  t_mount victim tmpfs sizes "$R/sizes" v size=2m size=1m
  assert_ok
  assert_contains "$(mount_field "$R/sizes" super)" "size=1024k" "tmpfs size of size=2m,size=1m"
  t_mount attacker tmpfs sizes "$R/sizes" a size=1m size=2m
  assert_error Conflict "'$R/sizes'"
  rm_unmount -u nobody "$R/sizes" v
  assert_ok
fi

if want limit && [[ -n $HELPERS ]]; then
  tc "limit: 20 concurrent Mounts of one uid with MaxAttachmentsPerUser=3"
  pids=()
  for i in $(seq 1 20); do
    "${AS_TENANT[@]}" gdbus call --system --timeout 60 --dest "$RM_BUS" \
      --object-path "$RM_MANAGER_PATH" --method "$RM_MANAGER_IFACE.Mount" \
      refmountslow "server:/s$i" "$R/slow-$i" '@as []' "s$i" '@a{sv} {}' \
      >"$SANDBOX_DIR/slow-$i.out" 2>&1 &
    pids+=($!)
  done
  # Those refused return at once; the others wait in the helper until
  # every refusal is in, so the count does not depend on timing.
  finished ()
  {
    local n=0 pid
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || n=$((n + 1))
    done
    ((n >= 17))
  }
  sandbox_wait_until 20 "17 of the 20 Mounts to return" finished
  touch "$SANDBOX_DIR/slow-release"
  for pid in "${pids[@]}"; do
    wait "$pid" || true
  done
  limited=$(cat "$SANDBOX_DIR"/slow-*.out | grep -c "${RM_ERROR_PREFIX}LimitExceeded" || true)
  reached=$(cat "$SANDBOX_DIR"/slow-*.out | grep -c "slow helper done" || true)
  printf 'limit: %d refused with LimitExceeded, %d reached the helper\n' "$limited" "$reached"
  assert_eq "$reached" 3 "Mounts that reached the helper (MaxAttachmentsPerUser=3)"
  assert_eq "$limited" 17 "Mounts refused with LimitExceeded"
  # The failed mounts gave their slots back.
  t_mount attacker tmpfs after "$R/after-limit" a size=1m
  assert_ok "a Mount after the failed ones"
  rm_unmount "$R/after-limit" a
fi

if want fds && [[ -n $HELPERS ]]; then
  tc "fds: a helper inherits only stdin, stdout and stderr"
  t_mount victim tmpfs victim-fds "$R/fd-victim" v size=1m
  assert_ok
  t_mount victim tmpfs victim-fds2 "$R/fd-victim2" v size=1m
  assert_ok
  t_mount attacker refmountfds server:/x "$R/fd-attacker" a
  assert_error MountFailed "fd:0="
  printf 'fds: %s\n' "$RM_OUT" >&2
  fds=$(grep -oE 'fd:[0-9]+=' <<<"$RM_OUT" | tr -dc '0-9\n' | sort -n | tr '\n' ' ')
  # fd 3 is ls's own directory stream of /proc/self/fd.
  assert_eq "$fds" "0 1 2 3 " "fds open in the helper"
  assert_not_contains "$RM_OUT" "$R/fd-victim"
  assert_not_contains "$RM_OUT" "mountinfo"
  rm_unmount -u nobody "$R/fd-victim" v
  rm_unmount -u nobody "$R/fd-victim2" v
fi

if want log; then
  tc "log: a mountpoint cannot forge audit fields"
  forged="$R/x\" uid=\"0\" pid=\"1\"] [mountpoint=/etc uid=0 pid=1]"
  t_mount attacker tmpfs forger "$forged" a size=1m
  assert_ok "Mount at a mountpoint with spaces, quotes and brackets"
  line=$(grep -E '^refmountd: attached: ' "$SANDBOX_DAEMON_LOG" | grep -F "forger" | tail -n 1)
  [[ -n $line ]] || fail "no 'attached' line for the forged mountpoint"
  printf 'log: %s\n' "$line" >&2
  [[ $line != *'uid=0 pid=1]'* && $line != *'uid="0" pid="1"]'* ]] ||
    fail "the log line reads as if uid 0 acted: $line"
  parsed=$(python3 "$SANDBOX_SOURCE_DIR/tests/integration/parse-audit-line.py" <<<"$line") ||
    fail "the line does not parse: $line"
  assert_eq "$(sed -n 's/^mountpoint=//p' <<<"$parsed")" "$forged" "mountpoint parsed back"
  assert_eq "$(sed -n 's/^uid=//p' <<<"$parsed")" "$TENANT_UID" "uid parsed back"
  assert_eq "$(sed -n 's/^source=//p' <<<"$parsed")" forger "source parsed back"
  "${AS_TENANT[@]}" gdbus call --system --timeout 60 --dest "$RM_BUS" --object-path "$RM_MANAGER_PATH" \
    --method "$RM_MANAGER_IFACE.Unmount" "$(gv_str "$forged")" a '@a{sv} {}' >/dev/null
fi

printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN"
