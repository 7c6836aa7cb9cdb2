# gpt create/add inside the guest on a 512-byte and a 4096-byte sector
# virtio disk, the kernel picking up the partitions, a filesystem in one;
# then the host checks the images with sgdisk, sfdisk, blkid and e2fsck.
disks="virtio:64M virtio4k:64M"
timeout=90

guest() {
	cat <<'EOF'
for n in 1 2; do
	eval "d=\$DISK$n"
	t_ok "disk$n: gpt create" gpt create "$d"
	t_ok "disk$n: gpt add an ESP" gpt add "$d" --size 16M --type esp --name mosefi
	t_ok "disk$n: gpt add the rest" gpt add "$d" --name mosdata
	t_ok "disk$n: the kernel has partition 1" test -b "${d}1"
	t_ok "disk$n: the kernel has partition 2" test -b "${d}2"
	t_ok "disk$n: gpt verify" gpt verify "$d"
	t_ok "disk$n: mkfs.ext4 on partition 2" mkfs.ext4 -q -F -L "data$n" "${d}2"
done
t_match "disks: partition 2 of disk1, 46 MiB" "$(disks)" '^`-vda2 +46.0 MiB part virtio '
t_match "disks: disk2 has 4096-byte sectors" "$(disks --json "$DISK2")" '"logical_sector": 4096,'
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
		t_ok "disk$n: e2fsck of partition 2" e2fsck -fn "$T/part$n"
	done
}
