#!/bin/sh
# probe against the real blkid (util-linux) on images made by real mkfs
# tools: its own table and JSON against blkid -p, and, answering as blkid
# and findfs, the output and exit status of every form initramfs scripts
# use, byte for byte, side by side with blkid on the same images.
# (LVM PVs, md members and the PARTUUID/PARTLABEL of real partitions need
# block devices: tests/vm/25-probe-blkid.sh compares those in the guest.)
. "$(dirname "$0")/../lib.sh"

PEER=$(command -v blkid || echo /sbin/blkid)

mk() { # NAME SIZE_MB CMD... (the image path is appended)
	name=$1 mb=$2; shift 2
	truncate -s "${mb}M" "$T/$name.img"
	"$@" "$T/$name.img" >/dev/null 2>&1 || { t_skip "probe $name" "$1 failed or is missing"; rm -f "$T/$name.img"; }
}
mk ext4 16 mkfs.ext4 -q -F -L rootfs
mk vfat 16 mkfs.vfat -n MOSEFI
mk swap 8 mkswap -L MOSSWAP
mk btrfs 128 mkfs.btrfs -q -f -L MOSDATA
mk xfs 300 mkfs.xfs -q -f -L MOSXFS
truncate -s 8M "$T/gpt.img" && printf 'label: gpt\nsize=2M, type=linux\n' | sfdisk -q "$T/gpt.img" >/dev/null 2>&1
truncate -s 8M "$T/dos.img" && printf 'label: dos\nsize=2M, type=83\n' | sfdisk -q "$T/dos.img" >/dev/null 2>&1
truncate -s 4M "$T/blank.img"

field() { # JSON FIELD -> value or empty
	python3 -c 'import json,sys; v=json.load(sys.stdin)[0][sys.argv[1]]; print("" if v is None else v)' "$2" <<EOF2
$1
EOF2
}

for img in "$T"/*.img; do
	name=$(basename "$img" .img)
	json=$("$BB" probe --json "$img") || { t_fail "probe $name" "exit $?"; continue; }
	want=$("$PEER" -p -o export "$img" 2>/dev/null)
	for tag in TYPE LABEL UUID PTTYPE USAGE VERSION; do
		w=$(printf '%s\n' "$want" | sed -n "s/^$tag=//p")
		g=$(field "$json" "$(echo "$tag" | tr A-Z a-z)")
		t_eq "probe $name $tag matches blkid -p" "$g" "$w"
	done
	t_eq "probe $name: an image file has no partition entry" \
		"$(field "$json" partuuid)$(field "$json" partlabel)" ""
done

# ---- as blkid: the same bytes and status as util-linux's ----------------
# Labels with what each output format escapes differently: quotes, a
# dollar, a backslash, a tab, bytes over 127.
truncate -s 128M "$T/odd.img"
mkfs.btrfs -q -f -L 'my "data" $x' "$T/odd.img" >/dev/null 2>&1
truncate -s 8M "$T/odd2.img"
mkfs.ext4 -q -F -L "$(printf 'caf\303\251\tA\\')" "$T/odd2.img"
# two signatures that contradict each other: an ext4 superblock inside a
# FAT's reserved sectors
cp "$T/vfat.img" "$T/amb.img"
dd if="$T/ext4.img" of="$T/amb.img" bs=1024 skip=1 seek=1 count=1 conv=notrunc status=none

same() { # NAME ARGS...: blkid and blockbox blkid print and exit alike
	name=$1; shift
	want=$("$PEER" -c /dev/null "$@" 2>/dev/null; echo "exit $?")
	got=$("$BB" blkid -c /dev/null "$@" 2>/dev/null; echo "exit $?")
	if [ "$got" = "$want" ]; then
		t_pass "blkid $name"
	else
		t_fail "blkid $name" "$(printf 'blkid %s\n--- util-linux\n%s\n--- blockbox\n%s' "$*" "$want" "$got" | head -30)"
	fi
}

cd "$T" || exit 1
# good images first: -p stops at the first one it recognises nothing on
good="ext4.img vfat.img swap.img gpt.img dos.img odd.img odd2.img"
[ -e btrfs.img ] && good="$good btrfs.img"
[ -e xfs.img ] && good="$good xfs.img"
all="$good blank.img amb.img"
uuid=$("$PEER" -c /dev/null -o value -s UUID ext4.img)
for args in "" "-o full" "-o value" "-o export" "-o device" "-d" "-d -o export" \
	"-s TYPE" "-s UUID -s TYPE" "-o value -s UUID" "-o value -s TYPE" "-o value -s LABEL" \
	"-o value -s PTUUID" "-o export -s LABEL" "-s NONE" "-o value -s NONE" \
	"-t TYPE=ext4" "-t TYPE=vfat -o device" "-t LABEL=MOSEFI -o value -s UUID" \
	"-t UUID=$uuid" "-t PTTYPE=gpt -o device" "-t LABEL=nothing" "-t LABEL=\"rootfs\"" \
	"-t LABEL='MOSSWAP'" "-l -t TYPE=ext4" "-l -t TYPE=vfat -o device" "-p" "-p -o export" \
	"-p -o value -s USAGE" "-p -o device" "-p -s NONE" "-p -D"; do
	# shellcheck disable=SC2086
	same "$args on every image" $args $all
	for img in $all; do
		# shellcheck disable=SC2086
		same "$args $img" $args "$img"
	done
done
same "-p: stops at the first image with nothing" -p ext4.img blank.img vfat.img
same "-p: ambivalent is 8" -p ext4.img amb.img vfat.img
same "a missing file is passed over" ext4.img nope.img
same "only missing files: 2" nope.img
same "a directory is passed over" "$T" ext4.img
same "-p at an offset: the partition of an image" -p -O 1M gpt.img
same "-p with a window" -p -O 0 -S 16M ext4.img
same "-k lists the known types" -k
same "-g" -g

# -L and -U look through the devices named (blkid's own look through all
# of the machine's and ignore them): the answer is blkid -t's
for tok in LABEL=rootfs LABEL=MOSEFI LABEL=nothing "UUID=$uuid"; do
	want=$("$PEER" -c /dev/null -o device -t "$tok" $all; echo "exit $?")
	opt=-L
	[ "${tok%%=*}" = UUID ] && opt=-U
	got=$("$BB" blkid "$opt" "${tok#*=}" $all; echo "exit $?")
	t_eq "blkid $opt ${tok#*=} among the images" "$got" "$want"
	got=$("$BB" blkid -l -o device -t "$tok" $all; echo "exit $?")
	t_eq "blkid -l -o device -t $tok among the images" "$got" "$want"
done

# usage errors: 4 as blkid, 2 as probe; messages name the tool
for bad in "-o bogus" "-t LABEL" "-t LABEL=" "-t A=1 -t B=2" "-l" "-p -O 1x ext4.img" "-x" "-p"; do
	# shellcheck disable=SC2086
	t_rc "blkid $bad: usage error" 4 "$BB" blkid $bad
	# shellcheck disable=SC2086
	t_rc "probe $bad: usage error" 2 "$BB" probe $bad
done
t_match "blkid's messages say blkid" "$("$BB" blkid -o bogus 2>&1)" "^blkid: -o: unsupported output format 'bogus'"
t_rc "probe --json with blkid's options" 2 "$BB" probe --json -o value ext4.img
t_eq "probe -o value -s TYPE: blkid's form under probe's name" \
	"$("$BB" probe -o value -s TYPE ext4.img vfat.img)" "$(printf 'ext4\nvfat')"
t_rc "probe -t nothing matching: 2" 2 "$BB" probe -t LABEL=nothing ext4.img

# findfs: the forms that need no scan of the machine's devices (the
# guest scenario searches its disks)
t_eq "findfs names a path back" "$("$BB" findfs ext4.img; echo "exit $?")" "$(printf 'ext4.img\nexit 0')"
t_rc "findfs without an argument: 2" 2 "$BB" findfs
t_rc "findfs with two: 2" 2 "$BB" findfs LABEL=a LABEL=b
t_rc "findfs with an option: 2" 2 "$BB" findfs -x
t_match "findfs says bad usage" "$("$BB" findfs 2>&1)" '^findfs: bad usage'
cd / || exit 1

# ---- probe's own table ---------------------------------------------------
out=$("$BB" probe "$T/ext4.img")
t_match "table output has the label" "$out" 'ext4 +rootfs'
# a label is the filesystem's bytes: an escape sequence in one is shown,
# never sent to the terminal; JSON escapes it its own way
truncate -s 8M "$T/esc.img"
mkfs.ext4 -q -F -L "$(printf 'X\033[2JY')" "$T/esc.img"
out=$("$BB" probe "$T/esc.img")
t_match "a label's control characters are shown escaped" "$out" 'ext4 +X\\x1b\[2JY '
t_eq "no escape character reaches the terminal" "$(printf '%s' "$out" | tr -d -c '\033' | wc -c)" 0
t_match "json keeps the label's bytes" "$("$BB" probe --json "$T/esc.img")" '"label": "X\\u001b\[2JY"'
t_eq "blkid shows it as blkid does" "$("$BB" blkid -o export -s LABEL "$T/esc.img")" \
	"$("$PEER" -c /dev/null -o export -s LABEL "$T/esc.img")"
t_rc "missing file fails" 1 "$BB" probe "$T/nope.img"
out=$("$BB" probe "$T/nope.img" 2>&1)
t_match "missing file names the path" "$out" "^probe: $T/nope.img"
t_rc "a good and a missing file: exit 1, good one still printed" 1 "$BB" probe "$T/ext4.img" "$T/nope.img"
t_eq "missing file says why" "$("$BB" probe "$T/nope.img" 2>&1 >/dev/null)" \
	"probe: $T/nope.img: No such file or directory"
t_match "two signatures: probe says so" "$("$BB" probe "$T/amb.img" 2>&1 >/dev/null)" \
	"^probe: $T/amb.img: ambivalent: more than one signature"
mkfifo "$T/fifo"
for f in "$T" "$T/fifo" /dev/null; do
	t_eq "$f is refused by kind" "$("$BB" probe "$f" 2>&1 >/dev/null)" \
		"probe: $f: not a block device or a regular file"
done
exit 0
