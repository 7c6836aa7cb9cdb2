# tests/vm/boots.sh - sourced by a scenario's `check` to boot the same
# images again with disks left out or added, as a node is rebooted with a
# disk pulled or a new one put in (run.sh's vm_boot boots all of them):
#
#   boot NAME FUNC [SERIAL=IMAGE...]
#
# boots with those images, each keeping the serial given (disk2 is still
# disk2 with disk1 gone), the guest running what FUNC prints (find disks
# with `disk N`: NDISKS is 0). The boot's status must be 0.
boot() { # NAME FUNC SERIAL=IMAGE...
	b_name=$1
	eval "guest() { $2; }"
	shift 2
	args=
	for b_d in "$@"; do
		args="$args -s ${b_d%%=*} -d ${b_d#*=}"
	done
	vm_ndisks=0
	vm_boot "$b_name"
	t_eq "$b_name: guest status" "$?" 0
}
