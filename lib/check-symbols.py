#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The symbol-map check of librefmount-1.

Usage: check-symbols.py LIBRARY MAP HEADER...

Fails (and names the symbols) when the version map, the library's
dynamic symbol table and the public headers disagree:
  * a symbol the map lists that the library does not export (removed or
    renamed without the map following: an ABI break);
  * a symbol the library exports that the map does not list (leaked
    internals, e.g. generated D-Bus code);
  * a function a public header declares that the map does not list (it
    would be hidden by "local: *" and fail to link for callers).
"""
import re
import subprocess
import sys


def map_symbols(path):
    text = re.sub(r"#[^\n]*", "", open(path, encoding="utf-8").read())
    symbols = set()
    for block in re.finditer(r"global:(.*?)local:", text, re.S):
        symbols.update(s.strip() for s in block.group(1).split(";") if s.strip())
    return symbols


def exported(library):
    out = subprocess.run(["nm", "-D", "--defined-only", library], check=True,
                         capture_output=True, text=True).stdout
    symbols = set()
    for line in out.splitlines():
        fields = line.split()
        # "ADDRESS TYPE NAME@@VERSION"; the version node itself is type A.
        if len(fields) == 3 and fields[1] != "A":
            symbols.add(fields[2].split("@")[0])
    return symbols


def declared(headers):
    symbols = set()
    for header in headers:
        text = open(header, encoding="utf-8").read()
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
        text = re.sub(r"^#.*$", "", text, flags=re.M)
        symbols.update(re.findall(r"\b(refmount_[a-z0-9_]+)\s*\(", text))
        # G_DECLARE_FINAL_TYPE (RefmountClient, refmount_client, ...) declares get_type.
        symbols.update(m + "_get_type" for m in re.findall(r"G_DECLARE_\w+\s*\(\s*\w+\s*,\s*(\w+)", text))
    return symbols


def main():
    library, map_file, headers = sys.argv[1], sys.argv[2], sys.argv[3:]
    in_map = map_symbols(map_file)
    in_lib = exported(library)
    in_headers = declared(headers)
    problems = []
    for name in sorted(in_map - in_lib):
        problems.append(f"{name}: in {map_file} but not exported by {library}")
    for name in sorted(in_lib - in_map):
        problems.append(f"{name}: exported by {library} but not in {map_file}")
    for name in sorted(in_headers - in_map):
        problems.append(f"{name}: declared in a public header but not in {map_file}")
    for problem in problems:
        print(f"FAIL: {problem}")
    if not in_map:
        problems.append("the map lists no symbols")
        print(f"FAIL: {map_file} lists no symbols")
    print(f"{len(in_map)} symbols in the map, {len(in_lib)} exported, {len(in_headers)} declared")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
