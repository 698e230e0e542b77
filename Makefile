# pagealloc build.  `make` builds libpagealloc (static + shared) and the
# `pagealloc` command; `make test` runs the suite; `make run` the lab demo.
# Out-of-tree builds: BUILD=dir.  Sanitizers: SAN=asan (ASan+UBSan) | tsan.
# New sources are picked up by wildcard: src/**.c -> library, lab/*.c ->
# command, tests/test_*.c -> one test binary each, bench/bench_*.c -> bench.

BUILD   ?= build
CC      ?= cc
PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
MANDIR  ?= $(PREFIX)/share/man
SAN     ?=
V       ?= 0

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-missing-field-initializers
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) -fPIC -fno-semantic-interposition -fvisibility=hidden -pthread -Iinclude -Isrc -Ilab \
             -D_GNU_SOURCE $(LAB_CFLAGS) $(SAN_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS ?=
LIBS    := -lurcu -lzstd -llz4 -lz -lpthread -lm
# The lab's capture uses libtracefs (and libtraceevent under it), compare
# jansson; the library uses neither.
LAB_CFLAGS := $(shell pkg-config --cflags libtracefs libtracecmd 2>/dev/null)
LAB_LIBS   := $(shell pkg-config --libs libtracefs libtracecmd 2>/dev/null || echo -ltracecmd -ltracefs -ltraceevent) -ljansson -lxxhash
TEST_LIBS := -lcmocka

ifeq ($(SAN),asan)
SAN_CFLAGS := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=all -DPA_SANITIZER=1
SAN_LDFLAGS := -fsanitize=address,undefined
else ifeq ($(SAN),tsan)
SAN_CFLAGS := -O1 -fsanitize=thread -fno-omit-frame-pointer -DPA_SANITIZER=1
SAN_LDFLAGS := -fsanitize=thread
else ifeq ($(SAN),lists)
SAN_CFLAGS := -O1 -fno-omit-frame-pointer -DPA_DEBUG_LISTS
else ifeq ($(SAN),coverage)
SAN_CFLAGS := -O0 --coverage
SAN_LDFLAGS := --coverage
endif

LIB_SRC   := $(sort $(wildcard src/*.c src/*/*.c))
LAB_SRC   := $(sort $(filter-out lab/main.c,$(wildcard lab/*.c)))
TEST_SRC  := $(sort $(wildcard tests/test_*.c))
TEST_HELPER_SRC := $(sort $(filter-out tests/test_%,$(wildcard tests/*.c)))
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/*.c))

LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
LAB_OBJ   := $(LAB_SRC:%.c=$(BUILD)/%.o)
TEST_HELPER_OBJ := $(TEST_HELPER_SRC:%.c=$(BUILD)/%.o)
TEST_BIN  := $(TEST_SRC:%.c=$(BUILD)/%)
BENCH_BIN := $(BENCH_SRC:%.c=$(BUILD)/%)

# libpagealloc.so.MAJOR.MINOR, soname libpagealloc.so.MAJOR (from pagealloc.h)
PA_MAJOR  := $(shell sed -n 's/^\#define PA_VERSION_MAJOR //p' include/pagealloc.h)
PA_MINOR  := $(shell sed -n 's/^\#define PA_VERSION_MINOR //p' include/pagealloc.h)
SONAME    := libpagealloc.so.$(PA_MAJOR)
SOFILE    := libpagealloc.so.$(PA_MAJOR).$(PA_MINOR)
STATIC    := $(BUILD)/libpagealloc.a
SHARED    := $(BUILD)/libpagealloc.so
LABLIB    := $(BUILD)/liblab.a
CMD       := $(BUILD)/pagealloc
# pagealloc(1), generated from --help by help2man (scripts/deps.sh installs it)
MAN       := $(BUILD)/pagealloc.1
HELP2MAN  := $(shell command -v help2man 2>/dev/null)

.PHONY: all deps test test-concurrency stress stress-lists run bench coverage install \
        uninstall clean fuzz docs-screens
all: $(STATIC) $(SHARED) $(CMD) $(if $(HELP2MAN),$(MAN))

deps:
	@scripts/deps.sh

# The goals that install missing packages first finish in a second make, so
# pkg-config and help2man above are asked after the install, not before it
# (on a fresh machine the first make had no -I for tracefs and no man page).
DEPS_GOALS := test test-concurrency stress run docs-screens bench
.PHONY: $(addsuffix -after-deps,$(DEPS_GOALS))
$(DEPS_GOALS): deps
	@$(MAKE) --no-print-directory $@-after-deps

$(BUILD)/%.o: %.c $(wildcard include/*.h src/*.h src/*/*.h lab/*.h tests/*.h)
	@mkdir -p $(dir $@)
	$(if $(filter 0,$(V)),@echo "  CC $<";)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(STATIC): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(SHARED): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,$(SONAME) $(SAN_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(LABLIB): $(LAB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(CMD): $(BUILD)/lab/main.o $(LABLIB) $(STATIC)
	$(CC) $(SAN_LDFLAGS) $(LDFLAGS) -pthread -o $@ $^ $(LAB_LIBS) $(LIBS)

# Every subcommand's --help goes in too, as preformatted text; the list is
# main.c's table (a hand-kept list had left out mix).
MAN_CMDS := $(shell sed -n 's/^\t{ "\([a-z]*\)", cmd_.*/\1/p' lab/main.c)
$(MAN): $(CMD) Makefile
	{ echo '[commands in detail]'; for c in $(MAN_CMDS); do \
	    echo ".SS pagealloc $$c"; echo '.nf'; \
	    $(CMD) help $$c | sed -e 's/\\/\\e/g' -e "s/^[.']/\\\\\&&/"; echo '.fi'; \
	  done; } > $@.inc
	$(HELP2MAN) --no-info --no-discard-stderr --include $@.inc \
		--name "the Linux page allocator in user space: the lab" --output $@ $(CMD)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(TEST_HELPER_OBJ) $(LABLIB) $(STATIC)
	$(CC) $(SAN_LDFLAGS) $(LDFLAGS) -pthread -o $@ $^ $(TEST_LIBS) $(LAB_LIBS) $(LIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LABLIB) $(STATIC)
	$(CC) $(SAN_LDFLAGS) $(LDFLAGS) -pthread -o $@ $^ $(LAB_LIBS) $(LIBS) $(BENCH_LIBS_$*)

# The whole suite.  TESTS=... limits it (e.g. TESTS='test_stress_%').
# The suites run their cases under every policy the library accepts
# (tests/factory.h), so nothing is re-run here per policy.
TESTS ?= %
test-after-deps: all $(TEST_BIN) check-includes check-install
	@scripts/run-tests.sh $(filter $(addprefix $(BUILD)/tests/,$(TESTS)),$(TEST_BIN))

# No include cycle among our headers (nor lab/report*.c): scripts/check_includes.py.
.PHONY: check-includes
check-includes:
	@scripts/check_includes.py --self-test

# make install into a scratch DESTDIR with a Debian multiarch LIBDIR: the
# versioned library and its links, the soname, pagealloc.pc, the man page
# with every command, a program built and run against the installed
# library, and uninstall removing it all: scripts/check-install.sh.
.PHONY: check-install
check-install: all
	@CC="$(CC)" SAN_LDFLAGS="$(SAN_LDFLAGS)" scripts/check-install.sh "$(MAKE)" $(SONAME) $(SOFILE) "$(MAN_CMDS)"

# Concurrency tests only (CI runs these under TSan).
test-concurrency-after-deps: all $(filter $(BUILD)/tests/test_stress_%,$(TEST_BIN))
	@scripts/run-tests.sh $(filter $(BUILD)/tests/test_stress_%,$(TEST_BIN))

# Long soak: the stress tests with PA_STRESS_LONG=1.
stress-after-deps: all $(filter $(BUILD)/tests/test_stress_%,$(TEST_BIN))
	@PA_STRESS_LONG=1 scripts/run-tests.sh $(filter $(BUILD)/tests/test_stress_%,$(TEST_BIN))

# The stress tests with every free list checked at each zone->lock release
# and a pageset's lists at each release of its lock (SAN=lists:
# PA_DEBUG_LISTS, src/check.c), so a corruption aborts in the hold that
# made it.  Slower than the plain run; not part of the CI.
.PHONY: stress-lists
stress-lists: deps
	@$(MAKE) --no-print-directory SAN=lists BUILD=build-lists test-concurrency-after-deps

run-after-deps: all
	@scripts/demo.sh $(CMD)

# The screenshots in docs/screens, from headless Chromium.
docs-screens-after-deps: all
	@scripts/docs-screens.sh $(CMD)

bench-after-deps: all $(BENCH_BIN)
	@scripts/run-bench.sh $(BENCH_BIN)

# libFuzzer on the zone API (clang, tests/fuzz/fuzz_zone.c): FUZZ_SECONDS=600 make fuzz
FUZZ_SECONDS ?= 60
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

coverage:
	$(MAKE) test SAN=coverage BUILD=build-cov
	gcovr -r . --object-directory build-cov --filter src/ --filter lab/ --txt --print-summary build-cov

install: all
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/bin \
	           $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/$(SOFILE)
	ln -sf $(SOFILE) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libpagealloc.so
	install -m 644 include/*.h $(DESTDIR)$(PREFIX)/include/
	install -m 755 $(CMD) $(DESTDIR)$(PREFIX)/bin/
	$(if $(HELP2MAN),install -d $(DESTDIR)$(MANDIR)/man1 && install -m 644 $(MAN) $(DESTDIR)$(MANDIR)/man1/,@echo "make install: pagealloc.1 NOT installed: help2man is missing (make deps)" >&2)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' pagealloc.pc.in \
		> $(DESTDIR)$(LIBDIR)/pkgconfig/pagealloc.pc

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libpagealloc.a $(DESTDIR)$(LIBDIR)/libpagealloc.so* \
	      $(DESTDIR)$(PREFIX)/bin/pagealloc $(DESTDIR)$(LIBDIR)/pkgconfig/pagealloc.pc \
	      $(DESTDIR)$(MANDIR)/man1/pagealloc.1 \
	      $(addprefix $(DESTDIR)$(PREFIX)/,$(wildcard include/*.h))

clean:
	rm -rf build build-*

-include $(wildcard bench/*.mk)
