#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# CI summary over meson's testlog.json files:
#
#   summary.py [--strict-skips ALLOWLIST] TESTLOG.json...
#
# prints one line per suite ("ci: suite integration: 20 passed, 0 failed,
# 0 skipped"), then the plain closing line "N passed, N failed[, N
# skipped]", and exits 1 when a test failed or none passed.
#
# With --strict-skips (CI=true), a skipped test counts as failed unless
# ALLOWLIST names it: a machine that cannot run the integration suite
# (no root, no mount namespaces, no polkitd) must not go green by
# skipping it.  ALLOWLIST has one test name per line followed by the
# reason; '#' starts a comment.
import json
import os
import sys
from collections import OrderedDict


def read_allowlist(path):
    allowed = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            name, _, reason = line.partition(" ")
            if not reason.strip():
                sys.exit(f"{path}:{lineno}: '{name}' has no reason")
            allowed[name] = reason.strip()
    return allowed


def main(argv):
    allowlist = None
    args = argv[1:]
    if args[:1] == ["--strict-skips"]:
        if len(args) < 2:
            sys.exit("usage: summary.py [--strict-skips ALLOWLIST] TESTLOG.json...")
        allowlist = read_allowlist(args[1])
        args = args[2:]

    suites = OrderedDict()
    unlisted = []
    for path in args:
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                entry = json.loads(line)
                result = entry.get("result", "")
                # "refmount:integration / integration-sshfs"
                full = entry.get("name", "?")
                prefix, _, name = full.rpartition(" / ")
                suite = prefix.split(":")[-1] if prefix else "?"
                counts = suites.setdefault(suite, [0, 0, 0])
                if result in ("OK", "EXPECTEDFAIL"):
                    counts[0] += 1
                elif result == "SKIP":
                    if allowlist is not None and name not in allowlist:
                        counts[1] += 1
                        unlisted.append((name, path))
                    else:
                        counts[2] += 1
                else:  # FAIL, ERROR, TIMEOUT, UNEXPECTEDPASS, ...
                    counts[1] += 1

    for name, path in unlisted:
        print(f"ci: {name} was skipped ({path}) and is not in the allow-list: counted as failed "
              "(its log says why; fix the machine or add it with a reason to .ci/allowed-skips)")
    passed = failed = skipped = 0
    for suite, (p, f, s) in suites.items():
        print(f"ci: suite {suite}: {p} passed, {f} failed, {s} skipped")
        passed += p
        failed += f
        skipped += s
    text = f"{passed} passed, {failed} failed"
    if skipped:
        text += f", {skipped} skipped"
    print(text)
    if passed == 0:
        print("ci: no test passed", file=sys.stderr)
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
