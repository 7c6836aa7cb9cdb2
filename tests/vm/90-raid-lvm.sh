# What the tools profile is for: Debian's mdadm, LVM and btrfs-progs
# assembling real storage inside the guest, without udev. An md RAID1 on
# disks 1+2 with ext4, LVM on disk 3 with xfs and vfat volumes, a btrfs
# RAID1 over disks 4+5. Everything is left mounted (one mount point with a
# blank in its name, one mounted inside another): init must unmount it
# all before it powers off. The host then reads the images with mdadm,
# e2fsck, xfs_repair, fsck.fat and btrfs.
disks="virtio:64M virtio:64M virtio:384M virtio:160M virtio:160M"
timeout=240

guest() {
	cat <<'EOF2'
t_ok "mdadm --create RAID1" mdadm --create /dev/md0 --run --level=1 --raid-devices=2 \
	--metadata=1.2 "$DISK1" "$DISK2"
t_ok "mdadm --wait (resync)" sh -c 'mdadm --wait /dev/md0; true'
t_match "both mirrors up" "$(cat /proc/mdstat | tr '\n' ' ')" 'md0 : active raid1 .*\[UU\]'
t_ok "mkfs.ext4 on md0" mkfs.ext4 -q -F -L mirror /dev/md0
mkdir -p "/mnt/with space"
t_ok "mount md0 (type found by mount)" mount /dev/md0 "/mnt/with space"
echo "on the mirror" >"/mnt/with space/hello"
# md marks an array clean this long after the last write; the unmount at
# power-off writes, and QEMU's exit port cuts the kernel's shutdown short
echo 30 >/sys/block/md0/md/safe_mode_delay

t_ok "pvcreate" pvcreate -q "$DISK3"
t_ok "vgcreate" vgcreate -q vg0 "$DISK3"
t_ok "lvcreate data" lvcreate -q -y -L 300M -n data vg0
t_ok "lvcreate boot" lvcreate -q -y -L 32M -n boot vg0
t_ok "the LVs have nodes" test -b /dev/vg0/data -a -b /dev/mapper/vg0-boot
t_ok "mkfs.xfs on vg0/data" mkfs.xfs -q -K -L lvdata /dev/vg0/data
t_ok "mkfs.vfat on vg0/boot" mkfs.vfat -n LVBOOT /dev/vg0/boot
mkdir -p /mnt/data
t_ok "mount xfs" mount -t xfs /dev/vg0/data /mnt/data
echo "on xfs" >/mnt/data/hello
mkdir -p /mnt/data/boot
t_ok "mount vfat inside it" mount -t vfat /dev/vg0/boot /mnt/data/boot
echo "on vfat" >/mnt/data/boot/hello.txt
t_match "lvs" "$(lvs --noheadings -o lv_name,lv_size vg0)" 'data +300\.00m'

# /dev/btrfs-control loads btrfs when opened (init made the node): mkfs
# and `btrfs device scan` can register the devices without a modprobe
t_eq "btrfs not loaded yet" "$(lsmod | grep -c '^btrfs ')" 0
t_ok "mkfs.btrfs RAID1" mkfs.btrfs -q -f -L mirror2 -d raid1 -m raid1 "$DISK4" "$DISK5"
t_ok "btrfs device scan" btrfs device scan
mkdir -p /mnt/b
t_ok "mount btrfs" mount -t btrfs "$DISK4" /mnt/b
echo "on btrfs" >/mnt/b/hello
t_match "btrfs data is RAID1" "$(btrfs filesystem df /mnt/b)" '^Data, RAID1'
t_match "disks: md0" "$(disks /dev/md0)" '^md0 .* md +md '
t_match "disks: disk1 held by md0" "$(disks "$DISK1")" 'held by md0$'
t_match "disks: disk3 held by the LVs" "$(disks "$DISK3")" 'held by vg0-(data|boot), vg0-(data|boot)$'
t_match "disks: an LV by its /dev/VG/LV link" "$(disks /dev/vg0/data)" '^dm-[01] +300 MiB dm '
EOF2
}

check() {
	for n in 1 2; do
		eval "img=\$DISK$n"
		e=$(mdadm --examine "$img")
		t_match "disk$n: an md RAID1 member" "$e" 'Raid Level : raid1'
		t_match "disk$n: both mirrors active" "$e" 'Array State : AA '
		t_match "disk$n: array state" "$e" 'State : clean$'
	done
	t_eq "same array on both" "$(mdadm --examine "$DISK1" | grep 'Array UUID')" \
		"$(mdadm --examine "$DISK2" | grep 'Array UUID')"
	off=$(mdadm --examine "$DISK1" | sed -n 's/^ *Data Offset : \([0-9]*\) sectors.*/\1/p')
	dd if="$DISK1" of="$T/md" bs=512 skip="$off" conv=sparse status=none
	t_ok "ext4 on the mirror: e2fsck" e2fsck -fn "$T/md"
	t_eq "ext4: unmounted (no journal to recover)" "$(dumpe2fs -h "$T/md" 2>/dev/null | grep -c needs_recovery)" 0
	t_eq "ext4: the guest's file" "$(debugfs -R 'cat /hello' "$T/md" 2>/dev/null)" "on the mirror"

	t_eq "disk3: an LVM PV" "$(blkid -p -o value -s TYPE "$DISK3")" LVM2_member
	meta=$(dd if="$DISK3" bs=1M count=1 status=none | tr -d '\0')
	pe_start=$(echo "$meta" | sed -n 's/^[[:space:]]*pe_start = \([0-9]*\)/\1/p' | head -n 1)
	extent=$(echo "$meta" | sed -n 's/^[[:space:]]*extent_size = \([0-9]*\)/\1/p' | head -n 1)
	lv() { # NAME: its first extent on pv0, from the metadata text
		echo "$meta" | sed -n "/^$1 {/,/^]/s/^\"pv0\", \([0-9]*\)\$/\1/p" | head -n 1
	}
	dd if="$DISK3" of="$T/data" bs=512 skip=$((pe_start + $(lv data) * extent)) count=$((300 * 2048)) conv=sparse status=none
	dd if="$DISK3" of="$T/boot" bs=512 skip=$((pe_start + $(lv boot) * extent)) count=$((32 * 2048)) conv=sparse status=none
	t_eq "vg0/data: xfs" "$(blkid -o value -s LABEL "$T/data")" lvdata
	t_ok "vg0/data: xfs_repair -n" xfs_repair -n -f "$T/data"
	t_eq "vg0/boot: vfat" "$(blkid -o value -s LABEL "$T/boot")" LVBOOT
	t_match "vg0/boot: fsck.fat finds the guest's file" "$(fsck.fat -n -l "$T/boot")" 'HELLO.TXT|hello.txt'

	# each btrfs mirror alone holds everything: read them one at a time
	for n in 4 5; do
		eval "img=\$DISK$n"
		t_match "disk$n: btrfs of two devices" "$(btrfs inspect-internal dump-super "$img")" 'num_devices[[:space:]]+2'
		t_ok "disk$n: btrfs check (the other mirror absent)" btrfs check --readonly "$img"
		mkdir -p "$T/restore$n"
		btrfs restore "$img" "$T/restore$n" >/dev/null 2>&1
		t_eq "disk$n: the guest's file, by btrfs restore" "$(cat "$T/restore$n/hello" 2>/dev/null)" "on btrfs"
	done
}
