# mkfs.vfat and mkswap on real block devices: FAT32 on a 512-byte and a
# 4096-byte sector disk, mounted by the kernel, files written, read back
# after a remount; refusals while mounted or swapped on, --force or not;
# on a partitioned disk, a FAT in partition 1 with the partition's start
# as hidden sectors and a swap area in partition 2 that swapon takes
# (/proc/swaps). The host checks the images with fsck.fat and blkid.
disks="virtio:600M virtio4k:300M virtio:64M"
timeout=150

guest() {
	cat <<'EOF'
t_ok "modprobe vfat" modprobe vfat
mkdir -p /mnt/f
t_ok "disk1: mkfs.vfat" mkfs.vfat -n BB512 -i 5120aaaa "$DISK1"
t_ok "disk2: mkfs.vfat -F 32 on 4096-byte sectors" mkfs.vfat -F 32 -n BB4K -i 4096bbbb "$DISK2"
t_eq "disk1: FAT32 by size" "$(blkid -p -o value -s VERSION "$DISK1")" FAT32
t_eq "disk2: 4096-byte sectors" "$(blkid -p -o value -s BLOCK_SIZE "$DISK2")" 4096
for n in 1 2; do
	eval "d=\$DISK$n"
	t_ok "disk$n: mount" mount -t vfat "$d" /mnt/f
	mkdir -p /mnt/f/sub
	dd if=/dev/urandom of=/mnt/f/sub/random.bin bs=4096 count=700 2>/dev/null
	echo "hello from disk$n" >/mnt/f/hello.txt
	sum=$(md5sum </mnt/f/sub/random.bin)
	t_rc "disk$n: mkfs.vfat refused while mounted" 1 mkfs.vfat "$d"
	t_match "disk$n: --force does not override a mount" "$(mkfs.vfat --force "$d" 2>&1)" \
		"^mkfs.vfat: $d: ${d#/dev/} is mounted on /mnt/f"
	t_rc "disk$n: mkswap --force refused while mounted" 1 mkswap --force "$d"
	t_ok "disk$n: umount" umount /mnt/f
	echo 3 >/proc/sys/vm/drop_caches
	t_ok "disk$n: mount again" mount -t vfat "$d" /mnt/f
	t_eq "disk$n: the file reads back" "$(md5sum </mnt/f/sub/random.bin)" "$sum"
	t_eq "disk$n: the text reads back" "$(cat /mnt/f/hello.txt)" "hello from disk$n"
	t_ok "disk$n: umount" umount /mnt/f
	t_match "disk$n: a FAT is refused without --force" "$(mkfs.vfat "$d" 2>&1)" \
		"it holds a vfat signature"
done

t_ok "disk3: gpt create" gpt create "$DISK3"
t_ok "disk3: an ESP" gpt add "$DISK3" --size 16M --type esp
t_ok "disk3: a swap partition" gpt add "$DISK3" --type swap
t_match "disk3: the whole disk is refused" "$(mkfs.vfat "$DISK3" 2>&1)" "it has a gpt partition table"
t_ok "disk3: mkfs.vfat on partition 1" mkfs.vfat -n ESP "${DISK3}1"
t_ok "disk3: mkswap on partition 2" mkswap -L BBSWAP -U 0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0ff "${DISK3}2"
t_ok "disk3: swapon" swapon "${DISK3}2"
t_match "disk3: /proc/swaps has it" "$(cat /proc/swaps)" "^${DISK3}2 +partition"
t_match "disk3: mkswap --force refused on active swap" "$(mkswap --force "${DISK3}2" 2>&1)" \
	"^mkswap: ${DISK3}2: .*swap"
t_rc "disk3: mkfs.vfat --force refused on active swap" 1 mkfs.vfat --force "${DISK3}2"
t_ok "disk3: swapoff" swapoff "${DISK3}2"
t_ok "disk3: mount the ESP" mount -t vfat "${DISK3}1" /mnt/f
echo esp >/mnt/f/EFI.TXT
t_ok "disk3: umount the ESP" umount /mnt/f
sync
EOF
}

check() {
	t_match "every guest check ran" "$(printf '%s\n' "$CONSOLE" | grep -c '^PASS ')" '^38$'
	for n in 1 2; do
		eval "d=\$DISK$n"
		out=$(fsck.fat -n -l "$d" 2>&1)
		t_match "disk$n: fsck.fat -n: clean, the files there" "$out" '/sub/random.bin'
		t_match "disk$n: fsck.fat -n: one file of each" "$out" '/hello.txt'
	done
	tag() { blkid -p -o value -s "$2" "$1"; }
	t_eq "disk1: blkid LABEL" "$(tag "$DISK1" LABEL)" BB512
	t_eq "disk1: blkid UUID" "$(tag "$DISK1" UUID)" 5120-AAAA
	t_eq "disk1: blkid VERSION" "$(tag "$DISK1" VERSION)" FAT32
	t_eq "disk2: blkid LABEL" "$(tag "$DISK2" LABEL)" BB4K
	t_eq "disk2: blkid UUID" "$(tag "$DISK2" UUID)" 4096-BBBB
	t_eq "disk2: blkid BLOCK_SIZE" "$(tag "$DISK2" BLOCK_SIZE)" 4096
	# partition 1 starts at sector 2048: the FAT's hidden sectors say so
	t_eq "disk3: the ESP's hidden sectors are its start" \
		"$(od -An -tu4 -j $((1048576 + 28)) -N4 "$DISK3" | tr -d ' ')" 2048
	t_eq "disk3: the ESP" "$(blkid -p -O 1048576 -o value -s LABEL "$DISK3")" ESP
	dd if="$DISK3" of="$DISK3.esp" bs=1M skip=1 count=16 status=none
	t_match "disk3: fsck.fat -n on the ESP" "$(fsck.fat -n -l "$DISK3.esp" 2>&1)" '/EFI.TXT'
	rm -f "$DISK3.esp"
	for kv in TYPE=swap LABEL=BBSWAP UUID=0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0ff; do
		t_eq "disk3: the swap area's ${kv%%=*}" \
			"$(blkid -p -O $((17 * 1048576)) -o value -s "${kv%%=*}" "$DISK3")" "${kv#*=}"
	done
}
