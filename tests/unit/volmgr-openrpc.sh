#!/bin/sh
# rpc.discover's document is valid OpenRPC: checked with the npm package
# @open-rpc/schema-utils-js (make check-unit installs it into build/npm;
# SKIP without node or without the package, as on an offline machine).
. "$(dirname "$0")/../lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VALIDATE="$ROOT/tests/unit/volmgr-openrpc.js"
export NODE_PATH="$ROOT/build/npm/openrpc/node_modules"
SOCK=$T/volmgrd.sock
if ! command -v node >/dev/null || [ ! -d "$NODE_PATH/@open-rpc/schema-utils-js" ]; then
	t_skip "OpenRPC document validity" "node or @open-rpc/schema-utils-js missing (make check-unit installs it with npm)"
	exit 0
fi
"$BB" volmgr daemon --socket "$SOCK" 2>"$T/daemon.log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$T"' EXIT
i=0
while [ $i -lt 100 ] && ! "$BB" volmgr discover --json --socket "$SOCK" >"$T/doc.json" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
# The daemon builds the document on the first call and serves it from
# memory after that: the second answer is the one validated.
"$BB" volmgr discover --json --socket "$SOCK" >"$T/doc2.json"
t_eq "a second rpc.discover answers the same document" "$(cmp "$T/doc.json" "$T/doc2.json" && echo same)" same
out=$(node "$VALIDATE" <"$T/doc2.json" 2>&1)
t_eq "rpc.discover's document is valid against the OpenRPC meta-schema" "$out" valid
# The validator can say no: the same document without its info, or with
# a param that has no schema.
jq 'del(.info)' "$T/doc.json" >"$T/bad1.json"
t_rc "the validator refuses a document without info" 1 sh -c "node '$VALIDATE' <'$T/bad1.json'"
jq '.methods[0].params = [{"name": "x"}]' "$T/doc.json" >"$T/bad2.json"
t_rc "the validator refuses a param without a schema" 1 sh -c "node '$VALIDATE' <'$T/bad2.json'"
n=$(jq '.methods | length' "$T/doc.json")
[ "$n" -ge 3 ] && t_pass "the document lists $n methods" || t_fail "the document lists methods" "$n"
kill $pid
wait $pid 2>/dev/null
exit $t_failed
