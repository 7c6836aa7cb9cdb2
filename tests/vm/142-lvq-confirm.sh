# lvq's `Proceed? [y/N]` on a real terminal: a small static program built
# here (tests/vm/vm_pty.c) runs lvq on a pseudo-terminal and types
# the answer when the prompt shows. y, Y and yes proceed (a provision, its
# rollback, a decommission); an empty line, n, no, the terminal's EOF,
# garbage and a y with more refuse with status 1 and change nothing; with
# stdout on the terminal but stdin a pipe that never ends, lvq refuses at
# once instead of waiting; -y shows the warnings and the plan and no
# prompt. Then the rollback of a decommission: the PV label back with its
# UUID and the VG from the metadata backup the decommission took first
# (vgcfgrestore), b mounted with its data, its fstab line as it was; and
# refused once the disk was written to. LVM's pvs/vgs/lvs judge.
disks="virtio:64M"
timeout=400

prepare() {
	mkdir -p "$work/root/test"
	musl-gcc -std=gnu11 -D_GNU_SOURCE -static -O2 -Wall -Wextra -Werror -Wshadow -Wvla \
		tests/vm/vm_pty.c -o "$work/root/test/vm_pty"
}

guest() {
	cat <<'EOF2'
# the guest's init mounts no devpts: the terminals' file system
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
P="--pv $DISK1 --vg cvg --lv a:8M --lv b:8M:ext4:/mnt/b --lv s:8M:swap"
: >/etc/fstab
pty() { # ANSWER CMD...: the terminal's text in $out (without CRs), the status in $rc
	/test/vm_pty "$@" >/tmp/pty.out 2>&1; rc=$?
	out=$(tr -d '\r' </tmp/pty.out)
}
line_of() { # TEXT: the number of $out's first line holding TEXT
	printf '%s\n' "$out" | grep -nF -m1 -- "$1" | cut -d: -f1
}

for a in '' n N no '^D' garbage ' y' yy 'y n'; do
	pty "$a" lvq provision $P
	t_eq "answer '$a': refused (status 1)" $rc 1
	t_match "answer '$a': after the prompt" "$out" 'Proceed\? \[y/N\] '
	t_match "answer '$a': saying nothing was changed" "$out" 'not confirmed: nothing was changed'
done
w=$(line_of 'WARNINGS') p=$(line_of '--- PLAN') q=$(line_of 'Proceed?')
t_eq "the warnings, then the plan, then the prompt" "$(( ${w:-0} > 0 && w < p && p < q ))" 1
t_eq "refusals changed nothing: no PV" "$(lvm pvs --noheadings | wc -l)" 0
t_eq "... and journaled no transaction" "$(lvq status | grep -c ' provision ')" 0

pty --stdin-pipe lvq provision $P
t_eq "stdin not a terminal, no -y: refused (status 1), no hang" $rc 1
t_match "... saying why" "$out" 'no terminal to confirm on'
t_eq "... with no prompt" "$(printf '%s\n' "$out" | grep -c 'Proceed?')" 0
t_eq "... and no PV" "$(lvm pvs --noheadings | wc -l)" 0

pty y lvq provision $P
t_eq "answer 'y': provisioned (status 0)" $rc 0
t_match "... after the prompt" "$out" 'Proceed\? \[y/N\] y'
t_eq "... VG cvg with 3 LVs" "$(lvm lvs --noheadings -o lv_name cvg | wc -l)" 3
pty Y lvq rollback
t_eq "answer 'Y': rolled back (status 0)" $rc 0
t_rc "... VG cvg gone" 5 lvm vgs cvg
pty - lvq provision $P -y
t_eq "-y on a terminal: provisioned (status 0)" $rc 0
t_eq "... with no prompt" "$(printf '%s\n' "$out" | grep -c 'Proceed?')" 0
t_match "... the warnings shown" "$out" "$DISK1 is a whole disk"
t_match "... the plan shown, numbered, with its argv" "$out" "^  1\. lvm pvcreate $DISK1"
t_match "... to its last step" "$out" '^ 1[0-9]\. fstab-add /etc/fstab UUID-of /dev/cvg/s none swap sw 0 0   \(lvq\)$'
t_ok "... VG cvg made" lvm vgs cvg
# data on b, and its fstab line changed by hand: a rollback of the
# decommission must bring both back as they were
echo "kept across decommission and rollback" >/mnt/b/file && sync
sed -i 's| /mnt/b ext4 defaults 0 2$| /mnt/b ext4 noatime,nodev 0 1|' /etc/fstab
line=$(grep ' /mnt/b ' /etc/fstab)
sline=$(grep ' none swap ' /etc/fstab)
t_match "the swap's fstab line" "$sline" '^UUID=[-0-9a-f]+ none swap sw 0 0$'
t_match "b's fstab line, by hand" "$line" '^UUID=.* /mnt/b ext4 noatime,nodev 0 1$'
pty yes lvq decommission --vg cvg
t_eq "answer 'yes': decommissioned (status 0)" $rc 0
t_eq "... no PV left" "$(lvm pvs --noheadings | wc -l)" 0
t_eq "... b's and the swap's fstab lines gone" "$(grep -c -e ' /mnt/b ' -e ' swap ' /etc/fstab)" 0
t_eq "... the swap off" "$(grep -c '^/dev/' /proc/swaps)" 0
t_eq "four transactions journaled" "$(lvq status | grep -Ec ' (provision|rollback|decommission) ')" 4

# rollback of the decommission: from the metadata backup it took first
bk=$(ls /var/lib/lvq/cvg-*.vg)
t_match "the decommission's first step: a metadata backup" "$bk" '^/var/lib/lvq/cvg-[A-Za-z0-9-]+-[0-9]+\.vg$'
t_match "... as the journal says" "$(grep -m1 '"kind":"vgcfgbackup"' /var/lib/lvq/journal.jsonl)" "\"argv\":\\[\"lvm\",\"vgcfgbackup\",\"-f\",\"$bk\",\"cvg\"\\]"
out=$(lvq rollback -y 2>&1); rc=$?
t_eq "rollback of the decommission (status 0)" $rc 0
t_match "... the PV label back with its UUID" "$out" "lvm pvcreate --uuid [A-Za-z0-9-]+ --restorefile $bk $DISK1"
t_match "... the VG from the backup" "$out" "lvm vgcfgrestore -f $bk cvg"
t_match "... saying what the LVs hold" "$out" 'anything written to them since'
t_eq "... VG cvg with its 3 LVs (lvs)" "$(lvm lvs --noheadings -o lv_name cvg | wc -l)" 3
t_eq "... its swap on again" "$(grep -c '^/dev/' /proc/swaps)" 1
t_eq "... with its fstab line as it was" "$(grep ' none swap ' /etc/fstab)" "$sline"
t_match "... b mounted again" "$(cat /proc/mounts)" ' /mnt/b ext4 '
t_eq "... with its data" "$(cat /mnt/b/file)" "kept across decommission and rollback"
t_eq "... and its fstab line as it was" "$(grep ' /mnt/b ' /etc/fstab)" "$line"
t_match "status: the decommission rolled back" "$(lvq status)" 'decommission +cvg +[0-9]+/[0-9]+ +rolled back'
t_rc "a second rollback of it: refused" 1 lvq rollback -y "$(lvq status | grep ' decommission ' | cut -c1-36)"

# written to since the decommission: not restored
t_ok "decommission again" lvq decommission --vg cvg -y
mkfs.ext4 -q -F "$DISK1"
out=$(lvq rollback -y 2>&1); rc=$?
t_eq "rollback after the disk was written to: refused (status 1)" $rc 1
t_match "... saying why" "$out" "$DISK1: written since the decommission"
t_eq "... nothing restored" "$(lvm vgs --noheadings 2>/dev/null | wc -l)" 0
# f2fs is allowed only where its mkfs is: refused before anything runs
out=$(lvq provision --pv $DISK1 --vg fvg --lv f:8M:f2fs:/mnt/f --force -y 2>&1); rc=$?
t_eq "f2fs with no mkfs.f2fs here: refused (status 1)" $rc 1
t_match "... naming the tool and its package" "$out" 'no f2fs can be made here: mkfs\.f2fs is not installed \(Debian package f2fs-tools\)'
t_eq "... and nothing made" "$(lvm pvs --noheadings | wc -l)" 0

# systemd's reload: only where systemd runs, and not for a target under --root
mkdir -p /run/systemd/system /sysroot/etc
t_match "with systemd running: the plan ends with its reload" \
	"$(lvq plan --pv $DISK1 --vg svg --lv a:8M --force)" '^  4\. systemctl daemon-reload$'
t_eq "... not for a target under --root" \
	"$(lvq plan --root /sysroot --pv $DISK1 --vg svg --lv a:8M --force | grep -c systemctl)" 0
rmdir /run/systemd/system
t_eq "... nor without systemd" "$(lvq plan --pv $DISK1 --vg svg --lv a:8M --force | grep -c systemctl)" 0

# a step undone behind lvq's back before it checks the result: exit 4,
# then continue makes it hold again (the mount point exists already: that
# alone is no sign of an earlier run)
mkdir -p /mnt/n
(while :; do umount /mnt/n 2>/dev/null; sleep 0.05; done) &
loop=$!
out=$(lvq provision --pv $DISK1 --vg nvg --lv n:8M:ext4:/mnt/n --force -y 2>&1); rc=$?
kill $loop
wait $loop 2>/dev/null
[ $rc = 4 ] || printf '%s\n' "$out" | tail -n 8
t_match "... after a plan whose mkdir of an existing directory holds" "$out" '^  5\. mkdir -p /mnt/n   \(lvq\)   \[holds\]$'
t_eq "a mount undone behind lvq's back: not converged (status 4)" $rc 4
t_match "... naming the step" "$out" 'not converged: step [0-9]+ does not hold: mount -t ext4 /dev/nvg/n /mnt/n'
t_match "status: not converged" "$(lvq status)" 'provision +nvg +[0-9]+/[0-9]+ +not_converged'
out=$(lvq continue -y 2>&1); rc=$?
t_eq "continue after it: done (status 0)" $rc 0
t_match "... mounted again" "$(cat /proc/mounts)" ' /mnt/n ext4 '

# a PV held by its VG's active LV, and a disk swapped on: refused, also with --force
out=$(lvq provision --pv $DISK1 --vg hvg --lv a:8M --force -y 2>&1); rc=$?
t_eq "a disk held by device-mapper: refused (status 1)" $rc 1
t_match "... saying why" "$out" "refused: $DISK1: (already a PV of VG nvg|in use)"
t_ok "decommission nvg" lvq decommission --vg nvg -y
/bin/blockbox mkswap --force "$DISK1" >/dev/null && swapon "$DISK1"
out=$(lvq provision --pv $DISK1 --vg hvg --lv a:8M --force -y 2>&1); rc=$?
t_eq "a disk swapped on: refused (status 1)" $rc 1
t_match "... saying why" "$out" "refused: $DISK1: in use: .*swap"
swapoff "$DISK1"
EOF2
}
