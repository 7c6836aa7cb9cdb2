# volmgr's jobs beyond its own: an md resync the kernel runs shows in the
# jobs list with progress, speed and time left from sysfs, cannot be
# cancelled (a check can, and is), and its end reaches a subscriber as a
# job_end. The CLI draws its progress bar on a terminal (a pty) and not
# into a pipe. An xfs on a partition is grown online with the partition
# by resize_max; the host checks it with xfs_info and xfs_repair.
disks="virtio:640M virtio:40M virtio:40M"
profile=tools
timeout=600

prepare() {
	mkdir -p "$work/root/test"
	for t in vm_subscribe vm_pty; do
		musl-gcc -std=gnu11 -static -O2 -Wall -Wextra -Werror tests/vm/$t.c \
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
volmgr daemon --socket $S >>/tmp/daemon.log 2>&1 &
DPID=$!
i=0
while [ ! -S $S ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
t_ok "daemon listens" test -S $S
/test/vm_subscribe $S >/tmp/events 2>&1 &
SUB=$!

# ---- an md resync as a job ----
mdj() { # the md.sync job's status line of the jobs list, without blanks
	json jobs | tr -d ' \n' | grep -o '{"job":[0-9]*,"method":"md.sync"[^}]*}[^]]*' | head -n 1
}
modprobe raid1 # /proc/sys/dev/raid comes with md
echo 1000 >/proc/sys/dev/raid/speed_limit_min
echo 3000 >/proc/sys/dev/raid/speed_limit_max
t_ok "md RAID1 on disks 2+3" mdadm --create /dev/md7 --run --level=1 --raid-devices=2 \
	--metadata=1.2 --bitmap=none "$DISK2" "$DISK3"
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
i=0
while [ $i -lt 20 ]; do
	s=$(json job "$id" | tr -d ' \n')
	printf '%s' "$s" | grep -q '"state":"running"' || break
	sleep 0.5; i=$((i + 1))
done
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
i=0
while [ $i -lt 20 ]; do
	s=$(json job "$cid" | tr -d ' \n')
	printf '%s' "$s" | grep -q '"state":"running"' || break
	sleep 0.5; i=$((i + 1))
done
t_match "the check job ends cancelled" "$s" '"state":"cancelled"'
t_eq "the kernel stopped it" "$(cat /sys/block/md7/md/sync_action)" idle
mdadm --stop /dev/md7 >/dev/null 2>&1

# ---- xfs grown with its partition; the bar on a terminal only ----
n1=${DISK1#/dev/}
$V create-partition --disk "$DISK1" --name vmxfs --size 335544320 >/dev/null
P1=$(ls /dev/${n1}*1)
mkdir -p /dev/pts && mount -t devpts -o ptmxmode=0666 devpts /dev/pts
[ -e /dev/ptmx ] || ln -s pts/ptmx /dev/ptmx
t_ok "xfs on disk 1, on a terminal" /test/vm_pty /tmp/pty.out \
	volmgr --socket $S create-filesystem --device "$P1" --fstype xfs --label VMXFS
t_match "a terminal gets the progress bar" "$(tr '\r' '\n' </tmp/pty.out)" \
	'^volmgr: create-filesystem \[#{30}\] 100%'
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
	sgdisk -i 1 "$DISK1" >"$work/p1.info"
	first=$(sed -n 's/^First sector: \([0-9]*\).*/\1/p' "$work/p1.info")
	last=$(sed -n 's/^Last sector: \([0-9]*\).*/\1/p' "$work/p1.info")
	psize=$(((last - first + 1) * 512))
	t_ok "the partition grew past 600 MiB ($psize)" test "$psize" -gt $((600 << 20))
	dd if="$DISK1" of="$work/p1.img" bs=1M iflag=skip_bytes,count_bytes skip=$((first * 512)) \
		count="$psize" conv=sparse 2>/dev/null
	t_ok "xfs_repair -n on the grown xfs" xfs_repair -n "$work/p1.img"
	info=$(xfs_info "$work/p1.img" 2>&1)
	bsize=$(printf '%s\n' "$info" | sed -n 's/^data *= *bsize=\([0-9]*\) *blocks=\([0-9]*\).*/\1/p')
	blocks=$(printf '%s\n' "$info" | sed -n 's/^data *= *bsize=\([0-9]*\) *blocks=\([0-9]*\).*/\2/p')
	t_ok "xfs_info: the xfs fills its partition ($blocks blocks of $bsize)" \
		test $((${blocks:-0} * ${bsize:-0})) -gt $((psize - (16 << 20)))
	rm -f "$work/p1.img"
}
