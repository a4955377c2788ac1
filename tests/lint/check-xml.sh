#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# check-xml.sh SRCDIR: the polkit policy validates against polkit's DTD
# (when installed) and every XML file of the project is well-formed.
set -euo pipefail

src=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
if ! command -v xmllint >/dev/null 2>&1; then
  echo "SKIP: xmllint is not installed (apt-get install libxml2-utils)"
  exit 77
fi
# shellcheck source=tests/lint/lint-files.sh
source "$(dirname "${BASH_SOURCE[0]}")/lint-files.sh"

status=0
n=0
while IFS= read -r f; do
  n=$((n + 1))
  xmllint --noout --nonet "$src/$f" || {
    echo "$f: not well-formed" >&2
    status=1
  }
done < <(lint_files "$src" | grep -E '\.(xml|policy|policy\.in)$|/org\.refmount\.Refmount1\.conf$')

dtd=/usr/share/polkit-1/policyconfig-1.dtd
if [[ -f $dtd ]]; then
  # The source of the installed policy (the installed one, with the
  # translations merged, is checked by the install test).
  xmllint --noout --nonet --dtdvalid "$dtd" "$src/polkit/org.refmount.policy.in" || {
    echo "polkit/org.refmount.policy.in does not validate against $dtd" >&2
    status=1
  }
fi
echo "xml: checked $n files"
exit "$status"
