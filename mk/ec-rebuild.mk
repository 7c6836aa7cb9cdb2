# ec-rebuild: the klauspost/reedsolomon reference program (Go, Debian's
# package, GOPATH mode) for tests and benchmarks, and ISA-L for the
# benchmark. Neither is ever linked into build/blockbox.
CHECK_PKGS += golang-go golang-github-klauspost-reedsolomon-dev libisal-dev

ECREF := $(BUILD)/ecref
$(ECREF): tests/ref/ecref/main.go | $(BUILD)/.check-pkgs
	@echo "  GO      $@"
	$(Q)GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=$(abspath $(BUILD)/gocache) \
	   GOFLAGS= go build -o $@ ./tests/ref/ecref

check-unit: $(ECREF)
bench: $(ECREF)

# The engine benchmark also measures ISA-L with the same matrix rows.
$(BUILD)/bench/ec-engine: HOST_LIBS += -lisal

# Its fuzz target compiles the applet's sidecar parser in (#include): a
# change there must rebuild it.
$(BUILD)/fuzz/ecsum: applets/ec-rebuild/ecsum.c applets/ec-rebuild/ecsum.h
