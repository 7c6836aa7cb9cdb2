#!/bin/sh
# Seeds for lvq_journal: the recorded fullreport outputs, and a journal
# and plan written by the unit tests' shapes.
set -eu
here=$(cd "$(dirname "$0")/../unit/lvq" && pwd)
n=0
for f in "$here"/*.json "$here"/*.jsonl; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	cp "$f" "$1/s$n"
done
