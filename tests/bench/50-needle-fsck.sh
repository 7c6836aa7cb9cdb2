#!/bin/sh
# needle-fsck -n against a plain sequential read of the same volume (cat),
# both from the page cache, taking turns in the same rounds; and peak
# memory against the number of index entries.
set -u
. "$(dirname "$0")/lib.sh"
BB=${BLOCKBOX:-build/blockbox}
GEN=${BENCH_DIR:-build/bench}/needle_gen
W=build/bench-data/needle-fsck
ROUNDS=${NEEDLE_BENCH_ROUNDS:-5}
mkdir -p "$W"
bench_begin "50-needle-fsck: needle-fsck -n against cat of the .dat"
bench_init

# cached FILE: the percentage of FILE in the page cache (fincore), or "?"
cached() {
	fincore -b -n -o RES,SIZE "$1" 2>/dev/null |
		awk '{ if ($2 > 0) printf "%.0f%%", 100 * $1 / $2; else printf "?" } END { if (!NR) printf "?" }'
}

# the volumes timed: 1 GiB and 4 GiB by default (NEEDLE_BENCH_SIZES, bytes)
for bytes in ${NEEDLE_BENCH_SIZES:-1073741824 4294967296}; do
	f=$W/big_$((bytes >> 30))g
	[ "$bytes" -ge 1073741824 ] || f=$W/big_${bytes}b
	[ -f "$f.dat" ] || "$GEN" "$f" "$bytes" 1024 1048576 >/dev/null
	size=$(stat -c %s "$f.dat")
	cat "$f.dat" "$f.idx" >/dev/null
	"$BB" needle-fsck -n "$f" >/dev/null || echo "(needle-fsck found errors in the generated volume!)"
	before=$(cached "$f.dat")
	: >"$BENCH_TIMES"
	for r in $(seq "$ROUNDS"); do
		timed cat cat "$f.dat"
		timed jd "$BB" needle-fsck -n "$f"
		timed j1 "$BB" needle-fsck -n -j 1 "$f"
		timed ra "$BB" needle-fsck -n --read-ahead "$f"
	done
	echo "needle-fsck -n: $((size >> 20)) MiB volume in the page cache, needles 1 KiB..1 MiB,"
	echo "$ROUNDS rounds taking turns with cat (a volume is checked in one thread;"
	echo "--read-ahead adds a second that reads it ahead); load now: $(loadavg);"
	echo "the .dat in the page cache: $before before the rounds, $(cached "$f.dat") after"
	printf '%-28s %8s %8s %8s %10s %14s\n' "reader" "best s" "median s" "worst s" "GB/s (med)" \
		"vs cat med(best)"
	line() {
		set -- "$1" $(stats "$2") $(stats cat) "$(worst "$2")"
		printf '%-28s %8s %8s %8s %10s %14s\n' "$1" "$2" "$3" "$6" \
			"$(awk -v b="$size" -v t="$3" 'BEGIN { if (t > 0) printf "%.2f", b / t / 1e9 }')" \
			"$(ratio "$5" "$3")($(ratio "$4" "$2"))"
	}
	line "cat FILE >/dev/null" cat
	line "needle-fsck -n (defaults)" jd
	line "needle-fsck -n -j 1" j1
	line "needle-fsck -n --read-ahead" ra
	echo
done

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
# out of the page cache again (the next run warms them first): 5 GiB the
# benches after this one, and other people's, need more
for f in "$W"/*.dat "$W"/*.idx; do
	[ ! -f "$f" ] || dd if="$f" iflag=nocache count=0 status=none 2>/dev/null
done
bench_end
