#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Layers call down: every call between helper/'s objects against helper/layers.txt.

usage: check-layers.py SRCDIR BUILDDIR

An edge a.c -> b.c means that a's object uses a symbol b's object defines
(read with nm).  Fails when an edge goes to a higher layer, or when files
call each other in a cycle (within a layer too), when a file of helper/
is missing from layers.txt, or when layers.txt names a file that is not
there.
Skips (77) without nm or before the build.
"""
import glob
import os
import re
import shutil
import subprocess
import sys

src, build = sys.argv[1], sys.argv[2]
if shutil.which("nm") is None:
    print("nm not found")
    sys.exit(77)

layer = {}
with open(os.path.join(src, "helper", "layers.txt"), encoding="utf-8") as f:
    for line in f:
        fields = line.split("#", 1)[0].split()
        if fields:
            for name in fields[1:]:
                layer[name] = int(fields[0])

objs = glob.glob(os.path.join(build, "helper", "**", "*.c.o"), recursive=True)
if not objs:
    print("no objects under %s/helper: build first" % build)
    sys.exit(77)

defs, uses = {}, {}
for o in objs:
    # Generated sources sit in meson-generated_.._dir_name.c.o.
    name = re.sub(r"^.*?((refmount-[\w.+-]+|main)\.c)\.o$", r"\1", os.path.basename(o))
    out = subprocess.run(["nm", o], capture_output=True, text=True, check=True).stdout
    d, u = defs.setdefault(name, set()), uses.setdefault(name, set())
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "TDBRC":
            d.add(f[2])
        elif len(f) == 2 and f[0] == "U":
            u.add(f[1])
owner = {s: n for n, d in defs.items() for s in d}
edges = {n: {} for n in defs}
for n in defs:
    for s in uses[n]:
        o = owner.get(s)
        if o is not None and o != n:
            edges[n].setdefault(o, []).append(s)

problems = 0
sources = {os.path.basename(c) for c in glob.glob(os.path.join(src, "helper", "*.c"))}
for n in sorted(sources - set(layer)):
    problems += 1
    print("UNLISTED: helper/%s is not in helper/layers.txt" % n)
for n in sorted(set(layer) - sources):
    problems += 1
    print("STALE: helper/layers.txt names %s, which helper/ does not have" % n)
for n in sorted(defs):
    if n not in layer:
        continue
    for o, syms in sorted(edges[n].items()):
        if o in layer and layer[o] > layer[n]:
            problems += 1
            print("UP: %s (layer %d) -> %s (layer %d): %s"
                  % (n, layer[n], o, layer[o], " ".join(sorted(syms)[:4])))

# Cycles: Tarjan's strongly connected components.
index, low, stack, on, counter = {}, {}, [], set(), [0]
def strong(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on.add(v)
    for w in edges[v]:
        if w not in index:
            strong(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            global problems
            problems += 1
            print("CYCLE: " + " <-> ".join(sorted(comp)))
sys.setrecursionlimit(10000)
for v in sorted(edges):
    if v not in index:
        strong(v)

print("%d files, %d edges, %d problems"
      % (len(defs), sum(len(e) for e in edges.values()), problems))
sys.exit(1 if problems else 0)
