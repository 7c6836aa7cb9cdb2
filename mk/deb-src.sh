#!/bin/sh
# Make `apt-get source` work: derive a deb-src entry from the machine's own
# Debian sources (same URIs, suites and keys), so no host name lives in this repo.
set -eu
out=/etc/apt/sources.list.d/blockbox-deb-src.sources
[ -s "$out" ] && exit 0
src=/etc/apt/sources.list.d/debian.sources
echo "deb-src: apt-get source needs a deb-src entry: adding one with the same URIs," \
	"suites and components as this machine's deb entries, then apt-get update" >&2
if [ -s "$src" ]; then
	sed -e 's/^Types:.*/Types: deb-src/' "$src" >"$out.tmp"
elif [ -s /etc/apt/sources.list ]; then
	# one-line format: turn each "deb URI SUITE COMP" into deb-src
	grep -E '^deb[[:space:]]' /etc/apt/sources.list | sed -e 's/^deb[[:space:]]/deb-src /' \
		>/etc/apt/sources.list.d/blockbox-deb-src.list
	out=/etc/apt/sources.list.d/blockbox-deb-src.list
else
	echo "deb-src: no Debian sources file found to derive a deb-src entry from" >&2
	exit 1
fi
[ -e "$out.tmp" ] && mv "$out.tmp" "$out"
echo "deb-src: wrote $out" >&2
apt-get update -q >&2
