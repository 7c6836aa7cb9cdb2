#!/bin/sh
# ec-rebuild: Reed-Solomon throughput, single thread, 10+4, against
# klauspost/reedsolomon (Go, Debian's package: what SeaweedFS uses) and
# ISA-L (Debian's libisal, fed the same matrix rows), taking turns in the
# same rounds; then ec-rebuild end to end against the Go reference program
# (encode, rebuild) and `cat` (verify: of the 14 shards; decode: of the 10
# data shards into one file), with default settings, on volumes
# in the page cache; encode also against its floor, the .dat's bytes
# split into 10 files and 4 more of a shard each with no coding at all.
# Then encode alone at 4 GiB (EC_BENCH_ENCODE_VOLUMES), when the machine
# has the room. Every row: best and median of its rounds.
set -u
. "$(dirname "$0")/lib.sh"
BB=${BLOCKBOX:-build/blockbox}
BENCH_DIR=${BENCH_DIR:-build/bench}
ECREF=${ECREF:-build/ecref}
SECS=${EC_BENCH_SECS:-1}
ROUNDS=${EC_BENCH_ROUNDS:-5}
VOLUMES=${EC_BENCH_VOLUMES:-134217728 1073741824}
ENCODE_VOLUMES=${EC_BENCH_ENCODE_VOLUMES-4294967296}
[ -x "$ECREF" ] || ECREF=

gbs() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1e9 }'; }

# engine_table SHARD_BYTES LABEL: ec-engine's lines are
# "name encode_best encode_median rebuild_best rebuild_median" (bytes/s)
engine_table() {
	size=$1 label=$2
	peer_secs=$(awk -v s="$SECS" -v r="$ROUNDS" 'BEGIN { print s / r }')
	out=$("$BENCH_DIR/ec-engine" 10 4 "$size" "$SECS" "$ROUNDS" \
		${ECREF:+"$ECREF" bench 10 4 "$size" "$peer_secs" 1}) || { echo "ec-engine failed"; return; }
	get() { echo "$out" | awk -v n="$1" -v f="$2" '$1 == n { print $f }'; }
	echo
	echo "shards of $label (10 x $label of data per call), $ROUNDS rounds taking turns with"
	echo "klauspost (GOMAXPROCS=1): GB/s best and median; ratios of the medians (of the bests);"
	echo "enc/mem: encode against memory-xor; * = the kernel ec-rebuild picks"
	echo "  single-thread memory limits, every page present before timing (GB/s, best/median):"
	echo "    read  $(gbs "$(get memory-read 2)")/$(gbs "$(get memory-read 3)")" \
		"  the 10 data shards read whole, one after another, into vector registers"
	echo "    write $(gbs "$(get memory-write 2)")/$(gbs "$(get memory-write 3)")" \
		"  the 4 output shards written whole with plain stores (as the kernels store)"
	echo "    xor   $(gbs "$(get memory-xor 2)")/$(gbs "$(get memory-xor 3)")" \
		"  an encode's traffic, XOR for arithmetic, in the tool's chunks (data bytes)"
	echo "  page faults inside the timed calls: $(get faults 2) (each about 20 us here)"
	printf '  %-22s %13s %13s %13s %13s %13s %13s %13s\n' engine "encode" "rebuild4" "enc/klausp" \
		"reb/klausp" "enc/isa-l" "reb/isa-l" "enc/mem"
	echo "$out" | grep -v '^memory-\|^faults' | while read -r name eb em rb rm; do
		r() { printf '%s(%s)' "$(ratio "$1" "$(get "$3" 3)")" "$(ratio "$2" "$(get "$3" 2)")"; }
		rr() { printf '%s(%s)' "$(ratio "$1" "$(get "$3" 5)")" "$(ratio "$2" "$(get "$3" 4)")"; }
		printf '  %-22s %6s %6s %6s %6s %13s %13s %13s %13s %13s\n' "$name" "$(gbs "$eb")" "$(gbs "$em")" \
			"$(gbs "$rb")" "$(gbs "$rm")" "$(r "$em" "$eb" klauspost)" "$(rr "$rm" "$rb" klauspost)" \
			"$(r "$em" "$eb" isa-l)" "$(rr "$rm" "$rb" isa-l)" "$(r "$em" "$eb" memory-xor)"
	done
}

echo "== ec-rebuild engine: 10+4, one thread (rebuild4 = 4 lost data shards);"
echo "   every engine checked over the full length first; load now: $(loadavg)"
engine_table 1048576 "1 MiB"
engine_table 67108864 "64 MiB"

# ---- end to end -----------------------------------------------------------
if [ -d /dev/shm ] && [ "$(df -k --output=avail /dev/shm | tail -1)" -gt 6000000 ]; then
	base=/dev/shm
else
	base=${TMPDIR:-/tmp}
fi
dir=$(mktemp -d "$base/ecbench.XXXXXX")
BENCH_LOG="$dir/log"
bench_init
trap 'rm -rf "$dir" "$BENCH_TIMES"' EXIT

# row LABEL KEY [PEER_KEY]: best and median seconds, GB/s of .dat bytes
# (of the median), and the peer's median over ours
row() {
	set -- "$1" "$(stats "$2")" "${3:+$(stats "$3")}"
	b=${2% *} m=${2#* }
	p=${3#* }
	printf '  %-36s %7s %7s s %7s GB/s %9s\n' "$1" "$b" "$m" \
		"$(awk -v s="$m" -v n="$bytes" 'BEGIN { if (s > 0) printf "%.2f", n / 1e9 / s; else printf "-" }')" \
		"$( [ -n "$3" ] && ratio "$p" "$m")"
}

# the default thread count ("d": no -j at all), or -j N
jopt() { [ "$1" = d ] || echo "-j $1"; }

# cost LABEL KEY PEER_KEY: bytes read (MiB) and peak RSS (MiB) of one run
# each, measured by build/bench/measure (recorded by measured), and the
# ratios ours/peer (below 1: blockbox reads or holds less)
measured() {
	key=$1
	shift
	echo "$key $("$BENCH_DIR/measure" "$@" 2>>"$BENCH_LOG" || echo failed)" >>"$dir/costs"
}
cost() {
	awk -v k="$2" -v p="${3:-}" -v l="$1" '
		$1 == k && NF == 3 { rb = $2; rr = $3 } $1 == p && NF == 3 { pb = $2; pr = $3 }
		function mib(x) { return sprintf("%.1f", x / 1048576) }
		function rat(a, b) { return b > 0 ? sprintf("%.2fx", a / b) : "-" }
		END {
			if (rb == "") { printf "  %-36s failed\n", l; exit }
			printf "  %-36s %9s %9s %8s %9s %9s %8s\n", l, mib(rb), p == "" ? "" : mib(pb),
				p == "" ? "" : rat(rb, pb), mib(rr * 1024), p == "" ? "" : mib(pr * 1024),
				p == "" ? "" : rat(rr, pr)
		}' "$dir/costs"
}
strip() { rm -f "$1".ec?? "$1.ecx" "$1.vif" "$1.ecsum"; }

# floor DAT OUT: what an encode cannot go below, with no coding: the
# .dat read once into 10 files (OUT.ec00-09) and 4 more of a shard's
# length written (OUT.ec10-13; from /dev/zero, the cheapest bytes to
# write), by dd a MiB a call, in two lanes of 7 files at once as an
# encode has two cores (split -n and head were slower than cat). Removed
# first and after by the caller.
floor_lane() { # DAT OUT SHARD FIRST LAST
	i=$4
	while [ "$i" -le "$5" ]; do
		if [ "$i" -lt 10 ]; then
			dd if="$1" of="$2.ec0$i" bs=1M skip=$((i * $3)) count="$3" \
				iflag=skip_bytes,count_bytes status=none || return 1
		else
			dd if=/dev/zero of="$2.ec$i" bs=1M count="$3" iflag=count_bytes \
				status=none || return 1
		fi
		i=$((i + 1))
	done
}
floor() {
	shard=$(( ($(stat -c %s "$1") + 9) / 10 ))
	floor_lane "$1" "$2" "$shard" 0 6 &
	floor_lane "$1" "$2" "$shard" 7 13 || { wait; return 1; }
	wait $!
}

for bytes in $VOLUMES; do
	rm -rf "$dir/w" && mkdir "$dir/w"
	: >"$BENCH_TIMES"
	v=$dir/w/v
	"$BENCH_DIR/ec-engine" volume "$v" "$bytes" || { echo "cannot make a volume"; exit 1; }
	bytes=$(stat -c %s "$v.dat")
	rounds=$ROUNDS
	[ "$bytes" -lt 500000000 ] || rounds=3
	mkdir "$dir/w/ref"
	for r in $(seq "$rounds"); do
		for j in d 1; do
			strip "$v"
			timed enc$j "$BB" ec-rebuild encode $(jopt "$j") "$v"
		done
		if [ -n "$ECREF" ]; then
			rm -f "$dir"/w/ref/v.ec??
			timed ref_enc "$ECREF" encode 10 4 1073741824 1048576 "$v.dat" "$dir/w/ref/v"
			cmp -s "$v.ec13" "$dir/w/ref/v.ec13" || echo "  (the reference's parity differs!)"
		fi
		rm -f "$dir"/w/ref/f.ec??
		timed floor floor "$v.dat" "$dir/w/ref/f"
		rm -f "$dir"/w/ref/f.ec??
		for j in d 1; do
			rm -f "$v".ec0[0-3]
			timed reb$j "$BB" ec-rebuild rebuild $(jopt "$j") "$v"
		done
		rm -f "$v".ec0[0-3]
		timed reb_ign "$BB" ec-rebuild rebuild --ignore-ecsum "$v"
		if [ -n "$ECREF" ]; then
			rm -f "$dir"/w/ref/v.ec0[0-3]
			timed ref_reb "$ECREF" reconstruct 10 4 "$dir/w/ref/v"
		fi
		for j in d 1; do
			timed ver$j "$BB" ec-rebuild verify $(jopt "$j") "$v"
		done
		timed ver_ign "$BB" ec-rebuild verify --ignore-ecsum "$v"
		timed cat14 cat "$v".ec??
		d=$dir/w/d
		rm -rf "$d" && mkdir "$d" && cp "$v".ec?? "$v.ecx" "$v.vif" "$v.ecsum" "$d/"
		rm -f "$d"/v.ec0[0-3]
		for j in d 1; do
			rm -f "$d/v.dat" "$d/v.idx"
			timed dec$j "$BB" ec-rebuild decode $(jopt "$j") "$d/v"
		done
		# decode's floor: the data shards read and written out as one file
		rm -f "$d/cat.dat"
		timed cat10w sh -c 'cat "$1".ec0? >"$2"' sh "$v" "$d/cat.dat"
		rm -f "$d/cat.dat"
	done
	# one more run of each for what it reads and holds (defaults)
	: >"$dir/costs"
	strip "$v"
	measured enc "$BB" ec-rebuild encode "$v"
	if [ -n "$ECREF" ]; then
		rm -f "$dir"/w/ref/v.ec??
		measured ref_enc "$ECREF" encode 10 4 1073741824 1048576 "$v.dat" "$dir/w/ref/v"
	fi
	rm -f "$v".ec0[0-3]
	measured reb "$BB" ec-rebuild rebuild "$v"
	if [ -n "$ECREF" ]; then
		rm -f "$dir"/w/ref/v.ec0[0-3]
		measured ref_reb "$ECREF" reconstruct 10 4 "$dir/w/ref/v"
	fi
	measured ver "$BB" ec-rebuild verify "$v"
	measured cat14 cat "$v".ec??
	rm -f "$d/v.dat" "$d/v.idx"
	measured dec "$BB" ec-rebuild decode "$d/v"
	echo
	echo "== ec-rebuild end to end: $((bytes >> 20)) MiB .dat, 10+4, default settings, files in"
	echo "   $base (page cache); $rounds rounds taking turns with the peers; load now: $(loadavg)"
	echo "   peer/ours = the peer's median time over ours (above 1: blockbox is faster)"
	printf '  %-36s %7s %7s   %7s      %9s\n' "" best median "GB/s" "peer/ours"
	row "encode, defaults (peer: Go ref.)" encd ref_enc
	row "encode -j 1 (one thread, in turn)" enc1 ref_enc
	[ -n "$ECREF" ] && row "  Go reference encode" ref_enc
	row "encode, defaults (peer: the floor)" encd floor
	row "  floor: dd of .dat into 14, no coding" floor
	row "rebuild 4 data shards, defaults" rebd ref_reb
	row "rebuild 4 data shards -j 1" reb1 ref_reb
	row "  the same, --ignore-ecsum" reb_ign ref_reb
	[ -n "$ECREF" ] && row "  Go reference reconstruct" ref_reb
	row "verify, defaults (peer: cat 14)" verd cat14
	row "verify -j 1" ver1 cat14
	row "  the same, --ignore-ecsum" ver_ign cat14
	row "  cat of the 14 shards" cat14
	row "decode, 4 data shards lost, defaults" decd cat10w
	row "decode, 4 data shards lost -j 1" dec1 cat10w
	row "  cat of the 10 data shards to a file" cat10w
	echo "   bytes read (read(2) and the like, page cache included) and peak RSS, one run"
	echo "   each, defaults; ours/peer below 1: blockbox reads or holds less"
	printf '  %-36s %9s %9s %8s %9s %9s %8s\n' "" "read MiB" peer ours/p "RSS MiB" peer ours/p
	cost "encode (peer: Go ref.)" enc ref_enc
	cost "rebuild 4 data shards (peer: Go ref.)" reb ref_reb
	cost "verify (peer: cat 14)" ver cat14
	cost "decode, 4 data shards lost" dec
done

# ---- encode alone at 4 GiB ------------------------------------------------
# At once: the .dat, one set of shards (1.4x), our last parity shard kept
# to compare (0.14x) and the Go reference's memory (it reads the .dat
# whole): each round's outputs go before the next run.
rm -rf "$dir/w"
for bytes in $ENCODE_VOLUMES; do
	need=$((bytes / 1024 * 36 / 10 + 1048576)) # KiB, with 1 GiB to spare
	room=$(df -k --output=avail "$base" | tail -1)
	mem=$(awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo)
	echo
	if [ "$room" -lt "$need" ] || [ "$mem" -lt "$need" ]; then
		echo "== ec-rebuild encode, $((bytes >> 20)) MiB .dat: not run: it needs $((need >> 20)) GiB free" \
			"in $base and of memory; there are $((room >> 20)) and $((mem >> 20)) GiB"
		continue
	fi
	rm -rf "$dir/w" && mkdir -p "$dir/w/ref"
	: >"$BENCH_TIMES"
	v=$dir/w/v
	"$BENCH_DIR/ec-engine" volume "$v" "$bytes" || { echo "cannot make a volume"; exit 1; }
	bytes=$(stat -c %s "$v.dat")
	rounds=3
	for r in $(seq "$rounds"); do
		strip "$v"
		timed encd "$BB" ec-rebuild encode "$v"
		mv "$v.ec13" "$dir/w/ours.ec13"
		strip "$v"
		if [ -n "$ECREF" ]; then
			timed ref_enc "$ECREF" encode 10 4 1073741824 1048576 "$v.dat" "$dir/w/ref/v"
			cmp -s "$dir/w/ours.ec13" "$dir/w/ref/v.ec13" || echo "  (the reference's parity differs!)"
			rm -f "$dir"/w/ref/v.ec??
		fi
		rm -f "$dir/w/ours.ec13"
		timed floor floor "$v.dat" "$dir/w/ref/f"
		rm -f "$dir"/w/ref/f.ec??
	done
	: >"$dir/costs"
	measured enc "$BB" ec-rebuild encode "$v"
	strip "$v"
	if [ -n "$ECREF" ]; then
		measured ref_enc "$ECREF" encode 10 4 1073741824 1048576 "$v.dat" "$dir/w/ref/v"
		rm -f "$dir"/w/ref/v.ec??
	fi
	echo "== ec-rebuild encode: $((bytes >> 20)) MiB .dat, 10+4, default settings, files in"
	echo "   $base (page cache); $rounds rounds taking turns with the peers; load now: $(loadavg)"
	printf '  %-36s %7s %7s   %7s      %9s\n' "" best median "GB/s" "peer/ours"
	row "encode, defaults (peer: Go ref.)" encd ref_enc
	[ -n "$ECREF" ] && row "  Go reference encode" ref_enc
	row "encode, defaults (peer: the floor)" encd floor
	row "  floor: dd of .dat into 14, no coding" floor
	printf '  %-36s %9s %9s %8s %9s %9s %8s\n' "" "read MiB" peer ours/p "RSS MiB" peer ours/p
	cost "encode (peer: Go ref.)" enc ref_enc
	rm -rf "$dir/w"
done
quiet=': rebuilt$\|encoded\|agree\|decoded\|matches its \.ecsum'
if grep -qv "$quiet" "$BENCH_LOG"; then
	echo "  messages:"
	grep -v "$quiet" "$BENCH_LOG" | head -5 | sed 's/^/    /'
fi
