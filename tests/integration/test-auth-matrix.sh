#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test: the authorization matrix of doc/design.md "Authorization"
# with the real polkitd.  Every method × caller {root, nobody (65534), uid
# 1234 (no passwd entry)} × rules {none, one that allows every refmount
# action} is called and its result compared with the table below; the whole
# matrix is printed, and any mismatch fails the test.
#
# dbus-daemon refuses connections from a uid without a passwd entry, so
# uid 1234 gets one: a copy of /etc/passwd and /etc/group with it added is
# bind-mounted over the originals in the sandbox's mount namespace only.
#
# "No rule" means no rule about the action under test.  So that
# non-root callers can own attachments to unmount, one set-up rule is
# always present: it grants org.refmount.mount for attachments named
# "setup-*" only, which no cell's own Mount uses.
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
sandbox_init "$@"

OTHER_UID=1234
for db in passwd group; do
  cp "/etc/$db" "$SANDBOX_DIR/$db"
  chmod 0644 "$SANDBOX_DIR/$db"
done
echo "refmount-other:x:$OTHER_UID:$OTHER_UID::/nonexistent:/usr/sbin/nologin" >>"$SANDBOX_DIR/passwd"
echo "refmount-other:x:$OTHER_UID:" >>"$SANDBOX_DIR/group"
mount --bind "$SANDBOX_DIR/passwd" /etc/passwd
mount --bind "$SANDBOX_DIR/group" /etc/group

sandbox_start_daemon

CALLERS=(root nobody other)
RULES=(none allow)
METHODS=(Mount Unmount-own Unmount-others Unmount-force Unmount-lazy GetMount Reload Get)

# expected METHOD CALLER RULE: "ok" or an error name, from doc/design.md
# "Authorization". uid 0 is always authorized; Unmount of one's own
# attachment, GetMount and property reads need no authorization; everything
# else needs its action (mount, unmount-others, manage), which only the
# "allow" rules grant.
expected ()
{
  local method=$1 caller=$2 rule=$3
  case $method in
  Unmount-own | GetMount | Get) echo ok ;;
  Mount | Unmount-others | Unmount-force | Unmount-lazy | Reload)
    if [[ $caller == root || $rule == allow ]]; then
      echo ok
    else
      echo NotAuthorized
    fi
    ;;
  *) fail "no expectation for $method" ;;
  esac
}

uid_of ()
{
  case $1 in
  root) echo 0 ;;
  nobody) echo "$NOBODY_UID" ;;
  other) echo "$OTHER_UID" ;;
  esac
}

# as_caller CALLER CMD...: run CMD as that caller, no supplementary groups.
as_caller ()
{
  local uid
  uid=$(uid_of "$1")
  shift
  if ((uid == 0)); then
    "$@"
  else
    setpriv --reuid="$uid" --regid="$uid" --clear-groups -- \
      env HOME=/nonexistent USER=u"$uid" LOGNAME=u"$uid" "$@"
  fi
}

# call CALLER METHOD GVARIANT-ARG...: sets RM_RC / RM_OUT.
call ()
{
  local caller=$1 method=$2
  shift 2
  RM_RC=0
  RM_OUT=$(as_caller "$caller" gdbus call --system --timeout 60 --dest "$RM_BUS" \
    --object-path "$RM_MANAGER_PATH" --method "$RM_MANAGER_IFACE.$method" "$@" 2>&1) || RM_RC=$?
}

mount_as ()
{
  local caller=$1 mp=$2 att=$3
  call "$caller" Mount "'tmpfs'" "'refmount-test'" "$(gv_str "$mp")" "@as []" "$(gv_str "$att")" "@a{sv} {}"
}

unmount_as ()
{
  local caller=$1 mp=$2 att=$3 flags='@a{sv} {}'
  [[ -z ${4:-} ]] || flags=$4
  call "$caller" Unmount "$(gv_str "$mp")" "$(gv_str "$att")" "$flags"
}

# The outcome of the last call: "ok" or the refmount error name.
outcome ()
{
  if ((RM_RC == 0)); then
    echo ok
  elif [[ $RM_OUT =~ ${RM_ERROR_PREFIX//./\\.}([A-Za-z]+) ]]; then
    echo "${BASH_REMATCH[1]}"
  else
    echo "other-error"
  fi
}

attachments_of ()
{
  rm_mount_property "$(rm_object_path_for "$1")" Attachments
}

# Another caller than CALLER, to own the attachment "Unmount-others" aims at.
victim_of ()
{
  case $1 in
  nobody) echo other ;;
  *) echo nobody ;;
  esac
}

sandbox_set_rules 10-setup <<'EOF'
// SPDX-License-Identifier: GPL-2.0-or-later
polkit.addRule(function(action, subject) {
    if (action.id == "org.refmount.mount" &&
        action.lookup("attachment").indexOf("setup-") == 0)
        return polkit.Result.YES;
    return polkit.Result.NOT_HANDLED;
});
EOF

ALLOW_RULE='// SPDX-License-Identifier: GPL-2.0-or-later
polkit.addRule(function(action, subject) {
    if (action.id.indexOf("org.refmount.") == 0)
        return polkit.Result.YES;
    return polkit.Result.NOT_HANDLED;
});'

declare -A RESULT
mismatches=0
cell=0

# run_cell METHOD CALLER RULE: do the set-up, the call, check its effect,
# clean up; store the outcome in RESULT.
run_cell ()
{
  local method=$1 caller=$2 rule=$3 mp got owner att
  cell=$((cell + 1))
  mp=$SANDBOX_ROOT/cell-$cell
  att=setup-$caller
  case $method in
  Mount)
    mount_as "$caller" "$mp" "cell-$cell"
    got=$(outcome)
    if [[ $got == ok ]]; then
      assert_mounted "$mp" "after an authorized Mount"
      rm_unmount "$mp" "cell-$cell"
      assert_ok "clean-up Unmount"
    else
      [[ -z $(mounts_beneath "$mp") && ! -e $mp ]] || fail "a refused Mount left $mp behind"
    fi
    ;;
  Unmount-own | Unmount-force | Unmount-lazy | Unmount-others)
    owner=$caller
    [[ $method != Unmount-others ]] || owner=$(victim_of "$caller")
    mount_as "$owner" "$mp" "setup-$owner"
    ((RM_RC == 0)) || fail "set-up Mount as $owner: $RM_OUT"
    case $method in
    Unmount-force) unmount_as "$caller" "$mp" "setup-$owner" "{'force': <true>}" ;;
    Unmount-lazy) unmount_as "$caller" "$mp" "setup-$owner" "{'lazy': <true>}" ;;
    *) unmount_as "$caller" "$mp" "setup-$owner" ;;
    esac
    got=$(outcome)
    if [[ $got == ok ]]; then
      assert_not_mounted "$mp" "after an authorized Unmount of the last attachment"
    else
      [[ $(attachments_of "$mp") == *"\"setup-$owner\" $(uid_of "$owner") "* ]] ||
        fail "a refused Unmount changed the attachments: $(attachments_of "$mp")"
      rm_unmount "$mp" "setup-$owner"
      assert_ok "clean-up Unmount"
    fi
    ;;
  GetMount)
    mount_as root "$mp" "$att"
    assert_ok "set-up Mount"
    call "$caller" GetMount "$(gv_str "$mp")"
    got=$(outcome)
    rm_unmount "$mp" "$att"
    assert_ok "clean-up Unmount"
    ;;
  Reload)
    call "$caller" Reload
    got=$(outcome)
    ;;
  Get)
    RM_RC=0
    RM_OUT=$(as_caller "$caller" busctl --system get-property "$RM_BUS" "$RM_MANAGER_PATH" \
      "$RM_MANAGER_IFACE" Version 2>&1) || RM_RC=$?
    got=$(outcome)
    ;;
  esac
  # A NotAuthorized that polkitd did not say (it died, the bus lost it)
  # would match the expectation for the wrong reason.
  [[ $got != NotAuthorized ]] || sandbox_assert_polkit_denial "$RM_OUT"
  RESULT[$method/$caller/$rule]=$got
  local want
  want=$(expected "$method" "$caller" "$rule")
  if [[ $got != "$want" ]]; then
    mismatches=$((mismatches + 1))
    printf 'MISMATCH: %s as %s, rules %s: expected %s, got %s (%s)\n' \
      "$method" "$caller" "$rule" "$want" "$got" "$RM_OUT" >&2
  fi
}

for rule in "${RULES[@]}"; do
  tc "rules: $rule"
  if [[ $rule == allow ]]; then
    sandbox_set_rules 20-allow "$ALLOW_RULE"
  else
    sandbox_remove_rules 20-allow
  fi
  for method in "${METHODS[@]}"; do
    for caller in "${CALLERS[@]}"; do
      run_cell "$method" "$caller" "$rule"
    done
  done
done

# The matrix, "result (expected)" where they differ.
printf '\n%-16s' "method"
for rule in "${RULES[@]}"; do
  for caller in "${CALLERS[@]}"; do
    printf '%-16s' "$caller/$rule"
  done
done
printf '\n'
for method in "${METHODS[@]}"; do
  printf '%-16s' "$method"
  for rule in "${RULES[@]}"; do
    for caller in "${CALLERS[@]}"; do
      got=${RESULT[$method/$caller/$rule]}
      want=$(expected "$method" "$caller" "$rule")
      [[ $got == "$want" ]] || got="$got(!=$want)"
      printf '%-16s' "$got"
    done
  done
  printf '\n'
done
printf '%d cells, %d mismatches\n' "$cell" "$mismatches"
((mismatches == 0)) || fail "$mismatches cells differ from doc/design.md \"Authorization\""

sandbox_daemon_alive || fail "refmountd died during the test"
assert_eq "$(mounts_beneath "$SANDBOX_ROOT")" "" "mounts left beneath the root"
printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN"
