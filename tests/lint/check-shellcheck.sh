#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# check-shellcheck.sh SRCDIR: shellcheck (warnings and errors) on every
# shell script of the project.  Skipped (77) without shellcheck.
set -euo pipefail

src=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
if ! command -v shellcheck >/dev/null 2>&1; then
  echo "SKIP: shellcheck is not installed"
  exit 77
fi
# shellcheck source=tests/lint/lint-files.sh
source "$(dirname "${BASH_SOURCE[0]}")/lint-files.sh"

scripts=()
while IFS= read -r f; do
  case $f in
  *.sh) scripts+=("$f") ;;
  *)
    if [[ -x $src/$f ]] && head -n 1 "$src/$f" | grep -q -E '^#!.*(ba)?sh'; then
      scripts+=("$f")
    fi
    ;;
  esac
done < <(lint_files "$src")

cd "$src"
shellcheck --external-sources --severity=warning "${scripts[@]}"
echo "shellcheck: ${#scripts[@]} scripts clean"
