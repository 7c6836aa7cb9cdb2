# tests/lib.sh - sourced by shell tests. Each check prints one line,
# PASS/FAIL/SKIP NAME[: why], which tests/run-unit.sh totals.
set -u
BB=${BLOCKBOX:-$(cd "$(dirname "$0")/../.." && pwd)/build/blockbox}
SHARED=${BB_SHARED:-$(cd "$(dirname "$0")/../.." && pwd)/../shared}
T=$(mktemp -d "${TMPDIR:-/tmp}/bbsh.XXXXXX")
trap 'rm -rf "$T"' EXIT
# also when stopped by a signal (an interrupted VM run)
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
t_failed=0

t_pass() { echo "PASS $1"; }
t_fail() { echo "FAIL $1: $2"; t_failed=1; }
t_skip() { echo "SKIP $1: $2"; }

# t_ok NAME CMD...: passes when CMD exits 0; shows its output otherwise.
t_ok() {
	name=$1; shift
	if out=$("$@" 2>&1); then t_pass "$name"; else t_fail "$name" "exit $? from $*: $(echo "$out" | tail -3)"; fi
}

# t_rc NAME RC CMD...: passes when CMD exits with RC.
t_rc() {
	name=$1 want=$2; shift 2
	out=$("$@" 2>&1); rc=$?
	if [ "$rc" = "$want" ]; then t_pass "$name"; else t_fail "$name" "exit $rc, wanted $want from $*: $(echo "$out" | tail -3)"; fi
}

# t_eq NAME GOT WANT
t_eq() {
	if [ "$2" = "$3" ]; then t_pass "$1"; else t_fail "$1" "got '$2', wanted '$3'"; fi
}

# t_match NAME TEXT REGEX (grep -E)
t_match() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then t_pass "$1"; else t_fail "$1" "'$(printf '%s' "$2" | head -c 300)' does not match /$3/"; fi
}

t_have_fixtures() { [ -d "$SHARED/fixtures/seaweedfs" ]; }
