# needle-fsck: its shell test reads the JSON report with jq.
CHECK_PKGS += jq

# Its fuzz target runs the applet's own code, not only core's.
NF_SRCS := $(wildcard applets/needle-fsck/*.c)
$(BUILD)/fuzz/needle_fsck: tests/fuzz/needle_fsck.c $(NF_SRCS) $(wildcard applets/needle-fsck/*.h) \
		$(FUZZ_CORE) $(wildcard core/*.h) | $(BUILD)/.check-pkgs
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)clang $(CSTD) -Wall -Wextra -Werror -Wno-format-truncation -Wno-unknown-warning-option \
	   -g -O1 -pthread -fsanitize=fuzzer,address,undefined -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION \
	   $(INCS) $< $(NF_SRCS) $(FUZZ_CORE) -o $@
