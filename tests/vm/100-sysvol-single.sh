# sysvol on one blank virtio disk, beside one too small for the layout,
# with mossize=2 mosswap=1: --dry-run changes nothing and prints the plan
# the real run then carries out; the single layout is partitioned,
# formatted, mounted (labels, swap, subvolumes at their mount points);
# the host checks it with sgdisk, sfdisk, blkid, fsck.fat and e2fsck, and
# the identifiers against its own derivation. A second boot only mounts:
# nothing written (checksums before and after).
disks="virtio:5G virtio:1G"
cmdline="mossize=2 mosswap=1"
timeout=600

guest() {
	cat <<'EOF2'
blockbox sysvol --dry-run --json >/tmp/dry.json 2>/tmp/dry.err
t_eq "dry run: exit 0" "$?" 0
t_match "dry run: planned" "$(cat /tmp/dry.json)" '"outcome": "planned"'
t_eq "dry run: disk 1 still blank" "$(blkid -p "$DISK1"; echo $?)" 2
blockbox sysvol --dry-run >/tmp/dry.txt 2>&1
t_match "dry run text: disk 1 chosen" "$(cat /tmp/dry.txt)" "^disk ${DISK1#/dev/} \(disk1, .*\): chosen, blank"
t_match "dry run text: disk 2 too small, with what it needs" "$(cat /tmp/dry.txt)" "blank but too small: the layout needs"
t_match "dry run text: the table first" "$(cat /tmp/dry.txt)" "^plan  1\. partition ${DISK1#/dev/}"
t_match "dry run text: mkfs.btrfs by argv" "$(cat /tmp/dry.txt)" "mkfs.btrfs -q -K -U [0-9a-f-]{36} ${DISK1}5$"
start=$(cut -d' ' -f1 /proc/uptime)
blockbox sysvol --json >/tmp/run.json 2>/tmp/run.err
t_eq "sysvol: exit 0" "$?" 0
echo "# sysvol first boot: $(awk -v s="$start" '{printf "%.1f", $1 - s}' /proc/uptime) s"
cat /tmp/run.err
t_match "provisioned, single" "$(cat /tmp/run.json)" '"outcome": "provisioned",'
t_match "mode single" "$(cat /tmp/run.json)" '"mode": "single",'
steps() { sed -n '/"steps"/,/^  \]/p' "$1" | grep -vE '"(done|external|seconds)"'; }
t_eq "the plan executed is the plan printed" "$(steps /tmp/run.json)" "$(steps /tmp/dry.json)"
t_ok "state file with its schema" grep -q '"schema": 1' /run/sysvol/state.json
t_eq "state file: the outcome" "$(grep '"outcome"' /run/sysvol/state.json)" '  "outcome": "provisioned",'
for p in 1 2 3 4 5; do t_ok "partition $p exists" test -b "$DISK1$p"; done
t_eq "labels" "$(for p in 2 3 4 5; do blkid -s LABEL -o value "$DISK1$p"; done | tr '\n' ' ')" "MOSEFI MOSBOOT MOSSWAP MOSDATA "
t_eq "types" "$(for p in 2 3 4 5; do blkid -s TYPE -o value "$DISK1$p"; done | tr '\n' ' ')" "vfat ext4 swap btrfs "
mnt() { awk -v t="$1" '$2 == t {print $1, $3}' /proc/mounts | tail -n 1; }
t_eq "/boot is MOSBOOT" "$(mnt /boot)" "${DISK1}3 ext4"
t_eq "/boot/efi is MOSEFI" "$(mnt /boot/efi)" "${DISK1}2 vfat"
for s in system etc modules vm-meta; do
	t_eq "/var/cache/$s is subvolume $s" "$(mnt /var/cache/$s) $(grep " /var/cache/$s " /proc/self/mountinfo | awk '{print $4}')" "${DISK1}5 btrfs /$s"
done
t_eq "/var/cache/bin is subvolume mos-bin" "$(grep ' /var/cache/bin ' /proc/self/mountinfo | awk '{print $4}')" "/mos-bin"
t_match "swap on" "$(cat /proc/swaps)" "^${DISK1}4 "
t_eq "subvolumes" "$(btrfs subvolume list /run/sysvol/top | awk '{print $NF}' | sort | tr '\n' ' ')" "etc modules mos-bin system vm-meta "
echo hello >/boot/efi/f && echo hello >/boot/f && echo hello >/var/cache/etc/f
t_eq "files written to each" "$(cat /boot/efi/f /boot/f /var/cache/etc/f | tr '\n' ' ')" "hello hello hello "
t_eq "disk 2 untouched" "$(blkid -p "$DISK2"; echo $?)" 2
echo "# sysvol run again in the same boot"
blockbox sysvol >/tmp/again.txt 2>&1
t_eq "a rerun: exit 0" "$?" 0
t_match "a rerun only finds it mounted" "$(cat /tmp/again.txt)" '^outcome: mounted, single'
EOF2
}

check() {
	. tests/vm/sysvol-lib.sh
	t_match "sgdisk -v: no problems" "$(sgdisk -v "$DISK1" 2>&1)" 'No problems found'
	t_eq "GPT names" "$(for p in 1 2 3 4 5; do img_part "$DISK1" $p name; done | tr '\n' ' ')" "mosbios mosefi mosboot mosswap mosdata "
	# 512-byte sectors: 1 MiB, 100 MiB, 1 GiB, mosswap=1 GiB, mossize=2 GiB
	t_eq "sizes (sectors)" "$(for p in 1 2 3 4 5; do img_part "$DISK1" $p size; done | tr '\n' ' ')" "2048 204800 2097152 2097152 4194304 "
	t_eq "1 MiB aligned" "$(for p in 1 2 3 4 5; do echo $(($(img_part "$DISK1" $p start) % 2048)); done | tr '\n' ' ')" "0 0 0 0 0 "
	t_eq "data partition's GUID derived from the serial" "$(img_part "$DISK1" 5 uuid | tr A-Z a-z)" "$(sv_uuid sysvol:disk1:part:disk1:mosdata)"
	t_eq "MOSDATA's UUID derived" "$(img_blkid "$DISK1" 5 UUID)" "$(sv_uuid sysvol:disk1:fs:mosdata)"
	t_eq "MOSBOOT's UUID derived" "$(img_blkid "$DISK1" 3 UUID)" "$(sv_uuid sysvol:disk1:fs:mosboot)"
	t_eq "MOSSWAP's UUID derived" "$(img_blkid "$DISK1" 4 UUID)" "$(sv_uuid sysvol:disk1:fs:mosswap)"
	t_eq "blkid labels" "$(for p in 2 3 4 5; do img_blkid "$DISK1" $p LABEL; done | tr '\n' ' ')" "MOSEFI MOSBOOT MOSSWAP MOSDATA "
	img_extract "$DISK1" 2 "$work/esp.img"
	t_ok "fsck.fat -n" fsck.fat -n "$work/esp.img"
	t_match "FAT32" "$(blkid -p -s VERSION -o value "$work/esp.img")" 'FAT32'
	t_ok "e2fsck -n" e2fsck -n "$DISK1?offset=$(img_off "$DISK1" 3)"
	img_extract "$DISK1" 5 "$work/data.img"
	t_ok "btrfs check --readonly" btrfs check --readonly "$work/data.img"
	rm -f "$work/esp.img" "$work/data.img"
	t_ok "disk 2 all zeros" cmp -s -n 1073741824 "$DISK2" /dev/zero
	before=$(sv_sums "$DISK1")
	guest() {
		cat <<'EOF2'
start=$(cut -d' ' -f1 /proc/uptime)
blockbox sysvol --json >/tmp/run.json 2>/tmp/run.err
t_eq "second boot: exit 0" "$?" 0
echo "# sysvol second boot: $(awk -v s="$start" '{printf "%.1f", $1 - s}' /proc/uptime) s"
cat /tmp/run.err
t_match "second boot: mounted" "$(cat /tmp/run.json)" '"outcome": "mounted",'
t_eq "second boot: no step writes" "$(sed -n '/"steps"/,$p' /tmp/run.json | grep '"kind"' | grep -vE '"(mkdir|mount|btrfs_scan|swapon)"')" ""
t_eq "second boot: the files are there" "$(cat /boot/efi/f /boot/f /var/cache/etc/f | tr '\n' ' ')" "hello hello hello "
t_match "second boot: swap on" "$(cat /proc/swaps)" "^${DISK1}4 "
EOF2
	}
	vm_boot second
	t_eq "second boot: status 0" "$?" 0
	t_eq "second boot wrote nothing sysvol owns" "$(sv_sums "$DISK1")" "$before"
	printf '%s\n' "$before" | sed 's/^/# /'
}
