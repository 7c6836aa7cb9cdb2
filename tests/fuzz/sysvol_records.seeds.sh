#!/bin/sh
# Seeds for the sysvol records fuzzer: a degraded record and a members file
# as sysvol writes them.
set -eu
printf '# sysvol\nstate=degraded\nsince=2026-12-06T16:50:00Z\nmissing=disk2\npresent=disk1\n' >"$1/degraded"
printf 'disk1 btrfs_devid=1\ndisk2 btrfs_devid=2\n' >"$1/members"
