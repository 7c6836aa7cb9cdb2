#!/bin/sh
# Seeds for the vfat fuzzer: labels and volume ids as text, and sizes
# (8 bytes little-endian, then sector/type, cluster, floppy bytes) at the
# FAT type switches.
set -eu
out=$1
n=0
for s in EFI "MY DISK" NO_NAME lower 'A*B' ' X' 1234abcd 0xC0FFEE ABCD-0123 123456789; do
	n=$((n + 1))
	printf '%s' "$s" >"$out/t$n"
done
# 8 bytes little-endian
le64() {
	v=$1 i=0
	while [ $i -lt 8 ]; do
		printf "\\$(printf '%03o' $((v % 256)))"
		v=$((v / 256)) i=$((i + 1))
	done
}
# size, then sector (bits 0-1) and type (bits 2-3), cluster, floppy, pad
for sz in 51200 1474560 16777216 536870912 268435456 8589934592; do
	for b in 0 4 8 12 3 15; do
		n=$((n + 1))
		{ le64 $sz; printf "\\$(printf '%03o' $b)\\000\\001\\000EFI"; } >"$out/s$n"
	done
done
