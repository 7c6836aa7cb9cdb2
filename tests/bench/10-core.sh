#!/bin/sh
# Foundation numbers: binary size and per-applet cost, CRC throughput
# against ISA-L, exec time of `blockbox --list` taking turns with
# busybox's (when present).
set -u
. "$(dirname "$0")/lib.sh"
BB=${BLOCKBOX:-build/blockbox}
B=${BENCH_DIR:-build/bench}
bench_begin "10-core: binary size, CRC throughput, exec time"
bench_init

echo "== blockbox binary"
mk/size.sh "$BB"
[ -x /bin/busybox ] && echo "peer: /bin/busybox $(stat -L -c %s /bin/busybox) bytes ($(/bin/busybox --list | wc -l) applets)"
echo
echo "== CRC throughput, one core, load now: $(loadavg)"
"$B/crc"
echo
echo "== exec time: 5 rounds of 100 runs, taking turns (microseconds per run, round means)"
for r in 1 2 3 4 5; do
	set -- $("$B/spawn" 100 "$BB" --list)
	echo "bb $(($1 * 1000))" >>"$BENCH_TIMES"
	if [ -x /bin/busybox ]; then
		set -- $("$B/spawn" 100 /bin/busybox --list)
		echo "busybox $(($1 * 1000))" >>"$BENCH_TIMES"
	fi
done
us() { stats "$1" 6 | awk '{ printf "%8.0f %8.0f", $1 * 1e6, $2 * 1e6 }'; }
printf '%-28s %8s %8s\n' command best median
printf '%-28s %s\n' "blockbox --list" "$(us bb)"
[ -x /bin/busybox ] && printf '%-28s %s\n' "busybox --list (peer)" "$(us busybox)"
bench_end
exit 0
