#!/bin/sh
# gpt: per-command wall time against sgdisk and sfdisk on the same image,
# a repair of a grown disk against sgdisk -e, and what a gpt-only static
# binary weighs next to the peers (which need their shared libraries).
set -u
dir=${BENCH_TMP:-/var/tmp}
bb=${BLOCKBOX:-build/blockbox}
runs=${GPT_BENCH_RUNS:-100}
img=$dir/gpt-bench.img
work=$(mktemp -d "$dir/gpt-bench.XXXXXX")
. "$(dirname "$0")/lib.sh"
bench_init
trap 'rm -rf "$img" "$work" "$BENCH_TIMES"' EXIT
for t in sgdisk sfdisk; do
	command -v $t >/dev/null 2>&1 || { echo "gpt bench: $t is not installed"; exit 0; }
done

# Each row: blockbox and the peer take turns, 5 rounds of runs/5 runs
# each; microseconds per run, best and median round.
us() { stats "$1" 6 | awk '{ printf "%.0f | %.0f", $1 * 1e6, $2 * 1e6 }'; }
med() { stats "$1" 6 | awk '{ print $2 }'; }
# row LABEL BB_CMD PEER PEER_CMD [OFFSET_KEY]: OFFSET_KEY's median is taken
# off both medians (work that is not the tools', timed in the same turns)
row() {
	off=0
	[ -n "${5:-}" ] && off=$(med "$5")
	echo "| $1 | $(us a) | $3 | $(us b) | $(awk -v a="$(med a)" -v b="$(med b)" -v o="$off" \
		'BEGIN { if (a - o > 0) printf "%.1fx", (b - o) / (a - o); else printf "-" }') |"
}
pair() {
	: >"$BENCH_TIMES"
	turns $((runs / 5 > 0 ? runs / 5 : 1)) 5 a "$2" b "$4"
	row "$@"
}

rm -f "$img" && truncate -s 1G "$img"
"$bb" gpt create "$img" >/dev/null
for s in 1M 512M 64M rest; do "$bb" gpt add "$img" --size $s --name "p$s" >/dev/null; done

echo "## gpt: one command on a 1 GiB image with 4 partitions, $runs runs each taking turns"
echo "with the peer in 5 rounds (page cache warm; load now: $(loadavg))"
echo
echo "| task | blockbox µs best | median | peer | peer µs best | median | peer / blockbox (medians) |"
echo "|---|---|---|---|---|---|---|"
pair "read, JSON" '"$bb" gpt show --json "$img"' "sfdisk --json" 'sfdisk --json "$img"'
pair "read, table" '"$bb" gpt show "$img"' "sgdisk -p" 'sgdisk -p "$img"'
pair "verify" '"$bb" gpt verify "$img"' "sgdisk -v" 'sgdisk -v "$img"'
pair "verify" '"$bb" gpt verify "$img"' "sfdisk --verify" 'sfdisk --verify "$img"'
echo

# Writes: sgdisk syncs and then sleeps about a second (for the kernel to
# reread the table) on every write, images included, so few runs here.
runs=${GPT_BENCH_WRITE_RUNS:-5}
echo "## gpt: writing, $runs runs each taking turns"
echo
echo "| task | blockbox µs best | median | peer | peer µs best | median | peer / blockbox (medians) |"
echo "|---|---|---|---|---|---|---|"
pair "rename a partition (3 flushes)" '"$bb" gpt rename "$img" 1 renamed' "sgdisk -c" 'sgdisk -c 1:renamed "$img"'
pair "rename a partition (3 flushes)" '"$bb" gpt rename "$img" 1 renamed' "sfdisk --part-label" \
	'sfdisk --part-label "$img" 1 renamed'

# A whole new table: each tool its natural way (blockbox: one command per
# step, each flushing; the peers: one invocation).
new_bb() {
	rm -f "$work/n.img" && truncate -s 1G "$work/n.img"
	"$bb" gpt create "$work/n.img" && "$bb" gpt add "$work/n.img" -s 1M -t bios_boot &&
		"$bb" gpt add "$work/n.img" -s 100M -t esp && "$bb" gpt add "$work/n.img" -t linux
}
new_sgdisk() {
	rm -f "$work/n.img" && truncate -s 1G "$work/n.img"
	sgdisk -o -n 1:0:+1M -t 1:ef02 -n 2:0:+100M -t 2:ef00 -n 3:0:0 -t 3:8300 "$work/n.img"
}
new_sfdisk() {
	rm -f "$work/n.img" && truncate -s 1G "$work/n.img"
	printf 'label: gpt\nsize=1M,type=21686148-6449-6E6F-744E-656564454649\nsize=100M,type=U\n,type=L\n' |
		sfdisk -q "$work/n.img"
}
# grown disk repair
grown() { cp --sparse=always "$img" "$work/g.img" && truncate -s 2G "$work/g.img"; }
fix_bb() { grown && "$bb" gpt fix "$work/g.img"; }
fix_sg() { grown && sgdisk -e "$work/g.img"; }
copy_only() { grown; }
pair "new table + 3 partitions" new_bb "sgdisk -o -n ... (one call)" new_sgdisk
pair "new table + 3 partitions" new_bb "sfdisk script (one call)" new_sfdisk
: >"$BENCH_TIMES"
turns $((runs / 5 > 0 ? runs / 5 : 1)) 5 a fix_bb b fix_sg c copy_only
row "grown disk: backup to the end (ratio without the copy time)" "" "sgdisk -e" "" c
echo

echo "## gpt: size"
echo
tmp=$work/build
if make -s BUILD="$tmp" DEPS="$(pwd)/build/deps" APPLETS=gpt "$tmp/blockbox" >/dev/null 2>&1; then
	only=$(stat -c %s "$tmp/blockbox")
else
	only="(build failed)"
fi
libs() { ldd "$1" 2>/dev/null | awk '$3 ~ /^\// { print $3 }' | xargs -r stat -L -c %s | awk '{ s += $1 } END { print s + 0 }'; }
echo "| binary | bytes | shared libraries it needs, bytes |"
echo "|---|---|---|"
echo "| blockbox with only gpt (static, stripped) | $only | 0 |"
echo "| blockbox, all applets (static, stripped) | $(stat -c %s "$bb") | 0 |"
for t in sgdisk sfdisk; do
	p=$(command -v $t)
	echo "| $t ($(file -b "$p" | cut -d, -f1-2)) | $(stat -c %s "$p") | $(libs "$p") |"
done
