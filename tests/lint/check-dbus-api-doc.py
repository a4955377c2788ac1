#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# check-dbus-api-doc.py SRCDIR: doc/dbus-api.md, the published API,
# documents every method, property and signal of
# dbus/org.refmount.Refmount1.xml (a method as a "### Name" section, a
# property as a table row, a signal as a `Name` in backquotes), and marks
# as const exactly the properties the XML annotates
# EmitsChangedSignal=const (a table row "| `Name` | type | const |").
# An addition to the interface must come with its documentation.
import re
import sys
import xml.etree.ElementTree as ET

src = sys.argv[1] if len(sys.argv) > 1 else "."
root = ET.parse(f"{src}/dbus/org.refmount.Refmount1.xml").getroot()
with open(f"{src}/doc/dbus-api.md", encoding="utf-8") as f:
    doc = f.read()

problems = []
for iface in root.iter("interface"):
    name = iface.get("name")
    for kind in ("method", "property", "signal"):
        for member in iface.iter(kind):
            member_name = member.get("name")
            if kind == "method" and not re.search(r"^### %s$" % re.escape(member_name), doc, re.M):
                problems.append(f"{name}.{member_name} (method) has no '### {member_name}' section")
            if kind == "signal" and f"`{member_name}`" not in doc:
                problems.append(f"{name}.{member_name} (signal) is not documented")
            if kind != "property":
                continue
            const = any(
                a.get("name") == "org.freedesktop.DBus.Property.EmitsChangedSignal"
                and a.get("value") == "const"
                for a in member.iter("annotation")
            )
            row = re.search(r"^\| `%s` \| [^|]+ \| ([^|]+) \|" % re.escape(member_name), doc, re.M)
            if row is None:
                problems.append(f"{name}.{member_name} has no row in a property table")
            elif (row.group(1).strip() == "const") != const:
                problems.append(
                    f"{name}.{member_name}: the XML says {'const' if const else 'changing'}, "
                    f"doc/dbus-api.md says '{row.group(1).strip()}'"
                )

for p in problems:
    print(p)
print(f"dbus-api-doc: {len(problems)} problems")
sys.exit(1 if problems else 0)
