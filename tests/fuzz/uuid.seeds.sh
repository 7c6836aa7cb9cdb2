#!/bin/sh
# Seeds for the uuid fuzzer: UUIDs in each accepted form, numbers at the edges.
set -eu
out=$1
n=0
for s in 00112233-4455-6677-8899-aabbccddeeff '{C12A7328-F81F-11D2-BA4B-00A0C93EC93B}' \
	18446744073709551615 18446744073709551616 0xffffffffffffffff 010 0x -1; do
	n=$((n + 1))
	printf '%s' "$s" >"$out/s$n"
done
