# volmgr: the transport's tests talk to the daemon with socat (as the
# seed's one-liners do), python3 (many clients at once), setpriv (a
# caller that is not root) and openssl (TLS certificates, s_client).
CHECK_PKGS += socat python3 util-linux openssl

# The framing fuzzer runs volmgr's own transport code, not only core's.
VM_FUZZ_SRCS := $(addprefix applets/volmgr/,rpc.c methods.c openrpc.c policy.c)
$(BUILD)/fuzz/volmgr_rpc: tests/fuzz/volmgr_rpc.c $(VM_FUZZ_SRCS) $(wildcard applets/volmgr/*.h) \
		$(FUZZ_DEPS) | $(BUILD)/.check-pkgs
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(FUZZ_CC) $< $(VM_FUZZ_SRCS) $(FUZZ_OBJS) -o $@

# OpenRPC validity: npm's @open-rpc/schema-utils-js, into build/npm. When
# npm or the registry cannot be reached, the test that uses it says SKIP.
# Debian's npm is a package of its own; a nodejs that brings npm (as
# NodeSource's does) must not get it on top.
CHECK_PKGS += nodejs jq
OPENRPC_NPM := $(BUILD)/npm/openrpc
$(OPENRPC_NPM)/.done: mk/volmgr.mk | $(BUILD)/.check-pkgs
	@mkdir -p $(OPENRPC_NPM)
	$(Q)command -v npm >/dev/null || mk/pkgs.sh npm || true
	$(Q)if command -v npm >/dev/null && (cd $(OPENRPC_NPM) && \
	     npm install --no-audit --no-fund --loglevel=error @open-rpc/schema-utils-js@2.2.1) \
	     >$(OPENRPC_NPM)/install.log 2>&1; then touch $@; \
	else echo "volmgr: npm could not install @open-rpc/schema-utils-js (offline?); its test will SKIP"; fi
check-unit: $(OPENRPC_NPM)/.done

# TLS (--listen-tls, --connect): mbedtls' ssl and x509 libraries, ahead of
# libmbedcrypto that they use. A dependency cache made before them gets
# them from mk/deps.sh.
MUSL_LIBS := -lmbedtls -lmbedx509 $(MUSL_LIBS)
HOST_LIBS := -lmbedtls -lmbedx509 $(HOST_LIBS)
# build/blockbox links mbedtls as configured by mk/mbedtls-config.h (what
# blockbox does not use left out, DEPS/mbedtls-trim); what includes its
# headers must be compiled with the same configuration.
MBED_TRIM := $(abspath $(DEPS))/mbedtls-trim
MUSL_CFLAGS += -DMBEDTLS_USER_CONFIG_FILE='"$(MBED_TRIM)/mbedtls-config.h"'
MUSL_LDFLAGS := -L$(MBED_TRIM)/lib $(MUSL_LDFLAGS)
$(DEPS)/mbedtls-trim/mbedtls-config.h: mk/mbedtls-config.h | $(DEPS)/.complete
	$(Q)mk/deps.sh $(DEPS) && touch $@
$(BUILD)/blockbox $(OBJ)/musl/applets/volmgr/tls.o $(OBJ)/musl/core/hash.o: \
	$(DEPS)/mbedtls-trim/mbedtls-config.h
