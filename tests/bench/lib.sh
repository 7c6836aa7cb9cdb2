# lib.sh - sourced by the bench scripts: timing that takes turns.
#
# A script runs its rows in rounds, every row once per round (blockbox and
# its peer one after the other), so a noisy moment on the shared machine
# hits both alike; each row then reports its best and median round.
#
# Sourcing it refuses to go on when /dev/null is not a character device
# (rows time writes to it: a regular file there would time the disk).
#
#   bench_begin TITLE            "== TITLE" and the load average at the start
#   bench_end                    the load average at the end
#   bench_init                   fresh record (and $BENCH_LOG for output)
#   timed KEY CMD...             run CMD once (stdout to /dev/null, stderr
#                                to $BENCH_LOG), record its wall time
#   stats KEY [DIGITS]           "best median" in seconds (3 decimals by
#                                default), or "failed"
#   worst KEY [DIGITS]           the slowest round in seconds, or "failed":
#                                with best and median, the spread a rerun
#                                should expect
#   ratio A B                    A / B as "1.23x" ("-" when B is not > 0)

if [ ! -c /dev/null ]; then
	echo "bench: /dev/null is not a character device; refusing to run" >&2
	exit 1
fi

bench_begin() {
	echo "== $1"
	echo "   load average at start: $(loadavg) ($(nproc) CPUs)"
}

bench_end() {
	echo "   load average at end: $(loadavg)"
}

bench_init() {
	BENCH_TIMES=$(mktemp)
	BENCH_LOG=${BENCH_LOG:-$(mktemp)}
	trap 'rm -f "$BENCH_TIMES"' EXIT
}

timed() {
	key=$1
	shift
	t0=$(date +%s%N)
	if "$@" >/dev/null 2>>"$BENCH_LOG"; then
		t1=$(date +%s%N)
		echo "$key $((t1 - t0))" >>"$BENCH_TIMES"
	else
		echo "$key failed" >>"$BENCH_TIMES"
	fi
}

stats() {
	awk -v k="$1" -v d="${2:-3}" '$1 == k { if ($2 == "failed") bad = 1; else t[n++] = $2 }
		END {
			if (bad || !n) { printf "failed"; exit }
			for (i = 1; i < n; i++)	# insertion sort: a few rounds only
				for (j = i; j > 0 && t[j - 1] > t[j]; j--) { x = t[j]; t[j] = t[j - 1]; t[j - 1] = x }
			printf "%.*f %.*f", d, t[0] / 1e9, d, t[int((n - 1) / 2)] / 1e9
		}' "$BENCH_TIMES"
}

worst() {
	awk -v k="$1" -v d="${2:-3}" '$1 == k { if ($2 == "failed") bad = 1; else if (!n++ || $2 > w) w = $2 }
		END { if (bad || !n) printf "failed"; else printf "%.*f", d, w / 1e9 }' "$BENCH_TIMES"
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2fx", a / b; else printf "-" }'
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# turns RUNS ROUNDS KEY CMD [KEY CMD...]: for commands too short to time
# one by one. Each round runs every CMD (shell text, eval'd, output
# discarded) RUNS times in a row and records the mean per run under KEY.
turns() {
	runs=$1 rounds=$2
	shift 2
	r=0
	while [ "$r" -lt "$rounds" ]; do
		i=1
		while [ "$i" -lt $# ]; do
			eval "key=\${$i} cmd=\${$((i + 1))}"
			t0=$(date +%s%N)
			n=0
			while [ "$n" -lt "$runs" ]; do
				eval "$cmd" >/dev/null 2>&1
				n=$((n + 1))
			done
			t1=$(date +%s%N)
			echo "$key $(((t1 - t0) / runs))" >>"$BENCH_TIMES"
			i=$((i + 2))
		done
		r=$((r + 1))
	done
}
