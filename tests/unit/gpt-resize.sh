#!/bin/sh
# gpt resize N on tables sgdisk wrote: to the largest size the free space
# behind the partition allows (up to the next partition, or to the last
# 1 MiB boundary of the usable area as sgdisk reports it), to a --size,
# and the grown-disk sequence (fix, then resize the last partition). The
# start never moves; overlap and shrinking without --force are refused;
# sgdisk -v and sfdisk --verify find nothing wrong after each edit, and
# sfdisk --json reads back the sizes expected.
. "$(dirname "$0")/../lib.sh"

for tool in sgdisk sfdisk python3 cmp; do
	command -v $tool >/dev/null || { t_skip gpt_resize "$tool is not installed"; exit 0; }
done
bbgpt() { "$BB" gpt "$@"; }
d=$T/d.img
truncate -s 64M "$d"
sgdisk -n 1:1M:+8M -n 2:20M:+8M -n 3:40M:+4M "$d" >/dev/null

part() { # N FIELD: start or size of partition N, from sfdisk --json
	sfdisk --json "$d" | python3 -c '
import json, sys
n, f = sys.argv[1], sys.argv[2]
for p in json.load(sys.stdin)["partitiontable"]["partitions"]:
    if p["node"].endswith(n):
        print(p[f])' "$1" "$2"
}
peers_ok() {
	t_match "$1: sgdisk -v" "$(sgdisk -v "$d" 2>&1)" 'No problems found'
	t_ok "$1: sfdisk --verify" sfdisk --verify "$d"
}
last_usable() { sgdisk -p "$d" | sed -n 's/.*last usable sector is \([0-9]*\).*/\1/p'; }

s1=$(part 1 start) s2=$(part 2 start) s3=$(part 3 start)
t_ok "grow 1 into the gap" bbgpt resize "$d" 1
t_eq "1 ends where 2 starts" "$(part 1 size)" $((s2 - s1))
t_eq "1 has not moved" "$(part 1 start)" "$s1"
peers_ok "grow 1"
t_match "again: nothing to do" "$(bbgpt resize "$d" 1)" "already has that size"
cp "$d" "$T/before"
t_ok "--dry-run" bbgpt resize --dry-run "$d" 3
t_ok "--dry-run wrote nothing" cmp "$d" "$T/before"
t_ok "grow the last to the end" bbgpt resize "$d" 3
lu=$(last_usable)
t_eq "3 ends on the last 1 MiB boundary of the usable area" $(( $(part 3 start) + $(part 3 size) )) $(( (lu + 1) / 2048 * 2048 ))
peers_ok "grow 3"
t_ok "--size 12M" bbgpt resize "$d" 2 --size 12M
t_eq "2 is 12 MiB" "$(part 2 size)" $((12 * 2048))
peers_ok "--size"
cp "$d" "$T/before"
t_match "overlap refused" "$(bbgpt resize "$d" 2 --size 21M 2>&1)" "can grow to 20.0 MiB at most: partition 3 starts at LBA $s3"
t_rc "overlap: exit 1" 1 bbgpt resize "$d" 2 --size 21M
t_match "shrinking needs --force" "$(bbgpt resize "$d" 2 --size 4M 2>&1)" "cuts off its last 8.00 MiB.*--force"
t_ok "refusals wrote nothing" cmp "$d" "$T/before"
t_ok "shrink with --force" bbgpt resize -f "$d" 2 --size 4M
t_eq "2 is 4 MiB" "$(part 2 size)" $((4 * 2048))
peers_ok "shrink"
t_rc "no such partition" 1 bbgpt resize "$d" 4
t_rc "not a number" 1 bbgpt resize "$d" x
t_rc "a bad size is a usage error" 2 bbgpt resize "$d" 2 --size 10X
t_rc "--name is not resize's" 2 bbgpt resize "$d" 2 --name x

# the grown disk: the backup moves to the new end first, then 3 grows
truncate -s 96M "$d"
t_match "grown: resize asks for fix first" "$(bbgpt resize "$d" 3 2>&1)" "'gpt fix' repairs it"
t_ok "grown: fix" bbgpt fix "$d"
t_ok "grown: resize 3" bbgpt resize "$d" 3
lu=$(last_usable)
t_eq "grown: 3 reaches the new end" $(( $(part 3 start) + $(part 3 size) )) $(( (lu + 1) / 2048 * 2048 ))
t_eq "grown: 3 has not moved" "$(part 3 start)" "$s3"
peers_ok "grown"
bbgpt resize --json "$d" 3 >"$T/out.json"
t_eq "--json when nothing is to do" "$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["action"], len(j["writes"]))' "$T/out.json")" "resize 0"

# an unaligned end past the last boundary is kept, never cut back
sgdisk -d 3 -n 3:$s3:$(last_usable) "$d" >/dev/null
t_match "an end past the boundary stays" "$(bbgpt resize "$d" 3)" "already has that size"
exit $t_failed
