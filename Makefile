# tally - loyalty kiosk. See README.md.
#
#   make            build ./tally
#   make test       install missing deps, build, run every test plain and
#                   under ASan+UBSan; ends with what it counted and
#                   "total: N passed, N failed"
#   make bench      benchmarks (bench/)
#   make bench-big  every report on a 100,000-member shop (seeded once: minutes)
#   make mutate     each mutant of tests/mutants/mutants.txt must fail a test
#   make demo       a ready demo shop
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
CC      ?= cc
CXX     ?= g++
OPT     ?= -O2
SAN     ?=

PKGS := sqlite3 libsodium libqrencode zbar zxing libpng libjpeg libzmq ncursesw msgpack pangocairo fontconfig libcurl

# The libraries' flags are asked of pkg-config only after scripts/deps.sh has
# installed what is missing: build/config.mk is made by a rule (deps first,
# then pkg-config), and make reads it again once it exists. Asking pkg-config
# while this file is read would, on a fresh machine, give empty flags and a
# link with hundreds of undefined references. Goals that build nothing skip it.
.DEFAULT_GOAL := all
CONFIG := build/config.mk
NO_CONFIG_GOALS := clean deps pot uninstall
ifneq ($(MAKECMDGOALS),)
ifeq ($(filter-out $(NO_CONFIG_GOALS),$(MAKECMDGOALS)),)
SKIP_CONFIG := 1
endif
endif
ifndef SKIP_CONFIG
include $(CONFIG)
endif
$(CONFIG): Makefile scripts/deps.sh scripts/configure.sh
	@mkdir -p $(dir $@)
	@scripts/deps.sh
	@scripts/configure.sh $(PKGS) -- cmocka >$@.tmp && mv $@.tmp $@

CFLAGS  ?= $(OPT) -g
CFLAGS  += -std=c11 -D_DEFAULT_SOURCE -D_XOPEN_SOURCE=700 \
           -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -pthread -I. -Icommon $(PKG_CFLAGS) $(SAN) \
           -DLOCALEDIR='"$(PREFIX)/share/locale"'
LDFLAGS += $(SAN)
LDLIBS  += $(PKG_LIBS) -lstdc++ -lm -pthread
# The one C++ file, scanner/zxing.cpp, the shim over zxing-cpp: compiled
# with the C++ compiler; everything still links with $(CC), and the C++
# runtime is one more library (-lstdc++ above).
CXXFLAGS ?= $(OPT) -g
# The libraries' headers as system headers: zxing-cpp's own do not pass
# -Wshadow.
CXXFLAGS += -std=c++17 -Wall -Wextra -Werror -Wshadow -pthread -I. -Icommon \
            $(patsubst -I%,-isystem %,$(PKG_CFLAGS)) $(SAN)

# Library modules, lowest first. cli/ is the tally command on top of them.
MODULES := util scanner store sync messenger tui
LIB_SRC := $(foreach m,$(MODULES),$(wildcard $(m)/*.c))
LIB_CXX := $(foreach m,$(MODULES),$(wildcard $(m)/*.cpp))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o) $(LIB_CXX:%.cpp=$(BUILD)/%.o)
CLI_SRC := $(wildcard cli/*.c)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HEADERS := $(wildcard common/*.h $(foreach m,$(MODULES) cli,$(m)/*.h))
TEST_HEADERS := $(wildcard tests/*.h)

.PHONY: all test check bench bench-big mutate soak fuzz-seeds demo install uninstall clean deps pot locales emu

all: tally locales

# Translations: po/LANG.po compiled to build/locale/LANG/LC_MESSAGES/tally.mo,
# which ./tally finds beside itself; 'make pot' refreshes the template and
# merges it into every po file, dropping entries no longer used. Locations
# name the file only, and the
# template carries no creation date, so two branches that add strings
# merge without conflicts over line numbers.
LINGUAS := $(shell cat po/LINGUAS 2>/dev/null)
MO := $(LINGUAS:%=build/locale/%/LC_MESSAGES/tally.mo)
locales: $(MO)

build/locale/%/LC_MESSAGES/tally.mo: po/%.po
	@mkdir -p $(dir $@)
	msgfmt --check -o $@ $<

pot:
	xgettext --add-location=file --from-code=UTF-8 -k_ -kN_ --keyword=ngettext:1,2 --keyword=C_:1c,2 --add-comments=TRANSLATORS --package-name=tally \
	  --msgid-bugs-address= -o po/tally.pot $(sort $(LIB_SRC) $(CLI_SRC))
	sed -i '/^"POT-Creation-Date:/d' po/tally.pot
	for l in $(LINGUAS); do msgmerge -q --backup=off --add-location=file --no-fuzzy-matching -U po/$$l.po po/tally.pot && msgattrib --no-obsolete -o po/$$l.po po/$$l.po; done

tally: $(BUILD)/tally
	cp -f $< $@

$(BUILD)/tally: $(CLI_OBJ) $(BUILD)/libtally.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libtally.a $(LDLIBS)

$(BUILD)/libtally.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/%.o: %.cpp $(HEADERS)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libtally.a $(HEADERS) $(TEST_HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libtally.a $(LDFLAGS) $(LDLIBS) $(TEST_LIBS)

# test_command compiles the dispatcher itself, with fakes for what it calls.
$(BUILD)/tests/test_command: cli/command.c

deps:
	@scripts/deps.sh

# The suite runs twice: a plain optimised build, then one under
# AddressSanitizer + UndefinedBehaviorSanitizer in build/san.
test: deps
	@$(MAKE) --no-print-directory check-all

# Both builds compile with one job per core; then their suites run side by
# side (tests/run.sh).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
check-all:
	@$(MAKE) --no-print-directory -s -j$(JOBS) units BUILD=build && \
	 $(MAKE) --no-print-directory -s -j$(JOBS) units BUILD=build/san OPT=-O1 \
	   SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" && \
	 tests/run.sh build build/san

# Programs the end-to-end scripts drive (tests/tools), next to the tally they test.
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)

$(BUILD)/tools/%: tests/tools/%.c $(BUILD)/libtally.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libtally.a $(LDFLAGS) $(LDLIBS)

units: $(BUILD)/tally $(UNIT_BIN) $(TOOL_BIN) fuzzers locales emu

# The emulated camera and wedge scanner the end-to-end tests preload
# (tests/emu/emu.c). One plain build serves both suites: under ASan the
# tests load the sanitizer's runtime first, then this.
EMU_LIB := build/emu/libemu.so
emu: $(EMU_LIB)
$(EMU_LIB): $(wildcard tests/emu/*.c tests/emu/*.h)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O1 -g -fPIC -shared -Wall -Wextra -Werror -Wshadow -pthread \
	  $(PKG_CFLAGS) -o $@ $(filter %.c,$^) $(EMU_LIBS) -ldl

FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
fuzzers: $(if $(SAN),,$(FUZZ_BIN))

# The library is compiled once for all fuzz targets (instrumented, without
# libFuzzer's main), so a change to one file recompiles one object.
FUZZ_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -D_XOPEN_SOURCE=700 -g -O1 -I. -Icommon $(PKG_CFLAGS) -pthread
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o) $(LIB_CXX:%.cpp=build/fuzz/obj/%.o)

build/fuzz/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c -o $@ $<

# The shim without UBSan's vptr and function checks, whose runtime only a
# C++ link brings in: the fuzzers link as C, like everything else.
build/fuzz/obj/%.o: %.cpp $(HEADERS)
	@mkdir -p $(dir $@)
	clang++ -std=c++17 -g -O1 -I. -Icommon $(PKG_CFLAGS) -pthread \
	  -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=vptr,function -c -o $@ $<

build/fuzz/libtally.a: $(FUZZ_LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

build/fuzz/%: tests/fuzz/%.c build/fuzz/libtally.a $(HEADERS)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< build/fuzz/libtally.a $(PKG_LIBS) -lstdc++ -lm

# The fuzzers' seed corpora are kept in tests/fuzz/corpus; this writes them
# again from the project's own encoders (after a card or wire format change).
fuzz-seeds: $(BUILD)/fuzz-seeds
	@tmp=$$(mktemp -d) && $(BUILD)/fuzz-seeds tests/fuzz/corpus $$tmp/seed.db; rc=$$?; rm -rf $$tmp; exit $$rc

$(BUILD)/fuzz-seeds: tests/fuzz/seeds.c $(BUILD)/libtally.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libtally.a $(LDFLAGS) $(LDLIBS)

BENCH_SRC := $(wildcard bench/bench_*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libtally.a $(HEADERS) $(TEST_HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libtally.a $(LDFLAGS) $(LDLIBS)

bench: deps
	@$(MAKE) --no-print-directory -s tally $(BENCH_BIN) emu
	@bench/run.sh $(BUILD)

# Every report on a 100,000-member shop, unfolded and folded (bench/big.sh):
# the shop is seeded once (minutes) and kept in $(BUILD)/bench-big.
bench-big: deps
	@$(MAKE) --no-print-directory -s tally locales
	@bench/big.sh $(BUILD)

# Long-running, like bench: kill -9 during writes five hundred times, and
# each fuzz target for five minutes (make test does forty and ten seconds).
soak: deps
	@$(MAKE) --no-print-directory -s -j$(JOBS) units BUILD=build
	@KILL_ROUNDS=$${KILL_ROUNDS:-500} TALLY=$(CURDIR)/build/tally TALLY_LOCALEDIR=$(CURDIR)/build/locale \
	  sh tests/e2e/killloop.sh
	@for f in build/fuzz/fuzz_*; do c=$$(mktemp -d); \
	  $$f -max_total_time=$${FUZZ_SECONDS:-300} -print_final_stats=1 $$c tests/fuzz/corpus/$$(basename $$f) || exit 1; \
	  rm -rf $$c; done

# Long-running, like bench: a copy of the tree rebuilt once per mutant.
mutate: deps
	@tests/mutants/run.sh $(MUTANTS)

demo: deps tally locales
	@scripts/demo.sh

# Service files name the installed binary; example configuration and units
# go to share/doc/tally to be copied into /etc by whoever sets up the till
# (README, "Set up a till").
UNITS := $(wildcard etc/systemd/*.service)
DOCDIR := $(PREFIX)/share/doc/tally

install: tally locales
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(DOCDIR)/systemd
	install -m 0755 tally $(DESTDIR)$(PREFIX)/bin/tally
	install -m 0644 doc/tally.1 $(DESTDIR)$(PREFIX)/share/man/man1/tally.1
	install -m 0644 etc/tally.conf $(DESTDIR)$(DOCDIR)/tally.conf
	install -m 0600 etc/messenger.conf $(DESTDIR)$(DOCDIR)/messenger.conf
	for u in $(UNITS); do \
	  sed 's|@BINDIR@|$(PREFIX)/bin|g' $$u >$(DESTDIR)$(DOCDIR)/systemd/$$(basename $$u) && \
	  chmod 0644 $(DESTDIR)$(DOCDIR)/systemd/$$(basename $$u); \
	done
	for l in $(LINGUAS); do \
	  install -d $(DESTDIR)$(PREFIX)/share/locale/$$l/LC_MESSAGES && \
	  install -m 0644 build/locale/$$l/LC_MESSAGES/tally.mo $(DESTDIR)$(PREFIX)/share/locale/$$l/LC_MESSAGES/tally.mo; \
	done

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/tally $(DESTDIR)$(PREFIX)/share/man/man1/tally.1
	rm -rf $(DESTDIR)$(DOCDIR)
	for l in $(LINGUAS); do rm -f $(DESTDIR)$(PREFIX)/share/locale/$$l/LC_MESSAGES/tally.mo; done

clean:
	rm -rf build tally
