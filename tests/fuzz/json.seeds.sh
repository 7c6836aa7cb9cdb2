#!/bin/sh
# Seed inputs for the JSON fuzzer: DIR
d=$1
printf '%s' '{"jsonrpc":"2.0","id":1,"method":"storage.list_disks","params":{}}' >"$d/rpc"
printf '%s' '[1,-2,3.5e2,true,false,null,"x\n\u00e9\ud83d\ude00",18446744073709551615]' >"$d/values"
printf '%s' '{"files":[],"version":3,"datFileSize":"2590912","ecShardConfig":{"dataShards":10}}' >"$d/vif"
printf '%s' '[[[[{"a":[{"b":{}}]}]]]]' >"$d/nested"
