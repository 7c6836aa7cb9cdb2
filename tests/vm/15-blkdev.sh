# core/blkdev.c's ioctls on real virtio disks, 512- and 4096-byte sectors:
# sizes, BLKZEROOUT/BLKDISCARD/BLKFLSBUF, BLKPG add/delete while another
# partition is open (when BLKRRPART is refused), O_EXCL claims. A small
# static program built here from core, run in the guest.
disks="virtio:64M virtio4k:64M"
profile=minimal
timeout=60

prepare() {
	mkdir -p "$work/root/test"
	musl-gcc -std=gnu11 -D_GNU_SOURCE -static -O2 -Wall -Wextra -Werror -Wno-format-truncation \
		-Icore -Ibuild/deps/include tests/vm/blkdev_ioctl.c core/blkdev.c core/error.c core/io.c core/log.c core/utf8.c \
		-o "$work/root/test/blkdev_ioctl"
}

guest() {
	cat <<'EOF2'
for n in 1 2; do
	eval "d=\$DISK$n"
	/test/blkdev_ioctl "$d" 2>&1 | sed "s/^\(PASS\|FAIL\) /\1 disk$n: /"
done
EOF2
}

check() {
	# 28 checks per disk: none may be skipped silently
	t_match "both disks ran every check" "$(printf '%s\n' "$CONSOLE" | grep -c '^PASS disk[12]: ')" '^56$'
}
