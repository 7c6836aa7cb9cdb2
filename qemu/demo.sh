#!/bin/sh
# make demo: boot the rescue initramfs on two blank disks, run the
# boot-time storage job on them, show the result, power off.
#   qemu/demo.sh [COMMAND]   (default: disks, the storage discovery)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
run=${1:-disks}
dir=$root/build/demo
mkdir -p "$dir"
# Blank each time, sparse: they cost no space until the guest writes.
for d in disk1 disk2; do
	rm -f "$dir/$d.img"
	truncate -s 16G "$dir/$d.img"
done
echo "demo: booting the rescue initramfs with two blank 16 GiB disks; the guest runs: $run" >&2
"$root/qemu/run.sh" -t 180 -l "$dir/console.log" -d "$dir/disk1.img" -d "$dir/disk2.img" \
	-- "blockbox.run=\"$run\""
