# spaceblock's VM check: `spaceblock launch` boots the rescue initramfs
# (built by mk/vm.mk) with an image prepared on the host, the guest reads
# it back and writes an event, the host finds it. Part of make check-vm;
# alone: make check-vm-spaceblock. (tests/vm/80-spaceblock.sh, run by the
# harness, covers spaceblock on a block device.)
.PHONY: check-vm-spaceblock
check-vm:: check-vm-spaceblock
check-vm-spaceblock: $(BUILD)/blockbox $(BUILD)/kernel/version $(BUILD)/initramfs.cpio.gz
	$(Q)BLOCKBOX=$(abspath $(BUILD)/blockbox) sh tests/vm/spaceblock-launch.sh
