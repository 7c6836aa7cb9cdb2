#!/bin/sh
# volmgr's daemon: start to accepting, resident memory idle and under
# load, requests/s with p50/p99 for storage.list_disks and rpc.discover at
# 1 and 16 clients on the Unix socket; beside them in the same run,
# `lsblk --json` as a process (what a script would call instead) and the
# CLI `volmgr disks --json` as a process.
set -u
bb=${BLOCKBOX:-build/blockbox}
load=${BENCH_DIR:-build/bench}/volmgr_load
n=${VOLMGR_BENCH_REQUESTS:-2000}
dir=$(mktemp -d "${TMPDIR:-/tmp}/vmbench.XXXXXX")
sock=$dir/volmgrd.sock
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
[ -x "$load" ] || { echo "volmgr bench: $load not built"; exit 0; }

rss() { awk '/^VmRSS/ { printf "%.2f", $2 / 1024 }' "/proc/$1/status"; }
hwm() { awk '/^VmHWM/ { printf "%.2f", $2 / 1024 }' "/proc/$1/status"; }

echo "## volmgr daemon (load now: $(cut -d' ' -f1 /proc/loadavg))"
echo
set -- $("$load" start "$bb" "$sock" 20)
echo "start to accepting (median of 20): ${1:-?} ms; to the first answer: ${2:-?} ms"

VOLMGR_READY_FD=3 "$bb" volmgr daemon --socket "$sock" 3>"$dir/ready" 2>/dev/null &
pid=$!
i=0
while [ ! -s "$dir/ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
echo "resident, idle: $(rss $pid) MiB"
echo
echo "| what | clients | requests/s | p50 ms | p99 ms |"
echo "|---|---|---|---|---|"
for m in storage.list_disks rpc.discover; do
	for c in 1 16; do
		set -- $("$load" load "$sock" $m $c $((n / c)))
		echo "| $m | $c | ${1:-failed} | ${2:--} | ${3:--} |"
	done
done
echo "| \`lsblk --json\` (a process each) | 1 | $("$load" exec 100 lsblk --json | awk '{ print $1 " | " $2 " | " $3 }') |"
echo "| \`volmgr disks --json\` (a process each) | 1 | $("$load" exec 100 "$bb" volmgr disks --json --socket "$sock" | awk '{ print $1 " | " $2 " | " $3 }') |"
echo
echo "resident after the load: $(rss $pid) MiB (peak $(hwm $pid) MiB)"
kill $pid
wait $pid 2>/dev/null
