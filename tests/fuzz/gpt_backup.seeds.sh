#!/bin/sh
# Backup files for the gpt_backup fuzz target: gpt_backup.seeds.sh DIR.
# Made by blockbox itself from small tables (the target appends a fresh
# checksum, so the seeds are the files without their last four bytes).
set -eu
bb=$(cd "$(dirname "$0")/../.." && pwd)/build/blockbox
[ -x "$bb" ] || exit 0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
for s in 512 4096; do
	truncate -s 1M "$t/d$s.img"
	"$bb" gpt create --sector-size $s "$t/d$s.img" >/dev/null
	"$bb" gpt add "$t/d$s.img" --size 64K --name a >/dev/null 2>&1 || true
	"$bb" gpt backup "$t/d$s.img" "$t/b$s" >/dev/null
	head -c $(($(wc -c <"$t/b$s") - 4)) "$t/b$s" >"$1/backup-$s"
done
