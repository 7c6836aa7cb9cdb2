# A test script that hangs: init kills it at blockbox.timeout (the runner
# sets it 20 s under the harness's timeout), says so, and reports 124.
disks=
profile=minimal
timeout=35
expect=124

guest() {
	cat <<'EOF'
echo "hanging on purpose"
sleep 600
EOF
}

check() {
	log=$(tr -d '\r' <"$LOG")
	t_match "the timeout is explained" "$log" '^init: /test/run did not finish within 15 s; it was killed$'
	t_match "status 124" "$log" '^init: poweroff, status 124$'
}
