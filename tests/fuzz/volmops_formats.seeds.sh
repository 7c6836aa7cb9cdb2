#!/bin/sh
# Seeds for the volmops_formats fuzzer: the built-in topology templates,
# a scrub record and a sysvol record.
set -eu
out=$1
here=$(cd "$(dirname "$0")/../.." && pwd)
cp "$here/config/data/volmgr-topologies.conf" "$out/topologies"
printf '{"fsid":"0123abcd-0000-1111-2222-333344445555","mount_point":"/mnt","state":"done","error":"","started":1,"ended":2,"data_bytes":3,"tree_bytes":4,"read_errors":0,"csum_errors":0,"verify_errors":0,"super_errors":0,"uncorrectable_errors":0,"corrected_errors":0}' >"$out/scrub"
printf 'state=degraded\nsince=2026-12-06T16:50:00Z\nmissing=disk2\npresent=disk1\n' >"$out/sysvol"
