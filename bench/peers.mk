# The peers of bench_pages: the same source built once per malloc, because
# each replaces the global malloc and so needs a process of its own.
# Debian packages: libjemalloc-dev, libmimalloc-dev, libgoogle-perftools-dev
# (scripts/deps.sh installs them).  glibc is the baseline with no extra lib.

BENCH_PEERS := glibc jemalloc mimalloc tcmalloc
PEER_LIB_glibc    :=
PEER_LIB_jemalloc := -ljemalloc
PEER_LIB_mimalloc := -lmimalloc
PEER_LIB_tcmalloc := -ltcmalloc_minimal

PEER_BIN := $(BENCH_PEERS:%=$(BUILD)/bench/bench_pages-%)

# `make bench` builds them and hands them to scripts/run-bench.sh with the
# others (the recipe expands BENCH_BIN only when it runs).
bench: $(PEER_BIN)
BENCH_BIN += $(PEER_BIN)

$(BUILD)/bench/bench_pages-%.o: bench/bench_pages.c $(wildcard bench/*.h)
	@mkdir -p $(dir $@)
	$(if $(filter 0,$(V)),@echo "  CC $< (PEER=$*)";)$(CC) $(ALL_CFLAGS) -DPEER='"$*"' -c $< -o $@

# The peer's library goes first so it is the one aligned_alloc binds to;
# no libpagealloc: a peer binary has nothing of it compiled in.
$(BUILD)/bench/bench_pages-%: $(BUILD)/bench/bench_pages-%.o $(BENCH_HARNESS_OBJ)
	$(CC) $(SAN_LDFLAGS) $(LDFLAGS) -pthread -o $@ $^ $(PEER_LIB_$*) -lpthread
.SECONDARY: $(PEER_BIN:=.o)
