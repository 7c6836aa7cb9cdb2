#!/bin/sh
# Runs every host-side test and totals the PASS/FAIL/SKIP lines:
#   the C unit tests ($UNIT), each tests/unit/*.sh, each fuzz target.
# Ends with "N passed, N failed" and exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
# The whole output of the last run stays in build/, for a failure seen once.
mkdir -p build/test
log=build/test/last-run.log
: >"$log"

section() { printf '\n== %s\n' "$1"; }

section "C unit tests (ASan/UBSan)"
"$UNIT" 2>&1 | tee -a "$log"

for t in tests/unit/*.sh; do
	[ -e "$t" ] || continue
	section "$t"
	sh "$t" 2>&1 | tee -a "$log"
done

if [ -n "${FUZZ_BINS:-}" ]; then
	section "fuzzing, ${FUZZ_SECONDS}s per target"
	tests/fuzz/run.sh "$FUZZ_SECONDS" $FUZZ_BINS 2>&1 | tee -a "$log"
fi

pass=$(grep -c '^PASS ' "$log")
fail=$(grep -c '^FAIL ' "$log")
skip=$(grep -c '^SKIP ' "$log")
if [ "$fail" -gt 0 ]; then
	printf '\nFailures:\n'
	grep '^FAIL ' "$log"
fi
echo
echo "$pass passed, $fail failed ($skip skipped)"
[ "$fail" -eq 0 ]
