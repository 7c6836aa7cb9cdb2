# blockbox - one static musl binary of storage rescue applets.
#
#   make            build/blockbox (sets up its own dependencies)
#   make check      unit tests, interop tests, fuzzing, VM scenarios
#   make check-unit the same without the VM
#   make demo       boot the rescue initramfs on two blank disks
#   make bench      measurements, printed as tables
#   make clean      keeps build/deps (the dependency cache); distclean drops it

BUILD  := build
DEPS   ?= $(BUILD)/deps
GEN    := $(BUILD)/gen
OBJ    := $(BUILD)/obj

include config/applets.mk
APPLETS ?= $(DEFAULT_APPLETS)
ALL_APPLETS := $(DEFAULT_APPLETS)

unknown := $(filter-out $(ALL_APPLETS),$(APPLETS))
ifneq ($(unknown),)
$(error unknown applet(s): $(unknown); available: $(ALL_APPLETS))
endif

applet_srcs = $(foreach a,$(1),$(wildcard applets/$(a).c applets/$(a)/*.c))
CORE_SRCS   := $(filter-out core/dispatch.c,$(wildcard core/*.c))

WARN   := -Wall -Wextra -Werror -Wno-format-truncation -Wshadow -Wvla
CSTD   := -std=gnu11 -D_GNU_SOURCE
INCS   := -Icore -I$(GEN)

# The shipped binary: musl, static, stripped.
MUSL_CC      := musl-gcc
MUSL_CFLAGS  := $(CSTD) $(WARN) -O2 -ffunction-sections -fdata-sections -pthread \
                $(INCS) -I$(DEPS)/include
MUSL_LDFLAGS := -static -s -Wl,--gc-sections -L$(DEPS)/lib
MUSL_LIBS    := -lblkid -lmbedcrypto -lpthread

# Host build for tests: glibc with AddressSanitizer and UBSan.
HOST_CC     := gcc
SAN         := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
HOST_CFLAGS := $(CSTD) $(WARN) -O1 -g $(SAN) -pthread $(INCS) -Itests/unit -I/usr/include/blkid
HOST_LIBS   := -lblkid -lmbedcrypto -lpthread -lm

Q := @
ifeq ($(V),1)
Q :=
endif

# Keep intermediate objects (bench objects are built by pattern). Not a bare
# .SECONDARY:, which also makes GNU make ignore prerequisite order.
.PRECIOUS: $(OBJ)/bench/%.o $(OBJ)/host/%.o $(OBJ)/musl/%.o $(OBJ)/fuzz/%.o

.PHONY: all deps check check-unit check-vm fuzz bench demo clean distclean size
all: $(BUILD)/blockbox

# ---- dependencies -------------------------------------------------------
# A cache: built once, kept by `make clean`; `make distclean` rebuilds it.
deps: $(DEPS)/.complete
$(DEPS)/.complete:
	$(Q)mk/deps.sh $(DEPS)

# ---- the binary ---------------------------------------------------------
# The applet selection is a file whose content changes only with APPLETS,
# so that choosing other applets relinks and nothing else does.
$(shell mkdir -p $(GEN); echo '$(sort $(APPLETS))' | cmp -s - $(GEN)/applets.list || \
        echo '$(sort $(APPLETS))' > $(GEN)/applets.list)

# --version: the commit it was built from and the day (SOURCE_DATE_EPOCH
# when set, for reproducible builds). Rewritten only when that changes.
BB_VERSION := git-$(or $(shell git describe --always --dirty 2>/dev/null),unknown)
BB_BUILD_DATE := $(shell date -u $(if $(SOURCE_DATE_EPOCH),-d @$(SOURCE_DATE_EPOCH)) +%Y-%m-%d)
$(shell printf '#define BB_VERSION "%s"\n#define BB_BUILD_DATE "%s"\n' '$(BB_VERSION)' '$(BB_BUILD_DATE)' | \
        cmp -s - $(GEN)/version.h || \
        printf '#define BB_VERSION "%s"\n#define BB_BUILD_DATE "%s"\n' '$(BB_VERSION)' '$(BB_BUILD_DATE)' >$(GEN)/version.h)

$(GEN)/applets.c: $(GEN)/applets.list mk/gen-applets.sh
	$(Q)mk/gen-applets.sh $@ $(APPLETS)

# config/data/* compiled in for core/config.c (its only includer).
CONFIG_DATA := $(sort $(wildcard config/data/*))
$(GEN)/config-data.inc: $(CONFIG_DATA) mk/gen-config.sh
	$(Q)mkdir -p $(GEN) && mk/gen-config.sh $@ $(CONFIG_DATA)
$(OBJ)/musl/core/config.o $(OBJ)/host/core/config.o $(OBJ)/bench/core/config.o: $(GEN)/config-data.inc

$(GEN)/all-applets.c: config/applets.mk mk/gen-applets.sh $(wildcard applets/*.c applets/*/main.c)
	$(Q)mk/gen-applets.sh $@ $(ALL_APPLETS)

MUSL_SRCS := $(CORE_SRCS) core/dispatch.c $(call applet_srcs,$(APPLETS))
MUSL_OBJS := $(patsubst %.c,$(OBJ)/musl/%.o,$(MUSL_SRCS)) $(OBJ)/musl/gen/applets.o

$(OBJ)/musl/%.o: %.c | $(DEPS)/.complete
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(MUSL_CC) $(MUSL_CFLAGS) -MMD -MP -c $< -o $@

$(OBJ)/musl/gen/applets.o: $(GEN)/applets.c | $(DEPS)/.complete
	@mkdir -p $(dir $@)
	$(Q)$(MUSL_CC) $(MUSL_CFLAGS) -c $< -o $@

$(BUILD)/blockbox: $(MUSL_OBJS)
	@echo "  LD      $@"
	$(Q)$(MUSL_CC) $(MUSL_CFLAGS) $(MUSL_LDFLAGS) $(MUSL_OBJS) $(MUSL_LIBS) -o $@.tmp
	$(Q)mv $@.tmp $@
	@echo "  SIZE    $$(stat -c %s $@) bytes, applets: $(sort $(APPLETS))"

size: $(BUILD)/blockbox
	@mk/size.sh $(BUILD)/blockbox

# ---- tests ---------------------------------------------------------------
# Packages the tests use; fragments in mk/*.mk add theirs.
CHECK_PREP :=
CHECK_PKGS := gdisk fdisk util-linux clang libclang-rt-14-dev libblkid-dev libmbedtls-dev file \
              e2fsprogs dosfstools btrfs-progs python3
UNIT_BIN   := $(BUILD)/test/unit
TEST_SRCS  := $(wildcard tests/unit/*.c)
HOST_SRCS  := $(CORE_SRCS) $(call applet_srcs,$(ALL_APPLETS)) $(TEST_SRCS)
HOST_OBJS  := $(patsubst %.c,$(OBJ)/host/%.o,$(HOST_SRCS)) $(OBJ)/host/gen/all-applets.o

$(BUILD)/.check-pkgs: Makefile $(wildcard mk/*.mk)
	$(Q)mk/pkgs.sh $(CHECK_PKGS)
	@mkdir -p $(BUILD) && touch $@

$(OBJ)/host/%.o: %.c | $(BUILD)/.check-pkgs
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(OBJ)/host/gen/all-applets.o: $(GEN)/all-applets.c | $(BUILD)/.check-pkgs
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -c $< -o $@

$(UNIT_BIN): $(HOST_OBJS)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(HOST_OBJS) $(HOST_LIBS) -o $@

# libFuzzer targets: tests/fuzz/NAME.c, each run for FUZZ_SECONDS.
FUZZ_SECONDS ?= 15
FUZZ_SRCS    := $(wildcard tests/fuzz/*.c)
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_CORE    := $(filter-out core/probe.c core/tags.c core/hash.c core/claim.c core/mkfs.c,$(CORE_SRCS))
# What every fuzz target is built from and with; applet fragments (mk/*.mk)
# that fuzz an applet's own code add its sources to the same command.
# Core is compiled once for all of them (coverage-instrumented, not
# linked with libFuzzer's main): each target compiling it again was 17 s
# a target, most of make check's build time.
# -Wno-missing-field-initializers: clang, unlike gcc, flags table entries
# that leave trailing fields (bb_opt.flags) zero, which is the idiom.
FUZZ_FLAGS   := $(CSTD) -Wall -Wextra -Werror -Wno-format-truncation \
                -Wno-unknown-warning-option -Wno-missing-field-initializers -g -O1 -pthread \
                -fsanitize=address,undefined -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION $(INCS)
FUZZ_CC      := clang $(FUZZ_FLAGS) -fsanitize=fuzzer
FUZZ_OBJS    := $(patsubst %.c,$(OBJ)/fuzz/%.o,$(FUZZ_CORE))
FUZZ_DEPS    := $(FUZZ_OBJS) $(wildcard core/*.h) $(GEN)/config-data.inc

$(OBJ)/fuzz/%.o: %.c $(GEN)/config-data.inc | $(BUILD)/.check-pkgs
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	$(Q)clang $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_DEPS) | $(BUILD)/.check-pkgs
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(FUZZ_CC) $< $(FUZZ_OBJS) -o $@

fuzz: $(FUZZ_BINS)
	$(Q)tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

check-unit: $(BUILD)/blockbox $(UNIT_BIN) $(FUZZ_BINS) $(BUILD)/.check-pkgs
	$(Q)BLOCKBOX=$(abspath $(BUILD)/blockbox) UNIT=$(abspath $(UNIT_BIN)) \
	   FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_BINS="$(abspath $(FUZZ_BINS))" tests/run-unit.sh


# Benchmark programs: tests/bench/NAME.c, linked with core and every
# applet, optimised, without sanitizers. Scripts tests/bench/NN-*.sh run
# in order and print their own tables.
BENCH_CFLAGS := $(CSTD) $(WARN) -O2 -g -pthread $(INCS) -I/usr/include/blkid
BENCH_SRCS   := $(wildcard tests/bench/*.c)
BENCH_BINS   := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
BENCH_OBJS   := $(patsubst %.c,$(OBJ)/bench/%.o,$(CORE_SRCS) $(call applet_srcs,$(ALL_APPLETS))) \
                $(OBJ)/bench/gen/all-applets.o

$(OBJ)/bench/%.o: %.c | $(BUILD)/.check-pkgs
	@mkdir -p $(dir $@)
	@echo "  BENCHCC $<"
	$(Q)$(HOST_CC) $(BENCH_CFLAGS) -MMD -MP -c $< -o $@

$(OBJ)/bench/gen/all-applets.o: $(GEN)/all-applets.c | $(BUILD)/.check-pkgs
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(BENCH_CFLAGS) -c $< -o $@

$(BUILD)/bench/%: $(OBJ)/bench/tests/bench/%.o $(BENCH_OBJS)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(BENCH_CFLAGS) $^ $(HOST_LIBS) -o $@

bench: $(BUILD)/blockbox $(BENCH_BINS) $(BUILD)/.check-pkgs
	$(Q)BLOCKBOX=$(abspath $(BUILD)/blockbox) BENCH_DIR=$(abspath $(BUILD)/bench) tests/bench/run.sh

clean:
	rm -rf $(OBJ) $(GEN) $(BUILD)/blockbox $(BUILD)/test $(BUILD)/fuzz $(BUILD)/.check-pkgs

distclean:
	rm -rf $(BUILD)

# Fragments: the VM harness, applet-specific test references, benchmarks.
-include $(sort $(wildcard mk/*.mk))

# check-vm and demo come from mk/vm.mk.
check-vm::

# Fragments add to CHECK_PREP what the unit tests can also use (the VM
# kernel tree), so that it is fetched first and nothing is skipped on a
# fresh clone. This rule comes after the fragments for that reason.
check: $(CHECK_PREP) check-unit check-vm

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
