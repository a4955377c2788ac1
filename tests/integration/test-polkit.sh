#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test (b): polkit authorization with the real polkitd
# (doc/design.md "Authorization"): defaults deny, rules using the details,
# unmount-others, manage (Reload, force/lazy), and failing closed when polkitd
# is gone.
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
sandbox_init "$@"
sandbox_start_daemon

ALLOWED=$SANDBOX_ROOT/allowed
mkdir -m 0755 "$ALLOWED"

# Rule text: nobody may mount tmpfs beneath $ALLOWED/ (and nothing else).
# It also logs the details it saw, so we can check what refmountd passes.
MOUNT_RULE=$(
  cat <<EOF
// SPDX-License-Identifier: GPL-2.0-or-later
polkit.addRule(function(action, subject) {
    if (action.id != "org.refmount.mount" || subject.user != "nobody")
        return polkit.Result.NOT_HANDLED;
    polkit.log("refmount-details fstype=" + action.lookup("fstype") +
               " source=" + action.lookup("source") +
               " mountpoint=" + action.lookup("mountpoint") +
               " attachment=" + action.lookup("attachment") +
               " options=" + action.lookup("options"));
    var mp = action.lookup("mountpoint");
    if (action.lookup("fstype") == "tmpfs" &&
        mp !== undefined && mp.indexOf("$ALLOWED/") == 0)
        return polkit.Result.YES;
    return polkit.Result.NO;
});
EOF
)

# ---------------------------------------------------------------------------
tc "no rule: nobody is not authorized and nothing happens"
rm_mount -u nobody tmpfs nobody-src "$ALLOWED/n1" n1 size=1m
assert_error NotAuthorized
assert_contains "$RM_OUT" "did not allow interactive authorization" "the error of a non-interactive call"
assert_not_mounted "$ALLOWED/n1"
[[ ! -e $ALLOWED/n1 ]] || fail "an unauthorized Mount created $ALLOWED/n1"
# busctl asks for interactive authorization by default; without an agent
# that must still fail (and not hang).
rc=0
out=$(as_nobody busctl --system call "$RM_BUS" "$RM_MANAGER_PATH" "$RM_MANAGER_IFACE" Mount \
  'sssassa{sv}' tmpfs nobody-src "$ALLOWED/n1" 0 n1 0 2>&1) || rc=$?
((rc != 0)) || fail "interactive Mount by nobody succeeded without a rule: $out"
assert_contains "$out" "no authentication agent completed it" "the error of a call that allowed interaction"
assert_not_mounted "$ALLOWED/n1"

tc "root needs no rule"
rm_mount tmpfs root-src "$ALLOWED/r1" r1 size=1m
assert_ok "root Mount"
assert_mounted "$ALLOWED/r1"

# ---------------------------------------------------------------------------
tc "a rule using the details allows exactly what it says"
sandbox_set_rules nobody-tmpfs "$MOUNT_RULE"
rm_mount -u nobody tmpfs nobody-src "$ALLOWED/n1" n1 size=1m
assert_ok "nobody Mount of tmpfs beneath allowed/"
assert_mounted "$ALLOWED/n1"
att=$(rm_mount_property "$RM_MOUNT_OBJ" Attachments)
[[ $att =~ \"n1\"\ $NOBODY_UID\  ]] || fail "attachment owner should be uid $NOBODY_UID: $att"
grep -q "refmount-details fstype=tmpfs source=nobody-src mountpoint=$ALLOWED/n1 attachment=n1 options=" \
  "$SANDBOX_DIR/polkitd.log" || fail "polkit did not receive the details; polkitd.log:
$(grep refmount-details "$SANDBOX_DIR/polkitd.log")"
grep "refmount-details.*attachment=n1 " "$SANDBOX_DIR/polkitd.log" | grep -q 'options=.*size=1m' ||
  fail "the options detail lacks size=1m: $(grep refmount-details "$SANDBOX_DIR/polkitd.log")"

rm_mount -u nobody tmpfs nobody-src "$SANDBOX_ROOT/elsewhere" n2 size=1m
assert_error NotAuthorized
assert_not_mounted "$SANDBOX_ROOT/elsewhere"
[[ ! -e $SANDBOX_ROOT/elsewhere ]] || fail "denied Mount created a directory"

rm_mount -u nobody ramfs nobody-src "$ALLOWED/n3" n3
assert_error NotAuthorized
assert_not_mounted "$ALLOWED/n3"

# A second attachment to a mount nobody may make still needs the action.
rm_mount -u nobody tmpfs root-src "$ALLOWED/r1" n-on-r1 size=1m
assert_ok "nobody attaches to root's mount beneath allowed/"

tc "nobody releases its own attachments without any action"
sandbox_clear_rules
rm_unmount -u nobody "$ALLOWED/n1" n1
assert_ok "nobody Unmount of its own attachment"
assert_eq "$RM_UNMOUNTED" true
assert_not_mounted "$ALLOWED/n1"
rm_unmount -u nobody "$ALLOWED/r1" n-on-r1
assert_ok "nobody Unmount of its own attachment on root's mount"
assert_eq "$RM_UNMOUNTED" false
assert_mounted "$ALLOWED/r1"

# ---------------------------------------------------------------------------
tc "unmount-others"
rm_unmount -u nobody "$ALLOWED/r1" r1
assert_error NotAuthorized
assert_mounted "$ALLOWED/r1" "root's attachment must survive a denied Unmount"
att=$(rm_mount_property "$(rm_object_path_for "$ALLOWED/r1")" Attachments)
assert_contains "$att" '"r1" 0 ' "root's attachment still recorded"
sandbox_set_rules unmount-others <<'EOF'
// SPDX-License-Identifier: GPL-2.0-or-later
polkit.addRule(function(action, subject) {
    if (action.id == "org.refmount.unmount-others" && subject.user == "nobody")
        return polkit.Result.YES;
    return polkit.Result.NOT_HANDLED;
});
EOF
rm_unmount -u nobody "$ALLOWED/r1" r1
assert_ok "nobody Unmount of root's attachment with unmount-others"
assert_eq "$RM_UNMOUNTED" true
assert_not_mounted "$ALLOWED/r1"
sandbox_clear_rules

# ---------------------------------------------------------------------------
tc "manage: Reload"
rm_gdbus -u nobody Reload
assert_error NotAuthorized
rm_gdbus Reload
assert_ok "root Reload"
sandbox_set_rules manage <<'EOF'
// SPDX-License-Identifier: GPL-2.0-or-later
polkit.addRule(function(action, subject) {
    if (action.id == "org.refmount.manage" && subject.user == "nobody")
        return polkit.Result.YES;
    return polkit.Result.NOT_HANDLED;
});
EOF
rm_gdbus -u nobody Reload
assert_ok "nobody Reload with manage"
sandbox_remove_rules manage

tc "manage: force and lazy"
sandbox_set_rules nobody-tmpfs "$MOUNT_RULE"
for flag in force lazy; do
  rm_mount -u nobody tmpfs nobody-src "$ALLOWED/$flag" "own-$flag" size=1m
  assert_ok "nobody Mount for the $flag test"
  rm_unmount -u nobody -f "{'$flag': <true>}" "$ALLOWED/$flag" "own-$flag"
  assert_error NotAuthorized
  assert_mounted "$ALLOWED/$flag" "$flag Unmount denied"
  # false means "not requested": no action needed.
  rm_unmount -u nobody -f "{'$flag': <false>}" "$ALLOWED/$flag" "own-$flag"
  assert_ok "Unmount with $flag=false needs no manage"
  assert_not_mounted "$ALLOWED/$flag"
done
sandbox_set_rules manage <<'EOF'
// SPDX-License-Identifier: GPL-2.0-or-later
polkit.addRule(function(action, subject) {
    if (action.id == "org.refmount.manage" && subject.user == "nobody")
        return polkit.Result.YES;
    return polkit.Result.NOT_HANDLED;
});
EOF
for flag in force lazy; do
  rm_mount -u nobody tmpfs nobody-src "$ALLOWED/$flag" "own-$flag" size=1m
  assert_ok
  rm_unmount -u nobody -f "{'$flag': <true>}" "$ALLOWED/$flag" "own-$flag"
  assert_ok "nobody $flag Unmount with manage"
  assert_eq "$RM_UNMOUNTED" true
  assert_not_mounted "$ALLOWED/$flag"
done
sandbox_remove_rules manage

# ---------------------------------------------------------------------------
tc "polkitd gone: fail closed for nobody, root unaffected"
rm_mount -u nobody tmpfs nobody-src "$ALLOWED/k1" k1 size=1m
assert_ok "nobody Mount while polkitd runs"
sandbox_kill9_polkitd
rm_mount -u nobody tmpfs nobody-src "$ALLOWED/k2" k2 size=1m
assert_error NotAuthorized
assert_not_mounted "$ALLOWED/k2"
rm_mount -u nobody tmpfs nobody-src "$ALLOWED/k1" k1-b size=1m
assert_error NotAuthorized
sandbox_daemon_alive || fail "refmountd died when polkitd went away"
rm_mount tmpfs root-src "$ALLOWED/k3" k3 size=1m
assert_ok "root Mount without polkitd"
assert_mounted "$ALLOWED/k3"
# Own attachments can still be released (no action needed).
rm_unmount -u nobody "$ALLOWED/k1" k1
assert_ok "nobody releases its own attachment without polkitd"
rm_unmount "$ALLOWED/k3" k3
assert_ok

tc "polkitd back: authorization works again"
sandbox_start_polkitd
rm_mount -u nobody tmpfs nobody-src "$ALLOWED/k2" k2 size=1m
assert_ok "nobody Mount after polkitd restarted"
rm_unmount -u nobody "$ALLOWED/k2" k2
assert_ok
# ---------------------------------------------------------------------------
tc "the example rules in polkit/examples load"
sandbox_clear_rules
for f in "$SANDBOX_SOURCE_DIR"/polkit/examples/*.rules; do
  sandbox_set_rules "example-$(basename "$f" .rules)" <"$f"
done
if grep -E 'Error (compiling|evaluating)|SyntaxError|ReferenceError' "$SANDBOX_DIR/polkitd.log"; then
  fail "polkitd rejected an example rule (see above)"
fi
# They grant nobody nothing (nobody is neither in "builders" nor "nova").
rm_mount -u nobody tmpfs nobody-src "$ALLOWED/e1" e1 size=1m
assert_error NotAuthorized
sandbox_clear_rules

sandbox_daemon_alive || fail "refmountd died during the test"
assert_eq "$(mounts_beneath "$SANDBOX_ROOT")" "" "mounts left beneath the root"
printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN"
