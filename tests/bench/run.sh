#!/bin/sh
# make bench: runs tests/bench/NN-*.sh in order. Each prints a titled
# table; nothing here asserts on time.
set -u
cd "$(dirname "$0")/../.."
for s in tests/bench/[0-9]*.sh; do
	[ -e "$s" ] || continue
	sh "$s" || echo "(bench $s failed with status $?)"
	echo
done
