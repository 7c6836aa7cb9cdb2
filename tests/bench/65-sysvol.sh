#!/bin/sh
# sysvol under TCG: a first boot that provisions two blank 8 GiB disks
# (the mirrored default layout) and a second boot that only assembles and
# mounts, each split into sysvol's own time and the time spent in other
# programs (mdadm, mke2fs, mkfs.btrfs) and in loading kernel modules, as
# sysvol's report measures them inside the guest. The peer, measured in the same run: a boot of the
# same initramfs that does nothing (its wall time is the floor of both).
# Then where each boot's time went, phase by phase, from the report's
# "timing" (steps by kind; step:exec is the tools), and "outside": the
# process's life in the guest (uptime before and after, less what reading
# it costs) less its own measure: exec, the report, exit.
set -u
cd "$(dirname "$0")/../.."
initrd=build/initramfs-tools.cpio.gz
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bbbench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "== sysvol under TCG: two blank 8 GiB disks, first and second boot (seconds)"
if [ ! -s "$initrd" ]; then
	echo "(no $initrd: make initramfs)"
	exit 0
fi
truncate -s 8G "$tmp/d1.img" "$tmp/d2.img"
mkdir -p "$tmp/root/b"
cat >"$tmp/root/b/run" <<'EOF2'
#!/bin/sh
u=$(cut -d' ' -f1 /proc/uptime)
u0=$(cut -d' ' -f1 /proc/uptime) # the cost of one $(cut): u0 - u
blockbox sysvol --json >/tmp/sv.json 2>/dev/null
rc=$?
u1=$(cut -d' ' -f1 /proc/uptime)
o=$(sed -n 's/^  "outcome": "\([a-z]*\)",/\1/p' /tmp/sv.json)
s=$(sed -n 's/^  "seconds": \([0-9.]*\),*/\1/p' /tmp/sv.json)
t=$(sed -n 's/^  "seconds_tools": \([0-9.]*\),*/\1/p' /tmp/sv.json)
m=$(sed -n 's/^  "seconds_modules": \([0-9.]*\),*/\1/p' /tmp/sv.json)
echo "bench: outcome=$o seconds=$s tools=$t modules=$m rc=$rc"
echo "bench-phase: $(awk -v u="$u" -v a="$u0" -v b="$u1" -v s="$s" 'BEGIN { printf "%.3f", b - a - s - (a - u) }') outside (uptime, 10 ms steps)"
tr -d '\n' </tmp/sv.json | grep -o '"phase": "[^"]*", *"seconds": [0-9.e+-]*' |
	sed 's/"phase": "\([^"]*\)", *"seconds": \(.*\)/bench-phase: \2 \1/'
EOF2
chmod +x "$tmp/root/b/run"
now() { date +%s.%N; }
boot() { # TAG ARGS...: prints the bench line and the wall time; keeps the phases in $tmp/TAG
	tag=$1
	shift
	start=$(now)
	qemu/run.sh -q -t 900 -i "$initrd" -l "$tmp/log" "$@" >/dev/null 2>&1
	wall=$(awk -v s="$start" -v e="$(now)" 'BEGIN { printf "%.2f", e - s }')
	tr -d '\r' <"$tmp/log" | sed -n 's/^bench-phase: //p' >"$tmp/$tag"
	echo "$(tr -d '\r' <"$tmp/log" | grep '^bench:' | tail -n 1) wall=$wall"
}
field() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
row() { # NAME LINE
	set -- "$1" "$2" $(awk -v s="$(field seconds "$2")" -v t="$(field tools "$2")" -v m="$(field modules "$2")" \
		'BEGIN { if (s == "") print "- - - -"; else printf "%.2f %.2f %.2f %.2f\n", s, t, m, s - t - m }')
	printf '%-22s %-12s %8s %8s %8s %8s %9s\n' "$1" "$(field outcome "$2")" "$3" "$4" "$5" "$6" "$(field wall "$2")"
}
peer=$(boot peer)
first=$(boot first -x "$tmp/root" -d "$tmp/d1.img" -d "$tmp/d2.img" -- blockbox.run=/b/run)
second=$(boot second -x "$tmp/root" -d "$tmp/d1.img" -d "$tmp/d2.img" -- blockbox.run=/b/run)
printf '%-22s %-12s %8s %8s %8s %8s %9s\n' boot outcome sysvol tools modules "sysvol's" "boot wall"
row "first (provisioning)" "$first"
row "second (mount only)" "$second"
printf '%-22s %-12s %8s %8s %8s %8s %9s\n' "peer: an idle boot" - - - - - "$(field wall "$peer")"
echo "== where sysvol's time went, phase by phase (seconds; the goal of a second boot: under 1 s"
echo "   of its own, that is without step:exec (tools) and modules)"
printf '%-28s %10s %10s\n' phase first second
cat "$tmp/first" "$tmp/second" | cut -d' ' -f2- | awk '!seen[$0]++' | while IFS= read -r ph; do
	printf '%-28s %10s %10s\n' "$ph" \
		"$(awk -v p="$ph" '{ s = $1; $1 = ""; sub(/^ /, ""); if ($0 == p) printf "%.3f", s }' "$tmp/first")" \
		"$(awk -v p="$ph" '{ s = $1; $1 = ""; sub(/^ /, ""); if ($0 == p) printf "%.3f", s }' "$tmp/second")"
done
