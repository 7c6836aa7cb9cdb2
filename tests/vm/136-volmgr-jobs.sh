# volmgr's jobs beyond its own: an md resync the kernel runs shows in the
# jobs list with progress, speed and time left from sysfs, cannot be
# cancelled (a check can, and is), and its end reaches a subscriber as a
# job_end. A btrfs RAID1 on partitions of disks 2+3: a throttled scrub
# cancelled while running, a query answered meanwhile, then resize_max
# growing both partitions and both devices (btrfs resizes none below
# 256 MiB), then unmounted with no restart; a caller in the socket's
# group who is not root may query but not change; a missing mkfs tool is
# named with its package. The CLI draws its progress bar on a terminal (a
# pty) and not into a pipe. An xfs on a partition is grown online with
# the partition; the host checks it with xfs_info and xfs_repair.
disks="virtio:640M virtio:320M virtio:320M"
profile=tools
timeout=600

prepare() {
	mkdir -p "$work/root/test"
	for t in vm_subscribe vm_pty vm_asuser; do
		musl-gcc -std=gnu11 -D_GNU_SOURCE -static -O2 -Wall -Wextra -Werror tests/vm/$t.c \
			-o "$work/root/test/$t" || return 1
	done
}

guest() {
	cat <<'EOF2'
S=/run/vmtest.sock
V="volmgr --socket $S"
json() { $V "$@" --json; }
field() { # KEY: the first "KEY": value of the JSON on stdin (strings unquoted)
	tr ',{}' '\n\n\n' | sed -n "s/^ *\"$1\": *\"\{0,1\}\([^\"]*\)\"\{0,1\} *$/\1/p" | head -n 1
}
volmgr daemon --socket $S --group 1000 >>/tmp/daemon.log 2>&1 &
DPID=$!
i=0
while [ ! -S $S ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
t_ok "daemon listens" test -S $S
/test/vm_subscribe $S >/tmp/events 2>&1 &
SUB=$!

# ---- an md resync as a job ----
ended() { # ID: the job's status (without blanks) once it no longer runs
	i=0
	while [ $i -lt 60 ]; do
		st=$(json job "$1" | tr -d ' \n')
		printf '%s' "$st" | grep -q '"state":"running"' || break
		sleep 0.5; i=$((i + 1))
	done
	printf '%s' "$st"
}
mdj() { # the md.sync job's status line of the jobs list, without blanks
	json jobs | tr -d ' \n' | grep -o '{"job":[0-9]*,"method":"md.sync"[^}]*}[^]]*' | head -n 1
}
modprobe raid1 # /proc/sys/dev/raid comes with md
echo 1000 >/proc/sys/dev/raid/speed_limit_min
echo 3000 >/proc/sys/dev/raid/speed_limit_max
t_ok "md RAID1 on disks 2+3" mdadm --create /dev/md7 --run --level=1 --raid-devices=2 \
	--metadata=1.2 --bitmap=none --size=32M "$DISK2" "$DISK3"
i=0
while [ $i -lt 40 ]; do
	j=$(mdj)
	printf '%s' "$j" | grep -q '"progress":[0-9]' && printf '%s' "$j" | grep -q '"rate":[1-9]' && break
	sleep 0.5; i=$((i + 1))
done
t_match "jobs lists the resync with progress and speed" "$j" \
	'"state":"running".*"resource":"md:md7".*"progress":[0-9.]+,"rate":[0-9.e+]+,"rate_unit":"bytes/s","eta_seconds":[0-9.e+]+'
t_match "... what it is" "$j" '"md":\{"array":"md7","action":"resync","done_bytes":[0-9]+,"total_bytes":[1-9]'
id=$(printf '%s' "$j" | field job)
st=$(json job "$id" | tr -d ' \n')
t_match "job_status: the resync, running" "$st" '"method":"md.sync","state":"running"'
total=$(awk '{print $3 * 512}' /sys/block/md7/md/sync_completed)
t_eq "job_status: its size is sysfs' sync_completed total" \
	"$(printf '%s' "$st" | grep -o '"total_bytes":[0-9]*' | cut -d: -f2)" "$total"
t_match "a resync cannot be cancelled" "$($V cancel "$id" 2>&1)" 'cannot be stopped'
t_eq "one job for one resync" "$(json jobs | grep -c '"md.sync"')" 1
echo 200000 >/proc/sys/dev/raid/speed_limit_max
i=0
while grep -q resync /sys/block/md7/md/sync_action && [ $i -lt 240 ]; do sleep 0.5; i=$((i + 1)); done
s=$(ended "$id")
t_match "the job is done when the kernel is" "$s" '"state":"done","queued":false.*"progress":100'
t_match "... its result" "$s" '"result":\{"array":"md7","action":"resync","sync_action":"idle","degraded":0'
i=0
while ! grep -q '"method":"md.sync"' /tmp/events && [ $i -lt 20 ]; do sleep 0.5; i=$((i + 1)); done
t_match "subscriber: job_end of the resync" "$(cat /tmp/events)" \
	"\"event\":\"job_end\",\"data\":\\{\"job\":$id,\"method\":\"md.sync\",\"state\":\"done\"\\}"
# a check may be stopped
echo 2000 >/proc/sys/dev/raid/speed_limit_max
echo check >/sys/block/md7/md/sync_action
i=0
while [ $i -lt 20 ]; do
	j=$(mdj)
	printf '%s' "$j" | grep -q '"action":"check"' && break
	sleep 0.5; i=$((i + 1))
done
cid=$(printf '%s' "$j" | field job)
t_match "a check is a job too, and a new one" "$cid" '^[0-9]+$'
t_ok "cancel the check" $V cancel "$cid"
s=$(ended "$cid")
t_match "the check job ends cancelled" "$s" '"state":"cancelled"'
t_eq "the kernel stopped it" "$(cat /sys/block/md7/md/sync_action)" idle
mdadm --stop /dev/md7 >/dev/null 2>&1
mdadm --zero-superblock "$DISK2" "$DISK3" >/dev/null 2>&1

# ---- a btrfs RAID1 on partitions of disks 2+3 ----
t_match "a missing mkfs tool: -32000, naming it and its package" \
	"$($V create-filesystem --device "$DISK2" --fstype bcachefs --force 2>&1)" \
	'bcachefs is not installed \(Debian package bcachefs-tools provides it\) \(code -32000'
for d in "$DISK2" "$DISK3"; do $V create-partition --disk "$d" --name r --size 134217728 >/dev/null; done
Q2=$(ls /dev/${DISK2#/dev/}*1) Q3=$(ls /dev/${DISK3#/dev/}*1)
t_ok "btrfs RAID1 on partitions of disks 2+3" mkfs.btrfs -q -f -d raid1 -m raid1 "$Q2" "$Q3"
btrfs device scan >/dev/null 2>&1
t_ok "mount it" $V mount --source "$Q2" --target /mnt/r --fstype btrfs
dd if=/dev/urandom of=/mnt/r/data bs=1M count=24 2>/dev/null
sync
t_match "uid 1000, in the socket's group, may query" \
	"$(/test/vm_asuser 1000 1000 volmgr --socket $S subvolumes --mount-point /mnt/r --json 2>&1)" '^\['
t_match "... but not change, not even a dry run" \
	"$(/test/vm_asuser 1000 1000 volmgr --socket $S create-subvolume x --mount-point /mnt/r --dry-run 2>&1)" \
	'permission denied: storage.create_subvolume .*uid 1000.*code -32001'
t_match "balance by default: chunks at most 50% full" \
	"$(json balance-start /mnt/r --dry-run | tr -d ' \n')" '"full":false,"usage_filter":50'
t_match "... every chunk with --full" \
	"$(json balance-start /mnt/r --dry-run --full | tr -d ' \n')" '"full":true,"usage_filter":null'
fsid=$(btrfs filesystem show /mnt/r | sed -n 's/.*uuid: *//p')
for f in /sys/fs/btrfs/$fsid/devinfo/*/scrub_speed_max; do echo 1048576 >"$f"; done
id=$($V scrub-start /mnt/r --no-wait --json | field job)
read -r u0 rest </proc/uptime
d=$(json disks)
read -r u1 rest </proc/uptime
t_match "a query while the scrub runs" "$d" "\"name\": *\"${DISK2#/dev/}\""
t_ok "... answered at once ($u0 -> $u1)" awk -v a="$u0" -v b="$u1" 'BEGIN { exit !(b - a < 2) }'
sleep 1
t_match "the throttled scrub is running" "$(json job "$id" | tr -d ' \n')" '"state":"running","queued":false'
t_ok "cancel the running scrub" $V cancel "$id"
s=$(ended "$id")
t_match "the scrub job ends cancelled" "$s" '"state":"cancelled"'
t_match "scrub status: cancelled" "$(json scrub-status /mnt/r)" '"state": *"cancelled"'
for f in /sys/fs/btrfs/$fsid/devinfo/*/scrub_speed_max; do echo 0 >"$f"; done
s2=$(blockdev --getsize64 "$Q2")
t_ok "resize-max with --grow-partition" $V resize-max /mnt/r --grow-partition
n2=$(blockdev --getsize64 "$Q2") n3=$(blockdev --getsize64 "$Q3")
t_ok "both partitions grew ($s2 -> $n2, $n3)" test "$n2" -gt "$s2" -a "$n3" -gt "$s2"
t_eq "btrfs: each device fills its partition, not only devid 1" \
	"$(btrfs filesystem show --raw /mnt/r | awk '$1=="devid" {print $4}' | sort -n | tr '\n' ' ')" \
	"$(printf '%s\n' "$n2" "$n3" | sort -n | tr '\n' ' ')"
t_ok "unmount it: the ended jobs hold nothing open on it" $V unmount /mnt/r

# ---- xfs grown with its partition; the bar on a terminal only ----
n1=${DISK1#/dev/}
$V create-partition --disk "$DISK1" --name vmxfs --size 335544320 >/dev/null
P1=$(ls /dev/${n1}*1)
mkdir -p /dev/pts && mount -t devpts -o ptmxmode=0666 devpts /dev/pts
[ -e /dev/ptmx ] || ln -s pts/ptmx /dev/ptmx
/test/vm_pty - volmgr --socket $S create-filesystem --device "$P1" --fstype xfs \
	--label VMXFS >/tmp/pty.out
t_eq "xfs on disk 1, on a terminal" "$?" 0
t_match "a terminal gets the progress bar" "$(tr '\r' '\n' </tmp/pty.out)" \
	'^volmgr: create-filesystem \[#{30}\] 100%$'
t_ok "mount the xfs" $V mount --source "$P1" --target /mnt/x --fstype xfs
dd if=/dev/urandom of=/mnt/x/data bs=64k count=32 2>/dev/null
b=$(df -k /mnt/x | awk 'NR==2 {print $2}')
json partitions >/dev/null # the daemon keeps this view up to 2 s
out=$($V resize-max /mnt/x --grow-partition 2>&1)
t_ok "resize-max through a pipe" test $? = 0
t_eq "a pipe gets no bar" "$(printf '%s' "$out" | grep -c 'resize-max \[')" 0
t_eq "the next query sees the partition's new size" \
	"$(json partitions | tr -d ' \n' | grep -o "\"name\":\"$n1[p]*1\"[^}]*" | field size_bytes)" \
	"$(blockdev --getsize64 "$P1")"
a=$(df -k /mnt/x | awk 'NR==2 {print $2}')
t_ok "the xfs grew online ($b -> $a KiB)" test "$a" -gt $((b * 3 / 2))
t_ok "its data is intact" test "$(stat -c %s /mnt/x/data)" = 2097152
t_ok "unmount the xfs" $V unmount /mnt/x
kill $SUB 2>/dev/null
kill "$DPID"; wait "$DPID" 2>/dev/null
sync
[ "${t_failed:-0}" = 0 ] || { echo "--- daemon log:"; cat /tmp/daemon.log; }
EOF2
}

check() {
	t_ok "sgdisk -v: disk 1" sh -c "sgdisk -v '$DISK1' | grep -q 'No problems found'"
	psize=$(($(img_part "$DISK1" 1 size) * 512))
	t_ok "the partition grew past 600 MiB ($psize)" test "$psize" -gt $((600 << 20))
	img_extract "$DISK1" 1 "$work/p1.img"
	t_ok "xfs_repair -n on the grown xfs" xfs_repair -n "$work/p1.img"
	info=$(xfs_info "$work/p1.img" 2>&1)
	bsize=$(printf '%s\n' "$info" | sed -n 's/^data *= *bsize=\([0-9]*\) *blocks=\([0-9]*\).*/\1/p')
	blocks=$(printf '%s\n' "$info" | sed -n 's/^data *= *bsize=\([0-9]*\) *blocks=\([0-9]*\).*/\2/p')
	t_ok "xfs_info: the xfs fills its partition ($blocks blocks of $bsize)" \
		test $((${blocks:-0} * ${bsize:-0})) -gt $((psize - (16 << 20)))
	rm -f "$work/p1.img"
}
