# sysvol.disks= on the kernel command line picks disk 2, a virtio disk
# with 4096-byte logical sectors, out of three: its ESP is the layout's
# min-size-4k (a 100 MiB FAT32 cannot exist there), checked by fsck.fat.
# Then an NVMe disk (partitions nvme0n1p1...) by --disks, mounted under
# /mnt/n. Disk 3, named by neither, stays all zeros. Disk 4 carries
# sysvol's partition names, but an ext4 labelled OTHER where MOSBOOT
# belongs: refused with what it holds, and left byte for byte.
disks="nvme:5G virtio4k:5G virtio:5G virtio:5G"
cmdline="mossize=1 mosswap=1 sysvol.disks=disk2"
timeout=600

prepare() {
	sgdisk -n 1:0:+1M -c 1:mosbios -n 2:0:+100M -c 2:mosefi -n 3:0:+1G -c 3:mosboot \
		-n 4:0:+1G -c 4:mosswap -n 5:0:+1G -c 5:mosdata "$DISK4" >/dev/null || return 1
	start=$(sgdisk -i 3 "$DISK4" | sed -n 's/^First sector: \([0-9]*\).*/\1/p')
	mkfs.ext4 -q -L OTHER -E offset=$((start * 512)) "$DISK4" 64M || return 1
	sha256sum <"$DISK4" >"$work/disk4.sum"
}

guest() {
	cat <<'EOF2'
blockbox sysvol >/tmp/sv.txt 2>&1
t_eq "sysvol.disks=disk2: exit 0" "$?" 0
cat /tmp/sv.txt
t_match "disk 2 chosen" "$(cat /tmp/sv.txt)" "^disk ${DISK2#/dev/} \(disk2, .*\): chosen, blank"
t_match "disk 1 not named" "$(cat /tmp/sv.txt)" "^disk ${DISK1#/dev/} \(disk1, .*\): skipped: not named in sysvol.disks=disk2"
t_match "disk 3 not named" "$(cat /tmp/sv.txt)" "^disk ${DISK3#/dev/} \(disk3, .*\): skipped: not named in sysvol.disks=disk2"
t_eq "4K disk: sector size" "$(cat /sys/block/${DISK2#/dev/}/queue/logical_block_size)" 4096
t_eq "4K disk: ESP of 260 MiB" "$(($(cat /sys/class/block/${DISK2#/dev/}2/size) / 2048))" 260
t_eq "4K disk: labels" "$(for p in 2 3 4 5; do blkid -s LABEL -o value "${DISK2}$p"; done | tr '\n' ' ')" "MOSEFI MOSBOOT MOSSWAP MOSDATA "
t_match "4K disk: FAT32 with 4096-byte sectors" "$(blkid -p -s VERSION -o value "${DISK2}2")" FAT32
t_eq "4K disk: /boot/efi mounted" "$(awk '$2 == "/boot/efi" {print $1}' /proc/mounts)" "${DISK2}2"
umount /boot/efi && t_ok "4K disk: fsck.fat -n" fsck.fat -n "${DISK2}2"
blockbox sysvol --disks disk1 --root /mnt/n --state /run/svn/state.json >/tmp/n.txt 2>&1
t_eq "NVMe by --disks: exit 0" "$?" 0
cat /tmp/n.txt
t_match "NVMe: nvme0n1" "${DISK1}" '^/dev/nvme0n1$'
t_match "NVMe: provisioned" "$(cat /tmp/n.txt)" '^outcome: provisioned, single'
for p in 1 2 3 4 5; do t_ok "NVMe: partition nvme0n1p$p" test -b "${DISK1}p$p"; done
t_eq "NVMe: labels" "$(for p in 2 3 4 5; do blkid -s LABEL -o value "${DISK1}p$p"; done | tr '\n' ' ')" "MOSEFI MOSBOOT MOSSWAP MOSDATA "
t_eq "NVMe: /mnt/n/boot" "$(awk '$2 == "/mnt/n/boot" {print $1, $3}' /proc/mounts)" "${DISK1}p3 ext4"
t_match "NVMe: swap" "$(cat /proc/swaps)" "^${DISK1}p4 "
t_eq "NVMe: subvolume etc at /mnt/n/var/cache/etc" "$(grep ' /mnt/n/var/cache/etc ' /proc/self/mountinfo | awk '{print $4}')" /etc
t_eq "disk 3 untouched" "$(blkid -p "$DISK3"; echo $?)" 2
blockbox sysvol --disks disk4 --root /mnt/o --state /run/svo/state.json >/tmp/o.txt 2>&1
t_eq "disk 4: refused (exit 1)" "$?" 1
cat /tmp/o.txt
t_match "disk 4: what it holds" "$(cat /tmp/o.txt)" "^sysvol: ${DISK4}3 \(mosboot\) holds ext4 labelled OTHER UUID [0-9a-f-]+, not the ext4 MOSBOOT sysvol makes: left alone"
t_match "disk 4: nothing done" "$(cat /tmp/o.txt)" '^outcome: failed'
EOF2
}

check() {
	. tests/vm/sysvol-lib.sh
	t_ok "4K disk: fdisk -b 4096 verifies it" sv_verify "$DISK2"
	t_eq "4K disk: sector size of its table" "$(img_sector "$DISK2")" 4096
	t_eq "4K disk: sizes in 4 KiB sectors" "$(for p in 1 2 3 4 5; do img_part "$DISK2" $p size; done | tr '\n' ' ')" "256 66560 262144 262144 262144 "
	img_extract "$DISK2" 2 "$work/esp.img"
	t_ok "4K disk: fsck.fat -n on the host" fsck.fat -n "$work/esp.img"
	rm -f "$work/esp.img"
	t_match "NVMe: sgdisk -v" "$(sgdisk -v "$DISK1" 2>&1)" 'No problems found'
	t_eq "NVMe: names" "$(for p in 1 2 3 4 5; do img_part "$DISK1" $p name; done | tr '\n' ' ')" "mosbios mosefi mosboot mosswap mosdata "
	t_ok "disk 3 all zeros" cmp -s -n 5368709120 "$DISK3" /dev/zero
	t_eq "disk 4 byte for byte" "$(sha256sum <"$DISK4")" "$(cat "$work/disk4.sum")"
}
