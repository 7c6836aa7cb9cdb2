#!/bin/sh
# The multicall front door: --list, --install, symlink dispatch, unknown
# names, and --help from every compiled-in applet.
. "$(dirname "$0")/../lib.sh"

list=$("$BB" --list)
t_match "list is not empty" "$list" '^[a-z]'
t_rc "no arguments is a usage error" 2 "$BB"
t_rc "unknown applet exits 127" 127 "$BB" no-such-applet
out=$("$BB" no-such-applet 2>&1)
t_match "unknown applet says so" "$out" '^blockbox: applet not found: no-such-applet'
t_ok "blockbox --help" "$BB" --help

mkdir "$T/bin"
t_ok "--install DIR" "$BB" --install "$T/bin"
for name in $list; do
	if [ "$(readlink "$T/bin/$name")" != "$(readlink -f "$BB")" ]; then
		t_fail "--install links $name" "$(ls -l "$T/bin/$name" 2>&1)"
	fi
	out=$("$T/bin/$name" --help 2>&1); rc=$?
	if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q "^Usage: "; then
		t_pass "$name --help (through its link)"
	else
		t_fail "$name --help (through its link)" "exit $rc: $(echo "$out" | head -2)"
	fi
	t_rc "blockbox $name -h" 0 "$BB" "$name" -h
done
: >"$T/bin/probe.real" && rm "$T/bin/probe" && : >"$T/bin/probe"
t_rc "--install refuses to replace a regular file" 1 "$BB" --install "$T/bin"
t_rc "--install needs a directory" 1 "$BB" --install "$T/nonexistent"
ln -s "$BB" "$T/bin/not-an-applet"
t_rc "a link with an unknown name exits 127" 127 "$T/bin/not-an-applet"
exit 0
