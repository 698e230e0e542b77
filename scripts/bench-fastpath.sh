#!/usr/bin/env bash
# Interleaved rounds of bench_pages patterns on the per-CPU fast paths:
# the rseq stacks (the default), the sequence-taken lock word alone
# (PA_FAST_PATH=lockword), the trylock fallback (PA_FAST_PATH=trylock)
# and tcmalloc.  Every round runs every pattern for every subject, one
# process each; prints the median and minimum per subject and pattern and
# the load average before and after (the machine is shared).
#
#   scripts/bench-fastpath.sh [ROUNDS] [PATTERN...]
#     (5; "o0 pair" "o0 1024 then 1024" "o9 pair" "o0 handoff A->B")
#   BUILD=dir (default build-bench); builds the two binaries first.
#   BASE=binary adds subject "base": the stacks of another bench_pages
#   (e.g. a copy built from main), interleaved with the rest.
#   SUBJECTS="base stack tcmalloc" runs only those subjects.
set -uo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
shift || true
if [ $# -eq 0 ]; then
	set -- "o0 pair" "o0 1024 then 1024" "o9 pair" "o0 handoff A->B"
fi
build=${BUILD:-build-bench}
bin=$build/bench/bench_pages
make -s BUILD="$build" "$bin" "$bin-tcmalloc" >&2 || exit 2
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$rounds"); do
	for pat in "$@"; do
		for subj in ${SUBJECTS:-${BASE:+base} stack lockword trylock tcmalloc}; do
			b=$bin env=
			case $subj in
			base) b=$BASE ;;
			tcmalloc) b=$bin-tcmalloc ;;
			lockword | trylock) env=$subj ;;
			esac
			PA_FAST_PATH=$env "$b" --quick --only "$pat" 2>/dev/null |
				awk -F'\t' -v s="$subj" -v p="$pat" '$1 == "R" && $2 ~ /^(single|two)/ &&
					$3 == p && ($4 == "pa-mainline" || $4 == "tcmalloc") { print s "\t" p "\t" $5 }'
		done
	done
done | python3 -c '
import collections, statistics, sys
d = collections.defaultdict(list)
for line in sys.stdin:
    s, p, v = line.rstrip("\n").split("\t")
    d[(p, s)].append(float(v))
for (p, s), v in d.items():
    print(f"{p:20s} {s:9s} n {len(v)} median {statistics.median(v):8.1f} min {min(v):8.1f} ns")
'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
