#!/bin/sh
# DOS tables for the mbr fuzz target: mbr.seeds.sh DIR. Made by sfdisk
# when it is there (primaries, an extended partition with logicals), and
# a hand-made chain that loops, so the fuzzer starts from EBR chains.
set -eu
d=$1
if command -v sfdisk >/dev/null 2>&1; then
	truncate -s 64K "$d/dos-logicals"
	printf 'label: dos\nstart=4, size=4, type=83, bootable\nstart=16, size=100, type=5\nstart=20, size=4\nstart=40, size=4, type=82\nstart=60, size=8\n' |
		sfdisk -q "$d/dos-logicals" >/dev/null 2>&1 || true
fi
command -v python3 >/dev/null 2>&1 || exit 0
python3 - "$d" <<'PY'
import os, struct, sys
def rec(status, typ, start, size):
    return bytes([status, 0, 0, 0, typ, 0, 0, 0]) + struct.pack("<II", start, size)
def sector(recs):
    s = bytearray(512)
    for i, r in enumerate(recs):
        s[446 + 16 * i:462 + 16 * i] = r
    s[510:512] = b"\x55\xaa"
    return bytes(s)
img = bytearray(64 * 512)
img[0:512] = sector([rec(0x80, 0x83, 1, 3), rec(0, 0x05, 8, 40)])
img[8 * 512:9 * 512] = sector([rec(0, 0x83, 1, 3), rec(0, 0x05, 8, 8)])
img[16 * 512:17 * 512] = sector([rec(0, 0x83, 1, 3), rec(0, 0x05, 0, 8)])  # loops back
open(os.path.join(sys.argv[1], "ebr-loop"), "wb").write(img)
PY
