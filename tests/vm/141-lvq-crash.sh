# lvq and a guest that dies mid-plan: a first boot (run from prepare)
# provisions with --root and the journal on a persistent disk, and powers
# the guest off hard (sysrq o: no sync, no unmount) while a mkfs runs.
# The scenario's boot mounts that disk again, finds the transaction
# interrupted, and `lvq continue` finishes it: the LVs are activated
# (journaled as the transaction's step 0, shown by status), what
# holds is skipped, the cut-off mkfs is redone, mounts lost with the
# reboot are made again; a rerun then does nothing.
disks="virtio:160M virtio:160M virtio:64M"
timeout=400

LVQ_CRASH_ARGS='--root /persist/sysroot --journal /persist/lvq.jsonl --pv $DISK1:$DISK2
 --vg crash_vg --lv one:64M:ext4:/one --lv two:64M:ext4:/two --lv three:40M:vfat:/three
 --lv sw:32M:swap --lv rest:100%FREE:ext4:/rest'

first_guest() {
	echo "ARGS=\"$LVQ_CRASH_ARGS\""
	cat <<'EOF2'
mkfs.ext4 -q "$DISK3" && mkdir -p /persist && mount "$DISK3" /persist
mkdir -p /persist/sysroot/etc && echo '# target' >/persist/sysroot/etc/fstab && sync
lvq provision $ARGS -y >/tmp/out 2>/tmp/err &
i=0
# step 10 is mkfs.ext4 of two: power off while it runs
while ! grep -q '\[10/' /tmp/err && [ $i -lt 900 ]; do sleep 0.1; i=$((i + 1)); done
echo "CRASHING after: $(tail -n 1 /tmp/err)"
echo o >/proc/sysrq-trigger
sleep 30
EOF2
}

prepare() {
	guest() { first_guest; }
	write_guest_script "$work/first" 3
	guest() { second_guest; }
	qemu/run.sh -q -t 300 -i "$root/build/initramfs-tools.cpio.gz" -x "$work/first/root" \
		-d "$DISK1" -d "$DISK2" -d "$DISK3" -l "$work/first.log" -- \
		blockbox.run=/test/run blockbox.timeout=280 >/dev/null 2>&1
	grep -Eq 'CRASHING after: lvq: \[[0-9]+/26\]' "$work/first.log"
}

guest() { second_guest; }
second_guest() {
	echo "ARGS=\"$LVQ_CRASH_ARGS\""
	cat <<'EOF2'
J=/persist/lvq.jsonl
mkdir -p /persist && t_ok "the persistent disk mounts (journal replayed)" mount "$DISK3" /persist
st=$(lvq status --journal $J)
t_match "status: the transaction was interrupted" "$st" 'provision +crash_vg +[0-9]+/26 +interrupted at step 1[0-9]'
out=$(lvq provision $ARGS -y 2>&1); rc=$?
t_eq "a rerun is refused" $rc 1
t_match "... pointing to continue" "$out" 'lvq continue'
out=$(lvq continue -y --journal $J 2>&1); rc=$?
t_eq "continue" $rc 0
t_match "continue activated the VG" "$out" 'vgchange -ay crash_vg'
t_match "continue skipped what held" "$out" 'held already'
t_match "continue finished the transaction" "$out" '^done: transaction'
case $st in
*"interrupted at step 10") t_match "the mkfs cut off at step 10 is run again" "$out" '\[10/26\] mkfs\.ext4 -F -q /dev/crash_vg/two$' ;;
esac
t_eq "5 LVs" "$(lvm lvs --noheadings -o lv_name crash_vg | wc -l)" 5
for lv in one:ext4 two:ext4 three:vfat sw:swap rest:ext4; do
	t_eq "${lv%:*} is ${lv#*:} (blkid)" "$(/usr/sbin/blkid -p -o value -s TYPE /dev/crash_vg/${lv%:*})" "${lv#*:}"
done
t_ok "two: e2fsck finds it clean" e2fsck -fn /dev/crash_vg/two
t_eq "the target's fstab: 5 entries" "$(grep -c '^UUID=' /persist/sysroot/etc/fstab)" 5
t_match "... and its own line kept" "$(head -n 1 /persist/sysroot/etc/fstab)" '^# target$'
t_eq "4 mounted under the root" "$(grep -c ' /persist/sysroot/' /proc/mounts)" 4
t_match "status: done, and the VG activated by continue" "$(lvq status --journal $J)" \
	'provision +crash_vg +26/26 +done; VG activated by continue \(status 0\)'
t_eq "the activation journaled as step 0, before and after" \
	"$(grep -c '"step":0,"kind":"activate","argv":\["lvm","vgchange","-ay","crash_vg"\]' $J)" 2
t_match "... its end with its exit status" "$(grep '"event":"step_end","step":0,' $J)" '"exit_status":0'
t_match "... before the transaction resumed" "$(grep -n -m1 -e '"step":0' -e '"event":"resume"' $J)" '"step":0'
out=$(lvq provision $ARGS -y 2>&1); rc=$?
t_eq "a rerun does nothing" $rc 0
t_match "... saying so" "$out" 'nothing to do'
EOF2
}
