# The lab's replay speed (bench/replay_speed.c): not a bench_* binary, so
# `make bench` does not run it with the harness's options; build it with
# `make build/bench/replay_speed` and see docs/PERFORMANCE.md.

REPLAY_SPEED := $(BUILD)/bench/replay_speed

$(REPLAY_SPEED): $(BUILD)/bench/replay_speed.o $(LABLIB) $(STATIC)
	$(CC) $(SAN_LDFLAGS) $(LDFLAGS) -pthread -o $@ $^ $(LAB_LIBS) $(LIBS)
