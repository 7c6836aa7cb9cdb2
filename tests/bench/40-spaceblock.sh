#!/bin/sh
# spaceblock: store operations per second on an image file (with and
# without fdatasync per operation), and inspect time on a 1 GiB image.
set -u
dir=${BENCH_TMP:-/var/tmp}
bb=${BLOCKBOX:-build/blockbox}
echo "## spaceblock: operations on an image file in $dir"
echo
"$BENCH_DIR/spaceblock" "$dir" || exit 1
echo

img=$dir/spaceblock-1g.img
rm -f "$img"
trap 'rm -f "$img" "$img.data"' EXIT
"$bb" spaceblock init -f "$img" --blocks 2097152 >/dev/null || exit 1
head -c $((16 << 20)) /dev/urandom >"$img.data"
i=0
while [ $i -lt 60 ]; do   # 960 MiB of products
	"$bb" spaceblock dp write "science/$i.dat" "$img.data" -f "$img" --no-sync || exit 1
	i=$((i + 1))
done
for i in $(seq 1 24); do "$bb" spaceblock param set "$i" "value $i" -f "$img" --no-sync; done
for i in $(seq 1 200); do "$bb" spaceblock event write "event $i" -f "$img" --no-sync; done
sync

ms() { # run a command 5 times, print the best wall time in ms
	best=
	for r in 1 2 3 4 5; do
		t0=$(date +%s%N)
		"$@" >/dev/null
		t1=$(date +%s%N)
		t=$(( (t1 - t0) / 1000000 ))
		if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
	done
	echo "$best"
}
echo "## spaceblock inspect, 1 GiB image: 60 products (960 MiB), 24 parameters, 200 events (page cache warm)"
echo
echo "| command | best of 5, ms |"
echo "|---|---|"
echo "| inspect (checks every product's CRC) | $(ms "$bb" spaceblock inspect -f "$img") |"
echo "| inspect --quick (metadata only) | $(ms "$bb" spaceblock inspect --quick -f "$img") |"
echo "| inspect --json | $(ms "$bb" spaceblock inspect --json -f "$img") |"
