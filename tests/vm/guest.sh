# tests/vm/guest.sh - sourced, after tests/lib.sh, by each scenario's
# script inside the guest. The harness gives disk N the serial "diskN";
# DISK1..DISKn are set to their device nodes, whatever the kernel named
# them.

# disk N: the /dev path of the disk whose serial is diskN.
disk() {
	for b in /sys/block/*; do
		for f in "$b/serial" "$b/device/serial"; do
			[ -r "$f" ] || continue
			read -r s <"$f" || true
			if [ "$s" = "disk$1" ]; then
				echo "/dev/${b##*/}"
				return 0
			fi
		done
	done
	return 1
}

i=1
while [ "$i" -le "${NDISKS:-0}" ]; do
	if d=$(disk "$i"); then
		eval "DISK$i=\$d"
	else
		t_fail "disk$i" "no block device with serial disk$i"
	fi
	i=$((i + 1))
done

# power_cut [STATUS]: stop the machine at once, as a power failure would:
# nothing more is flushed or unmounted (the harness's exit port ends
# QEMU; the host sees STATUS, default 99: the port takes it plus one).
power_cut() {
	printf "\\$(printf %o $((${1:-99} + 1)))" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
	sleep 5
	echo "power_cut: the exit port did not stop the machine"
}
