#!/bin/sh
# The single-CPU check of the virtual-time model (issue 15, docs/LAB.md):
# a fresh calibration, then every built-in scenario x policy cell at one
# simulated CPU with --measure; prints predicted / measured per cell and
# how many are within 20%.  Usage: scripts/vtime-single-cpu.sh [PAGEALLOC]
set -eu
pa=${1:-build/pagealloc}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
timeout 900 "$pa" calibrate "$dir/costs.txt" --runs 5 >"$dir/cal.log" 2>&1
# the figures the single-CPU cells depend on most
grep -E '^(call_ns|lock_ns|list_op_ns|merge_ns|miss_ns|walk_hop_ns|owner_ns) ' \
	"$dir/costs.txt" | awk '{ printf "%s %s  ", $1, $3 } END { print "" }'
within=0
cells=0
for scen in kernel-build page-fault1 hugepage-demand slab-churn; do
	for pol in mainline pcpbuddy spb; do
		out=$(timeout 1200 "$pa" run "$scen" --mem 4G --cpus 1 \
			--virtual-time --think-scale 0 --measure --policy "$pol" \
			--cost-model "$dir/costs.txt" 2>&1) || {
			echo "$scen $pol: failed"; echo "$out"; exit 1; }
		line=$(printf '%s\n' "$out" | grep 'predicted/measured' | tail -1)
		ratio=$(printf '%s\n' "$line" | awk '{ print $NF }')
		printf "%-16s %s\n" "$scen" "$(echo $line)"
		cells=$((cells + 1))
		if awk -v r="$ratio" 'BEGIN { exit !(r >= 0.8 && r <= 1.2) }'; then
			within=$((within + 1))
		fi
	done
done
echo "within 20%: $within of $cells cells"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
