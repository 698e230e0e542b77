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
"$cmd" replay samples/build-small.trace.zst --policy all --html report.html
echo
echo "Open $top/report.html in a browser for the charts and the pageblock map"
echo "More: docs/LAB.md; synthetic workloads: $cmd run --list"
