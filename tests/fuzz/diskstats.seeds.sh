#!/bin/sh
# Seeds for the diskstats fuzzer: the host's file and the three line shapes.
set -eu
out=$1
head -c 8000 /proc/diskstats >"$out/host" 2>/dev/null || true
printf '   8       0 sda 100 2 3000 40 50 6 7000 80 0 90 120\n 259 0 nvme0n1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n   9 127 md127 11 0 88 0 22 0 176 0 0 0 0 0 0 0 0 0 0\n' >"$out/shapes"
