#!/usr/bin/env bash
# Replay speed of `pagealloc replay` by machine size, for one or more
# pagealloc binaries (e.g. before and after a change), rounds interleaved
# so drift on a shared machine hits every binary and size alike.  Prints a
# markdown table of medians (min..max) of the replay loop's time, the
# figure `pagealloc replay` reports on stderr.
#
# usage: bench/replay_sizes.sh [-r ROUNDS] [-m "8G 256G 1T"] [-p POLICY] \
#            TRACE PAGEALLOC...
set -euo pipefail
rounds=7 mems="8G 256G 1T" policy=all
while getopts "r:m:p:" o; do
	case $o in
	r) rounds=$OPTARG ;; m) mems=$OPTARG ;; p) policy=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || { echo "usage: $0 [-r N] [-m SIZES] [-p POLICY] TRACE PAGEALLOC..." >&2; exit 2; }
trace=$1; shift
tmp=$(mktemp); trap 'rm -f "$tmp"' EXIT
for ((r = 0; r < rounds; r++)); do
	for m in $mems; do
		for b in "$@"; do
			line=$("$b" replay "$trace" --mem "$m" --policy "$policy" 2>&1 >/dev/null | tail -1)
			# "... trace events (N allocs and frees) through K polic.. in T s: ..."
			echo "$b $m $line" >> "$tmp"
		done
	done
done
python3 - "$tmp" "$mems" "$@" <<'PY'
import re, statistics, sys
path, mems, bins = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
runs = {}
for line in open(path):
    b, m, rest = line.split(" ", 2)
    x = re.search(r"replayed (\d+) trace events \((\d+) allocs and frees\) "
                  r"through (\d+) polic\w+ in ([\d.]+) s", rest)
    if x:
        runs.setdefault((b, m), []).append(tuple(float(v) for v in x.groups()))
print("| pagealloc | machine | policies | median replay time (min..max) "
      "| trace events/s per policy | allocs+frees/s per policy |")
print("|---|---|---:|---|---:|---:|")
for m in mems:
    for b in bins:
        r = runs.get((b, m), [])
        if not r:
            print(f"| {b} | {m} | - | failed | - | - |")
            continue
        t = [x[3] for x in r]
        med = statistics.median(t)
        ev, af, np = r[0][0], r[0][1], int(r[0][2])
        print(f"| {b} | {m} | {np} | {med:.3f} s ({min(t):.3f}..{max(t):.3f}) "
              f"| {ev / med / 1e6:.2f} M | {af / med / 1e6:.2f} M |")
PY
