# What init does at the end with what is still mounted: the guest mounts
# an ext4 on a mount point with a blank in its name (mountinfo writes it
# as \040), writes a file and leaves it mounted; init must unmount it
# through core/mount before power-off, so the host finds the filesystem
# clean, with the file, and no journal to replay. `disks` reads the mount
# point back through the same mountinfo reader.
disks="virtio:64M"
profile=minimal
timeout=90

prepare() {
	mkfs.ext4 -q -F -L bbmount "$DISK1"
}

guest() {
	cat <<'EOF2'
t_ok "modprobe ext4" modprobe ext4
mkdir -p "/mnt/my disk"
t_ok "mount ext4" mount -t ext4 "$DISK1" "/mnt/my disk"
echo kept-by-init >"/mnt/my disk/kept"
t_match "disks shows the mount point with its blank" "$(disks --json "$DISK1")" '"mountpoint": "/mnt/my disk"'
mkdir -p /mnt/ro
t_ok "a bind mount on top, unmounted first" mount -o bind "/mnt/my disk" /mnt/ro
EOF2
}

check() {
	t_match "every guest check ran" "$(printf '%s\n' "$CONSOLE" | grep -c '^PASS ')" '^4$'
	t_match "init left nothing mounted" "$(printf '%s\n' "$CONSOLE" | grep -c 'stays mounted')" '^0$'
	state=$(dumpe2fs -h "$DISK1" 2>/dev/null)
	t_match "unmounted cleanly" "$state" 'Filesystem state: +clean'
	t_match "no journal to replay" "$(echo "$state" | grep -c needs_recovery)" '^0$'
	t_ok "e2fsck finds it clean" e2fsck -fn "$DISK1"
	t_match "the file is there" "$(debugfs -R 'cat /kept' "$DISK1" 2>/dev/null)" '^kept-by-init$'
}
