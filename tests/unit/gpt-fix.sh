#!/bin/sh
# gpt fix against the damage tests/unit/gpt-damage.py makes, one variant
# at a time, on a table sgdisk wrote: a damaged copy is rebuilt from the
# other (byte for byte what sgdisk wrote), never from a damaged one; two
# valid copies that disagree are repaired only once --from names the copy
# to keep; the protective MBR is rewritten, a foreign one only with
# --force. After each repair sgdisk -v and sfdisk --verify find nothing
# wrong.
. "$(dirname "$0")/../lib.sh"

for tool in sgdisk sfdisk python3 cmp; do
	command -v $tool >/dev/null || { t_skip gpt_fix "$tool is not installed"; exit 0; }
done
damage() { python3 "$(dirname "$0")/gpt-damage.py" "$@"; }
bbgpt() { "$BB" gpt "$@"; }
said() { "$@" 2>&1 | tr '\n' ' '; echo "rc=$("$@" >/dev/null 2>&1; echo $?)"; } # on one line
orig=$T/orig.img d=$T/d.img
truncate -s 64M "$orig"
sgdisk -n 1:1M:+16M -c 1:data -t 1:8300 -n 2:0:+8M -t 2:8200 "$orig" >/dev/null
sgdisk_clean() { # NAME IMAGE: both peers find it sound
	t_match "$1: sgdisk -v" "$(sgdisk -v "$2" 2>&1)" 'No problems found'
	t_ok "$1: sfdisk --verify" sfdisk --verify "$2"
}
name1() { # partition 1's name as sfdisk reads it
	sfdisk --json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["partitiontable"]["partitions"][0].get("name",""))'
}

for v in primary-header primary-entries primary-crc backup-header backup-entries; do
	which=${v%%-*}
	other=primary; [ $which = primary ] && other=backup
	cp "$orig" "$d" && damage "$d" $v
	t_rc "$v: verify finds it" 1 bbgpt verify "$d"
	t_match "$v: fix --from $which refused" "$(said bbgpt fix --from $which "$d")" \
		"$which copy is damaged.*rc=1"
	cp "$d" "$T/before"
	t_ok "$v: fix --dry-run --from $other" bbgpt fix --dry-run --from $other "$d"
	t_ok "$v: the dry run wrote nothing" cmp "$d" "$T/before"
	t_ok "$v: fix" bbgpt fix "$d"
	t_ok "$v: fixed to sgdisk's bytes" cmp "$d" "$orig"
	sgdisk_clean "$v" "$d"
	cp "$T/before" "$d"
	t_ok "$v: fix --from $other" bbgpt fix --from $other "$d"
	t_ok "$v: --from $other gives sgdisk's bytes" cmp "$d" "$orig"
done

# two valid copies that disagree
cp "$orig" "$d" && damage "$d" differ-backup
cp "$d" "$T/before"
t_match "differ: verify says so" "$(bbgpt verify "$d")" "primary and backup differ in their partition entries"
t_match "differ: fix asks which to keep" "$(said bbgpt fix "$d")" \
	"both valid but differ in their partition entries.*--from primary or --from backup.*rc=1"
t_ok "differ: the refusal wrote nothing" cmp "$d" "$T/before"
t_ok "differ: fix --from primary" bbgpt fix --from primary "$d"
t_ok "differ: --from primary gives sgdisk's bytes" cmp "$d" "$orig"
cp "$T/before" "$d"
t_ok "differ: fix --dry-run --from backup" bbgpt fix --dry-run --from backup "$d"
t_ok "differ: that dry run wrote nothing" cmp "$d" "$T/before"
plan=$(bbgpt fix --dry-run --from backup "$d" | grep -E '^  LBA' | awk '{print $3}' | tr '\n' ' ')
t_eq "differ: --from backup writes the primary first" "$plan" "primary primary backup backup "
t_ok "differ: fix --from backup" bbgpt fix --from backup "$d"
t_eq "differ: sfdisk reads the backup's name" "$(name1 "$d")" "changed"
sgdisk_clean "differ --from backup" "$d"
t_ok "differ: clean for us too" bbgpt verify "$d"
cp "$orig" "$d" && damage "$d" differ-primary
t_ok "differ in the primary: fix --from backup" bbgpt fix --from backup "$d"
t_ok "differ in the primary: --from backup gives sgdisk's bytes" cmp "$d" "$orig"

# --from on a sound table rebuilds the other copy as asked
cp "$orig" "$d"
t_match "sound: --from backup" "$(said bbgpt fix --from backup "$d")" "rebuilt the primary copy from the backup"
t_ok "sound: unchanged" cmp "$d" "$orig"
t_rc "--from nonsense is a usage error" 2 bbgpt fix --from both "$d"
t_rc "--from is fix's only" 2 bbgpt add "$d" --from primary

# the protective MBR
for v in mbr-zero mbr-size; do
	cp "$orig" "$d" && damage "$d" $v
	t_rc "$v: verify finds it" 1 bbgpt verify "$d"
	t_ok "$v: fix" bbgpt fix "$d"
	sgdisk_clean "$v" "$d"
	t_ok "$v: clean for us" bbgpt verify "$d"
	t_ok "$v: the tables untouched" cmp -i 512 "$d" "$orig"
done
cp "$orig" "$d" && damage "$d" mbr-foreign
t_match "mbr-foreign: fix needs --force" "$(said bbgpt fix "$d")" "--force replaces it.*rc=1"
t_ok "mbr-foreign: fix --force" bbgpt fix --force "$d"
sgdisk_clean mbr-foreign "$d"
cp "$orig" "$d" && damage "$d" mbr-hybrid
t_ok "mbr-hybrid: verify accepts it" bbgpt verify "$d"
t_match "mbr-hybrid: sgdisk reads a hybrid" "$(sgdisk -v "$d" 2>&1)" "No problems found"
exit $t_failed
