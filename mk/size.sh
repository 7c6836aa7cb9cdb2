#!/bin/sh
# Size of the binary and what each applet adds to it: size.sh BINARY
# Per-applet cost = size of the full binary minus a build without it.
set -eu
bin=$1
full=$(stat -c %s "$bin")
echo "binary: $bin $full bytes"
all=$(cat build/gen/applets.list)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-14s %10s\n' applet "cost(B)"
for a in $all; do
	rest=$(echo "$all" | tr ' ' '\n' | grep -vx "$a" | tr '\n' ' ')
	[ -n "$rest" ] || { printf '%-14s %10s\n' "$a" "(only one)"; continue; }
	make -s BUILD="$tmp/b" DEPS="$(pwd)/build/deps" APPLETS="$rest" "$tmp/b/blockbox" >/dev/null 2>&1 ||
		{ printf '%-14s %10s\n' "$a" "(failed)"; continue; }
	printf '%-14s %10d\n' "$a" $((full - $(stat -c %s "$tmp/b/blockbox")))
done
