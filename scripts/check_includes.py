#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Fail on an include cycle among the project's own files.

    scripts/check_includes.py [--self-test] [ROOT]

Reads every `#include "..."` line of include/, src/ (and its
subdirectories), lab/, tests/ and bench/ headers, and of lab/report*.c,
resolves each name as the compiler does (the including file's directory,
then -Iinclude -Isrc -Ilab) and looks for a cycle in the resulting graph.
Header guards make a cycle compile, but then what a file sees depends on
which header was included first (the reverted zone.h split of issue 9 broke
that way).  Prints each cycle found and exits 1; exits 0 when there is none.
`make test` runs it, after --self-test shows it catches a planted cycle.
"""
import os
import re
import sys
import tempfile

INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
SEARCH = ("include", "src", "lab")


def project_files(root):
    out = []
    for top in ("include", "src", "lab", "tests", "bench"):
        for d, _, names in os.walk(os.path.join(root, top)):
            for n in names:
                rel = os.path.relpath(os.path.join(d, n), root)
                if n.endswith(".h") or re.match(r"lab/report[^/]*\.c$", rel):
                    out.append(rel)
    return sorted(out)


def resolve(root, src, name):
    for d in (os.path.dirname(src),) + SEARCH:
        cand = os.path.normpath(os.path.join(d, name))
        if os.path.isfile(os.path.join(root, cand)):
            return cand
    return None  # a system header or generated file: not ours


def graph(root):
    g = {}
    for f in project_files(root):
        with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        g[f] = [t for t in (resolve(root, f, n) for n in INCLUDE_RE.findall(text)) if t]
    return g


def cycles(g):
    """Cycles closed by the back edges of a depth-first walk (so at least
    one whenever there is any), each as the files along it."""
    found, seen = [], set()
    state = {}  # 1: on the current path, 2: done
    for start in sorted(g):
        if state.get(start):
            continue
        path, stack = [start], [iter(g.get(start, []))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
                continue
            if state.get(nxt) == 1:
                cyc = path[path.index(nxt):]
                key = frozenset(cyc)
                if key not in seen:
                    seen.add(key)
                    found.append(cyc + [nxt])
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(g.get(nxt, [])))
    return found


def check(root):
    found = cycles(graph(root))
    for c in found:
        print("include cycle: " + " -> ".join(c), file=sys.stderr)
    return 1 if found else 0


def self_test():
    """The checker must flag a planted cycle and pass a clean tree."""
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "src"))
        os.makedirs(os.path.join(d, "lab"))

        def put(rel, *incs):
            with open(os.path.join(d, rel), "w") as fh:
                fh.write("".join('#include "%s"\n' % i for i in incs))

        put("src/zone.h", "page.h")
        put("src/page.h")
        put("src/buddy.h", "zone.h")
        put("src/pcp.h", "buddy.h")
        put("lab/report.h")
        put("lab/report_text.c", "report.h", "zone.h")
        if cycles(graph(d)):
            print("check_includes self-test: a clean tree was flagged", file=sys.stderr)
            return 1
        put("src/zone.h", "page.h", "pcp.h")  # zone -> pcp -> buddy -> zone
        found = cycles(graph(d))
        if len(found) != 1 or set(found[0]) != {"src/zone.h", "src/pcp.h", "src/buddy.h"}:
            print("check_includes self-test: missed zone -> pcp -> buddy -> zone: %r"
                  % found, file=sys.stderr)
            return 1
    return 0


def main(argv):
    args = [a for a in argv if a != "--self-test"]
    root = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    if "--self-test" in argv and self_test():
        return 1
    return check(root)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
