#!/bin/sh
# make bench: runs tests/bench/NN-*.sh in order. Each prints a titled
# table; nothing here asserts on time. The load average is printed at the
# start and at the end: on a shared machine only ratios against a peer
# measured in the same rounds mean anything.
set -u
cd "$(dirname "$0")/../.."
# Rows time writes to /dev/null; a regular file there would time the disk.
if [ ! -c /dev/null ]; then
	echo "bench: /dev/null is not a character device; refusing to run" >&2
	exit 1
fi
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
echo
for s in tests/bench/[0-9]*.sh; do
	[ -e "$s" ] || continue
	sh "$s" || echo "(bench $s failed with status $?)"
	echo
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
