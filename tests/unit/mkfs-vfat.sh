#!/bin/sh
# mkfs.vfat against dosfstools 4.2 (mkfs.fat, fsck.fat) and blkid, on
# sparse image files: for each size from the smallest to several GiB, at
# 512- and 4096-byte sectors, the boot sector's shape (FAT type, cluster
# size, reserved sectors, FAT length, root entries, sector count, media,
# geometry) equals mkfs.fat's for the same size, fsck.fat -n accepts it,
# and blkid reads the same label, UUID, type, FAT version and sector size.
# Then forced types, the limits stated in refusals, labels and volume ids,
# --offset, and targets holding signatures.
. "$(dirname "$0")/../lib.sh"
for t in mkfs.fat fsck.fat blkid python3 mkfs.ext4 sfdisk; do
	command -v $t >/dev/null 2>&1 || { t_skip "mkfs.vfat" "$t is not installed"; exit 0; }
done

# The boot sector's fields that say what shape the filesystem has.
shape() { # IMG [BYTE_OFFSET]
	python3 - "$1" "${2:-0}" <<'EOF2'
import struct, sys
with open(sys.argv[1], 'rb') as f:
    f.seek(int(sys.argv[2]))
    b = f.read(512)
(ss, spc, res, nf, root, s16, media, fat16, spt, heads, hidden, s32) = \
    struct.unpack_from('<HBHBHHBHHHII', b, 11)
fat = fat16 or struct.unpack_from('<I', b, 36)[0]
kind = (b[54:62] if fat16 else b[82:90]).decode('ascii', 'replace').strip()
extra = ' info=%d backup=%d root_cluster=%d' % (struct.unpack_from('<H', b, 48)[0],
    struct.unpack_from('<H', b, 50)[0], struct.unpack_from('<I', b, 44)[0]) if not fat16 else ''
print('%s sector=%d cluster=%d reserved=%d fats=%d root=%d sectors=%d media=%02x fat=%d '
      'chs=%d/%d hidden=%d%s' % (kind, ss, spc, res, nf, root, s16 or s32, media, fat, spt,
      heads, hidden, extra))
EOF2
}
tags() { blkid -p -o export "$1" | grep -E '^(TYPE|LABEL|UUID|VERSION|BLOCK_SIZE|SEC_TYPE)=' | sort | tr '\n' ' '; }
img() { rm -f "$1" && truncate -s "$2" "$1"; }

# The sweep. mkfs.fat needs 50 KiB at least (its data area floor); the
# sizes straddle each switch: FAT12/16 at 4085 clusters, FAT32 at 512 MiB,
# FAT32 cluster sizes at 260 MiB and 8, 16, 32 GiB of sectors.
sizes512="50K 64K 100K 360K 720K 1200K 1440K 2880K 4M 8M 16M 32M 127M 260M 261M 511M 512M 1G 3G 8G 9G 17G 33G"
sizes4k="400K 1M 4M 16M 64M 255M 300M 511M 512M 1G 2G 2100M 8G 17G"
sweep() { # SECTOR SIZES
	for sz in $2; do
		img "$T/bb.img" $sz && img "$T/ul.img" $sz
		name="-S $1 $sz"
		if ! out=$("$BB" mkfs.vfat -S $1 -i 1a2b3c4d -n EFI "$T/bb.img" 2>&1); then
			t_fail "$name: mkfs.vfat" "$out"
			continue
		fi
		mkfs.fat -S $1 -i 1a2b3c4d -n EFI "$T/ul.img" >/dev/null 2>&1 ||
			{ t_fail "$name: mkfs.fat" "the peer failed"; continue; }
		t_eq "$name: shape as mkfs.fat" "$(shape "$T/bb.img")" "$(shape "$T/ul.img")"
		t_ok "$name: fsck.fat -n" fsck.fat -n "$T/bb.img"
		t_eq "$name: blkid as for mkfs.fat" "$(tags "$T/bb.img")" "$(tags "$T/ul.img")"
	done
}
sweep 512 "$sizes512"
sweep 4096 "$sizes4k"
t_match "blkid: the type, label and volume id" "$(tags "$T/bb.img")" \
	'LABEL="?EFI"? .*TYPE="?vfat"? UUID="?1A2B-3C4D"? VERSION="?FAT32"?'

# Forced types, and sizes a type cannot have: refused, the limit stated,
# and the limit itself works.
forced() { # NAME ARGS SIZE
	img "$T/bb.img" $3 && img "$T/ul.img" $3
	t_ok "$1: mkfs.vfat $2" "$BB" mkfs.vfat $2 -i 1 "$T/bb.img"
	mkfs.fat $2 -i 1 "$T/ul.img" >/dev/null 2>&1
	t_eq "$1: shape as mkfs.fat" "$(shape "$T/bb.img")" "$(shape "$T/ul.img")"
	t_ok "$1: fsck.fat -n" fsck.fat -n "$T/bb.img"
}
forced "FAT32 at 40 MiB" "-F 32" 40M
forced "FAT16 at 2 GiB" "-F 16" 2G
forced "FAT12 at 16 MiB" "-F 12" 16M
forced "FAT16 at 100 MiB, 4 KiB sectors" "-F 16 -S 4096" 100M
forced "2 sectors per cluster" "-s 2" 30M

# fsck.fat says the FAT type as "N bit entries" (blkid calls a FAT12 of
# 4084 clusters FAT16, for mkfs.fat's alike).
limit() { # NAME ARGS SIZE WANT_BITS
	img "$T/bb.img" $3
	said=$("$BB" mkfs.vfat $2 "$T/bb.img" 2>&1); rc=$?
	t_eq "$1: refused" $rc 1
	t_eq "$1: nothing written" "$(blkid -p -o value -s TYPE "$T/bb.img")" ""
	n=$(printf '%s\n' "$said" | sed -n 's/.*needs at [a-z]* [0-9]* [KM]iB (\([0-9]*\) bytes).*/\1/p')
	if [ -z "$n" ]; then
		t_fail "$1: the limit is stated" "$said"
		return
	fi
	t_pass "$1: the limit is stated ($n bytes)"
	img "$T/bb.img" $n
	t_ok "$1: at the limit it works" "$BB" mkfs.vfat $2 "$T/bb.img"
	t_match "$1: at the limit: fsck.fat -n, FAT$4" "$(fsck.fat -n -v "$T/bb.img" 2>&1)" " $4 bit entries"
}
limit "FAT32 on 200 MiB of 4096-byte sectors" "-F 32 -S 4096" 200M 32
t_match "FAT32 on 4096-byte sectors needs about 256 MiB" "$said" "needs at least 25[67] MiB .*65525 clusters"
limit "FAT32 on 20 MiB" "-F 32" 20M 32
limit "FAT16 on 1 MiB" "-F 16" 1M 16
limit "FAT12 on 300 MiB" "-F 12" 300M 12
limit "anything on 40 KiB" "" 40K 12
# the limit is exact: one sector less than the minimum is refused
img "$T/bb.img" $((n - 512))
t_rc "one sector below the minimum is refused" 1 "$BB" mkfs.vfat "$T/bb.img"

# BLOCKS (KiB) limits the filesystem, as mkfs.fat's (whose CHS heads
# come from the whole file; here from the filesystem: vfat.h).
img "$T/bb.img" 64M && img "$T/ul.img" 64M
t_ok "BLOCKS" "$BB" mkfs.vfat -i 1 "$T/bb.img" 30000
mkfs.fat -i 1 "$T/ul.img" 30000 >/dev/null 2>&1
t_eq "BLOCKS: shape as mkfs.fat" "$(shape "$T/bb.img" | sed 's, chs=[0-9/]*,,')" \
	"$(shape "$T/ul.img" | sed 's, chs=[0-9/]*,,')"
t_rc "BLOCKS past the end is refused" 1 "$BB" mkfs.vfat --force "$T/bb.img" 70000

# Labels and volume ids.
img "$T/l.img" 8M
"$BB" mkfs.vfat -n "MY DISK_1" -i ABCD-0123 "$T/l.img" >/dev/null
t_eq "a label with a blank" "$(blkid -p -o value -s LABEL "$T/l.img")" "MY DISK_1"
t_eq "volume id as blkid prints it" "$(blkid -p -o value -s UUID "$T/l.img")" ABCD-0123
"$BB" mkfs.vfat --force -i 0x00c0ffee "$T/l.img" >/dev/null
t_eq "volume id with 0x" "$(blkid -p -o value -s UUID "$T/l.img")" 00C0-FFEE
t_eq "no label: none in blkid" "$(blkid -p -o value -s LABEL "$T/l.img")" ""
"$BB" mkfs.vfat --force "$T/l.img" >/dev/null
u1=$(blkid -p -o value -s UUID "$T/l.img")
"$BB" mkfs.vfat --force "$T/l.img" >/dev/null
u2=$(blkid -p -o value -s UUID "$T/l.img")
[ "$u1" != "$u2" ] && t_pass "random volume ids differ" || t_fail "random volume ids differ" "$u1 twice"
out=$("$BB" mkfs.vfat --force -n lower "$T/l.img" 2>&1)
t_match "a lower-case label is kept, with a warning" "$out" "lower-case"
t_eq "a lower-case label is kept" "$(blkid -p -o value -s LABEL "$T/l.img")" lower
for bad in "TWELVE_CHARS" " LEAD" "A*B" "A.B" "$(printf 'A\tB')" "$(printf 'caf\303\251')"; do
	t_rc "label '$bad' is refused" 2 "$BB" mkfs.vfat --force -n "$bad" "$T/l.img"
done
for bad in 123456789 xyz "" ABCD-01234 0x; do
	t_rc "volume id '$bad' is refused" 2 "$BB" mkfs.vfat --force -i "$bad" "$T/l.img"
done
t_eq "refused options leave the filesystem" "$(blkid -p -o value -s LABEL "$T/l.img")" lower
t_rc "-F 24 is a usage error" 2 "$BB" mkfs.vfat --force -F 24 "$T/l.img"
t_rc "-S 8192 is a usage error" 2 "$BB" mkfs.vfat --force -S 8192 "$T/l.img"
t_rc "-S 3000 is refused" 1 "$BB" mkfs.vfat --force -S 3000 "$T/l.img"
t_rc "-s 3 is refused" 1 "$BB" mkfs.vfat --force -s 3 "$T/l.img"
t_rc "answers as mkfs.fat too" 0 sh -c 'ln -s "$0" "$1/mkfs.fat" && "$1/mkfs.fat" --force -n VIALINK "$2"' "$BB" "$T" "$T/l.img"
t_eq "as mkfs.fat: labelled" "$(blkid -p -o value -s LABEL "$T/l.img")" VIALINK
t_ok "-h: hidden sectors" "$BB" mkfs.vfat --force -h 63 "$T/l.img"
t_match "-h: recorded" "$(shape "$T/l.img")" " hidden=63$"

# --offset: a filesystem inside a partition of an image; the partition
# table before it is not the target's business. mkfs.fat records 0
# hidden sectors for an image; blockbox records the offset (vfat.h).
img "$T/p.img" 100M && img "$T/pu.img" 100M
printf 'label: gpt\nstart=2048, size=80M, type=uefi\n' | sfdisk -q "$T/p.img" >/dev/null 2>&1
t_ok "--offset 2048 in a partitioned image" "$BB" mkfs.vfat --offset 2048 -i 5 -n ESP "$T/p.img"
mkfs.fat --offset 2048 -i 5 -n ESP "$T/pu.img" >/dev/null 2>&1
t_eq "--offset: shape as mkfs.fat but the hidden sectors" \
	"$(shape "$T/p.img" 1048576 | sed 's/hidden=2048/hidden=0/')" "$(shape "$T/pu.img" 1048576)"
t_eq "--offset: the partition table is still there" "$(blkid -p -o value -s PTTYPE "$T/p.img")" gpt
t_eq "--offset: blkid finds the filesystem there" \
	"$(blkid -p -O 1048576 -o value -s LABEL "$T/p.img")" ESP
dd if="$T/p.img" of="$T/part.img" bs=1M skip=1 conv=sparse status=none
t_ok "--offset: fsck.fat -n on the area" fsck.fat -n "$T/part.img"
t_rc "--offset past the end is refused" 1 "$BB" mkfs.vfat --offset 300000 "$T/p.img"

# Signatures: refused and named; --force erases them all.
img "$T/e.img" 64M && mkfs.ext4 -q -F -L keep "$T/e.img"
out=$("$BB" mkfs.vfat "$T/e.img" 2>&1); rc=$?
t_eq "an ext4 image: refused" $rc 1
t_eq "an ext4 image: named" "$out" "mkfs.vfat: $T/e.img: it holds a ext4 signature (--force overwrites it)"
t_eq "an ext4 image: untouched" "$(blkid -p -o value -s LABEL "$T/e.img")" keep
t_ok "an ext4 image: --force" "$BB" mkfs.vfat --force -n NEW "$T/e.img"
t_eq "--force: vfat, nothing else found" "$(blkid -p -o export "$T/e.img" | grep -c '^TYPE=')" 1
t_eq "--force: vfat" "$(blkid -p -o value -s TYPE "$T/e.img")" vfat
t_ok "--force: fsck.fat -n" fsck.fat -n "$T/e.img"
img "$T/s.img" 16M && mkswap "$T/s.img" >/dev/null 2>&1
t_match "a swap area is named" "$("$BB" mkfs.vfat "$T/s.img" 2>&1)" "it holds a swap signature"
img "$T/g.img" 64M && printf 'label: gpt\nsize=8M, type=linux\n' | sfdisk -q "$T/g.img" >/dev/null 2>&1
t_match "a partition table is named" "$("$BB" mkfs.vfat "$T/g.img" 2>&1)" "it has a gpt partition table"
t_ok "a partition table: --force" "$BB" mkfs.vfat --force "$T/g.img"
t_eq "--force: no partition table left, backup GPT included" \
	"$(blkid -p -o value -s PTTYPE "$T/g.img")" ""
img "$T/v.img" 64M && "$BB" mkfs.vfat "$T/v.img" >/dev/null
t_match "an old FAT is named" "$("$BB" mkfs.vfat "$T/v.img" 2>&1)" "it holds a vfat signature"
t_rc "a directory is refused" 1 "$BB" mkfs.vfat "$T"
t_rc "a missing file is refused" 1 "$BB" mkfs.vfat "$T/nope.img"
exit 0
