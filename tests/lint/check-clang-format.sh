#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# check-clang-format.sh SRCDIR [CLANG-FORMAT]: every .c/.h file of the
# project must be formatted according to the checked-in .clang-format.
# Fix with: clang-format -i FILE...
set -euo pipefail

src=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
clang_format=${2:-${CLANG_FORMAT:-clang-format}}
# shellcheck source=tests/lint/lint-files.sh
source "$(dirname "${BASH_SOURCE[0]}")/lint-files.sh"

if ! command -v "$clang_format" >/dev/null 2>&1; then
  echo "SKIP: $clang_format is not installed"
  exit 77
fi
[[ -f $src/.clang-format ]] || {
  echo "$src/.clang-format is missing" >&2
  exit 1
}

mapfile -t files < <(lint_files "$src" | grep -E '\.[ch]$')
((${#files[@]} > 0)) || {
  echo "no C files found in $src" >&2
  exit 1
}

bad=()
for f in "${files[@]}"; do
  if ! "$clang_format" --dry-run --Werror --style="file:$src/.clang-format" \
    "$src/$f" >/dev/null 2>&1; then
    bad+=("$f")
  fi
done

if ((${#bad[@]} > 0)); then
  echo "not formatted with $src/.clang-format (${#bad[@]} of ${#files[@]} files):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  echo "first differences:" >&2
  for f in "${bad[@]:0:3}"; do
    "$clang_format" --style="file:$src/.clang-format" "$src/$f" |
      diff -u --label "$f" --label "$f (clang-format)" "$src/$f" - | head -n 30 >&2 || true
  done
  echo "fix with: (cd $src && $clang_format -i ${bad[*]})" >&2
  exit 1
fi
echo "clang-format: ${#files[@]} files formatted"
