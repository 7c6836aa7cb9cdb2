#!/usr/bin/env python3
# gpt-set-lbas.py IMAGE N FIRST LAST: give entry N of a 512-byte-sector
# GPT image other first and last LBAs, in both copies, resealing both
# CRCs: a table whose checksums hold and whose content is what a test
# wants (an entry far past the end, say). Independent of core/gpt.c.
import struct, sys, zlib

path, n, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
S = 512
with open(path, "r+b") as f:
    f.seek(S)
    backup = struct.unpack_from("<Q", f.read(92), 32)[0]
    for at in (1, backup):
        f.seek(at * S)
        h = bytearray(f.read(92))
        ents, count, size = struct.unpack_from("<QII", h, 72)
        f.seek(ents * S + (n - 1) * size + 32)
        f.write(struct.pack("<QQ", first, last))
        f.seek(ents * S)
        struct.pack_into("<I", h, 88, zlib.crc32(f.read(count * size)))
        struct.pack_into("<I", h, 16, 0)
        struct.pack_into("<I", h, 16, zlib.crc32(bytes(h)))
        f.seek(at * S)
        f.write(h)
