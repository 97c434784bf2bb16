# cargo-pgo-wrap - build, install and test.
# PREFIX and DESTDIR are honoured by install; CC/CFLAGS/LDFLAGS may be overridden.

VERSION    := 0.1.0
# Builds use every core unless told otherwise (make -jN still wins).
ifeq ($(filter -j%,$(MAKEFLAGS)),)
MAKEFLAGS  += -j$(shell nproc 2>/dev/null || echo 2)
endif
# Recipes that run cargo drop make's jobserver: its descriptors are closed in
# recipes, and cargo and rustc warn that they cannot connect to it.
NO_JOBSERVER := env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
DATADIR    ?= $(PREFIX)/share/cargo-pgo-wrap
CC         ?= cc
CFLAGS     ?= -O2 -g
WARNINGS   := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2
CPPFLAGS   += -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iinclude -DPGOW_VERSION='"$(VERSION)"' \
              -DPGOW_DATADIR='"$(DATADIR)"'
# Static: the wrapper starts once per crate, and each shared library costs a load.
LDLIBS     += -Wl,-Bstatic -lyaml -lxxhash -lz -Wl,-Bdynamic -pthread
SAN_FLAGS  := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# shim/ holds one folder per layer (see LAYERS); main.c sits above them all.
LAYERS     := base formats store wrapper cycle commands
SRCS       := $(foreach l,$(LAYERS),$(wildcard shim/$(l)/*.c)) shim/main.c
LIB_SRCS   := $(filter-out shim/main.c,$(SRCS))
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
HDRS       := $(wildcard include/*/*.h tests/unit/*.h)

BUILD      := build
SAN        := build/san

BIN        := cargo-pgo-wrap
OBJS       := $(SRCS:shim/%.c=$(BUILD)/%.o)
LIB_OBJS   := $(LIB_SRCS:shim/%.c=$(BUILD)/%.o)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/%)
SAN_OBJS   := $(SRCS:shim/%.c=$(SAN)/%.o)
SAN_LIB    := $(LIB_SRCS:shim/%.c=$(SAN)/%.o)
SAN_UNITS  := $(UNIT_SRCS:tests/unit/%.c=$(SAN)/%)

.PHONY: all install uninstall test unit integration realapp sanitize valgrind clean

all: $(BIN)

$(BIN): $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: shim/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(WARNINGS) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/test_%: tests/unit/test_%.c $(LIB_OBJS) $(HDRS)
	$(CC) $(WARNINGS) $(CPPFLAGS) $(CFLAGS) -Itests/unit -o $@ $< $(LIB_OBJS) $(LDLIBS) -lcmocka

$(BUILD)/hashbench: tests/bench/hashbench.c $(LIB_OBJS) $(HDRS)
	$(CC) $(WARNINGS) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

$(SAN)/%.o: shim/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(WARNINGS) $(CPPFLAGS) $(SAN_FLAGS) -c -o $@ $<

$(SAN)/test_%: tests/unit/test_%.c $(SAN_LIB) $(HDRS)
	$(CC) $(WARNINGS) $(CPPFLAGS) $(SAN_FLAGS) -Itests/unit -o $@ $< $(SAN_LIB) $(LDLIBS) -lcmocka

$(SAN)/$(BIN): $(SAN_OBJS)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

$(BUILD) $(SAN):
	mkdir -p $@

SHIMDIR    ?= $(PREFIX)/lib/cargo-pgo-wrap/shims

# The cargo shim: put $(SHIMDIR) first on PATH and every `cargo build` gets PGO.
# The training presets go to $(DATADIR)/profiles, which messages point at.
install: $(BIN) install-man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHIMDIR) $(DESTDIR)$(DATADIR)/profiles
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/$(BIN)
	install -m 0644 profiles/*.yaml $(DESTDIR)$(DATADIR)/profiles/
	ln -sf $(BINDIR)/$(BIN) $(DESTDIR)$(SHIMDIR)/cargo

uninstall: uninstall-man
	rm -f $(DESTDIR)$(BINDIR)/$(BIN) $(DESTDIR)$(SHIMDIR)/cargo
	rm -rf $(DESTDIR)$(DATADIR)

# ---- Tests ----------------------------------------------------------------------
# Each test goal first installs what only tests need when it is missing
# (tests/deps.sh: cmocka, valgrind, Debian's crates the fixtures build against, ...;
# one dpkg-query when all is there). It runs while the Makefile is read, so nothing is
# compiled before it. ./install.sh installs none of it.
TEST_GOALS := check test unit integration realapp sanitize valgrind bench fuzz fuzz-regress
ifneq ($(filter $(TEST_GOALS),$(MAKECMDGOALS)),)
TEST_DEPS_RC := $(shell bash tests/deps.sh >&2; echo $$?)
ifneq ($(TEST_DEPS_RC),0)
$(error tests/deps.sh failed (exit $(TEST_DEPS_RC)); the tests need the packages it names)
endif
endif

# The integration runners run tests in parallel: PGOW_JOBS (default: the cores).
RUN_TESTS  := bash tests/integration/run.sh
SAN_ENV    := PGOW_BIN=$(CURDIR)/$(SAN)/$(BIN) PGOW_SANITIZED=1 \
              ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99 \
              UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=99

.PHONY: check check-quick check-layers test-cargo

# The fast suite, under 2 minutes: unit tests, the integration tests that run no cargo
# build (declared no_cargo: the direct wrapper tests and others), every fuzzing seed
# and crash replayed under ASan/UBSan, and the layer check.
check: unit check-quick fuzz-regress check-layers check-man

check-quick: $(BIN)
	PGOW_BIN=$(CURDIR)/$(BIN) $(RUN_TESTS) --quick


# Everything, each once: check; then the integration tests that build with cargo and
# the lifecycle on real applications from Debian's crates (integration + realapp, in
# one parallel run: bat's builds take longest, the others fill the other cores); then
# the sanitizer runs.
test: check test-cargo sanitize

# Under `make test` the phases take turns (each runs its tests in parallel itself);
# what they compile is still built alongside.
ifneq ($(filter test,$(MAKECMDGOALS)),)
test-cargo: | check
sanitize: | test-cargo
endif

test-cargo: $(BIN)
	PGOW_BIN=$(CURDIR)/$(BIN) $(RUN_TESTS) --cargo --realapp

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do $$t; done

integration: $(BIN)
	PGOW_BIN=$(CURDIR)/$(BIN) $(RUN_TESTS)

realapp: $(BIN)
	PGOW_BIN=$(CURDIR)/$(BIN) bash tests/realapp/run.sh

# The sanitizers where they find bugs: the unit tests, the binary (ASan and UBSan)
# through the integration tests that run no cargo build, and every parser's fuzzing
# seeds and crashes. A report of any sanitized process fails its test (PGOW_SANITIZED).
sanitize: $(SAN_UNITS) $(SAN)/$(BIN) fuzz-regress
	@set -e; for t in $(SAN_UNITS); do $$t; done
	$(SAN_ENV) $(RUN_TESTS) --quick

valgrind: $(UNIT_BINS) $(BIN)
	@set -e; for t in $(UNIT_BINS); do \
		PGOW_VALGRIND=1 valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 $$t; done
	PGOW_BIN=$(CURDIR)/$(BIN) PGOW_VALGRIND=1 $(RUN_TESTS) wrapper_direct

clean:
	rm -rf $(BUILD) $(BIN)

# Fuzzing: libFuzzer harnesses of every parser (tests/fuzz/fuzz_*.c), each run
# for FUZZ_SECONDS from the seed corpus in tests/fuzz/corpus/NAME. A crash is
# written to build/fuzz/; keep it in tests/fuzz/regressions/NAME so that
# `make test` replays it (fuzz-regress, with gcc and the sanitizers).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ         := build/fuzz
FUZZ_FLAGS   := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_LIB     := $(LIB_SRCS:shim/%.c=$(FUZZ)/%.o)
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ)/fuzz_%)
REGRESS_BINS := $(FUZZ_NAMES:%=$(SAN)/replay_%)

$(FUZZ)/%.o: shim/%.c $(HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(WARNINGS) $(CPPFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_LIB)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) $(LDLIBS)

$(SAN)/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/driver.c tests/fuzz/fuzz.h $(SAN_LIB)
	$(CC) $(CPPFLAGS) $(SAN_FLAGS) -o $@ $< tests/fuzz/driver.c $(SAN_LIB) $(LDLIBS)

$(FUZZ):
	mkdir -p $@

fuzz: $(FUZZ_BINS)
	@set -e; for n in $(FUZZ_NAMES); do \
		mkdir -p $(FUZZ)/corpus-$$n; \
		echo "fuzz_$$n: $(FUZZ_SECONDS)s"; \
		$(FUZZ)/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
			-print_final_stats=1 -artifact_prefix=$(FUZZ)/crash-$$n- \
			$(FUZZ)/corpus-$$n tests/fuzz/corpus/$$n 2>&1 | \
			grep -E '^(stat::number_of_executed_units|stat::peak_rss|#[0-9]+[[:space:]]+DONE|==[0-9]+==ERROR|SUMMARY)' ; \
		test -z "$$(ls $(FUZZ)/crash-$$n-* 2>/dev/null)" || { echo "fuzz_$$n found a crash: $$(ls $(FUZZ)/crash-$$n-*)"; exit 1; }; \
	done

# Replays every seed and every crash ever found, under ASan/UBSan, without libFuzzer.
fuzz-regress: $(REGRESS_BINS)
	@set -e; for n in $(FUZZ_NAMES); do \
		ASAN_OPTIONS=detect_leaks=1 $(SAN)/replay_$$n tests/fuzz/corpus/$$n tests/fuzz/regressions/$$n; \
	done

.PHONY: demo bench fuzz fuzz-regress stress
# The store under load for 10 minutes (make test runs the same for 45 s):
# builds of two workspaces sharing a cache, wrapper builds, a gc loop, killed merges.
STRESS_SECONDS ?= 600
stress: $(BIN)
	$(NO_JOBSERVER) PGOW_BIN=$(CURDIR)/$(BIN) bash tests/stress/stress.sh $(STRESS_SECONDS)

# Speed is measured here, side by side in one run, never in timed tests.
bench: $(BIN)
	$(NO_JOBSERVER) PGOW_BIN=$(CURDIR)/$(BIN) bash tests/bench/pgo.sh
	$(NO_JOBSERVER) PGOW_BIN=$(CURDIR)/$(BIN) bash tests/bench/cpgo.sh
	$(NO_JOBSERVER) PGOW_BIN=$(CURDIR)/$(BIN) bash tests/bench/refresh.sh
	$(NO_JOBSERVER) PGOW_BIN=$(CURDIR)/$(BIN) bash tests/bench/stale.sh
	$(NO_JOBSERVER) PGOW_BIN=$(CURDIR)/$(BIN) bash tests/bench/overhead.sh
	$(NO_JOBSERVER) PGOW_BIN=$(CURDIR)/$(BIN) bash tests/bench/remote.sh
	$(NO_JOBSERVER) PGOW_BIN=$(CURDIR)/$(BIN) bash tests/bench/partial.sh
	$(NO_JOBSERVER) PGOW_BIN=$(CURDIR)/$(BIN) bash tests/bench/cycle.sh
	bash tests/bench/hash.sh
	SOURCE=registry bash tests/bench/hash.sh
	$(NO_JOBSERVER) PGOW_BIN=$(CURDIR)/$(BIN) bash tests/bench/merge.sh

demo: $(BIN)
	$(NO_JOBSERVER) PGOW_BIN=$(CURDIR)/$(BIN) bash examples/demo/demo.sh

# shim/'s layers, lowest first: a file includes only its own layer or a lower one, and no include cycle.
.PHONY: check-layers
check-layers:
	@sh tests/check-layers.sh $(LAYERS) && echo "check-layers: $(words $(LAYERS)) layers, no upward include, no cycle"

# The man pages' generated sections, from the settings and pgo-wrap.yaml key tables.
$(BUILD)/settings-doc: doc/man/settings.c $(LIB_OBJS) $(HDRS)
	$(CC) $(WARNINGS) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

$(BUILD)/settings-%.md: $(BUILD)/settings-doc
	$(BUILD)/settings-doc $* >$@

include doc/man/man.mk

# The install test runs `make install`, which renders the man pages: render them
# first, or both makes link and run build/settings-doc at once ("Text file busy").
check-quick: $(MAN_PAGES)
