#!/bin/sh
# Fetch one Debian binary package and unpack it under a cache dir, without
# installing it: mk/fetch-deb.sh PACKAGE DIR
#   DIR/root/...   the package's files (dpkg-deb -x)
#   DIR/package    "PACKAGE VERSION", written last: the cache is complete
set -eu
pkg=$1
dir=$(realpath -m "$2")
[ -s "$dir/package" ] && exit 0

download() { (cd "$dir/dl" && apt-get download -q "$pkg" >&2); }
rm -rf "$dir" && mkdir -p "$dir/dl"
# apt-get download drops privileges to _apt when it can; let it write here.
chmod 777 "$dir/dl" 2>/dev/null || true
echo "fetch-deb: downloading $pkg" >&2
# A fresh machine may not have read its package lists yet.
download || { apt-get update -q >&2 && download; } ||
	{ echo "fetch-deb: cannot download $pkg" >&2; exit 1; }
deb=$(ls "$dir/dl"/*.deb)
dpkg-deb -x "$deb" "$dir/root"
version=$(dpkg-deb -f "$deb" Version)
rm -rf "$dir/dl"
echo "$pkg $version" >"$dir/package.tmp" && mv "$dir/package.tmp" "$dir/package"
