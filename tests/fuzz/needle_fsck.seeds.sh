#!/bin/sh
# Seeds for the needle_fsck target: small well-formed volumes of each
# version, with and without damage. Input layout (see needle_fsck.c): a
# mode byte, the index length / 16, the index, .dat after its superblock.
set -eu
out=$1
python3 - "$out" <<'PY'
import struct, sys
def crc32c(b):
    c = 0xffffffff
    for x in b:
        c ^= x
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
    return c ^ 0xffffffff
def record(v, nid, data, ts):
    if v == 1:
        body = data
    else:
        body = struct.pack('>I', len(data)) + data + b'\x00' if data else b''
    size = len(body)
    fixed = 16 + 4 + (8 if v == 3 else 0)
    pad = 8 - (fixed + size) % 8
    r = struct.pack('>IQI', 7, nid, size) + body + struct.pack('>I', crc32c(data) if data else 0)
    if v == 3:
        r += struct.pack('>Q', ts)
    return r + b'\x00' * pad, size
for v in (1, 2, 3):
    for damage in ('', 'flip', 'tail'):
        dat, idx, off = b'', b'', 8
        for i, d in enumerate([b'hello', b'', b'x' * 40, b'world!']):
            rec, size = record(v, 1 + i % 3, d, 1000 + i)
            idx += struct.pack('>QIi', 1 + i % 3, off // 8, size if d else -1)
            dat += rec
            off += len(rec)
        if damage == 'flip':
            dat = dat[:20] + b'\xff' + dat[21:]
        if damage == 'tail':
            dat += b'\x01\x02\x03'
        mode = (v - 1) | (16 if damage else 0)
        seed = bytes([mode, len(idx) // 16]) + idx + dat
        open('%s/v%d%s' % (sys.argv[1], v, damage), 'wb').write(seed)
PY
