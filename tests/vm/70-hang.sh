# A test script that hangs: init kills it at blockbox.timeout (15 s here,
# and room left for a slow boot on a loaded host), says so, and reports 124.
disks=
profile=minimal
timeout=90
cmdline=blockbox.timeout=15
expect=124

guest() {
	cat <<'EOF'
echo "hanging on purpose"
sleep 600
EOF
}

check() {
	t_match "the timeout is explained" "$CONSOLE" '^init: /test/run did not finish within 15 s; it was killed$'
	t_match "status 124" "$CONSOLE" '^init: poweroff, status 124$'
}
