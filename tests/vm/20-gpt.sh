# gpt create/add inside the guest on a 512-byte and a 4096-byte sector
# virtio disk, the kernel picking up the partitions, a filesystem in one
# (ext4; btrfs on disk2, which needs the room); refusals while a partition
# is mounted, and edits with --force that keep the kernel's partitions;
# a table with an entry past the end (disk3), whose edits must not give
# the kernel a partition over the tables;
# then the host checks the images with sgdisk, sfdisk, blkid, e2fsck and
# btrfs check.
disks="virtio:64M virtio4k:256M virtio:16M"
timeout=90

# disk3: partitions 1 and 2 (1 MiB each, from 1 MiB), then entry 1 moved
# to LBA 2^55, far past the end: 2^55 * 512 bytes wraps to offset 0.
prepare() {
	sgdisk -n 1:0:+1M -n 2:0:+1M "$DISK3" >/dev/null || return 1
	python3 tests/unit/gpt-set-lbas.py "$DISK3" 1 $((1 << 55)) $(((1 << 55) + 2047))
}

guest() {
	cat <<'EOF'
for n in 1 2; do
	eval "d=\$DISK$n"
	t_ok "disk$n: gpt create" gpt create "$d"
	t_ok "disk$n: gpt backup of the empty table" gpt backup "$d" "/tmp/empty$n.gpt"
	t_ok "disk$n: gpt add an ESP" gpt add "$d" --size 16M --type esp --name mosefi
	t_ok "disk$n: gpt add the rest" gpt add "$d" --name mosdata
	t_ok "disk$n: the kernel has partition 1" test -b "${d}1"
	t_ok "disk$n: the kernel has partition 2" test -b "${d}2"
	t_ok "disk$n: gpt verify" gpt verify "$d"
	t_ok "disk$n: mkfs.ext4 on partition 2" mkfs.ext4 -q -F -L "data$n" "${d}2"
done
t_match "disks: partition 2 of disk1, 46 MiB" "$(disks)" '^`-vda2 +46.0 MiB part virtio '
t_match "disks: disk2 has 4096-byte sectors" "$(disks --json "$DISK2")" '"logical_sector": 4096,'

# A mounted partition puts the whole disk off limits unless --force: ext4
# (mountinfo shows its device number) and btrfs (mountinfo shows an
# anonymous 0:N device number for it).
mkdir -p /mnt/1 /mnt/2
t_ok "disk2: mkfs.btrfs on partition 2" mkfs.btrfs -q -f -L data2 "${DISK2}2"
t_ok "mount the ext4 of disk1" mount -t ext4 "${DISK1}2" /mnt/1
t_ok "mount the btrfs of disk2" mount -t btrfs "${DISK2}2" /mnt/2
for n in 1 2; do
	eval "d=\$DISK$n"
	t_rc "disk$n: gpt rename refused while mounted" 1 gpt rename "$d" 1 x
	t_match "disk$n: the refusal names the mount" "$(gpt delete "$d" 1 2>&1)" \
		"^gpt: $d: ${d#/dev/}2 is mounted on /mnt/$n; refusing .*--force edits it while keeping"
	t_rc "disk$n: a partition is not a disk" 1 gpt create --dry-run "${d}2"
	t_rc "disk$n: not even with --force" 1 gpt create --force --dry-run "${d}2"
	t_ok "disk$n: gpt show while mounted" gpt show "$d"
	# --force edits around a partition in use, never the partition itself
	t_match "disk$n: --force does not delete a partition in use" \
		"$(gpt delete --force "$d" 2 2>&1)" \
		"^gpt: $d: ${d#/dev/}2 is mounted on /mnt/$n; refusing a table that moves, shrinks or removes partition 2"
	for cmd in "resize --force $d 2 --size 8M" "create --force $d" \
		"restore --force $d /tmp/empty$n.gpt"; do
		t_match "disk$n: nor gpt ${cmd%% *} over it" "$(gpt $cmd 2>&1)" \
			"refusing a table that moves, shrinks or removes partition 2 "
	done
	t_ok "disk$n: partition 2 is still in the kernel" test -b "${d}2"
	t_match "disk$n: and on disk" "$(gpt show --json "$d")" '"name": "mosdata"'
	t_ok "disk$n: --force deletes a partition not in use" gpt delete --force "$d" 1
	t_ok "disk$n: and adds it back" \
		gpt add --force "$d" --start 1M --size 16M --type esp --name mosefi
	t_ok "disk$n: the kernel has partition 1 again" test -b "${d}1"
	t_ok "disk$n: gpt rename --force while mounted" gpt rename --force "$d" 1 renamed
	t_match "disk$n: the new name is on disk" "$(gpt show --json "$d")" '"name": "renamed"'
	t_eq "disk$n: the kernel's partitions are untouched, no warning" \
		"$(gpt rename --force "$d" 1 mosefi 2>&1 >/dev/null)" ""
done
t_ok "unmount both" umount /mnt/1 /mnt/2

# An entry past the end is a listed problem and the kernel's own parser
# skips it; an edit of the other partition must not hand it over either.
p1=/sys/class/block/${DISK3#/dev/}1
t_ok "disk3: the kernel skipped entry 1" test ! -e "$p1"
t_match "disk3: gpt verify lists it" "$(gpt verify "$DISK3")" 'partition 1 .* is outside the usable area'
t_ok "disk3: gpt rename partition 2" gpt rename "$DISK3" 2 sound
t_ok "disk3: still no partition 1 in the kernel" test ! -e "$p1"
t_ok "disk3: partition 2 is still there" test -b "${DISK3}2"

# A whole disk in use is never edited, --force or not (disk3 is not
# checked on the host after this).
t_ok "disk3: swap on the whole disk" sh -c "mkswap --force '$DISK3' >/dev/null && swapon '$DISK3'"
t_match "disk3: gpt create --force refused while it is swap" \
	"$(gpt create --force "$DISK3" 2>&1)" "^gpt: $DISK3: ${DISK3#/dev/} is in use as swap; .*does not override"
t_ok "swapoff disk3" swapoff "$DISK3"
EOF
}

# partitions IMAGE SECTOR-SIZE: "N START SECTORS TYPE-UUID NAME" lines, as
# fdisk reads the table (it takes the sector size of an image file as told)
partitions() {
	fdisk -b "$2" -l -o Device,Start,Sectors,Type-UUID,Name "$1" |
		sed -n "s|^$1\([0-9]*\) |\1 |p" | tr -s ' '
}

check() {
	t_match "disk1: sgdisk -v" "$(sgdisk -v "$DISK1")" 'No problems found'
	json=$(sfdisk --json "$DISK1" | tr -d ' \n')
	t_match "disk1: sfdisk --json" "$json" '"label":"gpt",.*"sectorsize":512,.*"name":"mosefi".*"name":"mosdata"'
	for n in 1 2; do
		eval "img=\$DISK$n"
		ss=512
		[ "$n" = 2 ] && ss=4096
		t_match "disk$n: fdisk -b $ss finds no errors" "$(printf 'v\nq\n' | fdisk -b "$ss" "$img")" \
			'No errors detected'
		parts=$(partitions "$img" "$ss")
		t_match "disk$n: partition 1 is a 16 MiB ESP at 1 MiB" "$parts" \
			"^1 $((1048576 / ss)) $((16777216 / ss)) C12A7328-F81F-11D2-BA4B-00A0C93EC93B mosefi\$"
		t_match "disk$n: partition 2 is a Linux one" "$parts" \
			'^2 [0-9]+ [0-9]+ 0FC63DAF-8483-4772-8E79-3D69D8477DE4 mosdata$'
		set -- $(echo "$parts" | grep '^2 ')
		dd if="$img" of="$T/part$n" bs="$ss" skip="$2" count="$3" status=none
		t_eq "disk$n: blkid of partition 2" "$(blkid -o value -s LABEL "$T/part$n")" "data$n"
		if [ "$n" = 1 ]; then
			t_ok "disk$n: e2fsck of partition 2" e2fsck -fn "$T/part$n"
		else
			t_ok "disk$n: btrfs check of partition 2" btrfs check --readonly "$T/part$n"
		fi
	done
}
