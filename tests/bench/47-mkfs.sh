#!/bin/sh
# mkfs.vfat and mkswap on fresh sparse 1 GiB and 8 GiB image files, taking
# turns with dosfstools' mkfs.fat and util-linux's mkswap in the same
# rounds. Each run: a new image, the tool, its own flushes (mkfs.fat and
# mkswap fsync once at the end; blockbox's mkfs.vfat three times,
# mkswap twice: the boot sector and the swap signature go last).
set -u
dir=${BENCH_TMP:-/var/tmp}
bb=${BLOCKBOX:-build/blockbox}
rounds=${MKFS_BENCH_ROUNDS:-5}
img=$dir/mkfs-bench.img
. "$(dirname "$0")/lib.sh"
bench_init
trap 'rm -f "$img" "$BENCH_TIMES"' EXIT
for t in mkfs.fat mkswap; do
	command -v $t >/dev/null 2>&1 || { echo "mkfs bench: $t is not installed"; exit 0; }
done

fresh() { rm -f "$img" && truncate -s "$1" "$img"; }
bb_vfat() { fresh "$1" && "$bb" mkfs.vfat -n BENCH "$img"; }
peer_vfat() { fresh "$1" && mkfs.fat -n BENCH "$img"; }
bb_swap() { fresh "$1" && "$bb" mkswap -L BENCH "$img"; }
peer_swap() { fresh "$1" && mkswap -L BENCH "$img"; }

ms() { stats "$1" 6 | awk '$1 == "failed" { printf "failed | failed"; next } { printf "%.1f | %.1f", $1 * 1e3, $2 * 1e3 }'; }
med() { stats "$1" 6 | awk '{ print $2 }'; }

r=0
while [ "$r" -lt "$rounds" ]; do
	for sz in 1G 8G; do
		timed "vfat-bb-$sz" bb_vfat $sz
		timed "vfat-peer-$sz" peer_vfat $sz
		timed "swap-bb-$sz" bb_swap $sz
		timed "swap-peer-$sz" peer_swap $sz
	done
	r=$((r + 1))
done

echo "## mkfs.vfat and mkswap: a fresh sparse image each run, $rounds rounds taking turns"
echo "with the peer (load now: $(loadavg))"
echo
echo "| task | blockbox ms best | median | peer | peer ms best | median | peer / blockbox (medians) |"
echo "|---|---|---|---|---|---|---|"
for sz in 1G 8G; do
	echo "| FAT32 on $sz | $(ms "vfat-bb-$sz") | mkfs.fat 4.2 | $(ms "vfat-peer-$sz") | $(ratio "$(med "vfat-peer-$sz")" "$(med "vfat-bb-$sz")") |"
	echo "| swap on $sz | $(ms "swap-bb-$sz") | util-linux mkswap | $(ms "swap-peer-$sz") | $(ratio "$(med "swap-peer-$sz")" "$(med "swap-bb-$sz")") |"
done
