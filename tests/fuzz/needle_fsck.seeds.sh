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

# issue 14's classes (what the input format can carry)
def volume(v, items, start_ts=1000):
    dat, idx, off = b'', b'', 8
    for i, (nid, d, indexed) in enumerate(items):
        rec, size = record(v, nid, d, start_ts + i)
        if indexed:
            idx += struct.pack('>QIi', nid, off // 8, size if d else -1)
        dat += rec
        off += len(rec)
    return dat, idx
def seed(name, mode, idx, dat):
    open('%s/%s' % (sys.argv[1], name), 'wb').write(bytes([mode, len(idx) // 16]) + idx + dat)
for v in (1, 2, 3):
    # payload: a blob holding records of live needles, a new one and a
    # deletion, its data damaged
    inner, _ = volume(v, [(1, b'evil', True), (77, b'phantom', True), (2, b'', True)], 10**12)
    pad = (8 - (8 + 16 + (4 if v > 1 else 0)) % 8) % 8
    dat, idx = volume(v, [(1, b'hello', True), (2, b'world', True), (9, b'\x00' * pad + inner, True),
                          (3, b'after', True)])
    blob = dat.find(inner)
    seed('v%dpayload' % v, (v - 1) | 16, idx, dat[:blob - 1] + b'\xff' + dat[blob:])
    # a delete row at a data record
    dat, idx = volume(v, [(1, b'hello', True), (2, b'world', True)])
    seed('v%ddelete_at_data' % v, (v - 1) | 16, idx[:28] + struct.pack('>i', -1) + idx[32:], dat)
    # needles lost past the end
    dat, idx = volume(v, [(i, b'x' * (10 * i), True) for i in range(1, 6)])
    seed('v%dlost' % v, (v - 1) | 16, idx, dat[:len(dat) // 2])
    # a region that claims large bodies every 8 bytes
    size = 8 * 200 + 1
    region = struct.pack('>II', size - 5, size) * 600
    dat, idx = volume(v, [(1, b'hello', True)])
    tail, tidx = volume(v, [(5, b'after', True)])
    shift = len(dat) + len(region)
    tidx = struct.pack('>QIi', 5, (8 + shift) // 8, struct.unpack('>i', tidx[12:16])[0])
    seed('v%dcrafted' % v, (v - 1) | 16, idx + tidx, dat + region + tail)
    # the superblock's version is not the records'
    dat, idx = volume(3, [(i, b'y' * (7 * i), True) for i in range(1, 5)])
    seed('v%dsuperblock' % v, (v - 1) | 16, idx, dat)
PY
