# volmgr's storage methods driven through its CLI against the daemon in
# the guest. Disk 1 stands for the node sysvol provisioned (a MOSDATA
# btrfs with the core subvolumes mounted); the daemon then manages disk
# 2 through a whole story: partition, vfat and btrfs, mount, subvolume,
# snapshot, quota, scrub, balance and defrag as jobs, resize_max growing
# the partition and the filesystem, unmount. Disks 3+4 are a btrfs
# RAID1 (the second member refused while mounted, then degraded with a
# member missing for storage.health); disk 5 is a QEMU NVMe disk for
# storage.smart; disk 6 an ext4 grown online with its partition; disks
# 7+8 an md RAID1 that loses a member. A subscriber on the socket gets
# job_end and array_degraded events. The scrub's result must survive a
# daemon restart, and a stopped daemon leaves nothing mounted. The host checks disks 2 and 6 with sgdisk, fsck.fat,
# btrfs check and e2fsck.
disks="virtio:256M virtio:768M virtio:160M virtio:160M nvme:64M virtio:96M virtio:32M virtio:32M"
profile=tools
timeout=900

prepare() {
	mkdir -p "$work/root/test"
	musl-gcc -std=gnu11 -static -O2 -Wall -Wextra -Werror tests/vm/vm_subscribe.c \
		-o "$work/root/test/vm_subscribe"
}

guest() {
	cat <<'EOF2'
S=/run/vmtest.sock
V="volmgr --socket $S"
json() { $V "$@" --json; }
field() { # KEY: the first "KEY": value of the JSON on stdin (strings unquoted)
	tr ',{}' '\n\n\n' | sed -n "s/^ *\"$1\": *\"\{0,1\}\([^\"]*\)\"\{0,1\} *$/\1/p" | head -n 1
}
start_daemon() {
	volmgr daemon --socket $S --state-dir /var/lib/volmgr >>/tmp/daemon.log 2>&1 &
	DPID=$!
	i=0
	while [ ! -S $S ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
	t_ok "daemon listens" test -S $S
}
refused() { # NAME PATTERN CMD...: CMD fails, its message matches PATTERN
	name=$1 pat=$2
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	t_eq "$name: refused" "$rc" 1
	t_match "$name: says why" "$out" "$pat"
}
n2=${DISK2#/dev/}

# ---- the provisioned node: MOSDATA with its core subvolumes ----
t_ok "MOSDATA on disk 1" mkfs.btrfs -q -f -L MOSDATA "$DISK1"
mkdir -p /mnt/top && mount -t btrfs "$DISK1" /mnt/top
for s in system etc modules vm-meta mos-bin; do btrfs -q subvolume create /mnt/top/$s >/dev/null; done
umount /mnt/top
mkdir -p /var/cache/system && mount -t btrfs -o subvol=system "$DISK1" /var/cache/system
start_daemon
/test/vm_subscribe $S >/tmp/events 2>&1 &
SUB=$!

# ---- queries ----
t_match "disks lists disk 2" "$(json disks)" "\"name\": *\"$n2\""
t_match "free space of blank disk 2: no table yet" "$(json free-space "$DISK2")" '"partition_table": *false'
t_match "topologies: BtrfsRaid1 fits disks 2..4" "$(json topologies)" '"name": *"BtrfsRaid1"'
t_match "subvolumes of MOSDATA (top level mounted privately)" "$(json subvolumes)" '"name": *"vm-meta"'
t_match "core subvolume marked" "$(json subvolumes | tr -d ' \n' | grep -o '"name":"system"[^}]*')" '"core":true'

# ---- partition ----
dry=$(json create-partition --disk "$DISK2" --name vmefi --type esp --size 67108864 --dry-run)
t_match "dry run says what it would do" "$dry" '"dry_run": *true'
t_eq "dry run wrote nothing" "$(dd if="$DISK2" bs=512 skip=1 count=1 2>/dev/null | head -c 8)" ""
t_match "partition 1 (esp, 64 MiB)" \
	"$(json create-partition --disk "$DISK2" --name vmefi --type esp --size 67108864)" '"created_table": *true'
t_match "partition 2 (linux, 256 MiB)" \
	"$(json create-partition --disk "$DISK2" --name vmdata --size 268435456)" '"number": *2'
P1=$(ls /dev/${n2}*1) P2=$(ls /dev/${n2}*2)
t_ok "the kernel sees both" test -b "$P1" -a -b "$P2"
t_match "free space behind them" "$(json free-space "$DISK2")" '"partition_table": *true'

# ---- format (jobs, waited for) ----
t_ok "vfat on partition 1" $V create-filesystem --device "$P1" --fstype vfat --label VMEFI
t_ok "btrfs on partition 2" $V create-filesystem --device "$P2" --fstype btrfs --label VMDATA
t_eq "blkid: vfat label" "$(blkid -o value -s LABEL "$P1")" VMEFI
t_eq "blkid: btrfs label" "$(blkid -o value -s LABEL "$P2")" VMDATA
refused "format again without force" "holds a vfat signature.*force" $V create-filesystem --device "$P1" --fstype vfat

# ---- mount, subvolumes, snapshot, quota ----
t_ok "mount the btrfs" $V mount --source "$P2" --target /mnt/vd --fstype btrfs --options noatime
t_match "mounted" "$(grep " /mnt/vd " /proc/self/mountinfo)" noatime
t_ok "mount the vfat" $V mount --source "$P1" --target /mnt/ve --fstype vfat
echo hello >/mnt/ve/hello.txt
refused "format a mounted device, even forced" "mounted" $V create-filesystem --device "$P2" --fstype ext4 --force
t_ok "subvolume app" $V create-subvolume app --mount-point /mnt/vd
t_ok "btrfs-progs sees app" sh -c "btrfs subvolume list /mnt/vd | grep -q ' path app$'"
dd if=/dev/urandom of=/mnt/vd/app/data bs=64k count=64 2>/dev/null
sync
t_ok "snapshot app" $V snapshot app app-snap --mount-point /mnt/vd
t_eq "snapshot is read-only" "$(btrfs property get -ts /mnt/vd/app-snap ro)" "ro=true"
t_ok "snapshot holds the data" cmp /mnt/vd/app/data /mnt/vd/app-snap/data
q=$(json set-quota app 10485760 --mount-point /mnt/vd)
t_match "quota: quotas were off and got enabled" "$q" '"quotas_enabled": *true'
t_match "qgroup limit as btrfs-progs shows it" "$(btrfs qgroup show -re --raw /mnt/vd)" "10485760"
refused "a subvolume name with /" "/" $V create-subvolume a/b --mount-point /mnt/vd
refused "a core subvolume" "core subvolume" $V delete-subvolume system
refused "a target with .." "\.\." $V mount --source "$P2" --target /mnt/../x
t_ok "delete the snapshot" $V delete-subvolume app-snap --mount-point /mnt/vd

# ---- io_stats while the guest writes ----
json io-stats --device "$n2" >/dev/null
sleep 2
dd if=/dev/zero of=/mnt/vd/app/zero bs=1M count=24 oflag=direct 2>/dev/null
sleep 2
io=$(json io-stats --device "$n2" | tr -d ' \n' | grep -o '"10s":{[^}]*}')
w=$(printf '%s' "$io" | sed -n 's/.*"write_bytes_per_second":\([0-9.e+]*\).*/\1/p')
t_ok "io_stats: writes seen in the 10 s window ($w B/s)" awk -v w="${w:-0}" 'BEGIN { exit !(w > 100000) }'
t_match "io_stats: write IOPS and latency" "$io" '"write_iops":[1-9]'

# ---- scrub, balance, defrag as jobs ----
t_ok "scrub (job, waited for)" $V scrub-start /mnt/vd
st=$(json scrub-status /mnt/vd)
t_match "scrub status: done" "$st" '"state": *"done"'
t_match "scrub status: no errors" "$st" '"csum_errors": *0'
t_ok "balance (job)" $V balance-start /mnt/vd
t_match "balance status: idle after" "$(json balance-status /mnt/vd)" '"state": *"idle"'
id=$($V defrag /mnt/vd --no-wait --json | field job)
t_match "defrag answers a job id at once" "$id" '^[0-9][0-9]*$'
i=0
while [ $i -lt 60 ]; do
	s=$(json job "$id")
	printf '%s' "$s" | grep -q '"state": *"running"\|"state": *"queued"' || break
	sleep 0.5; i=$((i + 1))
done
t_match "defrag job done" "$s" '"state": *"done"'
refused "cancel a finished job" "has ended" $V cancel "$id"
t_match "a job method's dry run answers a plan, not a job" "$(json scrub-start /mnt/vd --dry-run)" '"bytes_to_read": *[1-9]'
t_match "jobs lists them" "$(json jobs | tr -d ' \n')" '"method":"storage.scrub_start","state":"done"'
t_match "defrag job result counts files" "$(printf '%s' "$s" | tr -d ' \n')" '"result":\{"path":"/mnt/vd","files":[1-9]'

# ---- resize_max: grow partition 2 into the free space, then btrfs ----
before=$(blockdev --getsize64 "$P2")
json partitions >/dev/null # the daemon keeps this view up to 2 s
r=$(json resize-max /mnt/vd --grow-partition)
t_ok "resize-max ran" test -n "$r"
after=$(blockdev --getsize64 "$P2")
t_ok "partition 2 grew ($before -> $after)" test "$after" -gt "$before"
t_eq "the next query sees the new size (the job marked the view stale)" \
	"$(json partitions | tr -d ' \n' | grep -o "\"name\":\"${P2#/dev/}\"[^}]*" | field size_bytes)" "$after"
t_eq "btrfs uses the whole partition" \
	"$(btrfs filesystem show --raw /mnt/vd | awk '$1=="devid" {print $4}')" "$after"

# ---- the second member of a mounted btrfs RAID1 ----
t_ok "btrfs RAID1 on disks 3+4" mkfs.btrfs -q -f -d raid1 -m raid1 "$DISK3" "$DISK4"
btrfs device scan >/dev/null 2>&1
mkdir -p /mnt/r && mount -t btrfs "$DISK3" /mnt/r
refused "second member of a mounted RAID1" "member of the btrfs mounted on /mnt/r" \
	$V create-filesystem --device "$DISK4" --fstype vfat --force
refused "partition the second member" "member of the btrfs" \
	$V create-partition --disk "$DISK4" --name x
t_match "health ok with both mirrors" "$(json health --usage-threshold 100)" '"verdict": *"ok"'
umount /mnt/r
wipefs -q -a "$DISK4"
btrfs device scan --forget >/dev/null 2>&1
t_ok "mount the mirror degraded" mount -t btrfs -o degraded "$DISK3" /mnt/r
h=$(json health --usage-threshold 100)
t_match "health: degraded" "$h" '"verdict": *"degraded"'
t_match "health: names the missing device" "$h" '"reason": "device 2 of the btrfs on /mnt/r is missing"'
t_match "health: suggests an action" "$h" '"action": "replace it: btrfs replace start 2 /dev/NEW /mnt/r"'
# a 160 MiB member: the kernel will not size a btrfs device under 256 MiB
refused "resize-max of a btrfs on 160 MiB devices" "resize device 1 to max: the result would be under btrfs's 256 MiB minimum" \
	$V resize-max /mnt/r

# ---- ext4 grown online, its partition first ----
n6=${DISK6#/dev/}
$V create-partition --disk "$DISK6" --name small --size 33554432 >/dev/null
P6=$(ls /dev/${n6}*1)
t_ok "ext4 on disk 6" $V create-filesystem --device "$P6" --fstype ext4 --label SMALL
t_ok "mount the ext4" $V mount --source "$P6" --target /mnt/x4 --fstype ext4
b4=$(df -k /mnt/x4 | awk 'NR==2 {print $2}')
t_ok "resize-max the ext4 with its partition" $V resize-max /mnt/x4 --grow-partition
a4=$(df -k /mnt/x4 | awk 'NR==2 {print $2}')
t_ok "ext4 grew online ($b4 -> $a4 KiB)" test "$a4" -gt $((b4 * 2))
# it held the whole disk, as partition jobs on that disk do, not just the partition
t_match "the ext4 resize held disk 6 itself" "$(json jobs | tr -d ' \n')" \
	"\"method\":\"storage.resize_max\",[^}]*\"resource\":\"dev:$n6\""
t_ok "unmount the ext4" $V unmount /mnt/x4

# ---- md ----
t_ok "md RAID1 on disks 7+8" mdadm --create /dev/md9 --run --level=1 --raid-devices=2 \
	--metadata=1.2 "$DISK7" "$DISK8"
mdadm --wait /dev/md9 >/dev/null 2>&1
t_match "md lists md9" "$(json md)" '"name": "md9"'
d=$(json md-detail md9 | tr -d ' \n')
t_match "md-detail: raid1, two in_sync members" "$d" '"level":"raid1".*"state":"in_sync".*"state":"in_sync"'
mdadm --manage /dev/md9 --fail "$DISK8" >/dev/null 2>&1
h=$(json health --usage-threshold 100)
t_match "health: md9 degraded" "$h" '"reason": "array md9 \(raid1\) is degraded: 1 of 2 slots'
t_match "health: the faulty member named" "$h" '"action": "remove and replace it: mdadm --manage /dev/md9 --remove '"$DISK8"'"'
t_match "md-detail: the member faulty" "$(json md-detail md9 | tr -d ' \n')" '"state":"faulty'
i=0
while ! grep -q '"event":"array_degraded".*md9' /tmp/events && [ $i -lt 40 ]; do sleep 0.5; i=$((i + 1)); done
t_match "subscriber: array_degraded for md9" "$(cat /tmp/events)" '"event":"array_degraded","data":\{"subject":"md9","level":"degraded"'
t_match "subscriber: job_end of the scrub" "$(cat /tmp/events)" '"event":"job_end","data":\{"job":[0-9]+,"method":"storage.scrub_start","state":"done"\}'
t_match "subscriber: array_degraded for the btrfs mirror" "$(cat /tmp/events)" '"event":"array_degraded","data":\{"subject":"/mnt/r devid 2"'
kill $SUB 2>/dev/null
mdadm --stop /dev/md9 >/dev/null 2>&1

# ---- SMART ----
nv=$(for b in /sys/block/nvme*; do echo "${b##*/}"; done | head -n 1)
sm=$(json smart "/dev/$nv")
t_match "smart on QEMU's NVMe: read" "$sm" '"read": *true'
t_match "smart: NVMe log decoded" "$sm" '"power_cycles"'
t_match "smart on virtio: unsupported" "$(json smart "$DISK2")" '"kind": *"unsupported"'

# ---- scrub status survives a restart ----
t_match "the daemon mounted MOSDATA's top level for itself" \
	"$(grep -c ' /run/mos_volmgrd/mosdata ' /proc/self/mountinfo)" '^1$'
kill "$DPID"; wait "$DPID" 2>/dev/null
t_eq "a daemon stopped by SIGTERM leaves it unmounted" \
	"$(grep -c ' /run/mos_volmgrd/mosdata ' /proc/self/mountinfo)" 0
start_daemon
t_match "scrub status after a restart" "$(json scrub-status /mnt/vd)" '"state": *"done"'

# ---- unmount ----
t_ok "unmount the vfat" $V unmount /mnt/ve
t_ok "unmount the btrfs" $V unmount /mnt/vd
t_eq "nothing of disk 2 mounted" "$(grep -c "^/dev/$n2" /proc/mounts)" 0
kill "$DPID"; wait "$DPID" 2>/dev/null
sync
[ "${t_failed:-0}" = 0 ] || { echo "--- daemon log:"; cat /tmp/daemon.log; }
EOF2
}

check() {
	t_ok "sgdisk -v: disk 2's table is sound" sh -c "sgdisk -v '$DISK2' | grep -q 'No problems found'"
	info=$(sgdisk -p "$DISK2")
	t_match "sgdisk: partition 1 is an EFI system partition named vmefi" "$info" " 1 .*EF00 *vmefi"
	t_match "sgdisk: partition 2 named vmdata" "$info" " 2 .*8300 *vmdata"
	img_extract "$DISK2" 1 "$work/p1.img"
	img_extract "$DISK2" 2 "$work/p2.img"
	t_ok "fsck.fat -n on partition 1" fsck.fat -n "$work/p1.img"
	t_ok "the vfat holds hello.txt" sh -c "mdir -i '$work/p1.img' ::/ 2>/dev/null | grep -qi hello || fsck.fat -l -n '$work/p1.img' | grep -qi hello"
	t_ok "btrfs check on partition 2" btrfs check --readonly "$work/p2.img"
	rm -f "$work/p1.img" "$work/p2.img"
	t_ok "sgdisk -v: disk 6" sh -c "sgdisk -v '$DISK6' | grep -q 'No problems found'"
	t_ok "disk 6: the partition grew past 90 MiB" test $(($(img_part "$DISK6" 1 size) * 512)) -gt $((90 << 20))
	img_extract "$DISK6" 1 "$work/p6.img"
	t_ok "e2fsck -fn on disk 6's ext4" e2fsck -fn "$work/p6.img"
	blocks=$(dumpe2fs -h "$work/p6.img" 2>/dev/null | awk -F: '/^Block count/ {print $2}')
	bsize=$(dumpe2fs -h "$work/p6.img" 2>/dev/null | awk -F: '/^Block size/ {print $2}')
	t_ok "the ext4 fills its partition" test $((blocks * bsize)) -gt $((90 << 20))
	rm -f "$work/p6.img"
}
