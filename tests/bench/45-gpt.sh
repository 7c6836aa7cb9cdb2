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
trap 'rm -rf "$img" "$work"' EXIT
for t in sgdisk sfdisk; do
	command -v $t >/dev/null 2>&1 || { echo "gpt bench: $t is not installed"; exit 0; }
done

# mean wall time of `runs` runs, in microseconds
us() {
	t0=$(date +%s%N)
	i=0
	while [ $i -lt "$runs" ]; do "$@" >/dev/null 2>&1; i=$((i + 1)); done
	t1=$(date +%s%N)
	echo $(( (t1 - t0) / 1000 / runs ))
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", b / a }'; }
row() { echo "| $1 | $2 | $3 | $4 | $(ratio "$2" "$4") |"; }

rm -f "$img" && truncate -s 1G "$img"
"$bb" gpt create "$img" >/dev/null
for s in 1M 512M 64M rest; do "$bb" gpt add "$img" --size $s --name "p$s" >/dev/null; done

echo "## gpt: one command on a 1 GiB image with 4 partitions, mean of $runs runs (page cache warm)"
echo
echo "| task | blockbox µs | peer | peer µs | peer / blockbox |"
echo "|---|---|---|---|---|"
row "read, JSON" "$(us "$bb" gpt show --json "$img")" "sfdisk --json" "$(us sfdisk --json "$img")"
row "read, table" "$(us "$bb" gpt show "$img")" "sgdisk -p" "$(us sgdisk -p "$img")"
row "verify" "$(us "$bb" gpt verify "$img")" "sgdisk -v" "$(us sgdisk -v "$img")"
row "verify" "$(us "$bb" gpt verify "$img")" "sfdisk --verify" "$(us sfdisk --verify "$img")"
echo

# Writes: sgdisk syncs and then sleeps about a second (for the kernel to
# reread the table) on every write, images included, so few runs here.
runs=${GPT_BENCH_WRITE_RUNS:-5}
echo "## gpt: writing, mean of $runs runs"
echo
echo "| task | blockbox µs | peer | peer µs | peer / blockbox |"
echo "|---|---|---|---|---|"
b=$(us "$bb" gpt rename "$img" 1 renamed)
row "rename a partition (3 flushes)" "$b" "sgdisk -c" "$(us sgdisk -c 1:renamed "$img")"
row "rename a partition (3 flushes)" "$b" "sfdisk --part-label" "$(us sfdisk --part-label "$img" 1 renamed)"

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
b=$(us new_bb); s=$(us new_sgdisk); f=$(us new_sfdisk)
row "new table + 3 partitions" "$b" "sgdisk -o -n ... (one call)" "$s"
row "new table + 3 partitions" "$b" "sfdisk script (one call)" "$f"
c=$(us copy_only)
b=$(us fix_bb); s=$(us fix_sg)
row "grown disk: backup to the end (copy time taken off)" "$((b - c))" "sgdisk -e" "$((s - c))"
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
