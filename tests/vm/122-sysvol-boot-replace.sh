# sysvol.replace=auto: a provisioned two-disk node boots with disk 2 gone
# and a blank disk 3 in its place. sysvol copies disk 1's partition table
# onto disk 3 (GUIDs derived from disk 3's serial), adds its members to
# both md arrays, writes its swap area and, once mounted, puts its data
# partition in the missing btrfs device's place. The raw BIOS boot
# partition (what a boot loader put there) is copied from disk 1, read
# back and compared. The next boot, on disks 1 and 3, finds a whole
# mirror and writes nothing.
disks="virtio:512M virtio:512M virtio:512M"
timeout=300
cmdline="sysvol.wait=2"

. tests/vm/121-sysvol-boot-degraded.sh
disks="virtio:512M virtio:512M virtio:512M"

# a boot loader's core image in disk 1's BIOS boot partition
guest() {
	first
	echo 'dd if=/dev/urandom of="$(part "$D1" 1)" bs=64k count=16 conv=fsync 2>/dev/null'
}

replace() {
	layout
	cat <<'EOF2'
D3=$(disk 3)
sv
t_match "the replacement reported" "$out" 'REPLACED: disk3'
t_match "mosbios copied raw and checked" "$out" "^done +[0-9]+\\. copy mosbios \\(raw\\) from $(part "$D1" 1) onto $(part "$D3" 1), read back and compared"
t_ok "disk 3's mosbios is disk 1's, byte for byte" cmp "$(part "$D1" 1)" "$(part "$D3" 1)"
t_match "disk 3: mos partition names" "$(blockbox gpt show "$D3")" 'mosdata'
t_eq "disk 3: the same partition places as disk 1" \
	"$(blockbox gpt show "$D3" | grep -o 'mos[a-z]* *[0-9]* *[0-9]*' | tr -s ' ')" \
	"$(blockbox gpt show "$D1" | grep -o 'mos[a-z]* *[0-9]* *[0-9]*' | tr -s ' ')"
t_ok "md recovery of mosboot finishes" sh -c 'mdadm --wait /dev/md/mosboot; true'
t_ok "md recovery of mosefi finishes" sh -c 'mdadm --wait /dev/md/mosefi; true'
t_match "both arrays whole, with disk 3" "$(cat /proc/mdstat | tr '\n' ' ')" '\[UU\].*\[UU\]'
t_match "swap on disk 3" "$(blkid -o value -s LABEL "$(part "$D3" 4)")" MOSSWAP
i=0; while [ $i -lt 240 ] && ! grep -q 'state=done' /run/sysvol/replace 2>/dev/null; do sleep 1; i=$((i + 1)); done
t_match "btrfs device replace done" "$(cat /run/sysvol/replace)" 'state=done'
show=$(btrfs filesystem show /var/cache/system)
t_match "btrfs: disk 3's partition is a device" "$show" "$(part "$D3" 5)"
t_eq "btrfs: nothing missing" "$(echo "$show" | grep -c -i missing)" 0
EOF2
}

after() {
	layout
	cat <<'EOF2'
sv
t_eq "no warnings: a whole mirror" "$(echo "$out" | grep -c -E 'DEGRADED|SPLIT|REPLACED')" 0
t_match "md arrays whole" "$(cat /proc/mdstat | tr '\n' ' ')" '\[UU\].*\[UU\]'
t_eq "not mounted degraded" "$(grep -c degraded /proc/mounts)" 0
t_ok "no degraded record left" test ! -e /boot/sysvol/degraded
t_match "disk 3 in the members record" "$(cat /boot/sysvol/members)" 'disk3 btrfs_devid='
t_eq "the data of the first boot" "$(cat /var/cache/system/one)" one
EOF2
}

check() {
	. tests/vm/boots.sh
	cmdline="sysvol.wait=2 sysvol.replace=auto"
	boot replace replace disk1="$DISK1" disk3="$DISK3"
	cmdline="sysvol.wait=2"
	boot after after disk1="$DISK1" disk3="$DISK3"
	. tests/vm/sysvol-lib.sh
	bios() { dd if="$1" bs=512 skip="$(img_part "$1" 1 start)" count="$(img_part "$1" 1 size)" 2>/dev/null | sha256sum; }
	t_eq "host: disk 3's mosbios equals disk 1's" "$(bios "$DISK3")" "$(bios "$DISK1")"
	t_ok "host: disk 1's mosbios is not zeros" sh -c "! dd if='$DISK1' bs=512 skip=$(img_part "$DISK1" 1 start) count=2048 2>/dev/null | cmp -s -n 1048576 - /dev/zero"
}
