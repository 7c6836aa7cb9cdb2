# lvq: its fuzz targets run the applet's own parsers (not gather.c or
# run.c, which touch the system), with core's SHA-256 for plan hashes.
LVQ_FUZZ_SRCS := applets/lvq/parse.c applets/lvq/report.c applets/lvq/plan.c \
                 applets/lvq/journal.c applets/lvq/verify.c core/hash.c
$(BUILD)/fuzz/lvq_args $(BUILD)/fuzz/lvq_journal $(BUILD)/fuzz/lvq_fullreport: $(BUILD)/fuzz/%: tests/fuzz/%.c $(LVQ_FUZZ_SRCS) \
		applets/lvq/lvq.h $(FUZZ_DEPS) | $(BUILD)/.check-pkgs
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(FUZZ_CC) $< $(LVQ_FUZZ_SRCS) $(FUZZ_OBJS) -lmbedcrypto -o $@
