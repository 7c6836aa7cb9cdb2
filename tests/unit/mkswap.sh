#!/bin/sh
# mkswap against util-linux's mkswap, blkid and swaplabel, on image files:
# the same bytes for the same label and UUID, what blkid and swaplabel
# read back, and the refusals (too small, a signature, bad options).
. "$(dirname "$0")/../lib.sh"
for t in mkswap blkid swaplabel mkfs.ext4; do
	command -v $t >/dev/null 2>&1 || { t_skip "mkswap" "$t is not installed"; exit 0; }
done
U=0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0ff

img() { rm -f "$1" && truncate -s "$2" "$1"; }
tag() { blkid -p -o value -s "$2" "$1" 2>/dev/null; }

# The smallest area (10 pages), one page more, an odd size, large sparse
# images: byte for byte what util-linux writes for the same label and UUID
# (compared over the first 64 KiB, the largest header page: reading
# gigabytes of holes would only time the disk).
same() { cmp -n 65536 "$1" "$2" && [ "$(stat -c %s "$1")" = "$(stat -c %s "$2")" ]; }
for sz in 40K 41K 3333K 64M 1G 8G 17G; do
	img "$T/bb.img" $sz && img "$T/ul.img" $sz
	t_ok "$sz: blockbox mkswap" "$BB" mkswap -L "sw$sz" -U $U "$T/bb.img"
	mkswap -L "sw$sz" -U $U "$T/ul.img" >/dev/null 2>&1
	t_ok "$sz: the same bytes as util-linux mkswap" same "$T/bb.img" "$T/ul.img"
	t_eq "$sz: blkid TYPE" "$(tag "$T/bb.img" TYPE)" swap
	t_eq "$sz: blkid LABEL" "$(tag "$T/bb.img" LABEL)" "sw$sz"
	t_eq "$sz: blkid UUID" "$(tag "$T/bb.img" UUID)" $U
done
out=$(swaplabel "$T/bb.img")
t_match "swaplabel reads the label" "$out" "^LABEL: sw17G"
t_match "swaplabel reads the UUID" "$out" "UUID: +$U"

# The size argument (KiB) limits the area, as util-linux's does.
img "$T/bb.img" 64M && img "$T/ul.img" 64M
t_ok "SIZE_KIB" "$BB" mkswap -U $U "$T/bb.img" 1000
mkswap -U $U "$T/ul.img" 1000 >/dev/null 2>&1
t_ok "SIZE_KIB: the same bytes as util-linux" same "$T/bb.img" "$T/ul.img"
t_rc "SIZE_KIB larger than the target is refused" 1 "$BB" mkswap -f "$T/bb.img" 70000

# Other page sizes (-p) as util-linux lays them out.
for ps in 8192 65536; do
	img "$T/bb.img" 8M && img "$T/ul.img" 8M
	t_ok "-p $ps" "$BB" mkswap -p $ps -U $U "$T/bb.img"
	mkswap -p $ps -U $U "$T/ul.img" >/dev/null 2>&1
	t_ok "-p $ps: the same bytes as util-linux" same "$T/bb.img" "$T/ul.img"
done
t_rc "-p 3000 (not a power of two) is refused" 1 "$BB" mkswap -f -p 3000 "$T/bb.img"

# A random UUID when none is given: version 4, and two runs differ.
img "$T/r.img" 1M
"$BB" mkswap "$T/r.img" >/dev/null
u1=$(tag "$T/r.img" UUID)
"$BB" mkswap -f "$T/r.img" >/dev/null
u2=$(tag "$T/r.img" UUID)
t_match "random UUID is version 4" "$u1" '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
[ "$u1" != "$u2" ] && t_pass "two runs, two UUIDs" || t_fail "two runs, two UUIDs" "$u1 twice"

# Refusals.
img "$T/small.img" 36K
out=$("$BB" mkswap "$T/small.img" 2>&1); rc=$?
t_eq "too small: exit 1" $rc 1
t_match "too small: the minimum is stated" "$out" "at least 40960 bytes"
t_eq "too small: nothing written" "$(tag "$T/small.img" TYPE)" ""
t_rc "a 16-byte label is refused" 1 "$BB" mkswap -f -L 0123456789abcdef "$T/r.img"
t_rc "a bad UUID is a usage error" 2 "$BB" mkswap -U not-a-uuid "$T/r.img"
t_rc "no target is a usage error" 2 "$BB" mkswap
t_rc "a missing file fails" 1 "$BB" mkswap "$T/nope.img"

img "$T/ext4.img" 16M && mkfs.ext4 -q -F -L keepme "$T/ext4.img"
out=$("$BB" mkswap "$T/ext4.img" 2>&1); rc=$?
t_eq "an ext4 image: refused" $rc 1
t_eq "an ext4 image: says what it found" "$out" \
	"mkswap: $T/ext4.img: it holds a ext4 signature (--force overwrites it)"
t_eq "an ext4 image: left as it was" "$(tag "$T/ext4.img" LABEL)" keepme
t_ok "an ext4 image with --force" "$BB" mkswap --force -L now "$T/ext4.img"
t_eq "--force: only the swap area is found" "$(blkid -p -o export "$T/ext4.img" | grep -c '^TYPE=')" 1
t_eq "--force: it is swap" "$(tag "$T/ext4.img" TYPE)" swap

img "$T/gpt.img" 16M && printf 'label: gpt\nsize=2M, type=linux\n' | sfdisk -q "$T/gpt.img" >/dev/null 2>&1
out=$("$BB" mkswap "$T/gpt.img" 2>&1)
t_match "a partition table: refused, named" "$out" "it has a gpt partition table"
t_ok "a partition table with --force" "$BB" mkswap -f "$T/gpt.img"
t_eq "--force: no partition table left (backup GPT included)" \
	"$(blkid -p -o value -s PTTYPE "$T/gpt.img")" ""
t_eq "--force: swap" "$(tag "$T/gpt.img" TYPE)" swap
exit 0
