#!/bin/sh
# Seeds for the CRC paths fuzzer: lengths at each path's steps (header:
# start value, misalignment, extra length as little-endian 16 bits).
set -eu
out=$1
n=0
for extra in '\000\000' '\374\003' '\000\004' '\074\001' '\000\020' '\377\377'; do
	for mis in '\000' '\003' '\074'; do
		n=$((n + 1))
		printf "\\377\\377\\377\\377$mis$extra" >"$out/s$n"
		printf "the quick brown fox %s jumps over the lazy dog" "$n$extra" >>"$out/s$n"
	done
done
