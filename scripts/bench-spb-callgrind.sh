#!/usr/bin/env bash
# Zone-path instructions per alloc+free pair of bench_spb's search rows
# (--quick: 64 GiB, 64 SPBs), for every policy, counted by callgrind:
# only pa_alloc and pa_free are collected, and a dump is taken before
# each pa_stats call, so the dump between a row's two pa_stats calls is
# that row's pairs and nothing else.
#
#   scripts/bench-spb-callgrind.sh [BUILD dir]     (default build)
#   CG_OPS=N   pairs per policy, split over the four rows [16384]
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
ops=${CG_OPS:-16384}
command -v valgrind >/dev/null || { echo "bench-spb-callgrind: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
make -s BUILD="$build" "$build/bench/bench_spb" >&2 || exit 2

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
valgrind --tool=callgrind --toggle-collect=pa_alloc --toggle-collect=pa_free \
	--dump-before=pa_stats --callgrind-out-file="$tmp/cg.%p" \
	"$build/bench/bench_spb" --only search --quick --runs 1 --ops "$ops" \
	> "$tmp/log" 2>&1 || { cat "$tmp/log" >&2; exit 1; }
# dumps in order: per policy, the set-up (with the previous gap), then
# row, gap, row, gap, row, gap, row
for f in $(cd "$tmp" && ls cg.*.* | sort -t. -k3 -n); do
	awk '/^(summary|totals):/ { print $2; exit }' "$tmp/$f"
done | awk -v n="$((ops / 4))" '
BEGIN { split("mainline pcpbuddy spb", pol, " ")
	split("movable-o0 unmovable-o0 movable-o3 unmovable-o3", row, " ") }
{ k = (NR - 1) % 8; p = int((NR - 1) / 8) + 1
  if (k % 2 == 1) ir[p, (k + 1) / 2] = $1 / n }
END { printf "| request | mainline | pcpbuddy | spb | spb / mainline |\n|---|---:|---:|---:|---:|\n"
      for (r = 1; r <= 4; r++)
	printf "| %s | %.0f | %.0f | %.0f | %.2f |\n", row[r], ir[1, r],
	       ir[2, r], ir[3, r], ir[3, r] / ir[1, r] }'
