#!/bin/sh
# make demo: the main job. Boot the rescue initramfs (tools profile) on two
# blank 16 GiB disks; sysvol partitions, formats, mirrors and mounts them;
# the guest shows what was built. Then boot again on the same disks: that
# boot only assembles and mounts. Each boot's time, and a verdict line.
#   qemu/demo.sh            the two boots
#   qemu/demo.sh COMMAND    one boot (minimal initramfs) running COMMAND, a
#                           command line of blockbox applets (DEMO_RUN=...)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
run=${1:-}
dir=$root/build/demo
mkdir -p "$dir"
# Blank each time, sparse: they cost no space until the guest writes.
for d in disk1 disk2; do
	rm -f "$dir/$d.img"
	truncate -s 16G "$dir/$d.img"
done
if [ -n "$run" ]; then
	echo "demo: booting the rescue initramfs with two blank 16 GiB disks; the guest runs: $run" >&2
	exec "$root/qemu/run.sh" -t 180 -l "$dir/console.log" -d "$dir/disk1.img" -d "$dir/disk2.img" \
		-- "blockbox.run=\"$run\""
fi

# What each boot runs in the guest: sysvol, then a look at what it made.
mkdir -p "$dir/root/demo"
cat >"$dir/root/demo/boot" <<'EOF2'
#!/bin/sh
boot=$1 want=$2
say() { printf '\n=== %s\n' "$*"; }
say "boot $boot: blockbox sysvol"
blockbox sysvol >/tmp/sysvol.txt 2>&1
rc=$?
cat /tmp/sysvol.txt
say "partitions"
for d in /dev/vda /dev/vdb; do blockbox gpt show "$d"; done
say "md arrays"
cat /proc/mdstat
ls -l /dev/md/ 2>/dev/null | sed -n 's/.* \(mos[a-z]*\) -> /\/dev\/md\/\1 -> /p'
say "btrfs devices and subvolumes"
btrfs filesystem show /run/sysvol/top
btrfs subvolume list /run/sysvol/top
say "mounts, with their labels"
awk '$2 ~ /^\/(boot|var\/cache)/ {print $1, $2, $3}' /proc/mounts | while read -r dev mnt type; do
	printf '%-24s %-12s %-20s %s\n' "$mnt" "$type" "$dev" "$(blockbox probe -s LABEL -o value "$dev")"
done
say "swap"
cat /proc/swaps
outcome=$(sed -n 's/^outcome: \([a-z]*\).*/\1/p' /tmp/sysvol.txt)
times=$(sed -n 's/^outcome: .*(\([0-9.]*\) s, \([0-9.]*\) s of it in other programs, \([0-9.]*\) s loading.*/\1 \2 \3/p' /tmp/sysvol.txt)
set -- $times
echo
echo "demo: boot $boot: ${outcome:-failed} (sysvol exit $rc, ${1:-?} s: ${2:-?} s of it in mdadm, mke2fs, mkfs.btrfs and their checks, ${3:-?} s loading modules)"
[ "$rc" = 0 ] && [ "$outcome" = "$want" ]
EOF2
chmod +x "$dir/root/demo/boot"

now() { date +%s.%N; }
boot() { # N WANT: one boot; prints its wall time
	start=$(now)
	status=0
	"$root/qemu/run.sh" -t 900 -i "$root/build/initramfs-tools.cpio.gz" -x "$dir/root" \
		-l "$dir/console-$1.log" -d "$dir/disk1.img" -d "$dir/disk2.img" \
		-- "blockbox.run=\"/demo/boot $1 $2\"" >&2 || status=$?
	wall=$(awk -v s="$start" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }')
	echo "demo: boot $1 took $wall s of wall time (TCG), guest status $status" >&2
	line=$(tr -d '\r' <"$dir/console-$1.log" | grep "^demo: boot $1:" | tail -n 1)
	eval "wall$1=\$wall status$1=\$status line$1=\"\$line\""
}
echo "demo: booting the rescue initramfs (tools) with two blank 16 GiB disks in build/demo/" >&2
boot 1 provisioned
echo "demo: booting again on the same disks: this boot only mounts" >&2
boot 2 mounted
echo
if [ "$status1" = 0 ] && [ "$status2" = 0 ]; then
	echo "demo: PASS: boot 1 ${line1#demo: boot 1: } in $wall1 s of wall time; boot 2 ${line2#demo: boot 2: } in $wall2 s"
else
	echo "demo: FAIL: boot 1 status $status1 (${line1:-no report}), boot 2 status $status2 (${line2:-no report}); consoles in build/demo/"
	exit 1
fi
