# A kernel command line init cannot parse (an unterminated quote): it says
# so, uses none of it, runs nothing, and fails. A config file asks for the
# emergency shell on failure; in it the device nodes that load their module
# when opened are there (made before the configuration is read), and
# leaving it powers off with its status.
disks=
profile=minimal
timeout=60
cmdline='blockbox.modules="virtio_blk'
console_input='test -c /dev/btrfs-control && echo "static node: ok"
exit 1'
expect=1

prepare() {
	mkdir -p "$work/root/etc/blockbox/init.conf.d"
	echo blockbox.onfail=shell >"$work/root/etc/blockbox/init.conf.d/95-shell.conf"
}

guest() { echo 'echo "the script ran"'; }

check() {
	t_match "the problem is explained" "$CONSOLE" \
		'^init: FAILED: kernel command line: cannot parse it \(unterminated quote\); none of it is used$'
	t_eq "nothing was run" "$(echo "$CONSOLE" | grep -c 'the script ran')" 0
	t_match "the emergency shell has /dev/btrfs-control" "$CONSOLE" '^static node: ok'
	t_match "and its status ends the boot" "$CONSOLE" '^init: poweroff, status 1$'
}
