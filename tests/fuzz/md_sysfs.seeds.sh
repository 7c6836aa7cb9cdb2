#!/bin/sh
# Seeds for the md sysfs fuzzer: what the kernel shows for a clean, a
# degraded and a resyncing RAID1 (fields separated by 0xff).
set -eu
out=$1
sep=$(printf '\377')
seed() { # NAME FIELD...
	f=$out/$1; shift
	: >"$f"
	first=1
	for v in "$@"; do
		[ "$first" = 1 ] || printf '%s' "$sep" >>"$f"
		printf '%s\n' "$v" >>"$f"
		first=0
	done
}
seed clean raid1 clean 2 0 idle none 0 1.2 none 129024 \
	vda in_sync 0 0 ../../../../devices/virtio1/block/vda \
	vdb in_sync 1 0 ../../../../devices/virtio2/block/vdb
seed degraded raid1 clean 2 1 idle none 0 1.2 none 129024 \
	vda in_sync 0 0 ../vda vdb faulty none 0 ../vdb
seed resync raid1 active 2 0 resync '1024 / 4096' 0 1.2 5120 129024 \
	vda in_sync 0 0 ../vda vdb spare 1 0 ../vdb
seed raid5 raid5 read-auto 4 1 recover '77 / 100' 12 external:/md127/0 none 0 \
	sda1 'in_sync,write_mostly,blocked' 0 3 ../sda1 sdb1 'faulty,write_error,want_replacement' none 0 ../sdb1
