# core/io.c's "write aside, never replace" commit (what ec-rebuild uses for
# new shards) on vfat, which has no hard links: it must still create the
# file and still refuse to replace one. A small static program built here
# from core, run in the guest.
disks="virtio:64M"
timeout=60

prepare() {
	mkdir -p "$work/root/test"
	musl-gcc -std=gnu11 -D_GNU_SOURCE -static -O2 -Wall -Wextra -Werror -Wno-format-truncation \
		-Icore -Ibuild/deps/include tests/vm/aside_fs.c core/io.c \
		-o "$work/root/test/aside_fs"
}

guest() {
	cat <<'EOF2'
t_ok "mkfs.vfat" mkfs.vfat -I "$DISK1"
t_ok "modprobe vfat" modprobe vfat
mkdir -p /mnt/fat
t_ok "mount vfat" mount -t vfat "$DISK1" /mnt/fat
/test/aside_fs /mnt/fat
t_ok "umount" umount /mnt/fat
EOF2
}

check() {
	t_match "every check ran" "$(printf '%s\n' "$CONSOLE" | grep -c '^PASS ')" '^11$'
	# dosfstools reads the image back: clean, and the file is there
	out=$(fsck.vfat -n -l "$DISK1" 2>&1)
	t_match "fsck.vfat: the image is clean" "$out" "$DISK1: [0-9]+ files"
	t_match "fsck.vfat: the committed file is there" "$out" '/SHARD\.EC03|/shard\.ec03'
	t_match "fsck.vfat: no temporary left behind" "$(echo "$out" | grep -ci 'tmp-')" '^0$'
}
