#!/bin/sh
# gpt backup / restore on images, with sgdisk as the peer: a table whose
# both copies are gone comes back byte for byte, the same as sgdisk
# --load-backup of sgdisk's own --backup brings back; edits are undone and
# the undo file undoes the restore; a restore is refused on a disk of
# another size or sector size, and without --force on one holding another
# disk's GPT or an MBR table; a damaged or cut backup file is refused;
# nothing is written by a refusal or a dry run. 4096-byte sectors and a
# hybrid MBR (sgdisk -h) survive the round trip.
. "$(dirname "$0")/../lib.sh"

for tool in sgdisk sfdisk python3 cmp; do
	command -v $tool >/dev/null || { t_skip gpt_backup "$tool is not installed"; exit 0; }
done
bbgpt() { "$BB" gpt "$@"; }
said() { "$@" 2>&1 | tr '\n' ' '; echo "rc=$("$@" >/dev/null 2>&1; echo $?)"; } # on one line
wipe() { # IMAGE SECTORS: both copies and LBA 0 gone
	dd if=/dev/zero of="$1" bs=512 count=34 conv=notrunc 2>/dev/null
	dd if=/dev/zero of="$1" bs=512 seek=$(($2 - 33)) count=33 conv=notrunc 2>/dev/null
}
orig=$T/orig.img d=$T/d.img
truncate -s 64M "$orig"
sgdisk -n 1:1M:+8M -c 1:one -t 1:ef00 -n 2:20M:+8M -c 2:two "$orig" >/dev/null
cp "$orig" "$d"
t_ok "backup" bbgpt backup "$d" "$T/b.bak"
sgdisk --backup="$T/s.bak" "$d" >/dev/null
t_ok "backup read nothing into the disk" cmp "$d" "$orig"

wipe "$d" 131072
cp "$d" "$T/s.img"
cp "$d" "$T/wiped.img"
t_rc "wiped: no GPT left" 1 bbgpt verify "$d"
t_ok "restore onto the wiped disk" bbgpt restore "$d" "$T/b.bak"
t_ok "restored byte for byte" cmp "$d" "$orig"
sgdisk --load-backup="$T/s.bak" "$T/s.img" >/dev/null
t_ok "the same as sgdisk --load-backup of sgdisk's backup" cmp "$d" "$T/s.img"
t_match "sgdisk -v after restore" "$(sgdisk -v "$d" 2>&1)" "No problems found"
t_ok "sfdisk --verify after restore" sfdisk --verify "$d"
t_eq "sfdisk --json reads the names back" "$(sfdisk --json "$d" | python3 -c '
import json, sys
print(" ".join(p.get("name", "") for p in json.load(sys.stdin)["partitiontable"]["partitions"]))')" "one two"
# the undo file of a wiped disk holds no table: written back only with --force
cp "$d" "$T/before"
t_match "an undo file with no table: refused" "$(said bbgpt restore "$d" "$T/b.bak.undo" --undo "$T/w1")" \
	"b.bak.undo: the table it holds is not sound: no GPT.*--force writes its sectors back.*rc=1"
t_ok "that refusal wrote nothing" cmp "$d" "$T/before"
t_match "--dry-run --force shows the writes and no table" \
	"$(bbgpt restore --dry-run -f "$d" "$T/b.bak.undo" --undo "$T/w1" | tr '\n' ' ')" \
	"LBA 0 +protective MBR +512 bytes, then flush *$"
t_ok "an undo file with no table: --force" bbgpt restore -f "$d" "$T/b.bak.undo" --undo "$T/w2"
t_ok "the wiped disk is back, byte for byte" cmp "$d" "$T/wiped.img"
t_ok "and its undo brings the table back" bbgpt restore "$d" "$T/w2" --undo "$T/w3"
t_ok "byte for byte" cmp "$d" "$orig"

# edits undone; the undo file undoes the restore
bbgpt delete "$d" 1 >/dev/null && bbgpt add "$d" --size 4M --name new >/dev/null
cp "$d" "$T/edited.img"
cp "$d" "$T/before"
t_ok "restore --dry-run" bbgpt restore --dry-run "$d" "$T/b.bak" --undo "$T/dry.undo"
t_ok "the dry run wrote nothing" cmp "$d" "$T/before"
t_ok "the dry run kept no undo file" test ! -e "$T/dry.undo"
t_match "a second restore keeps the first undo file" "$(said bbgpt restore "$d" "$T/b.bak")" \
	"b.bak.undo exists; refusing.*--undo names another file.*rc=1"
t_ok "the refusal wrote nothing" cmp "$d" "$T/before"
t_ok "restore over the edits" bbgpt restore "$d" "$T/b.bak" --undo "$T/edit.undo"
t_ok "the edits are undone" cmp "$d" "$orig"
t_ok "restoring the undo file" bbgpt restore "$d" "$T/edit.undo" --undo "$T/edit2.undo"
t_ok "brings the edits back" cmp "$d" "$T/edited.img"
t_match "sgdisk -v after the undo" "$(sgdisk -v "$d" 2>&1)" "No problems found"

# another disk
cp "$orig" "$d" && sgdisk -G "$d" >/dev/null
cp "$d" "$T/before"
t_match "another disk's GPT: refused" "$(said bbgpt restore "$d" "$T/b.bak" --undo "$T/u1")" \
	"holds the GPT of another disk.*--force restores over it.*rc=1"
t_ok "refused: nothing written" cmp "$d" "$T/before"
t_ok "another disk's GPT: --force" bbgpt restore -f "$d" "$T/b.bak" --undo "$T/u2"
t_ok "--force: the backup's table" cmp "$d" "$orig"
truncate -s 65M "$T/big.img"
t_match "another size: refused" "$(said bbgpt restore -f "$T/big.img" "$T/b.bak" --undo "$T/u3")" \
	"is of a disk of 131072 sectors \(64.0 MiB\); this one has 133120 \(65.0 MiB\).*rc=1"
t_match "another sector size: refused" "$(said bbgpt restore -f --sector-size 4096 "$d" "$T/b.bak" --undo "$T/u4")" \
	"is of a disk with 512-byte sectors; this one has 4096.*rc=1"
truncate -s 64M "$T/dos.img"
printf 'label: dos\n,\n' | sfdisk -q "$T/dos.img" >/dev/null
t_match "an MBR table: refused" "$(said bbgpt restore "$T/dos.img" "$T/b.bak" --undo "$T/u5")" \
	"holds an MBR partition table; --force.*rc=1"

# damaged backup files
cp "$orig" "$d"
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[5000] ^= 1; open(sys.argv[2], "wb").write(b)' "$T/b.bak" "$T/flip.bak"
t_match "a flipped bit: refused" "$(said bbgpt restore "$d" "$T/flip.bak" --undo "$T/u6")" "checksum is 0x.*rc=1"
head -c 20000 "$T/b.bak" >"$T/cut.bak"
t_match "a cut file: refused" "$(said bbgpt restore "$d" "$T/cut.bak" --undo "$T/u7")" "cut.bak: its checksum.*rc=1"
t_match "sgdisk's format is not ours" "$(said bbgpt restore "$d" "$T/s.bak" --undo "$T/u8")" "not a gpt backup file.*rc=1"
t_ok "none of them wrote" cmp "$d" "$orig"

# backup refusals
t_match "an existing file: refused" "$(said bbgpt backup "$d" "$T/b.bak")" "b.bak exists.*--force replaces it.*rc=1"
t_ok "an existing file: --force" bbgpt backup -f "$d" "$T/b.bak"
python3 "$(dirname "$0")/gpt-damage.py" "$d" primary-header
t_match "a damaged copy: no backup" "$(said bbgpt backup "$d" "$T/dmg.bak")" "'gpt fix' first.*rc=1"

# 4096-byte sectors, and a hybrid MBR
d4=$T/d4.img
truncate -s 64M "$d4"
bbgpt create --sector-size 4096 "$d4" >/dev/null && bbgpt add "$d4" --size 8M --name x >/dev/null
cp "$d4" "$T/orig4.img"
t_ok "4096: backup" bbgpt backup "$d4" "$T/b4.bak"
dd if=/dev/zero of="$d4" bs=4096 count=6 conv=notrunc 2>/dev/null
dd if=/dev/zero of="$d4" bs=4096 seek=$((16384 - 5)) count=5 conv=notrunc 2>/dev/null
t_ok "4096: restore (the sector size from the backup)" bbgpt restore "$d4" "$T/b4.bak"
t_ok "4096: byte for byte" cmp "$d4" "$T/orig4.img"
cp "$orig" "$d" && sgdisk -h 1 "$d" >/dev/null && cp "$d" "$T/hybrid.img"
bbgpt backup "$d" "$T/h.bak" >/dev/null
wipe "$d" 131072
t_ok "hybrid: restore" bbgpt restore "$d" "$T/h.bak"
t_ok "hybrid: LBA 0 and the tables byte for byte" cmp "$d" "$T/hybrid.img"
exit $t_failed
