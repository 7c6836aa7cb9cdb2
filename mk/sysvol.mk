# sysvol: its layout fuzz target runs the applet's own parser.
$(BUILD)/fuzz/sysvol_layout: tests/fuzz/sysvol_layout.c applets/sysvol/layout.c \
		applets/sysvol/sysvol.h $(FUZZ_DEPS) | $(BUILD)/.check-pkgs
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(FUZZ_CC) $< applets/sysvol/layout.c $(FUZZ_OBJS) -o $@
