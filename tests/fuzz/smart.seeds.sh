#!/bin/sh
# Seeds for the smart fuzzer: a zero log and a descriptor sense answer.
set -eu
out=$1
head -c 512 /dev/zero >"$out/zero"
printf '\162\001\000\035\000\000\000\016\011\014\000\000\000\000\000\000\000\117\000\302\000\120' >"$out/sense"
