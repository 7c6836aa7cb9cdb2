# A kernel command line init cannot parse (an unterminated quote): it says
# so, uses none of it, runs nothing, and fails (power off, from the
# harness's settings in init.conf.d, which stay valid).
disks=
profile=minimal
timeout=60
cmdline='blockbox.modules="virtio_blk'
expect=1

guest() { echo 'echo "the script ran"'; }

check() {
	log=$(tr -d '\r' <"$LOG")
	t_match "the problem is explained" "$log" \
		'^init: FAILED: kernel command line: cannot parse it \(unterminated quote\); none of it is used$'
	t_eq "nothing was run" "$(echo "$log" | grep -c 'the script ran')" 0
}
