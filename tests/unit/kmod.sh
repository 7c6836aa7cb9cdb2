# modprobe against module trees made here: host-compiled objects whose
# .modinfo sections say what real modules say. Nothing is loaded: a tree
# given with -d is never the running kernel's.
. "$(dirname "$0")/../lib.sh"

rel=9.9.9-test
mods=$T/root/lib/modules/$rel
mkdir -p "$mods/kernel/fs" "$mods/kernel/lib"

# fake_module PATH 'key=value' ...: an ELF object with those .modinfo strings
fake_module() {
	out=$1; shift
	info=
	for kv in "$@"; do info="$info$kv\\0"; done
	printf 'static const char m[] __attribute__((section(".modinfo"), used, aligned(1))) = "%s";\n' "$info" |
		cc -x c -c -o "$out" - || t_fail "fake_module $out" "cc failed"
}

fake_module "$mods/kernel/lib/base.ko" name=base depends=
fake_module "$mods/kernel/lib/mid-one.ko" name=mid_one depends=base
fake_module "$mods/kernel/lib/mid_two.ko" name=mid_two depends=base,bi
fake_module "$mods/kernel/fs/top.ko" name=top depends=mid-one,mid_two \
	'softdep=pre: soft_pre crypto-thing post: soft_post' 'softdep=pre: not_there'
fake_module "$mods/kernel/lib/soft_pre.ko" name=soft_pre
fake_module "$mods/kernel/lib/soft_post.ko" name=soft_post
fake_module "$mods/kernel/lib/gen.ko" name=gen alias=crypto-thing alias=thing
fake_module "$mods/kernel/lib/fast.ko" name=fast alias=crypto-thing
fake_module "$mods/kernel/fs/drv.ko" name=drv 'alias=pci:v00001AF4d*sv*sd*bc*sc*i*' alias=fs-drv
fake_module "$mods/kernel/lib/broken.ko" name=broken depends=gone
fake_module "$mods/kernel/lib/loop1.ko" name=loop1 depends=loop2
fake_module "$mods/kernel/lib/loop2.ko" name=loop2 depends=loop1
echo "not an ELF file" >"$mods/kernel/lib/junk.ko"
echo "xz" >"$mods/kernel/lib/squeezed.ko.xz"
printf 'kernel/lib/bi.ko\n' >"$mods/modules.builtin"
printf 'bi.file=lib/bi\0bi.alias=crypto-bi\0' >"$mods/modules.builtin.modinfo"

mp() { "$BB" modprobe -d "$T/root" -S "$rel" "$@"; }
with_rc() { { "$@"; echo "rc=$?"; } 2>&1 | tr '\n' ';'; }
plan() { mp --show-depends "$@" 2>&1 | sed -e "s|$mods/||" -e 's/   # soft dependency/ (soft)/' | tr '\n' ';'; }

t_eq "dependencies first, each once" "$(plan -a mid_two mid-one)" \
	"insmod kernel/lib/base.ko;builtin bi;insmod kernel/lib/mid_two.ko;insmod kernel/lib/mid-one.ko;"
t_eq "soft dependencies around, alias matches as a group" "$(plan top)" \
	"insmod kernel/lib/soft_pre.ko (soft);insmod kernel/lib/fast.ko (soft);insmod kernel/lib/gen.ko (soft);insmod kernel/lib/base.ko;insmod kernel/lib/mid-one.ko;builtin bi;insmod kernel/lib/mid_two.ko;insmod kernel/fs/top.ko;insmod kernel/lib/soft_post.ko (soft);"
t_eq "'-' and '_' are the same" "$(plan mid_one)" "insmod kernel/lib/base.ko;insmod kernel/lib/mid-one.ko;"
t_eq "alias" "$(plan fs-drv)" "insmod kernel/fs/drv.ko;"
t_eq "wildcard alias" "$(plan pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00)" "insmod kernel/fs/drv.ko;"
t_eq "built in" "$(plan bi)" "builtin bi;"
t_eq "built-in alias" "$(plan crypto-bi)" "builtin bi;"
t_eq "parameters go to what was asked for, blanks quoted" "$(plan mid_one 'opt=a b' n=1 'q="c d"')" \
	'insmod kernel/lib/base.ko;insmod kernel/lib/mid-one.ko opt="a b" n=1 q="c d";'
t_eq "-a: several" "$(mp -a -n base bi 2>&1 | sed "s|$mods/||" | tr '\n' ';')" "insmod kernel/lib/base.ko;builtin bi;"

t_rc "missing module fails" 1 mp -n nosuch
t_eq "missing module is named" "$(mp -n nosuch 2>&1)" "modprobe: nosuch: module not found in $mods"
t_eq "-q: quiet" "$(mp -q -n nosuch 2>&1; echo "rc=$?")" "rc=1"
t_eq "missing dependency" "$(with_rc mp -n broken)" \
	"modprobe: broken needs gone, which is not in $mods;rc=1;"
t_match "dependency loop" "$(with_rc mp -n loop1)" 'loop1: dependency loop through loop1.*rc=1'
t_match "not an ELF file" "$(with_rc mp -n junk)" 'junk.ko: not an ELF file.*rc=1'
t_match "compressed module" "$(with_rc mp -n squeezed)" 'squeezed.ko.xz: compressed modules are not supported.*rc=1'
t_match "no such kernel" "$(with_rc mp -S 0.0-none -n base)" 'no modules for kernel 0.0-none: .*rc=1'
t_match "another tree is never loaded" "$(with_rc mp base)" \
	"modules of kernel $rel cannot be loaded into the running one.*rc=1"
t_rc "no module named" 2 "$BB" modprobe
t_rc "rmmod without a name" 2 "$BB" rmmod
t_match "help names the other forms" "$("$BB" modprobe --help)" 'insmod FILE'

# The real kernel package, when mk/kernel.sh has unpacked it.
K=$(cd "$(dirname "$0")/../.." && pwd)/build/kernel
if [ -s "$K/version" ]; then
	real=$("$BB" modprobe -d "$K/root" -S "$(cat "$K/version")" --show-depends btrfs | sed 's|.*/||' | tr '\n' ' ')
	t_match "debian btrfs: chain in order" "$real" \
		'blake2b_generic.ko .*sha256_generic xxhash_generic.ko .*crc32c.*zstd_compress.ko raid6_pq.ko xor.ko libcrc32c.ko btrfs.ko $'
else
	t_skip "debian btrfs" "no kernel in build/kernel (make kernel)"
fi
