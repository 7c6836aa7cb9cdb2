# sysvol without devices: --help names the kernel command line keys, the
# layout as it would be used (--print-layout) after mossize=/mosswap=, a
# replacement layout (--layout, sysvol.layout=), and bad values refused
# as usage errors with what is wrong.
. "$(dirname "$0")/../lib.sh"

help=$("$BB" sysvol --help 2>&1)
for k in mossize= mosswap= sysvol.disks= sysvol.layout= sysvol.wait= sysvol.replace=auto \
	--dry-run --json --layout; do
	t_match "--help: $k" "$help" "$k"
done
t_match "--help: GiB" "$help" 'mossize=N +GiB of the data partition \(default 4\)'

printf 'quiet mossize=10 mosswap=3\n' >"$T/cl"
out=$("$BB" sysvol --print-layout --cmdline "$T/cl")
t_eq "print-layout: exit 0" "$?" 0
t_match "mossize=10: data 10 GiB" "$out" '^5 mosdata type=linux size=10.0 GiB format=btrfs label=MOSDATA mirror=btrfs-raid1'
t_match "mosswap=3: swap 3 GiB" "$out" '^4 mosswap type=swap size=3.00 GiB format=swap label=MOSSWAP'
t_match "the ESP's 4K size" "$out" '^2 mosefi type=esp size=100 MiB size-4k=260 MiB format=vfat label=MOSEFI mirror=md-0.90 mount=/boot/efi'
t_match "mos-bin at /var/cache/bin" "$out" '^subvolume mos-bin mount=/var/cache/bin$'
printf '' >"$T/empty"
t_match "defaults: data 4 GiB" "$("$BB" sysvol --print-layout --cmdline "$T/empty")" '^5 mosdata .*size=4.00 GiB'
t_match "defaults: swap 2 GiB" "$("$BB" sysvol --print-layout --cmdline "$T/empty")" '^4 mosswap .*size=2.00 GiB'

printf '[partition]\nname = root\ntype = linux\nsize = 3G\nformat = ext4\nlabel = ROOT\nmount = /\n' >"$T/layout"
out=$("$BB" sysvol --print-layout --cmdline "$T/empty" --layout "$T/layout")
t_match "--layout FILE replaces it" "$out" "^# $T/layout"
t_match "--layout FILE: its partition" "$out" '^1 root type=linux size=3.00 GiB format=ext4 label=ROOT'
printf 'sysvol.layout=%s\n' "$T/layout" >"$T/cl2"
t_match "sysvol.layout= replaces it" "$("$BB" sysvol --print-layout --cmdline "$T/cl2")" '^1 root '

printf '[partition]\nname = a b\n' >"$T/bad"
t_rc "a bad layout: failure" 1 "$BB" sysvol --print-layout --cmdline "$T/empty" --layout "$T/bad"
t_match "a bad layout: the line" "$("$BB" sysvol --print-layout --cmdline "$T/empty" --layout "$T/bad" 2>&1)" \
	"^sysvol: layout $T/bad: line 2: name: 'a b'"
t_rc "a missing layout: failure" 1 "$BB" sysvol --print-layout --cmdline "$T/empty" --layout "$T/none"
printf 'mossize=0\n' >"$T/cl3"
t_match "mossize=0 refused" "$("$BB" sysvol --print-layout --cmdline "$T/cl3" 2>&1)" 'mossize=0: not a number of GiB from 1 to 65536'
for v in 'sysvol.wait=x' 'sysvol.wait=3601' 'sysvol.replace=maybe'; do
	printf '%s\n' "$v" >"$T/cl4"
	t_rc "$v: usage error" 2 "$BB" sysvol --print-layout --cmdline "$T/cl4"
done
t_rc "--cut-after-bytes without --stop-after: usage error" 2 "$BB" sysvol --print-layout --cmdline "$T/empty" --cut-after-bytes 1
t_rc "an argument: usage error" 2 "$BB" sysvol --cmdline "$T/empty" extra

# The choice of disks on a fake /sys, /proc and /dev (--sysroot, with
# --dry-run only): every disk skipped says why, a mirror takes two
# non-rotational disks of equal size first, sysvol.disks= restricts.
r=$T/root
mkdir -p "$r/sys/class/block" "$r/proc/self" "$r/dev"
n=0
blockdev() { # NAME GIB [ATTR=VALUE...]
	name=$1 dir=$r/sys/devices/virtual/block/$1
	n=$((n + 1))
	mkdir -p "$dir/queue" "$dir/holders" "$dir/device"
	echo "254:$((n * 16))" >"$dir/dev"
	echo $(($2 * 2097152)) >"$dir/size"
	echo 512 >"$dir/queue/logical_block_size"
	echo 1 >"$dir/queue/rotational"
	shift 2
	for kv in "$@"; do echo "${kv#*=}" >"$dir/${kv%%=*}"; done
	ln -s "../../devices/virtual/block/$name" "$r/sys/class/block/$name"
	truncate -s 16M "$r/dev/$name"
}
blockdev vda 16 device/serial=disk1
blockdev vdb 16 device/serial=disk2
blockdev nvme0n1 16 device/serial=n1 queue/rotational=0
blockdev nvme1n1 32 device/serial=n2 queue/rotational=0
blockdev nvme2n1 16 device/serial=n3 queue/rotational=0
blockdev sda 16 removable=1
blockdev sdb 16 ro=1
blockdev loop0 16
blockdev zram0 16
blockdev md0 16
blockdev dm-0 16
blockdev vdc 1 device/serial=small
blockdev vdd 16 device/serial=foreign
blockdev vde 16 device/serial=mounted
mkfs.ext4 -q -F -L OLD "$r/dev/vdd"
echo "36 25 254:224 / /mnt rw,relatime - ext4 /dev/vde rw" >"$r/proc/self/mountinfo"
: >"$r/proc/swaps"
printf '' >"$T/none"
out=$("$BB" sysvol --dry-run --sysroot "$r" --cmdline "$T/none" 2>&1)
t_eq "dry run on a fake tree: exit 0" "$?" 0
why() { printf '%s\n' "$out" | sed -n "s/^disk $1 ([^)]*): //p"; }
t_eq "nvme0n1: chosen" "$(why nvme0n1)" "chosen, blank: one half of the mirror"
t_eq "nvme2n1: chosen, the same size as nvme0n1" "$(why nvme2n1)" "chosen, blank: one half of the mirror"
t_match "nvme1n1: not used" "$(why nvme1n1)" '^blank: blank, not used: a mirror takes two disks of one tier'
t_match "vda: rotational, not used" "$(why vda)" '^blank: blank, not used'
t_eq "sda: removable" "$(why sda)" "skipped: removable"
t_eq "sdb: read-only" "$(why sdb)" "skipped: read-only"
t_eq "loop0" "$(why loop0)" "skipped: a loop device"
t_eq "zram0" "$(why zram0)" "skipped: a compressed RAM disk (zram)"
t_eq "md0" "$(why md0)" "skipped: an md array"
t_eq "dm-0" "$(why dm-0)" "skipped: a device-mapper device"
t_match "vdc: too small, with the sizes" "$(why vdc)" '^skipped: blank but too small: the layout needs 7.10 GiB, it has 1.00 GiB$'
t_match "vdd: foreign, what it holds" "$(why vdd)" '^foreign: .*ext4.*: left alone$'
t_match "vde: in use, where" "$(why vde)" '^skipped: in use: .*mounted on /mnt.*: left alone$'
t_match "the mirror's plan" "$out" 'md RAID1 /dev/md/mosefi \(metadata 0.90\) from '"$r"'/dev/nvme0n1p2 and '"$r"'/dev/nvme2n1p2'
printf 'sysvol.disks=disk2,n2\n' >"$T/only"
out=$("$BB" sysvol --dry-run --sysroot "$r" --cmdline "$T/only" 2>&1)
t_eq "sysvol.disks=: one of each tier, single on the non-rotational" "$(why nvme1n1)" \
	"chosen, blank: the single layout: no other blank disk of the same tier"
t_eq "sysvol.disks=: the rest not named" "$(why nvme0n1)" "skipped: not named in sysvol.disks=disk2,n2"
t_match "sysvol.disks=: single" "$out" '^outcome: planned, single'
printf 'sysvol.disks=none-such\n' >"$T/nomatch"
out=$("$BB" sysvol --dry-run --json --sysroot "$r" --cmdline "$T/nomatch" 2>&1)
t_eq "no suitable disk: diskless, exit 0" "$?" 0
t_match "no suitable disk: diskless" "$out" '"outcome": "diskless"'
t_rc "--sysroot without --dry-run: usage error" 2 "$BB" sysvol --sysroot "$r" --cmdline "$T/none"
