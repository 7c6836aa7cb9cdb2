# sysvol's boot of a provisioned node: the records fuzz target runs the
# applet's own parsers (applets/sysvol/record.c), nothing else of it.
$(BUILD)/fuzz/sysvol_records: tests/fuzz/sysvol_records.c applets/sysvol/record.c \
		$(wildcard applets/sysvol/*.h) $(FUZZ_DEPS) | $(BUILD)/.check-pkgs
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(FUZZ_CC) $< applets/sysvol/record.c $(FUZZ_OBJS) -o $@
