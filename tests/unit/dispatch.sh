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
# A bad option value is a usage error (2) in every applet, whether the
# option layer or the applet itself finds it wrong; fsck codes stay.
truncate -s 16M "$T/disk.img"
printf 'label: gpt\n' | sfdisk -q "$T/disk.img" >/dev/null 2>&1
for cmd in "gpt add --size 10X $T/disk.img" "gpt add --start 1x $T/disk.img" \
	"gpt add --type nosuchtype $T/disk.img" "gpt add -n 0 $T/disk.img" \
	"gpt create --sector-size 7 $T/disk.img" "ec-rebuild info -j x $T/none" \
	"ec-rebuild encode --large 1Q $T/none" "spaceblock init --sector-size 1000 -f $T/sb.img" \
	"probe -p -O 1x $T/disk.img"; do
	# shellcheck disable=SC2086
	t_rc "bad value: $cmd" 2 "$BB" $cmd
done
t_rc "bad value: needle-fsck keeps fsck's usage code" 16 "$BB" needle-fsck -j x "$T"
t_eq "bad value: the table is untouched" "$(sfdisk -d "$T/disk.img" | grep -c start=)" 0
t_eq "bad value: the message says which and why" "$("$BB" gpt add --size 10X "$T/disk.img" 2>&1)" \
	"gpt: --size: '10X': unknown unit (use B, K, M, G, T, P or E)"
t_rc "a real failure stays 1" 1 "$BB" gpt show "$T/none.img"

# --json and a failure that printed nothing: a JSON error object on stdout
json_ok() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["applet"], d["exit_status"], d["error"])'; }
out=$("$BB" gpt show --json "$T/none.img" 2>/dev/null); rc=$?
t_eq "--json failure: exit status kept" "$rc" 1
t_eq "--json failure: a JSON error object" "$(printf '%s' "$out" | json_ok)" \
	"gpt 1 $T/none.img: open: No such file or directory"
out=$("$BB" gpt add --json --size 10X "$T/disk.img" 2>/dev/null)
t_match "--json usage error: the object too" "$(printf '%s' "$out" | json_ok)" "^gpt 2 --size: '10X'"
out=$("$BB" ec-rebuild info --json "$T/none" 2>/dev/null)
t_match "--json: ec-rebuild's failure" "$(printf '%s' "$out" | python3 -c 'import json,sys; json.load(sys.stdin); print("valid")' 2>&1)" '^valid$'
t_eq "no --json: nothing on stdout" "$("$BB" gpt show "$T/none.img" 2>/dev/null)" ""
out=$("$BB" probe --json "$T/disk.img" "$T/none.img" 2>/dev/null)
t_eq "--json output already begun: no second document" \
	"$(printf '%s' "$out" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 1

ln -s "$BB" "$T/bin/not-an-applet"
t_rc "a link with an unknown name exits 127" 127 "$T/bin/not-an-applet"
exit 0
