#!/bin/sh
# volmgr's daemon on a Unix socket in a temporary directory: the seed's
# socat one-liners, half-closed clients, the CLI, socket mode and group,
# a caller that is not root, limits, idle and many clients at once.
. "$(dirname "$0")/../lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
SOCK=$T/run/volmgrd.sock
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

# start_daemon ARGS...: in the background, until its socket answers.
start_daemon() {
	"$BB" volmgr daemon --socket "$SOCK" "$@" 2>>"$T/daemon.log" &
	DPID=$!
	PIDS="$PIDS $DPID"
	i=0
	while [ $i -lt 100 ] && ! "$BB" volmgr disks --socket "$SOCK" >/dev/null 2>&1; do
		sleep 0.1
		i=$((i + 1))
	done
}
stop_daemon() {
	kill "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
}

if ! command -v socat >/dev/null || ! command -v jq >/dev/null; then
	t_skip "volmgr daemon" "socat and jq are needed (make check installs them)"
	exit 0
fi

start_daemon --idle-timeout 3 --max-request 4096
t_eq "the socket is mode 0660 and root's" "$(stat -c '%a %U' "$SOCK")" "660 root"

# The seed's one-liners, unchanged but for the path: socat half-closes
# after its input and still reads the answer.
out=$(echo '{"jsonrpc":"2.0","id":1,"method":"storage.list_disks","params":{}}' |
	socat - "UNIX-CONNECT:$SOCK")
t_eq "socat: storage.list_disks answers id 1" "$(echo "$out" | jq -c '.id')" 1
t_eq "socat: the result is an array of disks" "$(echo "$out" | jq -r '.result | type')" array
n_sys=$(for d in /sys/block/*; do [ "$(cat "$d/size")" != 0 ] && echo; done | wc -l)
t_eq "socat: one entry per non-empty /sys/block device" "$(echo "$out" | jq '.result | length')" "$n_sys"
out=$(echo '{"jsonrpc":"2.0","id":1,"method":"rpc.discover","params":{}}' |
	socat - "UNIX-CONNECT:$SOCK")
t_eq "socat: rpc.discover is an OpenRPC document" "$(echo "$out" | jq -r '.result.openrpc')" 1.2.6
out=$(printf '%s\n%s\n' '{"jsonrpc":"2.0","method":"storage.list_disks"}' \
	'{"jsonrpc":"2.0","method":"nope","id":"last"}' | socat - "UNIX-CONNECT:$SOCK")
t_eq "a notification gets no answer, the request after it does" \
	"$(echo "$out" | jq -c '[.id, .error.code]')" '["last",-32601]'
out=$(printf '{"jsonrpc":"2.0","id":7,"method":"storage.list_disks"}' | socat - "UNIX-CONNECT:$SOCK")
t_eq "a last request without its newline is answered at end of input" "$(echo "$out" | jq .id)" 7

# The CLI: tables by default, --json raw, the same data.
out=$("$BB" volmgr disks --socket "$SOCK")
t_match "volmgr disks prints a table" "$out" '^NAME +TYPE +SIZE'
t_eq "volmgr disks --json is the method's result" \
	"$("$BB" volmgr disks --socket "$SOCK" --json | jq -c '[.[].name]')" \
	"$(echo '{"jsonrpc":"2.0","id":1,"method":"storage.list_disks"}' | socat - "UNIX-CONNECT:$SOCK" | jq -c '[.result[].name]')"
t_eq "volmgr discover --json lists the methods rpc.discover lists" \
	"$("$BB" volmgr discover --socket "$SOCK" --json | jq -c '[.methods[].name]')" \
	"$(echo '{"jsonrpc":"2.0","id":1,"method":"rpc.discover"}' | socat - "UNIX-CONNECT:$SOCK" | jq -c '[.result.methods[].name]')"
# A daemon error: its code and message on stderr, status 1.
out=$("$BB" volmgr free-space /dev/no-such-disk --socket "$SOCK" 2>&1); rc=$?
t_eq "a daemon error: status 1" "$rc" 1
t_match "a daemon error: the method, message and code" "$out" \
	'^volmgr: storage.list_free_space: .*\(code -32002, device /dev/no-such-disk\)$'
t_rc "no daemon at the socket: exit 1" 1 "$BB" volmgr disks --socket "$T/none.sock"
out=$("$BB" volmgr disks --socket "$T/none.sock" 2>&1)
t_match "no daemon: says where it looked" "$out" "^volmgr: connect to $T/none.sock"
t_rc "a second daemon on the same socket is refused" 1 \
	"$BB" volmgr daemon --socket "$SOCK"
t_eq "... and leaves the first one's socket in place" "$(stat -c %F "$SOCK")" socket

python3 "$HERE/volmgr_clients.py" two "$SOCK"
python3 "$HERE/volmgr_clients.py" slow "$SOCK"
python3 "$HERE/volmgr_clients.py" oversize "$SOCK" 4096
python3 "$HERE/volmgr_clients.py" deep "$SOCK"
python3 "$HERE/volmgr_clients.py" idle "$SOCK" 1000 3

stop_daemon
t_eq "SIGTERM: the daemon exits 0" "$?" 0
[ -e "$SOCK" ] && t_fail "SIGTERM: the socket is removed" "still there" ||
	t_pass "SIGTERM: the socket is removed"

# A stale socket (a daemon that died) is replaced. Not root: the group.
python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$SOCK"
start_daemon --group nogroup
t_eq "a stale socket is replaced; group from --group" "$(stat -c '%a %U %G' "$SOCK")" "660 root nogroup"
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	chmod 755 "$T" "$T/run"
	t_ok "nobody in the socket's group may query" \
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$BB" volmgr disks --socket "$SOCK"
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$BB" volmgr create-subvolume \
		x --dry-run --socket "$SOCK" 2>&1); rc=$?
	t_eq "nobody may not call a mutating method, not even a dry run: status 1" "$rc" 1
	t_match "... refused by the policy (-32001)" "$out" 'permission denied.*\(code -32001\)'
	t_match "... and the refusal is logged with the caller's uid" "$(cat "$T/daemon.log")" \
		"uid $(id -u nobody) .*storage.create_subvolume \(dry run\): failed: permission denied"
	out=$("$BB" volmgr create-subvolume x --dry-run --socket "$SOCK" 2>&1)
	t_match "root gets past the policy to the method itself" "$out" '\(code -3200[02]\)'
	t_match "... logged with uid 0" "$(cat "$T/daemon.log")" \
		'uid 0 .*storage.create_subvolume \(dry run\): '
	stop_daemon
	start_daemon
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$BB" volmgr disks --socket "$SOCK" 2>&1)
	t_match "nobody outside the socket's group cannot connect" "$out" 'Permission denied'
else
	t_skip "a caller that is not root" "needs root and setpriv"
fi
stop_daemon
exit $t_failed
