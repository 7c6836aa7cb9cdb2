#!/bin/sh
# lvq's command line against the binary, without LVM (the VM scenario
# 140-lvq has the real thing): usage errors before anything is looked at,
# shell metacharacters, journal reading, a plan file changed by hand.
. "$(dirname "$0")/../lib.sh"
J=$T/j/journal.jsonl

t_rc "no command: usage" 2 "$BB" lvq
t_rc "--help" 0 "$BB" lvq --help
t_rc "provision --help" 0 "$BB" lvq provision --help
t_rc "no --vg: usage" 2 "$BB" lvq provision --pv /dev/null --lv a:1G -y
t_rc "1.5 with no unit: usage" 2 "$BB" lvq provision --pv /dev/vdb --vg v --lv a:1.5 -y
t_rc "101%FREE: usage" 2 "$BB" lvq provision --pv /dev/vdb --vg v --lv a:101%FREE -y
t_rc "a relative mount point: usage" 2 "$BB" lvq provision --pv /dev/vdb --vg v --lv a:1G:xfs:mnt -y
t_rc "swap with a mount point: usage" 2 "$BB" lvq provision --pv /dev/vdb --vg v --lv s:1G:swap:/x -y
t_rc "a reserved LV name: usage" 2 "$BB" lvq provision --pv /dev/vdb --vg v --lv x_tdata:1G -y
t_rc "--option of another command: usage" 2 "$BB" lvq status --pv /dev/vdb
# a marker file shows whether anything ran a shell on the value
for v in '/dev/vdb;touch$IFS'"$T/pwned" '/dev/vdb$(touch '"$T/pwned"')' '/dev/vdb`touch x`' \
	'/dev/vdb|x' '/dev/vdb&x' '/dev/vdb x'; do
	out=$("$BB" lvq provision --pv "$v" --vg v --lv a:1G -y --journal "$J" 2>&1); rc=$?
	t_eq "metacharacters in --pv refused: $v" "$rc" 2
done
t_rc "... in --lv" 2 "$BB" lvq provision --pv /dev/vdb --vg v --lv 'a:1G:xfs:/mnt/$(reboot)' -y
t_rc "... in --vg" 2 "$BB" lvq provision --pv /dev/vdb --vg 'v;x' --lv a:1G -y
t_rc "... in --root" 2 "$BB" lvq provision --root '/x y' --pv /dev/vdb --vg v --lv a:1G -y
t_eq "no shell ever ran" "$(ls "$T" | grep -c pwned)" 0
t_eq "no journal was written for refused input" "$(ls "$T/j" 2>/dev/null | wc -l)" 0

t_rc "status of no journal" 0 "$BB" lvq status --journal "$J"
t_rc "continue with nothing to continue" 0 "$BB" lvq continue -y --journal "$J"
t_rc "rollback with nothing to roll back" 1 "$BB" lvq rollback -y --journal "$J"
out=$("$BB" lvq status --json --journal "$J")
t_match "status --json" "$out" '"transactions": \[\]'

# the journal the VM scenario wrote: read back
cp "$(dirname "$0")/lvq/journal.jsonl" "$J"
out=$("$BB" lvq status --journal "$J")
t_eq "status: five transactions" "$(echo "$out" | grep -c '^[0-9a-f]\{8\}-')" 5
t_match "status: the rolled back one" "$out" 'provision +tank_vg +55/55 +rolled back'
t_match "status: the decommission" "$out" 'decommission +tank_vg +[0-9]+/[0-9]+ +done'
t_rc "rollback of a rollback is refused" 1 "$BB" lvq rollback "$(echo "$out" | sed -n 2p | cut -c1-36)" -y --journal "$J"

# a plan file changed by hand is refused before anything runs
line=$(grep -m1 '"event":"begin"' "$J")
printf '%s\n' "$line" | sed 's/^.*"plan"://; s/}$//' >"$T/plan.json"
t_match "a plan from the journal parses as JSON" "$(head -c 40 "$T/plan.json")" '^\{"command":"provision"'
sed 's/"-l","77"/"-l","78"/' "$T/plan.json" >"$T/changed.json"
t_eq "the argv was changed" "$(cmp -s "$T/plan.json" "$T/changed.json"; echo $?)" 1
out=$("$BB" lvq apply "$T/changed.json" -y --journal "$T/j2" 2>&1); rc=$?
t_eq "apply of a changed plan: refused" $rc 1
t_match "... saying why" "$out" 'argv differs'
t_rc "apply of no file" 1 "$BB" lvq apply "$T/none.json" -y --journal "$T/j2"

# two lvq runs kept apart by the lock next to the journal
mkdir -p "$T/lk"
L=$T/lk/journal.jsonl
flock "$L.lock" sleep 5 &
holder=$!
i=0
while flock -n "$L.lock" true && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
out=$("$BB" lvq continue -y --journal "$L" 2>&1); rc=$?
t_eq "another lvq holding the lock: refused" "$rc" 1
t_match "... saying so" "$out" 'another lvq is running'
wait $holder
t_rc "... and once it is gone, continue runs" 0 "$BB" lvq continue -y --journal "$L"
