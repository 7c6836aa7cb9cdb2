# needle-fsck: its shell test reads the JSON report with jq.
CHECK_PKGS += jq

# Its fuzz target runs the applet's own code, not only core's.
NF_SRCS := $(wildcard applets/needle-fsck/*.c)
$(BUILD)/fuzz/needle_fsck: tests/fuzz/needle_fsck.c $(NF_SRCS) $(wildcard applets/needle-fsck/*.h) \
		$(FUZZ_DEPS) | $(BUILD)/.check-pkgs
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(FUZZ_CC) $< $(NF_SRCS) $(FUZZ_OBJS) -o $@
