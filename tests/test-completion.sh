#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test-completion.sh SRCDIR: the bash completion of refmountctl
# (data/completion/refmountctl).  It is sourced in bash, COMP_WORDS and
# COMP_CWORD are set, _refmountctl is called and COMPREPLY is checked:
# commands, global and per-command options, filesystem types for -t and
# managed mountpoints.  A stub refmountctl on PATH plays the daemon (the
# integration test test-refmountctl.sh checks the real one).
set -euo pipefail

src=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
completion=$src/data/completion/refmountctl
[[ -f $completion ]] || {
  echo "missing $completion" >&2
  exit 1
}

stub_dir=$(mktemp -d)
trap 'rm -rf "$stub_dir"' EXIT
cat >"$stub_dir/refmountctl" <<'EOF'
#!/bin/bash
# Completion must never make refmountctl ask for a password.
[[ $1 == --no-ask-password ]] || { echo "stub: called without --no-ask-password: $*" >&2; exit 1; }
shift
case "$*" in
"list --no-legend")
  printf '%s\n' '/run/refmount/mounts/images  nfs4   srv:/images  mounted  2' \
    '/run/refmount/mounts/with\x20space  tmpfs  x  mounted  1' \
    '/run/refmount/mounts/zz  tmpfs  y  stale  0'
  ;;
status)
  printf '%s\n' '     Version: 0.1.0' ' Filesystems: nfs4 tmpfs cifs'
  ;;
"status --no-legend")
  printf '%s\n' '     Version: 0.1.0' ' Filesystems: nfs4 tmpfs cifs' '' \
    'nfs4   yes     vers,ro,rw,soft' 'tmpfs  no      size,mode,ro' 'cifs   yes     -'
  ;;
*) exit 1 ;;
esac
EOF
chmod +x "$stub_dir/refmountctl"
export PATH=$stub_dir:$PATH

# shellcheck source=data/completion/refmountctl
source "$completion"

failures=0
checks=0

# check EXPECTED WORD...: complete the last WORD; EXPECTED is the sorted,
# space-separated COMPREPLY.
check ()
{
  local expected=$1 got
  shift
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _refmountctl
  got=$(printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort | tr '\n' ' ')
  got=${got% }
  checks=$((checks + 1))
  if [[ $got != "$expected" ]]; then
    printf 'FAIL: completing "%s": expected "%s", got "%s"\n' "$*" "$expected" "$got" >&2
    failures=$((failures + 1))
  fi
}

check "help list monitor mount recover reload show status umount unmount" refmountctl ""
check "umount unmount" refmountctl u
check "monitor mount" refmountctl mo
check "--help --json --no-ask-password --no-legend --no-pager --quiet --version -q" refmountctl -
check "list" refmountctl --no-ask-password li
check "list" refmountctl --json -q li
check "--attachment --help --json --no-ask-password --no-legend --no-pager --options --owner --quiet --release-on-exit --show --type -o -q -t" \
  refmountctl mount -
check "--force" refmountctl unmount --f
check "--force" refmountctl umount --f
check "--json" refmountctl --no-ask-password list --j
check "--help --json --no-ask-password --no-legend --no-pager --quiet" refmountctl list --
check "--json" refmountctl monitor --js
check "--help --json --no-ask-password --no-legend --no-pager --quiet -q" refmountctl reload -
check "--type" refmountctl show --ty
check "cifs nfs4 tmpfs" refmountctl mount -t ""
check "tmpfs" refmountctl mount --type t
check "cifs nfs4 tmpfs" refmountctl unmount -t ""
# -o: the options the -t type allows, per comma-separated element.
check "" refmountctl mount -o ""
check "mode ro size" refmountctl mount -t tmpfs -o ""
check "ro rw" refmountctl mount --type nfs4 -o r
check "size=1m,mode size=1m,ro size=1m,size" refmountctl mount -t tmpfs src -o size=1m,
check "" refmountctl mount -t cifs -o ""
check "" refmountctl mount -t ext4 -o ""
check "" refmountctl unmount --attachment ""
check "/run/refmount/mounts/images /run/refmount/mounts/with\\ space /run/refmount/mounts/zz" \
  refmountctl unmount /run/
check "/run/refmount/mounts/with\\ space" refmountctl show /run/refmount/mounts/w
check "/run/refmount/mounts/zz" refmountctl unmount --lazy /run/refmount/mounts/z
check "/run/refmount/mounts/zz" refmountctl umount /run/refmount/mounts/z
check "/run/refmount/mounts/zz" refmountctl --json unmount /run/refmount/mounts/z
check "" refmountctl show /elsewhere

if ((failures > 0)); then
  echo "completion: $failures of $checks checks failed" >&2
  exit 1
fi
echo "completion: $checks checks passed"
