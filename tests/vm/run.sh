#!/bin/sh
# tests/vm/run.sh [SCENARIO...] - boot the VM scenarios (default: every
# tests/vm/NN-*.sh), VM_JOBS (default 2) at a time, print each result and
# end with "N passed, N failed".
#
# A scenario is a file sourced here that sets
#   disks="virtio:64M nvme:128M"  the disks, in order: bus (virtio,
#                                 virtio4k for 4096-byte sectors, nvme) and
#                                 size of a blank raw image each
#   timeout=120                   seconds for the whole boot
#   expect=0                      the guest status that means success
#   cmdline=                      more kernel command line words
#   console_input=                text typed into the emergency shell
#   profile=tools                 initramfs: tools or minimal
# and defines functions (all optional but guest):
#   prepare  host, before the boot: fill the images ($DISK1.. are their paths);
#            files put under $work/root/ are in the guest's root too
#   guest    prints the script the guest runs (tests/lib.sh helpers, $DISK1..
#            as device nodes; its checks print PASS/FAIL lines on the console)
#   check    host, after the boot: checks with tests/lib.sh helpers on the
#            images ($DISK1..) and the console ($CONSOLE, the text of $LOG);
#            it may boot the same disks again with `vm_boot TAG [ARGS...]`
#            (the guest runs what `guest` prints then, ARGS join the kernel
#            command line; the guest's PASS/FAIL lines count, tagged; LOG
#            and CONSOLE become that boot's; the guest's status is returned)
# A scenario passes when the guest status is `expect`, no check failed and
# check ran to its end. Everything of a scenario stays in build/vm/NAME/
# (console.log; the images when it failed). INT/TERM stop the whole run.
set -u
# Scenarios named as paths from here, absolute or relative.
named=
for s in "$@"; do named="$named $(realpath -m "$s")"; done
cd "$(dirname "$0")/../.."
root=$(pwd)
jobs=${VM_JOBS:-2}
out=$root/build/vm
mkdir -p "$out"
if [ -n "$named" ]; then scenarios=$named; else scenarios=$(ls tests/vm/[0-9]*.sh); fi

elapsed() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

# The guest's script: helpers, the disks by serial, the scenario's body.
write_guest_script() { # WORK NDISKS
	mkdir -p "$1/root/test"
	cp tests/lib.sh "$1/root/test/lib.sh"
	cp tests/vm/guest.sh "$1/root/test/guest.sh"
	{
		echo '#!/bin/sh'
		echo "BLOCKBOX=/bin/blockbox BB_SHARED=/test/shared NDISKS=$2"
		echo '. /test/lib.sh'
		echo '. /test/guest.sh'
		guest
		echo 'exit "$t_failed"'
	} >"$1/root/test/run"
	chmod +x "$1/root/test/run"
}

# Runs in a subshell: the scenario's variables and functions stay there.
boot_scenario() { # FILE WORK
	disks= timeout=120 expect=0 cmdline= console_input= profile=tools
	. "$root/tests/lib.sh"
	. "$1"
	work=$2 args= n=0
	for spec in $disks; do
		n=$((n + 1))
		img=$work/disk$n.img
		truncate -s "${spec#*:}" "$img" || return 1
		case "${spec%%:*}" in
		virtio) args="$args -d $img" ;;
		virtio4k) args="$args -D $img" ;;
		nvme) args="$args -n $img" ;;
		*) echo "FAIL setup: disk '$spec': bus must be virtio, virtio4k or nvme"; return 1 ;;
		esac
		eval "DISK$n=\$img"
	done
	if command -v prepare >/dev/null && ! prepare; then
		echo "FAIL prepare: failed on the host"
		return 1
	fi
	vm_ndisks=$n
	write_guest_script "$work" "$n"
	initrd=$root/build/initramfs-tools.cpio.gz
	[ "$profile" = minimal ] && initrd=$root/build/initramfs.cpio.gz
	input=
	if [ -n "$console_input" ]; then
		printf '%s\n' "$console_input" >"$work/console.in"
		input="-I $work/console.in"
	fi
	# init kills a hanging script first, leaving the harness's own
	# timeout as the last resort.
	guest_timeout=$((timeout - 20))
	[ "$guest_timeout" -ge 10 ] || guest_timeout=10
	# shellcheck disable=SC2086
	qemu/run.sh -q -t "$timeout" -i "$initrd" -x "$work/root" $args $input \
		-l "$work/console.log" -- blockbox.run=/test/run "blockbox.timeout=$guest_timeout" \
		$cmdline 2>"$work/harness.log"
	status=$?
	echo "$status" >"$work/status"
	LOG=$work/console.log
	CONSOLE=$(tr -d '\r' <"$LOG")
	echo "$CONSOLE" | grep -E '^(PASS|FAIL|SKIP) ' | sed 's/^/guest: /'
	if [ "$status" != "$expect" ]; then
		echo "FAIL status: guest status $status, wanted $expect: $(tail -n 1 "$work/harness.log")"
	elif command -v check >/dev/null; then
		# a shell error ends check early: a failure, not a pass
		{ check; : >"$work/checked"; } | sed 's/^/host: /'
		[ -e "$work/checked" ] || echo "FAIL check: the host checks stopped early (a shell error?)"
	fi
}

# Another boot of the scenario's disks, from its check function.
vm_boot() { # TAG [KERNEL-ARGS...]
	vm_tag=$1
	shift
	write_guest_script "$work" "$vm_ndisks"
	# shellcheck disable=SC2086
	qemu/run.sh -q -t "$timeout" -i "$initrd" -x "$work/root" $args \
		-l "$work/console-$vm_tag.log" -- blockbox.run=/test/run \
		"blockbox.timeout=$guest_timeout" $cmdline "$@" 2>>"$work/harness.log"
	vm_status=$?
	LOG=$work/console-$vm_tag.log
	CONSOLE=$(tr -d '\r' <"$LOG")
	echo "$CONSOLE" | grep -E '^(PASS|FAIL|SKIP) ' | sed "s/^\([A-Z]*\) /\1 [$vm_tag] /"
	return "$vm_status"
}

run_scenario() { # FILE
	name=$(basename "$1" .sh)
	work=$out/$name
	rm -rf "$work" && mkdir -p "$work"
	start=$(date +%s.%N)
	(boot_scenario "$1" "$work") >"$work/checks" 2>&1
	secs=$(elapsed "$start")
	status=$(cat "$work/status" 2>/dev/null || echo none)
	nchecks=$(grep -cE '^(guest|host): PASS ' "$work/checks")
	if grep -qE '^(FAIL|(guest|host): FAIL)' "$work/checks" ||
		[ ! -e "$work/status" ]; then
		echo FAIL >"$work/verdict"
		{
			echo "FAIL $name ($secs s, status $status)"
			grep -E '^(FAIL|(guest|host): FAIL)' "$work/checks" | sed 's/^/    /'
			grep -vE '^((guest|host): )?(PASS|FAIL|SKIP) ' "$work/checks" | sed 's/^/    /'
			echo "    --- last lines of $work/console.log:"
			tr -d '\r' <"$work/console.log" 2>/dev/null | tail -n 25 | sed 's/^/    | /'
		} >"$work/report"
	else
		echo PASS >"$work/verdict"
		echo "PASS $name ($secs s, status $status, $nchecks checks)" >"$work/report"
		[ "${VERBOSE:-0}" = 1 ] && sed 's/^/    /' "$work/checks" >>"$work/report"
		rm -f "$work"/disk*.img
	fi
}

# Lanes take scenarios from a shared queue, so a long one does not hold
# up the others.
queue=$out/.queue
printf '%s\n' $scenarios >"$queue"
next_scenario() {
	flock "$queue.lock" sh -c 'head -n 1 "$1"; sed -i 1d "$1"' _ "$queue"
}
lane() {
	while s=$(next_scenario) && [ -n "$s" ]; do
		run_scenario "$s"
		flock "$out/.print.lock" cat "$out/$(basename "$s" .sh)/report"
	done
}

for f in build/initramfs.cpio.gz build/initramfs-tools.cpio.gz; do
	[ -e "$f" ] || { echo "tests/vm: $f is missing (make initramfs)" >&2; exit 1; }
	[ "$f" -nt build/blockbox ] || echo "tests/vm: warning: $f is older than build/blockbox (make initramfs)" >&2
done

# PID and every process below it, from one look at the process table.
tree() {
	ps -eo pid=,ppid= | awk -v root="$1" '{ up[$1] = $2 }
		END { for (p in up) { q = p; while (q != root && q in up) q = up[q]; if (q == root) print p } }'
}
# Lanes run in the background, where a ctrl-C does not reach them: on
# INT/TERM/HUP, empty the queue and stop every lane with what it runs
# (qemu/run.sh stops its QEMU on TERM).
lanes=
stop() {
	trap - INT TERM HUP
	: >"$queue"
	pids=
	for l in $lanes; do
		pids="$pids $(tree "$l")"
	done
	# shellcheck disable=SC2086
	kill -TERM $pids 2>/dev/null
	wait
	# A lane's qemu/run.sh is a grandchild that wait does not cover: give
	# it time to remove its temporary directory before we report.
	i=0
	while [ "$i" -lt 300 ]; do
		alive=
		for p in $pids; do
			kill -0 "$p" 2>/dev/null && alive=1 && break
		done
		[ -n "$alive" ] || break
		sleep 0.1
		i=$((i + 1))
	done
	echo "VM suite interrupted" >&2
	exit 130
}
trap stop INT TERM HUP

start=$(date +%s.%N)
echo "== VM scenarios: $(echo "$scenarios" | wc -w), $jobs at a time (logs in build/vm/)"
j=0
while [ "$j" -lt "$jobs" ]; do
	lane &
	lanes="$lanes $!"
	j=$((j + 1))
done
wait
pass=0 fail=0
for s in $scenarios; do
	if [ "$(cat "$out/$(basename "$s" .sh)/verdict" 2>/dev/null)" = PASS ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
	fi
done
echo "VM suite: $(elapsed "$start") s wall"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
