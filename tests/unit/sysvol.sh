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
t_rc "--stop-after 0: usage error" 2 "$BB" sysvol --print-layout --cmdline "$T/empty" --stop-after 0
t_rc "an argument: usage error" 2 "$BB" sysvol --cmdline "$T/empty" extra
