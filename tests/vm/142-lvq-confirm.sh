# lvq's `Proceed? [y/N]` on a real terminal: a small static program built
# here (tests/vm/pty_confirm.c) runs lvq on a pseudo-terminal and types
# the answer when the prompt shows. y, Y and yes proceed (a provision, its
# rollback, a decommission); an empty line, n, no, the terminal's EOF,
# garbage and a y with more refuse with status 1 and change nothing; with
# stdout on the terminal but stdin a pipe that never ends, lvq refuses at
# once instead of waiting; -y shows the warnings and the plan and no
# prompt. LVM's pvs/vgs judge what changed.
disks="virtio:64M"
timeout=400

prepare() {
	mkdir -p "$work/root/test"
	musl-gcc -std=gnu11 -D_GNU_SOURCE -static -O2 -Wall -Wextra -Werror -Wshadow -Wvla \
		tests/vm/pty_confirm.c -o "$work/root/test/pty_confirm"
}

guest() {
	cat <<'EOF2'
# the guest's init mounts no devpts: the terminals' file system
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
P="--pv $DISK1 --vg cvg --lv a:8M --lv b:8M:ext4:/mnt/b"
: >/etc/fstab
pty() { # ANSWER CMD...: the terminal's text in $out (without CRs), the status in $rc
	/test/pty_confirm "$@" >/tmp/pty.out 2>&1; rc=$?
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
t_eq "... VG cvg with 2 LVs" "$(lvm lvs --noheadings -o lv_name cvg | wc -l)" 2
pty Y lvq rollback
t_eq "answer 'Y': rolled back (status 0)" $rc 0
t_rc "... VG cvg gone" 5 lvm vgs cvg
pty - lvq provision $P -y
t_eq "-y on a terminal: provisioned (status 0)" $rc 0
t_eq "... with no prompt" "$(printf '%s\n' "$out" | grep -c 'Proceed?')" 0
t_match "... the warnings shown" "$out" "$DISK1 is a whole disk"
t_match "... the plan shown, numbered, with its argv" "$out" "^  1\. lvm pvcreate $DISK1"
t_match "... to its last step" "$out" '^  8\. fstab-add '
t_ok "... VG cvg made" lvm vgs cvg
pty yes lvq decommission --vg cvg
t_eq "answer 'yes': decommissioned (status 0)" $rc 0
t_eq "... no PV left" "$(lvm pvs --noheadings | wc -l)" 0
t_eq "four transactions journaled" "$(lvq status | grep -Ec ' (provision|rollback|decommission) ')" 4
EOF2
}
