#!/bin/sh
# Fetch Debian's kernel for the VM guest and unpack it under a cache dir:
#   DIR/root/boot/vmlinuz-VER, DIR/root/lib/modules/VER/...
#   DIR/version  the kernel release (VER), written last: its presence
#                means the cache is complete.
# Nothing is installed into /boot. Usage: mk/kernel.sh DIR
set -eu
dir=$(realpath -m "$1")
here=$(dirname "$(realpath "$0")")
[ -s "$dir/version" ] && exit 0

# linux-image-amd64 is a metapackage; its one dependency names the
# versioned image package that holds vmlinuz and the modules.
image_pkg() {
	apt-cache show --no-all-versions linux-image-amd64 2>/dev/null |
		sed -n 's/^Depends: *\(linux-image-[^ ,]*\).*/\1/p' | head -n1
}
pkg=$(image_pkg)
if [ -z "$pkg" ]; then
	apt-get update -q >&2
	pkg=$(image_pkg)
fi
if [ -z "$pkg" ]; then
	echo "kernel: cannot tell which package linux-image-amd64 depends on (apt-cache show failed)" >&2
	exit 1
fi

rm -rf "$dir"
"$here/fetch-deb.sh" "$pkg" "$dir"
ver=$(ls "$dir/root/lib/modules")
if [ ! -e "$dir/root/boot/vmlinuz-$ver" ] || [ "$(echo "$ver" | wc -l)" != 1 ]; then
	echo "kernel: $pkg did not unpack to one boot/vmlinuz-VER and lib/modules/VER" >&2
	exit 1
fi
echo "$ver" >"$dir/version.tmp" && mv "$dir/version.tmp" "$dir/version"
echo "kernel: $ver in $dir/root" >&2
