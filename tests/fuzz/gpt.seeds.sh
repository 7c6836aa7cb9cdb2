#!/bin/sh
# Small valid GPT images for the gpt fuzz target: gpt.seeds.sh DIR.
# Written by this independent little writer (python3's zlib CRC), with
# four-entry arrays so the images stay a few KiB.
set -eu
command -v python3 >/dev/null 2>&1 || exit 0
python3 - "$1" <<'PY'
import os, struct, sys, zlib

def guid(s):
    h = bytes.fromhex(s.replace("-", ""))
    return h[3::-1] + h[5:3:-1] + h[7:5:-1] + h[8:]

LINUX = guid("0FC63DAF-8483-4772-8E79-3D69D8477DE4")
ESP = guid("C12A7328-F81F-11D2-BA4B-00A0C93EC93B")

def image(sector, lbas, nent, esize, parts, mbr="protective"):
    asec = -(-nent * esize // sector)
    first, last = 2 + asec, lbas - 2 - asec
    arr = bytearray(asec * sector)
    for i, (t, a, b, attrs, name) in enumerate(parts):
        e = t + bytes([i + 1] * 16) + struct.pack("<QQQ", a, b, attrs)
        e += name.encode("utf-16-le").ljust(72, b"\0")
        arr[i * esize:i * esize + 128] = e
    crc = zlib.crc32(bytes(arr[:nent * esize]))
    def header(my, alt, ents):
        h = bytearray(b"EFI PART" + struct.pack("<IIII", 0x10000, 92, 0, 0))
        h += struct.pack("<QQQQ", my, alt, first, last) + bytes(range(16))
        h += struct.pack("<QIII", ents, nent, esize, crc)
        h[16:20] = struct.pack("<I", zlib.crc32(bytes(h)))
        return bytes(h).ljust(sector, b"\0")
    img = bytearray(lbas * sector)
    rec = bytes([0, 0, 2, 0, 0xEE, 0xFF, 0xFF, 0xFF]) + struct.pack("<II", 1, lbas - 1)
    if mbr == "hybrid":
        rec += bytes([0x80, 0, 0, 0, 0x0C, 0, 0, 0]) + struct.pack("<II", first, 1)
    img[446:446 + len(rec)] = rec
    img[510:512] = b"\x55\xaa"
    img[sector:2 * sector] = header(1, lbas - 1, 2)
    img[2 * sector:(2 + asec) * sector] = arr
    img[(last + 1) * sector:(lbas - 1) * sector] = arr
    img[(lbas - 1) * sector:] = header(lbas - 1, 1, last + 1)
    return bytes(img)

seeds = {
    "two-512": image(512, 16, 4, 128, [(LINUX, 3, 6, 0, "root"), (ESP, 8, 11, 4, "efi \u00e9")]),
    "empty-512": image(512, 8, 4, 128, []),
    "hybrid-512": image(512, 16, 4, 128, [(LINUX, 4, 13, 1 << 60, "x")], mbr="hybrid"),
    "wide-entries-512": image(512, 24, 4, 256, [(LINUX, 5, 17, 0, "\U0001F600")]),
    "two-4096": image(4096, 8, 4, 128, [(LINUX, 3, 3, 0, "a"), (ESP, 4, 5, 0, "b")]),
}
for name, data in seeds.items():
    with open(os.path.join(sys.argv[1], name), "wb") as f:
        f.write(data)
PY
