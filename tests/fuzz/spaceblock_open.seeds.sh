#!/bin/sh
# Seeds for spaceblock_open: small layouts with every kind of record,
# made by build/blockbox (skipped when it is not built).
set -eu
out=$1
bb=${BLOCKBOX:-$(dirname "$0")/../../build/blockbox}
[ -x "$bb" ] || exit 0
for bs in 512 4096; do
	img=$out/layout-$bs
	"$bb" spaceblock init -f "$img" --blocks 64 --sector-size $bs --uuid 0123456789abcdef0123456789abcdef >/dev/null
	"$bb" spaceblock param set 42 3.14159 -f "$img" --no-sync
	"$bb" spaceblock param set 42 2.71 -f "$img" --no-sync
	"$bb" spaceblock event write boot --code 1 -f "$img" --no-sync
	printf 'science data' | "$bb" spaceblock dp write science/thermal.dat -f "$img" --no-sync
done
