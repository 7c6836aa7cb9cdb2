# The requested command crashes (SIGSEGV): init names the signal, takes
# it for a failure (here: power off), and the status, 128 + 11, reaches
# the host as 126, the most an exit code carries.
disks=
profile=minimal
timeout=60
expect=126

guest() {
	cat <<'EOF2'
echo "crashing on purpose"
kill -SEGV $$
EOF2
}

check() {
	t_match "the crash is explained" "$CONSOLE" '^init: FAILED: /test/run was killed by SIGSEGV$'
	t_match "with its status" "$CONSOLE" '^init: poweroff, status 139$'
}
