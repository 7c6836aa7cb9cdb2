#!/bin/sh
# Seeds for the modinfo fuzzer: real modules when the kernel is unpacked,
# else a host object file with a .modinfo section.
set -eu
out=$1
here=$(cd "$(dirname "$0")/../.." && pwd)
n=0
for ko in $(find "$here/build/kernel/root/lib/modules" -name 'xor.ko' -o -name 'crc16.ko' 2>/dev/null | head -n 2); do
	n=$((n + 1))
	cp "$ko" "$out/ko$n"
done
printf 'static const char m[] __attribute__((section(".modinfo"), used)) = "name=x\\0depends=a,b";\n' |
	cc -x c -c -o "$out/obj" - 2>/dev/null || true
