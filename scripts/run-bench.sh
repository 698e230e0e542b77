#!/usr/bin/env bash
# Run every benchmark binary given (make bench passes bench_* and the peer
# builds bench_pages-<peer>) and print one table per benchmark group with
# medians and ratios (scripts/bench-report.py).
#
# Runs interleave: each round runs every binary once (--runs 1), so slow
# drift on this shared machine hits pagealloc and its peers alike; medians
# are taken over the rounds.  Never part of the test suite's pass/fail.
#
#   BENCH_QUICK=1    5 rounds, 100 ms loop budget, 256K-page avalanche (~1.5 min)
#   (default)        5 rounds, 300 ms budget, 1M-page avalanche (~3 min)
#   BENCH_FULL=1     11 rounds, 4M-op loops, 1 s budget, 1M-page avalanche
#   BENCH_ROUNDS=N   override the rounds;  BENCH_ARGS='...' extra options
#                    for every binary (e.g. --only 'o0 pair')
#   BENCH_OUT=dir    where results.tsv and results.md go [the binaries' dir]
set -uo pipefail
[ $# -gt 0 ] || { echo "usage: $0 bench-binary..." >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)

rounds=5; args=(--budget-ms 300 --avalanche 1048576); mode=default
if [ "${BENCH_QUICK:-0}" != 0 ]; then
	args=(--budget-ms 100 --avalanche 262144 --quick); mode=quick
elif [ "${BENCH_FULL:-0}" != 0 ]; then
	rounds=11; args=(--ops 4194304 --budget-ms 1000 --avalanche 1048576); mode=full
fi
rounds=${BENCH_ROUNDS:-$rounds}
# shellcheck disable=SC2206 # word splitting of BENCH_ARGS is the point
extra=(${BENCH_ARGS:-})
out=${BENCH_OUT:-$(dirname "$1")}
mkdir -p "$out"
tsv=$out/results.tsv; md=$out/results.md
: > "$tsv"

start=$(date +%s)
loads=() # 1-minute load average before each binary: others share this machine
for ((r = 1; r <= rounds; r++)); do
	for b in "$@"; do
		loads+=("$(cut -d' ' -f1 /proc/loadavg)")
		t0=$(date +%s.%N)
		"$b" --runs 1 "${args[@]}" "${extra[@]}" >> "$tsv"
		rc=$?
		t1=$(date +%s.%N)
		printf 'bench: round %d/%d %-22s %5.1f s\n' "$r" "$rounds" \
			"$(basename "$b")" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" >&2
		[ $rc -eq 0 ] || printf 'S\t%s\texited with status %d in round %d\n' \
			"$(basename "$b")" "$rc" "$r" >> "$tsv"
	done
done
took=$(( $(date +%s) - start ))

{
	echo "## pagealloc benchmarks ($mode mode, $rounds rounds)"
	echo
	echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(uname -sr)"
	echo "- commit: $(git -C "$here/.." rev-parse --short HEAD 2>/dev/null || echo unknown), $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- options: --runs 1 ${args[*]} ${extra[*]} per binary per round; took ${took} s"
	echo "- load average (1 min) seen before each binary: $(printf '%s\n' "${loads[@]}" | sort -g | sed -n '1p;$p' | paste -sd' ' | sed 's/ / to /') on $(nproc) CPUs"
	echo "- cells: median ±half the min-max range (runs)"
	python3 "$here/bench-report.py" "$tsv"
} | tee "$md"
echo "bench: raw results in $tsv, tables in $md" >&2
