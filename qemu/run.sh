#!/bin/sh
# qemu/run.sh - boot the rescue initramfs in QEMU and return the guest's
# status.
#
#   qemu/run.sh [OPTIONS] [-- KERNEL-ARGS...]
#     -i FILE     base initramfs (default build/initramfs.cpio.gz)
#     -x PATH     extra cpio archive, or a directory packed into one, added
#                 after the base (repeatable): test scripts, fixtures
#     -d IMAGE    raw disk image on virtio-blk (repeatable)
#     -D IMAGE    the same with 4096-byte logical sectors (repeatable)
#     -n IMAGE    raw disk image on an emulated NVMe controller (repeatable)
#     -s SERIAL   the serial of the next disk given (default diskN, N its
#                 place): a disk keeps its identity when another is left out
#     -t SECONDS  wall-clock timeout of the whole boot (default 120)
#     -m MEM      guest memory (default 1G)
#     -l FILE     write the console log to FILE as well
#     -I FILE     type FILE on the console once -W's text has appeared
#     -W TEXT     (default "emergency shell")
#     -q          do not copy the console to stdout
#     -K          use KVM instead of TCG (also VM_ACCEL=kvm)
#     -k FILE     kernel (default: the one mk/kernel.sh unpacked in build/kernel)
#
# Disks get the serial numbers disk1, disk2, ... in the order given (or the
# one -s gives), so a guest finds them by serial whatever names the kernel
# gives them.
# The guest's init reports through isa-debug-exit at port 0xf4; a small
# archive added last tells it so (blockbox.exitport), and to power off
# when done or failed (blockbox.then/onfail; the kernel command line can
# override them).
#
# Exit status: the guest's status (0-126; 126 stands for 126 or more), or
#   124  timeout (as for a command the guest's init killed on its timeout)
#   125  no status from the guest: QEMU could not run, or the guest
#        rebooted, panicked or powered off without the exit port
# A line on stderr says which.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
qemu=${QEMU:-qemu-system-x86_64}
initrd=$root/build/initramfs.cpio.gz
kernel=
timeout=120 mem=1G log= input= wait_for="emergency shell" quiet=0
accel=${VM_ACCEL:-tcg}
# Paths may hold blanks: the lists keep one item a line.
nl='
'
extras= disks= serial=

die() { echo "qemu/run.sh: $*" >&2; exit 125; }
usage() { sed -n '2,/^set -eu/{/^#/s/^# \{0,1\}//p}' "$0"; }
one_line() { case "$1" in *"$nl"*) die "$1: a path may not hold a newline" ;; esac; }

add_disk() { # BUS IMAGE
	[ -f "$2" ] || die "$2: no such disk image"
	one_line "$2"
	case "$serial" in *[!A-Za-z0-9_-]*) die "-s $serial: letters, digits, - and _ only" ;; esac
	disks="$disks$1 ${serial:--} $2$nl"
	serial=
}

while getopts i:x:d:D:n:s:t:m:l:I:W:qKk:h opt; do
	case "$opt" in
	i) initrd=$OPTARG ;;
	x) one_line "$OPTARG"; extras="$extras$OPTARG$nl" ;;
	d) add_disk virtio "$OPTARG" ;;
	D) add_disk virtio4k "$OPTARG" ;;
	n) add_disk nvme "$OPTARG" ;;
	s) serial=$OPTARG ;;
	t) timeout=$OPTARG ;;
	m) mem=$OPTARG ;;
	l) log=$OPTARG ;;
	I) input=$OPTARG ;;
	W) wait_for=$OPTARG ;;
	q) quiet=1 ;;
	K) accel=kvm ;;
	k) kernel=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 125 ;;
	esac
done
shift $((OPTIND - 1))
[ "${1:-}" = -- ] && shift

case "$timeout" in '' | *[!0-9]* | 0) die "-t $timeout: not a number of seconds (1 or more)" ;; esac
if [ -z "$kernel" ]; then
	[ -s "$root/build/kernel/version" ] || die "no kernel in build/kernel (make kernel fetches it)"
	kernel=$root/build/kernel/root/boot/vmlinuz-$(cat "$root/build/kernel/version")
fi
[ -f "$kernel" ] || die "$kernel: no such kernel"
[ -f "$initrd" ] || die "$initrd: no such initramfs (make initramfs builds it)"
[ -z "$input" ] || [ -f "$input" ] || die "$input: no such console input file"
command -v "$qemu" >/dev/null || die "$qemu: not found (Debian package qemu-system-x86)"

tmp= writer=
# timeout(1) puts QEMU in a process group of its own, out of reach of a
# ctrl-C at the terminal: on the way out, stop it and the console writer.
cleanup() {
	# A signal arriving now (the TERM meant for us, landing after our own
	# exit began) would end the shell mid-cleanup: finish first.
	trap '' INT TERM HUP
	[ -z "$writer" ] || kill "$writer" 2>/dev/null || true
	[ -z "$tmp" ] || [ ! -s "$tmp/qpid" ] || kill "$(cat "$tmp/qpid")" 2>/dev/null || true
	wait
	[ -n "$tmp" ] || return 0
	# a child stopped by the same signal may still be writing its last
	# file (rc) as the directory goes, late on a loaded machine: try
	# again for a few seconds rather than leave it
	for try in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		rm -rf "$tmp" 2>/dev/null
		[ -e "$tmp" ] || break
		sleep 0.25
	done
}
# The traps come before the directory, so that a signal arriving while it
# is made cannot leave it behind.
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bbvm.XXXXXX")

# ---- the initrd: base + extras + harness settings, concatenated ----------
# The kernel unpacks concatenated archives in order (later files win);
# each piece is padded to a 512-byte boundary, since an uncompressed
# archive must start 4-byte aligned.
pack_dir() { (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet); }
add_piece() {
	if [ -d "$1" ]; then
		pack_dir "$1" >"$tmp/piece"
	elif [ -f "$1" ]; then
		cp "$1" "$tmp/piece"
	else
		die "$1: no such archive or directory"
	fi
	truncate -s %512 "$tmp/piece"
	cat "$tmp/piece" >>"$tmp/initrd"
	rm -f "$tmp/piece"
}
mkdir -p "$tmp/harness/etc/blockbox/init.conf.d"
echo "blockbox.exitport=0xf4 blockbox.onfail=poweroff blockbox.then=poweroff" \
	>"$tmp/harness/etc/blockbox/init.conf.d/90-harness.conf"
add_piece "$initrd"
while IFS= read -r piece; do
	[ -z "$piece" ] || add_piece "$piece"
done <<END
$extras
END
add_piece "$tmp/harness"

# ---- QEMU --------------------------------------------------------------------
case "$accel" in
tcg) accel_args="-accel tcg -cpu max" ;;
kvm) accel_args="-accel kvm -cpu host" ;;
*) die "VM_ACCEL=$accel: tcg or kvm" ;;
esac
: "${log:=$tmp/console.log}"
: >"$log"
# no_timer_check: under TCG on a loaded host the kernel can time its
# IO-APIC timer check out and panic at boot; the check proves nothing here.
cmdline="console=ttyS0 panic=-1 quiet no_timer_check $*"

# The disks as QEMU arguments, in "$@": no path is split on blanks. In
# QEMU's option syntax a comma inside a value is written twice.
set --
n=0
while IFS= read -r d; do
	[ -n "$d" ] || continue
	n=$((n + 1))
	case "${d%% *}" in
	virtio) dev=virtio-blk-pci ;;
	virtio4k) dev=virtio-blk-pci,logical_block_size=4096,physical_block_size=4096 ;;
	nvme) dev=nvme ;;
	esac
	rest=${d#* }
	sn=${rest%% *}
	[ "$sn" != - ] || sn=disk$n
	file=$(printf '%s' "${rest#* }" | sed 's/,/,,/g')
	set -- "$@" -drive "file=$file,if=none,id=disk$n,format=raw" -device "$dev,drive=disk$n,serial=$sn"
done <<END
$disks
END

stdin=/dev/null
if [ -n "$input" ]; then
	stdin=$tmp/console.in
	mkfifo "$stdin"
	# Typed only once the guest asks for it: characters sent while the
	# kernel sets up the serial port would be lost.
	(
		until grep -qF -- "$wait_for" "$log"; do
			[ -e "$tmp/rc" ] && exit 0
			sleep 0.2
		done
		cat "$input"
		while [ ! -e "$tmp/rc" ]; do sleep 0.5; done
	) >"$stdin" &
	writer=$!
fi

start=$(date +%s.%N)
# In the background, so that a signal runs the traps at once.
# shellcheck disable=SC2086
{
	timeout -k 5 "$timeout" "$qemu" -M q35 $accel_args -m "$mem" -smp 1 \
		-nodefaults -no-user-config -display none -no-reboot \
		-serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel "$kernel" -initrd "$tmp/initrd" -append "$cmdline" "$@" \
		<"$stdin" 2>&1 &
	echo $! >"$tmp/qpid"
	if wait $!; then echo 0 >"$tmp/rc"; else echo $? >"$tmp/rc"; fi
} | if [ "$quiet" = 1 ]; then cat >>"$log"; else tee -a "$log"; fi &
wait $!
wait
rc=$(cat "$tmp/rc")
secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')

say() { echo "qemu/run.sh: $* ($secs s)" >&2; }
# timeout(1) exits 124, or 137 when QEMU needed a KILL; but 137 is also
# what QEMU itself exits with for guest status 67.
if [ "$rc" = 124 ] || { [ "$rc" = 137 ] && [ "${secs%.*}" -ge "$timeout" ]; }; then
	say "timeout: the guest did not finish within $timeout s"
	exit 124
elif [ "$rc" = 0 ]; then
	say "the guest stopped without reporting a status (reboot, panic, or power-off without blockbox.exitport)"
	exit 125
elif [ "$rc" -ge 3 ] && [ $((rc % 2)) = 1 ]; then
	status=$(((rc - 3) / 2))
	say "guest status $status"
	exit "$status"
fi
say "QEMU failed with status $rc"
exit 125
