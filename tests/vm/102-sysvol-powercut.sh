# Power cuts during provisioning: three single-disk nodes, each cut at
# another point (the guest is stopped at once through the exit port, as
# a power failure stops it): after the partition table; after the FAT
# and ext4 but before the swap and btrfs; after btrfs and two of the five
# subvolumes. The next boot completes that disk's layout (the same
# derived identifiers, what was made kept, never wiped) and cuts the
# next; the last boot completes the third. Each disk is a node of its
# own through --disks, mounted under --root /mnt/N.
disks="virtio:5G virtio:5G virtio:5G"
cmdline="mossize=2 mosswap=1"
timeout=600
expect=99

. tests/vm/sysvol-lib.sh
sv() { sv_one "$@"; } # N ARGS: sysvol for disk N alone
cut_at() { # N STEPS
	sv "$1" --stop-after "$2"
	echo "t_eq 'disk $1: stopped before step $(($2 + 1))' \"\$rc\" 1"
	echo "t_match 'disk $1: says where it stopped' \"\$(cat /tmp/sv$1.txt)\" 'stopped before step $(($2 + 1))'"
	echo "power_cut 99"
}
complete() { # N: the next boot's run completes disk N, and what it wrote
	sv "$1"
	cat <<EOF2
t_eq "disk $1: completed (exit 0)" "\$rc" 0
t_match "disk $1: outcome completed" "\$(cat /tmp/sv$1.txt)" '^outcome: completed, single'
d=\$DISK$1
t_eq "disk $1: labels" "\$(for p in 2 3 4 5; do blkid -s LABEL -o value "\$d\$p"; done | tr '\n' ' ')" "MOSEFI MOSBOOT MOSSWAP MOSDATA "
t_eq "disk $1: mounts" "\$(awk '\$2 ~ "^/mnt/$1/" {print \$2}' /proc/mounts | sort | tr '\n' ' ')" "/mnt/$1/boot /mnt/$1/boot/efi /mnt/$1/var/cache/bin /mnt/$1/var/cache/etc /mnt/$1/var/cache/modules /mnt/$1/var/cache/system /mnt/$1/var/cache/vm-meta "
t_eq "disk $1: subvolumes" "\$(btrfs subvolume list /run/sv$1/top | awk '{print \$NF}' | sort | tr '\n' ' ')" "etc modules mos-bin system vm-meta "
t_match "disk $1: swap" "\$(cat /proc/swaps)" "^\${d}4 "
umount /mnt/$1/boot/efi /mnt/$1/boot # clean, before the next cut
EOF2
}

guest() { cut_at 1 1; }

check() {
	. tests/vm/sysvol-lib.sh
	t_eq "disk 1: the table only" "$(img_part "$DISK1" 5 name) $(img_blkid "$DISK1" 2 TYPE)" "mosdata "
	guest() {
		complete 1
		echo "t_eq 'disk 1: the table was kept' \"\$(grep -c 'partition vda' /tmp/sv1.txt)\" 0"
		cut_at 2 5
	}
	vm_boot cut2
	t_eq "boot 2: cut (status 99)" "$?" 99
	t_eq "disk 2: FAT and ext4, no swap or btrfs yet" \
		"$(for p in 2 3 4 5; do img_blkid "$DISK2" $p TYPE; done | tr '\n' ' ')" "vfat ext4 "
	fat=$(img_blkid "$DISK2" 2 UUID)
	guest() {
		complete 2
		echo "t_eq 'disk 2: FAT and ext4 kept, not made again' \"\$(grep -cE 'FAT32 MOSEFI|ext4 MOSBOOT' /tmp/sv2.txt)\" 0"
		cut_at 3 14
	}
	vm_boot cut3
	t_eq "boot 3: cut (status 99)" "$?" 99
	t_eq "disk 2: the FAT's id unchanged" "$(img_blkid "$DISK2" 2 UUID)" "$fat"
	guest() {
		complete 3
		echo "t_eq 'disk 3: the 3 missing subvolumes made, the 2 there kept' \"\$(grep -cE '^done +[0-9]+\\. subvolume [a-z-]+\$' /tmp/sv3.txt)\" 3"
	}
	vm_boot last
	t_eq "boot 4: status 0" "$?" 0
	for i in 1 2 3; do
		eval "img=\$DISK$i"
		t_match "disk $i: sgdisk -v" "$(sgdisk -v "$img" 2>&1)" 'No problems found'
		t_eq "disk $i: UUIDs derived as on a run without a cut" \
			"$(for p in 3 4 5; do img_blkid "$img" $p UUID; done | tr '\n' ' ')" \
			"$(for p in mosboot mosswap mosdata; do sv_uuid sysvol:disk$i:fs:$p; done | tr '\n' ' ')"
		img_extract "$img" 2 "$work/esp.img"
		t_ok "disk $i: fsck.fat -n" fsck.fat -n "$work/esp.img"
		rm -f "$work/esp.img"
		t_ok "disk $i: e2fsck -n" e2fsck -n "$img?offset=$(img_off "$img" 3)"
	done
}
