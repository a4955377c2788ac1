#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Parse one plain audit line of refmountd (doc/audit-log.md) from stdin:

  PRGNAME: EVENT: TEXT [mountpoint="…" source="…" fstype="…" attachment="…" uid="…" pid="…"]

TEXT never contains '[' or ']' (they are escaped), so the first '['
opens the field list.  A value is '-' (absent) or a double-quoted string
in which '\\\\', '\\"' and '\\xNN' (one byte) are the only escapes.
Prints "event=EVENT" and one "KEY=VALUE" line per field, decoded; exits
1 if the line does not have exactly this shape.
"""
import re
import sys

FIELDS = ["mountpoint", "source", "fstype", "attachment", "uid", "pid"]


def unescape(quoted):
    out = bytearray()
    i = 0
    while i < len(quoted):
        c = quoted[i]
        if c == "\\":
            nxt = quoted[i + 1]
            if nxt in '\\"':
                out += nxt.encode()
                i += 2
            elif nxt == "x":
                out.append(int(quoted[i + 2:i + 4], 16))
                i += 4
            else:
                raise ValueError("unknown escape \\" + nxt)
        elif c == '"' or c in "[]" or ord(c) < 0x20 or ord(c) >= 0x7F:
            raise ValueError("unescaped %r in a value" % c)
        else:
            out += c.encode()
            i += 1
    return out.decode("utf-8")


def main():
    line = sys.stdin.read().rstrip("\n")
    if "\n" in line:
        sys.exit("more than one line")
    m = re.match(r"^[^:]+: ([a-z-]+): ([^\[\]]*) \[(.*)\]$", line)
    if m is None:
        sys.exit("not an audit line")
    print("event=" + m.group(1))
    rest = m.group(3)
    value_re = re.compile(r'(-|"(?:[^"\\]|\\.)*")')
    for i, key in enumerate(FIELDS):
        prefix = ("" if i == 0 else " ") + key + "="
        if not rest.startswith(prefix):
            sys.exit("expected %r at %r" % (prefix, rest))
        rest = rest[len(prefix):]
        v = value_re.match(rest)
        if v is None:
            sys.exit("bad value at %r" % rest)
        raw = v.group(1)
        rest = rest[len(raw):]
        print(key + "=" + ("" if raw == "-" else unescape(raw[1:-1])))
    if rest:
        sys.exit("trailing text %r" % rest)


if __name__ == "__main__":
    main()
