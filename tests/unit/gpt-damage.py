#!/usr/bin/env python3
# gpt-damage.py IMAGE VARIANT: damage one part of a 512-byte-sector GPT
# image in one known way, for the repair tests. Independent of core/gpt.c
# (python's zlib CRC, offsets from the UEFI specification). Variants:
#   primary-header, backup-header     the header sector zeroed
#   primary-entries, backup-entries   a byte of the entry array flipped
#   primary-crc                       the header CRC field flipped
#   differ-primary, differ-backup     partition 1's name changed in that
#                                     copy only, both CRCs resealed: two
#                                     valid copies that disagree
#   mbr-zero                          LBA 0 zeroed
#   mbr-size                          the 0xEE entry counts half the disk
#   mbr-foreign                       a DOS table (one 0x83 entry), no 0xEE
#   mbr-hybrid                        partition 1 as a bootable 0x0C entry
#                                     beside a 0xEE one, as sgdisk -h does
import struct, sys, zlib

S = 512
path, variant = sys.argv[1], sys.argv[2]
f = open(path, "r+b")


def read(off, n):
    f.seek(off)
    return bytearray(f.read(n))


def write(off, b):
    f.seek(off)
    f.write(bytes(b))


def flip(off):
    write(off, bytes([read(off, 1)[0] ^ 0xFF]))


backup = struct.unpack_from("<Q", read(S, 92), 32)[0]


def copy_at(which):
    return 1 if which == "primary" else backup


def reseal(at):
    h = read(at * S, 92)
    ents, count, size = struct.unpack_from("<QII", h, 72)
    struct.pack_into("<I", h, 88, zlib.crc32(bytes(read(ents * S, count * size))))
    struct.pack_into("<I", h, 16, 0)
    struct.pack_into("<I", h, 16, zlib.crc32(bytes(h)))
    write(at * S, h)


def entries(at):
    return struct.unpack_from("<Q", read(at * S, 92), 72)[0] * S


def mbr_record(i, rec):
    write(446 + 16 * i, rec)
    write(510, b"\x55\xaa")


which, _, what = variant.partition("-")
if which in ("primary", "backup") and what == "header":
    write(copy_at(which) * S, bytes(S))
elif which in ("primary", "backup") and what == "entries":
    flip(entries(copy_at(which)) + 56)
elif variant == "primary-crc":
    flip(S + 16)
elif which == "differ":
    at = copy_at(what)
    write(entries(at) + 56, "changed".encode("utf-16-le"))
    reseal(at)
elif variant == "mbr-zero":
    write(0, bytes(S))
elif variant == "mbr-size":
    size = struct.unpack_from("<I", read(446 + 12, 4))[0]
    write(446 + 12, struct.pack("<I", size // 2))
elif variant == "mbr-foreign":
    write(446, bytes(64))
    mbr_record(0, bytes([0, 0x20, 0x21, 0, 0x83, 0xFE, 0xFF, 0xFF]) + struct.pack("<II", 2048, 2048))
elif variant == "mbr-hybrid":
    first, last = struct.unpack_from("<QQ", read(entries(1) + 32, 16))
    write(446, bytes(64))
    chs = bytes([0xFE, 0xFF, 0xFF])
    mbr_record(0, b"\x80" + chs + b"\x0c" + chs + struct.pack("<II", first, last - first + 1))
    mbr_record(1, bytes([0, 0, 2, 0, 0xEE, 0xFE, 0xFF, 0xFF]) + struct.pack("<II", 1, 2047))
else:
    sys.exit("gpt-damage.py: unknown variant " + variant)
f.close()
