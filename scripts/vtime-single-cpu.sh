#!/bin/sh
# The single-CPU check of the virtual-time model (issue 15, docs/LAB.md):
# every built-in scenario x policy cell at one simulated CPU with
# --measure, each against a calibration taken just before it.  This VM's
# speed drifts by up to 40% over minutes (docs/VTIME.md, "The pairing
# rule"), so a cell is PAIRS (calibration, measurement) pairs back to back
# and its ratio the median of theirs.  Prints predicted / measured per
# pair, the cell's median, and how many cells are within 20%.
# Both run with address-space randomisation off (setarch -R): with it on,
# calibrations a minute apart differed by up to 40% (the layout, not the
# load: docs/VTIME.md); ASLR=1 keeps it on.
# Usage: [PAIRS=3] [ASLR=1] scripts/vtime-single-cpu.sh [PAGEALLOC]
set -eu
pa=${1:-build/pagealloc}
pairs=${PAIRS:-3}
pre="setarch $(uname -m) -R"
[ "${ASLR:-0}" = 1 ] && pre=""
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); $pairs pairs a cell"
within=0
cells=0
for scen in kernel-build page-fault1 hugepage-demand slab-churn; do
	for pol in mainline pcpbuddy spb; do
		: >"$dir/ratios"
		for k in $(seq "$pairs"); do
			timeout 900 $pre "$pa" calibrate "$dir/costs.txt" --runs 5 \
				>"$dir/cal.log" 2>&1 || {
				echo "calibrate failed"; cat "$dir/cal.log"; exit 1; }
			out=$(timeout 1200 $pre "$pa" run "$scen" --mem 4G --cpus 1 \
				--virtual-time --think-scale 0 --measure \
				--policy "$pol" --cost-model "$dir/costs.txt" 2>&1) || {
				echo "$scen $pol: failed"; echo "$out"; exit 1; }
			line=$(printf '%s\n' "$out" | grep 'predicted/measured' | tail -1)
			printf '%s\n' "$line" | awk '{ print $NF }' >>"$dir/ratios"
			printf "  %-16s %s  (call_ns %s, list_op_ns %s)\n" "$scen" \
				"$(echo $line)" \
				"$(awk '$1 == "call_ns" { print $3 }' "$dir/costs.txt")" \
				"$(awk '$1 == "list_op_ns" { print $3 }' "$dir/costs.txt")"
		done
		med=$(sort -g "$dir/ratios" | awk '{ v[NR] = $1 } END {
			print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
		printf "%-16s %-9s median predicted/measured %s\n" "$scen" "$pol" "$med"
		cells=$((cells + 1))
		if awk -v r="$med" 'BEGIN { exit !(r >= 0.8 && r <= 1.2) }'; then
			within=$((within + 1))
		fi
	done
done
echo "within 20%: $within of $cells cells"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
