# sysvol on two blank virtio disks beside a foreign ext4 disk: the mirror
# (md RAID1 0.90 for the ESP, 1.2 for boot, btrfs raid1 for the data, a
# swap area on each disk) checked in the guest (mdadm, btrfs-progs, the
# mounts with their labels, fsck.fat and e2fsck on the arrays) and on
# the host (sgdisk -v, sfdisk, blkid, fsck.fat -n of a 0.90 member, the
# derived identifiers); the foreign disk is left byte for byte as it was.
# A second boot only assembles and mounts: the arrays by name
# (/dev/md/mosefi, /dev/md/mosboot) with both members, btrfs with both
# devices and not degraded, no step that writes, and the tables and
# what sysvol made on both disks as they were (checksums before and after).
disks="virtio:5G virtio:5G virtio:256M"
cmdline="mossize=2 mosswap=1"
timeout=900

prepare() {
	mkfs.ext4 -q -L FOREIGN "$DISK3" || return 1
	sha256sum <"$DISK3" >"$work/foreign.sum"
}

guest() {
	cat <<'EOF2'
start=$(cut -d' ' -f1 /proc/uptime)
blockbox sysvol >/tmp/run.txt 2>&1
t_eq "sysvol: exit 0" "$?" 0
echo "# sysvol first boot: $(awk -v s="$start" '{printf "%.1f", $1 - s}' /proc/uptime) s"
cat /tmp/run.txt
t_match "provisioned, mirror" "$(cat /tmp/run.txt)" '^outcome: provisioned, mirror'
t_match "disk 3 foreign, with what it holds" "$(cat /tmp/run.txt)" "^disk ${DISK3#/dev/} \(disk3, .*\): foreign: .*ext4"
for d in "$DISK1" "$DISK2"; do
	t_eq "${d#/dev/}: labels" "$(for p in 2 3 4 5; do blkid -p -s TYPE -o value "$d$p"; done | tr '\n' ' ')" \
		"linux_raid_member linux_raid_member swap btrfs "
done
t_ok "md mosefi exists" test -b /dev/md/mosefi
t_ok "md mosboot exists" test -b /dev/md/mosboot
ex() { mdadm --detail "$1" | sed -n "s/^ *$2 : //p"; }
t_eq "mosefi: RAID1, metadata 0.90, 2 devices" "$(ex /dev/md/mosefi 'Raid Level') $(ex /dev/md/mosefi Version) $(ex /dev/md/mosefi 'Raid Devices')" "raid1 0.90 2"
t_eq "mosboot: RAID1, metadata 1.2, 2 devices" "$(ex /dev/md/mosboot 'Raid Level') $(ex /dev/md/mosboot Version) $(ex /dev/md/mosboot 'Raid Devices')" "raid1 1.2 2"
t_eq "mosefi members" "$(mdadm --detail /dev/md/mosefi | grep -o '/dev/vd[a-z][0-9]' | sort | tr '\n' ' ')" "${DISK1}2 ${DISK2}2 "
t_eq "mosboot members" "$(mdadm --detail /dev/md/mosboot | grep -o '/dev/vd[a-z][0-9]' | sort | tr '\n' ' ')" "${DISK1}3 ${DISK2}3 "
t_eq "array labels" "$(blkid -p -s LABEL -o value /dev/md/mosefi) $(blkid -p -s LABEL -o value /dev/md/mosboot)" "MOSEFI MOSBOOT"
show=$(btrfs filesystem show /run/sysvol/top)
t_match "btrfs MOSDATA" "$show" "Label: 'MOSDATA'"
t_match "btrfs on two devices" "$show" "Total devices 2 "
t_match "btrfs member on disk 1" "$show" "path ${DISK1}5"
t_match "btrfs member on disk 2" "$show" "path ${DISK2}5"
df=$(btrfs filesystem df /run/sysvol/top)
t_match "btrfs data raid1" "$df" '^Data, RAID1'
t_match "btrfs metadata raid1" "$df" '^Metadata, RAID1'
t_eq "subvolumes" "$(btrfs subvolume list /run/sysvol/top | awk '{print $NF}' | sort | tr '\n' ' ')" "etc modules mos-bin system vm-meta "
lab() { blkid -s LABEL -o value "$(awk -v t="$1" '$2 == t {print $1}' /proc/mounts | tail -n 1)"; }
t_eq "mounts with their labels" "$(for m in /boot /boot/efi /var/cache/system /var/cache/etc /var/cache/modules /var/cache/vm-meta /var/cache/bin; do lab $m; done | tr '\n' ' ')" \
	"MOSBOOT MOSEFI MOSDATA MOSDATA MOSDATA MOSDATA MOSDATA "
t_eq "swap on both disks, labelled" "$(awk 'NR > 1 {print $1}' /proc/swaps | sort | while read -r s; do echo "$s=$(blkid -s LABEL -o value "$s")"; done | tr '\n' ' ')" \
	"${DISK1}4=MOSSWAP ${DISK2}4=MOSSWAP "
for d in "$DISK1" "$DISK2"; do
	echo "# ${d#/dev/}3 $(mdadm --examine "${d}3" | grep -E 'Data Offset')"
done
umount /boot/efi && t_ok "fsck.fat -n of the ESP array" fsck.fat -n /dev/md/mosefi
umount /boot && t_ok "e2fsck -n of the boot array" e2fsck -n /dev/md/mosboot
t_ok "the foreign disk still ext4" sh -c "blkid -p $DISK3 | grep -q 'LABEL=\"FOREIGN\"'"
EOF2
}

check() {
	. tests/vm/sysvol-lib.sh
	t_eq "foreign disk byte for byte" "$(sha256sum <"$DISK3")" "$(cat "$work/foreign.sum")"
	for i in 1 2; do
		eval "img=\$DISK$i"
		t_match "disk $i: sgdisk -v" "$(sgdisk -v "$img" 2>&1)" 'No problems found'
		t_eq "disk $i: GPT names" "$(for p in 1 2 3 4 5; do img_part "$img" $p name; done | tr '\n' ' ')" "mosbios mosefi mosboot mosswap mosdata "
		t_eq "disk $i: sizes" "$(for p in 1 2 3 4 5; do img_part "$img" $p size; done | tr '\n' ' ')" "2048 204800 2097152 2097152 4194304 "
		t_eq "disk $i: data GUID derived" "$(img_part "$img" 5 uuid | tr A-Z a-z)" "$(sv_uuid sysvol:disk1,disk2:part:disk$i:mosdata)"
		t_eq "disk $i: blkid MOSDATA, derived UUID" "$(img_blkid "$img" 5 LABEL) $(img_blkid "$img" 5 UUID)" "MOSDATA $(sv_uuid sysvol:disk1,disk2:fs:mosdata)"
		t_eq "disk $i: swap's own derived UUID" "$(img_blkid "$img" 4 UUID)" "$(sv_uuid sysvol:disk1,disk2:fs:mosswap:disk$i)"
		img_extract "$img" 2 "$work/esp.img"
		t_ok "disk $i: its 0.90 ESP member is a plain FAT for firmware (fsck.fat -n)" fsck.fat -n "$work/esp.img"
		t_eq "disk $i: FAT label" "$(blkid -p -u filesystem -s LABEL -o value "$work/esp.img")" MOSEFI
		rm -f "$work/esp.img"
		off=$(printf "%s\n" "$CONSOLE" | sed -n "s/^# vd[a-z]3 *Data Offset : \([0-9]*\) sectors/\1/p" | sed -n "${i}p")
		t_ok "disk $i: e2fsck -n of the boot member at its data offset ($off sectors)" \
			e2fsck -n "$img?offset=$(($(img_off "$img" 3) + off * 512))"
	done
	before=$(sv_sums "$DISK1"; sv_sums "$DISK2")
	guest() {
		cat <<'EOF2'
blockbox sysvol --json >/tmp/run.json 2>/tmp/run.err
t_eq "second boot: exit 0" "$?" 0
cat /tmp/run.err
t_match "second boot: mounted, mirror" "$(tr -d '\n' </tmp/run.json)" '"outcome": "mounted", *"mode": "mirror"'
t_eq "second boot: no step that writes (only md assembly, scans, mounts, swap)" \
	"$(sed -n '/"steps"/,$p' /tmp/run.json | grep -E '"(kind|what)"' | paste - - | grep -vE '"(mkdir|mount|btrfs_scan|swapon)"' |
	  grep -vE '"what": "md RAID1 /dev/md/mos(efi|boot) from [^"]*"')" ""
t_match "assembled by name: mosefi" "$(ls -l /dev/md/)" 'mosefi -> '
t_match "assembled by name: mosboot" "$(ls -l /dev/md/)" 'mosboot -> '
t_eq "mosefi: both members" "$(mdadm --detail /dev/md/mosefi | grep -o '/dev/vd[a-z][0-9]' | sort | tr '\n' ' ')" "${DISK1}2 ${DISK2}2 "
t_eq "mosboot: both members" "$(mdadm --detail /dev/md/mosboot | grep -o '/dev/vd[a-z][0-9]' | sort | tr '\n' ' ')" "${DISK1}3 ${DISK2}3 "
t_eq "/boot from mosboot, /boot/efi from mosefi" \
	"$(awk '$2 == "/boot" || $2 == "/boot/efi" {print $2}' /proc/mounts | while read -r m; do
		readlink -f "$(awk -v t="$m" '$2 == t {print $1}' /proc/mounts)"; done | tr '\n' ' ')" \
	"$(readlink -f /dev/md/mosboot) $(readlink -f /dev/md/mosefi) "
show=$(btrfs filesystem show /var/cache/system)
t_match "btrfs: two devices" "$show" "Total devices 2 "
t_match "btrfs: disk 1's member" "$show" "path ${DISK1}5"
t_match "btrfs: disk 2's member" "$show" "path ${DISK2}5"
t_eq "btrfs: none missing, not degraded" "$(echo "$show" | grep -ci missing) $(grep -c degraded /proc/mounts)" "0 0"
t_eq "swap on both disks" "$(awk 'NR > 1 {print $1}' /proc/swaps | sort | tr '\n' ' ')" "${DISK1}4 ${DISK2}4 "
EOF2
	}
	vm_boot second
	t_eq "second boot: status 0" "$?" 0
	t_eq "second boot wrote nothing sysvol owns (both disks)" "$(sv_sums "$DISK1"; sv_sums "$DISK2")" "$before"
	printf '%s\n' "$before" | sed 's/^/# /'
}
