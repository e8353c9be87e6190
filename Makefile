# kit: build, demo, check, bench, install.  One Makefile, no generated parts.
#
#   make            the three programs in build/bin/
#   make demo       publish the TOGETHER kit and fetch it as the Belgium office
#   make check      lint, then unit, end-to-end and fuzz-replay tests under ASan + UBSan
#   make lint       the house format (.clang-format) and no banned function
#   make format     format every C file as .clang-format says
#   make bench      benchmarks against the standard tools (build/bench/)
#   make conformance the TUF conformance suite against kit's client (SUITE=dir)
#   make install    PREFIX=/usr/local DESTDIR=
#   make test-<m>   one module's unit tests (under the sanitizers)
#
# BUILD=dir puts every output under another directory (parallel work trees).

BUILD   ?= build
PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
CFLAGS  ?= -O2 -g
SHELL   := /bin/bash

KIT_WARN := -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic -Werror \
	-Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
	-Wwrite-strings -Wvla -MMD -MP
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

PKGS      := libcurl openssl libarchive libzstd jansson

MODULES := util crypto manifest tuf campaign org bundle transport schedule publisher fetcher
# Each module's link closure, itself first, in link order (no cycles).
closure_util      := util
closure_crypto    := crypto util
closure_manifest  := manifest crypto util
closure_tuf       := tuf crypto util
closure_campaign  := campaign schedule org manifest crypto util
closure_org       := org util
closure_bundle    := bundle manifest crypto util
closure_transport := transport crypto util
closure_schedule  := schedule org manifest crypto util
closure_publisher := publisher tuf campaign schedule org bundle manifest crypto util
closure_fetcher   := fetcher tuf campaign schedule org bundle manifest transport crypto util
closure_kit-publish  := publisher tuf campaign schedule org bundle manifest crypto util
closure_kit-fetch    := fetcher tuf campaign schedule org bundle manifest transport crypto util
closure_kit-schedule := schedule org manifest crypto util
closure_kit-conformance-client := tuf transport crypto util
closure_tuf_delegate := tuf crypto util

PROGRAMS := kit-publish kit-fetch kit-schedule

INCS := $(foreach m,$(MODULES),-Ipkg/$(m))
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)

ALL_CFLAGS = $(KIT_WARN) $(INCS) $(PKG_CFLAGS) $(CFLAGS)
# Only the test builds read the clock from KIT_TEST_NOW (pkg/util/time.c).
SAN_CFLAGS = $(KIT_WARN) $(INCS) $(PKG_CFLAGS) -O1 -g $(SAN_FLAGS) -DKIT_TEST_CLOCK

mod_srcs = $(wildcard pkg/$(1)/*.c)
# $(call objs,variant,module)
objs = $(patsubst %.c,$(BUILD)/$(1)/obj/%.o,$(call mod_srcs,$(2)))
libs_of = $(foreach m,$(closure_$(2)),$(BUILD)/$(1)/lib/libkit_$(m).a)

.PHONY: all deps deps-check deps-fuzz demo check check-unit check-e2e check-fuzz check-manifests \
	bench install clean help
.DEFAULT_GOAL := all

all: deps $(foreach p,$(PROGRAMS),$(BUILD)/bin/$(p)) $(BUILD)/bin/kit-conformance-client

help:
	@sed -n '1,14p' Makefile

# --- dependencies ---------------------------------------------------------
# What each goal needs, as KIND:WHAT:DEBIAN-PACKAGE, where KIND is pc (a
# pkg-config module, WHAT is NAME@MIN-VERSION), cmd (a command on PATH or in
# /usr/sbin or /sbin), py (a module of /usr/bin/python3, the one the tests
# run) or file (a path).  `make` needs the build set; demo adds what the
# programs read at run time; the goals that run tests add their servers and
# checkers.  Only what is missing is installed (as root, else one line says
# what to run), so a Node.js or npm that works, Debian's or not, stays.
DEPS_BUILD := cmd:cc:gcc file:/usr/include/stdio.h:libc6-dev cmd:pkg-config:pkgconf \
	pc:libcurl@7.68:libcurl4-openssl-dev pc:openssl@3.0:libssl-dev pc:libarchive@3.4:libarchive-dev \
	pc:libzstd@1.4.5:libzstd-dev pc:jansson@2.13:libjansson-dev
DEPS_RUN   := file:/usr/share/zoneinfo/Europe/Brussels:tzdata
DEPS_CHECK := pc:cmocka@1.1:libcmocka-dev cmd:prove:libtest-harness-perl cmd:nginx:nginx-light \
	cmd:minisign:minisign cmd:zstd:zstd cmd:curl:curl cmd:strace:strace cmd:openssl:openssl \
	py:jsonschema:python3-jsonschema py:icalendar:python3-icalendar py:cryptography:python3-cryptography \
	cmd:node:nodejs cmd:npm:npm file:/etc/ssl/certs/ca-certificates.crt:ca-certificates \
	cmd:clang-format:clang-format \
	file:/usr/bin/chromium:chromium
# make fuzz: clang and its libFuzzer runtime (fuzzer: a probe that links a
# fuzz target with $(FUZZ_CC) -fsanitize=fuzzer)
DEPS_FUZZ  := cmd:clang:clang fuzzer:libFuzzer:libclang-rt-dev
DEPS_TEST_GOALS := check check-% test-% bench deps-check lint format
DEPS := $(DEPS_BUILD) $(if $(filter demo $(DEPS_TEST_GOALS),$(MAKECMDGOALS)),$(DEPS_RUN)) \
	$(if $(filter $(DEPS_TEST_GOALS),$(MAKECMDGOALS)),$(DEPS_CHECK)) \
	$(if $(filter fuzz deps-fuzz,$(MAKECMDGOALS)),$(DEPS_FUZZ))
# Absolute paths the probes look at are under DEPS_ROOT (tests/e2e/deps.t
# points it at an empty directory to make them look missing).
DEPS_ROOT ?=
DEPS_LOG = $(BUILD)/deps.log

# deps: the build set (and the run and test sets when the goals need them);
# deps-check: all of them.  Every compile waits for deps.
deps:
	@missing=; pkgs=; for d in $(DEPS); do kind=$${d%%:*}; what=$${d#*:}; pkg=$${what##*:}; what=$${what%:*}; \
	  case $$kind in \
	  pc) pkg-config --atleast-version="$${what#*@}" "$${what%@*}" ;; \
	  cmd) command -v "$$what" || [ -x "$(DEPS_ROOT)/usr/sbin/$$what" ] || [ -x "$(DEPS_ROOT)/sbin/$$what" ] ;; \
	  py) "$(DEPS_ROOT)/usr/bin/python3" -c "import $$what" ;; \
	  file) [ -e "$(DEPS_ROOT)$$what" ] ;; \
	  fuzzer) echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return d && n; }' | \
	    $(FUZZ_CC) -fsanitize=fuzzer -x c - -o /dev/null ;; \
	  esac >/dev/null 2>&1 && continue; \
	  missing="$$missing $${what%@*}"; case " $$pkgs " in *" $$pkg "*) ;; *) pkgs="$$pkgs $$pkg";; esac; \
	done; \
	[ -z "$$pkgs" ] && exit 0; \
	if [ "$$(id -u)" != 0 ]; then echo "kit: missing$$missing; as root run: apt-get install$$pkgs" >&2; exit 1; fi; \
	echo "kit: installing$$pkgs (missing:$$missing; log: $(DEPS_LOG))"; mkdir -p "$(BUILD)"; \
	if ! (export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && \
	  apt-get install -y -qq --no-install-recommends $$pkgs) >"$(DEPS_LOG)" 2>&1; then \
	  why=$$(grep -m1 '^E: ' "$(DEPS_LOG)" | tr -d '\n'); \
	  echo "kit: apt-get install$$pkgs failed: $${why:-see the log}; log: $(DEPS_LOG)" >&2; exit 1; fi
deps-check: deps
deps-fuzz: deps

# --- objects and module libraries, normal and sanitized ---------------------
# V=1 shows the whole command lines.
Q := $(if $(V),,@)

$(BUILD)/rel/obj/%.o: %.c | deps
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/asan/obj/%.o: %.c | deps
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC asan $<")
	$(Q)$(CC) $(SAN_CFLAGS) -c $< -o $@

define module_rules
$(BUILD)/rel/lib/libkit_$(1).a: $(call objs,rel,$(1))
	@mkdir -p $$(@D)
	$(Q)rm -f $$@ && ar rcs $$@ $$^
$(BUILD)/asan/lib/libkit_$(1).a: $(call objs,asan,$(1))
	@mkdir -p $$(@D)
	$(Q)rm -f $$@ && ar rcs $$@ $$^
$(BUILD)/fuzz/lib/libkit_$(1).a: $(call objs,fuzz,$(1))
	@mkdir -p $$(@D)
	$(Q)rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach m,$(MODULES),$(eval $(call module_rules,$(m))))

define program_rules
$(BUILD)/bin/$(1): $(BUILD)/rel/obj/cmd/$(1)/main.o $(call libs_of,rel,$(1))
	@mkdir -p $$(@D)
	@$(if $(Q),echo "  LD      $$@")
	$(Q)$(CC) $(CFLAGS) -o $$@ $$^ $$(PKG_LIBS)
$(BUILD)/asan/bin/$(1): $(BUILD)/asan/obj/cmd/$(1)/main.o $(call libs_of,asan,$(1))
	@mkdir -p $$(@D)
	@$(if $(Q),echo "  LD      $$@")
	$(Q)$(CC) $(SAN_FLAGS) -o $$@ $$^ $$(PKG_LIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rules,$(p))))

# --- the TUF conformance suite's client-under-test (not installed) -------------
$(BUILD)/bin/kit-conformance-client: $(BUILD)/rel/obj/tests/conformance/client.o $(call libs_of,rel,kit-conformance-client)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)
$(BUILD)/asan/bin/kit-conformance-client: $(BUILD)/asan/obj/tests/conformance/client.o $(call libs_of,asan,kit-conformance-client)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS)

# tuf_interop.t's helper that writes a delegated role with the writer's API
$(BUILD)/asan/tests/tuf_delegate: $(BUILD)/asan/obj/tests/e2e/tuf_delegate.o $(call libs_of,asan,tuf_delegate)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS)

# SUITE=<tuf-conformance work tree> (see tests/conformance/run.sh for the
# rest); CONFORMANCE_MODES="plain lazy"; CONFORMANCE_ASAN=1 runs the
# sanitized client.
.PHONY: conformance
conformance: all $(if $(CONFORMANCE_ASAN),$(BUILD)/asan/bin/kit-conformance-client)
	@CLIENT=$(abspath $(BUILD))/$(if $(CONFORMANCE_ASAN),asan/)bin/kit-conformance-client \
	  OUT=$(abspath $(BUILD))/conformance bash tests/conformance/run.sh

# --- unit tests: tests/unit/<m>_test.c, one binary per module ----------------
UNIT_MODS := $(patsubst tests/unit/%_test.c,%,$(wildcard tests/unit/*_test.c))

define unit_rules
$(BUILD)/asan/tests/$(1)_test: $(BUILD)/asan/obj/tests/unit/$(1)_test.o $(call libs_of,asan,$(1))
	@mkdir -p $$(@D)
	@$(if $(Q),echo "  LD      $$@")
	$(Q)$(CC) $(SAN_FLAGS) -o $$@ $$^ $$(PKG_LIBS) $$(CMOCKA_LIBS)
test-$(1): deps $(BUILD)/asan/tests/$(1)_test
	cd tests/unit && KIT_BUILD=$(abspath $(BUILD)) $(abspath $(BUILD))/asan/tests/$(1)_test
endef
$(foreach m,$(UNIT_MODS),$(eval $(call unit_rules,$(m))))

# --- fuzz targets: tests/fuzz/<name>_fuzz.c, replayed over corpus/<name>/ ----
FUZZ := $(patsubst tests/fuzz/%_fuzz.c,%,$(wildcard tests/fuzz/*_fuzz.c))
fuzz_closure = $(shell sed -n 's/^.*kit-fuzz-links: *\([-a-z ]*[a-z]\).*/\1/p' tests/fuzz/$(1)_fuzz.c)
# The modules a target names, each with its closure (linked with $+, which
# keeps repeats, so every library comes after its users).
fuzz_libs = $(foreach m,$(call fuzz_closure,$(2)),$(call libs_of,$(1),$(m)))

define fuzz_rules
$(BUILD)/asan/fuzz/$(1)_replay: $(BUILD)/asan/obj/tests/fuzz/$(1)_fuzz.o $(BUILD)/asan/obj/tests/fuzz/replay.o $(call fuzz_libs,asan,$(1))
	@mkdir -p $$(@D)
	@$(if $(Q),echo "  LD      $$@")
	$(Q)$(CC) $(SAN_FLAGS) -o $$@ $$+ $$(PKG_LIBS)
$(BUILD)/fuzz/bin/$(1): $(BUILD)/fuzz/obj/tests/fuzz/$(1)_fuzz.o $(call fuzz_libs,fuzz,$(1))
	@mkdir -p $$(@D)
	@$(if $(Q),echo "  LD      $$@")
	$(Q)$$(FUZZ_CC) $$(FUZZ_SAN) -fsanitize=fuzzer -o $$@ $$+ $$(PKG_LIBS)
endef
$(foreach f,$(FUZZ),$(eval $(call fuzz_rules,$(f))))

# make fuzz: each target (FUZZ_TARGETS, default all) built with clang and
# libFuzzer under ASan + UBSan, run FUZZ_SECONDS one after the other.  New
# inputs go to $(BUILD)/fuzz/corpus/<name>/, crashes, leaks and timeouts to
# $(BUILD)/fuzz/findings/<name>/, the log to $(BUILD)/fuzz/<name>.log, and
# one line per target and run is added to $(BUILD)/fuzz/summary.txt.  A
# "kit-fuzz-dict: NAME" comment in a target picks tests/fuzz/dict/NAME.dict.
# Replay a finding with $(BUILD)/fuzz/bin/<name> FILE.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= $(FUZZ)
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS   = $(KIT_WARN) $(INCS) $(PKG_CFLAGS) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link

$(BUILD)/fuzz/obj/%.o: %.c | deps
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC fuzz $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

.PHONY: fuzz
fuzz: deps $(foreach f,$(FUZZ_TARGETS),$(BUILD)/fuzz/bin/$(f))
	@fail=0; mkdir -p $(BUILD)/fuzz; for f in $(FUZZ_TARGETS); do \
	  mkdir -p $(BUILD)/fuzz/corpus/$$f $(BUILD)/fuzz/findings/$$f; \
	  d=$$(sed -n 's/^.*kit-fuzz-dict: *\([a-z_]*\).*/\1/p' tests/fuzz/$${f}_fuzz.c); \
	  dict=; [ -n "$$d" ] && dict=-dict=tests/fuzz/dict/$$d.dict; \
	  echo "== fuzz: $$f for $(FUZZ_SECONDS) s (log: $(BUILD)/fuzz/$$f.log)"; \
	  tmp=$${FUZZ_TMPDIR:-/dev/shm}; [ -d "$$tmp" ] || tmp=/tmp; \
	  if TMPDIR=$$tmp $(BUILD)/fuzz/bin/$$f -max_total_time=$(FUZZ_SECONDS) -timeout=30 \
	      -print_final_stats=1 -artifact_prefix=$(abspath $(BUILD))/fuzz/findings/$$f/ $$dict \
	      $(BUILD)/fuzz/corpus/$$f tests/fuzz/corpus/$$f >$(BUILD)/fuzz/$$f.log 2>&1; then r=clean; else r=FINDING; fail=1; fi; \
	  runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $(BUILD)/fuzz/$$f.log | tail -1); \
	  echo "$$f: $$r, $(FUZZ_SECONDS) s, $${runs:-?} runs, $$(date -u +%Y-%m-%d)" | tee -a $(BUILD)/fuzz/summary.txt; \
	done; exit $$fail

# --- check --------------------------------------------------------------------
ASAN_BINS := $(foreach p,$(PROGRAMS),$(BUILD)/asan/bin/$(p))
export ASAN_OPTIONS := detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1

check: deps all
	@$(MAKE) --no-print-directory lint check-unit check-fuzz check-e2e check-manifests
	@echo "make check: all tests passed"

check-unit: deps $(foreach m,$(UNIT_MODS),$(BUILD)/asan/tests/$(m)_test)
	@fail=0; for m in $(UNIT_MODS); do \
	  echo "== unit: $$m"; \
	  (cd tests/unit && KIT_BUILD=$(abspath $(BUILD)) $(abspath $(BUILD))/asan/tests/$${m}_test) || fail=1; \
	done; exit $$fail

check-fuzz: $(foreach f,$(FUZZ),$(BUILD)/asan/fuzz/$(f)_replay)
	@fail=0; for f in $(FUZZ); do \
	  echo "== fuzz replay: $$f"; \
	  $(BUILD)/asan/fuzz/$${f}_replay tests/fuzz/corpus/$$f || fail=1; \
	done; exit $$fail

check-e2e: deps $(ASAN_BINS) $(BUILD)/asan/tests/tuf_delegate
	KIT_BIN=$(abspath $(BUILD))/asan/bin KIT_BUILD=$(abspath $(BUILD)) KIT_SRC=$(CURDIR) \
	  prove -j2 --timer tests/e2e/

# The house format and the banned functions, in every C file (tests/lint.sh:
# one line per finding, with what to do).  clang-format is Debian's (14 on
# Debian 12); make format applies .clang-format to the whole tree.
.PHONY: lint format
lint: deps
	@tests/lint.sh && echo "make lint: every C file formatted, no banned function"
format: deps
	@find cmd pkg tests -name '*.[ch]' -not -path '*/corpus/*' -not -path '*/node_modules/*' -print0 | xargs -0 clang-format -i --style=file

# The committed manifests/ must be what the publisher writes today.
check-manifests: $(BUILD)/bin/kit-publish
	@rm -rf $(BUILD)/manifests-check && mkdir -p $(BUILD)/manifests-check
	@for c in campaigns/*/; do \
	  env -u SOURCE_DATE_EPOCH $(BUILD)/bin/kit-publish build $$c --quiet --out $(BUILD)/manifests-check/out \
	    --manifests $(BUILD)/manifests-check/manifests || exit 1; done
	@if ! diff -r -x schema manifests $(BUILD)/manifests-check/manifests >$(BUILD)/manifests.diff; then \
	  echo "manifests/ is stale: run 'make manifests' and review the diff:" >&2; \
	  head -40 $(BUILD)/manifests.diff >&2; exit 1; fi
	@echo "manifests/ is up to date"

.PHONY: manifests
manifests: $(BUILD)/bin/kit-publish
	@for c in campaigns/*/; do \
	  env -u SOURCE_DATE_EPOCH $(BUILD)/bin/kit-publish build $$c --quiet --out $(BUILD)/manifests-out --manifests manifests || exit 1; done

# --- demo ---------------------------------------------------------------------
DEMO := $(BUILD)/demo
demo: all
	@BIN=$(abspath $(BUILD))/bin DEMO=$(abspath $(DEMO)) SRC=$(CURDIR) bash tests/e2e/demo.sh

# --- bench --------------------------------------------------------------------
bench: deps all
	@BIN=$(abspath $(BUILD))/bin BENCH=$(abspath $(BUILD))/bench SRC=$(CURDIR) bash tests/bench/run.sh

# --- install ------------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 0755 $(foreach p,$(PROGRAMS),$(BUILD)/bin/$(p)) $(DESTDIR)$(PREFIX)/bin/
	sed 's|/usr/local/bin/kit-fetch|$(PREFIX)/bin/kit-fetch|' cmd/kit-fetch/kit-fetch.service \
	  > $(DESTDIR)$(PREFIX)/lib/systemd/system/kit-fetch.service
	chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/kit-fetch.service
	install -m 0644 cmd/kit-fetch/kit-fetch.timer $(DESTDIR)$(PREFIX)/lib/systemd/system/

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
