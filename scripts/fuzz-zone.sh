#!/usr/bin/env bash
# libFuzzer on a tiny zone (tests/fuzz/fuzz_zone.c), clang with ASan+UBSan.
#   scripts/fuzz-zone.sh [SECONDS]      (default 60)
# Runs on the committed seeds in tests/fuzz/corpus-zone; new interesting
# inputs go to build-fuzz-zone/corpus (not the source tree: commit a new
# seed by hand, once it replays clean).  Crashes, leaks and timeouts are
# written to build-fuzz-zone/crash-*, leak-*, timeout-*; replay one with
#   build-fuzz-zone/fuzz_zone FILE
# and shrink it with
#   build-fuzz-zone/fuzz_zone -minimize_crash=1 -runs=100000 FILE
# test_fuzz_zone_corpus replays tests/fuzz/corpus-zone in `make test`.
# FUZZ_CFLAGS adds compiler flags.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
out=${FUZZ_OUT:-build-fuzz-zone}
mkdir -p "$out/corpus"
clang -std=gnu11 -O1 -g -D_GNU_SOURCE -DPA_LIBFUZZER \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-missing-field-initializers \
	-Iinclude -Isrc -Itests ${FUZZ_CFLAGS:-} \
	tests/fuzz/fuzz_zone.c tests/model.c src/*.c \
	-o "$out/fuzz_zone" -lurcu -lpthread -lm
echo "fuzz-zone: ${secs} s; seeds tests/fuzz/corpus-zone, new inputs $out/corpus," \
	"crashes $out/crash-*"
exec "$out/fuzz_zone" -max_total_time="$secs" -max_len=2048 -timeout=10 \
	-artifact_prefix="$out/" -print_final_stats=1 \
	"$out/corpus" tests/fuzz/corpus-zone
