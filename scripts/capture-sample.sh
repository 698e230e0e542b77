#!/usr/bin/env bash
# Capture the demo's sample trace (samples/build-small.trace.zst and its
# .zoneinfo) with the project's own `pagealloc capture`: a `make -j2` that
# compiles the project's C sources (src/ and lab/) in a scratch copy.
# Needs root (tracefs).  Usage: scripts/capture-sample.sh BUILD/pagealloc
set -euo pipefail
cmd=$(realpath "${1:-build/pagealloc}")
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$top/src" "$top/lab" "$top/include" "$work/"
cat > "$work/Makefile" <<'MK'
SRC := $(wildcard src/*.c lab/*.c)
OBJ := $(SRC:%.c=out/%.o)
all: $(OBJ)
out/%.o: %.c
	@mkdir -p $(dir $@)
	gcc -std=gnu11 -O2 -Iinclude -Isrc -Ilab -D_GNU_SOURCE -c $< -o $@
MK
cd "$work"
"$cmd" capture "$top/samples/build-small.trace.zst" -- make -s -j2
