#!/usr/bin/env bash
# Instructions per operation on the rseq stacks, counted by callgrind,
# beside tcmalloc: the order-0 pair (per pair) and the "o0 1024 then 1024"
# burst (per operation, an allocation or a free).  Valgrind cannot
# register rseq, so the pagealloc binary is built with -DPA_RSEQ_COUNT
# in its own BUILD dir: the real sequences run, on a cpu_id the library
# wrote into glibc's unregistered area (src/rseq.c count_build_cpu: one
# thread only, nothing aborts); PA_FAST_PATH=trylock counts the fallback
# beside it, which finds its CPU with the same one load.
#
#   scripts/bench-rseq-callgrind.sh            (BUILD dirs build-cgcount, build-bench)
#   CG_OPS=N   operations pairs counted per subject [262144]
#   CG_ANNOTATE=1  also print callgrind_annotate's top functions per row
set -uo pipefail
cd "$(dirname "$0")/.."
ops=${CG_OPS:-262144}
cnt=build-cgcount
peer=build-bench/bench/bench_pages-tcmalloc
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 2; }
make -s BUILD=$cnt EXTRA_CFLAGS=-DPA_RSEQ_COUNT $cnt/bench/bench_pages >&2 || exit 2
make -s BUILD=build-bench "$peer" >&2 || exit 2

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# count FASTPATH BINARY SUBJECT PATTERN -> "instructions pairs"
count() {
	local fp=$1 bin=$2 subj=$3 pat=$4 f="$tmp/cg.out" fn=bench_callgrind_pairs
	[ "$pat" = burst ] && fn=bench_callgrind_bursts
	rm -f "$f"
	PA_FAST_PATH=$fp taskset -c 0 valgrind --tool=callgrind --toggle-collect=$fn \
		--callgrind-out-file="$f" "$bin" --callgrind "$subj" --ops "$ops" \
		--only "$([ "$pat" = burst ] && echo 1024 || echo pair)" \
		--avalanche 4096 > "$tmp/log" 2>&1 || { cat "$tmp/log" >&2; return 1; }
	local n
	n=$(awk -F'\t' '$0 ~ /callgrind .* pairs/ { for (i = 1; i <= NF; i++) if ($i ~ /callgrind/) print $i }' "$tmp/log" |
		grep -o '[0-9]* pairs' | cut -d' ' -f1)
	local total
	total=$(awk '/^(summary|totals):/ { print $2; exit }' "$f")
	echo "$total ${n:-$ops}"
	if [ -n "${CG_ANNOTATE:-}" ]; then
		callgrind_annotate --inclusive=no "$f" 2>/dev/null | sed -n '/^Ir/,$p' | head -16 >&2
	fi
}
printf '| subject | o0 pair, per pair | o0 1024 then 1024, per op |\n|---|---:|---:|\n'
row() { # label fastpath binary subject
	local p b
	read -r ir n < <(count "$2" "$3" "$4" pair) && p=$(awk -v i="$ir" -v n="$n" 'BEGIN { printf "%.1f", i / n }')
	read -r ir n < <(count "$2" "$3" "$4" burst) && b=$(awk -v i="$ir" -v n="$n" 'BEGIN { printf "%.1f", i / (2 * n) }')
	printf '| %s | %s | %s |\n' "$1" "${p:-failed}" "${b:-failed}"
}
row "pa-mainline, rseq stacks" "" $cnt/bench/bench_pages pa-mainline
row "pa-mainline, trylock fallback" trylock $cnt/bench/bench_pages pa-mainline
row "tcmalloc" "" "$peer" tcmalloc
echo
echo "valgrind $(valgrind --version | sed 's/valgrind-//'), $ops pairs per cell after 65536 warm-up pairs, taskset -c 0"
