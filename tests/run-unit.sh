#!/bin/sh
# Runs every host-side test and totals the PASS/FAIL/SKIP lines:
#   the C unit tests ($UNIT), each tests/unit/*.sh, each fuzz target.
# Ends with "N passed, N failed" and exits non-zero on any failure.
#
# What a test prints besides its PASS/FAIL/SKIP lines (the messages its
# negative cases provoke on purpose, tool chatter) goes to the log only,
# and is shown under a test that failed, where it may say why.
set -u
cd "$(dirname "$0")/.."
# The whole output of the last run stays in build/, for a failure seen once.
mkdir -p build/test
log=build/test/last-run.log
out=build/test/section.out
: >"$log"

section() { printf '\n== %s\n' "$1"; }

# run NAME CMD...: the result lines on the terminal, all of it in the log
run() {
	name=$1; shift
	started=$(date +%s)
	section "$name"
	printf '\n== %s\n' "$name" >>"$log"
	# result lines as they come, the rest only into $out
	{ "$@" 2>&1; echo $? >"$out.rc"; } | tee "$out" | grep --line-buffered -E '^(PASS|FAIL|SKIP) '
	rc=$(cat "$out.rc")
	cat "$out" >>"$log"
	if [ "$rc" -ne 0 ] || grep -q '^FAIL ' "$out"; then
		if grep -qvE '^(PASS|FAIL|SKIP) ' "$out"; then
			echo "-- its other output (exit $rc):"
			grep -vE '^(PASS|FAIL|SKIP) ' "$out" | tail -n 40 | sed 's/^/   /'
		fi
		# a script that died before any FAIL line still fails the run
		grep -q '^FAIL ' "$out" || echo "FAIL $name: exited $rc" | tee -a "$log"
	fi
	# where make check's time goes, to know what to trim
	echo "-- $name: $(($(date +%s) - started)) s" | tee -a "$log"
}

run "C unit tests (ASan/UBSan)" "$UNIT"
for t in tests/unit/*.sh; do
	[ -e "$t" ] || continue
	run "$t" sh "$t"
done
if [ -n "${FUZZ_BINS:-}" ]; then
	# shellcheck disable=SC2086
	run "fuzzing, ${FUZZ_SECONDS}s per target" tests/fuzz/run.sh "$FUZZ_SECONDS" $FUZZ_BINS
fi
rm -f "$out" "$out.rc"

pass=$(grep -c '^PASS ' "$log")
fail=$(grep -c '^FAIL ' "$log")
skip=$(grep -c '^SKIP ' "$log")
if grep -q '^SKIP .*fixture' "$log"; then
	printf '\nSome tests were skipped for want of the SeaweedFS fixtures: files copied\n'
	printf 'unchanged from github.com/seaweedfs/seaweedfs (weed/storage/...), expected\n'
	printf 'in ../shared/fixtures/seaweedfs beside this checkout (its README lists them).\n'
fi
if [ "$fail" -gt 0 ]; then
	printf '\nFailures:\n'
	grep '^FAIL ' "$log"
fi
echo
echo "$pass passed, $fail failed ($skip skipped)"
[ "$fail" -eq 0 ]
