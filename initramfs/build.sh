#!/bin/sh
# Assemble the rescue initramfs: build.sh PROFILE OUT
#   PROFILE  minimal: blockbox and its applet links, the kernel modules of
#                     initramfs/modules with their dependencies, busybox
#                     for the emergency shell and small tools
#            tools:   minimal, plus initramfs/modules-tools and the
#                     external tools of initramfs/tools with their shared
#                     libraries and loader, and an lvm.conf for no udev
#   OUT      the gzip-compressed newc cpio to write
# Environment: BLOCKBOX (build/blockbox), KERNEL (build/kernel, as made by
# mk/kernel.sh), BUSYBOX (build/busybox/root/bin/busybox), STAGE (staging
# directory).
#
# The busybox is Debian's dynamically linked build, with its C library:
# busybox-static's shell runs its own applets before anything in PATH, so
# its modprobe, insmod and init would hide blockbox's in every script.
set -eu
profile=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
bb=$(realpath "${BLOCKBOX:-build/blockbox}")
kernel=$(realpath "${KERNEL:-build/kernel}")
busybox=$(realpath "${BUSYBOX:-build/busybox/root/bin/busybox}")
stage=${STAGE:-$out.d}

die() { echo "initramfs: $*" >&2; exit 1; }

case "$profile" in minimal | tools) ;; *) die "unknown profile '$profile' (minimal or tools)" ;; esac
[ -x "$bb" ] || die "$bb: no blockbox binary (run make first)"
[ -s "$kernel/version" ] || die "$kernel: no kernel (mk/kernel.sh $kernel fetches it)"
[ -x "$busybox" ] || die "$busybox: not found (mk/fetch-deb.sh busybox build/busybox fetches it)"
release=$(cat "$kernel/version")
kroot=$kernel/root

rm -rf "$stage"
mkdir -p "$stage"
cd "$stage"
mkdir -p bin dev proc sys run tmp root mnt etc/blockbox/init.conf.d usr/bin usr/sbin \
	lib/modules/"$release" var
chmod 1777 tmp
ln -s bin sbin
ln -s ../run var/run
ln -s /proc/self/mounts etc/mtab
# Without the node the kernel starts init with no console; init reopens
# it from devtmpfs then, but early messages would be lost.
mknod -m 600 dev/console c 5 1 2>/dev/null || true

# ---- blockbox, its applets, and /init ------------------------------------
cp "$bb" bin/blockbox
for a in $("$bb" --list); do
	ln -s blockbox "bin/$a"
done
ln -s bin/blockbox init
cp "$here/init.conf" etc/blockbox/init.conf.d/10-initramfs.conf
# busybox mount without -t tries the types of /etc/filesystems and of
# /proc/filesystems, which has only the loaded ones: without this list,
# `mount /dev/md0 /mnt` failed with ENOENT until someone loaded ext4.
cp "$here/filesystems" etc/filesystems

# ---- kernel modules --------------------------------------------------------
module_list() { cat "$@" | grep -v '^[[:space:]]*#' | tr -s ' \t' '\n\n' | grep -v '^$'; }
lists="$here/modules"
[ "$profile" = tools ] && lists="$lists $here/modules-tools"
# blockbox's own modprobe orders them, as it will inside the guest.
# shellcheck disable=SC2086
plan=$("$bb" modprobe -a -d "$kroot" -S "$release" --show-depends $(module_list $lists)) ||
	die "resolving modules failed"
kmods=$kroot/lib/modules/$release
echo "$plan" | sed -n 's/^insmod \([^ ]*\).*/\1/p' | sort -u | while read -r ko; do
	rel=${ko#"$kmods"/}
	mkdir -p "lib/modules/$release/$(dirname "$rel")"
	cp "$ko" "lib/modules/$release/$rel"
done
for f in modules.builtin modules.builtin.modinfo modules.order; do
	[ -e "$kmods/$f" ] && cp "$kmods/$f" "lib/modules/$release/"
done

# ---- external tools with their libraries -----------------------------------
copy_libs() {
	# ldd lines: "libx.so => /lib/.../libx.so (0x..)" and "/lib64/ld-linux... (0x..)"
	ldd "$1" 2>/dev/null | sed -n -e 's/.*=> \(\/[^ ]*\).*/\1/p' -e 's/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' |
		while read -r lib; do
			[ -e ".$lib" ] && continue
			mkdir -p ".$(dirname "$lib")"
			cp -L "$lib" ".$lib"
		done
}

if [ "$profile" = tools ]; then
	grep -v '^[[:space:]]*#' "$here/tools" | grep -v '^[[:space:]]*$' | while read -r tool links; do
		src=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v "$tool") ||
			die "$tool: not found on this machine (see mk/vm.mk for the packages)"
		cp -L "$src" "usr/sbin/$tool"
		copy_libs "$src"
		for l in $links; do
			ln -sf "$tool" "usr/sbin/$l"
		done
	done
	# glibc dlopens libgcc_s for pthread_cancel and unwinding (btrfs scrub
	# -B ends its progress thread that way): ldd does not list it.
	gcc_s=$(ldconfig -p | sed -n 's/^[[:space:]]*libgcc_s\.so\.1 (libc6,x86-64) => //p' | head -n 1)
	[ -n "$gcc_s" ] || die "libgcc_s.so.1: not found on this machine (package libgcc-s1)"
	mkdir -p ".$(dirname "$gcc_s")" && cp -L "$gcc_s" ".$gcc_s"
	mkdir -p etc/lvm etc/mdadm
	cp "$here/lvm.conf" etc/lvm/lvm.conf
	[ -e /etc/mke2fs.conf ] && cp /etc/mke2fs.conf etc/
fi

# ---- busybox: the shell, and the small tools blockbox does not have --------
cp "$busybox" bin/busybox
copy_libs "$busybox"
for a in $("$busybox" --list); do
	case "$a" in busybox | init | linuxrc | '[' | '[[') continue ;; esac
	[ -e "bin/$a" ] || [ -L "bin/$a" ] || [ -e "usr/sbin/$a" ] || [ -L "usr/sbin/$a" ] ||
		ln -s busybox "bin/$a"
done
ln -s busybox 'bin/['

# ---- the archive -------------------------------------------------------------
cd - >/dev/null
tmp=$out.tmp
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9n >"$tmp"
mv "$tmp" "$out"
files=$(find "$stage" | wc -l)
mods=$(find "$stage/lib/modules" -name '*.ko' | wc -l)
echo "initramfs: $out ($profile): $(stat -c %s "$out") bytes, $files files, $mods modules, $(du -sk "$stage" | cut -f1) KiB unpacked" >&2
