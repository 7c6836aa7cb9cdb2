#!/bin/sh
# Seeds for the ecsum target: a ratio byte (data shards - 1 in the low
# nibble, parity - 1 in the high one), then a sidecar. One is the
# sample SeaweedFS's own test pins; the others come from encoding small
# volumes with the blockbox next to this tree.
set -eu
out=$1
here=$(cd "$(dirname "$0")" && pwd)
bb=$here/../../build/blockbox
printf '\071' >"$out/seaweedfs-sample"
printf '%s' 45435355000100000039cc1b826a080110808080082204080a10042a0a108080401a04040302012a0c0801108080401a04080706053210000102030405060708090a0b0c0d0e0f |
	perl -ne 'print pack("H*", $_)' >>"$out/seaweedfs-sample"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for ratio in "10 4 57" "4 2 19"; do
	set -- $ratio
	{ printf '\003\000\000\000\000\000\000\000'; head -c 300000 /dev/urandom; } >"$tmp/$1.dat"
	: >"$tmp/$1.idx"
	"$bb" ec-rebuild encode --data-shards "$1" --parity-shards "$2" --small-block 4096 \
		--large-block 65536 "$tmp/$1" >/dev/null
	printf "\\$(printf %o "$3")" >"$out/encoded-$1"
	cat "$tmp/$1.ecsum" >>"$out/encoded-$1"
done
