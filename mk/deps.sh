#!/bin/sh
# Build the static musl dependencies of blockbox into a cache:
#   DEPS/include  kernel header links for musl-gcc, blkid.h, mbedtls/
#   DEPS/lib      libblkid.a, libmbedcrypto.a
# Sources come from Debian with `apt-get source`. Usage: mk/deps.sh DEPS
set -eu
deps=$(realpath -m "$1")
here=$(dirname "$(realpath "$0")")
done_stamp="$deps/.complete"
[ -e "$done_stamp" ] && exit 0

"$here/pkgs.sh" musl-tools linux-libc-dev dpkg-dev file
"$here/deb-src.sh"

mkdir -p "$deps/include" "$deps/lib" "$deps/src"
# musl-gcc does not search /usr/include: give it the kernel's uapi headers only.
for d in linux asm-generic mtd; do
	ln -sfn "/usr/include/$d" "$deps/include/$d"
done
ln -sfn "/usr/include/$(gcc -dumpmachine)/asm" "$deps/include/asm"

jobs=$(nproc 2>/dev/null || echo 2)
cd "$deps/src"
# Build output goes to a log; on failure its tail is shown.
log="$deps/build.log"
: >"$log"
trap '[ $? -eq 0 ] || { echo "deps: build failed; last lines of $log:" >&2; tail -20 "$log" >&2; }' EXIT

if [ ! -e "$deps/lib/libblkid.a" ]; then
	rm -rf util-linux-*
	echo "deps: libblkid from Debian util-linux source" >&2
	apt-get source -q util-linux >>"$log" 2>&1
	cd util-linux-*/
	# Debian's patches touch autotools inputs; make the generated files newer
	# again so make does not try to rerun automake (which is not installed).
	touch aclocal.m4 && sleep 1 && touch configure config.h.in && sleep 1 &&
		find . -name Makefile.in -exec touch {} +
	CC=musl-gcc CFLAGS="-Os -I$deps/include" ./configure -q \
		--disable-all-programs --enable-libblkid --disable-shared --enable-static \
		--without-udev --without-systemd --without-python --disable-nls \
		--without-btrfs --without-readline --without-ncurses --without-ncursesw \
		--without-tinfo --without-selinux --without-audit --without-cap-ng >>"$log" 2>&1
	make -s -j"$jobs" libblkid.la >>"$log" 2>&1
	cp .libs/libblkid.a "$deps/lib/"
	cp libblkid/src/blkid.h "$deps/include/"
	cd "$deps/src"
fi

if [ ! -e "$deps/lib/libmbedcrypto.a" ]; then
	rm -rf mbedtls-*
	echo "deps: mbedtls from Debian source" >&2
	apt-get source -q mbedtls >>"$log" 2>&1
	cd mbedtls-*/
	make -s -j"$jobs" -C library CC=musl-gcc CFLAGS="-Os -I$deps/include" libmbedcrypto.a >>"$log" 2>&1
	cp library/libmbedcrypto.a "$deps/lib/"
	rm -rf "$deps/include/mbedtls" && cp -r include/mbedtls "$deps/include/"
	[ -d include/psa ] && rm -rf "$deps/include/psa" && cp -r include/psa "$deps/include/"
	cd "$deps/src"
fi

touch "$done_stamp"
