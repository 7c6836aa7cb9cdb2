#!/bin/sh
# Build the static musl dependencies of blockbox into a cache:
#   DEPS/include  kernel header links for musl-gcc, blkid.h, mbedtls/
#   DEPS/lib      libblkid.a, libmbedcrypto.a, libmbedx509.a, libmbedtls.a
# Sources come from Debian with `apt-get source`. Usage: mk/deps.sh DEPS
set -eu
start=$(date +%s)
# One line per phase, with the seconds since the start: the slow ones
# (util-linux's configure above all) should not look like a hang.
phase() { echo "deps: [$(($(date +%s) - start))s] $*" >&2; }
deps=$(realpath -m "$1")
here=$(dirname "$(realpath "$0")")
done_stamp="$deps/.complete"
# A cache from before TLS (volmgr --listen-tls) lacks libmbedtls.a, or
# the trimmed build for blockbox's own link (mk/mbedtls-config.h): add it.
trim="$deps/mbedtls-trim"
mbed_conf="$here/mbedtls-config.h"
trim_ok() { [ -e "$trim/lib/libmbedtls.a" ] && cmp -s "$mbed_conf" "$trim/mbedtls-config.h"; }
[ -e "$done_stamp" ] && [ -e "$deps/lib/libmbedtls.a" ] && trim_ok && exit 0

phase "Debian packages: musl-tools linux-libc-dev dpkg-dev file (installed if missing)"
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
	phase "util-linux: apt-get source (for libblkid; log in $log)"
	apt-get source -q util-linux >>"$log" 2>&1
	cd util-linux-*/
	# Debian's patches touch autotools inputs; make the generated files newer
	# again so make does not try to rerun automake (which is not installed).
	touch aclocal.m4 && sleep 1 && touch configure config.h.in && sleep 1 &&
		find . -name Makefile.in -exec touch {} +
	phase "util-linux: configure with musl-gcc (the slow part: minutes on 2 cores)"
	CC=musl-gcc CFLAGS="-Os -I$deps/include" ./configure -q \
		--disable-all-programs --enable-libblkid --disable-shared --enable-static \
		--without-udev --without-systemd --without-python --disable-nls \
		--without-btrfs --without-readline --without-ncurses --without-ncursesw \
		--without-tinfo --without-selinux --without-audit --without-cap-ng >>"$log" 2>&1
	phase "util-linux: make libblkid.la"
	make -s -j"$jobs" libblkid.la >>"$log" 2>&1
	cp .libs/libblkid.a "$deps/lib/"
	cp libblkid/src/blkid.h "$deps/include/"
	cd "$deps/src"
fi

if [ ! -e "$deps/lib/libmbedtls.a" ]; then
	if ! [ -d mbedtls-*/library ]; then
		rm -rf mbedtls-*
		phase "mbedtls: apt-get source"
		apt-get source -q mbedtls >>"$log" 2>&1
	fi
	cd mbedtls-*/
	phase "mbedtls: make libmbedcrypto.a libmbedx509.a libmbedtls.a"
	# Each function in its own section, so that the link keeps only what
	# blockbox calls (TLS would otherwise bring every cipher it knows).
	make -s -C library clean >>"$log" 2>&1
	make -s -j"$jobs" -C library CC=musl-gcc \
		CFLAGS="-Os -ffunction-sections -fdata-sections -I$deps/include" \
		libmbedcrypto.a libmbedx509.a libmbedtls.a >>"$log" 2>&1
	# Renamed into place: a build linking from this cache meanwhile keeps
	# reading the file it opened.
	for l in libmbedcrypto.a libmbedx509.a libmbedtls.a; do
		cp library/$l "$deps/lib/$l.tmp" && mv "$deps/lib/$l.tmp" "$deps/lib/$l"
	done
	# Headers of the same source are there already when a cache gains TLS.
	if [ ! -d "$deps/include/mbedtls" ]; then
		cp -r include/mbedtls "$deps/include/"
		[ -d include/psa ] && rm -rf "$deps/include/psa" && cp -r include/psa "$deps/include/"
	fi
	cd "$deps/src"
fi

# The same libraries again, configured with mk/mbedtls-config.h (what
# blockbox never uses left out), in a directory of their own: the objects
# that include mbedtls' headers must be compiled with that configuration
# too, and a tree that does not know about it keeps linking lib/.
if ! trim_ok; then
	cd mbedtls-*/
	phase "mbedtls: the trimmed build for build/blockbox"
	mkdir -p "$trim/lib"
	cp "$mbed_conf" "$trim/mbedtls-config.h.new"
	make -s -C library clean >>"$log" 2>&1
	make -s -j"$jobs" -C library CC=musl-gcc CFLAGS="-Os -ffunction-sections -fdata-sections \
		-I$deps/include -DMBEDTLS_USER_CONFIG_FILE='\"$trim/mbedtls-config.h.new\"'" \
		libmbedcrypto.a libmbedx509.a libmbedtls.a >>"$log" 2>&1
	for l in libmbedcrypto.a libmbedx509.a libmbedtls.a; do
		cp library/$l "$trim/lib/$l.tmp" && mv "$trim/lib/$l.tmp" "$trim/lib/$l"
	done
	mv "$trim/mbedtls-config.h.new" "$trim/mbedtls-config.h"
	make -s -C library clean >>"$log" 2>&1
	cd "$deps/src"
fi

touch "$done_stamp"
phase "done: $deps"
