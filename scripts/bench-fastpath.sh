#!/usr/bin/env bash
# Interleaved rounds of one bench_pages pattern on the rseq fast path, the
# trylock fallback (PA_FAST_PATH=trylock) and tcmalloc; prints every sample
# and the median and minimum per subject.
#
#   scripts/bench-fastpath.sh [PATTERN] [ROUNDS]   ("o0 pair", 5)
#   BUILD=dir (default build-bench); builds the two binaries first.
set -uo pipefail
cd "$(dirname "$0")/.."
pat=${1:-o0 pair}
rounds=${2:-5}
build=${BUILD:-build-bench}
bin=$build/bench/bench_pages
make -s BUILD="$build" "$bin" "$bin-tcmalloc" >&2 || exit 2
for _ in $(seq "$rounds"); do
	for subj in rseq trylock tcmalloc; do
		b=$bin env=$subj
		[ "$subj" = tcmalloc ] && b=$bin-tcmalloc env=
		PA_FAST_PATH=$env "$b" --quick --only "$pat" 2>/dev/null |
			awk -F'\t' -v s="$subj" -v p="$pat" '$1 == "R" && $2 ~ /^(single|two)/ &&
				$3 == p && ($4 == "pa-mainline" || $4 == "tcmalloc") { print s "\t" $5 }'
	done
done | python3 -c '
import collections, statistics, sys
d = collections.defaultdict(list)
for line in sys.stdin:
    s, v = line.split("\t")
    d[s].append(float(v))
for s, v in d.items():
    print(f"{s}: n {len(v)} median {statistics.median(v):.1f} min {min(v):.1f} ns")
'
