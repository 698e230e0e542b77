#!/usr/bin/env bash
# The lab demo (`make run`): replay the shipped sample trace, captured with
# `pagealloc capture` during a `make -j2`, through every policy this build
# implements, print the comparison and write report.html in the repo root.
# Usage: scripts/demo.sh PATH/TO/pagealloc
set -euo pipefail
cmd=$(realpath "${1:-build/pagealloc}")
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
echo "pagealloc demo: replaying samples/build-small.trace.zst (a make -j2, see samples/README.md)"
echo "through every policy on a simulated copy of the traced machine."
echo
# The traced kernel's pagesets held 200 MiB when the capture began:
# start ours the same way (docs/LAB.md, "The fidelity figure").
"$cmd" replay samples/build-small.trace.zst --policy all --prefill --html report.html
echo
echo "A kernel build frees mostly on the CPU that allocated, so the policies"
echo "look alike.  The jemalloc purge pattern (faults on some CPUs, frees on"
echo "others) is what pcpbuddy is for; the same comparison on it:"
echo
"$cmd" run jemalloc-purge --html report-purge.html | sed -n '/^zone->lock/,/^per-CPU/p' | sed '$d'
echo
echo "Open $top/report.html (and report-purge.html) in a browser for the charts"
echo "and the pageblock map."
echo "More: docs/LAB.md; synthetic workloads: $cmd run --list"
