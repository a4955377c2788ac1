# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Sourced by the lint checks: lint_files SRCDIR prints the project's files
# (relative to SRCDIR, one per line): from git when SRCDIR is a work tree
# (tracked plus untracked-but-not-ignored), else from find.  Build trees,
# .git and subprojects are never included.

lint_files ()
{
  local src=$1
  if command -v git >/dev/null 2>&1 &&
    git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$src" ls-files --cached --others --exclude-standard -z |
      tr '\0' '\n'
  else
    (cd "$src" && find . \
      \( -name .git -o -name 'build*' -o -name _build -o -name subprojects \) -prune -o \
      -type f -print | sed 's|^\./||')
  fi | grep -v -E '^(build[^/]*|_build|subprojects)/' | while IFS= read -r f; do
    # Deleted-but-tracked files are not ours to check.
    [[ -f $src/$f ]] && printf '%s\n' "$f"
  done | sort -u
}

# Is FILE (relative) a text file of ours that the style rules cover?
lint_is_text ()
{
  local src=$1 f=$2
  case $f in
  COPYING | */COPYING | *.png | *.jpg | *.gz | *.xz) return 1 ;;
  esac
  [[ ! -s $src/$f ]] || grep -Iq . "$src/$f"
}

# Does FILE need an SPDX header?  Source, build, script and data files.
lint_needs_spdx ()
{
  local src=$1 f=$2
  case $f in
  COPYING | */COPYING | .gitignore | */.gitignore) return 1 ;;
  *.c | *.h | *.sh | *.xml | *.policy | *.conf | *.service | *.rules | *.in | *.md | *.py | \
    meson.build | */meson.build | meson_options.txt | meson.options | \
    .clang-format | .editorconfig | NEWS)
    return 0
    ;;
  esac
  # Executable scripts (tools/*, .ci/run).
  [[ -x $src/$f ]] && head -n 1 "$src/$f" | grep -q '^#!'
}
