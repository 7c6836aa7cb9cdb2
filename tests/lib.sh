# tests/lib.sh - sourced by shell tests. Each check prints one line,
# PASS/FAIL/SKIP NAME[: why], which tests/run-unit.sh totals.
set -u
BB=${BLOCKBOX:-$(cd "$(dirname "$0")/../.." && pwd)/build/blockbox}
SHARED=${BB_SHARED:-$(cd "$(dirname "$0")/../.." && pwd)/../shared}
T=$(mktemp -d "${TMPDIR:-/tmp}/bbsh.XXXXXX")
trap 'rm -rf "$T"' EXIT
# also when stopped by a signal (an interrupted VM run)
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
t_failed=0

t_pass() { echo "PASS $1"; }
t_fail() { echo "FAIL $1: $2"; t_failed=1; }
t_skip() { echo "SKIP $1: $2"; }

# t_ok NAME CMD...: passes when CMD exits 0; shows its output otherwise.
t_ok() {
	name=$1; shift
	if out=$("$@" 2>&1); then t_pass "$name"; else t_fail "$name" "exit $? from $*: $(echo "$out" | tail -3)"; fi
}

# t_rc NAME RC CMD...: passes when CMD exits with RC.
t_rc() {
	name=$1 want=$2; shift 2
	out=$("$@" 2>&1); rc=$?
	if [ "$rc" = "$want" ]; then t_pass "$name"; else t_fail "$name" "exit $rc, wanted $want from $*: $(echo "$out" | tail -3)"; fi
}

# t_eq NAME GOT WANT
t_eq() {
	if [ "$2" = "$3" ]; then t_pass "$1"; else t_fail "$1" "got '$2', wanted '$3'"; fi
}

# t_match NAME TEXT REGEX (grep -E)
t_match() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then t_pass "$1"; else t_fail "$1" "'$(printf '%s' "$2" | head -c 300)' does not match /$3/"; fi
}

t_have_fixtures() { [ -d "$SHARED/fixtures/seaweedfs" ]; }

# ---- partitions of a disk image, read on the host (the VM scenarios
# check what the guest left with the real tools) ----
# img_sector IMG: the sector size its table was written with ("EFI PART"
# at byte 4096: 4096)
img_sector() {
	if [ "$(dd if="$1" bs=1 skip=4096 count=8 2>/dev/null | tr -d "\\000")" = "EFI PART" ]; then echo 4096; else echo 512; fi
}
# img_part IMG N FIELD: start|size (sectors), name, uuid of partition N,
# read from the primary GPT here (sfdisk has no --sector-size for 4K
# images)
img_part() {
	python3 - "$1" "$2" "$3" "$(img_sector "$1")" <<'PY'
import struct, sys, uuid
img, n, field, ss = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
with open(img, "rb") as f:
    f.seek(ss)
    h = f.read(92)
    lba, count, size = struct.unpack_from("<QII", h, 72)
    f.seek(lba * ss + (n - 1) * size)
    e = f.read(size)
first, last = struct.unpack_from("<QQ", e, 32)
if e[:16] == bytes(16):
    sys.exit(0)
print({"start": first, "size": last - first + 1,
       "name": e[56:128].decode("utf-16-le").rstrip("\0"),
       "uuid": str(uuid.UUID(bytes_le=e[16:32])).upper()}[field])
PY
}
# img_off IMG N: byte offset of partition N
img_off() { echo $(($(img_part "$1" "$2" start) * $(img_sector "$1"))); }
# img_blkid IMG N TAG: a tag of what is on partition N
img_blkid() { blkid -p -O "$(img_off "$1" "$2")" -s "$3" -o value "$1" 2>/dev/null | head -n 1; }
# img_extract IMG N FILE: partition N copied out, holes kept sparse, for
# a host-side checker (fsck.fat, btrfs check, xfs_repair)
img_extract() {
	ss=$(img_sector "$1")
	dd if="$1" of="$3" bs=1M iflag=skip_bytes,count_bytes skip=$(($(img_part "$1" "$2" start) * ss)) \
		count=$(($(img_part "$1" "$2" size) * ss)) conv=sparse 2>/dev/null
}
