# The VM world: Debian's kernel, the rescue initramfs, the QEMU harness,
# the VM scenarios and the demo.
#
#   make kernel      fetch and unpack linux-image-amd64 into build/kernel (cached)
#   make initramfs   build/initramfs.cpio.gz (minimal) and build/initramfs-tools.cpio.gz
#   make check-vm    boot the scenarios of tests/vm (VM_JOBS at a time)
#   make demo        boot the rescue initramfs on two blank disks

KERNEL_DIR   := $(BUILD)/kernel
KERNEL_STAMP := $(KERNEL_DIR)/version
BUSYBOX_DIR  := $(BUILD)/busybox
BUSYBOX_STAMP := $(BUSYBOX_DIR)/package
INITRAMFS    := $(BUILD)/initramfs.cpio.gz
INITRAMFS_TOOLS := $(BUILD)/initramfs-tools.cpio.gz
INITRAMFS_SRC := $(wildcard initramfs/*)

# What booting needs, and what the tools profile copies in.
VM_PKGS      := qemu-system-x86 cpio
VM_TOOL_PKGS := mdadm lvm2 dmsetup btrfs-progs e2fsprogs xfsprogs dosfstools util-linux
CHECK_PKGS   += $(VM_PKGS) $(VM_TOOL_PKGS)

VM_JOBS ?= 2
DEMO_RUN ?=

.PHONY: kernel initramfs clean-vm

$(BUILD)/.vm-pkgs: mk/vm.mk
	$(Q)mk/pkgs.sh $(VM_PKGS)
	@mkdir -p $(BUILD) && touch $@

$(BUILD)/.vm-tool-pkgs: mk/vm.mk
	$(Q)mk/pkgs.sh $(VM_TOOL_PKGS)
	@mkdir -p $(BUILD) && touch $@

# Caches like build/deps: fetched once, kept by `make clean`. The busybox
# is Debian's dynamic build, unpacked, not installed (see initramfs/build.sh).
$(KERNEL_STAMP):
	$(Q)mk/kernel.sh $(KERNEL_DIR)
$(BUSYBOX_STAMP):
	$(Q)mk/fetch-deb.sh busybox $(BUSYBOX_DIR)
kernel: $(KERNEL_STAMP)
# tests/unit/kmod.sh plans against the real Debian module tree when present.
CHECK_PREP += $(KERNEL_STAMP)

INITRAMFS_ENV := BLOCKBOX=$(BUILD)/blockbox KERNEL=$(KERNEL_DIR) BUSYBOX=$(BUSYBOX_DIR)/root/bin/busybox
$(INITRAMFS): $(BUILD)/blockbox $(KERNEL_STAMP) $(BUSYBOX_STAMP) $(INITRAMFS_SRC) | $(BUILD)/.vm-pkgs
	@echo "  CPIO    $@"
	$(Q)$(INITRAMFS_ENV) initramfs/build.sh minimal $@

$(INITRAMFS_TOOLS): $(BUILD)/blockbox $(KERNEL_STAMP) $(BUSYBOX_STAMP) $(INITRAMFS_SRC) | $(BUILD)/.vm-pkgs $(BUILD)/.vm-tool-pkgs
	@echo "  CPIO    $@"
	$(Q)$(INITRAMFS_ENV) initramfs/build.sh tools $@

initramfs: $(INITRAMFS) $(INITRAMFS_TOOLS)

check-vm:: $(INITRAMFS) $(INITRAMFS_TOOLS) $(BUILD)/.vm-tool-pkgs $(BUILD)/.check-pkgs
	$(Q)VM_JOBS=$(VM_JOBS) tests/vm/run.sh

demo: $(INITRAMFS) $(INITRAMFS_TOOLS)
	$(Q)qemu/demo.sh "$(DEMO_RUN)"

clean: clean-vm
clean-vm:
	rm -rf $(INITRAMFS) $(INITRAMFS).d $(INITRAMFS_TOOLS) $(INITRAMFS_TOOLS).d \
	       $(BUILD)/vm $(BUILD)/demo $(BUILD)/.vm-pkgs $(BUILD)/.vm-tool-pkgs

# tests/bench/60-vm.sh boots both profiles.
bench: $(INITRAMFS) $(INITRAMFS_TOOLS)
