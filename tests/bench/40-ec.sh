#!/bin/sh
# ec-rebuild: Reed-Solomon throughput, single thread, 10+4, against
# klauspost/reedsolomon (Go, Debian's package: what SeaweedFS uses) and
# ISA-L (Debian's libisal, fed the same matrix rows), measured in this run;
# then ec-rebuild end to end on a 1 GiB volume in the page cache.
set -u
BB=${BLOCKBOX:-build/blockbox}
BENCH_DIR=${BENCH_DIR:-build/bench}
ECREF=${ECREF:-build/ecref}
SECS=${EC_BENCH_SECS:-1}

gbs() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1e9 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else printf "-" }'; }

engine_table() {
	size=$1 label=$2
	out=$("$BENCH_DIR/ec-engine" 10 4 "$size" "$SECS") || { echo "ec-engine failed"; return; }
	if [ -x "$ECREF" ]; then
		kp=$(GOMAXPROCS=1 "$ECREF" bench 10 4 "$size" "$SECS")
		out=$(printf '%s\nklauspost %s\n' "$out" "$kp")
	fi
	kp_e=$(echo "$out" | awk '$1 == "klauspost" { print $2 }')
	kp_r=$(echo "$out" | awk '$1 == "klauspost" { print $3 }')
	is_e=$(echo "$out" | awk '$1 == "isa-l" { print $2 }')
	is_r=$(echo "$out" | awk '$1 == "isa-l" { print $3 }')
	echo
	echo "shards of $label (10 x $label of data per call), GB/s of data bytes:"
	printf '  %-22s %9s %9s %12s %12s %12s %12s\n' engine encode rebuild4 "enc/klausp" "reb/klausp" \
		"enc/isa-l" "reb/isa-l"
	echo "$out" | while read -r name e r; do
		printf '  %-22s %9s %9s %12s %12s %12s %12s\n' "$name" "$(gbs "$e")" "$(gbs "$r")" \
			"$(ratio "$e" "${kp_e:-0}")" "$(ratio "$r" "${kp_r:-0}")" \
			"$(ratio "$e" "${is_e:-0}")" "$(ratio "$r" "${is_r:-0}")"
	done
}

echo "== ec-rebuild engine: 10+4, one thread (rebuild4 = 4 lost data shards)"
echo "   memory-read = a plain sequential read of the same 10 shards"
engine_table 1048576 "1 MiB"
engine_table 67108864 "64 MiB"

# ---- end to end -----------------------------------------------------------
if [ -d /dev/shm ] && [ "$(df -k --output=avail /dev/shm | tail -1)" -gt 4000000 ]; then
	base=/dev/shm
else
	base=${TMPDIR:-/tmp}
fi
dir=$(mktemp -d "$base/ecbench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
log="$dir/log"
"$BENCH_DIR/ec-engine" volume "$dir/1" $((1024 * 1024 * 1024)) || { echo "cannot make a volume"; exit 1; }

# best SETUP CMD...: run SETUP then time CMD, three times; the best
# seconds, or "failed" (the machine may be shared: the best run is the
# one least disturbed).
best() {
	setup=$1; shift
	b=""
	for try in 1 2 3; do
		eval "$setup"
		t0=$(date +%s.%N)
		"$@" >>"$log" 2>&1 || { printf failed; return; }
		t1=$(date +%s.%N)
		b=$(awk -v a="$t0" -v c="$t1" -v b="$b" 'BEGIN { t = c - a; if (b == "" || t < b) b = t; printf "%.3f", b }')
	done
	printf '%s' "$b"
}
row() { printf '  %-34s %8s s %8s GB/s\n' "$1" "$2" "$(awk -v s="$2" 'BEGIN { if (s > 0) printf "%.2f", 1.073741824 / s; else printf "-" }')"; }

echo
echo "== ec-rebuild end to end: 1 GiB .dat (1023 needles), 10+4, files in $base"
echo "   (page cache); best of 3; GB/s = .dat bytes per second; new files fsynced"
for j in 1 2; do
	row "encode -j $j" "$(best 'rm -f "$dir"/1.ec?? "$dir/1.ecx" "$dir/1.vif" "$dir/1.ecsum"' "$BB" ec-rebuild encode -j "$j" "$dir/1")"
done
# rebuild and verify check every shard against the .ecsum sidecar first;
# the --ignore-ecsum rows show what that costs
for j in 1 2; do
	row "rebuild 4 data shards -j $j" "$(best 'rm -f "$dir"/1.ec0[0-3]' "$BB" ec-rebuild rebuild -j "$j" "$dir/1")"
done
row "  the same, --ignore-ecsum -j 1" "$(best 'rm -f "$dir"/1.ec0[0-3]' "$BB" ec-rebuild rebuild --ignore-ecsum -j 1 "$dir/1")"
for j in 1 2; do
	row "verify -j $j" "$(best : "$BB" ec-rebuild verify -j "$j" "$dir/1")"
done
row "  the same, --ignore-ecsum -j 1" "$(best : "$BB" ec-rebuild verify --ignore-ecsum -j 1 "$dir/1")"
mkdir "$dir/d" && mv "$dir"/1.ec?? "$dir/1.ecx" "$dir/1.vif" "$dir/1.ecsum" "$dir/d/" && rm -f "$dir"/d/1.ec0[0-3]
for j in 1 2; do
	row "decode, 4 data shards lost -j $j" "$(best 'rm -f "$dir/d/1.dat" "$dir/d/1.idx"' "$BB" ec-rebuild decode -j "$j" "$dir/d/1")"
done
quiet=': rebuilt$\|encoded\|agree\|decoded\|matches its \.ecsum'
if grep -qv "$quiet" "$log"; then
	echo "  messages:"
	grep -v "$quiet" "$log" | head -5 | sed 's/^/    /'
fi
