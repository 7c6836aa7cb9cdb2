#!/bin/sh
# needle-fsck -n against a plain sequential read of the same volume, both
# from the page cache, in the same run; and peak memory against the
# number of index entries.
set -u
BB=${BLOCKBOX:-build/blockbox}
GEN=${BENCH_DIR:-build/bench}/needle_gen
W=build/bench-data/needle-fsck
mkdir -p "$W"

ns() { date +%s%N; }
# best of 3 wall times in ns for a command
best() {
	b=
	for i in 1 2 3; do
		t0=$(ns); "$@" >/dev/null 2>&1; t1=$(ns)
		t=$((t1 - t0)); [ -z "$b" ] || [ "$t" -lt "$b" ] && b=$t
	done
	echo "$b"
}
gbs() { awk -v b="$1" -v t="$2" 'BEGIN { printf "%.2f", b / t }'; }

[ -f "$W/big_1.dat" ] || "$GEN" "$W/big_1" 1073741824 1024 1048576 >/dev/null
size=$(stat -c %s "$W/big_1.dat")
cat "$W/big_1.dat" "$W/big_1.idx" >/dev/null; cat "$W/big_1.dat" >/dev/null

echo "needle-fsck -n: 1 GiB volume in the page cache, needles 1 KiB..1 MiB (best of 3;"
echo "-j 1 reads and checks in one thread, -j 2 reads ahead in a second; load now: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-28s %10s %10s\n' "reader" "GB/s" "vs cat"
tc=$(best cat "$W/big_1.dat")
printf '%-28s %10s %10s\n' "cat FILE >/dev/null" "$(gbs "$size" "$tc")" "1.00"
for j in "-j 1" "-j 2"; do
	tf=$(best "$BB" needle-fsck -n $j "$W/big_1")
	printf '%-28s %10s %10s\n' "needle-fsck -n $j" "$(gbs "$size" "$tf")" \
		"$(awk -v a="$tc" -v b="$tf" 'BEGIN { printf "%.2f", a / b }')"
done
"$BB" needle-fsck -n "$W/big_1" >/dev/null || echo "(needle-fsck found errors in the generated volume!)"
echo

echo "needle-fsck -n peak memory against index entries (needles 64..256 B);"
echo "bytes/entry is the growth from the row above: the cost of one more entry"
printf '%10s %12s %12s %14s\n' "entries" ".dat MiB" "peak RSS KiB" "bytes/entry"
prev_rss= prev_rows=
for n in 1 100000 400000 1600000; do
	f="$W/small_$n"
	[ -f "$f.dat" ] || "$GEN" "$f" $((n * 192)) 64 256 >/dev/null
	rows=$(($(stat -c %s "$f.idx") / 16))
	rss=$(/usr/bin/time -f %M "$BB" needle-fsck -n "$f" 2>&1 >/dev/null | tail -1)
	per=-
	[ -z "$prev_rss" ] || per=$(awk -v r="$rss" -v p="$prev_rss" -v n="$rows" -v m="$prev_rows" \
		'BEGIN { printf "%.1f", (r - p) * 1024 / (n - m) }')
	printf '%10s %12s %12s %14s\n' "$rows" "$(($(stat -c %s "$f.dat") >> 20))" "$rss" "$per"
	prev_rss=$rss prev_rows=$rows
done
