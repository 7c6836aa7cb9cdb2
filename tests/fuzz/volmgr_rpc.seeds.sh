#!/bin/sh
# Seed inputs for the volmgr JSON-RPC framing fuzzer: DIR
d=$1
printf '%s' '{"jsonrpc":"2.0","method":"echo","params":{"s":"x","p":"/a","n":1,"b":true},"id":1}' >"$d/named"
printf '%s' '{"jsonrpc":"2.0","method":"echo","params":["x","/a",7,false,{},[]],"id":"a"}' >"$d/positional"
printf '%s' '[{"jsonrpc":"2.0","method":"fail","params":{"s":"d"},"id":1.5},{"jsonrpc":"2.0","method":"mut"},1,[]]' >"$d/batch"
printf '%s' '{"jsonrpc":"2.0","method":"mut","params":{"dry_run":true,"p":"/x/../y"},"id":null}' >"$d/mut"
printf '%s' '{"jsonrpc":"2.0","method":"nope","id":{"x":1}}' >"$d/badid"
