#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test-syscall-nr.sh HEADER CC...: the statmount(2) number of
# helper/refmount-syscall-nr.h for each architecture, as its compiler
# would see it (the host's macros dropped with -undef, the target's
# predefined ones given instead), and a build error -- never a guess --
# for an architecture it does not know.  The expected values are those of
# the kernel's own selftests (tools/testing/selftests/filesystems/
# statmount/statmount.h) and unistd_x32.h.
set -euo pipefail

header=${1:?usage: test-syscall-nr.sh HEADER CC...}
shift
cc=("$@")
((${#cc[@]} > 0)) || cc=(cc)
failures=0

# number MACRO...: the value REFMOUNT_NR_STATMOUNT expands to, or exit 1
# with the compiler's message.
number ()
{
  local args=() out
  for m in "$@"; do
    args+=("-D$m")
  done
  out=$(printf '#include "%s"\nREFMOUNT_NR_STATMOUNT\n' "$header" |
    "${cc[@]}" -E -P -undef "${args[@]}" -x c - 2>&1) || {
    printf '%s\n' "$out"
    return 1
  }
  echo $(($(tail -n 1 <<<"$out")))
}

expect ()
{
  local want=$1 got
  shift
  if got=$(number "$@"); then
    if [[ $got == "$want" ]]; then
      echo "ok: $* -> $got"
    else
      echo "FAIL: $* -> $got, not $want" >&2
      failures=$((failures + 1))
    fi
  else
    echo "FAIL: $*: $got" >&2
    failures=$((failures + 1))
  fi
}

refused ()
{
  local got
  if got=$(number "$@"); then
    echo "FAIL: ${*:-no architecture} -> $got, not a build error" >&2
    failures=$((failures + 1))
  elif grep -q 'statmount(2) number unknown\|OABI is not supported' <<<"$got"; then
    echo "ok: ${*:-no architecture} refused"
  else
    echo "FAIL: ${*:-no architecture}: not our error: $got" >&2
    failures=$((failures + 1))
  fi
}

expect 457 __x86_64__ __LP64__
expect $((0x40000000 + 457)) __x86_64__ __ILP32__
expect 457 __i386__
expect 457 __aarch64__
expect 457 __arm__ __ARM_EABI__
expect 457 __powerpc__ __powerpc64__
expect 457 __s390__ __s390x__
expect 457 __riscv
expect 457 __loongarch__
expect 457 __sparc__
expect 457 __hppa__
expect 457 __m68k__
expect 567 __alpha__
expect 4457 __mips__ _ABIO32=1 _ABIN32=2 _ABI64=3 _MIPS_SIM=_ABIO32
expect 5457 __mips__ _ABIO32=1 _ABIN32=2 _ABI64=3 _MIPS_SIM=_ABI64
expect 6457 __mips__ _ABIO32=1 _ABIN32=2 _ABI64=3 _MIPS_SIM=_ABIN32
refused __mips__ _ABIO32=1 _ABIN32=2 _ABI64=3 _MIPS_SIM=7
refused __arm__
refused __ia64__
refused __vax__
refused

# The host's compiler as the build uses it, no -undef.
host=$(printf '#include "%s"\nREFMOUNT_NR_STATMOUNT\n' "$header" | "${cc[@]}" -E -P -x c - | tail -n 1)
echo "ok: this build's compiler -> $((host))"

if ((failures > 0)); then
  echo "$failures failure(s)" >&2
  exit 1
fi
