# Two virtio disks and one NVMe disk, as blockbox's sysfs discovery (the
# disks applet) sees them: bus, size, serial, sector sizes, whole disks.
disks="virtio:64M virtio:96M nvme:128M"
profile=minimal
timeout=60

guest() {
	cat <<'EOF'
all=$(disks --json -d)
t_eq "three whole disks" "$(echo "$all" | grep -c '"type": "disk"')" 3
for spec in "1 virtio 67108864" "2 virtio 100663296" "3 nvme 134217728"; do
	set -- $spec
	eval "dev=\$DISK$1"
	[ -n "$dev" ] || continue
	one=$(disks --json "$dev")
	t_match "disk$1 is on $2" "$one" "\"transport\": \"$2\""
	t_match "disk$1 size" "$one" "\"size\": $3,"
	t_match "disk$1 serial" "$one" "\"serial\": \"disk$1\""
	t_match "disk$1 512-byte sectors" "$one" '"logical_sector": 512,'
	t_match "disk$1 unused" "$one" '"mountpoint": null,'
done
t_match "nvme is nvme0n1" "$DISK3" '^/dev/nvme0n1$'
t_match "table row for the nvme disk" "$(disks)" 'nvme0n1 +128 MiB disk nvme +rw 512/512 +QEMU NVMe Ctrl +disk3'
t_rc "unknown device is an error" 1 disks /dev/nonexistent
EOF
}
