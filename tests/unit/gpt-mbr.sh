#!/bin/sh
# gpt show on MBR disks, read only: plain DOS tables made by sfdisk and by
# fdisk (primaries, an extended partition with logicals), compared with
# sfdisk --json; every MBR type name against sfdisk's own list; the
# records of a protective MBR and of a hybrid one made by sgdisk -h,
# compared with what fdisk -t dos reads from LBA 0.
. "$(dirname "$0")/../lib.sh"

for tool in sgdisk sfdisk fdisk python3 cmp; do
	command -v $tool >/dev/null || { t_skip gpt_mbr "$tool is not installed"; exit 0; }
done
bbgpt() { "$BB" gpt "$@"; }

# same_as_sfdisk NAME IMAGE: our --json and sfdisk's agree on the id and,
# per partition number, start, size, type and the boot flag.
same_as_sfdisk() {
	bbgpt show --json "$2" >"$T/ours.json" && sfdisk --json "$2" >"$T/theirs.json" || {
		t_fail "$1" "show or sfdisk failed"; return; }
	out=$(python3 - "$T/ours.json" "$T/theirs.json" <<'PY'
import json, sys
ours = json.load(open(sys.argv[1]))
pt = json.load(open(sys.argv[2]))["partitiontable"]
theirs = {int(p["node"][len(pt["device"]):]): (p["start"], p["size"], p["type"], p.get("bootable", False))
          for p in pt["partitions"]}
mine = {p["number"]: (p["start"], p["size"], p["type"], p["bootable"]) for p in ours["partitions"]}
if ours["label"] != "dos" or ours["id"] != pt["id"] or mine != theirs or not mine:
    print("ours", ours["id"], mine, "sfdisk", pt["id"], theirs)
PY
)
	t_eq "$1" "$out" ""
}

d=$T/sfdisk.img
truncate -s 64M "$d"
printf 'label: dos\nlabel-id: 0x1234abcd\nsize=8M, type=83, bootable\nsize=4M, type=82\ntype=5\nsize=4M, type=83\nsize=4M, type=8e\nsize=2M, type=fd\n' |
	sfdisk -q "$d" >/dev/null
cp "$d" "$T/before"
t_ok "dos (sfdisk): show" bbgpt show "$d"
same_as_sfdisk "dos (sfdisk): the same as sfdisk --json" "$d"
t_match "dos (sfdisk): the text names the logicals" "$(bbgpt show "$d")" "^ +7 .* fd Linux raid autodetect \(logical\)$"
t_ok "dos: show wrote nothing" cmp "$d" "$T/before"
t_rc "dos: verify still says there is no GPT" 1 bbgpt verify "$d"
t_rc "dos: add refuses (no GPT)" 1 bbgpt add "$d"
t_ok "dos: the refusal wrote nothing" cmp "$d" "$T/before"

d=$T/fdisk.img
truncate -s 64M "$d"
# o: new DOS table; a primary of 8M made bootable, an extended one over
# the rest, two logicals (the second a swap)
printf 'o\nn\np\n1\n\n+8M\na\nn\ne\n2\n\n\nn\n\n+4M\nn\n\n+4M\nt\n6\n82\nw\n' | fdisk "$d" >/dev/null 2>&1
t_eq "dos (fdisk): fdisk made 4 partitions" "$(sfdisk --json "$d" | grep -c '"node"')" 4
same_as_sfdisk "dos (fdisk): the same as sfdisk --json" "$d"

# every type name we give is util-linux's
truncate -s 8M "$T/types.img"
printf 'label: dos\nsize=4M, type=83\nsize=2M, type=83\n' | sfdisk -q "$T/types.img" >/dev/null
bad=
for t in 1 4 5 6 7 b c e f 11 1b 1c 27 82 83 85 8e a5 a6 af da ee ef fd; do
	sfdisk -q --part-type "$T/types.img" 1 "$t" >/dev/null 2>&1 || { bad="$bad $t(sfdisk)"; continue; }
	want=$(sfdisk --label dos -T | sed -n "s/^ *$t  //p")
	got=$(bbgpt show --json "$T/types.img" | python3 -c 'import json,sys; print(json.load(sys.stdin)["partitions"][0]["type_name"])')
	[ "$got" = "$want" ] || bad="$bad $t:'$got'!='$want'"
done
t_eq "dos: type names are sfdisk's" "$bad" ""

# mbr_rows NAME IMAGE: our mbr_partitions against fdisk -t dos -l
mbr_rows_as_fdisk() {
	ours=$(bbgpt show --json "$2" | python3 -c '
import json, sys
for p in json.load(sys.stdin)["mbr_partitions"]:
    print(p["number"], "*" if p["bootable"] else "-", p["start"], p["end"], p["size"], p["type"])')
	theirs=$(fdisk -l -t dos "$2" | awk -v img="$2" '
		index($1, img) == 1 { n = substr($1, length(img) + 1); b = "-"
			if ($2 == "*") { b = "*"; $2 = "" ; $0 = $0 }
			split($0, f); print n, b, f[2], f[3], f[4], f[6] }')
	t_eq "$1" "$ours" "$theirs"
}

g=$T/gpt.img
truncate -s 64M "$g"
sgdisk -n 1:1M:+16M -t 1:0700 -n 2:0:+8M -t 2:8300 "$g" >/dev/null
t_eq "protective: mbr kind" "$(bbgpt show --json "$g" | python3 -c 'import json,sys; print(json.load(sys.stdin)["mbr"])')" protective
mbr_rows_as_fdisk "protective: the 0xEE record as fdisk reads it" "$g"
t_match "protective: the text shows it" "$(bbgpt show "$g")" "^mbr +1 +1 +131071 .* ee GPT$"
sgdisk -h 1 "$g" >/dev/null
cp "$g" "$T/before"
t_eq "hybrid (sgdisk -h): mbr kind" "$(bbgpt show --json "$g" | python3 -c 'import json,sys; print(json.load(sys.stdin)["mbr"])')" hybrid
mbr_rows_as_fdisk "hybrid (sgdisk -h): the records as fdisk reads them" "$g"
t_match "hybrid: the text shows the 0x07 record" "$(bbgpt show "$g")" "^mbr +2 +2048 +34815 .* 07 HPFS/NTFS/exFAT$"
t_ok "hybrid: verify accepts it" bbgpt verify "$g"
t_ok "hybrid: an edit keeps it" bbgpt rename "$g" 2 root
t_ok "hybrid: LBA 0 untouched by the edit" cmp -n 512 "$g" "$T/before"
t_match "hybrid: sgdisk -v after the edit" "$(sgdisk -v "$g" 2>&1)" "No problems found"
# a hybrid whose GPT is gone reads as the DOS table it still is
dd if=/dev/zero of="$g" bs=512 seek=1 count=1 conv=notrunc 2>/dev/null
dd if=/dev/zero of="$g" bs=512 seek=131071 count=1 conv=notrunc 2>/dev/null
t_match "hybrid without a GPT: shown as MBR" "$(bbgpt show "$g")" "MBR \(DOS\) partition table with a 0xEE entry but no valid GPT"
exit $t_failed
