#!/bin/sh
# Run each libFuzzer target for a bounded time: run.sh SECONDS BIN...
# Seeds come from tests/fuzz/NAME.seeds.sh when present (it writes files
# into the directory it is given); findings fail the run. Targets run one
# per CPU at a time (FUZZ_JOBS overrides): each is single-threaded, and
# the rest of make check runs serially, so a lone fuzzer leaves a core idle.
set -u
here=$(cd "$(dirname "$0")" && pwd)

# one SECONDS BIN: run one target and print its PASS/FAIL line
one() {
	secs=$1 bin=$2
	name=$(basename "$bin")
	work=$(dirname "$bin")/$name.work
	rm -rf "$work" && mkdir -p "$work/corpus" "$work/seeds"
	[ -x "$here/$name.seeds.sh" ] && "$here/$name.seeds.sh" "$work/seeds" >/dev/null 2>&1
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$work/" "$work/corpus" "$work/seeds" >"$work/log" 2>&1; then
		runs=$(grep -o 'Done [0-9]* runs' "$work/log" | tail -1)
		echo "PASS fuzz_$name (${runs:-ran} in ${secs}s)"
	else
		# findings outlive the next run, which starts from a clean work dir
		keep=$(dirname "$bin")/findings/$name-$(date +%Y%m%d-%H%M%S)
		mkdir -p "$keep" && cp "$work/log" "$work"/crash-* "$work"/leak-* "$work"/timeout-* \
			"$work"/oom-* "$keep/" 2>/dev/null
		echo "FAIL fuzz_$name: $(grep -m1 -E 'ERROR|SUMMARY' "$work/log") (input and log kept in $keep)"
	fi
}

if [ "${1:-}" = --one ]; then
	one "$2" "$3"
	exit 0
fi
secs=$1; shift
# Each result is one short line, written whole: lines from parallel
# targets never interleave mid-line.
printf '%s\n' "$@" | xargs -P "${FUZZ_JOBS:-$(nproc)}" -I{} sh "$0" --one "$secs" {}
