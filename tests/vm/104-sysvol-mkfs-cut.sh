# Power cuts inside mkfs: four single-disk nodes, each cut in the middle
# of making one kind of filesystem (blockbox's own FAT32, mke2fs's ext4,
# blockbox's own swap area, mkfs.btrfs's btrfs): sysvol kills the writer
# once it has written part of it (--cut-after-bytes), what it wrote is
# synced and the power is cut. The next boot completes every disk: each
# half-made filesystem is made again, never taken as done. Disk 2 is cut
# once more after mke2fs and its check, before the label that marks a
# whole filesystem: a valid-looking ext4 with sysvol's UUID and no label,
# which its checker finds whole, so it only gets its label (it may hold
# data: an operator may have removed the label); once mounted and then
# damaged it is refused, as is disk 4's btrfs in that state: only a
# filesystem never mounted is taken as a cut mkfs. Someone else's
# unlabelled ext4 in its place is refused and left as it is. In the guest and on the host e2fsck -fn,
# btrfs check, fsck.fat -n and blkid then find each filesystem whole.
# Then disk 4's GPT names are cleared or changed: sysvol still knows its
# storage by the labels, mounts it and writes nothing to it.
# Single layout steps: 1 table, 2 FAT32, 3 mke2fs, 4 e2fsck, 5 label,
# 6 swap, 7 mkfs.btrfs, 8 btrfs check, 9 label, then mounts.
disks="virtio:4G virtio:4G virtio:4G virtio:4G"
cmdline="mossize=1 mosswap=1"
timeout=600
expect=99

. tests/vm/sysvol-lib.sh
sv() { sv_one "$@"; } # N ARGS: sysvol for disk N alone
cut_in() { # N STEP BYTES WHAT
	sv "$1" --stop-after $(($2 - 1)) --cut-after-bytes "$3"
	echo "t_eq 'disk $1: cut inside step $2' \"\$rc\" 1"
	echo "t_match 'disk $1: $4 killed after writing part of it' \"\$(cat /tmp/sv$1.txt)\" 'cut step $2 \\($4.*after it had written [0-9]+ bytes'"
}

guest() {
	cut_in 1 2 65536 'FAT32 MOSEFI'
	cut_in 2 3 65536 'ext4 on'
	cut_in 3 6 1 'swap MOSSWAP'
	cut_in 4 7 262144 'btrfs on'
	cat <<'EOF2'
sync
for d in "$DISK1"2 "$DISK2"3 "$DISK3"4 "$DISK4"5; do echo "# after the cut, $d: $(blkid -p "$d")"; done
EOF2
	echo "power_cut 99"
}

# The next boot: each disk completed, the half-made filesystem made again.
complete() { # N PART WHAT
	sv "$1"
	cat <<EOF2
t_eq "disk $1: completed (exit 0)" "\$rc" 0
t_match "disk $1: outcome completed" "\$(cat /tmp/sv$1.txt)" '^outcome: completed, single'
t_match "disk $1: the half-made $3 made again, not taken as done" "\$(cat /tmp/sv$1.txt)" '^done +[0-9]+\\. $3'
d=\$DISK$1
t_eq "disk $1: labels" "\$(for p in 2 3 4 5; do blkid -p -s LABEL -o value "\$d\$p"; done | tr '\n' ' ')" "MOSEFI MOSBOOT MOSSWAP MOSDATA "
t_match "disk $1: swap on" "\$(cat /proc/swaps)" "^\${d}4 "
t_eq "disk $1: subvolumes" "\$(btrfs subvolume list /run/sv$1/top | awk '{print \$NF}' | sort | tr '\n' ' ')" "etc modules mos-bin system vm-meta "
umount /mnt/$1/boot/efi /mnt/$1/boot
for m in \$(awk '\$2 ~ "^/mnt/$1/|^/run/sv$1/" {print \$2}' /proc/mounts | sort -r); do umount "\$m"; done
swapoff "\${d}4"
t_ok "disk $1: fsck.fat -n" fsck.fat -n "\${d}2"
t_ok "disk $1: e2fsck -fn" e2fsck -f -n "\${d}3"
t_ok "disk $1: btrfs check" btrfs check --readonly "\${d}5"
EOF2
}

check() {
	. tests/vm/sysvol-lib.sh
	expect=0
	guest() {
		cat <<'EOF2'
# disk 2 cut again, between steps: mke2fs and e2fsck done, not the label
EOF2
		sv 2 --stop-after 2
		cat <<'EOF2'
t_eq "disk 2: stopped before the label" "$rc" 1
t_match "disk 2: the ext4 cut inside mke2fs (no superblock yet) made" "$(cat /tmp/sv2.txt)" '^done +1\. ext4 on '
t_eq "disk 2: a valid-looking ext4, no label" "$(blkid -p -s TYPE -o value "$DISK2"3) $(blkid -p -s LABEL -o value "$DISK2"3)" "ext4 "
# mounted and written once, then its group descriptors damaged: the
# checker fails, but it may hold data now: refused, left byte for byte
mkdir -p /tmp/m2 && mount -t ext4 "$DISK2"3 /tmp/m2 && echo data >/tmp/m2/f && umount /tmp/m2
dd if=/dev/urandom of="$DISK2"3 bs=4096 seek=1 count=1 conv=fsync 2>/dev/null
sum=$(head -c 4194304 "$DISK2"3 | sha256sum)
EOF2
		sv 2 --stop-after 2
		cat <<'EOF2'
t_eq "disk 2: a mounted unlabelled ext4 failing its checker refused (exit 1)" "$rc" 1
t_match "disk 2: says it may hold data" "$(cat /tmp/sv2.txt)" "without its label MOSBOOT, and its checker fails, but it has been mounted, so it may hold data: left alone"
t_eq "disk 2: the mounted ext4 untouched" "$(head -c 4194304 "$DISK2"3 | sha256sum)" "$sum"
dd if=/dev/zero of="$DISK2"3 bs=1M count=4 conv=fsync 2>/dev/null # the operator wipes it
EOF2
		sv 2 --stop-after 2
		cat <<'EOF2'
t_eq "disk 2: made after the wipe, stopped before the label" "$rc" 1
t_match "disk 2: the wiped ext4 made" "$(cat /tmp/sv2.txt)" '^done +1\. ext4 on '
t_eq "disk 2: a new one, not made again" "$(grep -c 'again (a power cut' /tmp/sv2.txt)" 0
# its group descriptors damaged: the superblock still says ext4 with
# sysvol's UUID, but the checker fails, so it is half-made: made again
dd if=/dev/urandom of="$DISK2"3 bs=4096 seek=1 count=1 conv=fsync 2>/dev/null
t_ok "disk 2: e2fsck -fn fails on it" sh -c "! e2fsck -f -n $DISK2"3" >/dev/null 2>&1"
EOF2
		sv 2 --stop-after 2
		cat <<'EOF2'
t_eq "disk 2: stopped before the label again" "$rc" 1
t_match "disk 2: the ext4 its checker fails made again" "$(cat /tmp/sv2.txt)" '^done +1\. ext4 on .* again \(a power cut left it half-made\)'
EOF2
		complete 1 2 'FAT32 MOSEFI'
		complete 2 3 'label MOSBOOT on .*, which its checker found whole: only the label was missing'
		cat <<'EOF2'
t_eq "disk 2: the whole unlabelled ext4 not made again" "$(grep -c 'ext4 on' /tmp/sv2.txt)" 0
EOF2
		cat <<'EOF2'
# disk 3's mosboot replaced by someone else's unlabelled ext4: not sysvol's
# UUID, so not half-made by sysvol: refused, left byte for byte
mke2fs -q -t ext4 -F "$DISK3"3 >/dev/null 2>&1
sum=$(head -c 1048576 "$DISK3"3 | sha256sum)
EOF2
		sv 3
		cat <<'EOF2'
t_eq "disk 3: a foreign unlabelled ext4 refused (exit 1)" "$rc" 1
t_match "disk 3: says what it holds" "$(cat /tmp/sv3.txt)" "holds ext4 UUID [0-9a-f-]+, not the ext4 MOSBOOT sysvol makes: left alone"
t_eq "disk 3: the foreign ext4 untouched" "$(head -c 1048576 "$DISK3"3 | sha256sum)" "$sum"
dd if=/dev/zero of="$DISK3"3 bs=1M count=1 conv=fsync 2>/dev/null # the operator wipes it
EOF2
		complete 3 4 'swap MOSSWAP'
		complete 4 5 'btrfs on'
		cat <<'EOF2'
# disk 4's btrfs, mounted above: its label removed and its metadata past
# the superblock zeroed, so btrfs check fails; it may hold data: refused,
# left as it was, then put back
d5="$DISK4"5
btrfs filesystem label "$d5" ""
dd if="$d5" of=/tmp/d4meta bs=1M skip=1 count=32 2>/dev/null
dd if=/dev/zero of="$d5" bs=1M seek=1 count=32 conv=fsync 2>/dev/null
t_ok "disk 4: btrfs check fails on it" sh -c "! btrfs check --readonly $d5 >/dev/null 2>&1"
sum=$(head -c 34603008 "$d5" | sha256sum)
EOF2
		sv 4
		cat <<'EOF2'
t_eq "disk 4: a mounted unlabelled btrfs failing its checker refused (exit 1)" "$rc" 1
t_match "disk 4: says it may hold data" "$(cat /tmp/sv4.txt)" "holds the btrfs sysvol made, without its label MOSDATA, and its checker fails, but it has been mounted"
t_eq "disk 4: the btrfs untouched" "$(head -c 34603008 "$d5" | sha256sum)" "$sum"
dd if=/tmp/d4meta of="$d5" bs=1M seek=1 conv=fsync 2>/dev/null && rm /tmp/d4meta
btrfs filesystem label "$d5" MOSDATA
t_ok "disk 4: put back, btrfs check passes" btrfs check --readonly "$d5"
EOF2
		cat <<'EOF2'
# disk 4's GPT names cleared or changed by some tool: still sysvol's by
# its labels, so assembled and mounted, and nothing written to it
for n in 1 2 4; do blockbox gpt rename "$DISK4" $n ""; done
blockbox gpt rename "$DISK4" 3 boot && blockbox gpt rename "$DISK4" 5 data
sums() { for p in "" 2 4; do head -c 65536 "$DISK4$p" | sha256sum; done; }
before=$(sums)
blockbox sysvol --disks disk4 --root /mnt/4l --state /run/sv4l/state.json --json >/tmp/sv4l.json 2>/tmp/sv4l.err
t_eq "disk 4 by label: exit 0" "$?" 0
cat /tmp/sv4l.err
t_match "disk 4 by label: mounted, not foreign" "$(tr -d '\n' </tmp/sv4l.json)" '"outcome": "mounted", *"mode": "single"'
t_match "disk 4 by label: says so" "$(cat /tmp/sv4l.json)" "by their labels, without its partition names"
t_eq "disk 4 by label: no step that writes" "$(sed -n '/"steps"/,$p' /tmp/sv4l.json | grep '"kind"' | grep -vE '"(mkdir|mount|btrfs_scan|swapon)"')" ""
t_eq "disk 4 by label: mounts" "$(awk '$2 ~ "^/mnt/4l/" {print $2}' /proc/mounts | sort | tr '\n' ' ')" "/mnt/4l/boot /mnt/4l/boot/efi /mnt/4l/var/cache/bin /mnt/4l/var/cache/etc /mnt/4l/var/cache/modules /mnt/4l/var/cache/system /mnt/4l/var/cache/vm-meta "
umount /mnt/4l/boot/efi # the kernel marks a mounted FAT dirty in its boot sector
t_eq "disk 4 by label: table, FAT and swap as they were" "$(sums)" "$before"
EOF2
	}
	vm_boot complete
	t_eq "boot 2: status 0" "$?" 0
	for i in 1 2 3 4; do
		eval "img=\$DISK$i"
		t_match "disk $i: sgdisk -v" "$(sgdisk -v "$img" 2>&1)" 'No problems found'
		t_eq "disk $i: blkid types and labels" \
			"$(for p in 2 3 4 5; do echo "$(img_blkid "$img" $p TYPE)=$(img_blkid "$img" $p LABEL)"; done | tr '\n' ' ')" \
			"vfat=MOSEFI ext4=MOSBOOT swap=MOSSWAP btrfs=MOSDATA "
		t_eq "disk $i: UUIDs derived as on a run without a cut" \
			"$(for p in 3 5; do img_blkid "$img" $p UUID; done | tr '\n' ' ')" \
			"$(for p in mosboot mosdata; do sv_uuid sysvol:disk$i:fs:$p; done | tr '\n' ' ')"
		img_extract "$img" 2 "$work/esp.img"
		t_ok "disk $i: fsck.fat -n" fsck.fat -n "$work/esp.img"
		rm -f "$work/esp.img"
		t_ok "disk $i: e2fsck -fn" e2fsck -f -n "$img?offset=$(img_off "$img" 3)"
		img_extract "$img" 5 "$work/data.img"
		t_ok "disk $i: btrfs check" btrfs check --readonly "$work/data.img"
		rm -f "$work/data.img"
	done
}
