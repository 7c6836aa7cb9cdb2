# disks on a fake /sys, /proc and /dev made here (--root): a virtio disk
# with a partition mounted, an NVMe disk held by md, a virtio disk held by
# two device-mapper devices, an empty loop device. Image files made by
# mkfs stand in the fake /dev for what is on them, read as blkid reads it.
. "$(dirname "$0")/../lib.sh"

r=$T/root
mkdir -p "$r/sys/class/block" "$r/proc/self" "$r/dev"

# blockdev CLASS-NAME DEVICE-DIR MAJ:MIN SECTORS [ATTR=VALUE...]
blockdev() {
	name=$1 rel=$2 dir=$r/sys/devices/$2 devno=$3 sectors=$4
	shift 4
	mkdir -p "$dir/queue" "$dir/holders"
	echo "$devno" >"$dir/dev"
	echo "$sectors" >"$dir/size"
	for kv in "$@"; do
		mkdir -p "$(dirname "$dir/${kv%%=*}")"
		echo "${kv#*=}" >"$dir/${kv%%=*}"
	done
	ln -s "../../devices/$rel" "$r/sys/class/block/$name"
}
vda=pci0000:00/0000:00:04.0/virtio1/block/vda
blockdev vda "$vda" 254:0 131072 serial=disk1 queue/logical_block_size=512 \
	queue/physical_block_size=4096 queue/rotational=0
mkdir -p "$r/sys/devices/$vda/device"
blockdev vda1 "$vda/vda1" 254:1 65536 partition=1
nvme=pci0000:00/0000:00:05.0/nvme/nvme0/nvme0n1
blockdev nvme0n1 "$nvme" 259:0 262144 queue/logical_block_size=4096
mkdir -p "$r/sys/devices/$nvme/device" "$r/sys/devices/$nvme/holders/md127"
echo "QEMU NVMe Ctrl" >"$r/sys/devices/$nvme/device/model"
echo "disk3               " >"$r/sys/devices/$nvme/device/serial"
blockdev loop0 virtual/block/loop0 7:0 0
vdb=pci0000:00/0000:00:06.0/virtio2/block/vdb
blockdev vdb "$vdb" 254:16 131072 serial=disk2
mkdir -p "$r/sys/devices/$vdb/device" "$r/sys/devices/$vdb/holders/dm-0" "$r/sys/devices/$vdb/holders/dm-1"
blockdev dm-0 virtual/block/dm-0 253:0 65536 dm/name=vg0-data
blockdev dm-1 virtual/block/dm-1 253:1 32768 dm/name=vg0-small
# what is on them: ext4 on the mounted partition, a FAT on the NVMe disk
truncate -s 8M "$r/dev/vda1" && mkfs.ext4 -q -F -L rootfs "$r/dev/vda1"
truncate -s 8M "$r/dev/nvme0n1" && mkfs.vfat -n MOSEFI "$r/dev/nvme0n1" >/dev/null
echo "36 25 254:1 / /boot rw,relatime - ext4 /dev/vda1 rw" >"$r/proc/self/mountinfo"
: >"$r/proc/swaps"

d() { "$BB" disks --root "$r" "$@"; }
table=$(d)
t_match "header" "$table" '^NAME +SIZE TYPE TRAN +RO SECTOR +MODEL +SERIAL +FSTYPE +USE$'
t_match "virtio disk" "$table" '^vda +64.0 MiB disk virtio +rw 512/4096 +- +disk1 +- +-$'
t_match "its partition, mounted" "$table" '^`-vda1 +32.0 MiB part virtio +rw 512/4096 +- +disk1 +ext4 +/boot$'
t_match "nvme disk held by md" "$table" '^nvme0n1 +128 MiB disk nvme +rw 4096/4096 +QEMU NVMe Ctrl +disk3 +vfat +held by md127$'
t_match "a disk held by LVs, named as device-mapper names them" "$table" '^vdb .* held by vg0-data, vg0-small$'
t_match "-n reads no device" "$(d -n)" '^`-vda1 +32.0 MiB part virtio +rw 512/4096 +- +disk1 +- +/boot$'
fs=$(d -f)
t_match "-f header" "$fs" '^NAME +FSTYPE +FSVER +LABEL +UUID +USE$'
t_match "-f: the ext4" "$fs" "^\`-vda1 +ext4 +1.0 +rootfs +$(blkid -c /dev/null -o value -s UUID "$r/dev/vda1") +/boot\$"
t_match "-f: the FAT" "$fs" "^nvme0n1 +vfat +FAT12 +MOSEFI +$(blkid -c /dev/null -o value -s UUID "$r/dev/nvme0n1") +held by md127\$"
for dev in vda1 nvme0n1; do
	j=$(d --json "$dev")
	for tag in TYPE:fstype VERSION:fsver LABEL:label UUID:uuid; do
		want=$(blkid -c /dev/null -p -o value -s "${tag%%:*}" "$r/dev/$dev")
		t_match "json $dev ${tag#*:} as blkid -p" "$j" "\"${tag#*:}\": \"$want\","
	done
done
t_match "json: nothing on it is null" "$(d --json vda)" '"fstype": null,'
t_eq "empty devices hidden" "$(echo "$table" | grep -c loop0)" 0
t_eq "-a shows them" "$(d -a | grep -c '^loop0 .* loop ')" 1
t_eq "-d: whole disks only" "$(d -d | grep -c vda1)" 0
json=$(d --json vda1 | tr -d '\n ')
t_match "json of one device" "$json" \
	'^\[\{"name":"vda1","path":"'"$r"'/dev/vda1","type":"part","parent":"vda","devno":"254:1","size":33554432,'
t_match "json mount point" "$json" '"mountpoint":"/boot","swap":false,"holders":\[\]\}\]$'
t_match "json holders" "$(d --json nvme0n1 | tr -d '\n ')" '"holders":\["md127"\]'
t_rc "unknown device" 1 d nonexistent
t_match "unknown device is named" "$(d nonexistent 2>&1)" 'disks: nonexistent: no such block device'
t_rc "no sysfs" 1 "$BB" disks --root "$T/nothing"
