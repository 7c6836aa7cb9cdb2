#!/bin/sh
# volmgr over TLS (--listen-tls): a client whose certificate chains to
# the daemon's --ca and whose CN has a role in the policy gets answers;
# one without a certificate, or with one from another CA, is refused in
# the handshake; one of the right CA without a role is told so. Tried
# with openssl s_client, and with the CLI's --connect.
. "$(dirname "$0")/../lib.sh"
if ! command -v openssl >/dev/null || ! command -v python3 >/dev/null; then
	t_skip "volmgr TLS" "openssl and python3 are needed"
	exit 0
fi
cd "$T" || exit 1
SOCK=$T/volmgrd.sock

# Two CAs; the daemon's certificate and three clients'.
ca() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj "/CN=$1" -keyout "$1.key" -out "$1.crt" 2>/dev/null; }
leaf() { # NAME CN CA
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
		-keyout "$1.key" -out "$1.csr" 2>/dev/null &&
	openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" -CAcreateserial -days 2 \
		-out "$1.crt" 2>/dev/null
}
leaf_rsa() { # NAME CN CA: an operator may well have an RSA key
	openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$2" -keyout "$1.key" -out "$1.csr" \
		2>/dev/null &&
	openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" -CAcreateserial -days 2 \
		-out "$1.crt" 2>/dev/null
}
ca ca1 && ca ca2 && leaf server volmgr-node ca1 && leaf op rescue-operator ca1 &&
	leaf_rsa oprsa rescue-operator ca1 && leaf viewer viewer-cn ca1 &&
	leaf other rescue-operator ca2 && leaf norole somebody ca1 ||
	{ t_fail "make test certificates" "openssl failed"; exit 1; }
printf 'role rescue-operator operator\nallow role=operator *\nrole viewer-cn viewer\n' >policy

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BB" volmgr daemon --socket "$SOCK" --policy policy --listen-tls "127.0.0.1:$port" \
	--cert server.crt --key server.key --ca ca1.crt 2>daemon.log &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$T"' EXIT
i=0
while [ $i -lt 100 ] && ! "$BB" volmgr disks --socket "$SOCK" >/dev/null 2>&1; do
	sleep 0.1
	i=$((i + 1))
done

REQ='{"jsonrpc":"2.0","id":1,"method":"storage.list_disks","params":{}}'
# s_client sends the request, waits a second for the answer, then ends.
sclient() {
	(echo "$REQ"; sleep 1) | timeout 20 openssl s_client -connect "127.0.0.1:$port" -quiet \
		-no_ign_eof -verify_return_error -CAfile ca1.crt "$@" 2>&1
}
out=$(sclient -cert op.crt -key op.key)
t_match "s_client with a certificate of the daemon's CA gets an answer" "$out" '"result":\['
t_match "... with its id" "$out" '"id":1\}'
out=$(sclient -cert oprsa.crt -key oprsa.key)
t_match "... and with an RSA certificate of that CA" "$out" '"result":\['
out=$(sclient)
if printf '%s' "$out" | grep -q '"result"'; then
	t_fail "s_client without a certificate is refused" "$out"
else
	t_pass "s_client without a certificate is refused"
fi
out=$(sclient -cert other.crt -key other.key)
if printf '%s' "$out" | grep -q '"result"'; then
	t_fail "s_client with a certificate of another CA is refused" "$out"
else
	t_pass "s_client with a certificate of another CA is refused"
fi
out=$(sclient -cert norole.crt -key norole.key)
t_match "a certificate of the right CA whose CN has no role is told so" "$out" \
	'"code":-32001.*no role'
out=$(echo "$REQ" | timeout 20 openssl s_client -connect "127.0.0.1:$port" -quiet \
	-CAfile ca2.crt -verify_return_error -cert op.crt -key op.key 2>&1)
if printf '%s' "$out" | grep -q '"result"'; then
	t_fail "a client that does not trust the daemon's CA does not talk to it" "$out"
else
	t_pass "a client that does not trust the daemon's CA does not talk to it"
fi

# The CLI: --connect with the operator's certificate.
t_eq "volmgr disks --connect gives what the Unix socket gives" \
	"$("$BB" volmgr disks --json --connect "127.0.0.1:$port" --cert op.crt --key op.key --ca ca1.crt | jq -c '[.[].name]')" \
	"$("$BB" volmgr disks --json --socket "$SOCK" | jq -c '[.[].name]')"
t_rc "--connect with another CA's certificate fails" 1 \
	"$BB" volmgr disks --connect "127.0.0.1:$port" --cert other.crt --key other.key --ca ca1.crt
t_rc "--connect trusting another CA fails" 1 \
	"$BB" volmgr disks --connect "127.0.0.1:$port" --cert op.crt --key op.key --ca ca2.crt
# Roles: the operator's role may change storage, the viewer's only look.
tls() { "$BB" volmgr "$@" --connect "127.0.0.1:$port" --ca ca1.crt; }
out=$(tls create-subvolume x --dry-run --cert viewer.crt --key viewer.key 2>&1)
t_match "a TLS role without an allow rule may not change storage" "$out" \
	'permission denied.*\(code -32001\)'
t_ok "... but may query" tls disks --cert viewer.crt --key viewer.key
out=$(tls create-subvolume x --dry-run --cert op.crt --key op.key 2>&1)
if printf '%s' "$out" | grep -q 'permission denied'; then
	t_fail "the operator's role gets past the policy" "$out"
else
	t_match "the operator's role gets past the policy" "$out" '\(code -3200[02]\)'
fi
t_match "the daemon logs TLS callers by CN and role" "$(cat daemon.log)" \
	'tls cn=viewer-cn role=viewer: storage.create_subvolume \(dry run\): failed: permission denied'
kill $pid
wait $pid 2>/dev/null
exit $t_failed
