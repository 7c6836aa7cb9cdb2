# tests/vm/sysvol-lib.sh - host-side helpers of the sysvol scenarios
# (sourced by tests/vm/1xx-sysvol-*.sh), beside tests/lib.sh's img_*
# partition readers: a table's check, what blkid and the fsck tools say
# about each partition, the identifiers sysvol derives computed here on
# their own (RFC 9562 name-based, SHA-256, blockbox's namespace), and
# checksums of what a second boot must leave.

# sv_verify IMG: sgdisk -v, or fdisk -b 4096's check of a 4K table
sv_verify() {
	if [ "$(img_sector "$1")" = 4096 ]; then
		printf 'v\nq\n' | fdisk -b 4096 "$1" 2>&1 | grep -q 'No errors detected'
	else
		sgdisk -v "$1" 2>&1 | grep -q 'No problems found'
	fi
}
# sv_uuid NAME: the UUID sysvol derives from NAME ("sysvol:disk1:fs:mosdata")
sv_uuid() {
	python3 -c '
import hashlib, sys, uuid
ns = bytes.fromhex("7b1e0f5c3a9d4e219c5bbd8f4a62c0e3")
d = bytearray(hashlib.sha256(ns + sys.argv[1].encode()).digest()[:16])
d[6] = (d[6] & 0x0F) | 0x80
d[8] = (d[8] & 0x3F) | 0x80
print(uuid.UUID(bytes=bytes(d)))
' "$1"
}
# sv_sums IMG: checksums of what a boot that only mounts leaves alone:
# both partition tables, each partition's first 64 KiB except ext4's and
# btrfs's (the kernel updates mount counts and times there; their
# identity fields are compared instead) and an md 1.2 member's superblock
# (events and times, which assembling updates).
sv_sums() {
	ss=$(img_sector "$1")
	sz=$(stat -c %s "$1")
	echo "gpt $(head -c $((34 * ss)) "$1" | sha256sum | cut -c1-16)"
	echo "backup $(tail -c $((33 * ss)) "$1" | sha256sum | cut -c1-16)"
	for p in 1 2 3 4 5; do
		off=$(img_off "$1" $p)
		type=$(img_blkid "$1" $p TYPE)
		case "$type" in
		ext4) dumpe2fs -h "$1?offset=$off" 2>/dev/null |
			grep -E '^(Filesystem (UUID|volume name|features|OS type)|Block count|Inode count|Block size)' |
			tr -s ' ' | sed "s/^/p$p /" ;;
		btrfs) btrfs inspect-internal dump-super --bytenr $((off + 65536)) "$1" 2>/dev/null |
			grep -E '^(fsid|label|total_bytes|num_devices|dev_item.(uuid|devid|total_bytes))' |
			tr -s ' \t' ' ' | sed "s/^/p$p /" ;;
		linux_raid_member) # md 1.2 keeps its superblock (events, times) and bad
			# block log in 4-12 KiB; 0.90's is at the end; the rest is the data's
			echo "p$p $type $({ dd if="$1" bs=4096 skip=$((off / 4096)) count=1
				dd if="$1" bs=4096 skip=$((off / 4096 + 3)) count=13; } 2>/dev/null | sha256sum | cut -c1-16)";;
		*) echo "p$p $type $(dd if="$1" bs=4096 skip=$((off / 4096)) count=16 2>/dev/null | sha256sum | cut -c1-16)" ;;
		esac
	done
}
# sv_one N ARGS: the guest's lines that run sysvol on disk N alone, a
# node of its own (--disks diskN, mounted under /mnt/N, its state in
# /run/svN): its output in /tmp/svN.txt and shown, its status in $rc
sv_one() {
	n=$1
	shift
	echo "blockbox sysvol --disks disk$n --root /mnt/$n --state /run/sv$n/state.json $* >/tmp/sv$n.txt 2>&1"
	echo "rc=\$?; cat /tmp/sv$n.txt"
}
