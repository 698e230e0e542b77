#!/usr/bin/env bash
# libFuzzer on the zone API (tests/fuzz/fuzz_zone.c), clang with ASan+UBSan:
#   scripts/fuzz.sh [SECONDS]            (make fuzz FUZZ_SECONDS=...; default 60)
# Starts from the committed corpus tests/fuzz/corpus, which
# tests/test_fuzz_corpus.c replays under every policy in `make test`; new
# interesting inputs go to $FUZZ_OUT/corpus (default build-fuzz/corpus), not
# the source tree: commit one by hand once it replays clean (or shrink the
# scratch corpus first: build-fuzz/fuzz_zone -merge=1 DIR build-fuzz/corpus).
# Crashes, leaks and timeouts are written to build-fuzz/crash-*, leak-*,
# timeout-*; replay one with
#   build-fuzz/fuzz_zone FILE
# and shrink it with
#   build-fuzz/fuzz_zone -minimize_crash=1 -runs=100000 FILE
# FUZZ_CFLAGS adds compiler flags.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
# clang and its libFuzzer runtime, from Debian 12's packages
PA_EXTRA_PKGS="clang libclang-rt-14-dev" scripts/deps.sh
out=${FUZZ_OUT:-build-fuzz}
mkdir -p "$out/corpus"
clang -std=gnu11 -O1 -g -D_GNU_SOURCE -DPA_LIBFUZZER \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-missing-field-initializers \
	-Iinclude -Isrc -Itests ${FUZZ_CFLAGS:-} \
	tests/fuzz/fuzz_zone.c tests/model.c tests/config.c tests/policies.c \
	src/*.c src/*/*.c \
	-o "$out/fuzz_zone" -lurcu -lzstd -llz4 -lz -lpthread -lm
echo "fuzz: ${secs} s; seeds tests/fuzz/corpus, new inputs $out/corpus," \
	"crashes $out/crash-*"
exec "$out/fuzz_zone" -max_total_time="$secs" -max_len=4096 -timeout=10 \
	-artifact_prefix="$out/" -print_final_stats=1 \
	"$out/corpus" tests/fuzz/corpus
