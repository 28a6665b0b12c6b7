# Berth: build, test and run. See README.md.
#
#   make            build build/berthd and build/berthctl
#   make test       install what is missing, build, run unit and end-to-end tests
#   make test-asan  the same tests against an ASan + UBSan build
#   make run        start a local stack (PostgreSQL, Ceph RGW, one gateway) under .stack/
#   make fuzz       build and briefly run the libFuzzer targets (clang)

CC      ?= cc
BUILD   ?= build
WERROR  ?= 0
SAN     ?=

PKGS    := libmicrohttpd libpq libcurl jansson libcrypto libssl
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
           -Wformat-security -Wvla -Wimplicit-fallthrough -Wpointer-arith -Wcast-qual \
           -Wno-missing-field-initializers
CFLAGS  ?= -O2 -g
override CFLAGS  += -std=c11 -D_GNU_SOURCE -Iinclude $(WARN) \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
ifeq ($(WERROR),1)
override CFLAGS  += -Werror
endif
ifneq ($(SAN),)
override CFLAGS  += -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=undefined
override LDFLAGS += -fsanitize=$(SAN)
endif
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread

LIB_SRC := $(filter-out gateway/main.c,$(wildcard gateway/*.c)) $(wildcard storage/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/migrations.o
MIGRATIONS := $(sort $(wildcard storage/migrations/*.sql))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
E2E_SRC  := $(wildcard tests/e2e/*.c)
E2E_BIN  := $(E2E_SRC:tests/e2e/%.c=$(BUILD)/tests/e2e_%)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)

.PHONY: all deps test test-unit test-e2e test-asan run stop fuzz bench clean format-check lint

all: $(BUILD)/berthd $(BUILD)/berthctl

deps:
	@tools/install-deps

$(BUILD)/%.o: %.c $(wildcard include/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/gen/migrations.c: $(MIGRATIONS) tools/embed-sql
	@mkdir -p $(dir $@)
	tools/embed-sql $(MIGRATIONS) > $@

$(BUILD)/gen/migrations.o: $(BUILD)/gen/migrations.c include/migrate.h
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libberth.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/berthd: $(BUILD)/gateway/main.o $(BUILD)/libberth.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/berthctl: $(BUILD)/tools/berthctl.o $(BUILD)/libberth.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libberth.a $(wildcard include/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -Itests/unit -o $@ $< $(BUILD)/libberth.a $(LDLIBS) -lcmocka

$(BUILD)/tests/e2e_%: tests/e2e/%.c $(BUILD)/libberth.a $(wildcard include/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libberth.a $(LDLIBS)

test-unit: $(UNIT_BIN)
	@tests/run-unit $(UNIT_BIN)

test-e2e: all $(E2E_BIN)
	@BERTH_BIN=$(BUILD) tests/e2e/run

test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN)
	@$(MAKE) --no-print-directory test-unit
	@$(MAKE) --no-print-directory test-e2e

test-asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan SAN=address,undefined CFLAGS="-O1 -g" \
	    all test-unit test-e2e

run: deps all
	@tools/berth-stack start .stack > .stack.env && cat .stack.env && tools/berth-stack howto .stack

stop:
	@tools/berth-stack stop .stack

fuzz:
	@tests/fuzz/run $(FUZZ_SRC)

$(BUILD)/tools/bench: tools/bench.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(shell pkg-config --libs libcurl libcrypto) -lpthread

$(BUILD)/tools/s3put: $(BUILD)/tools/s3put.o $(BUILD)/libberth.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bench: deps all $(BUILD)/tools/bench $(BUILD)/tools/s3put
	@tools/bench-run

lint:
	@tools/lint

clean:
	rm -rf build build-asan build-fuzz
