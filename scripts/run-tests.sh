#!/usr/bin/env bash
# Run each test binary, show its output, and end with one summary line
# "tests: N passed, N failed" counting test binaries' cmocka cases.
set -u
passed=0; failed=0; bad=()
# (Each binary runs its cases under every policy itself: tests/factory.h.)
for t in "$@"; do
	name=$(basename "$t")
	echo "=== $name"
	out=$(mktemp)
	"$t" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	p=$(grep -aoE '^\[  PASSED  \] [0-9]+' "$out" | awk '{s+=$4} END{print s+0}')
	f=$(grep -aoE '^\[  FAILED  \] [0-9]+' "$out" | awk '{s+=$4} END{print s+0}')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p)); failed=$((failed + f))
	[ "$rc" -ne 0 ] && bad+=("$name")
	rm -f "$out"
done
[ ${#bad[@]} -gt 0 ] && echo "failing: ${bad[*]}"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ ${#bad[@]} -eq 0 ]
