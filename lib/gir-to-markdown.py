#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Render a GIR file (the library's gtk-doc comments, as g-ir-scanner
collected them) to one Markdown reference page.

Usage: gir-to-markdown.py INPUT.gir OUTPUT.md

gi-docgen is not in Debian 12; this covers what librefmount-1 has:
classes (constructors, methods, properties, signals), records, enums,
bitfields, constants and functions.  A public symbol without documentation fails
the build, so a new function cannot arrive undocumented.
"""
import sys
import xml.etree.ElementTree as ET

NS = {"core": "http://www.gtk.org/introspection/core/1.0",
      "c": "http://www.gtk.org/introspection/c/1.0",
      "glib": "http://www.gtk.org/introspection/glib/1.0"}
C = "{%s}" % NS["c"]
GLIB = "{%s}" % NS["glib"]
missing = []


def doc(node, what, required=True):
    d = node.find("core:doc", NS)
    if d is None or not (d.text or "").strip():
        if required:
            missing.append(what)
        return ""
    return d.text.strip()


def ctype(node):
    t = node.find("core:type", NS)
    if t is None:
        t = node.find("core:array", NS)
    if t is None:
        return "…"
    return t.get(C + "type") or t.get("name") or "…"


def callable_md(out, node, kind):
    name = node.get(C + "identifier") or node.get("name")
    params = []
    for p in node.findall("core:parameters/core:instance-parameter", NS) + \
            node.findall("core:parameters/core:parameter", NS):
        params.append((p.get("name"), ctype(p), p))
    ret = node.find("core:return-value", NS)
    rtype = ctype(ret) if ret is not None else "void"
    if node.get("throws") == "1":
        params.append(("error", "GError **", None))
    sig = ", ".join(f"{t} {n}" for n, t, _ in params) or "void"
    out.append(f"#### `{name}`\n\n```c\n{rtype} {name} ({sig});\n```\n")
    ret_doc = doc(ret, f"{name}: return value", False) if ret is not None else ""
    # A getter documented by its "Returns:" line alone is documented.
    out.append(doc(node, name, not ret_doc) + "\n")
    rows = [(n, doc(p, f"{name}: parameter {n}") if p is not None else "return location for an error")
            for n, _, p in params]
    if rows:
        out.append("| parameter | |\n|---|---|")
        out.extend(f"| `{n}` | {d.replace(chr(10), ' ')} |" for n, d in rows)
        out.append("")
    if ret is not None and rtype != "void" and ret.get("skip") != "1":
        out.append("Returns: " + ret_doc.replace("\n", " ") + "\n")


def enum_md(out, node, kind):
    name = node.get(C + "type")
    out.append(f"### {kind} `{name}`\n\n" + doc(node, name) + "\n")
    out.append("| value | |\n|---|---|")
    for m in node.findall("core:member", NS):
        ident = m.get(C + "identifier")
        out.append(f"| `{ident}` | {doc(m, ident).replace(chr(10), ' ')} |")
    out.append("")


def main():
    src, dst = sys.argv[1], sys.argv[2]
    ns = ET.parse(src).getroot().find("core:namespace", NS)
    out = [f"# {ns.get('name')} {ns.get('version')} reference (librefmount-1)\n",
           "Generated from the library's documentation comments (its GIR file) at build "
           "time.  From C: `#include <refmount.h>`, `pkg-config refmount-1`; from Python: "
           "`gi.require_version(\"Refmount\", \"1.0\")`.\n"]
    for cls in ns.findall("core:class", NS) + ns.findall("core:record", NS):
        if cls.get(GLIB + "is-gtype-struct-for"):
            continue
        name = cls.get(C + "type")
        kind = "Class" if cls.tag.endswith("class") else "Boxed record"
        out.append(f"## {kind} `{name}`\n\n" + doc(cls, name) + "\n")
        for section, tag in (("Constructors", "constructor"), ("Functions", "function"),
                             ("Methods", "method")):
            items = [n for n in cls.findall(f"core:{tag}", NS) if n.get("introspectable") != "0"
                     or tag != "function"]
            if items:
                out.append(f"### {section}\n")
                for n in items:
                    callable_md(out, n, tag)
        props = cls.findall("core:property", NS)
        if props:
            out.append("### Properties\n")
            for p in props:
                out.append(f"- `{p.get('name')}` ({ctype(p)}): "
                           + doc(p, f"{name}:{p.get('name')}").replace("\n", " "))
            out.append("")
        sigs = cls.findall("glib:signal", NS)
        if sigs:
            out.append("### Signals\n")
            for s in sigs:
                args = ", ".join(f"{ctype(p)} {p.get('name')}"
                                 for p in s.findall("core:parameters/core:parameter", NS))
                out.append(f"#### `::{s.get('name')}` ({args})\n\n"
                           + doc(s, f"{name}::{s.get('name')}") + "\n")
    out.append("## Enumerations\n")
    for e in ns.findall("core:enumeration", NS):
        enum_md(out, e, "Enumeration")
    for e in ns.findall("core:bitfield", NS):
        enum_md(out, e, "Flags")
    consts = ns.findall("core:constant", NS)
    if consts:
        out.append("## Constants\n")
        for c in consts:
            name = c.get(C + "type") or c.get("name")
            out.append(f"- `{name}` = `\"{c.get('value')}\"`: " + doc(c, name).replace("\n", " "))
        out.append("")
    funcs = ns.findall("core:function", NS)
    if funcs:
        out.append("## Functions\n")
        for f in funcs:
            callable_md(out, f, "function")
    # The *_get_type functions mkenums generates carry no comments; they
    # are not in the GIR as functions (they are the enums' glib:get-type).
    if missing:
        sys.exit("undocumented in the GIR: " + ", ".join(missing))
    with open(dst, "w", encoding="utf-8") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
