# core/btrfs.c's ioctl wrappers on a real two-disk btrfs RAID1 (disks
# 1+2), and core/md.c's reader on an mdadm RAID1 (disks 3+4). A small
# static program built here from core (tests/vm/btrfs_ioctl.c) runs each
# wrapper; btrfs-progs, mdadm and /proc/mdstat check every result in the
# same guest: registration without udev, fs/device info, subvolumes and
# snapshots, quotas, scrub (repairing a block corrupted on one mirror),
# device error counters, balance with pause and cancel, resize of devid 2,
# defragmentation, md resync progress and a failed member.
disks="virtio:512M virtio:512M virtio:64M virtio:64M"
profile=tools
timeout=900

prepare() {
	mkdir -p "$work/root/test"
	musl-gcc -std=gnu11 -D_GNU_SOURCE -static -O2 -Wall -Wextra -Werror -Wno-format-truncation \
		-Icore -Ibuild/deps/include tests/vm/btrfs_ioctl.c core/btrfs.c core/md.c core/io.c core/crc.c core/cpu.c \
		core/num.c core/error.c -o "$work/root/test/btrfs_ioctl" || return 1
}

guest() {
	cat <<'EOF2'
B=/test/btrfs_ioctl
M=/mnt/b
mkdir -p $M
field() { # KEY LINE: the value of KEY=value in LINE
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1
}

# ---- registration without udev: SCAN_DEV and DEVICES_READY ----
t_ok "mkfs.btrfs RAID1 on disks 1+2" mkfs.btrfs -q -f -L bbt -d raid1 -m raid1 "$DISK1" "$DISK2"
btrfs device scan --forget >/dev/null 2>&1
t_eq "devices ready: disk 2 not registered" "$($B ready "$DISK1")" "ready=0"
t_ok "mount refused while disk 2 is unknown" sh -c "! mount -t btrfs $DISK1 $M 2>/dev/null"
t_eq "scan disk 2" "$($B scan "$DISK2")" ok
t_eq "devices ready after the scan" "$($B ready "$DISK1")" "ready=1"
t_ok "mount after our scan alone" mount -t btrfs "$DISK1" $M
t_match "scan of a file that is no btrfs" "$($B scan /proc/version)" '^error='

# ---- FS_INFO, DEV_INFO ----
sync
fi=$($B fsinfo $M)
uuid=$(btrfs filesystem show $M | sed -n 's/.*uuid: \([0-9a-f-]*\).*/\1/p')
super=$(btrfs inspect-internal dump-super "$DISK1")
sv() { printf '%s\n' "$super" | awk -v k="$1" '$1==k {print $2; exit}'; }
t_match "fs info: 2 devices, max id 2" "$fi" "^max_id=2 num_devices=2 "
t_eq "fs info: fsid as btrfs filesystem show" "$(field fsid "$fi")" "$uuid"
t_eq "fs info: node size as dump-super" "$(field nodesize "$fi")" "$(sv nodesize)"
t_eq "fs info: sector size as dump-super" "$(field sectorsize "$fi")" "$(sv sectorsize)"
gen=$(field generation "$fi")
t_ok "fs info: generation at least the superblock's ($gen)" test "$gen" -ge "$(sv generation)"
devs=$($B devices $M)
show=$(btrfs filesystem show --raw $M)
for id in 1 2; do
	ours=$(printf '%s\n' "$devs" | grep "^devid=$id ")
	theirs=$(printf '%s\n' "$show" | awk -v id=$id '$1=="devid" && $2==id {print "size=" $4 " used=" $6 " path=" $8}')
	t_eq "device $id: size, used, path as filesystem show" "$(printf '%s\n' "$ours" | sed 's/^devid=[0-9]* //; s/ uuid=.*//')" "$theirs"
done
d2=$(printf '%s\n' "$devs" | grep '^devid=2 ')
dev2=$(field path "$d2")
t_eq "device 2 is disk 2" "$dev2" "$DISK2"
t_eq "device 2: uuid as its superblock's dev_item" "$(field uuid "$d2")" \
	"$(btrfs inspect-internal dump-super "$DISK2" | awk '$1=="dev_item.uuid" {print $2}')"
t_match "device 3 does not exist" "$($B dev-info $M 3)" '^error=ENODEV'

# ---- subvolumes and snapshots ----
t_eq "create data" "$($B create $M data)" ok
echo "in data" >$M/data/f
mkdir $M/dir
t_eq "create dir/sub (in a directory)" "$($B create $M/dir sub)" ok
t_eq "create data/inner (nested)" "$($B create $M/data inner)" ok
t_eq "read-only snapshot of data" "$($B snapshot $M/data $M snap-ro ro)" ok
t_eq "writable snapshot of data into dir" "$($B snapshot $M/data $M/dir snap-rw)" ok
long=$(printf '%0255d' 0 | tr 0 x)
t_eq "a 255-byte name" "$($B create $M "$long")" ok
t_match "a 256-byte name" "$($B create $M "${long}x")" '^error=ENAMETOOLONG'
t_match "a name with /" "$($B create $M a/b)" '^error=EINVAL'
t_match "the name .." "$($B create $M ..)" '^error=EINVAL'
t_match "an empty name" "$($B create $M '')" '^error=EINVAL'
t_match "a name in use" "$($B create $M data)" '^error=EEXIST'
t_eq "the snapshot holds data's file" "$(cat $M/snap-ro/f)" "in data"
t_ok "the read-only snapshot refuses writes" sh -c "! echo x 2>/dev/null >$M/snap-ro/g"
t_eq "the writable one takes them" "$(echo y >$M/dir/snap-rw/g && cat $M/dir/snap-rw/g)" y
ours=$($B list $M | awk '{print $1, $2, $4}')
theirs=$(btrfs subvolume list -p $M | awk '{print $2, $6, $NF}')
t_eq "subvolume list: ids, parents, paths as btrfs subvolume list -p" "$ours" "$theirs"
t_match "subvolume list: all six" "$(printf '%s\n' "$ours" | wc -l)" '^ *6$'
t_eq "read-only ones as btrfs subvolume list -r" "$($B list $M | awk '$3==1 {print $1}')" \
	"$(btrfs subvolume list -r $M | awk '{print $2}')"
t_match "property ro of snap-ro" "$(btrfs property get -ts $M/snap-ro ro)" 'ro=true'
t_eq "delete dir/snap-rw by name" "$($B delete $M/dir snap-rw)" ok
subid=$(btrfs subvolume list $M | awk '$NF=="dir/sub" {print $2}')
t_eq "delete dir/sub by id ($subid)" "$($B delete-id $M "$subid")" ok
mkdir $M/plain
t_match "delete a directory that is no subvolume" "$($B delete $M plain)" '^error='
t_match "delete by a name with /" "$($B delete $M dir/sub)" '^error=EINVAL'
left=$(btrfs subvolume list $M | awk '{print $NF}' | tr '\n' ' ')
t_eq "btrfs subvolume list after the deletions" "$left" "data data/inner snap-ro $long "
t_eq "our list after the deletions" "$($B list $M | awk '{print $4}' | tr '\n' ' ')" "$left"

# ---- quotas ----
dataid=$(btrfs subvolume list $M | awk '$NF=="data" {print $2}')
t_match "limit before quotas are on" "$($B limit $M "$dataid" 10485760)" '^error=ENOTCONN'
t_eq "enable quotas" "$($B quota $M)" ok
btrfs quota rescan -w $M >/dev/null 2>&1
t_eq "limit 0/$dataid to 10 MiB" "$($B limit $M "$dataid" 10485760)" ok
t_match "qgroup show: the limit" "$(btrfs qgroup show -r --raw $M)" "^0/$dataid +[0-9]+ +[0-9]+ +10485760( |$)"
t_ok "20 MiB into data fails" sh -c "! dd if=/dev/zero of=$M/data/big bs=1M count=20 conv=fsync 2>/dev/null"
rm -f $M/data/big
t_eq "lift the limit" "$($B limit $M "$dataid" none)" ok
t_match "qgroup show: no limit" "$(btrfs qgroup show -r --raw $M)" "^0/$dataid +[0-9]+ +[0-9]+ +none( |$)"

# ---- scrub, with a block of one mirror corrupted; device error counters ----
dd if=/dev/zero of=$M/fill bs=1M count=48 conv=fsync 2>/dev/null
i=0
while [ $i -lt 4096 ]; do echo "BLOCKBOX-MARKER-"; i=$((i + 1)); done | tr -d '\n' >$M/marked
sync
off=$($B find "$DISK2" BLOCKBOX-MARKER- | head -n 1)
t_match "the marked file found on disk 2" "$off" '^[0-9]+$'
dd if=/dev/zero of="$DISK2" bs=4096 seek=$((off / 4096)) count=1 conv=notrunc oflag=direct 2>/dev/null
echo 3 >/proc/sys/vm/drop_caches
s2=$($B scrub $M 2)
t_match "scrub device 2: ends" "$s2" '^ok$'
t_match "scrub device 2: the corrupt block found" "$(field csum_errors "$s2")" '^[1-9]'
t_eq "scrub device 2: and repaired" "$(field corrected "$s2")" "$(field csum_errors "$s2")"
t_eq "scrub device 2: nothing uncorrectable" "$(field uncorrectable "$s2")" 0
stats=$(btrfs device stats $M)
for id in 1 2; do
	dev=$(printf '%s\n' "$devs" | grep "^devid=$id " | tr ' ' '\n' | sed -n 's/^path=//p')
	theirs=$(printf '%s\n' "$stats" | grep "^\[$dev\]\." | sed 's/^\[[^]]*\]\.//; s/ \+/=/' | tr '\n' ' ')
	t_eq "device $id: error counters as btrfs device stats" "$($B stats $M $id) " "$theirs"
done
t_match "device 2: the corruption counted" "$($B stats $M 2)" 'corruption_errs=[1-9]'
t_match "reset device 2's counters" "$($B stats $M 2 reset)" 'corruption_errs=[1-9]'
t_match "btrfs device stats after the reset" "$(btrfs device stats $M | grep "^\[$DISK2\]\.corruption")" ' 0$'
sync
s1=$($B scrub $M 1 ro)
s2=$($B scrub $M 2 ro)
progs=$(btrfs scrub start -B -d -R $M 2>&1)
printf '%s\n' "$progs" | sed 's/^/# btrfs scrub: /'
for id in 1 2; do
	eval "s=\$s$id"
	for k in data_bytes tree_bytes data_extents tree_extents; do
		theirs=$(printf '%s\n' "$progs" | awk -v id="(id $id)" -v k="${k}_scrubbed:" \
			'/[Ss]crub device .*\(id [0-9]+\)/ {cur = index($0, id) > 0} cur && $1 == k {print $2}')
		t_eq "scrub device $id: $k as btrfs scrub -R" "$(field $k "$s")" "$theirs"
	done
done
t_eq "btrfs scrub finds no error left" "$(printf '%s\n' "$progs" | awk '$1=="csum_errors:" {print $2}' | tr '\n' ' ')" "0 0 "
t_match "scrub progress with none running" "$($B scrub-progress $M 1)" '^error=ENOTCONN'
t_match "scrub cancel with none running" "$($B scrub-cancel $M)" '^error=ENOTCONN'
speed=/sys/fs/btrfs/$uuid/devinfo/1/scrub_speed_max
echo 1m >$speed
$B scrub $M 1 >/tmp/scrub.out &
scrub=$!
i=0
while [ $i -lt 100 ] && ! $B scrub-progress $M 1 >/tmp/progress; do sleep 0.1; i=$((i + 1)); done
t_match "scrub progress while one runs" "$(cat /tmp/progress)" '^data_bytes='
t_eq "cancel it" "$($B scrub-cancel $M)" ok
wait $scrub
t_match "the scrub ends cancelled" "$(cat /tmp/scrub.out)" 'error=ECANCELED'
echo 0 >$speed

# ---- balance ----
t_match "balance of empty chunks (usage=0)" "$($B balance $M 0)" 'ok$'
t_match "balance progress with none" "$($B balance-progress $M)" '^error=ENOTCONN'
t_match "btrfs balance status: none" "$(btrfs balance status $M)" 'No balance found'
paused=
for try in 1 2 3 4 5; do
	$B balance $M >/tmp/balance.out &
	bal=$!
	i=0
	while [ $i -lt 200 ] && ! $B balance-progress $M | grep -q '^running=1'; do i=$((i + 1)); done
	if [ "$($B balance-pause $M)" = ok ]; then
		paused=$try
		wait $bal
		break
	fi
	wait $bal
done
t_match "balance paused (try ${paused:-none})" "$(cat /tmp/balance.out)" 'error=ECANCELED balance paused'
t_match "btrfs balance status: paused" "$(btrfs balance status $M)" 'is paused'
t_match "balance progress of the paused one" "$($B balance-progress $M)" '^running=0 '
t_eq "cancel the paused balance" "$($B balance-cancel $M)" ok
t_match "btrfs balance status: none after the cancel" "$(btrfs balance status $M)" 'No balance found'
b=$($B balance $M 100 data)
t_match "balance of data chunks to the end" "$b" 'ok$'
t_match "it relocated chunks" "$(field completed "$(printf '%s\n' "$b" | head -n 1)")" '^[1-9]'

# ---- SPACE_INFO as btrfs filesystem df ----
sync
ours=$($B df $M | awk '{print $1 ", " $2 ": total=" $3 ", used=" $4}')
theirs=$(btrfs filesystem df --raw $M)
t_eq "space info as btrfs filesystem df --raw" "$ours" "$theirs"

# ---- resize of devid 2 ----
full=$(($(cat /sys/class/block/${DISK2#/dev/}/size) * 512))
size2() { btrfs filesystem show --raw $M | awk '$1=="devid" && $2==2 {print $4}'; }
size1=$(btrfs filesystem show --raw $M | awk '$1=="devid" && $2==1 {print $4}')
t_eq "shrink device 2 by 64 MiB" "$($B resize $M 2 -64m)" ok
t_eq "btrfs filesystem show: device 2 smaller" "$(size2)" $((full - 67108864))
t_eq "our device info agrees" "$($B dev-info $M 2)" "devid=2 size=$((full - 67108864))"
t_eq "device 1 untouched" "$(btrfs filesystem show --raw $M | awk '$1=="devid" && $2==1 {print $4}')" "$size1"
t_eq "grow device 2 to the whole disk" "$($B resize $M 2 max)" ok
t_eq "btrfs filesystem show: device 2 whole" "$(size2)" "$full"
t_match "a size word with a unit the kernel has not" "$($B resize $M 2 1mb)" '^error=EINVAL'
t_match "resize of a device not there" "$($B resize $M 3 max)" '^error=ENODEV'

# ---- defragmentation unshares a file from its snapshot ----
i=0
while [ $i -lt 64 ]; do
	# another file's block between each two of frag's: no two of its
	# extents are adjacent on disk, so none merge
	dd if=/dev/urandom of=$M/data/frag bs=4096 count=1 seek=$i conv=notrunc,fsync 2>/dev/null
	dd if=/dev/urandom of=$M/data/gap bs=4096 count=1 seek=$i conv=notrunc,fsync 2>/dev/null
	i=$((i + 1))
done
t_eq "snapshot of data for the defrag" "$($B snapshot $M/data $M snap-df ro)" ok
excl() { btrfs filesystem du --raw -s $M/data/frag | awk 'NR==2 {print $2}'; }
t_eq "before: the file shares every extent" "$(excl)" 0
t_eq "defragment it" "$($B defrag $M/data/frag)" ok
sync
t_eq "after: 256 KiB of its own" "$(excl)" 262144
t_ok "its content is the snapshot's" cmp $M/data/frag $M/snap-df/frag
umount $M

# ---- md: resync progress, a failed member ----
modprobe raid1
echo 1000 >/proc/sys/dev/raid/speed_limit_max
echo 100 >/proc/sys/dev/raid/speed_limit_min
t_ok "mdadm --create RAID1 on disks 3+4" mdadm --create /dev/md0 --run --level=1 \
	--raid-devices=2 --metadata=1.2 "$DISK3" "$DISK4"
sleep 2
ours=$($B md md0)
stat=$(cat /proc/mdstat)
t_eq "resyncing (mdstat: $(printf '%s\n' "$stat" | grep -o 'resync = [^(]*'))" "$(field sync_action "$ours")" resync
total=$(printf '%s\n' "$stat" | sed -n 's/.*resync = *[0-9.]*% ([0-9]*\/\([0-9]*\)).*/\1/p')
done_=$(printf '%s\n' "$stat" | sed -n 's/.*resync = *[0-9.]*% (\([0-9]*\)\/[0-9]*).*/\1/p')
t_eq "sync total as mdstat's (KiB)" "$(($(field sync_total "$ours") / 2))" "$total"
t_ok "sync done at most mdstat's later count" test "$(($(field sync_done "$ours") / 2))" -le "$done_"
t_match "progress in per mille" "$(field permille "$ours")" '^[0-9]+$'
echo 200000 >/proc/sys/dev/raid/speed_limit_max
mdadm --wait /dev/md0 >/dev/null 2>&1
ours=$($B md md0)
detail=$(mdadm --detail /dev/md0)
dv() { printf '%s\n' "$detail" | sed -n "s/^ *$1 : //p"; }
t_eq "level as mdadm --detail" "$(field level "$ours")" "$(dv 'Raid Level')"
t_eq "raid disks as mdadm --detail" "$(field raid_disks "$ours")" "$(dv 'Raid Devices')"
t_eq "array state as mdadm --detail" "$(field state "$ours")" "$(dv State | cut -d, -f1 | tr -d ' ')"
t_eq "idle after the resync" "$(field sync_action "$ours")" idle
t_eq "size as mdadm --detail (KiB)" "$(($(field size "$ours") / 1024))" "$(dv 'Array Size' | cut -d' ' -f1)"
t_eq "metadata as mdadm --detail" "$(field metadata "$ours")" "$(dv Version)"
t_eq "both members in sync" "$(printf '%s\n' "$ours" | grep '^member=' | tr '\n' ' ')" \
	"member=${DISK3#/dev/} slot=0 state=in_sync member=${DISK4#/dev/} slot=1 state=in_sync "
t_eq "md list" "$($B md list)" "md0 raid1"
t_ok "mdadm --fail disk 4" mdadm /dev/md0 --fail "$DISK4"
ours=$($B md md0)
detail=$(mdadm --detail /dev/md0)
t_match "mdadm --detail: degraded" "$(dv State)" 'degraded'
t_eq "degraded as mdadm's failed count" "$(field degraded "$ours")" "$(dv 'Failed Devices')"
t_match "mdstat: one of two up" "$(cat /proc/mdstat)" '\[2/1\] \[U_\]'
# md's own thread takes the faulty member out of its slot a moment later
t_match "disk 4 faulty" "$(printf '%s\n' "$ours" | grep "^member=${DISK4#/dev/} ")" \
	"^member=${DISK4#/dev/} slot=(1|none) state=faulty\$"
i=0
while [ $i -lt 20 ] && ! $B md md0 | grep -q "^member=${DISK4#/dev/} slot=none "; do sleep 0.5; i=$((i + 1)); done
t_eq "then without a slot" "$($B md md0 | grep "^member=${DISK4#/dev/} ")" \
	"member=${DISK4#/dev/} slot=none state=faulty"
t_match "mdadm --detail: disk 4 faulty, no raid device" "$(mdadm --detail /dev/md0)" "-[[:space:]]+faulty[[:space:]]+$DISK4"
EOF2
}
