#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Lint checks that need no tools beyond coreutils and grep:
#
#   check-style.sh editorconfig SRCDIR
#       Every text file: no trailing whitespace, ends with a newline, no
#       CR line ends; no tabs in .c/.h/meson.build (.editorconfig).
#   check-style.sh spdx SRCDIR
#       Every source, build, script and data file carries an
#       SPDX-License-Identifier in its first five lines.
#   check-style.sh shell SRCDIR
#       Every shell script parses (bash -n).
set -euo pipefail

mode=${1:?usage: check-style.sh editorconfig|spdx|shell SRCDIR}
src=${2:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=tests/lint/lint-files.sh
source "$(dirname "${BASH_SOURCE[0]}")/lint-files.sh"

mapfile -t files < <(lint_files "$src")
((${#files[@]} > 0)) || {
  echo "no files found in $src" >&2
  exit 1
}

problems=0
problem ()
{
  printf '%s\n' "$*" >&2
  problems=$((problems + 1))
}

case $mode in
editorconfig)
  checked=0
  for f in "${files[@]}"; do
    lint_is_text "$src" "$f" || continue
    checked=$((checked + 1))
    path=$src/$f
    while IFS= read -r hit; do
      problem "$f:${hit%%:*}: trailing whitespace"
    done < <(grep -n -E '[[:blank:]]+$' "$path" | cut -d: -f1 | head -n 20)
    if [[ -s $path && $(tail -c 1 "$path" | od -An -c | tr -d ' ') != '\n' ]]; then
      problem "$f: no newline at end of file"
    fi
    if grep -q $'\r' "$path"; then
      problem "$f: CR (DOS) line ends"
    fi
    case $f in
    *.c | *.h | meson.build | */meson.build)
      while IFS= read -r hit; do
        problem "$f:$hit: tab character (indent with spaces)"
      done < <(grep -n $'\t' "$path" | cut -d: -f1 | head -n 20)
      ;;
    esac
  done
  echo "editorconfig: checked $checked files, $problems problems"
  ;;
spdx)
  checked=0
  for f in "${files[@]}"; do
    lint_needs_spdx "$src" "$f" || continue
    checked=$((checked + 1))
    head -n 5 "$src/$f" | grep -q 'SPDX-License-Identifier: [A-Za-z0-9.+-]' ||
      problem "$f: no SPDX-License-Identifier in the first 5 lines"
  done
  echo "spdx: checked $checked files, $problems problems"
  ;;
shell)
  checked=0
  for f in "${files[@]}"; do
    case $f in
    *.sh) ;;
    *)
      [[ -x $src/$f ]] && head -n 1 "$src/$f" | grep -q -E '^#!.*(ba)?sh' || continue
      ;;
    esac
    checked=$((checked + 1))
    bash -n "$src/$f" 2>&1 || problem "$f: bash -n failed"
  done
  echo "shell: checked $checked scripts, $problems problems"
  ;;
*)
  echo "unknown mode $mode" >&2
  exit 2
  ;;
esac

((problems == 0))
