# The requested command fails: init says why on the console and starts
# the emergency shell there; what is typed into it runs, and leaving it
# goes on (here: power off with the shell's status).
disks="virtio:16M"
profile=minimal
timeout=60
cmdline="blockbox.onfail=shell"
console_input='echo "rescue shell: $(cat /sys/block/vda/serial) marker $((6 * 7))"
exit 5'
expect=5

guest() {
	cat <<'EOF'
echo "failing on purpose"
exit 3
EOF
}

check() {
	log=$(tr -d '\r' <"$LOG")
	t_match "the failure is explained" "$log" '^init: FAILED: /test/run exited with status 3$'
	t_match "the emergency shell starts" "$log" '^init: emergency shell'
	t_match "typed commands ran in it" "$log" '^rescue shell: disk1 marker 42$'
	t_match "leaving it powers off with its status" "$log" '^init: poweroff, status 5$'
}
