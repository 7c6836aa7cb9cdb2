#!/bin/sh
# Seeds for the fstab fuzzer: a typical file, the host's own, odd lines.
set -eu
out=$1
printf '# comment\nUUID=6d3c2b1a-0f4e-4c8b-9a7d-5e6f7a8b9c0d / ext4 errors=remount-ro 0 1\n/dev/sda3 none swap sw 0 0\nLABEL=data\t/srv/my\\040data\txfs\tdefaults\t0\t2\n' >"$out/typical"
printf 'UUID=b1 / btrfs subvol=@ 0 0\nUUID=b1 /home btrfs subvol=@home 0 0\ntmpfs /tmp tmpfs\nbroken\nUUID=x /crlf ext4 d 0 0\r\n' >"$out/odd"
[ -r /etc/fstab ] && head -c 8000 /etc/fstab >"$out/host" || true
