#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test: the audit log (doc/audit-log.md).  refmountd's stderr
# is not the journal here, so every audit event must be exactly one plain
# line "refmountd: EVENT: ... [mountpoint=... uid=... pid=...]" naming the
# caller's uid and pid (gdbus calls): Mount/Unmount as root and as nobody, denials, a
# failed mount, and the reconciliation after a restart.
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
sandbox_init "$@"
sandbox_start_daemon

MP=$SANDBOX_ROOT/audit-a
NB=$SANDBOX_ROOT/nobody

# audit_call USER METHOD GVARIANT-ARG...: call a Manager method with gdbus
# (not interactive) as USER (root or nobody).  Sets RM_RC, RM_OUT and
# CALL_PID, the pid of gdbus and so the pid the daemon must log: the inner
# shell prints its own pid and then execs gdbus.
audit_call ()
{
  local user=$1 method=$2 out rc=0
  local prefix=()
  shift 2
  [[ $user == root ]] || prefix=("${AS_NOBODY[@]}")
  # shellcheck disable=SC2016 # expanded by the inner shell
  out=$("${prefix[@]}" bash -c 'echo "$$"; exec gdbus call --system --timeout 60 "$@"' gdbus \
    --dest "$RM_BUS" --object-path "$RM_MANAGER_PATH" --method "$RM_MANAGER_IFACE.$method" "$@" 2>&1) ||
    rc=$?
  CALL_PID=${out%%$'\n'*}
  RM_OUT=${out#*$'\n'}
  RM_RC=$rc
  [[ $CALL_PID =~ ^[0-9]+$ ]] || fail "could not learn the caller's pid: $out"
}

# audit_mount USER FSTYPE SOURCE MOUNTPOINT ATTACHMENT
audit_mount ()
{
  audit_call "$1" Mount "$(gv_str "$2")" "$(gv_str "$3")" "$(gv_str "$4")" '@as []' \
    "$(gv_str "$5")" '@a{sv} {}'
}

# audit_unmount USER MOUNTPOINT ATTACHMENT
audit_unmount ()
{
  audit_call "$1" Unmount "$(gv_str "$2")" "$(gv_str "$3")" '@a{sv} {}'
}

LOG_MARK=0
# Remember where the log ends: the next checks see only what follows.
log_mark ()
{
  LOG_MARK=$(wc -l <"$SANDBOX_DAEMON_LOG")
}

# The audit event kinds (doc/audit-log.md); "started", "stopped" and the
# like are plain lines too, but not audit events.
AUDIT_KINDS='(mounted|unmounted|attached|detached|denied|reconciled|mount-failed|mount-timeout|attach-failed|unmount-failed)'

new_audit_lines ()
{
  tail -n +"$((LOG_MARK + 1))" "$SANDBOX_DAEMON_LOG" | grep -E "^refmountd: $AUDIT_KINDS: " || true
}

# expect_events "E1 E2 ...": exactly these audit events since the mark.
expect_events ()
{
  local got
  got=$(new_audit_lines | sed -E 's/^refmountd: ([a-z-]+): .*/\1/' | tr '\n' ' ')
  assert_eq "${got% }" "$1" "audit events since the last call (log: $(new_audit_lines))"
}

# expect_line EVENT TEXT...: the new line of EVENT contains every TEXT.
expect_line ()
{
  local event=$1 line text
  shift
  line=$(new_audit_lines | grep -E "^refmountd: $event: ") ||
    fail "no '$event' line since the last call"
  [[ $(wc -l <<<"$line") == 1 ]] || fail "more than one '$event' line: $line"
  for text in "$@"; do
    assert_contains "$line" "$text" "the '$event' line"
  done
}

# ---------------------------------------------------------------------------
tc "root mounts: one 'mounted' and one 'attached' line with uid and pid"
log_mark
audit_mount root tmpfs audit-src "$MP" att-root
assert_ok "root Mount"
assert_mounted "$MP"
expect_events "mounted attached"
expect_line mounted "[mountpoint=$MP source=audit-src fstype=tmpfs attachment=att-root uid=0 pid=$CALL_PID]"
expect_line attached "[mountpoint=$MP source=audit-src fstype=tmpfs attachment=att-root uid=0 pid=$CALL_PID]"

tc "re-attaching the same attachment logs nothing"
log_mark
audit_mount root tmpfs audit-src "$MP" att-root
assert_ok "root re-Mount"
expect_events ""

# ---------------------------------------------------------------------------
tc "nobody without a rule: one 'denied' line"
log_mark
audit_mount nobody tmpfs audit-src "$MP" att-nobody
assert_error NotAuthorized
expect_events "denied"
expect_line denied "Mount denied" \
  "[mountpoint=$MP source=audit-src fstype=tmpfs attachment=att-nobody uid=$NOBODY_UID pid=$CALL_PID]"

sandbox_set_rules nobody-tmpfs <<EOF
// SPDX-License-Identifier: GPL-2.0-or-later
polkit.addRule(function(action, subject) {
    if (action.id == "org.refmount.mount" && subject.user == "nobody" &&
        action.lookup("fstype") == "tmpfs")
        return polkit.Result.YES;
    return polkit.Result.NOT_HANDLED;
});
EOF

tc "nobody attaches to a mounted filesystem: 'attached' only"
log_mark
audit_mount nobody tmpfs audit-src "$MP" att-nobody
assert_ok "nobody Mount"
expect_events "attached"
expect_line attached "attachment=att-nobody uid=$NOBODY_UID pid=$CALL_PID]"

tc "nobody mounts a new filesystem: 'mounted' and 'attached' as nobody"
log_mark
audit_mount nobody tmpfs nobody-src "$NB" att-nb
assert_ok "nobody Mount of a new mountpoint"
expect_events "mounted attached"
expect_line mounted "[mountpoint=$NB source=nobody-src fstype=tmpfs attachment=att-nb uid=$NOBODY_UID pid=$CALL_PID]"

tc "nobody may not release root's attachment: 'denied', nothing released"
log_mark
audit_unmount nobody "$MP" att-root
assert_error NotAuthorized
expect_events "denied"
expect_line denied "Unmount denied" "attachment=att-root uid=$NOBODY_UID pid=$CALL_PID]"

tc "nobody releases its own attachment: 'detached' only"
log_mark
audit_unmount nobody "$MP" att-nobody
assert_ok "nobody Unmount"
expect_events "detached"
expect_line detached "[mountpoint=$MP source=audit-src fstype=tmpfs attachment=att-nobody uid=$NOBODY_UID pid=$CALL_PID]"
assert_mounted "$MP" "root's attachment keeps the mount"

tc "root releases the last attachment: 'detached' and 'unmounted'"
log_mark
audit_unmount root "$MP" att-root
assert_ok "root Unmount"
assert_not_mounted "$MP"
expect_events "detached unmounted"
expect_line detached "attachment=att-root uid=0 pid=$CALL_PID]"
expect_line unmounted "[mountpoint=$MP source=audit-src fstype=tmpfs attachment=att-root uid=0 pid=$CALL_PID]"

tc "a force unmount by nobody is denied (org.refmount.manage)"
log_mark
audit_call nobody Unmount "$(gv_str "$NB")" "'att-nb'" "{'force': <true>}"
assert_error NotAuthorized
expect_events "denied"
expect_line denied "attachment=att-nb uid=$NOBODY_UID pid=$CALL_PID]"
assert_mounted "$NB"

tc "a Reload by nobody is denied"
log_mark
audit_call nobody Reload
assert_error NotAuthorized
expect_events "denied"
expect_line denied "Reload denied" "uid=$NOBODY_UID pid=$CALL_PID]"

tc "a failed mount: one failure line, no 'mounted', no 'attached'"
log_mark
# No NFS in the sandbox: the mount cannot succeed.
audit_mount root nfs 127.0.0.1:/audit "$SANDBOX_ROOT/nfs-fail" att-nfs
((RM_RC != 0)) || fail "an NFS mount succeeded in the sandbox: $RM_OUT"
got=$(new_audit_lines | sed -E 's/^refmountd: ([a-z-]+): .*/\1/' | tr '\n' ' ')
[[ $got == "mount-failed " || $got == "mount-timeout " ]] ||
  fail "expected one mount-failed or mount-timeout line, got '$got'"
expect_line 'mount-(failed|timeout)' "attachment=att-nfs uid=0 pid=$CALL_PID]"

# ---------------------------------------------------------------------------
tc "restart: every record is reconciled, once, by the daemon (no uid/pid)"
audit_mount root tmpfs stale-src "$SANDBOX_ROOT/stale" att-stale
assert_ok "root Mount of the soon stale mount"
sandbox_stop_daemon
assert_eq "$SANDBOX_DAEMON_STATUS" 0 "refmountd exit status"
# Gone behind the daemon's back while it was down.
umount "$SANDBOX_ROOT/stale"
log_mark
sandbox_start_daemon
expect_events "reconciled reconciled"
line=$(new_audit_lines | grep -F "[mountpoint=$NB ") || fail "no 'reconciled' line for $NB"
assert_contains "$line" "Adopted $NB" "the adopted mount's line"
assert_contains "$line" "[mountpoint=$NB source=nobody-src fstype=tmpfs attachment=- uid=- pid=-]" \
  "the adopted mount's line"
line=$(new_audit_lines | grep -F "[mountpoint=$SANDBOX_ROOT/stale ") ||
  fail "no 'reconciled' line for the stale mount"
assert_contains "$line" "marked stale" "the stale mount's line"

tc "after the restart the caller is logged again"
log_mark
audit_unmount nobody "$NB" att-nb
assert_ok "nobody Unmount after the restart"
expect_events "detached unmounted"
expect_line unmounted "[mountpoint=$NB source=nobody-src fstype=tmpfs attachment=att-nb uid=$NOBODY_UID pid=$CALL_PID]"

tc "every audit line is a single line"
# Each "refmountd: EVENT:" line ends with the field list.
bad=$(grep -E '^refmountd: [a-z-]+: ' "$SANDBOX_DAEMON_LOG" | grep -vE ' pid=[0-9-]+\]$' || true)
[[ -z $bad ]] || fail "audit lines without their field list: $bad"

sandbox_log "test-audit: $SANDBOX_CASES_RUN cases passed"
