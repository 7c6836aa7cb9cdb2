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
