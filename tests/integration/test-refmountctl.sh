#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test: every refmountctl command against the real refmountd
# (and polkitd) in the sandbox.  JSON output is parsed with python3 and
# checked against the daemon's properties and /proc/self/mountinfo; exit
# statuses (0 ok, 1 failed call, 2 usage, 3-8 per kind of failure), error
# wording and hints, JSON errors, human output, global options anywhere,
# unmount/show by SOURCE, what mount did (mounted or attached), wide
# characters in tables, monitor waiting for the daemon,
# the polkit agent paths (no TTY, --no-ask-password, a TTY through
# script(1)), --release-on-exit, monitor seeing attach and detach, and
# bash completion of managed mountpoints.
set -euo pipefail
# The real system bus policy plus data/org.refmount.Refmount1.conf, as
# refmountctl meets it on a real system.
export SANDBOX_BUS_POLICY=strict
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
sandbox_init "$@"
# The sandbox's copy, which uid nobody can run (sandbox.sh).
CTL=${REFMOUNTCTL:-}
[[ -x $CTL ]] || fail "refmountctl $CTL not built"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to parse refmountctl's JSON"
sandbox_start_daemon

# ctl [-u nobody] ARG...: run refmountctl; CTL_RC, CTL_OUT (stdout),
# CTL_ERR (stderr).  stdin is /dev/null: not a terminal.
ctl ()
{
  local as=()
  if [[ ${1:-} == -u ]]; then
    as=("${AS_NOBODY[@]}")
    shift 2
  fi
  CTL_RC=0
  CTL_OUT=$("${as[@]}" "$CTL" "$@" </dev/null 2>"$SANDBOX_DIR/ctl.err") || CTL_RC=$?
  CTL_ERR=$(cat "$SANDBOX_DIR/ctl.err")
}

# ctl_ok ARG...: exits 0 and writes nothing to stderr but mount's one
# line saying what it did (kept in CTL_NOTE).
ctl_ok ()
{
  ctl "$@"
  ((CTL_RC == 0)) || fail "refmountctl $* exited $CTL_RC: $CTL_ERR"
  CTL_NOTE=
  if [[ $CTL_ERR =~ ^(Mounted|Attached|Attachment)\ [^$'\n']*$ ]]; then
    CTL_NOTE=$CTL_ERR
  else
    [[ -z $CTL_ERR ]] || fail "refmountctl $* wrote to stderr: $CTL_ERR"
  fi
}

# ctl_fails STATUS TEXT ARG...: exits STATUS, stdout empty, stderr one line
# containing TEXT, then for usage errors the pointer to --help, for others
# at most a "Hint: " line.
ctl_fails ()
{
  local status=$1 text=$2
  shift 2
  ctl "$@"
  assert_eq "$CTL_RC" "$status" "exit status of refmountctl $*"
  assert_eq "$CTL_OUT" "" "stdout of refmountctl $*"
  assert_contains "$CTL_ERR" "$text" "stderr of refmountctl $*"
  [[ $CTL_ERR != *"Not authorized"* ]] || sandbox_assert_polkit_denial "$CTL_ERR"
  if ((status == 2)); then
    assert_contains "$CTL_ERR" "Try 'refmountctl" "usage hint"
    assert_eq "$(wc -l <<<"$CTL_ERR")" 2 "usage error: message and hint"
  else
    assert_contains "$(head -n 1 <<<"$CTL_ERR")" "$text" "the error's first line"
    [[ $(wc -l <<<"$CTL_ERR") == 1 || $(sed -n '2,$p' <<<"$CTL_ERR") =~ ^Hint:\ [^$'\n']*$ ]] ||
      fail "refmountctl $*: one line on stderr, and a hint at most: $CTL_ERR"
  fi
}

# py CODE: run python3 with the last stdout as JSON in "j".
py ()
{
  JSON=$CTL_OUT ROOT=$SANDBOX_ROOT python3 -c '
import json, os, sys
j = json.loads(os.environ["JSON"])
root = os.environ["ROOT"]
def mountinfo():
    out = {}
    for line in open("/proc/self/mountinfo"):
        f = line.split()
        i = f.index("-")
        out[f[4]] = {"fstype": f[i + 1], "source": f[i + 2], "super": f[i + 3], "options": f[5]}
    return out
'"$1" || fail "JSON check failed: $1
JSON: $CTL_OUT"
}

A=$SANDBOX_ROOT/a
B=$SANDBOX_ROOT/b

# ---------------------------------------------------------------------------
tc "--version, --help, usage errors exit 2"
ctl_ok --version
[[ $CTL_OUT =~ ^refmountctl\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "--version printed: $CTL_OUT"
VERSION=${CTL_OUT#refmountctl }
ctl_ok --help
assert_contains "$CTL_OUT" "Usage: refmountctl"
TOP_HELP=$CTL_OUT
assert_contains "$TOP_HELP" "(umount is unmount" "--help names the alias"
for cmd in mount unmount umount list show status monitor recover reload; do
  [[ $cmd == umount ]] || assert_contains "$TOP_HELP" "  $cmd" "--help lists $cmd"
  ctl_ok "$cmd" --help
  assert_contains "$CTL_OUT" "refmountctl ${cmd/#umount/unmount}" "$cmd --help"
done
ctl_fails 2 "missing command"
ctl_fails 2 "unknown command 'frobnicate'" frobnicate
assert_not_contains "$CTL_ERR" "did you mean" "no suggestion for a word far from every command"
ctl_fails 2 "unknown command 'unmout'; did you mean 'unmount'?" unmout
ctl_fails 2 "unknown command 'lsit'; did you mean 'list'?" lsit
ctl_fails 2 "Unknown option --frob" --frob list
ctl_fails 2 "Unknown option --frob" list --frob
ctl_fails 2 "--json: expected pretty, short or off" list --json=loud
ctl_ok help unmount
assert_contains "$CTL_OUT" "refmountctl unmount" "help COMMAND"
ctl_fails 2 "missing -t FSTYPE" mount src "$A"
ctl_fails 2 "Missing argument for -t" mount src -t
ctl_fails 2 "missing argument" mount -t tmpfs
ctl_fails 2 "unexpected argument 'extra'" mount -t tmpfs src "$A" extra
ctl_fails 2 "empty mount option in -o 'size=1m,,ro'" mount -t tmpfs -o size=1m,,ro src "$A"
ctl_fails 2 "missing argument (expected MOUNTPOINT or SOURCE)" unmount
ctl_fails 2 "missing argument (expected MOUNTPOINT or SOURCE)" umount
ctl_fails 2 "--force and --lazy exclude each other" unmount --force --lazy "$A"
ctl_fails 2 "unexpected argument" show "$A" "$B"
ctl_fails 2 "unexpected argument 'x'" status x
ctl_fails 2 "unexpected argument 'x'" reload x
assert_not_mounted "$A"

# ---------------------------------------------------------------------------
tc "status --json matches the Manager's properties"
ctl_ok status --json
py '
assert j["version"] == "'"$VERSION"'", j
assert j["mount_roots"] == [root], j
assert "tmpfs" in j["supported_filesystems"], j
assert j["mounts"] == 0 and j["attachments"] == 0, j
assert j["states"] == {"mounted": 0, "busy": 0, "stale": 0}, j'
GEN=$(py 'print(j["generation"])')
assert_eq "$(rm_manager_property Generation)" "t $GEN" "generation"
assert_eq "$(rm_manager_property Version)" "s \"$VERSION\"" "refmountctl and refmountd versions"
ctl_ok status
assert_contains "$CTL_OUT" "Version: $VERSION"
assert_contains "$CTL_OUT" "Generation: $GEN"
assert_contains "$CTL_OUT" "Mount roots: $SANDBOX_ROOT"
assert_contains "$CTL_OUT" "Mounts: 0 (0 mounted, 0 busy, 0 stale)"
assert_contains "$CTL_OUT" "Health: 0 ok, 0 unresponsive, 0 stale-handle, 0 unknown"

tc "FilesystemTypes: AllowedOptions and UseHelper per type; status shows them"
assert_eq "$(rm_manager_property FilesystemTypes | tr -s ' ')" \
  'a{sa{sv}} 4 "tmpfs" 2 "AllowedOptions" as 7 "size" "mode" "nr_inodes" "ro" "rw" "noexec" "noatime" "UseHelper" b false "ramfs" 2 "AllowedOptions" as 1 "mode" "UseHelper" b false "nfs" 2 "AllowedOptions" as 6 "vers" "ro" "rw" "soft" "timeo" "retrans" "UseHelper" b true "cifs" 2 "AllowedOptions" as 3 "vers" "ro" "rw" "UseHelper" b true' \
  "FilesystemTypes"
ctl_ok status --json
py '
t = j["filesystem_types"]
assert sorted(t) == sorted(j["supported_filesystems"]), t
assert t["tmpfs"] == {"allowed_options": ["size", "mode", "nr_inodes", "ro", "rw", "noexec", "noatime"],
                      "use_helper": False}, t
assert t["nfs"]["use_helper"] is True and t["ramfs"]["allowed_options"] == ["mode"], t'
ctl_ok status
assert_contains "$CTL_OUT" "TYPE   HELPER  ALLOWED OPTIONS" "status: the types table"
assert_contains "$CTL_OUT" "tmpfs  no      size,mode,nr_inodes,ro,rw,noexec,noatime"
assert_contains "$CTL_OUT" "nfs    yes     vers,ro,rw,soft,timeo,retrans"
ctl_ok status --no-legend
assert_not_contains "$CTL_OUT" "ALLOWED OPTIONS" "status --no-legend"

# ---------------------------------------------------------------------------
tc "mount prints the mountpoint; -o is split into single options"
ctl_ok mount -t tmpfs -o size=1m,mode=0750 -o noatime share-a "$A"
assert_eq "$CTL_OUT" "$A" "mount output"
assert_eq "$CTL_NOTE" "Mounted share-a at $A; attachment refmountctl:0." "mount says it mounted"
assert_mounted "$A"
assert_eq "$(mount_field "$A" fstype)" tmpfs
assert_eq "$(mount_field "$A" source)" share-a
assert_contains "$(mount_field "$A" super)" size=1024k "size=1m reached the kernel"
assert_contains "$(mount_field "$A" super)" mode=750 "mode=0750 reached the kernel"
assert_contains "$(mount_field "$A" options)" noatime "noatime reached the kernel"
# A relative MOUNTPOINT with a trailing slash names the same mountpoint.
ctl_ok mount -t tmpfs -o size=1m,mode=0750,noatime --attachment vm-2 share-a "${A#"$PWD"/}/"
assert_eq "$CTL_OUT" "$A" "second attachment"
assert_eq "$CTL_NOTE" "Attached vm-2 to $A, which was already mounted; 2 attachments now." \
  "mount says it attached"
assert_mounted "$A"
ctl_ok mount -t tmpfs -o size=1m,mode=0750,noatime --attachment vm-2 share-a "$A"
assert_eq "$CTL_NOTE" "Attachment vm-2 was already attached to $A; nothing changed." \
  "mount says the attachment was there"
ctl_ok -q mount -t tmpfs -o size=1m,mode=0750,noatime --attachment vm-2 share-a "$A"
assert_eq "$CTL_OUT/$CTL_ERR" "$A/" "-q: only the mountpoint"
ctl_ok mount --json=short -t tmpfs -o size=1m,mode=0750,noatime --attachment vm-2 share-a "$A"
py '
assert j == {"mountpoint": root + "/a", "object_path": j["object_path"], "attachment": "vm-2",
             "action": "already-attached", "attachments": 2}, j'
assert_eq "$(wc -l <<<"$CTL_OUT")" 1 "--json=short: one line"

tc "mount without MOUNTPOINT: the daemon derives ROOT/FSTYPE-HASH16"
ctl_ok mount -t tmpfs -o size=1m derived-src
HASH=$(printf '%s' derived-src | sha256sum | cut -c1-16)
D=$SANDBOX_ROOT/tmpfs-$HASH
assert_eq "$CTL_OUT" "$D" "derived mountpoint"
assert_mounted "$D"

tc "mount --json says what it did"
ctl_ok mount --json -t tmpfs -o size=1m --attachment j-0 json-src "$B"
py '
assert j["mountpoint"] == root + "/b" and j["action"] == "mounted" and j["attachments"] == 1, j
assert j["attachment"] == "j-0" and j["object_path"].startswith("/org/refmount/Refmount1/mounts/"), j'
ctl_ok --json mount -t tmpfs -o size=1m --attachment j-1 json-src "$B"
py 'assert j["action"] == "attached" and j["attachments"] == 2, j'
ctl_ok unmount --attachment j-0 "$B"
ctl_ok unmount --json --attachment j-1 "$B"
py 'assert j == {"mountpoint": root + "/b", "attachment": "j-1", "unmounted": True,
             "state": "unmounted", "attachments": 0}, j'
assert_not_mounted "$B"

# ---------------------------------------------------------------------------
tc "list --json agrees with /proc/self/mountinfo"
ctl_ok list --json
py '
mounts = j["mounts"]
info = mountinfo()
assert [m["mountpoint"] for m in mounts] == sorted([root + "/a", "'"$D"'"]), mounts
for m in mounts:
    k = info[m["mountpoint"]]
    assert m["fstype"] == k["fstype"] == "tmpfs", (m, k)
    assert m["source"] == k["source"], (m, k)
    assert m["state"] == "mounted", m
    assert m["mounted_at_usec"] > 0, m
    assert m["object_path"].startswith("/org/refmount/Refmount1/mounts/"), m
    assert "nosuid" in m["options"] and "nodev" in m["options"], m
    assert "nosuid" in k["options"] and "nodev" in k["options"], k
    assert set(m) == {"mountpoint", "fstype", "source", "options", "state",
                      "mounted_at_usec", "health", "health_checked_at_usec", "health_message",
                      "usage", "object_path", "attachments"}, sorted(m)
    assert m["health"] == "unknown", m
    assert set(m["usage"]) == {"size", "free", "available"}, m
a = [m for m in mounts if m["mountpoint"] == root + "/a"][0]
assert "size=1m" in a["options"] and "noatime" in a["options"], a
assert sorted(x["id"] for x in a["attachments"]) == ["refmountctl:0", "vm-2"], a
for x in a["attachments"]:
    assert x["uid"] == 0 and x["attached_at_usec"] >= a["mounted_at_usec"], x
    assert set(x) == {"id", "uid", "attached_at_usec"}, x
'
assert_eq "$(py 'print(j["mounts"][0]["object_path"])')" "$(rm_object_path_for "$A")" "object path"

tc "list: an aligned table with header and footer; --no-legend"
ctl_ok list
python3 - "$CTL_OUT" "$A" "$D" <<'EOF' || fail "table check failed: $CTL_OUT"
import sys
text, a, d = sys.argv[1:]
lines = text.split("\n")
header = lines[0]
assert header.split() == ["MOUNTPOINT", "FSTYPE", "SOURCE", "STATE", "HEALTH", "ATTACHMENTS"], header
assert lines[-1] == "2 mounts listed.", lines
assert lines[-2] == "", lines
rows = lines[1:-2]
# tmpfs has health checks off: "unknown".
assert [r.split() for r in rows] == [[a, "tmpfs", "share-a", "mounted", "unknown", "2"],
                                     [d, "tmpfs", "derived-src", "mounted", "unknown", "1"]], rows
# Every column starts where its header starts.
for name in ["FSTYPE", "SOURCE", "STATE", "HEALTH", "ATTACHMENTS"]:
    col = header.index(name)
    for r in rows:
        assert r[col - 1] == " " and r[col] != " ", (name, r)
EOF
ctl_ok list --no-legend
assert_eq "$(wc -l <<<"$CTL_OUT")" 2 "--no-legend: only the rows"
assert_not_contains "$CTL_OUT" MOUNTPOINT
assert_not_contains "$CTL_OUT" listed

tc "list: columns aligned by terminal width (wide characters, long paths)"
WIDE=$SANDBOX_ROOT/日本語-données
LONG=$SANDBOX_ROOT/$(printf 'long%.0s' {1..20})
ctl_ok mount -t tmpfs -o size=1m 源-wide "$WIDE"
ctl_ok mount -t tmpfs -o size=1m long-src "$LONG"
ctl_ok list
python3 - "$CTL_OUT" <<'EOF' || fail "wide table check failed: $CTL_OUT"
import sys, unicodedata
def width(s):
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in s)
lines = sys.argv[1].split("\n")
header, rows = lines[0], lines[1:-2]
assert len(rows) == 4, rows
for name in ["FSTYPE", "SOURCE", "STATE", "HEALTH", "ATTACHMENTS"]:
    col = width(header[:header.index(name)])
    for r in rows:
        # The cell starts at the same terminal column as its header.
        i = 0
        while width(r[:i]) < col:
            i += 1
        assert width(r[:i]) == col and r[i - 1] == " " and r[i] != " ", (name, r)
EOF
ctl_ok unmount "$WIDE"
ctl_ok unmount "$LONG"

tc "global options before or after the command; --; --no-pager, --no-legend, -q"
ctl_ok --json=short list
assert_eq "$(wc -l <<<"$CTL_OUT")" 1 "--json=short before the command"
py 'assert len(j["mounts"]) == 2, j'
ctl_ok list --json=pretty --no-pager
assert_contains "$CTL_OUT" $'{\n  "mounts"' "--json=pretty after the command"
ctl_ok --no-legend --no-pager -- list
assert_eq "$(wc -l <<<"$CTL_OUT")" 2 "--no-legend before the command"
ctl_ok --quiet unmount --attachment vm-2 "$A"
assert_eq "$CTL_OUT" "" "--quiet unmount prints nothing"
ctl_ok mount -t tmpfs -o size=1m,mode=0750,noatime --attachment vm-2 share-a "$A" -q
assert_eq "$CTL_OUT/$CTL_ERR" "$A/" "-q after the arguments"
ctl_ok --no-ask-password show "$A" --json=short --no-pager
py 'assert j["mountpoint"] == root + "/a", j'
# After --, an argument may start with "-".
ctl_fails 2 "Unknown option -x" show -x
ctl_fails 4 "'-x' is neither a managed mountpoint nor the source of one" show -- -x
ctl_fails 1 "Invalid source '-dash'" mount -t tmpfs -- -dash "$B"

tc "show MOUNTPOINT [--json]"
ctl_ok show "$A" --json
py '
assert j["mountpoint"] == root + "/a" and j["source"] == "share-a", j
assert len(j["attachments"]) == 2, j
'
ctl_ok show "$A"
assert_contains "$CTL_OUT" "Mountpoint: $A"
assert_contains "$CTL_OUT" "Source: share-a"
assert_contains "$CTL_OUT" "Type: tmpfs"
assert_contains "$CTL_OUT" "State: mounted"
assert_contains "$CTL_OUT" "Attachments: 2"
assert_contains "$CTL_OUT" "refmountctl:0 (uid 0, since "
assert_contains "$CTL_OUT" "vm-2 (uid 0, since "

assert_contains "$CTL_OUT" "Health: unknown: " "show: Health (tmpfs: checks off)"
assert_contains "$CTL_OUT" "Usage: " "show: Usage"

tc "recover MOUNTPOINT|SOURCE: a fresh mount, attachments kept; refused for nobody"
ctl_fails 3 "Not authorized to perform 'org.refmount.manage'" -u nobody --no-ask-password recover "$A"
ctl_fails 4 "is neither a managed mountpoint" recover "$SANDBOX_ROOT/nothing-here"
ctl_fails 2 "MOUNTPOINT or SOURCE" recover
echo "before recover" >"$A/marker"
before=$(rm_mount_property "$(rm_object_path_for "$A")" MountedAt)
ctl_ok recover share-a
[[ ! -e $A/marker ]] || fail "recover should give a fresh tmpfs (the marker file is still there)"
assert_eq "$(mount_count "$A")" 1 "one mount at $A after recover"
assert_ne "$(rm_mount_property "$(rm_object_path_for "$A")" MountedAt)" "$before" "MountedAt after recover"
ctl_ok show "$A" --json
py '
assert j["state"] == "mounted", j
assert sorted(x["id"] for x in j["attachments"]) == ["refmountctl:0", "vm-2"], j
'

tc "show and unmount take a SOURCE, -t TYPE SOURCE, or a relative mountpoint"
ctl_ok show --json share-a
py 'assert j["mountpoint"] == root + "/a", j'
ctl_ok show -t tmpfs --json share-a
py 'assert j["mountpoint"] == root + "/a", j'
ctl_fails 4 "'share-a' is neither a managed mountpoint nor the source of one" show -t ramfs share-a
ctl_fails 4 "is neither a managed mountpoint" show "$(basename "$A")"
(cd "$SANDBOX_ROOT" && ctl_ok show --json a && py 'assert j["mountpoint"] == root + "/a", j') ||
  fail "show with a mountpoint relative to the current directory"
# A source with a colon and a slash, mounted at a derived mountpoint: not
# a path relative to the current directory.
ctl_ok mount -t tmpfs -o size=1m fileserver:/export/images
FS=$CTL_OUT
ctl_ok show fileserver:/export/images
assert_contains "$CTL_OUT" "Mountpoint: $FS"
ctl_ok unmount fileserver:/export/images
assert_eq "$CTL_OUT" "Released attachment refmountctl:0; $FS is unmounted."
assert_not_mounted "$FS"
# One source at two mountpoints: named, not guessed.
ctl_ok mount -t tmpfs -o size=1m twice "$SANDBOX_ROOT/t1"
ctl_ok mount -t tmpfs -o size=1m twice "$SANDBOX_ROOT/t2"
ctl_fails 1 "Source 'twice' is mounted at 2 managed mountpoints: $SANDBOX_ROOT/t1 (tmpfs), $SANDBOX_ROOT/t2 (tmpfs)" unmount twice
assert_mounted "$SANDBOX_ROOT/t1"
ctl_ok umount "$SANDBOX_ROOT/t1"
ctl_ok umount twice
assert_eq "$CTL_OUT" "Released attachment refmountctl:0; $SANDBOX_ROOT/t2 is unmounted."
# Nothing matches: the nearest managed mountpoint is suggested.
ctl_fails 4 "'$SANDBOX_ROOT/b' is neither a managed mountpoint nor the source of one; did you mean '$A'?" show "$SANDBOX_ROOT/b"
ctl_fails 4 "did you mean '$A'?" unmount "$SANDBOX_ROOT/a/"x
ctl_fails 4 "neither a managed mountpoint nor the source of one (refmountctl list shows them)" show /srv/elsewhere
ctl_ok status --json
py 'assert (j["mounts"], j["attachments"], j["states"]["mounted"]) == (2, 3, 2), j'

# ---------------------------------------------------------------------------
tc "unmount: still held by N, then unmounted"
ctl_ok unmount --attachment vm-2 "$A"
assert_eq "$CTL_OUT" "Released attachment vm-2; $A is still mounted, held by 1 attachment."
assert_mounted "$A"
ctl_ok mount -t tmpfs -o size=1m,mode=0750,noatime --attachment vm-3 share-a "$A"
ctl_ok mount -t tmpfs -o size=1m,mode=0750,noatime --attachment vm-4 share-a "$A"
ctl_ok unmount "$A"
assert_eq "$CTL_OUT" "Released attachment refmountctl:0; $A is still mounted, held by 2 attachments."
ctl_ok unmount --attachment vm-3 "$A"
ctl_ok unmount --attachment vm-4 "$A"
assert_eq "$CTL_OUT" "Released attachment vm-4; $A is unmounted."
assert_not_mounted "$A"

# ---------------------------------------------------------------------------
tc "errors: said once, with what to do next; an exit status per kind"
ctl_fails 4 "'$A' is neither a managed mountpoint nor the source of one" unmount "$A"
ctl_fails 4 "'$A' is neither a managed mountpoint" show "$A"
ctl_fails 4 "Attachment 'nope' is not attached to mountpoint '$D'" unmount --attachment nope "$D"
assert_mounted "$D"
ctl_fails 1 "option 'suid' is never allowed" mount -t tmpfs -o suid share-b "$B"
assert_contains "$CTL_ERR" "Hint: Options allowed for tmpfs: size, mode, nr_inodes, ro, rw, noexec, noatime (see refmountctl status)."
ctl_fails 1 "option 'vers=3' is not allowed for tmpfs" mount -t tmpfs -o size=1m,vers=3 share-b "$B"
assert_contains "$CTL_ERR" "Hint: Options allowed for tmpfs: size, mode,"
ctl_fails 1 "Invalid " mount -t ext4 share-b "$B"
assert_contains "$CTL_ERR" "Hint: Filesystem types refmountd allows: tmpfs, ramfs, nfs, cifs."
ctl_fails 1 "Invalid " -q mount -t tmpfs -o suid share-b "$B"
assert_not_contains "$CTL_ERR" "Hint:" "-q: no hint"
ctl_fails 1 "/tmp/outside" mount -t tmpfs share-b /tmp/outside
assert_not_contains "$CTL_ERR" "Hint:" "no hint for a refused mountpoint"
ctl_fails 1 "Invalid " mount -t tmpfs --attachment -bad share-b "$B"
ctl_fails 5 "Mountpoint '$D' already holds source 'derived-src'" mount -t tmpfs -o size=2m other-src "$D"
ctl_fails 1 "Invalid attachment 'bad id'" unmount --attachment "bad id" "$D"
ctl_fails 6 "" mount -t tmpfs -o size=bogus share-b "$B"
assert_not_mounted "$B"

tc "--json: errors as one JSON object on stderr"
ctl --json show "$SANDBOX_ROOT/nothing"
assert_eq "$CTL_RC" 4 "exit status"
assert_eq "$CTL_OUT" "" "stdout"
CTL_OUT=$CTL_ERR py '
assert j == {"command": "show", "error": "org.refmount.Refmount1.Error.NotFound",
             "message": j["message"], "exit_status": 4}, j
assert "nothing" in j["message"], j'
ctl mount -t tmpfs -o suid share-b "$B" --json=pretty
assert_eq "$CTL_RC" 1 "exit status"
CTL_OUT=$CTL_ERR py '
assert j["error"] == "org.refmount.Refmount1.Error.InvalidArgument" and j["exit_status"] == 1, j
assert "suid" in j["message"] and j["hint"].startswith("Hint: Options allowed for tmpfs"), j'
assert_contains "$CTL_ERR" $'{\n  "command"' "--json=pretty: indented"
ctl --json list --frob
assert_eq "$CTL_RC" 2 "exit status"
CTL_OUT=$CTL_ERR py '
assert j["error"] is None and j["exit_status"] == 2 and j["command"] == "list", j
assert j["message"] == "Unknown option --frob", j'

# ---------------------------------------------------------------------------
tc "nobody: NotAuthorized (exit 3) without a rule, said once, with a hint"
ctl_fails 3 "Not authorized to perform 'org.refmount.mount'" -u nobody mount -t tmpfs -o size=1m share-b "$B"
assert_not_contains "$CTL_ERR" "Not authorized: Not authorized" "said once"
# Without a terminal the call still allows interactive authorization (a
# desktop agent may answer); here no agent is registered.
assert_contains "$CTL_ERR" "no authentication agent completed it"
assert_contains "$CTL_ERR" "Hint: no authentication agent answered"
assert_contains "$CTL_ERR" "polkit/examples/"
ctl_fails 3 "Not authorized to perform" -u nobody --no-ask-password mount -t tmpfs -o size=1m share-b "$B"
assert_contains "$CTL_ERR" "did not allow interactive authorization"
assert_contains "$CTL_ERR" "Hint: without --no-ask-password"
ctl_fails 3 "Not authorized to perform" -u nobody mount --no-ask-password -t tmpfs -o size=1m share-b "$B"
ctl_fails 3 "Not authorized to perform" -u nobody mount -t tmpfs -o size=1m share-b "$B" --no-ask-password
ctl_fails 3 "Not authorized to perform 'org.refmount.manage'" -u nobody reload
ctl_fails 3 "Not authorized to perform" -u nobody unmount --attachment refmountctl:0 "$D"
assert_not_mounted "$B"
assert_mounted "$D"

# On a terminal refmountctl starts pkttyagent for the call (it registers
# for refmountctl's process, polkitd logs that) and stops it afterwards.
# Without a logind session polkitd does not route the challenge of a
# system-bus-name subject to a process-scoped agent, so the call still
# ends in NotAuthorized here; what is checked is the agent's lifetime.
_agents_registered ()
{
  grep -c 'Registered Authentication Agent for unix-process' "$SANDBOX_DIR/polkitd.log" || true
}
_agents_unregistered ()
{
  grep -c 'Unregistered Authentication Agent for unix-process' "$SANDBOX_DIR/polkitd.log" || true
}
if command -v script >/dev/null 2>&1 && [[ -x /usr/bin/pkttyagent && -z ${SANDBOX_POLKIT_NO_DEBUG:-} ]]; then
  tc "on a TTY: pkttyagent for the call; --no-ask-password: none"
  before=$(_agents_registered)
  TTY_CMD=$(printf '%q ' "${AS_NOBODY[@]}" "$CTL" mount -t tmpfs -o size=1m share-b "$B")
  rc=0
  out=$(timeout 60 script -qec "$TTY_CMD" /dev/null </dev/null 2>&1) || rc=$?
  assert_eq "$rc" 3 "exit status on a TTY: $out"
  assert_contains "$out" "Not authorized"
  assert_not_contains "$out" "Hint:" "on a terminal polkit could ask: no hint"
  assert_eq "$(_agents_registered)" "$((before + 1))" "pkttyagent registered once"
  grep 'Registered Authentication Agent for unix-process' "$SANDBOX_DIR/polkitd.log" | tail -n 1 |
    grep -q -- '--notify-fd 3 --fallback' || fail "pkttyagent's command line: $(tail -n 5 "$SANDBOX_DIR/polkitd.log")"
  _agent_gone ()
  {
    [[ $(_agents_unregistered) == "$(_agents_registered)" ]]
  }
  sandbox_wait_until 10 "pkttyagent to be stopped" _agent_gone

  TTY_CMD=$(printf '%q ' "${AS_NOBODY[@]}" "$CTL" --no-ask-password mount -t tmpfs -o size=1m share-b "$B")
  rc=0
  out=$(timeout 60 script -qec "$TTY_CMD" /dev/null </dev/null 2>&1) || rc=$?
  assert_eq "$rc" 3 "exit status on a TTY with --no-ask-password: $out"
  assert_contains "$out" "Not authorized"
  assert_eq "$(_agents_registered)" "$((before + 1))" "--no-ask-password must not start pkttyagent"
  assert_not_mounted "$B"
fi

tc "nobody with a rule: mount, default attachment refmountctl:65534, unmount"
sandbox_set_rules ctl-nobody "$(
  cat <<EOF
polkit.addRule(function(action, subject) {
    if (action.id == "org.refmount.mount" && subject.user == "nobody" &&
        action.lookup("fstype") == "tmpfs" &&
        action.lookup("mountpoint") == "$B")
        return polkit.Result.YES;
    return polkit.Result.NOT_HANDLED;
});
EOF
)"
ctl -u nobody mount -t tmpfs -o size=1m share-b "$B"
((CTL_RC == 0)) || fail "nobody's mount failed ($CTL_RC): $CTL_ERR"
assert_eq "$CTL_OUT" "$B"
assert_mounted "$B"
ctl_ok show --json "$B"
py 'assert [(x["id"], x["uid"]) for x in j["attachments"]] == [("refmountctl:65534", 65534)], j'
ctl_fails 4 "Attachment 'refmountctl:0' is not attached to mountpoint '$B'" -u nobody unmount --attachment refmountctl:0 "$B"
ctl -u nobody unmount "$B"
((CTL_RC == 0)) || fail "nobody's unmount failed ($CTL_RC): $CTL_ERR"
assert_eq "$CTL_OUT" "Released attachment refmountctl:65534; $B is unmounted."
assert_not_mounted "$B"
sandbox_remove_rules ctl-nobody

# ---------------------------------------------------------------------------
tc "reload: re-reads the configuration"
ctl_ok reload
assert_eq "$CTL_OUT" "" "reload prints nothing"
SANDBOX_ALLOWED_FS='tmpfs;ramfs;' sandbox_write_config
ctl_ok reload
ctl_ok status --json
py 'assert sorted(j["supported_filesystems"]) == ["ramfs", "tmpfs"], j
assert sorted(j["filesystem_types"]) == ["ramfs", "tmpfs"], j'
SANDBOX_ALLOWED_FS='tmpfs;ramfs;' sandbox_write_config "[Filesystem ramfs]
AllowedOptions=mode;size;"
ctl_ok reload
ctl_ok status --json
py 'assert j["filesystem_types"]["ramfs"]["allowed_options"] == ["mode", "size"], j'

# ---------------------------------------------------------------------------
tc "mount --release-on-exit holds the attachment while refmountctl runs"
R=$SANDBOX_ROOT/roe
"$CTL" mount --release-on-exit -t tmpfs -o size=1m roe-src "$R" \
  </dev/null >"$SANDBOX_DIR/roe.out" 2>"$SANDBOX_DIR/roe.err" &
ROE_PID=$!
sandbox_track_pid "$ROE_PID"
_roe_ready ()
{
  [[ -s $SANDBOX_DIR/roe.out ]] && return 0
  sandbox_pid_alive "$ROE_PID" || fail "refmountctl --release-on-exit exited: $(cat "$SANDBOX_DIR/roe.err")"
  return 1
}
sandbox_wait_until 30 "refmountctl --release-on-exit to print the mountpoint" _roe_ready
assert_eq "$(cat "$SANDBOX_DIR/roe.out")" "$R"
assert_mounted "$R"
sandbox_pid_alive "$ROE_PID" || fail "refmountctl --release-on-exit did not keep running"
sandbox_stop_pid "$ROE_PID" TERM 10
assert_eq "$SANDBOX_LAST_STATUS" 0 "refmountctl exit status after SIGTERM"
sandbox_wait_unmounted "$R" 10

# ---------------------------------------------------------------------------
# monitor_start [ARG...]: refmountctl monitor in the background, ready.
monitor_start ()
{
  # Not the previous monitor's files: the shell goes on before the child
  # has opened (and truncated) them.
  rm -f "$SANDBOX_DIR/monitor.out" "$SANDBOX_DIR/monitor.err"
  "$CTL" monitor "$@" </dev/null >"$SANDBOX_DIR/monitor.out" 2>"$SANDBOX_DIR/monitor.err" &
  MON_PID=$!
  sandbox_track_pid "$MON_PID"
  _monitor_ready ()
  {
    grep -q '^Monitoring refmountd' "$SANDBOX_DIR/monitor.err" 2>/dev/null && return 0
    sandbox_pid_alive "$MON_PID" || fail "monitor exited: $(cat "$SANDBOX_DIR/monitor.err")"
    return 1
  }
  sandbox_wait_until 30 "refmountctl monitor to start" _monitor_ready
}

_monitor_saw ()
{
  grep -q -- "$1" "$SANDBOX_DIR/monitor.out" 2>/dev/null
}

monitor_stop ()
{
  sandbox_stop_pid "$MON_PID" INT 10
  assert_eq "$SANDBOX_LAST_STATUS" 0 "monitor's exit status after SIGINT"
}

M=$SANDBOX_ROOT/m
tc "monitor sees added, attached, detached, removed"
monitor_start
ctl_ok mount -t tmpfs -o size=1m --attachment m-1 mon-src "$M"
ctl_ok mount -t tmpfs -o size=1m --attachment m-2 mon-src "$M"
ctl_ok unmount --attachment m-2 "$M"
ctl_ok unmount --attachment m-1 "$M"
sandbox_wait_until 20 "monitor to report the removal" _monitor_saw "removed"
monitor_stop
# Drop the time stamps; the rest is deterministic.
EVENTS=$(awk '{ $1 = ""; sub(/^ +/, ""); print }' "$SANDBOX_DIR/monitor.out")
EXPECTED="added $M tmpfs mon-src, mounted
attached $M m-1 (uid 0)
attached $M m-2 (uid 0)
detached $M m-2 (uid 0)
detached $M m-1 (uid 0)
removed $M"
assert_eq "$(tr -s ' ' <<<"$EVENTS")" "$EXPECTED" "monitor events"

tc "monitor --json: one JSON object per event"
monitor_start --json
ctl_ok mount -t tmpfs -o size=1m --attachment j-1 mon-src "$M"
ctl_ok unmount --attachment j-1 "$M"
sandbox_wait_until 20 "monitor to report the removal" _monitor_saw '"removed"'
monitor_stop
CTL_OUT=$(cat "$SANDBOX_DIR/monitor.out")
JSON=$CTL_OUT python3 -c '
import json, os
events = [json.loads(l) for l in os.environ["JSON"].splitlines()]
got = [(e["event"], e["mountpoint"], e.get("attachment"), e.get("uid")) for e in events]
m = "'"$M"'"
assert got == [("added", m, None, None), ("attached", m, "j-1", 0),
               ("detached", m, "j-1", 0), ("removed", m, None, None)], got
assert events[0]["fstype"] == "tmpfs" and events[0]["source"] == "mon-src", events[0]
assert all(isinstance(e["time_usec"], int) for e in events), events
' || fail "monitor --json events: $CTL_OUT"

tc "unmount of a busy filesystem: deferred; list, status and monitor show it"
BZ=$SANDBOX_ROOT/busy
ctl_ok mount -t tmpfs -o size=1m busy-src "$BZ"
monitor_start
# A process with its working directory there makes umount(2) fail EBUSY.
(cd "$BZ" && exec sleep 120) &
BUSY_PID=$!
sandbox_track_pid "$BUSY_PID"
_busy_holder_in ()
{
  [[ $(readlink "/proc/$BUSY_PID/cwd") == "$BZ" ]]
}
sandbox_wait_until 10 "the holder to enter $BZ" _busy_holder_in
ctl_ok unmount "$BZ"
assert_eq "$CTL_OUT" "Released attachment refmountctl:0; $BZ is busy: its unmount is deferred and retried."
assert_mounted "$BZ"
ctl_ok list --no-legend
assert_eq "$(awk -v p="$BZ" '$1 == p { print $3, $4, $5, $6 }' <<<"$CTL_OUT")" "busy-src busy unknown 0" \
  "list shows the busy state"
ctl_ok status --json
py 'assert j["states"]["busy"] == 1 and j["attachments"] == 1, j'
sandbox_stop_pid "$BUSY_PID" TERM 10
sandbox_wait_unmounted "$BZ" 30
sandbox_wait_until 20 "monitor to report the removal" _monitor_saw "removed"
monitor_stop
EVENTS=$(awk '{ $1 = ""; sub(/^ +/, ""); print }' "$SANDBOX_DIR/monitor.out" | tr -s ' ')
assert_contains "$EVENTS" "state $BZ mounted -> busy" "monitor: state change"
assert_contains "$EVENTS" "detached $BZ refmountctl:0 (uid 0)" "monitor: detach"
assert_contains "$EVENTS" "removed $BZ" "monitor: removal after the retry"

tc "monitor across a daemon restart: no detach for mounts that stay"
K=$SANDBOX_ROOT/keep
ctl_ok mount -t tmpfs -o size=1m --attachment keep-1 keep-src "$K"
monitor_start
sandbox_stop_daemon
sandbox_start_daemon
ctl_ok mount -t tmpfs -o size=1m --attachment keep-2 keep-src "$K"
sandbox_wait_until 20 "monitor to report keep-2" _monitor_saw "keep-2"
monitor_stop
EVENTS=$(awk '{ $1 = ""; sub(/^ +/, ""); print }' "$SANDBOX_DIR/monitor.out")
assert_eq "$(tr -s ' ' <<<"$EVENTS")" "daemon-left $RM_BUS
daemon-appeared $RM_BUS
attached $K keep-2 (uid 0)" "monitor events across a restart"
ctl_ok unmount --attachment keep-1 "$K"
ctl_ok unmount --attachment keep-2 "$K"
assert_not_mounted "$K"

# ---------------------------------------------------------------------------
tc "bash completion offers managed mountpoints"
if [[ -f /usr/share/bash-completion/bash_completion ]]; then
  S=$SANDBOX_ROOT/with\ space
  ctl_ok mount -t tmpfs -o size=1m spaced "$S"
  ctl_ok list --no-legend
  assert_contains "$CTL_OUT" "$SANDBOX_ROOT/with\\x20space" "list escapes whitespace"
  COMP=$(PATH=$(dirname "$CTL"):$PATH bash -c '
    source "$1"
    COMP_WORDS=(refmountctl unmount "$2/")
    COMP_CWORD=2
    _refmountctl
    printf "%s\n" "${COMPREPLY[@]}"
    COMP_WORDS=(refmountctl mount -t "")
    COMP_CWORD=3
    _refmountctl
    printf "fs:%s\n" "${COMPREPLY[@]}"
    COMP_WORDS=(refmountctl mount -t ramfs -o "")
    COMP_CWORD=5
    _refmountctl
    printf "opt:%s\n" "${COMPREPLY[@]}"' _ "$SANDBOX_SOURCE_DIR/data/completion/refmountctl" "$SANDBOX_ROOT")
  # printf %q output of the two mountpoints, sorted by list.
  assert_eq "$(grep -v -e '^fs:' -e '^opt:' <<<"$COMP")" "$(printf '%q\n%q' "$D" "$S")" "completed mountpoints"
  assert_eq "$(grep '^fs:' <<<"$COMP" | sort | tr '\n' ' ')" "fs:ramfs fs:tmpfs " "completed -t"
  assert_eq "$(grep '^opt:' <<<"$COMP" | sort | tr '\n' ' ')" "opt:mode opt:size " "completed -o after -t ramfs"
  ctl_ok unmount "$S"
fi

ctl_ok unmount "$D"
assert_not_mounted "$D"
ctl_ok list --json
py 'assert j == {"mounts": []}, j'
ctl_ok list
assert_eq "$CTL_OUT" "MOUNTPOINT  FSTYPE  SOURCE  STATE  HEALTH  ATTACHMENTS

0 mounts listed." "empty list"

tc "the daemon gone: exit 8 with words"
sandbox_stop_daemon
ctl_fails 8 "refmountd is not available on the system bus" list
ctl_fails 8 "refmountd is not available on the system bus" unmount "$D"
ctl --json status
assert_eq "$CTL_RC" 8 "exit status"
CTL_OUT=$CTL_ERR py 'assert j["error"] == "org.freedesktop.DBus.Error.ServiceUnknown" and j["exit_status"] == 8, j'

tc "monitor waits for the daemon to appear"
rm -f "$SANDBOX_DIR/monitor.out" "$SANDBOX_DIR/monitor.err"
"$CTL" monitor </dev/null >"$SANDBOX_DIR/monitor.out" 2>"$SANDBOX_DIR/monitor.err" &
MON_PID=$!
sandbox_track_pid "$MON_PID"
_monitor_waiting ()
{
  grep -q '^Monitoring refmountd (not running; waiting for it to appear on the bus)' \
    "$SANDBOX_DIR/monitor.err" 2>/dev/null && return 0
  sandbox_pid_alive "$MON_PID" || fail "monitor exited: $(cat "$SANDBOX_DIR/monitor.err")"
  return 1
}
sandbox_wait_until 30 "refmountctl monitor to wait" _monitor_waiting
sandbox_start_daemon
sandbox_wait_until 20 "monitor to see the daemon" _monitor_saw "daemon-appeared"
W=$SANDBOX_ROOT/w
ctl_ok mount -t tmpfs -o size=1m --attachment w-1 wait-src "$W"
sandbox_wait_until 20 "monitor to see the attachment" _monitor_saw "w-1"
sandbox_stop_daemon
sandbox_wait_until 20 "monitor to see the daemon leave" _monitor_saw "daemon-left"
monitor_stop
EVENTS=$(awk '{ $1 = ""; sub(/^ +/, ""); print }' "$SANDBOX_DIR/monitor.out" | tr -s ' ')
assert_contains "$EVENTS" "daemon-appeared $RM_BUS
added $W tmpfs wait-src, mounted
attached $W w-1 (uid 0)" "monitor events after waiting"
assert_contains "$EVENTS" "daemon-left $RM_BUS"
sandbox_start_daemon
ctl_ok unmount --attachment w-1 "$W"
assert_not_mounted "$W"
sandbox_stop_daemon

tc "the bus gone: monitor and mount --release-on-exit exit 1 and say why"
sandbox_start_daemon
rm -f "$SANDBOX_DIR/roe.out" "$SANDBOX_DIR/roe.err"
"$CTL" mount --release-on-exit -t tmpfs -o size=1m roe-src "$R" \
  </dev/null >"$SANDBOX_DIR/roe.out" 2>"$SANDBOX_DIR/roe.err" &
ROE_PID=$!
sandbox_track_pid "$ROE_PID"
sandbox_wait_until 30 "refmountctl --release-on-exit to print the mountpoint" _roe_ready
monitor_start
_both_exited ()
{
  ! sandbox_pid_alive "$ROE_PID" && ! sandbox_pid_alive "$MON_PID"
}
# The last case: without a bus the sandbox's own helpers cannot work.
sandbox_stop_bus
sandbox_wait_until 20 "refmountctl to notice the lost bus" _both_exited
sandbox_stop_pid "$ROE_PID"
assert_eq "$SANDBOX_LAST_STATUS" 1 "mount --release-on-exit after losing the bus"
assert_contains "$(cat "$SANDBOX_DIR/roe.err")" "refmountctl mount: lost the connection to the system bus"
sandbox_stop_pid "$MON_PID"
assert_eq "$SANDBOX_LAST_STATUS" 1 "monitor after losing the bus"
assert_contains "$(cat "$SANDBOX_DIR/monitor.err")" "refmountctl monitor: lost the connection to the system bus"

printf 'PASS: %d cases\n' "$SANDBOX_CASES_RUN" >&2
