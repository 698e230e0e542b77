#!/usr/bin/env bash
# Fuzz the API with libFuzzer (clang, ASan+UBSan): scripts/fuzz.sh [SECONDS]
# (make fuzz FUZZ_SECONDS=...).  The corpus is tests/fuzz/corpus, or
# $FUZZ_CORPUS to grow a scratch copy without touching the committed one
# (which tests/test_fuzz_corpus.c replays; keep it small: libFuzzer's
# -merge=1 picks a minimal set).  Crashes are written to build-fuzz/crash-*;
# replay one with build-fuzz/fuzz_api FILE.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
mkdir -p build-fuzz tests/fuzz/corpus
clang -std=gnu11 -O1 -g -D_GNU_SOURCE -DPA_LIBFUZZER -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -Iinclude -Isrc -Itests \
	tests/fuzz/fuzz_api.c tests/model.c src/*.c src/*/*.c \
	-o build-fuzz/fuzz_api -lurcu -lzstd -llz4 -lz -lpthread -lm
echo "fuzz: running for ${secs} s on ${FUZZ_CORPUS:-tests/fuzz/corpus}"
build-fuzz/fuzz_api -max_total_time="$secs" -max_len=4096 -artifact_prefix=build-fuzz/ \
	"${FUZZ_CORPUS:-tests/fuzz/corpus}"
