# snapkeep: a plain Makefile. Sources are found by wildcard, so adding a
# file under grammar/, engine/, azure/ or cli/ needs no edit here; every
# tests/test_*.c is one cmocka binary, every tests/integration/*.sh one
# integration test, every tests/fuzz/fuzz_*.c one libFuzzer target.

VERSION    = 0.1.0
PREFIX    ?= /usr/local
MANDIR    ?= $(PREFIX)/share/man
LIBEXECDIR ?= $(PREFIX)/libexec
DOCDIR    ?= $(PREFIX)/share/doc/snapkeep
DESTDIR   ?=
CC        ?= cc
FUZZ_CC   ?= clang
FUZZ_SECONDS ?= 20
# The build needs a C11 compiler, pkg-config (or pkgconf) with the .pc files
# of PKGS, flex, and bison 3.6 or later (grammar/parser.y uses
# `parse.error detailed`). Nothing here assumes Debian: only `make demo` and
# `make check` run .ci/deps, the Debian installer.
PKG_CONFIG ?= pkg-config
BISON      ?= bison
FLEX       ?= flex
PKGS       = libcurl libcjson
TEST_PKGS  = cmocka
CPPFLAGS  ?=
LDFLAGS   ?=

WARN    = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
          -Wmissing-prototypes -Wwrite-strings -Wformat=2 -Wimplicit-fallthrough
CFLAGS ?= -O2 -g
# Asked once per make, not once per object; empty when a .pc file is missing,
# which the pkg-check rule below turns into an error before anything compiles.
PKG_CFLAGS  := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) $(CFLAGS) \
             -DSNAPKEEP_VERSION='"$(VERSION)"' -I. -I$(BUILD) $(PKG_CFLAGS) $(CPPFLAGS)
LIBS    = $(LDFLAGS) $(PKG_LIBS) -lm
# Allocation failure (cli/oom.h): every allocation of snapkeep's code goes
# through cli/oom_wrap.c, which notes a failure, so `run` deletes nothing
# after one and exits 7. GNU ld and lld; empty it for a linker without
# --wrap (the latch then sees only the failures the code itself reports).
OOM_LDFLAGS ?= -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=strndup
# Generated parser sources may relax only what flex/bison output needs.
GEN_CFLAGS = $(filter-out -Wmissing-prototypes -Wshadow,$(ALL_CFLAGS)) -Wno-unused-function -Wno-sign-compare

BUILD   ?= build
# Helpers working side by side each use their own BUILD and BIN.
BIN     ?= snapkeep
GEN_SRC  = $(if $(wildcard grammar/parser.y),$(BUILD)/grammar/parser.c $(BUILD)/grammar/lexer.c)
GEN_HDR  = $(GEN_SRC:.c=.h)
LIB_SRC  = $(wildcard grammar/*.c engine/*.c azure/*.c) $(filter-out cli/main.c,$(wildcard cli/*.c))
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o) $(GEN_SRC:.c=.o)
LIB      = $(BUILD)/libsnapkeep.a
TEST_SRC = $(wildcard tests/test_*.c)
TEST_BIN = $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_SUPPORT = $(wildcard tests/support/*.c)
FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)
BENCH_SRC = $(wildcard tests/bench/bench_*.c)
BENCH_BIN = $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)

.PHONY: all deps deps-quiet pkg-check test-pkg-check gen-check check check-built \
        unit integration policies-check fuzz fuzz-build demo demo-built \
        install clean asan valgrind bench lint

all: $(BIN)

# deps: install missing Debian packages (as root), or print the apt-get line.
deps:
	@.ci/deps
deps-quiet:
	@.ci/deps --quiet

# Loud, early errors instead of a compiler's "curl/curl.h: No such file".
pkg-check:
	@command -v $(PKG_CONFIG) >/dev/null 2>&1 || { \
	  echo "make: $(PKG_CONFIG) not found: install pkg-config (or pkgconf), or set PKG_CONFIG=" >&2; exit 1; }
	@$(PKG_CONFIG) --exists --print-errors $(PKGS) || { \
	  echo "make: $(PKG_CONFIG) finds no .pc file for some of: $(PKGS); install their development" >&2; \
	  echo "make: packages (Debian: libcurl4-openssl-dev libcjson-dev) or set PKG_CONFIG_PATH" >&2; exit 1; }
test-pkg-check: pkg-check
	@$(PKG_CONFIG) --exists --print-errors $(TEST_PKGS) || { \
	  echo "make: $(PKG_CONFIG) finds no .pc file for $(TEST_PKGS), which the unit tests need" >&2; \
	  echo "make: (Debian: libcmocka-dev); or set PKG_CONFIG_PATH" >&2; exit 1; }
gen-check:
	@v=$$($(BISON) --version 2>/dev/null | sed -n '1s/.* \([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p'); \
	  case "$$v" in \
	    '') echo "make: $(BISON) not found: grammar/parser.y needs GNU bison 3.6 or later (or set BISON=)" >&2; exit 1 ;; \
	    [3].[6-9]|[3].[1-9][0-9]|[4-9].*|[1-9][0-9]*.*) ;; \
	    *) echo "make: $(BISON) is version $$v: grammar/parser.y needs GNU bison 3.6 or later" \
	         "(parse.error detailed)" >&2; exit 1 ;; \
	  esac
	@command -v $(FLEX) >/dev/null 2>&1 || { \
	  echo "make: $(FLEX) not found: grammar/lexer.l needs flex 2.6 or later (or set FLEX=)" >&2; exit 1; }

$(BIN): $(BUILD)/cli/main.o $(LIB)
	$(CC) $(ALL_CFLAGS) $(OOM_LDFLAGS) -o $@ $(BUILD)/cli/main.o $(LIB) $(LIBS)

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# One run of bison (flex) writes both files: the header is made by the .c
# file's rule, so that under -j the generator never runs twice at once
# (two bisons writing parser.c while it is compiled).
$(BUILD)/grammar/parser.c: grammar/parser.y | gen-check
	@mkdir -p $(BUILD)/grammar
	$(BISON) -Wall -Werror --defines=$(BUILD)/grammar/parser.h -o $(BUILD)/grammar/parser.c $<
$(BUILD)/grammar/parser.h: $(BUILD)/grammar/parser.c ;

$(BUILD)/grammar/lexer.c: grammar/lexer.l $(BUILD)/grammar/parser.h | gen-check
	@mkdir -p $(BUILD)/grammar
	$(FLEX) --header-file=$(BUILD)/grammar/lexer.h -o $(BUILD)/grammar/lexer.c $<
$(BUILD)/grammar/lexer.h: $(BUILD)/grammar/lexer.c ;

$(BUILD)/grammar/%.o: $(BUILD)/grammar/%.c | pkg-check
	$(CC) $(GEN_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/%.o: %.c | $(GEN_HDR) pkg-check
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(TEST_SUPPORT) $(LIB) | test-pkg-check
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(OOM_LDFLAGS) -Wno-missing-prototypes -Itests $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS)) \
	  -o $@ $< $(TEST_SUPPORT) $(LIB) $(LIBS) $(shell $(PKG_CONFIG) --libs $(TEST_PKGS))

# The LD_PRELOAD shim of tests/integration/run_oom.sh (glibc): fails the
# N-th allocation of snapkeep's code in a real `snapkeep run`.
FAILMALLOC_SO = $(BUILD)/tests/failmalloc.so
$(FAILMALLOC_SO): tests/preload/failmalloc.c
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -Wmissing-prototypes,$(ALL_CFLAGS)) -fPIC -shared -o $@ $< -ldl

$(BUILD)/bench/%: tests/bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes -Itests -o $@ $< $(LIB) $(LIBS)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# check: set-up (the Debian installer), then build and run every test.
# The set-up finishes before the build starts, also under -j: a second make
# reads pkg-config again once the packages are there.
check: deps-quiet
	@$(MAKE) --no-print-directory check-built
check-built: $(BIN) $(TEST_BIN) $(FAILMALLOC_SO)
	@SNAPKEEP=$(CURDIR)/$(BIN) TEST_BUILD=$(BUILD) FAILMALLOC_SO=$(CURDIR)/$(FAILMALLOC_SO) tests/run all

unit: $(BIN) $(TEST_BIN)
	@SNAPKEEP=$(CURDIR)/$(BIN) TEST_BUILD=$(BUILD) tests/run unit
integration: $(BIN) $(TEST_BIN) $(FAILMALLOC_SO)
	@SNAPKEEP=$(CURDIR)/$(BIN) TEST_BUILD=$(BUILD) FAILMALLOC_SO=$(CURDIR)/$(FAILMALLOC_SO) tests/run integration
policies-check: $(BIN)
	./$(BIN) check policies/*.policy

# asan: the whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer.
asan:
	$(MAKE) BUILD=build-asan CC=clang \
	  CFLAGS='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
	  snapkeep-asan
snapkeep-asan: $(BUILD)/cli/main.o $(LIB) $(TEST_BIN)
	$(CC) $(ALL_CFLAGS) $(OOM_LDFLAGS) -o $(BUILD)/snapkeep $(BUILD)/cli/main.o $(LIB) $(LIBS)
	SNAPKEEP=$(BUILD)/snapkeep TEST_BUILD=$(BUILD) ASAN_OPTIONS=detect_leaks=1 \
	  TEST_LABEL="unit tests under ASan+UBSan" tests/run unit

valgrind: $(BIN) $(TEST_BIN)
	VALGRIND=1 TEST_BUILD=$(BUILD) TEST_LABEL="unit tests under valgrind" tests/run unit

# fuzz: build every libFuzzer target with clang and run each for FUZZ_SECONDS.
FUZZ_BUILD = build-fuzz
fuzz-build:
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) \
	  CFLAGS='-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all' \
	  $(FUZZ_BUILD)/libsnapkeep.a
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  echo "  FUZZ  $$n"; \
	  $(FUZZ_CC) -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O1 -g -I. -I$(FUZZ_BUILD) \
	    $(PKG_CFLAGS) $(CPPFLAGS) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -o $(FUZZ_BUILD)/$$n $$f $(FUZZ_BUILD)/libsnapkeep.a $(LIBS) || exit 1; done
fuzz: fuzz-build
	@tests/fuzz/run $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: $(BIN) $(BENCH_BIN)
	@SNAPKEEP=$(CURDIR)/$(BIN) BENCH_BUILD=$(BUILD) tests/bench/run

demo: deps-quiet
	@$(MAKE) --no-print-directory demo-built
demo-built: snapkeep
	./snapkeep check policies/*.policy
	./snapkeep explain policies/dss-datadir.policy
	./snapkeep plan policies/dss-datadir.policy --inventory policies/sample-inventory.json --now 2026-11-26T12:00:00Z --summary

lint: snapkeep
	mandoc -Tlint -Wwarning man/snapkeep.1 man/snapkeep.policy.5
	shellcheck -S warning -x -P SCRIPTDIR .ci/run .ci/deps tests/run tests/fuzz/run tests/bench/run $(wildcard tests/integration/*.sh contrib/*.sh) contrib/snapkeep-verify
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability -I. -I$(BUILD) grammar engine azure cli

install: snapkeep
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 0755 snapkeep $(DESTDIR)$(PREFIX)/bin/snapkeep
	install -m 0644 man/snapkeep.1 $(DESTDIR)$(MANDIR)/man1/snapkeep.1
	install -m 0644 man/snapkeep.policy.5 $(DESTDIR)$(MANDIR)/man5/snapkeep.policy.5
	install -d $(DESTDIR)$(DOCDIR)
	install -m 0644 doc/design.md doc/json.md doc/semantics.md $(DESTDIR)$(DOCDIR)/
	install -d $(DESTDIR)$(LIBEXECDIR)/snapkeep
	install -m 0755 contrib/snapkeep-verify $(DESTDIR)$(LIBEXECDIR)/snapkeep/snapkeep-verify

clean:
	rm -rf build build-asan build-fuzz snapkeep
