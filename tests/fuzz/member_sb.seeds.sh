#!/bin/sh
# Seeds for the member superblock fuzzer: an md 1.2 superblock of a RAID1
# member followed by its partner's (checksums right), an md 0.90 one, and
# a btrfs superblock with its crc32c, built from the formats' byte offsets.
set -eu
python3 - "$1" <<'PY'
import struct, sys
out = sys.argv[1]

def fold(s):
    return ((s & 0xffffffff) + (s >> 32)) & 0xffffffff

def md1(dev, events, roles):
    b = bytearray(256 + 2 * len(roles))
    struct.pack_into('<IIII', b, 0, 0xa92b4efc, 1, 0, 0)
    b[16:32] = bytes(range(0xa0, 0xb0))
    b[32:46] = b'rescue:mosboot'
    struct.pack_into('<QIIQII', b, 64, 1700000000, 1, 0, 20000, 0, 2)
    struct.pack_into('<QQQQII', b, 128, 2048, 20000, 8, 0, dev, 0)
    b[168:184] = bytes([0x40 + dev] * 16)
    struct.pack_into('<QQQII', b, 192, 1700000100, events, (1 << 64) - 1, 0, len(roles))
    for i, r in enumerate(roles):
        struct.pack_into('<H', b, 256 + 2 * i, r)
    s = sum(struct.unpack_from('<I', b, i)[0] for i in range(0, len(b) - len(b) % 4, 4))
    struct.pack_into('<I', b, 216, fold(s))
    return bytes(b)

def md090():
    w = [0] * 1024
    w[0], w[2], w[4], w[5] = 0xa92b4efc, 90, 1, 0x01020304
    w[6:11] = [1700000000, 1, 10000, 2, 2]
    w[13:16] = [5, 6, 7]
    w[32:38] = [1700000100, 1, 1, 1, 1, 0]
    w[39] = 77
    w[128 + 3], w[128 + 4] = 0, 6
    w[160], w[160 + 3], w[160 + 4] = 1, 1, 9
    w[992:1024] = w[128:160]
    w[38] = fold(sum(w))
    return struct.pack('<1024I', *w)

def crc32c(data):
    crc = 0xffffffff
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82f63b78 if crc & 1 else 0)
    return crc ^ 0xffffffff

def btrfs():
    b = bytearray(4096)
    fsid = bytes(range(16))
    b[0x20:0x30] = fsid
    struct.pack_into('<QQ', b, 0x30, 65536, 0)
    b[0x40:0x48] = b'_BHRfS_M'
    struct.pack_into('<Q', b, 0x48, 42)
    struct.pack_into('<QQQ', b, 0x70, 1 << 30, 1 << 20, 6)
    struct.pack_into('<QII', b, 0x88, 2, 4096, 16384)
    struct.pack_into('<QQ', b, 0xc9, 2, 1 << 29)
    b[0xc9 + 0x42:0xc9 + 0x52] = bytes([0x33] * 16)
    b[0xc9 + 0x52:0xc9 + 0x62] = fsid
    b[0x12b:0x132] = b'MOSDATA'
    struct.pack_into('<I', b, 0, crc32c(b[0x20:]))
    return bytes(b)

for name, data in (('md12-pair', md1(0, 130, [0, 0xffff]) + md1(1, 110, [0xffff, 1])),
                   ('md090', md090()), ('btrfs', btrfs())):
    with open(f'{out}/{name}', 'wb') as f:
        f.write(data)
PY
