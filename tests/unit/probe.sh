#!/bin/sh
# probe against the real blkid (util-linux) on images made by real mkfs
# tools: type, label and UUID must agree exactly.
. "$(dirname "$0")/../lib.sh"

mk() { # NAME SIZE_MB CMD... (the image path is appended)
	name=$1 mb=$2; shift 2
	truncate -s "${mb}M" "$T/$name.img"
	"$@" "$T/$name.img" >/dev/null 2>&1 || { t_skip "probe $name" "$1 failed or is missing"; rm -f "$T/$name.img"; }
}
mk ext4 16 mkfs.ext4 -q -F -L rootfs
mk vfat 16 mkfs.vfat -n MOSEFI
mk swap 8 mkswap -L MOSSWAP
mk btrfs 128 mkfs.btrfs -q -f -L MOSDATA
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
	want=$(blkid -p -o export "$img" 2>/dev/null)
	for tag in TYPE LABEL UUID PTTYPE; do
		w=$(printf '%s\n' "$want" | sed -n "s/^$tag=//p")
		g=$(field "$json" "$(echo "$tag" | tr A-Z a-z)")
		t_eq "probe $name $tag matches blkid -p" "$g" "$w"
	done
done

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
t_rc "missing file fails" 1 "$BB" probe "$T/nope.img"
out=$("$BB" probe "$T/nope.img" 2>&1)
t_match "missing file names the path" "$out" "^probe: $T/nope.img"
t_rc "a good and a missing file: exit 1, good one still printed" 1 "$BB" probe "$T/ext4.img" "$T/nope.img"
t_eq "missing file says why" "$("$BB" probe "$T/nope.img" 2>&1 >/dev/null)" \
	"probe: $T/nope.img: No such file or directory"
mkfifo "$T/fifo"
for f in "$T" "$T/fifo" /dev/null; do
	t_eq "$f is refused by kind" "$("$BB" probe "$f" 2>&1 >/dev/null)" \
		"probe: $f: not a block device or a regular file"
done
exit 0
