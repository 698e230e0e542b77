# Benchmark build rules, included by the Makefile.  The bench_*.c mains
# share the harness (timing, pinning, result lines); peers are in peers.mk.

BENCH_HARNESS_OBJ := $(BUILD)/bench/harness.o

# Extra prerequisites land in the pattern rule's $^, so they get linked.
$(BENCH_BIN): $(BENCH_HARNESS_OBJ)

# The Makefile's object rule does not know bench/*.h.
$(BENCH_BIN:=.o) $(BENCH_HARNESS_OBJ): $(wildcard bench/*.h)
