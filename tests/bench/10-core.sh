#!/bin/sh
# Foundation numbers: binary size and per-applet cost, CRC throughput,
# exec time of `blockbox --list` (with busybox-static as a peer if present).
set -u
BB=${BLOCKBOX:-build/blockbox}
B=${BENCH_DIR:-build/bench}

echo "== blockbox binary"
mk/size.sh "$BB"
[ -x /bin/busybox ] && echo "peer: /bin/busybox $(stat -L -c %s /bin/busybox) bytes ($(/bin/busybox --list | wc -l) applets)"
echo
echo "== CRC throughput, 64 MiB buffer, one core"
"$B/crc"
echo
echo "== exec time, 500 runs (microseconds per run)"
printf '%-28s %8s %8s\n' command mean best
set -- $("$B/spawn" 500 "$BB" --list)
printf '%-28s %8s %8s\n' "blockbox --list" "$1" "$2"
if [ -x /bin/busybox ]; then
	set -- $("$B/spawn" 500 /bin/busybox --list)
	printf '%-28s %8s %8s\n' "busybox --list (peer)" "$1" "$2"
fi
