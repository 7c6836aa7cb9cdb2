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
ENGINE_SIZES=${EC_BENCH_ENGINE_SIZES-1048576 67108864}
[ -x "$ECREF" ] || ECREF=

gbs() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1e9 }'; }

# engine_table SHARD_BYTES LABEL: ec-engine's lines are
# "name encode_best encode_median rebuild_best rebuild_median" (bytes/s)
engine_table() {
	size=$1 label=$2
	peer_secs=$(awk -v s="$SECS" -v r="$ROUNDS" 'BEGIN { print s / r }')
	# the peer codes in one goroutine; GOMAXPROCS=1 keeps its runtime (the
	# garbage collector) off the second CPU too, as ours has one thread
	out=$(GOMAXPROCS=1 "$BENCH_DIR/ec-engine" 10 4 "$size" "$SECS" "$ROUNDS" \
		${ECREF:+"$ECREF" bench 10 4 "$size" "$peer_secs" 1}) || { echo "ec-engine failed"; return; }
	get() { echo "$out" | awk -v n="$1" -v f="$2" '$1 == n { print $f }'; }
	echo
	echo "shards of $label (10 x $label of data per call), $ROUNDS rounds taking turns with"
	echo "klauspost (GOMAXPROCS=1): GB/s best and median; ratios of the medians (of the bests);"
	echo "enc/mem: encode against memory-xor; * = the kernel ec-rebuild picks"
	l3=$(cat /sys/devices/system/cpu/cpu0/cache/index3/size 2>/dev/null)
	echo "  single-thread limits for this working set (18 x $label: data, parity, outputs${l3:+; L3 $l3}),"
	echo "  every page present before timing (GB/s, best/median):"
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

bench_begin "40-ec: ec-rebuild's engines, then end to end against its peers"
echo
echo "== ec-rebuild engine: 10+4, one thread (rebuild4 = 4 lost data shards);"
echo "   every engine checked over the full length first; load now: $(loadavg)"
for size in $ENGINE_SIZES; do
	engine_table "$size" "$((size >> 20)) MiB"
done

# ---- end to end -----------------------------------------------------------
# Pages freed a few seconds ago have been handed back to the host (free
# page reporting) and cost more to write again than pages freed a moment
# before: a 1 GiB floor took 0.93 s on the first, 0.73 s on the second
# (medians of 5). So every row that writes finds its own outputs of the
# round before and removes them just before it runs (outside the timing),
# and an untimed check round first runs each writer once: every run of
# every writer reuses the pages it has just freed. (The floor removed its
# files after itself: cold pages at 1 GiB and, right after the Go
# reference's removal, warm ones at 4 GiB.)
VOLMAX=0
for b in $VOLUMES; do [ "$b" -le "$VOLMAX" ] || VOLMAX=$b; done
# the .dat, three sets of shards (ours, the reference's, the floor's) and
# the decode's directory (a set of shards, a .dat and cat's copy): 9x
if [ -d /dev/shm ] && [ "$(df -k --output=avail /dev/shm | tail -1)" -gt $((VOLMAX / 1024 * 9 + 1048576)) ]; then
	base=/dev/shm
else
	base=${TMPDIR:-/tmp}
fi
dir=$(mktemp -d "$base/ecbench.XXXXXX")
BENCH_LOG="$dir/log"
bench_init
trap 'rm -rf "$dir" "$BENCH_TIMES"' EXIT
# killed or its output closed (| head): still remove gigabytes of tmpfs
trap 'exit 1' HUP INT PIPE TERM

# row LABEL KEY [PEER_KEY]: best, median and worst seconds, GB/s of .dat
# bytes (of the median), and the peer's median over ours
row() {
	set -- "$1" "$(stats "$2")" "${3:+$(stats "$3")}" "$(worst "$2")"
	b=${2% *} m=${2#* }
	p=${3#* }
	printf '  %-38s %7s %7s %7s s %7s GB/s %9s\n' "$1" "$b" "$m" "$4" \
		"$(awk -v s="$m" -v n="$bytes" 'BEGIN { if (s > 0) printf "%.2f", n / 1e9 / s; else printf "-" }')" \
		"$( [ -n "$3" ] && ratio "$p" "$m")"
}

# the default thread count ("d": no -j at all), or -j N
jopt() { [ "$1" = d ] || echo "-j $1"; }

# cost LABEL KEY PEER_KEY: bytes read (MiB) and peak RSS (MiB) of one run
# each, measured by build/bench/measure (recorded by measured, or by peer
# in the last round), and the ratios ours/peer (below 1: blockbox reads or
# holds less)
measured() {
	key=$1
	shift
	echo "$key $("$BENCH_DIR/measure" "$@" 2>>"$BENCH_LOG" || echo failed)" >>"$dir/costs"
}
# peer KEY CMD...: timed, and in the last round (r = rounds) run under
# build/bench/measure as well, for its bytes read and peak RSS: the Go
# reference's cost rows without one more run of it (27 s at 4 GiB)
peer() {
	key=$1
	shift
	[ "$r" = "$rounds" ] || { timed "$key" "$@"; return; }
	t0=$(date +%s%N)
	if out=$("$BENCH_DIR/measure" "$@" 2>>"$BENCH_LOG"); then
		t1=$(date +%s%N)
		echo "$key $((t1 - t0))" >>"$BENCH_TIMES"
		echo "$key $out" >>"$dir/costs"
	else
		echo "$key failed" >>"$BENCH_TIMES"
	fi
}
cost() {
	awk -v k="$2" -v p="${3:-}" -v l="$1" '
		$1 == k && NF >= 3 { rb = $2; rr = $3 } $1 == p && NF >= 3 { pb = $2; pr = $3 }
		function mib(x) { return sprintf("%.1f", x / 1048576) }
		function rat(a, b) { return b > 0 ? sprintf("%.2fx", a / b) : "-" }
		END {
			if (rb == "") { printf "  %-38s failed\n", l; exit }
			printf "  %-38s %9s %9s %8s %9s %9s %8s\n", l, mib(rb), p == "" ? "" : mib(pb),
				p == "" ? "" : rat(rb, pb), mib(rr * 1024), p == "" ? "" : mib(pr * 1024),
				p == "" ? "" : rat(rr, pr)
		}' "$dir/costs"
}
# cpu LABEL KEY [PEER_KEY]: page faults and CPU seconds (user, system) of
# the same runs as cost's, ours and the peer's
cpu() {
	awk -v k="$2" -v p="${3:-}" -v l="$1" '
		$1 == k && NF == 6 { f = $4; u = $5; y = $6 } $1 == p && NF == 6 { pf = $4; pu = $5; py = $6 }
		END {
			if (f == "") { printf "  %-38s failed\n", l; exit }
			printf "  %-38s %9s %7s %7s %9s %7s %7s\n", l, f, u, y, p == "" ? "" : pf,
				p == "" ? "" : pu, p == "" ? "" : py
		}' "$dir/costs"
}
cpu_head() {
	echo "   page faults and CPU seconds of the same runs (a fault: about 20 us of system time here)"
	printf '  %-38s %9s %7s %7s %9s %7s %7s\n' "" faults "user s" "sys s" "peer" "user s" "sys s"
}
strip() { rm -f "$1".ec?? "$1.ecx" "$1.vif" "$1.ecsum"; }
# same A B WHAT: complain when two files differ (compared in full)
same() { cmp -s "$1" "$2" || echo "  ($3: $1 and $2 differ!)"; }
# settle: after the Go reference (it frees its whole heap, 1.8x the .dat,
# as it exits), untimed: the kernel hands freed memory back to the host
# two seconds later, and a row timed then shared the CPUs with that (a
# 1 GiB floor: 0.47 s right after the reference, 0.41 s 5 s later)
settle() { sleep $((3 + bytes / 1073741824)); }

# floor DAT OUT SHARD: what an encode cannot go below, with no coding:
# every byte of the .dat read once into 10 files of SHARD bytes (OUT.ec00-09,
# the last padded with zeros as the encode pads) and 4 more written
# (OUT.ec10-13, zeros), in one process with the encode's default threads
# and reads and writes of the encode's chunk (build/bench/ec-engine floor).
# It was dd in two lanes: 28 processes, and starting a process costs
# milliseconds of page faults on these VMs (0.5 s of a 128 MiB floor, 0.1 s
# now). The caller removes OUT.ec?? first.
floor() { "$BENCH_DIR/ec-engine" floor "$@"; }
# floor_ok OUT SHARD: the 14 files there, each SHARD bytes
floor_ok() {
	for i in $(seq -w 0 13); do
		[ "$(stat -c %s "$1.ec$i" 2>/dev/null)" = "$2" ] || { echo "  (floor: $1.ec$i is not $2 bytes!)"; return 1; }
	done
}

for bytes in $VOLUMES; do
	rm -rf "$dir/w" && mkdir -p "$dir/w/ref" "$dir/w/d" "$dir/w/orig"
	: >"$BENCH_TIMES"
	v=$dir/w/v ref=$dir/w/ref/v fl=$dir/w/ref/f d=$dir/w/d
	"$BENCH_DIR/ec-engine" volume "$v" "$bytes" || { echo "cannot make a volume"; exit 1; }
	bytes=$(stat -c %s "$v.dat")
	rounds=$ROUNDS
	[ "$bytes" -lt 500000000 ] || rounds=3
	# the check round, untimed: each writer once, its outputs compared in
	# full (with the reference's shards, the lost shards, the .dat)
	"$BB" ec-rebuild encode "$v" >/dev/null 2>>"$BENCH_LOG" || echo "  (encode failed!)"
	if [ -n "$ECREF" ]; then
		"$ECREF" encode 10 4 1073741824 1048576 "$v.dat" "$ref" >/dev/null 2>>"$BENCH_LOG" || echo "  (the reference's encode failed!)"
		for i in $(seq -w 0 13); do same "$v.ec$i" "$ref.ec$i" "encode and the reference"; done
	fi
	shard=$(stat -c %s "$v.ec00")
	floor "$v.dat" "$fl" "$shard" && floor_ok "$fl" "$shard"
	mv "$v".ec0[0-3] "$dir/w/orig/"
	"$BB" ec-rebuild rebuild "$v" >/dev/null 2>>"$BENCH_LOG" || echo "  (rebuild failed!)"
	for i in 0 1 2 3; do same "$v.ec0$i" "$dir/w/orig/v.ec0$i" "rebuild"; done
	rm -rf "$dir/w/orig"
	if [ -n "$ECREF" ]; then
		rm -f "$ref".ec0[0-3]
		"$ECREF" reconstruct 10 4 "$ref" >/dev/null 2>>"$BENCH_LOG" || echo "  (the reference's reconstruct failed!)"
		for i in 0 1 2 3; do same "$v.ec0$i" "$ref.ec0$i" "the reference's reconstruct"; done
	fi
	"$BB" ec-rebuild verify "$v" >/dev/null 2>>"$BENCH_LOG" || echo "  (verify failed!)"
	cp "$v".ec0[4-9] "$v".ec1? "$v.ecx" "$v.vif" "$v.ecsum" "$d/"
	"$BB" ec-rebuild decode "$d/v" >/dev/null 2>>"$BENCH_LOG" || echo "  (decode failed!)"
	same "$d/v.dat" "$v.dat" "decode"
	cat "$v".ec0? >"$d/cat.dat"
	[ -z "$ECREF" ] || settle
	: >"$dir/costs"
	for r in $(seq "$rounds"); do
		for j in d 1; do
			strip "$v"
			timed enc$j "$BB" ec-rebuild encode $(jopt "$j") "$v"
		done
		rm -f "$fl".ec??
		timed floor floor "$v.dat" "$fl" "$shard"
		for j in d 1; do
			rm -f "$v".ec0[0-3]
			timed reb$j "$BB" ec-rebuild rebuild $(jopt "$j") "$v"
		done
		rm -f "$v".ec0[0-3]
		timed reb_ign "$BB" ec-rebuild rebuild --ignore-ecsum "$v"
		# verify and cat read the same 14 files from the page cache; cat
		# writes to /dev/null (a character device: lib.sh checks)
		for j in d 1; do
			timed ver$j "$BB" ec-rebuild verify $(jopt "$j") "$v"
		done
		timed ver_ign "$BB" ec-rebuild verify --ignore-ecsum "$v"
		timed cat14 cat "$v".ec??
		for j in d 1; do
			rm -f "$d/v.dat" "$d/v.idx"
			timed dec$j "$BB" ec-rebuild decode $(jopt "$j") "$d/v"
		done
		# decode's floor: the data shards read and written out as one file
		rm -f "$d/cat.dat"
		timed cat10w sh -c 'cat "$1".ec0? >"$2"' sh "$v" "$d/cat.dat"
		# the peers last in the round, then a pause (settle)
		if [ -n "$ECREF" ]; then
			rm -f "$ref".ec??
			peer ref_enc "$ECREF" encode 10 4 1073741824 1048576 "$v.dat" "$ref"
			same "$v.ec13" "$ref.ec13" "encode and the reference"
			rm -f "$ref".ec0[0-3]
			peer ref_reb "$ECREF" reconstruct 10 4 "$ref"
			settle
		fi
	done
	# one more run of each of ours for what it reads and holds (defaults;
	# the peers' were measured in their last round)
	strip "$v"
	measured enc "$BB" ec-rebuild encode "$v"
	rm -f "$v".ec0[0-3]
	measured reb "$BB" ec-rebuild rebuild "$v"
	measured ver "$BB" ec-rebuild verify "$v"
	measured cat14 cat "$v".ec??
	rm -f "$d/v.dat" "$d/v.idx"
	measured dec "$BB" ec-rebuild decode "$d/v"
	echo
	echo "== ec-rebuild end to end: $((bytes >> 20)) MiB .dat, 10+4, default settings, files in"
	echo "   $base (page cache); $rounds rounds taking turns with the peers after an untimed"
	echo "   check round (outputs compared in full); load now: $(loadavg)"
	echo "   peer/ours = the peer's median time over ours (above 1: blockbox is faster)"
	printf '  %-38s %7s %7s %7s   %7s      %9s\n' "" best median worst "GB/s" "peer/ours"
	row "encode, defaults (peer: Go ref.)" encd ref_enc
	row "encode -j 1 (one thread, in turn)" enc1 ref_enc
	[ -n "$ECREF" ] && row "  Go reference encode" ref_enc
	row "encode, defaults (peer: the floor)" encd floor
	row "  floor: .dat into 14 files, no coding" floor
	[ -n "$ECREF" ] && row "  the floor (peer: Go ref.)" floor ref_enc
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
	printf '  %-38s %9s %9s %8s %9s %9s %8s\n' "" "read MiB" peer ours/p "RSS MiB" peer ours/p
	cost "encode${ECREF:+ (peer: Go ref.)}" enc ${ECREF:+ref_enc}
	cost "rebuild 4 data shards${ECREF:+ (peer: Go ref.)}" reb ${ECREF:+ref_reb}
	cost "verify (peer: cat 14)" ver cat14
	cost "decode, 4 data shards lost" dec
	cpu_head
	cpu "encode${ECREF:+ (peer: Go ref.)}" enc ${ECREF:+ref_enc}
	cpu "rebuild 4 data shards${ECREF:+ (peer: Go ref.)}" reb ${ECREF:+ref_reb}
	cpu "verify (peer: cat 14)" ver cat14
	cpu "decode, 4 data shards lost" dec
done

# ---- encode alone at 4 GiB ------------------------------------------------
# At once: the .dat, one set of shards (1.4x), our last parity shard kept
# to compare (0.1x), and the Go reference's memory (it reads the .dat
# whole: 1.8x) and shards (1.4x). So each writer here removes the previous
# writer's files just before it runs (the floor ours or the reference's,
# encode the floor's, the reference ours): each reuses pages freed a moment
# before.
rm -rf "$dir/w"
for bytes in $ENCODE_VOLUMES; do
	# KiB, with 1 GiB to spare: without the reference, the .dat and a set
	# of shards (2.5x); with it, its memory too (4.3x)
	need=$((bytes / 1024 * 25 / 10 + 1048576)) need_ref=$((bytes / 1024 * 43 / 10 + 1048576))
	room=$(df -k --output=avail "$base" | tail -1)
	mem=$(awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo)
	echo
	if [ "$room" -lt "$need" ] || [ "$mem" -lt "$need" ]; then
		echo "== ec-rebuild encode, $((bytes >> 20)) MiB .dat: not run: it needs $((need >> 20)) GiB free" \
			"in $base and of memory; there are $((room >> 20)) and $((mem >> 20)) GiB"
		continue
	fi
	ref_bin=$ECREF note=
	if [ -n "$ref_bin" ] && [ "$mem" -lt "$need_ref" ]; then
		note="   no Go reference: with it this needs $((need_ref >> 20)) GiB of memory; there were $((mem >> 20))"
		ref_bin=
	fi
	rm -rf "$dir/w" && mkdir -p "$dir/w/ref"
	: >"$BENCH_TIMES"
	v=$dir/w/v ref=$dir/w/ref/v fl=$dir/w/ref/f
	"$BENCH_DIR/ec-engine" volume "$v" "$bytes" || { echo "cannot make a volume"; exit 1; }
	bytes=$(stat -c %s "$v.dat")
	rounds=3
	# untimed: one encode (the shard size), whose files the first timed
	# floor frees; each round: the floor, the encode (on the floor's freed
	# pages), the reference (on ours), a pause
	"$BB" ec-rebuild encode "$v" >/dev/null 2>>"$BENCH_LOG" || echo "  (encode failed!)"
	shard=$(stat -c %s "$v.ec00")
	: >"$dir/costs"
	for r in $(seq "$rounds"); do
		rm -f "$ref".ec??
		strip "$v"
		timed floor floor "$v.dat" "$fl" "$shard"
		rm -f "$fl".ec??
		timed encd "$BB" ec-rebuild encode "$v"
		if [ -n "$ref_bin" ]; then
			mv "$v.ec13" "$dir/w/ours.ec13"
			strip "$v"
			peer ref_enc "$ref_bin" encode 10 4 1073741824 1048576 "$v.dat" "$ref"
			same "$dir/w/ours.ec13" "$ref.ec13" "encode and the reference"
			rm -f "$dir/w/ours.ec13"
			settle
		fi
	done
	rm -f "$ref".ec??
	strip "$v"
	measured enc "$BB" ec-rebuild encode "$v"
	strip "$v"
	echo "== ec-rebuild encode: $((bytes >> 20)) MiB .dat, 10+4, default settings, files in"
	echo "   $base (page cache); $rounds rounds taking turns with the peers; load now: $(loadavg)"
	[ -z "$note" ] || echo "$note"
	printf '  %-38s %7s %7s %7s   %7s      %9s\n' "" best median worst "GB/s" "peer/ours"
	[ -n "$ref_bin" ] && row "encode, defaults (peer: Go ref.)" encd ref_enc
	[ -n "$ref_bin" ] && row "  Go reference encode" ref_enc
	row "encode, defaults (peer: the floor)" encd floor
	row "  floor: .dat into 14 files, no coding" floor
	[ -n "$ref_bin" ] && row "  the floor (peer: Go ref.)" floor ref_enc
	printf '  %-38s %9s %9s %8s %9s %9s %8s\n' "" "read MiB" peer ours/p "RSS MiB" peer ours/p
	cost "encode${ref_bin:+ (peer: Go ref.)}" enc ${ref_bin:+ref_enc}
	cpu_head
	cpu "encode${ref_bin:+ (peer: Go ref.)}" enc ${ref_bin:+ref_enc}
	rm -rf "$dir/w"
done
quiet=': rebuilt$\|encoded\|agree\|decoded\|matches its \.ecsum'
if grep -qv "$quiet" "$BENCH_LOG"; then
	echo "  messages:"
	grep -v "$quiet" "$BENCH_LOG" | head -5 | sed 's/^/    /'
fi
bench_end
