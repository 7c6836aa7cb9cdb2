#!/bin/sh
# Seeds for spaceblock_open: small layouts with every kind of record,
# made by build/blockbox (skipped when it is not built).
set -eu
out=$1
bb=${BLOCKBOX:-$(dirname "$0")/../../build/blockbox}
[ -x "$bb" ] || exit 0
for bs in 512 4096; do
	img=$out/layout-$bs
	"$bb" spaceblock init -f "$img" --blocks 64 --sector-size $bs --uuid 01234567-89ab-cdef-0123-456789abcdef >/dev/null
	"$bb" spaceblock param set 42 3.14159 -f "$img" --no-sync
	"$bb" spaceblock param set 42 2.71 -f "$img" --no-sync
	"$bb" spaceblock event write boot --code 1 -f "$img" --no-sync
	printf 'science data' | "$bb" spaceblock dp write science/thermal.dat -f "$img" --no-sync
done
# block 0 damaged (issue 14): a bad bit in the magic, the CRC, the layout
# record, and a short image, which inspect still reads
for bs in 512 4096; do
	for at in 0 20 44 53; do
		cp "$out/layout-$bs" "$out/flip-$bs-$at"
		printf '\001' | dd of="$out/flip-$bs-$at" bs=1 seek=$at conv=notrunc 2>/dev/null
	done
	head -c $((40 * bs)) "$out/layout-$bs" >"$out/short-$bs"
done
