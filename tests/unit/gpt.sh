#!/bin/sh
# gpt.sh - `blockbox gpt` against real peers: sgdisk (gdisk) and
# sfdisk/fdisk (util-linux). Images only. The peers' exit codes say nothing
# about problems they find, so their verdicts are read from their output.
. "$(dirname "$0")/../lib.sh"

for tool in sgdisk sfdisk fdisk python3 cmp; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		t_skip gpt_interop "$tool is not installed"
		exit 0
	fi
done

img() { rm -f "$1" && truncate -s "$2" "$1"; }
bbgpt() { "$BB" gpt "$@"; }

# t_clean NAME IMAGE [4096]: sgdisk and sfdisk (fdisk -b 4096 for 4K
# sectors, which sgdisk and this sfdisk cannot read from an image) agree
# the table is sound.
t_clean() {
	if [ "${3:-512}" = 4096 ]; then
		v=$(printf 'v\nq\n' | fdisk -b 4096 "$2" 2>&1)
		t_match "$1 (fdisk -b 4096 v)" "$v" "No errors detected"
		return
	fi
	v=$(sgdisk -v "$2" 2>&1)
	t_match "$1 (sgdisk -v)" "$v" "No problems found"
	v=$(sfdisk --verify "$2" 2>&1)
	if printf '%s' "$v" | grep -q "No errors detected" &&
		! printf '%s' "$v" | grep -qiE "error detected|mismatch|corrupt"; then
		t_pass "$1 (sfdisk --verify)"
	else
		t_fail "$1 (sfdisk --verify)" "$v"
	fi
}

# Compare `gpt show --json` (file 1) with `sfdisk --json` (file 2), or with
# `fdisk -l` columns (file 2, mode fdisk): disk GUID, usable area, and per
# partition start, size, type GUID, unique GUID, name and attributes.
compare() {
	python3 - "$@" <<'EOF'
import json, sys
ours = json.load(open(sys.argv[1]))
mode = sys.argv[3] if len(sys.argv) > 3 else "sfdisk"
BITS = {"RequiredPartition": 0, "NoBlockIOProtocol": 1, "LegacyBIOSBootable": 2}

def attr_mask(s):
    m = 0
    for t in s.split():
        if t.startswith("GUID:"):
            for b in t[5:].split(","):
                m |= 1 << int(b)
        else:
            m |= 1 << BITS[t]
    return m

def from_sfdisk(path):
    pt = json.load(open(path))["partitiontable"]
    parts = {}
    for p in pt.get("partitions", []):
        n = int(p["node"][len(pt["device"]):])
        parts[n] = dict(start=p["start"], size=p["size"], type=p["type"].upper(),
                        uuid=p["uuid"].upper(), name=p.get("name", ""),
                        attrs=attr_mask(p.get("attrs", "")))
    return dict(id=pt["id"].upper(), first=pt["firstlba"], last=pt["lastlba"],
                sector=pt["sectorsize"], parts=parts)

def from_fdisk(path):
    lines = open(path, encoding="utf-8").read().splitlines()
    disk = dict(parts={}, sector=4096)
    head = None
    for l in lines:
        if l.startswith("Disk identifier:"):
            disk["id"] = l.split(":", 1)[1].strip().upper()
        elif l.startswith("Device "):
            head = l
        elif head and l.strip():
            f = l[:head.index("Attrs")].split()
            dev = f[0]
            n = int(dev[len(dev.rstrip("0123456789")):])
            disk["parts"][n] = dict(start=int(f[1]), size=int(f[3]), type=f[4].upper(),
                                    uuid=f[5].upper(),
                                    attrs=attr_mask(l[head.index("Attrs"):head.index("Name")]),
                                    name=l[head.index("Name"):].rstrip())
    return disk

theirs = from_fdisk(sys.argv[2]) if mode == "fdisk" else from_sfdisk(sys.argv[2])
errs = []
def same(what, a, b):
    if a != b:
        errs.append("%s: blockbox %r, %s %r" % (what, a, mode, b))
same("disk GUID", ours["id"].upper(), theirs["id"])
same("sector size", ours["sector_size"], theirs["sector"])
if mode == "sfdisk":
    same("first usable", ours["firstlba"], theirs["first"])
    same("last usable", ours["lastlba"], theirs["last"])
mine = {p["number"]: p for p in ours["partitions"]}
same("partition numbers", sorted(mine), sorted(theirs["parts"]))
for n, t in theirs["parts"].items():
    o = mine.get(n)
    if not o:
        continue
    for k, v in dict(start=o["start"], size=o["size"], type=o["type"].upper(),
                     uuid=o["uuid"].upper(), name=o["name"], attrs=o["attrs"]).items():
        same("partition %d %s" % (n, k), v, t[k])
if errs:
    print("; ".join(errs))
    sys.exit(1)
print("%d partitions match" % len(theirs["parts"]))
EOF
}

# t_same_as_peer NAME IMAGE [4096]
t_same_as_peer() {
	if [ "${3:-512}" = 4096 ]; then
		fdisk -b 4096 -l -o Device,Start,End,Sectors,Type-UUID,UUID,Attrs,Name "$2" >"$T/peer" 2>&1
		mode=fdisk
	else
		sfdisk --json "$2" >"$T/peer" 2>&1
		mode=sfdisk
	fi
	if ! bbgpt show --json "$2" >"$T/ours" 2>"$T/err"; then
		t_fail "$1" "gpt show failed: $(cat "$T/err")"
	elif out=$(compare "$T/ours" "$T/peer" $mode 2>&1); then
		t_pass "$1 ($out)"
	else
		t_fail "$1" "$out"
	fi
}

# ---- type short names against util-linux's and gdisk's tables ---------------
bbgpt types --json >"$T/types"
sfdisk --label gpt -T >"$T/sfdisk-types"
out=$(python3 - "$T/types" "$T/sfdisk-types" <<'EOF'
import json, sys
ours = json.load(open(sys.argv[1]))
theirs = {}
for l in open(sys.argv[2]):
    f = l.split(None, 1)
    if len(f) == 2 and len(f[0]) == 36:
        theirs[f[1].strip()] = f[0].upper()
checked, bad = 0, []
for t in ours:
    if t["description"] in theirs:
        checked += 1
        if theirs[t["description"]] != t["guid"].upper():
            bad.append(t["name"])
print("%d checked%s" % (checked, ", wrong: " + " ".join(bad) if bad else ""))
sys.exit(1 if bad or checked < len(ours) - 2 else 0)
EOF
) && t_pass "gpt_types_match_sfdisk ($out)" || t_fail gpt_types_match_sfdisk "$out"

# The two sfdisk does not list, by the codes gdisk gives them.
img "$T/codes.img" 16M
sgdisk -n 1:0:+1M -t 1:8309 -n 2:0:+1M -t 2:8308 -n 3:0:+1M -t 3:ef02 -n 4:0:+1M -t 4:ea00 \
	-n 5:0:+1M -t 5:fd00 -n 6:0:+1M -t 6:8e00 "$T/codes.img" >/dev/null
names=$(bbgpt show --json "$T/codes.img" | python3 -c '
import json, sys
print(" ".join(p["type_name"] or "?" for p in json.load(sys.stdin)["partitions"]))')
t_eq gpt_types_match_sgdisk_codes "$names" "linux_luks linux_dmcrypt bios_boot xbootldr linux_raid lvm"

# ---- tables written by blockbox, read by the peers --------------------------
for ss in 512 4096; do
	d=$T/ours$ss.img
	img "$d" 96M
	t_ok "gpt_create_$ss" bbgpt create --sector-size $ss "$d"
	t_ok "gpt_add_$ss" bbgpt add "$d" --size 1M --type bios_boot --name mosbios --attrs legacy_boot
	bbgpt add "$d" -s 100M >/dev/null 2>&1
	t_rc "gpt_add_too_big_$ss" 1 bbgpt add "$d" -s 100M
	bbgpt add "$d" -s 16M -t esp --name "EFI système" >/dev/null &&
		bbgpt add "$d" -s 8M -t swap --name "swap 😀 ünïcode" --attrs required,60 >/dev/null &&
		bbgpt add "$d" -s 4M -t 01234567-89AB-CDEF-0123-456789ABCDEF --number 9 >/dev/null &&
		bbgpt add "$d" -t linux_root_x86_64 -s 10% --name "a name of exactly thirty-six units!!" >/dev/null &&
		bbgpt add "$d" -t linux --name rest >/dev/null &&
		bbgpt delete "$d" 9 >/dev/null &&
		bbgpt rename "$d" 2 "MOSEFI" >/dev/null
	t_eq "gpt_edits_$ss" "$?" 0
	t_clean "gpt_ours_verify_$ss" "$d" $ss
	t_same_as_peer "gpt_ours_read_by_peer_$ss" "$d" $ss
	t_ok "gpt_ours_verify_self_$ss" bbgpt verify "$d"
done

# ---- tables written by the peers, read by blockbox ----------------------------
d=$T/sfdisk.img
img "$d" 64M
printf 'label: gpt\nsize=1M, type=21686148-6449-6E6F-744E-656564454649, name="bios", attrs="LegacyBIOSBootable"\nsize=10M, type=linux, name="hello wörld 😀"\nstart=40960, size=5M, type=swap, attrs="RequiredPartition GUID:60 GUID:63"\n,\n' |
	sfdisk -q "$d" >/dev/null 2>&1
t_same_as_peer gpt_read_sfdisk "$d"
t_ok gpt_sfdisk_verifies_in_blockbox bbgpt verify "$d"

d=$T/sgdisk.img
img "$d" 64M
sgdisk -n 1:0:+1M -t 1:ef02 -c 1:grub -A 1:set:2 -n 3:0:+20M -t 3:ef00 -c "3:EFI System" \
	-n 2:0:+8M -t 2:8200 -A 2:set:0 -A 2:set:62 -n 4:0:0 -t 4:fd00 -c "4:raid member" "$d" >/dev/null
t_same_as_peer gpt_read_sgdisk "$d"
t_ok gpt_sgdisk_verifies_in_blockbox bbgpt verify "$d"

# a partition name is whatever a disk holds: one carrying an escape
# sequence is shown escaped, never sent to the terminal
d=$T/escname.img
img "$d" 64M
sgdisk -n 1:0:+1M -c 1:"$(printf 'x\033[2Jy')" "$d" >/dev/null
out=$(bbgpt show "$d")
t_match gpt_show_escapes_names "$out" ' x\\x1b\[2Jy$'
t_eq gpt_show_no_escape_char "$(printf '%s' "$out" | tr -d -c '\033' | wc -c)" 0

d=$T/fdisk4k.img
img "$d" 64M
printf 'g\nn\n1\n\n+10M\nn\n2\n\n+5M\nt\n2\n19\nn\n3\n\n\nw\n' | fdisk -b 4096 "$d" >/dev/null 2>&1
t_same_as_peer gpt_read_fdisk_4096 "$d" 4096
t_match gpt_guess_4096 "$(bbgpt show "$d")" "sectors of 4096 bytes"

# ---- a grown disk, fixed like sgdisk -e --------------------------------------------
cp "$T/sgdisk.img" "$T/grown.img"
truncate -s 100M "$T/grown.img"
cp "$T/grown.img" "$T/grown-sgdisk.img"
t_rc gpt_grown_verify_fails 1 bbgpt verify "$T/grown.img"
t_match gpt_grown_reported "$(bbgpt verify "$T/grown.img" 2>&1)" "not at the end of the disk.*grown"
t_rc gpt_grown_add_refused 1 bbgpt add "$T/grown.img" -s 1M
t_match gpt_grown_add_says_fix "$(bbgpt add "$T/grown.img" -s 1M 2>&1)" "needs repair first"
t_ok gpt_grown_fix bbgpt fix "$T/grown.img"
t_clean gpt_grown_fixed_verify "$T/grown.img"
t_ok gpt_grown_fixed_self bbgpt verify "$T/grown.img"
sgdisk -e "$T/grown-sgdisk.img" >/dev/null 2>&1
# everything past the protective MBR (whose CHS fields sgdisk computes) is
# what sgdisk -e writes
t_ok gpt_grown_same_as_sgdisk_e cmp -i 512 "$T/grown.img" "$T/grown-sgdisk.img"
t_same_as_peer gpt_grown_read_by_peer "$T/grown.img"
t_ok gpt_grown_add_after_fix bbgpt add "$T/grown.img" --name tail

d=$T/grown4k.img
img "$d" 32M && bbgpt create --sector-size 4096 "$d" >/dev/null && bbgpt add "$d" -s 8M >/dev/null
truncate -s 64M "$d"
t_rc gpt_grown_4096_verify_fails 1 bbgpt verify "$d"
t_ok gpt_grown_4096_fix bbgpt fix "$d"
t_clean gpt_grown_4096_fixed "$d" 4096

# ---- damaged copies, restored from the other ------------------------------------------
for which in primary backup; do
	d=$T/damaged-$which.img
	cp "$T/sgdisk.img" "$d"
	if [ $which = primary ]; then seek=1; else seek=$((64 * 2048 - 1)); fi
	dd if=/dev/zero of="$d" bs=512 seek=$seek count=1 conv=notrunc 2>/dev/null
	t_rc "gpt_${which}_damaged_verify_fails" 1 bbgpt verify "$d"
	t_match "gpt_${which}_damaged_reported" "$(bbgpt verify "$d" 2>&1)" "$which header.*no GPT signature"
	t_ok "gpt_${which}_damaged_show_still_reads" bbgpt show "$d"
	t_rc "gpt_${which}_damaged_edit_refused" 1 bbgpt rename "$d" 1 x
	cp "$d" "$T/before"
	t_ok "gpt_${which}_fix_dry_run" bbgpt fix --dry-run "$d"
	t_ok "gpt_${which}_fix_dry_run_wrote_nothing" cmp "$d" "$T/before"
	t_ok "gpt_${which}_fix" bbgpt fix "$d"
	t_ok "gpt_${which}_fix_restores_sgdisk_bytes" cmp "$d" "$T/sgdisk.img"
done
d=$T/damaged-both.img
cp "$T/sgdisk.img" "$d"
dd if=/dev/zero of="$d" bs=512 seek=1 count=1 conv=notrunc 2>/dev/null
dd if=/dev/zero of="$d" bs=512 seek=$((64 * 2048 - 1)) count=1 conv=notrunc 2>/dev/null
t_rc gpt_both_damaged_fix_fails 1 bbgpt fix "$d"
t_match gpt_both_damaged_says_why "$(bbgpt show "$d" 2>&1)" "gpt: .*: no GPT"

# ---- an entry far past the end ---------------------------------------------------
# LBA 2^55 to 2^62: its byte offset and size do not fit in 64 bits, and
# are shown as unknown, not wrapped around to small numbers.
d=$T/far.img
img "$d" 16M && sgdisk -n 1:0:+1M -n 2:0:+1M "$d" >/dev/null
python3 "$(dirname "$0")/gpt-set-lbas.py" "$d" 1 $((1 << 55)) $((1 << 62))
t_match gpt_far_entry_is_a_problem "$(bbgpt verify "$d")" "partition 1 \(LBA 36028797018963968-4611686018427387904\) is outside"
t_match gpt_far_entry_bytes_unknown "$(bbgpt show --json "$d" | python3 -c '
import json, sys
p = json.load(sys.stdin)["partitions"][0]
print(p["start"], p["start_bytes"], p["size_bytes"])')" "^36028797018963968 None None\$"
t_match gpt_far_entry_size_unknown "$(bbgpt show "$d")" "^  1 36028797018963968 4611686018427387904 +\? "

# ---- --dry-run writes nothing -------------------------------------------------------------
d=$T/dry.img
img "$d" 32M
cp "$d" "$T/before"
t_match gpt_dry_create_plan "$(bbgpt create --dry-run "$d")" "LBA 1 +primary header"
t_ok gpt_dry_create_unchanged cmp "$d" "$T/before"
bbgpt create "$d" >/dev/null && bbgpt add "$d" -s 4M --name one >/dev/null
cp "$d" "$T/before"
for args in "add --size 1M --name two" "delete 1" "rename 1 renamed" "create --force"; do
	set -- $args
	cmd=$1; shift
	t_ok "gpt_dry_$cmd" bbgpt "$cmd" --dry-run "$d" "$@"
	t_ok "gpt_dry_${cmd}_unchanged" cmp "$d" "$T/before"
done
out=$(bbgpt add --dry-run --json "$d" --size 1M)
t_match gpt_dry_json "$(printf '%s' "$out" | python3 -c '
import json, sys
j = json.load(sys.stdin)
print(j["dry_run"], [w["what"] for w in j["writes"]], len(j["table"]["partitions"]))')" \
	"True \['backup entries', 'backup header', 'primary entries', 'primary header'\] 2"

# ---- refusals and bad input -----------------------------------------------------------------
d=$T/ref.img
img "$d" 32M
bbgpt create "$d" >/dev/null
t_rc gpt_create_over_gpt_refused 1 bbgpt create "$d"
t_match gpt_create_over_gpt_says_why "$(bbgpt create "$d" 2>&1)" "has a GPT with 0 partitions; refusing.*--force"
t_ok gpt_create_force bbgpt create --force "$d"
if command -v mkswap >/dev/null 2>&1; then
	img "$T/swap.img" 32M && mkswap "$T/swap.img" >/dev/null 2>&1
	t_match gpt_create_over_swap_refused "$(bbgpt create "$T/swap.img" 2>&1)" "holds a swap signature"
fi
img "$T/mbr.img" 32M && printf 'label: dos\n,\n' | sfdisk -q "$T/mbr.img" >/dev/null 2>&1
t_ok gpt_show_mbr_disk bbgpt show "$T/mbr.img"  # read only: tests/unit/gpt-mbr.sh
t_match gpt_verify_mbr_disk_says "$(bbgpt verify "$T/mbr.img" 2>&1)" "no GPT \(LBA 0 holds an MBR partition table\)"
t_match gpt_create_over_mbr_refused "$(bbgpt create "$T/mbr.img" 2>&1)" "has an MBR partition table"
# Only a disk known to hold nothing gets a new table without --force: not
# one whose signatures contradict each other (libblkid cannot tell what it
# is), nor a hybrid MBR whose GPT is gone, nor a table of another kind.
img "$T/fs.img" 32M && mkfs.ext4 -q -F "$T/fs.img"
img "$T/amb.img" 32M && mkfs.vfat "$T/amb.img" >/dev/null
dd if="$T/fs.img" of="$T/amb.img" bs=1024 skip=1 seek=1 count=1 conv=notrunc 2>/dev/null
cp "$T/amb.img" "$T/before"
out=$(bbgpt create "$T/amb.img" 2>&1)
t_match gpt_create_over_ambiguous_refused "$out" \
	"^gpt: .*amb.img: its signatures could not be probed \(more than one signature: wipe the stale one first\); refusing to replace it \(--force overrides\)$"
t_ok gpt_create_over_ambiguous_said_once test "$(printf '%s\n' "$out" | wc -l)" -eq 1
t_ok gpt_create_over_ambiguous_wrote_nothing cmp "$T/amb.img" "$T/before"
t_ok gpt_create_over_ambiguous_forced bbgpt create --force "$T/amb.img"
img "$T/hybrid.img" 32M
printf '\0\0\2\0\356\377\377\377\1\0\0\0\377\7\0\0\0\0\0\0\203\0\0\0\0\10\0\0\0\20\0\0' |
	dd of="$T/hybrid.img" bs=1 seek=446 conv=notrunc 2>/dev/null
printf '\125\252' | dd of="$T/hybrid.img" bs=1 seek=510 conv=notrunc 2>/dev/null
t_match gpt_create_over_hybrid_mbr_refused "$(bbgpt create "$T/hybrid.img" 2>&1)" \
	"hybrid.img: it has an MBR partition table; refusing"
img "$T/sgi.img" 32M && printf 'G\nw\n' | fdisk "$T/sgi.img" >/dev/null 2>&1
t_match gpt_create_over_sgi_label_refused "$(bbgpt create "$T/sgi.img" 2>&1)" \
	"sgi.img: it has a sgi partition table; refusing"
# a protective MBR alone (both GPT headers gone, nothing else) is no obstacle
img "$T/pmbr.img" 32M && bbgpt create "$T/pmbr.img" >/dev/null
dd if=/dev/zero of="$T/pmbr.img" bs=512 seek=1 count=1 conv=notrunc 2>/dev/null
dd if=/dev/zero of="$T/pmbr.img" bs=512 seek=65535 count=1 conv=notrunc 2>/dev/null
t_ok gpt_create_over_lone_protective_mbr bbgpt create "$T/pmbr.img"

# an MBR written over a GPT's protective MBR: fix replaces it only with --force
cp "$d" "$T/foreign.img"
dd if="$T/mbr.img" of="$T/foreign.img" bs=512 count=1 conv=notrunc 2>/dev/null
t_rc gpt_foreign_mbr_verify 1 bbgpt verify "$T/foreign.img"
t_match gpt_foreign_mbr_fix_refused "$(bbgpt fix "$T/foreign.img" 2>&1)" "MBR partition table.*--force"
t_ok gpt_foreign_mbr_fix_forced bbgpt fix --force "$T/foreign.img"
t_clean gpt_foreign_mbr_fixed "$T/foreign.img"

img "$T/zero.img" 32M
t_rc gpt_show_blank 1 bbgpt show "$T/zero.img"
t_rc gpt_show_missing 1 bbgpt show "$T/nonexistent.img"
mkfifo "$T/fifo"
t_match gpt_show_fifo_does_not_hang "$( (timeout 10 "$BB" gpt show "$T/fifo"; echo "rc=$?") 2>&1 | tr '\n' ' ')" \
	"fifo: not a block device or a regular file.*rc=1"
t_match gpt_show_directory "$(bbgpt show "$T" 2>&1)" "^gpt: $T: not a block device or a regular file\$"
t_rc gpt_verify_blank 1 bbgpt verify "$T/zero.img"
img "$T/tiny.img" 1000
t_rc gpt_create_tiny 1 bbgpt create "$T/tiny.img"
bbgpt add "$d" -s 4M >/dev/null
t_rc gpt_delete_missing 1 bbgpt delete "$d" 7
t_rc gpt_delete_not_a_number 1 bbgpt delete "$d" seven
t_rc gpt_rename_too_long 1 bbgpt rename "$d" 1 "a name of thirty-seven units, one too"
# a bad option value is a usage error (2)
t_rc gpt_add_unknown_type 2 bbgpt add "$d" --type ext4
t_rc gpt_add_bad_size 2 bbgpt add "$d" --size 12Q
t_rc gpt_add_zero_size 2 bbgpt add "$d" --size 0
t_rc gpt_add_taken_number 1 bbgpt add "$d" --number 1
t_rc gpt_add_start_in_use 1 bbgpt add "$d" --start 2048s
t_rc gpt_add_bad_attr 2 bbgpt add "$d" --attrs bootable
t_rc gpt_add_start_lba0 2 bbgpt add "$d" --start 0
t_rc gpt_bad_sector_size 2 bbgpt show --sector-size 1024 "$d"
t_match gpt_wrong_sector_size_hint "$(bbgpt show --sector-size 4096 "$d" 2>&1)" "no GPT \(it has one for 512-byte sectors\)"
t_match gpt_add_more_than_disk "$(bbgpt add "$d" --size 8E 2>&1)" "8.00 EiB is more than the whole disk \(32.0 MiB\)"
t_rc gpt_usage_no_command 2 bbgpt
t_rc gpt_usage_unknown_command 2 bbgpt frobnicate "$d"
t_rc gpt_usage_missing_disk 2 bbgpt show
t_rc gpt_usage_option_not_for_command 2 bbgpt delete "$d" 1 --type swap
t_rc gpt_usage_unknown_option 2 bbgpt show --frob "$d"
t_eq gpt_refusals_left_table_alone "$(bbgpt verify "$d")" "$d: no problems found (1 partition)"

# --start in sectors and bytes, --number, --guid
t_ok gpt_add_start_sectors bbgpt add "$d" --start 20480s --size 1M --number 5 --guid 11111111-2222-3333-4444-555555555555
t_match gpt_add_start_bytes "$(bbgpt add "$d" --start 12M --size 512K)" "LBA 24576-25599"
t_match gpt_add_number_is_decimal "$(bbgpt add "$d" --size 1M --number 010)" "added partition 10:"
t_match gpt_add_start_guid "$(bbgpt show --json "$d")" '"uuid": "11111111-2222-3333-4444-555555555555"'
t_clean gpt_explicit_starts_verify "$d"

t_match gpt_verify_json "$(bbgpt verify --json "$T/damaged-both.img" | python3 -c '
import json, sys; j = json.load(sys.stdin); print(j["ok"], len(j["problems"]))')" "False 2"

# Block devices (busy refusal, BLKPG) are exercised inside the VM harness:
# no test here opens the host's disks.
exit $t_failed
