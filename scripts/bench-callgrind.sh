#!/usr/bin/env bash
# Instructions per single-thread order-0 alloc+free pair, for each pagealloc
# policy (pointer and pfn API) and each peer, counted by callgrind: unlike
# ns on this shared machine, the count does not move with the neighbours.
#
#   scripts/bench-callgrind.sh [BUILD dir]       (default build-bench)
#   CG_OPS=N   pairs counted per subject [1048576]
#
# Only bench_callgrind_pairs() is counted (--toggle-collect), after a warm-up
# of 65536 pairs, so zone creation and warm-up are excluded.  Builds the
# binaries first with make BUILD=<dir>.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-bench}
ops=${CG_OPS:-1048576}
command -v valgrind >/dev/null || { echo "bench-callgrind: needs valgrind (apt-get install valgrind)" >&2; exit 2; }

peers=(glibc jemalloc mimalloc tcmalloc)
make -s BUILD="$build" "$build/bench/bench_pages" \
	"${peers[@]/#/$build/bench/bench_pages-}" >&2 || exit 2

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
count() { # binary subject -> instructions in the counted function, or empty
	local bin=$1 subj=$2 f="$tmp/cg.out"
	rm -f "$f"
	valgrind --tool=callgrind --toggle-collect=bench_callgrind_pairs \
		--callgrind-out-file="$f" "$bin" --callgrind "$subj" --ops "$ops" \
		--avalanche 4096 > "$tmp/log" 2>&1 || return 1
	awk '/^(summary|totals):/ { print $2; exit }' "$f"
}

printf '| subject | instructions per pair |\n|---|---:|\n'
pa_subjects=(pa-mainline pa-mainline/pfn pa-zone pa-zone/pfn pa-pcpbuddy pa-pcpbuddy/pfn
	     pa-spb pa-spb/pfn)
for s in "${pa_subjects[@]}"; do
	if ir=$(count "$build/bench/bench_pages" "$s") && [ -n "$ir" ]; then
		awk -v s="$s" -v ir="$ir" -v n="$ops" 'BEGIN { printf "| %s | %.1f |\n", s, ir / n }'
	else
		why=$(grep -m1 "^S	${s%/pfn}	" "$tmp/log" | cut -f3)
		printf '| %s | skipped: %s |\n' "$s" "${why:-see $tmp/log}"
	fi
done
for p in "${peers[@]}"; do
	if ir=$(count "$build/bench/bench_pages-$p" "$p") && [ -n "$ir" ]; then
		awk -v s="$p" -v ir="$ir" -v n="$ops" 'BEGIN { printf "| %s | %.1f |\n", s, ir / n }'
	else
		printf '| %s | failed |\n' "$p"
	fi
done
echo
echo "valgrind $(valgrind --version | sed 's/valgrind-//'), $ops pairs per subject after 65536 warm-up pairs"
