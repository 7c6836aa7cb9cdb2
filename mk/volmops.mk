# volmgr's storage modules (volmops): the fuzz target of their pure
# parts links formats.c, which needs nothing of the transport.
$(BUILD)/fuzz/volmops_formats: tests/fuzz/volmops_formats.c applets/volmgr/formats.c \
		$(wildcard applets/volmgr/*.h) $(FUZZ_DEPS) | $(BUILD)/.check-pkgs
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(FUZZ_CC) $< applets/volmgr/formats.c $(FUZZ_OBJS) -o $@
