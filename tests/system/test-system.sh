#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# System test: refmount as a sysadmin installs it, under a real systemd.
#
# A minimal Debian 12 root (mmdebstrap, cached between runs) with the
# runtime packages; refmount built with --prefix=/usr and installed into
# it with "meson install --destdir"; the root booted with its own systemd
# (systemd-nspawn -b, /dev/fuse bound in, private network).  Then, through
# the container's system bus:
#
#   * the first Mount starts refmountd.service by D-Bus activation, under
#     the shipped unit and its hardening, and the tmpfs is visible in PID
#     1's mount namespace;
#   * uid nobody is refused by the real polkitd (NotAuthorized);
#   * sshfs against the container's own sshd, with the shipped config
#     (the key and known_hosts in /etc/refmount/ssh), a file written
#     through it;
#   * systemctl reload (same process, audit entry), the audit entries found
#     with journalctl MESSAGE_ID=...;
#   * systemctl restart keeps the attachments, the tmpfs and the sshfs
#     mount, whose FUSE server the unit must not kill (KillMode=process):
#     still readable afterwards;
#   * Unmount unmounts;
#   * a desktop user, alice, logged in on seat0 through logind (a session
#     polkit treats as local and active) with her own polkit agent
#     (tests/refmount-test-agent.py): refmountctl run without a terminal
#     in her session is answered by the agent with her password, after
#     polkitd showed it the message with type, source and mountpoint;
#     polkit/examples/40-refmount-private-tmpfs.rules lets her mount a
#     private tmpfs (--owner) without a prompt, which she can write and bob
#     can neither write nor read nor attach to; GIO lists it by name until
#     it is unmounted.
#
# Nothing on the host changes except the cache of the base root
# (REFMOUNT_SYSTEM_CACHE, default /var/cache/refmount-system): everything
# else lives in a temporary directory inside a private mount namespace.
# Skips (77) with the reason when the machine cannot run a container.
#
# usage: test-system.sh BUILDDIR SRCDIR
set -euo pipefail

src=$(cd "${2:?usage: test-system.sh BUILDDIR SRCDIR}" && pwd)

fail ()
{
  printf 'FAIL%s: %s\n' "${CASE:+ [$CASE]}" "$*" >&2
  exit 1
}

skip ()
{
  printf 'SKIP: %s\n' "$*" >&2
  exit 77
}

tc ()
{
  CASE=$*
  printf '### %s\n' "$*" >&2
}
CASE=

[[ $EUID -eq 0 ]] || skip "needs root (debootstrap, systemd-nspawn)"
for tool in systemd-nspawn mmdebstrap nsenter meson ninja; do
  command -v "$tool" >/dev/null 2>&1 || skip "'$tool' is not installed (tools/install-deps installs it)"
done
[[ -c /dev/fuse ]] || skip "/dev/fuse does not exist: no FUSE for the sshfs case"
[[ -d /sys/fs/cgroup ]] || skip "no /sys/fs/cgroup: systemd-nspawn cannot boot a container here"

if [[ -z ${REFMOUNT_SYSTEM_NS:-} ]]; then
  unshare -m --propagation private true 2>/dev/null ||
    skip "cannot create a mount namespace here (unshare -m failed)"
  export REFMOUNT_SYSTEM_NS=1
  exec unshare -m --propagation private -- "$BASH" "$0" "$@"
fi

# ---------------------------------------------------------------------------
# The base root: Debian 12 with systemd and refmount's runtime packages.
# Rebuilt when this list changes.

PACKAGES=(
  systemd systemd-sysv dbus polkitd libglib2.0-0 libglib2.0-bin libmount1
  libpolkit-gobject-1-0 libjson-glib-1.0-0 sshfs fuse3 openssh-server
  openssh-client procps util-linux
  # the desktop cases: a logind session (pam_systemd), a polkit agent
  # (python3-gi, PolkitAgent), GIO's mount list
  libpam-systemd python3-gi gir1.2-glib-2.0 gir1.2-polkit-1.0
)
cache=${REFMOUNT_SYSTEM_CACHE:-/var/cache/refmount-system}
key=$(printf '%s\n' bookworm "${PACKAGES[@]}" | sha256sum | cut -c1-16)
base=$cache/bookworm-$key

# The machine's own apt sources (its mirror, its proxy settings), so that
# the root comes from wherever this machine's packages come from.
apt_sources ()
{
  local f
  for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list; do
    if [[ -s $f ]] && grep -q -E '^(URIs:|deb )' "$f"; then
      printf '%s\n' "$f"
      return 0
    fi
  done
  return 1
}

if [[ ! -x $base/bin/systemctl ]]; then
  sources=$(apt_sources) || skip "no apt sources on this machine to build a Debian root from"
  mkdir -p "$cache"
  rm -rf "$base.tmp"
  echo "system: building the base root in $base (mmdebstrap, once)" >&2
  if ! mmdebstrap --variant=minbase --include="$(
    IFS=,
    echo "${PACKAGES[*]}"
  )" bookworm "$base.tmp" "$sources" >"$cache/mmdebstrap.log" 2>&1; then
    tail -n 30 "$cache/mmdebstrap.log" >&2
    rm -rf "$base.tmp"
    fail "mmdebstrap failed (log: $cache/mmdebstrap.log)"
  fi
  mv "$base.tmp" "$base"
fi

# ---------------------------------------------------------------------------
# This run's root: a copy with refmount installed, as a package would.

work=$(mktemp -d /var/tmp/refmount-system.XXXXXX)
NSPAWN_PID=
LEADER=
cleanup ()
{
  local st=$? i
  set +e
  if ((st != 0 && st != 77)); then
    if [[ -n $LEADER ]]; then
      echo "----- journal of refmountd, dbus, polkit in the container -----" >&2
      in_ct journalctl --no-pager -n 80 -u refmountd -u dbus -u polkit >&2
    fi
    echo "----- last lines of the container's console -----" >&2
    tail -n 40 "$work/console.log" >&2
  fi
  if [[ -n $NSPAWN_PID ]]; then
    # SIGTERM asks nspawn to shut the container down cleanly.
    kill -TERM "$NSPAWN_PID" 2>/dev/null
    for ((i = 0; i < 300; i++)); do
      kill -0 "$NSPAWN_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$NSPAWN_PID" 2>/dev/null
    wait "$NSPAWN_PID" 2>/dev/null
  fi
  umount -R -l "$work/root" 2>/dev/null
  rm -rf "$work"
  exit "$st"
}
trap cleanup EXIT

echo "system: copying the base root" >&2
cp -a "$base" "$work/root"
mount --bind "$work/root" "$work/root"

echo "system: building refmount with --prefix=/usr" >&2
meson setup --prefix=/usr "$work/build" "$src" >"$work/build.log" 2>&1 ||
  fail "meson setup failed: $(tail -n 20 "$work/build.log")"
ninja -C "$work/build" >>"$work/build.log" 2>&1 ||
  fail "build failed: $(tail -n 20 "$work/build.log")"
DESTDIR=$work/root meson install -C "$work/build" --no-rebuild >>"$work/build.log" 2>&1 ||
  fail "meson install failed: $(tail -n 20 "$work/build.log")"

# The shipped config's fuse.sshfs group reads the key and known_hosts from
# /etc/refmount/ssh; the container's sshd trusts that key for root.
R=$work/root
install -d -m 0700 "$R/etc/refmount/ssh" "$R/root/.ssh"
ssh-keygen -q -t ed25519 -N '' -C refmount-system-test -f "$R/etc/refmount/ssh/id_ed25519"
cp "$R/etc/refmount/ssh/id_ed25519.pub" "$R/root/.ssh/authorized_keys"
[[ -f $R/etc/ssh/ssh_host_ed25519_key.pub ]] ||
  ssh-keygen -q -t ed25519 -N '' -f "$R/etc/ssh/ssh_host_ed25519_key"
printf '127.0.0.1 %s\n' "$(cut -d' ' -f1,2 "$R/etc/ssh/ssh_host_ed25519_key.pub")" \
  >"$R/etc/refmount/ssh/known_hosts"
mkdir -p "$R/srv/share"
echo "served by the container's sshd" >"$R/srv/share/hello.txt"
# No getty on the console, no host name or machine id questions.
echo refmount-system >"$R/etc/hostname"
: >"$R/etc/machine-id"
ln -sf /dev/null "$R/etc/systemd/system/console-getty.service"

# The desktop cases: alice (in group sudo, so polkit's admin rule offers
# her own identity), bob, the example rule for private tmpfs mounts, a
# PAM service that only registers a logind session (login's stack would
# also run pam_loginuid, which a container may refuse), and the test
# agent, the GIO lister and a command runner for alice's session.
chroot "$R" useradd -m -u 1000 -G sudo -s /bin/bash alice
chroot "$R" useradd -m -u 1001 -s /bin/bash bob
printf 'alice:alice-desktop-pw\n' | chroot "$R" chpasswd
install -m 0644 "$src/polkit/examples/40-refmount-private-tmpfs.rules" "$R/etc/polkit-1/rules.d/"
cat >"$R/etc/pam.d/refmount-test-session" <<'EOF'
auth     required pam_permit.so
account  required pam_permit.so
session  required pam_systemd.so
EOF
T=/usr/local/lib/refmount-test
install -d "$R$T"
install -m 0755 "$src/tests/refmount-test-agent.py" "$src/tests/refmount-gio-mounts.py" "$R$T/"
install -d -m 0700 -o 1000 -g 1000 "$R/home/alice/.refmount-test"
printf 'alice-desktop-pw\n' >"$R/home/alice/.refmount-test/password"
chown 1000:1000 "$R/home/alice/.refmount-test/password"
chmod 0600 "$R/home/alice/.refmount-test/password"
# The session's leader: alice's agent, then the commands the test writes
# to its FIFO, each with stdin /dev/null (no terminal), as a launcher
# would start them; output and exit status to files named by the id.
cat >"$R$T/session-runner" <<'EOF'
#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
d=$HOME/.refmount-test
python3 /usr/local/lib/refmount-test/refmount-test-agent.py --session --answer password \
  --password-file "$d/password" --log "$d/agent.log" --ready-file "$d/agent-ready" \
  2>"$d/agent.err" &
mkfifo -m 0600 "$d/cmd"
while :; do
  read -r id cmd <"$d/cmd" || continue
  bash -c "$cmd" </dev/null >"$d/out.$id" 2>&1
  echo $? >"$d/rc.$id"
done
EOF
chmod 0755 "$R$T/session-runner"

# ---------------------------------------------------------------------------
# Boot.

echo "system: booting the container" >&2
systemd-nspawn --quiet -D "$R" -b --register=no --keep-unit \
  --private-network --bind=/dev/fuse --machine="refmount-system-$$" \
  --console=pipe </dev/null >"$work/console.log" 2>&1 &
NSPAWN_PID=$!

# The container's PID 1 is nspawn's child.
for ((i = 0; i < 300; i++)); do
  kill -0 "$NSPAWN_PID" 2>/dev/null || fail "systemd-nspawn exited: $(tail -n 20 "$work/console.log")"
  LEADER=$(pgrep -P "$NSPAWN_PID" | head -n 1 || true)
  [[ -z $LEADER ]] || [[ $(readlink "/proc/$LEADER/exe" 2>/dev/null) != */systemd ]] || break
  LEADER=
  sleep 0.1
done
[[ -n $LEADER ]] || fail "the container's systemd did not start: $(tail -n 20 "$work/console.log")"

# in_ct CMD...: run CMD in the container (its namespaces, as root).  -r/-w:
# the root of PID 1, not the root of its mount namespace -- they differ
# when this test itself runs in a chroot (tools/fresh-check-like setups).
in_ct ()
{
  nsenter -t "$LEADER" -m -u -i -n -p -C -r -w -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
}
as_nobody ()
{
  in_ct setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
}

# Bounded generously: on a loaded 2-core machine a boot can take a minute.
state=
for ((i = 0; i < 1800; i++)); do
  kill -0 "$NSPAWN_PID" 2>/dev/null || fail "systemd-nspawn exited during boot: $(tail -n 20 "$work/console.log")"
  state=$(in_ct systemctl is-system-running 2>&1 || true)
  [[ $state == running || $state == degraded ]] && break
  sleep 0.1
done
if [[ $state != running && $state != degraded ]]; then
  in_ct systemctl --no-pager list-jobs >&2 || true
  fail "the container did not finish booting in 180 s (state '$state')"
fi
if [[ $state == degraded ]]; then
  echo "system: the container booted degraded; failed units:" >&2
  in_ct systemctl --no-pager --failed >&2 || true
fi

BUS=org.refmount.Refmount1
MGR=(org.refmount.Refmount1 /org/refmount/Refmount1/Manager org.refmount.Refmount1.Manager)
MIFACE=org.refmount.Refmount1.Mount
ROOT=/run/refmount/mounts

# mount_call USER FSTYPE SOURCE MOUNTPOINT ATTACHMENT OPTION...: OUT, RC.
mount_call ()
{
  local user=$1 fstype=$2 source=$3 mp=$4 att=$5
  shift 5
  local run=(in_ct)
  [[ $user == root ]] || run=(as_nobody)
  RC=0
  OUT=$("${run[@]}" busctl --allow-interactive-authorization=no call "${MGR[@]}" Mount \
    'sssassa{sv}' "$fstype" "$source" "$mp" $# "$@" "$att" 0 2>&1) || RC=$?
}
unmount_call ()
{
  RC=0
  OUT=$(in_ct busctl call "${MGR[@]}" Unmount 'ssa{sv}' "$1" "$2" 0 2>&1) || RC=$?
}
# What PID 1's mount namespace has at MOUNTPOINT: "FSTYPE SOURCE" or "".
kernel_mount ()
{
  in_ct findmnt -n -r -o FSTYPE,SOURCE --mountpoint "$1" 2>/dev/null | tail -n 1 || true
}
object_for ()
{
  in_ct busctl call "${MGR[@]}" GetMount s "$1" 2>/dev/null | sed -nE 's/^o "(.*)"$/\1/p'
}
attachments_of ()
{
  local obj
  obj=$(object_for "$1")
  [[ -n $obj ]] || return 0
  in_ct busctl get-property "$BUS" "$obj" "$MIFACE" Attachments 2>/dev/null || true
}
main_pid ()
{
  in_ct systemctl show -P MainPID refmountd.service
}
audit_id ()
{
  sed -nE "s/^\| $1 \| \`([0-9a-f]{32})\` \|.*/\1/p" "$src/doc/audit-log.md"
}

# ---------------------------------------------------------------------------
tc "D-Bus activation by the first Mount, under the shipped unit"
[[ $(in_ct systemctl is-active refmountd.service || true) == inactive ]] ||
  fail "refmountd is running before anybody called it"
in_ct systemctl cat refmountd.service >"$work/unit.txt" || fail "refmountd.service is not installed"
grep -q '^ExecStart=/usr/libexec/refmountd' "$work/unit.txt" || fail "unexpected unit: $(cat "$work/unit.txt")"
mount_call root tmpfs demo "$ROOT/demo" sys-1 size=8m
((RC == 0)) || fail "Mount of a tmpfs under the shipped unit failed: $OUT"
[[ $OUT == *"\"$ROOT/demo\""* ]] || fail "unexpected Mount reply: $OUT"
[[ $(in_ct systemctl is-active refmountd.service) == active ]] || fail "refmountd.service is not active"
[[ $(kernel_mount "$ROOT/demo") == "tmpfs demo" ]] ||
  fail "the tmpfs is not visible in PID 1's mount namespace: '$(kernel_mount "$ROOT/demo")'"
in_ct sh -c "echo kept >$ROOT/demo/file" || fail "cannot write to the mounted tmpfs"
PID1=$(main_pid)

tc "uid nobody is refused by the real polkitd"
mount_call nobody tmpfs other "$ROOT/other" nobody-1 size=1m
((RC != 0)) || fail "nobody mounted without a polkit rule: $OUT"
[[ $OUT == *"org.refmount.Refmount1.Error.NotAuthorized"* || $OUT == *"Not authorized"* ]] ||
  fail "expected NotAuthorized, got: $OUT"
[[ $(in_ct systemctl is-active polkit.service) == active ]] || fail "polkitd is not running: the denial proves nothing"
[[ -z $(kernel_mount "$ROOT/other") ]] || fail "a refused Mount left a mount behind"

tc "sshfs through the container's sshd with the shipped configuration"
mount_call root fuse.sshfs root@127.0.0.1:/srv/share "$ROOT/ssh" vol-1
((RC == 0)) || fail "sshfs Mount failed: $OUT"
[[ $(kernel_mount "$ROOT/ssh") == "fuse.sshfs root@127.0.0.1:/srv/share" ]] ||
  fail "no sshfs mount at $ROOT/ssh: '$(kernel_mount "$ROOT/ssh")'"
[[ $(in_ct cat "$ROOT/ssh/hello.txt") == "served by the container's sshd" ]] || fail "cannot read through sshfs"
in_ct sh -c "echo written >$ROOT/ssh/new.txt" || fail "cannot write through sshfs"
[[ $(cat "$R/srv/share/new.txt") == written ]] || fail "the file written through sshfs is not on the server"
# Kept across the restart below: the unit must not kill its FUSE server.

tc "systemctl reload re-reads the configuration in the same process"
in_ct systemctl reload refmountd.service || fail "systemctl reload failed"
[[ $(main_pid) == "$PID1" ]] || fail "reload restarted the daemon"
[[ $(in_ct systemctl is-active refmountd.service) == active ]] || fail "refmountd is not active after reload"

tc "audit entries in the journal by MESSAGE_ID"
for kind in mounted attached denied; do
  id=$(audit_id "$kind")
  [[ -n $id ]] || fail "no MESSAGE_ID for '$kind' in doc/audit-log.md"
  n=$(in_ct journalctl --no-pager -o cat "MESSAGE_ID=$id" | wc -l)
  ((n > 0)) || fail "no journal entry with MESSAGE_ID=$id ($kind)"
done
in_ct journalctl --no-pager -o export "MESSAGE_ID=$(audit_id mounted)" REFMOUNT_MOUNTPOINT="$ROOT/demo" |
  grep -q '^REFMOUNT_ATTACHMENT=sys-1$' || fail "the 'mounted' entry does not carry its fields"

tc "systemctl restart keeps the attachments and the mounts"
in_ct systemctl restart refmountd.service || fail "systemctl restart failed"
[[ $(main_pid) != "$PID1" ]] || fail "restart did not start a new process"
[[ $(attachments_of "$ROOT/demo") == *'"sys-1"'* ]] ||
  fail "attachment sys-1 lost in the restart: '$(attachments_of "$ROOT/demo")'"
[[ $(in_ct cat "$ROOT/demo/file") == kept ]] || fail "the tmpfs was replaced in the restart"

tc "systemctl restart keeps the sshfs mount alive (KillMode=process)"
[[ $(kernel_mount "$ROOT/ssh") == "fuse.sshfs root@127.0.0.1:/srv/share" ]] ||
  fail "the sshfs mount is gone after the restart: '$(kernel_mount "$ROOT/ssh")'"
[[ $(in_ct timeout 10 cat "$ROOT/ssh/hello.txt" 2>&1) == "served by the container's sshd" ]] ||
  fail "cannot read through sshfs after the restart (its FUSE server was killed?): $(in_ct timeout 10 cat "$ROOT/ssh/hello.txt" 2>&1)"
[[ $(attachments_of "$ROOT/ssh") == *'"vol-1"'* ]] ||
  fail "attachment vol-1 lost in the restart: '$(attachments_of "$ROOT/ssh")'"
obj=$(object_for "$ROOT/ssh")
[[ $(in_ct busctl get-property "$BUS" "$obj" "$MIFACE" State 2>&1) == 's "mounted"' ]] ||
  fail "the sshfs mount was not adopted as mounted: $(in_ct busctl get-property "$BUS" "$obj" "$MIFACE" State 2>&1)"

tc "Unmount releases and unmounts"
unmount_call "$ROOT/demo" sys-1
((RC == 0)) || fail "Unmount failed: $OUT"
[[ -z $(kernel_mount "$ROOT/demo") ]] || fail "$ROOT/demo is still mounted"
unmount_call "$ROOT/ssh" vol-1
((RC == 0)) || fail "Unmount of sshfs failed: $OUT"
[[ -z $(kernel_mount "$ROOT/ssh") ]] || fail "$ROOT/ssh is still mounted"

# ---------------------------------------------------------------------------
# A desktop user: alice logged in on seat0 (the kind of session polkit
# treats as local and active), her own authentication agent, commands run
# in her session without a terminal.

A=/home/alice/.refmount-test
tc "alice's session on seat0 is local and active, with her agent registered"
in_ct systemd-run --quiet --unit=alice-session --uid=alice -p PAMName=refmount-test-session \
  -p Environment=XDG_SEAT=seat0 -p Environment=XDG_SESSION_TYPE=tty \
  -p Environment=XDG_SESSION_CLASS=user -p WorkingDirectory=/home/alice \
  /usr/local/lib/refmount-test/session-runner ||
  fail "systemd-run could not start alice's session"
for ((i = 0; i < 300; i++)); do
  in_ct test -s "$A/agent-ready" && in_ct test -p "$A/cmd" && break
  sleep 0.1
done
in_ct test -s "$A/agent-ready" ||
  fail "alice's agent did not register: $(in_ct cat "$A/agent.err" 2>&1; in_ct journalctl --no-pager -n 30 -u alice-session 2>&1)"
sid=$(in_ct loginctl --no-legend list-sessions | awk '$3 == "alice" { print $1; exit }')
[[ -n $sid ]] || fail "no logind session for alice: $(in_ct loginctl --no-legend list-sessions)"
props=$(in_ct loginctl show-session "$sid" -p Seat -p Active -p Remote -p Class)
for want in Seat=seat0 Active=yes Remote=no Class=user; do
  [[ $props == *"$want"* ]] || fail "alice's session: expected $want, got: $props"
done

# as_alice ID COMMAND: run COMMAND in alice's session; OUT, RC.
as_alice ()
{
  local id=$1 cmd=$2 i
  in_ct rm -f "$A/rc.$id" "$A/out.$id"
  in_ct sh -c "printf '%s %s\n' \"\$1\" \"\$2\" >'$A/cmd'" sh "$id" "$cmd" || fail "cannot reach alice's session"
  for ((i = 0; i < 1200; i++)); do
    in_ct test -s "$A/rc.$id" && break
    sleep 0.1
  done
  in_ct test -s "$A/rc.$id" || fail "command $id in alice's session did not finish in 120 s: $cmd"
  RC=$(in_ct cat "$A/rc.$id")
  OUT=$(in_ct cat "$A/out.$id")
}
agent_begins ()
{
  in_ct grep -c '"event": "begin"' "$A/agent.log" || true
}

tc "refmountctl without a terminal, answered by alice's agent: the prompt names what is mounted"
as_alice 1 "refmountctl mount -t tmpfs -o size=1m --attachment desk-1 demo-src $ROOT/alice-plain"
((RC == 0)) || fail "refmountctl mount in alice's session failed ($RC): $OUT; agent: $(in_ct cat "$A/agent.log" "$A/agent.err" 2>&1)"
in_ct grep '"event": "begin"' "$A/agent.log" | grep -qF \
  "\"message\": \"Authentication is required to mount the tmpfs filesystem 'demo-src' at $ROOT/alice-plain.\"" ||
  fail "the agent was not shown the filled-in message: $(in_ct cat "$A/agent.log")"
in_ct grep -q '"event": "completed", "identity": "alice", "gained": true' "$A/agent.log" ||
  fail "the agent did not authenticate alice: $(in_ct cat "$A/agent.log")"
[[ $(kernel_mount "$ROOT/alice-plain") == "tmpfs demo-src" ]] || fail "no tmpfs at $ROOT/alice-plain"
[[ $(attachments_of "$ROOT/alice-plain") == *'"desk-1" 1000 '* ]] ||
  fail "the attachment is not alice's: $(attachments_of "$ROOT/alice-plain")"
as_alice 2 "refmountctl unmount --attachment desk-1 $ROOT/alice-plain"
((RC == 0)) || fail "alice could not release her attachment: $OUT"

tc "an owned tmpfs under the example rule: no prompt, hers alone"
before=$(agent_begins)
as_alice 3 "refmountctl mount --owner -t tmpfs -o size=1m --attachment desk-2 scratch $ROOT/alice-scratch"
((RC == 0)) || fail "alice's owned mount failed ($RC): $OUT"
[[ $(agent_begins) == "$before" ]] || fail "the example rule should have allowed it without a prompt: $(in_ct cat "$A/agent.log")"
[[ $(in_ct stat -c '%U %a' "$ROOT/alice-scratch") == "alice 700" ]] ||
  fail "owner and mode of alice's tmpfs: $(in_ct stat -c '%U %a' "$ROOT/alice-scratch")"
as_alice 4 "echo hers >$ROOT/alice-scratch/file && cat $ROOT/alice-scratch/file"
[[ $RC == 0 && $OUT == hers ]] || fail "alice cannot write to her own tmpfs: $OUT"
in_ct setpriv --reuid=1001 --regid=1001 --clear-groups -- sh -c "echo bobs >$ROOT/alice-scratch/bob" 2>/dev/null &&
  fail "bob could write into alice's private tmpfs"
in_ct setpriv --reuid=1001 --regid=1001 --clear-groups -- cat "$ROOT/alice-scratch/file" 2>/dev/null &&
  fail "bob could read alice's file"
out=$(in_ct setpriv --reuid=1001 --regid=1001 --clear-groups -- busctl --allow-interactive-authorization=no \
  call "${MGR[@]}" Mount 'sssassa{sv}' tmpfs scratch "$ROOT/alice-scratch" 1 size=1m bob-1 1 owner b true 2>&1) &&
  fail "bob attached to alice's owned mount: $out"

tc "the file manager's view: GIO lists alice's tmpfs by name, and drops it after the unmount"
as_alice 5 "python3 /usr/local/lib/refmount-test/refmount-gio-mounts.py list --prefix $ROOT/"
[[ $RC == 0 ]] || fail "GIO listing failed: $OUT"
[[ $OUT == *"\"path\": \"$ROOT/alice-scratch\""*'"show": true, "name": "scratch"'* ]] ||
  fail "GIO does not list $ROOT/alice-scratch as shown, named scratch: $OUT"
as_alice 6 "refmountctl unmount --attachment desk-2 $ROOT/alice-scratch"
((RC == 0)) || fail "alice could not unmount her tmpfs: $OUT"
[[ -z $(kernel_mount "$ROOT/alice-scratch") ]] || fail "$ROOT/alice-scratch is still mounted"
as_alice 7 "python3 /usr/local/lib/refmount-test/refmount-gio-mounts.py list --prefix $ROOT/"
[[ $OUT != *"$ROOT/alice-scratch"* ]] || fail "GIO still lists $ROOT/alice-scratch after the unmount: $OUT"
in_ct systemctl stop alice-session.service

tc "no denial of the shipped unit's filters in the journal"
if in_ct journalctl --no-pager -u refmountd.service | grep -E 'Function not implemented|Operation not permitted' >&2; then
  fail "refmountd hit a system call the unit's filters refuse"
fi
CASE=
echo "ok: the installed refmountd.service works under systemd" >&2
