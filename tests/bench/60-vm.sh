#!/bin/sh
# The VM world: how long a TCG boot of the rescue initramfs takes until
# init runs and until it powers off with nothing to do, and how big the
# two initramfs profiles are. Times are wall-clock from starting the
# harness (which first joins the initrd pieces), best and median of
# $VM_BENCH_RUNS (default 3).
set -u
cd "$(dirname "$0")/../.."
runs=${VM_BENCH_RUNS:-3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bbbench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

now() { date +%s.%N; }
since() { awk -v s="$1" -v e="$2" 'BEGIN { printf "%.2f", e - s }'; }

# boot INITRD: prints "SECONDS-TO-INIT SECONDS-TO-POWEROFF"
boot() {
	log=$tmp/console.log
	: >"$log"
	start=$(now)
	qemu/run.sh -q -t 120 -i "$1" -l "$log" 2>/dev/null &
	pid=$!
	t_init=
	while kill -0 "$pid" 2>/dev/null; do
		if [ -z "$t_init" ] && grep -q 'init: blockbox init running' "$log"; then
			t_init=$(since "$start" "$(now)")
		fi
		sleep 0.02
	done
	wait "$pid" || { echo "- -"; return; }
	echo "${t_init:--} $(since "$start" "$(now)")"
}

# stats "v1 v2 ...": best and median
stats() { printf '%s\n' $1 | sort -n | awk '{ v[NR] = $1 } END { printf "%6.2f %6.2f", v[1], v[int((NR + 1) / 2)] }'; }

echo "== VM boot under TCG (qemu/run.sh, $runs runs each; seconds, best / median)"
printf '%-10s %15s %15s\n' profile "to init" "to poweroff"
for p in minimal tools; do
	initrd=build/initramfs.cpio.gz
	[ "$p" = tools ] && initrd=build/initramfs-tools.cpio.gz
	if [ ! -s "$initrd" ]; then
		printf '%-10s %s\n' "$p" "(no $initrd: make initramfs)"
		continue
	fi
	inits= offs=
	i=0
	while [ "$i" -lt "$runs" ]; do
		set -- $(boot "$initrd")
		inits="$inits $1" offs="$offs $2"
		i=$((i + 1))
	done
	printf '%-10s %15s %15s\n' "$p" "$(stats "$inits")" "$(stats "$offs")"
done

echo
echo "== initramfs size"
printf '%-10s %12s %12s %7s %8s\n' profile "gzip bytes" "unpacked KiB" files modules
for p in minimal tools; do
	initrd=build/initramfs.cpio.gz
	[ "$p" = tools ] && initrd=build/initramfs-tools.cpio.gz
	[ -s "$initrd" ] || continue
	files=$(gzip -dc "$initrd" | cpio -it --quiet 2>/dev/null | wc -l)
	mods=$(gzip -dc "$initrd" | cpio -it --quiet 2>/dev/null | grep -c '\.ko$')
	kib=$(($(gzip -dc "$initrd" | wc -c) / 1024))
	printf '%-10s %12d %12d %7d %8d\n' "$p" "$(stat -c %s "$initrd")" "$kib" "$files" "$mods"
done
