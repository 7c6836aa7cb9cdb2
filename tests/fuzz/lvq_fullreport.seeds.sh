#!/bin/sh
# Seeds for lvq_fullreport: the outputs recorded in the guest (one of them
# with 2.03.16's comma after the command log's last row), and a strict
# one with a log.
set -eu
here=$(cd "$(dirname "$0")/../unit/lvq" && pwd)
n=0
for f in "$here"/fullreport-*.json; do
	n=$((n + 1))
	cp "$f" "$1/s$n"
done
printf '{"report":[{"vg":[{"vg_name":"v","vg_extent_count":"2","vg_free_count":"1"}]}],\n "log":[\n {"log_seq_num":"1"}\n ]\n}\n' >"$1/strict-log"
