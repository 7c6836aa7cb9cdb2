# sysvol on a provisioned two-disk node, over six boots of the same two
# images: both disks (assembled by UUID as /dev/md/mosefi and mosboot,
# btrfs members registered, everything mounted); disk 2 pulled (started
# degraded, recorded); disk 2 back (re-added, resynced, scrubbed); disk 1
# pulled; then disk 2 pulled and disk 1 alone again, so that each half has
# run without the other; both back: a split brain, never merged: one half
# mounted, the other left exactly as it was, and the operator told.
disks="virtio:512M virtio:512M"
timeout=300
cmdline="sysvol.wait=2"

# A layout of the default's shape, small enough for quick boots.
layout() {
	cat <<'EOF2'
cat >/tmp/layout.conf <<'EOF3'
[partition]
name = mosbios
type = bios_boot
size = 1M
format = raw
[partition]
name = mosefi
type = esp
size = 100M
format = vfat
label = MOSEFI
mirror = md-0.90
mount = /boot/efi
[partition]
name = mosboot
type = linux
size = 64M
format = ext4
label = MOSBOOT
mirror = md-1.2
mount = /boot
[partition]
name = mosswap
type = swap
size = 16M
format = swap
label = MOSSWAP
[partition]
name = mosdata
type = linux
size = 300M
format = btrfs
label = MOSDATA
mirror = btrfs-raid1
[subvolume]
name = system
mount = /var/cache/system
[subvolume]
name = etc
mount = /var/cache/etc
[subvolume]
name = mos-bin
mount = /var/cache/bin
EOF3
D1=$(disk 1) D2=$(disk 2)
sv() { # run sysvol, keep its output for the checks
	out=$(blockbox sysvol --layout /tmp/layout.conf "$@" 2>&1); rc=$?
	echo "$out"
	t_eq "sysvol exit status" "$rc" 0
}
part() { # DISK N: its partition N
	case "$1" in *[0-9]) echo "${1}p$2" ;; *) echo "$1$2" ;; esac
}
# md event count of a member, as mdadm reads it
events() { mdadm --examine "$1" 2>/dev/null | sed -n 's/^ *Events : \(0\.\)\{0,1\}//p'; }
EOF2
}

first() {
	layout
	cat <<'EOF2'
# provisioning (sysvol's blank-disk path does the same)
t_ok "provision" blockbox sysvol --layout /tmp/layout.conf --disks disk1,disk2
sv
mdstat=$(cat /proc/mdstat | tr '\n' ' ')
t_match "md: mosefi as named, both members" "$(ls -l /dev/md/)" 'mosefi -> (\.\.|/dev)/md'
t_match "md: mosboot as named" "$(ls -l /dev/md/)" 'mosboot -> (\.\.|/dev)/md'
t_match "md: both arrays have both members" "$mdstat" '\[UU\].*\[UU\]'
t_match "/boot mounted from the md array" "$(grep ' /boot ' /proc/mounts)" '^/dev/md'
t_match "/boot/efi mounted" "$(grep ' /boot/efi ' /proc/mounts)" 'vfat'
t_match "btrfs subvolume system mounted" "$(grep ' /var/cache/system ' /proc/mounts)" 'btrfs.*subvol=/system'
t_match "btrfs: both devices, none missing" "$(btrfs filesystem show /var/cache/system)" 'Total devices 2'
t_match "swap on" "$(cat /proc/swaps)" '/dev/'
t_match "members recorded on /boot" "$(cat /boot/sysvol/members)" 'disk1 btrfs_devid=[12]'
echo one >/var/cache/system/one
EOF2
}

disk2_gone() {
	layout
	cat <<'EOF2'
sv
t_match "warned loudly" "$out" 'DEGRADED'
t_match "degraded since, missing disk2" "$out" 'degraded since 20[0-9-]*T[0-9:]*Z, missing disk2'
t_match "md arrays started with one member" "$(cat /proc/mdstat | tr '\n' ' ')" '\[2/1\].*\[2/1\]'
t_match "btrfs mounted degraded" "$(grep ' /var/cache/system ' /proc/mounts)" 'degraded'
t_match "/run/sysvol/degraded" "$(cat /run/sysvol/degraded)" 'missing=disk2'
t_match "recorded on /boot for the next boot" "$(cat /boot/sysvol/degraded)" 'state=degraded'
t_match "state file says degraded" "$(cat /run/sysvol/state.json)" '"degraded"'
t_eq "the data of the first boot" "$(cat /var/cache/system/one)" one
echo two >/var/cache/system/two
# more than the RAID1 chunks have room for: new chunks, single ones
dd if=/dev/urandom of=/var/cache/system/big bs=1M count=96 2>/dev/null
sha256sum /var/cache/system/big >/var/cache/system/big.sum
sync
t_match "written to single chunks while degraded" "$(btrfs filesystem df /var/cache/system)" '^Data, single'
EOF2
}

disk2_back() {
	layout
	cat <<'EOF2'
sv
t_match "disk2 reported back" "$out" 'disk2 returned'
t_match "scrub reported" "$out" 'scrub started'
t_ok "md recovery of mosboot finishes" sh -c 'mdadm --wait /dev/md/mosboot; true'
t_ok "md recovery of mosefi finishes" sh -c 'mdadm --wait /dev/md/mosefi; true'
t_match "both arrays whole again" "$(cat /proc/mdstat | tr '\n' ' ')" '\[UU\].*\[UU\]'
t_match "btrfs mounted without degraded" "$(grep ' /var/cache/system ' /proc/mounts)" 'subvol=/system'
t_eq "not degraded" "$(grep -c degraded /proc/mounts)" 0
i=0; while [ $i -lt 120 ] && ! grep -q 'state=done' /run/sysvol/scrub 2>/dev/null; do sleep 1; i=$((i + 1)); done
t_match "scrub done, nothing uncorrectable" "$(cat /run/sysvol/scrub)" 'state=done'
t_eq "no uncorrectable errors" "$(grep -c 'uncorrectable=[1-9]' /run/sysvol/scrub)" 0
t_match "single chunks converted back" "$(cat /run/sysvol/scrub)" 'balance=done converted=[1-9]'
t_eq "no single chunks left" "$(btrfs filesystem df /var/cache/system | grep -c -E '^(Data|Metadata|System), single')" 0
t_ok "the file written while degraded" sha256sum -c -s /var/cache/system/big.sum
t_ok "the degraded record is gone" test ! -e /boot/sysvol/degraded
t_eq "the data written while degraded" "$(cat /var/cache/system/two)" two
EOF2
}

disk1_gone() {
	layout
	cat <<'EOF2'
sv
t_match "degraded, missing disk1" "$out" 'missing disk1'
t_match "md arrays started with one member" "$(cat /proc/mdstat | tr '\n' ' ')" '\[2/1\].*\[2/1\]'
t_eq "the data written while disk 2 was away" "$(cat /var/cache/system/two)" two
echo three >/var/cache/system/three
EOF2
}

disk1_alone() {
	layout
	cat <<'EOF2'
sv
t_match "degraded, missing disk2" "$out" 'missing disk2'
t_ok "disk 1 does not have what disk 2 wrote alone" test ! -e /var/cache/system/three
echo four >/var/cache/system/four
EOF2
}

split() {
	layout
	cat <<'EOF2'
e2=$(events "$(part "$D2" 3)")
sv
t_match "split brain reported" "$out" 'SPLIT BRAIN'
t_match "which half is mounted" "$out" 'mounted disk1, disk2 kept untouched'
t_match "what the operator must decide" "$out" 'operator must decide'
t_eq "mounted the half that ran last" "$(cat /var/cache/system/four)" four
t_match "md arrays with one member only" "$(cat /proc/mdstat | tr '\n' ' ')" '\[2/1\].*\[2/1\]'
t_match "btrfs mounted degraded" "$(grep ' /var/cache/system ' /proc/mounts)" 'degraded'
t_eq "disk2's mosboot member untouched" "$(events "$(part "$D2" 3)")" "$e2"
t_match "recorded as split" "$(cat /run/sysvol/degraded)" 'state=split'
EOF2
}

guest() { first; }

check() {
	. tests/vm/boots.sh
	boot disk2-gone disk2_gone disk1="$DISK1"
	boot disk2-back disk2_back disk1="$DISK1" disk2="$DISK2"
	boot disk1-gone disk1_gone disk2="$DISK2"
	boot disk1-alone disk1_alone disk1="$DISK1"
	boot split split disk1="$DISK1" disk2="$DISK2"
}
