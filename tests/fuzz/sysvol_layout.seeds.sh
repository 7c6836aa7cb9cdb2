#!/bin/sh
# Seeds for the sysvol layout fuzzer: the built-in layout and a small one.
set -eu
out=$1
here=$(cd "$(dirname "$0")/../.." && pwd)
cp "$here/config/data/sysvol-layout.conf" "$out/builtin"
printf '[partition]\nname=a\ntype=linux\nsize=cmdline:k:1\nformat=btrfs\n[subvolume]\nname=s\nmount=/s\n' >"$out/small"
