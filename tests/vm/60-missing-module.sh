# A module asked for on the command line that the initramfs does not
# have: named on the console, a failure, the command not run.
disks=
profile=minimal
timeout=60
cmdline='blockbox.modules=no_such_module'
expect=1

guest() { echo 'echo "the script ran"'; }

check() {
	log=$(tr -d '\r' <"$LOG")
	t_match "the module is named" "$log" '^init: no_such_module: module not found in /lib/modules/'
	t_match "the failure is explained" "$log" '^init: FAILED: loading module no_such_module failed$'
	t_eq "nothing was run" "$(echo "$log" | grep -c 'the script ran')" 0
}
