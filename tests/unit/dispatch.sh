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
self=$(readlink -f "$BB")
t_rc "--install again over its own links: nothing to do, exit 0" 0 "$BB" --install "$T/bin"

# A directory like /sbin: names taken by other programs stay as they are,
# are listed, and the install says so in its status; --force replaces.
mkdir "$T/sbin" "$T/sbin/gpt"
ln -s /lib/systemd/systemd "$T/sbin/init"
ln -s /bin/kmod "$T/sbin/modprobe"
echo 'real probe' >"$T/sbin/probe"
err=$("$BB" --install "$T/sbin" 2>&1 >/dev/null); rc=$?
t_eq "--install with names taken exits 1" "$rc" 1
t_eq "init -> systemd left alone" "$(readlink "$T/sbin/init")" /lib/systemd/systemd
t_eq "modprobe -> kmod left alone" "$(readlink "$T/sbin/modprobe")" /bin/kmod
t_eq "a regular file left alone" "$(cat "$T/sbin/probe")" 'real probe'
t_eq "a directory left alone" "$([ -d "$T/sbin/gpt" ] && echo dir)" dir
t_match "init listed with its target" "$err" "^blockbox: --install: $T/sbin/init: left alone: a link to /lib/systemd/systemd\$"
t_match "modprobe listed" "$err" "$T/sbin/modprobe: left alone: a link to /bin/kmod\$"
t_match "the file listed" "$err" "$T/sbin/probe: left alone: an existing file\$"
t_match "the count and the way out" "$err" '4 names left alone \(--force replaces them\)$'
t_eq "the free names were linked" "$(readlink "$T/sbin/disks")" "$self"
t_eq "aliases too" "$(readlink "$T/sbin/insmod")" "$self"
t_rc "--force replaces files and links" 1 "$BB" --install --force "$T/sbin"
for n in init modprobe probe; do
	t_eq "--force: $n now blockbox" "$(readlink "$T/sbin/$n")" "$self"
done
t_eq "--force never replaces a directory" "$([ -d "$T/sbin/gpt" ] && echo dir)" dir
t_eq "--force leaves no temporary names" "$(ls "$T/sbin" | grep -c bb-install)" 0

mkdir "$T/hard"
t_ok "-H makes hard links" "$BB" --install -H "$T/hard"
t_eq "-H: same inode as the binary" "$(stat -c %i "$T/hard/gpt")" "$(stat -c %i "$self")"
t_eq "-H: not a symlink" "$([ -L "$T/hard/gpt" ] || echo plain)" plain
t_ok "a hard-linked name runs its applet" "$T/hard/gpt" --help
t_rc "symlinks over those hard links: already us, exit 0" 0 "$BB" --install "$T/hard"

t_rc "--install on a missing DIR" 1 "$BB" --install "$T/nonexistent"
t_eq "--install on a missing DIR says so" "$("$BB" --install "$T/nonexistent" 2>&1)" \
	"blockbox: --install: $T/nonexistent: no such directory (it is not created)"
t_eq "and does not create it" "$([ -e "$T/nonexistent" ] || echo absent)" absent
t_eq "--install on a file says not a directory" "$("$BB" --install "$T/sbin/probe" 2>&1)" \
	"blockbox: --install: $T/sbin/probe: not a directory"
t_rc "--install without DIR is a usage error" 2 "$BB" --install
t_rc "--install with an unknown option is a usage error" 2 "$BB" --install -x "$T/bin"

# --version: blockbox and every applet, through its link or as an argument
v=$("$BB" --version)
t_match "blockbox --version: version" "$v" '^blockbox git-[0-9a-z]'
t_match "blockbox --version: build date" "$v" '^built [0-9]{4}-[0-9]{2}-[0-9]{2}$'
# the applets --help lists (one per line, two blanks in), on one line
want=$("$BB" --help | sed -n 's/^  \([a-z][a-z0-9.-]*\) .*/\1/p' | tr '\n' ' ' | sed 's/ $//')
t_eq "blockbox --version: applets compiled in" "$(printf '%s\n' "$v" | sed -n 's/^applets: //p')" "$want"
for name in $list; do
	out=$("$T/bin/$name" --version); rc=$?
	t_match "$name --version (exit $rc)" "$rc $out" "^0 $name \\(blockbox\\) git-"
done
ln -s "$BB" "$T/bin/not-an-applet"
t_rc "a link with an unknown name exits 127" 127 "$T/bin/not-an-applet"
exit 0
