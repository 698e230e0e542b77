#!/usr/bin/env python3
"""Turn benchmark result lines (bench/harness.h) into markdown tables.

Reads tab-separated lines from the files given (or stdin):
  R group row column value   one measurement of one run
  X ratio group base[,base]  add a ratio table: base / every other column
  X group group              fix a group's place in the output (else: first R)
  X min group                also print the best (minimum) run per cell: on a
                             shared machine noise only adds time, so the
                             minimum is the steadier estimate of the code's cost
  S column reason            a subject that was skipped
  # text                     a note (printed once)
Each cell is the median over every run of every binary, with the spread
(half the min-max range) as a percentage of it and the number of runs.
"""
import statistics
import sys


def fmt(v):
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def ratio(r):
    """Two decimals; far below 1 the reciprocal reads better (1/925)."""
    return f"1/{1 / r:,.0f}" if r < 0.095 else f"{r:.2f}"


def table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    def line(r):
        cells = [str(c).ljust(widths[0]) if i == 0 else str(c).rjust(widths[i])
                 for i, c in enumerate(r)]
        return "| " + " | ".join(cells) + " |"
    out = [line(header), "|" + "|".join(("-" * (w + 1) + ":") if i else ("-" * (w + 2))
                                        for i, w in enumerate(widths)) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


def main():
    groups = {}   # group -> {"rows": [], "cols": [], "vals": {(row, col): [v]}}
    ratios = {}   # group -> [bases]
    mins = set()  # groups that get a best-run table
    skips = {}
    notes = []
    files = sys.argv[1:] or ["-"]
    for name in files:
        f = sys.stdin if name == "-" else open(name, encoding="utf-8")
        for raw in f:
            line = raw.rstrip("\n")
            if line.startswith("# "):
                if line[2:] not in notes:
                    notes.append(line[2:])
                continue
            p = line.split("\t")
            if p[0] == "R" and len(p) == 5:
                g = groups.setdefault(p[1], {"rows": [], "cols": [], "vals": {}})
                if p[2] not in g["rows"]:
                    g["rows"].append(p[2])
                if p[3] not in g["cols"]:
                    g["cols"].append(p[3])
                g["vals"].setdefault((p[2], p[3]), []).append(float(p[4]))
            elif p[0] == "X" and len(p) == 3 and p[1] == "min":
                mins.add(p[2])
            elif p[0] == "X" and len(p) == 3 and p[1] == "group":
                groups.setdefault(p[2], {"rows": [], "cols": [], "vals": {}})
            elif p[0] == "X" and len(p) == 4 and p[1] == "ratio":
                ratios[p[2]] = p[3].split(",")
            elif p[0] == "S" and len(p) == 3:
                skips.setdefault(p[1], p[2])

    med = {}
    for gname, g in groups.items():
        print(f"\n### {gname}\n")
        hdr = [""] + g["cols"]
        rows = []
        for r in g["rows"]:
            cells = [r]
            for c in g["cols"]:
                v = g["vals"].get((r, c))
                if not v:
                    cells.append("-")
                    continue
                m = statistics.median(v)
                med[(gname, r, c)] = m
                spread = (max(v) - min(v)) / 2 / m * 100 if m else 0
                cells.append(f"{fmt(m)} ±{spread:.0f}% ({len(v)})")
            rows.append(cells)
        print(table(hdr, rows))
        if gname in mins:
            print("\nbest run (minimum) of each cell\n")
            rows = [[r] + [fmt(min(g["vals"][(r, c)])) if (r, c) in g["vals"] else "-"
                           for c in g["cols"]] for r in g["rows"]]
            print(table(hdr, rows))
        bases = [b for b in ratios.get(gname, []) if b in g["cols"]]
        if bases:
            base = bases[0]
            others = [c for c in g["cols"] if c != base]
            print(f"\nratio {base} ÷ column (below 1: {base} faster; "
                  f"column ÷ {base} is the reciprocal)\n")
            rows = []
            for r in g["rows"]:
                cells = [r]
                for c in others:
                    b, o = med.get((gname, r, base)), med.get((gname, r, c))
                    cells.append(ratio(b / o) if b and o else "-")
                rows.append(cells)
            print(table([""] + [f"÷ {c}" for c in others], rows))
        elif gname in ratios:
            print(f"\n(no ratio table: none of {', '.join(ratios[gname])} was measured)")

    targets(med)
    if skips:
        print("\nskipped:")
        for c, why in skips.items():
            print(f"- {c}: {why}")
    if notes:
        print("\nnotes:")
        for n in notes:
            print(f"- {n}")


def targets(med):
    """Issue 3's targets for the single-thread order-0 pair."""
    st = [k for k in med if k[0].startswith("single thread") and k[1] == "o0 pair"]
    if not st:
        return
    g = st[0][0]
    pa = med.get((g, "o0 pair", "pa-mainline"))
    print("\ntargets (issue 3, single-thread order-0 pair, pa-mainline):")
    if pa is None:
        print("- not measured: pa-mainline (per-CPU lists) unavailable")
        return
    print(f"- under 20 ns: {'met' if pa < 20 else 'MISSED'} ({fmt(pa)} ns)")
    for peer in ("glibc", "jemalloc", "mimalloc"):
        v = med.get((g, "o0 pair", peer))
        if v is None:
            print(f"- ahead of {peer}: not measured")
        else:
            print(f"- ahead of {peer}: {'met' if pa < v else 'MISSED'} "
                  f"({fmt(pa)} vs {fmt(v)} ns, ratio {pa / v:.2f})")
    v = med.get((g, "o0 pair", "tcmalloc"))
    if v is None:
        print("- within 2x of tcmalloc: not measured")
    else:
        print(f"- within 2x of tcmalloc: {'met' if pa <= 2 * v else 'MISSED'} "
              f"({fmt(pa)} vs {fmt(v)} ns, ratio {pa / v:.2f})")


if __name__ == "__main__":
    main()
