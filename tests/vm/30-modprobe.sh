# modprobe inside the guest: btrfs with its whole dependency chain from
# .modinfo (no modules.dep in the initramfs), idempotence, aliases,
# removal, the kernel's own requests through /sbin/modprobe (mount), and
# the bad cases: a missing module, a module with unknown symbols.
disks="virtio:256M"
timeout=120

guest() {
	cat <<'EOF'
V=$(uname -r)
K=/lib/modules/$V/kernel
t_eq "no modules.dep in the initramfs" "$(ls /lib/modules/$V/modules.dep 2>/dev/null)" ""
order=$(modprobe --show-depends btrfs)
t_eq "plan: xor before btrfs" "$(echo "$order" | grep -o -e /xor.ko -e /btrfs.ko | tr '\n' ' ')" "/xor.ko /btrfs.ko "
t_match "plan: soft dependency blake2b" "$order" 'blake2b_generic.ko +# soft dependency'
t_match "plan: sha256 is built in" "$order" '^builtin sha256_generic$'

t_ok "modprobe btrfs" modprobe btrfs
mods=$(lsmod)
for m in btrfs libcrc32c xor raid6_pq zstd_compress blake2b_generic xxhash_generic; do
	t_match "$m loaded" "$mods" "^$m "
done
t_match "a crc32c loaded" "$mods" '^crc32c_(intel|generic) '
t_ok "again: already loaded is success" modprobe btrfs
t_ok "by alias fs-btrfs" modprobe fs-btrfs
t_ok "insmod of a loaded module is success" insmod "$K/fs/btrfs/btrfs.ko"
t_match "lsmod --json" "$(lsmod --json)" '"name": "btrfs",'

t_ok "modprobe -r btrfs" modprobe -r btrfs
mods=$(lsmod)
t_eq "btrfs unloaded" "$(echo "$mods" | grep -c '^btrfs ')" 0
t_eq "its unused dependency raid6_pq too" "$(echo "$mods" | grep -c '^raid6_pq ')" 0

# The kernel asks /sbin/modprobe for fs-btrfs (and crc32c) on mount.
t_ok "mkfs.btrfs" mkfs.btrfs -q -f -L bbtest "$DISK1"
mkdir -p /mnt/t
t_ok "mount -t btrfs loads btrfs on demand" mount -t btrfs "$DISK1" /mnt/t
echo "written in the guest" >/mnt/t/hello
t_ok "umount" umount /mnt/t

t_rc "missing module fails" 1 modprobe no_such_module
t_match "missing module is named" "$(modprobe no_such_module 2>&1)" \
	'^modprobe: no_such_module: module not found in /lib/modules/'
t_eq "-q: missing module quietly" "$(modprobe -q no_such_module 2>&1; echo "rc=$?")" "rc=1"
t_rc "unknown symbols fail" 1 insmod "$K/drivers/md/raid1.ko"
t_match "unknown symbols are named" "$(insmod "$K/drivers/md/raid1.ko" 2>&1)" \
	'^insmod: .*/raid1.ko: unknown symbols .*md_.*a dependency is not loaded'
t_rc "rmmod of what is not loaded fails" 1 rmmod raid1
t_rc "modprobe -r of what is not loaded fails, as with kmod" 1 modprobe -r raid1
t_match "... and says so" "$(modprobe -r raid1 2>&1)" '^modprobe: raid1: not loaded$'
t_ok "modprobe raid1 brings md_mod" modprobe raid1
t_match "md_mod loaded" "$(lsmod)" '^md_mod '
EOF
}

check() {
	t_eq "blkid sees btrfs" "$(blkid -o value -s TYPE "$DISK1")" btrfs
	t_eq "btrfs label" "$(blkid -o value -s LABEL "$DISK1")" bbtest
	t_ok "btrfs check" btrfs check --readonly "$DISK1"
	mkdir -p "$T/restore"
	btrfs restore "$DISK1" "$T/restore" >/dev/null 2>&1
	t_eq "the guest's file, read with btrfs restore" "$(cat "$T/restore/hello" 2>/dev/null)" "written in the guest"
}
