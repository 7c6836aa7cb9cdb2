#!/bin/sh
# gpt change: type, name, attributes and GUID of an existing partition, as
# sgdisk -t/-c/-A/-u and sfdisk --part-type/--part-label/--part-attrs/
# --part-uuid would set them. After each edit sgdisk -v and sfdisk
# --verify find nothing wrong, and sfdisk --json reads back what was set,
# with the partition's place unchanged.
. "$(dirname "$0")/../lib.sh"

command -v sgdisk >/dev/null || { t_skip gpt_change "sgdisk (gdisk) is missing"; exit 0; }
img=$T/disk.img
truncate -s 64M "$img"
printf 'label: gpt\nsize=16M, type=linux, name=data\nsize=8M, type=swap\n' | sfdisk -q "$img" >/dev/null

part() { # N FIELD: partition N's FIELD as sfdisk --json reads it
	sfdisk --json "$img" | python3 -c '
import json, sys
n, f = int(sys.argv[1]), sys.argv[2]
for p in json.load(sys.stdin)["partitiontable"]["partitions"]:
    if p["node"].endswith(str(n)):
        print(p.get(f, ""))' "$1" "$2"
}
peers_ok() { # NAME: both peers find the table sound
	t_match "$1: sgdisk -v" "$(sgdisk -v "$img" 2>&1)" 'No problems found'
	t_ok "$1: sfdisk --verify" sfdisk --verify "$img"
}

start=$(part 1 start) size=$(part 1 size)
esp=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
t_ok "change the type by short name" "$BB" gpt change "$img" 1 --type esp
t_eq "type read back by sfdisk" "$(part 1 type)" "$esp"
peers_ok "after --type"
t_ok "change the name" "$BB" gpt change "$img" 1 --name "EFI system"
t_eq "name read back by sfdisk" "$(part 1 name)" "EFI system"
t_eq "the type stays" "$(part 1 type)" "$esp"
peers_ok "after --name"
guid=6F2C0B6E-4C1D-4B8E-9D6A-2E5F6A7B8C9D
t_ok "change the GUID" "$BB" gpt change "$img" 2 --guid "$guid"
t_eq "GUID read back by sfdisk" "$(part 2 uuid)" "$guid"
t_eq "sgdisk agrees" "$(sgdisk -i 2 "$img" | sed -n 's/^Partition unique GUID: //p')" "$guid"
peers_ok "after --guid"
t_ok "change the attributes" "$BB" gpt change "$img" 1 --attrs legacy_boot,60
t_eq "attributes read back by sfdisk" "$(part 1 attrs)" "LegacyBIOSBootable GUID:60"
t_ok "clear the attributes" "$BB" gpt change "$img" 1 --attrs ""
t_eq "no attributes left" "$(part 1 attrs)" ""
t_ok "all at once" "$BB" gpt change "$img" 2 --type linux --name swap2 --attrs required
t_eq "all at once: type" "$(part 2 type)" 0FC63DAF-8483-4772-8E79-3D69D8477DE4
t_eq "all at once: name" "$(part 2 name)" swap2
t_eq "all at once: attrs" "$(part 2 attrs)" RequiredPartition
t_eq "all at once: the GUID stays" "$(part 2 uuid)" "$guid"
peers_ok "after all at once"
t_eq "partition 1 has not moved" "$(part 1 start) $(part 1 size)" "$start $size"

before=$(sha256sum <"$img")
t_ok "--dry-run" "$BB" gpt change --dry-run "$img" 1 --name nothing
t_rc "no such partition" 1 "$BB" gpt change "$img" 3 --name x
t_rc "nothing to change is a usage error" 2 "$BB" gpt change "$img" 1
t_rc "a bad type is a usage error" 2 "$BB" gpt change "$img" 1 --type nosuch
t_rc "an all-zero GUID is refused" 2 "$BB" gpt change "$img" 1 --guid 00000000-0000-0000-0000-000000000000
t_rc "a name too long" 1 "$BB" gpt change "$img" 1 --name "$(printf '%040d' 0)"
t_rc "--size is not change's" 2 "$BB" gpt change "$img" 1 --size 1M
t_eq "refusals and --dry-run wrote nothing" "$(sha256sum <"$img")" "$before"
exit 0
