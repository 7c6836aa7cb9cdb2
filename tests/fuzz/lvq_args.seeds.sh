#!/bin/sh
# Seeds for lvq_args: --lv, --pv, --vg values and sizes, good and bad.
set -eu
n=0
for s in 'web_root:1G:xfs:/var/www/html' 'swap_space:1.5g:swap' 'rest:100%FREE:ext4:/srv' \
	's:1G:swap:/x' '/dev/vda:/dev/vdb' 'tank_vg:4M' 'tank_vg:8' '18446744073709551615B' \
	'15.99999999999999E' '0.1b' '8S' '50%PVS' 'a;b:1G' 'lv_tdata:1G' '/dev/../x'; do
	n=$((n + 1))
	printf '%s' "$s" >"$1/s$n"
done
