#!/bin/sh
# lvq in the guest (TCG) with Debian's LVM2: producing and verifying the
# plan of the large scenario (5 PVs, 10 LVs; no mkfs) against the one
# `lvm fullreport` it makes, measured in the same boot; then the
# provisioning end to end, split into the external tools' time (lvm,
# mkfs.*) and lvq's own (journal fsyncs, mounts, fstab, probes); and the
# rerun that finds everything done.
set -u
cd "$(dirname "$0")/../.."
if [ ! -s build/initramfs-tools.cpio.gz ]; then
	echo "== lvq: (no build/initramfs-tools.cpio.gz: make initramfs)"
	exit 0
fi
tests/vm/run.sh tests/bench/lvq-scenario.sh >/dev/null 2>&1
log=build/vm/lvq-scenario/console.log
plan=$(tr -d '\r' <"$log" | grep '^BENCH plan ')
prov=$(tr -d '\r' <"$log" | grep '^BENCH provision ')
steps=$(tr -d '\r' <"$log" | grep '^BENCH steps ' | sed 's/^BENCH steps //')
rerun=$(tr -d '\r' <"$log" | grep '^BENCH rerun ')
if [ -z "$plan" ] || [ -z "$prov" ]; then
	echo "== lvq: the guest run failed (build/vm/lvq-scenario/)"
	exit 1
fi
val() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
r=$(val "$plan" rounds) fr=$(val "$plan" fullreport) pl=$(val "$plan" plan)
echo "== lvq: plan + verify of the large scenario vs one lvm fullreport (guest, TCG, $r rounds)"
awk -v r="$r" -v f="$fr" -v p="$pl" 'BEGIN {
	printf "%-34s %10s\n", "", "s per run"
	printf "%-34s %10.3f\n", "lvm fullreport (the peer)", f / r
	printf "%-34s %10.3f\n", "lvq plan (ingest, probe, verify)", p / r
	if (f > 0) printf "%-34s %10.2f\n", "ratio lvq plan / fullreport", p / f
}'
echo
echo "== lvq: provisioning the large scenario end to end (55 steps, guest, TCG)"
echo "   lvq provision, wall:            $(val "$prov" wall) s (ingest, verify, run, converge)"
echo "   the steps:                      $steps"
echo "   a rerun (nothing to do), wall:  $(val "$rerun" wall) s"
