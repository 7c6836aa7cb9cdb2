# The CRC benchmark measures ISA-L's crc32_iscsi and crc32_gzip_refl in the
# same process. Never linked into build/blockbox.
CHECK_PKGS += libisal-dev
$(BUILD)/bench/crc: HOST_LIBS += -lisal
