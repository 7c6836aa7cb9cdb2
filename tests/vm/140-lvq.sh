# lvq with Debian's LVM2 in the guest: the original README's large
# scenario (5 PVs, 10 LVs: xfs, ext4, btrfs, vfat, swap, mounts, fstab)
# scaled to small disks, with a decimal size and a %FREE. In one boot:
# refusals (a filesystem, a mounted device, no terminal, a metacharacter),
# plan --out then apply, a second run that does nothing, rollback, lvq
# killed mid-plan then continue, decommission leaving the disks clean,
# --root with a target fstab. The peers judge: lvs, blkid, /proc.
disks="virtio:448M virtio:448M virtio:448M virtio:448M virtio:448M virtio:64M virtio:128M"
timeout=900

guest() {
	cat tests/vm/lvq-large.inc
	cat <<'EOF2'
MOUNTS="/var/www/html /var/lib/mysql /var/log/app /var/lib/redis /srv/uploads /mnt/backups /mnt/scratch /var/www/media /var/lib/docker"
J=/var/lib/lvq/journal.jsonl

# the state lvq made, as the peers see it
provisioned() { # WHAT
	t_eq "$1: 10 LVs" "$(lvm lvs --noheadings -o lv_name tank_vg | wc -l)" 10
	t_eq "$1: docker_volumes is 0.3G rounded up to extents" \
		"$(lvm lvs --noheadings --units b --nosuffix -o lv_size tank_vg/docker_volumes | tr -d ' ')" \
		$((77 * 4194304))
	# the LVs before it take 365 extents; LVM says how many the VG has
	ext=$(lvm vgs --noheadings -o vg_extent_count tank_vg | tr -d ' ')
	t_eq "$1: media_assets is 50% of the extents free at its turn" \
		"$(lvm lvs --noheadings --units b --nosuffix -o lv_size tank_vg/media_assets | tr -d ' ')" \
		$(((ext - 365) / 2 * 4194304))
	for lv in web_root:xfs db_data:ext4 user_uploads:btrfs scratch_pad:vfat swap_space:swap; do
		t_eq "$1: ${lv%:*} is ${lv#*:} (blkid)" \
			"$(/usr/sbin/blkid -p -o value -s TYPE /dev/tank_vg/${lv%:*})" "${lv#*:}"
	done
	n=0
	for m in $MOUNTS; do grep -q " $m " /proc/mounts && n=$((n + 1)); done
	t_eq "$1: 9 mounted" $n 9
	t_match "$1: swap on" "$(cat /proc/swaps)" '^/dev/(dm-|mapper/tank_vg-swap_space)'
	u=$(/usr/sbin/blkid -o value -s UUID /dev/tank_vg/web_root)
	t_match "$1: fstab by UUID" "$(cat /etc/fstab)" "^UUID=$u /var/www/html xfs defaults 0 2\$"
	t_eq "$1: fstab lines" "$(grep -c '^UUID=' /etc/fstab)" 10
}
clean() { # WHAT
	t_rc "$1: no VG" 5 lvm vgs tank_vg
	t_eq "$1: no fstab lines" "$(grep -c '^UUID=' /etc/fstab)" 0
	t_eq "$1: nothing mounted" "$(grep -c ' /var/www/html ' /proc/mounts)" 0
	t_eq "$1: no swap" "$(grep -c '^/dev/' /proc/swaps)" 0
	for d in $DISK1 $DISK3 $DISK5; do
		t_eq "$1: $d has no signature" "$(/usr/sbin/blkid -p -o value -s TYPE $d)" ""
	done
}

mkdir -p /etc && : >/etc/fstab
echo "# the system's own" >>/etc/fstab

# refusals, before anything is planned or run
t_rc "metacharacter refused (usage)" 2 lvq provision --pv '/dev/vda;reboot' --vg v --lv a:8M -y
t_rc "swap with a mount refused" 2 lvq provision --pv "$DISK6" --vg v --lv s:8M:swap:/x -y
mkfs.ext4 -q "$DISK6"
out=$(lvq provision --pv "$DISK6" --vg v6 --lv a:8M -y 2>&1); rc=$?
t_eq "a filesystem refused" $rc 1
t_match "... saying why" "$out" 'ext4.*--force'
mkdir -p /mnt/d6 && mount "$DISK6" /mnt/d6
out=$(lvq provision --pv "$DISK6" --vg v6 --lv a:8M -y --force 2>&1); rc=$?
t_eq "a mounted device refused, also with --force" $rc 1
t_match "... saying why" "$out" 'mounted on /mnt/d6'
umount /mnt/d6
t_rc "no terminal and no -y: refused" 1 sh -c "lvq provision $PV --vg tank_vg $(echo $LV) </dev/null"
t_eq "nothing was done" "$(lvm pvs --noheadings | wc -l)" 0

# plan --out, then apply
t_ok "plan --out" lvq plan $PV --vg tank_vg $LV --out /tmp/plan.json
t_match "the plan has 55 numbered steps" "$(lvq plan $PV --vg tank_vg $LV)" '^ 55\. '
out=$(lvq apply /tmp/plan.json -y 2>&1); rc=$?
t_eq "apply" $rc 0
echo "$out" | grep '^done' | sed 's/^/BENCH apply: /'
provisioned "apply"
out=$(lvq provision $PV --vg tank_vg $LV -y 2>&1); rc=$?
t_eq "second run: exit 0" $rc 0
t_match "second run: nothing to do" "$out" 'nothing to do'
t_rc "a second apply of the same plan: nothing to do" 0 lvq apply /tmp/plan.json -y

# rollback of the finished provision
out=$(lvq rollback -y 2>&1); rc=$?
t_eq "rollback" $rc 0
t_match "rollback says what it cannot undo" "$out" 'cannot be undone'
clean "rollback"

# killed in the middle, then continue
lvq provision $PV --vg tank_vg $LV -y >/tmp/k.out 2>/tmp/k.err &
pid=$!
i=0
while ! grep -q '\[13/' /tmp/k.err && [ $i -lt 600 ]; do sleep 0.2; i=$((i + 1)); done
kill -9 $pid
wait $pid
sleep 3
# step 13 is mkfs.ext4 of db_data: killed there or a little later
st=$(lvq status | grep ' provision ' | tail -n 1)
t_match "status: interrupted" "$st" 'provision +tank_vg +[0-9]+/55 +interrupted at step [0-9]+'
ok=$(echo "$st" | sed -n 's|.* \([0-9]*\)/55 .*|\1|p')
at=$(echo "$st" | sed -n 's|.*interrupted at step \([0-9]*\)|\1|p')
t_eq "status: the steps before the interrupted one finished" "$((ok + 1))" "$at"
t_match "killed from step 13 on" "$at" '^(1[3-9]|[2-5][0-9])$'
out=$(lvq provision $PV --vg tank_vg $LV -y 2>&1); rc=$?
t_eq "a rerun of an interrupted one is refused" $rc 1
t_match "... and points to continue" "$out" 'lvq continue'
out=$(lvq continue -y 2>&1); rc=$?
t_eq "continue" $rc 0
t_match "continue skips what holds" "$out" 'held already'
provisioned "continue"
t_rc "after continue: a rerun does nothing" 0 lvq provision $PV --vg tank_vg $LV -y

# decommission
t_ok "decommission" lvq decommission --vg tank_vg -y
clean "decommission"
t_rc "decommission again: nothing to do" 1 lvq decommission --vg tank_vg -y

# --root: the target's fstab, mounts under the root, no swapon
mkdir -p /sysroot/etc
u6=$(/usr/sbin/blkid -o value -s UUID "$DISK6")
printf '# target\nUUID=%s /data ext4 defaults 0 2\n' "$u6" >/sysroot/etc/fstab
out=$(lvq provision --root /sysroot --force --pv "$DISK6" --vg r6 --lv a:8M -y 2>&1); rc=$?
t_eq "--root: a device the target's fstab names is refused, also with --force" $rc 1
t_match "... saying why" "$out" "target's fstab"
t_ok "--root provision" lvq provision --root /sysroot --pv "$DISK7" --vg sys --lv var:64M:ext4:/var --lv sw:16M:swap -y
t_match "--root: the target's fstab kept its line" "$(cat /sysroot/etc/fstab)" "^UUID=$u6 /data ext4"
t_match "--root: ... and got /var by UUID" "$(cat /sysroot/etc/fstab)" "^UUID=$(/usr/sbin/blkid -o value -s UUID /dev/sys/var) /var ext4 defaults 0 2"
t_match "--root: mounted under the root" "$(cat /proc/mounts)" ' /sysroot/var ext4 '
t_eq "--root: the target's swap is not turned on here" "$(grep -c '^/dev/' /proc/swaps)" 0
t_eq "--root: the running system's fstab untouched" "$(grep -c '^UUID=' /etc/fstab)" 0
t_match "status lists every transaction" "$(lvq status)" 'provision +sys '
echo "=== JOURNAL BEGIN"
cat "$J"
echo "=== JOURNAL END"
EOF2
}
