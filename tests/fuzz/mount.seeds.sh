#!/bin/sh
# Seeds for the mount fuzzer: option strings and the host's own mountinfo.
set -eu
out=$1
printf 'ro,noatime,compress=zstd' >"$out/opts"
printf 'defaults,nofail,x-systemd.automount,context="a,b",subvol=@' >"$out/opts2"
head -c 4000 /proc/self/mountinfo >"$out/mountinfo" 2>/dev/null || true
printf '31 25 0:45 /@home /home\\040x rw shared:40 master:3 - btrfs /dev/vdb rw\n' >"$out/line"
