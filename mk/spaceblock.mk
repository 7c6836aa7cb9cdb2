# spaceblock: the VM scenario of `spaceblock launch`
# (tests/vm/spaceblock-launch.sh), booting the kernel and initramfs that
# mk/vm.mk builds:   make check-vm-spaceblock
.PHONY: check-vm-spaceblock
check-vm-spaceblock: $(BUILD)/blockbox
	$(Q)$(MAKE) --no-print-directory kernel $(BUILD)/initramfs.cpio.gz
	$(Q)BLOCKBOX=$(abspath $(BUILD)/blockbox) sh tests/vm/spaceblock-launch.sh
