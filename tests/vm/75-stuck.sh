# A test script blocked in the kernel, where even SIGKILL cannot reach it
# (a direct read from a suspended device-mapper device, as from a hung
# disk): init gives up on it after the kill, says so, and goes on (here:
# power off with 124) instead of hanging with it.
disks=
timeout=60
cmdline=blockbox.timeout=10
expect=124

guest() {
	cat <<'EOF2'
modprobe dm_mod || exit 9
dmsetup create stuck --table "0 2048 error" && dmsetup suspend stuck || exit 9
echo "reading from a suspended device"
exec dd if=/dev/dm-0 of=/dev/null iflag=direct bs=4096 count=1
EOF2
}

check() {
	t_match "the read blocked" "$CONSOLE" '^reading from a suspended device'
	t_match "init gave up on it" "$CONSOLE" \
		'^init: /test/run did not finish within 10 s and cannot be killed .*left behind$'
	t_match "and powered off" "$CONSOLE" '^init: poweroff, status 124$'
}
