# core/claim on real devices: "may I write to this device?" asked through
# `gpt create`, which refuses what the claim check finds busy. An md
# RAID1 member, the second member of a mounted btrfs RAID1 (which
# mountinfo shows under the first member only), a device another program
# holds open with O_EXCL (nothing in sysfs says so), and a blank disk,
# which is free and gets its table.
disks="virtio:64M virtio:64M virtio:160M virtio:160M virtio:64M virtio:64M"
profile=tools
timeout=240

prepare() {
	mkdir -p "$work/root/test"
	musl-gcc -std=gnu11 -static -O2 -Wall -Wextra -Werror tests/vm/excl_hold.c \
		-o "$work/root/test/excl_hold"
}

guest() {
	cat <<'EOF2'
refuse() { # NAME DISK REASON: gpt create refuses DISK, naming REASON, writing nothing
	before=$(dd if="$2" bs=64k count=1 2>/dev/null | md5sum)
	out=$(gpt create "$2" 2>&1)
	t_eq "$1: refused" "$?" 1
	t_match "$1: says why" "$out" "^gpt: $2: $3; refusing to rewrite its partition table"
	t_eq "$1: nothing written" "$(dd if="$2" bs=64k count=1 2>/dev/null | md5sum)" "$before"
}
n1=${DISK1#/dev/} n2=${DISK2#/dev/} n3=${DISK3#/dev/} n4=${DISK4#/dev/} n6=${DISK6#/dev/}

t_ok "mdadm --create RAID1" mdadm --create /dev/md0 --run --level=1 --raid-devices=2 \
	--metadata=1.2 "$DISK1" "$DISK2"
refuse "md member 1" "$DISK1" "$n1 is a member of the RAID array md0"
refuse "md member 2" "$DISK2" "$n2 is a member of the RAID array md0"

t_ok "mkfs.btrfs RAID1" mkfs.btrfs -q -f -d raid1 -m raid1 "$DISK3" "$DISK4"
t_ok "btrfs device scan" btrfs device scan
mkdir -p /mnt/b
t_ok "mount btrfs by its first member" mount -t btrfs "$DISK3" /mnt/b
t_eq "mountinfo names only the first member" \
	"$(grep -c " $DISK4 " /proc/self/mountinfo)" 0
refuse "btrfs first member" "$DISK3" "$n3 is mounted on /mnt/b"
refuse "btrfs second member" "$DISK4" "$n4 is a member of the btrfs mounted on /mnt/b \\(with $n3\\)"

/test/excl_hold "$DISK6" 60 >/tmp/held &
holder=$!
i=0
while [ "$(cat /tmp/held 2>/dev/null)" != held ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
refuse "held with O_EXCL" "$DISK6" "$n6 is open exclusively \\(by the kernel or another program\\)"
kill $holder
wait $holder 2>/dev/null

t_ok "blank disk: free, gets a table" gpt create "$DISK5"
t_ok "released disk: free, gets a table" gpt create "$DISK6"
t_match "disk6: its table reads back" "$(gpt show "$DISK6")" '^usable LBA 34-'
EOF2
}

check() {
	t_eq "disk5: a GPT" "$(blkid -p -o value -s PTTYPE "$DISK5")" gpt
	t_eq "disk6: a GPT" "$(blkid -p -o value -s PTTYPE "$DISK6")" gpt
	t_ok "disk5: sgdisk verifies it" sgdisk -v "$DISK5"
	t_eq "disk2: still an md member" "$(blkid -p -o value -s TYPE "$DISK2")" linux_raid_member
	t_eq "disk4: still btrfs" "$(blkid -p -o value -s TYPE "$DISK4")" btrfs
}
