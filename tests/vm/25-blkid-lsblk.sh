# What is on each device, as util-linux's blkid, findfs and lsblk tell it
# and as blockbox's blkid, findfs and disks do, on real block devices: GPT and MBR
# partitions (PARTUUID, PARTLABEL, an extended partition), an md RAID1 and
# its members, an LVM PV and its LVs, each form compared byte for byte
# with the peer in the guest. The host then compares the two on the
# images: the md member and the PV as whole disks, the partitions by
# offset.
disks="virtio:64M nvme:64M virtio:32M virtio:32M virtio:400M"
timeout=360

prepare() {
	printf 'label: gpt\nsize=24M, type=linux, name="root fs"\nsize=16M, type=uefi, name=EFI\nsize=8M, type=swap, name=swap\n' |
		sfdisk -q "$DISK1" >/dev/null &&
		printf 'label: dos\nsize=8M, type=83\ntype=5\n' | sfdisk -q "$DISK2" >/dev/null &&
		printf ',16M,83\n,8M,83\n' | sfdisk -q -a "$DISK2" >/dev/null # logical: 5 and 6
}

guest() {
	cat <<'EOF2'
PEER=/usr/sbin/blkid
part() { case $1 in *[0-9]) echo "${1}p$2" ;; *) echo "$1$2" ;; esac; }
t_ok "mkfs.ext4 on the GPT's first" mkfs.ext4 -q -F -L rootfs "$(part "$DISK1" 1)"
t_ok "mkfs.vfat on the GPT's second" mkfs.vfat -n EFI "$(part "$DISK1" 2)"
t_ok "mkswap on the GPT's third" mkswap -L SWAP "$(part "$DISK1" 3)"
t_ok "mkfs.ext4 on the MBR's first" mkfs.ext4 -q -F -L dos1 "$(part "$DISK2" 1)"
t_ok "mkfs.vfat on a logical partition" mkfs.vfat -n LOGICAL "$(part "$DISK2" 5)"
t_ok "mdadm --create RAID1" mdadm --create /dev/md0 --run --level=1 --raid-devices=2 \
	--metadata=1.2 "$DISK3" "$DISK4"
t_ok "mkfs.ext4 on md0" mkfs.ext4 -q -F -L mirror /dev/md0
t_ok "pvcreate" pvcreate -q "$DISK5"
t_ok "vgcreate" vgcreate -q vg0 "$DISK5"
t_ok "lvcreate data" lvcreate -q -y -L 300M -n data vg0
t_ok "lvcreate small" lvcreate -q -y -L 16M -n small vg0
t_ok "mkfs.xfs on vg0/data" mkfs.xfs -q -K -L lvxfs /dev/vg0/data
t_ok "mkfs.ext4 on vg0/small" mkfs.ext4 -q -F -L lvext /dev/vg0/small

same() { # NAME ARGS...: util-linux's blkid and blockbox's print and exit alike
	name=$1; shift
	want=$($PEER -c /dev/null "$@" 2>/dev/null; echo "exit $?")
	got=$(blkid -c /dev/null "$@" 2>/dev/null; echo "exit $?")
	if [ "$got" = "$want" ]; then t_pass "blkid $name"
	else t_fail "blkid $name" "$(printf '%s\n--- util-linux\n%s\n--- blockbox\n%s' "$*" "$want" "$got" | head -20)"; fi
}
# without devices both go through every device, in an order of their own
same_sorted() { # NAME ARGS...
	name=$1; shift
	want=$($PEER -c /dev/null "$@" 2>/dev/null | sort; echo "exit $?")
	got=$(blkid -c /dev/null "$@" 2>/dev/null | sort; echo "exit $?")
	if [ "$got" = "$want" ]; then t_pass "blkid $name (all devices)"
	else t_fail "blkid $name (all devices)" "$(printf '%s\n--- util-linux\n%s\n--- blockbox\n%s' "$*" "$want" "$got" | head -30)"; fi
}

devs=$(for b in /sys/class/block/*; do echo "/dev/${b##*/}"; done; ls /dev/mapper/vg0-*)
for d in $devs; do
	for args in "" "-p" "-o export" "-p -o export" "-o device" "-o value -s TYPE" \
		"-o value -s UUID" "-o value -s PARTUUID" "-o value -s PARTLABEL" \
		"-s PARTUUID -s PARTLABEL" "-p -D" "-p -o value -s PART_ENTRY_NUMBER"; do
		# shellcheck disable=SC2086
		same "$args $d" $args "$d"
	done
done
for args in "" "-o device" "-o value -s UUID" "-o value -s PARTUUID" "-t TYPE=ext4" \
	"-t TYPE=vfat -o device" "-t PARTLABEL=EFI" "-t LABEL=nothing" "-t TYPE=linux_raid_member"; do
	# shellcheck disable=SC2086
	same_sorted "$args" $args
done
same "-p on every device" -p $devs

# lookups by tag: the device each names, and exit 2 (findfs: 1) for none
p1=$(part "$DISK1" 1)
for tok in LABEL=rootfs LABEL=EFI LABEL=mirror LABEL=lvxfs LABEL=lvext LABEL=dos1 \
	LABEL=LOGICAL "UUID=$($PEER -c /dev/null -o value -s UUID "$p1")" \
	"UUID=$($PEER -c /dev/null -o value -s UUID /dev/md0)" \
	"UUID=$($PEER -c /dev/null -o value -s UUID /dev/mapper/vg0-data)" \
	"PARTUUID=$($PEER -c /dev/null -o value -s PARTUUID "$p1")" \
	"PARTUUID=$($PEER -c /dev/null -o value -s PARTUUID "$(part "$DISK2" 5)")" \
	"PARTLABEL=root fs" PARTLABEL=swap LABEL=nothing PARTUUID=00000000-01; do
	t_eq "findfs $tok" "$(findfs "$tok" 2>/dev/null; echo "exit $?")" \
		"$(/usr/sbin/findfs "$tok" 2>/dev/null; echo "exit $?")"
	same "-l -o device -t $tok" -l -o device -t "$tok"
	same "-t $tok -o value -s TYPE" -t "$tok" -o value -s TYPE
	case $tok in
	LABEL=*) same "-L ${tok#*=}" -L "${tok#*=}" ;;
	UUID=*) same "-U ${tok#*=}" -U "${tok#*=}" ;;
	esac
done
t_match "findfs PARTUUID= finds the partition" "$(findfs "PARTUUID=$($PEER -c /dev/null -o value -s PARTUUID "$p1")")" "^$p1\$"
t_eq "findfs LABEL=mirror is the array, not a member" "$(findfs LABEL=mirror)" /dev/md0
t_eq "findfs LABEL=lvxfs is the LV by its mapper name" "$(findfs LABEL=lvxfs)" /dev/mapper/vg0-data

# disks against lsblk: FSTYPE, FSVER, LABEL, UUID; USE as its mount
# points and [SWAP], and what holds a device as its children
mkdir -p /mnt/m
t_ok "mount md0" mount /dev/md0 /mnt/m
t_ok "swapon the GPT's third" swapon "$(part "$DISK1" 3)"
# lsblk reads what is on a device from udev's database, which udev's own
# blkid builtin fills; there is no udev here: fill it as that builtin
# would, from util-linux's libblkid (lsblk never probes when libudev works)
mkdir -p /run/udev/data
for b in /sys/class/block/*; do
	# (blkid -o udev escapes blanks in every value; udev keeps them but
	# in the *_ENC ones, which lsblk decodes itself)
	$PEER -p -o udev "/dev/${b##*/}" 2>/dev/null | sed -e 's/^/E:/' -e '/_ENC=/!s/\\x20/ /g' \
		>"/run/udev/data/b$(cat "$b/dev")"
done
jf() { sed -n "s/^ *\"$1\": \"\(.*\)\",\{0,1\}\$/\1/p"; }
for b in /sys/class/block/*; do
	k=${b##*/} d=/dev/${b##*/}
	j=$(disks --json "$d")
	for col in FSTYPE:fstype FSVER:fsver LABEL:label UUID:uuid MOUNTPOINT:mountpoint; do
		want=$(lsblk -dno "${col%%:*}" "$d")
		got=$(printf '%s\n' "$j" | jf "${col#*:}")
		[ "${col%%:*}" = MOUNTPOINT ] && printf '%s\n' "$j" | grep -q '"swap": true' && got="[SWAP]"
		t_eq "disks $k ${col#*:} as lsblk ${col%%:*}" "$got" "$want"
	done
	want=$(lsblk -lno KNAME,NAME,TYPE "$d" | awk -v me="$k" '$1 != me && $3 != "part" { print $2 }' | sort | tr '\n' ' ')
	got=$(disks -f "$d" | sed -n 's/.* held by //p' | tr -d ',' | tr ' ' '\n' | sort | tr '\n' ' ')
	t_eq "disks $k: what holds it, as lsblk's children" "$got" "$want"
done
t_match "disks: the md member names its array" "$(disks "$DISK3")" ' linux_raid_member held by md0$'
t_match "disks: the PV names its LVs" "$(disks -f "$DISK5")" ' LVM2_member .* held by vg0-(data|small), vg0-(data|small)$'
t_match "disks: md0 mounted" "$(disks -f /dev/md0)" '^md0 +ext4 +1.0 +mirror .* /mnt/m$'
t_ok "swapoff" swapoff "$(part "$DISK1" 3)"
t_ok "umount md0" umount /mnt/m
EOF2
}

check() {
	same() { # NAME ARGS...
		name=$1; shift
		want=$(blkid -c /dev/null "$@" 2>/dev/null; echo "exit $?")
		got=$("$BB" blkid -c /dev/null "$@" 2>/dev/null; echo "exit $?")
		t_eq "blkid $name (host)" "$got" "$want"
	}
	for args in "" "-p" "-o export" "-o value -s TYPE" "-s UUID_SUB" "-p -o export"; do
		# shellcheck disable=SC2086
		same "$args: GPT, MBR, md members, LVM PV images" $args "$DISK1" "$DISK2" "$DISK3" "$DISK4" "$DISK5"
	done
	t_eq "disk3: an md member" "$("$BB" blkid -o value -s TYPE "$DISK3")" linux_raid_member
	t_eq "disk5: an LVM PV" "$("$BB" blkid -o value -s TYPE "$DISK5")" LVM2_member
	# each partition of the images, by the offset and size sfdisk gives
	for img in "$DISK1" "$DISK2"; do
		sfdisk -J "$img" | python3 -c '
import json, sys
for p in json.load(sys.stdin)["partitiontable"]["partitions"]:
    print(p["start"] * 512, p["size"] * 512, p["node"])' >"$T/parts"
		while read -r off size node; do
			same "-p -O $off -S $size ($node)" -p -O "$off" -S "$size" "$img"
		done <"$T/parts"
	done
}
