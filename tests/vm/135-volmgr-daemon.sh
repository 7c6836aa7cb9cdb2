# volmgr's daemon on real block devices: it starts on its default socket,
# the CLI and the daemon agree, and the view of the disks it keeps between
# queries follows the kernel at once: a partition table written (uevents)
# and a mount (mountinfo) show in the very next query. Two clients at once.
disks="virtio:64M virtio:64M"
profile=minimal
timeout=150

prepare() {
	mkfs.ext4 -q -F -L vmdata "$DISK2"
}

guest() {
	cat <<'EOF2'
volmgr daemon 2>/tmp/volmgrd.log &
dpid=$!
i=0
while [ $i -lt 50 ] && ! volmgr disks >/dev/null 2>&1; do sleep 0.2; i=$((i + 1)); done
t_match "the daemon listens on its default socket, mode 0660" \
	"$(ls -l /run/mos_volmgrd/mos_volmgrd.sock 2>&1)" '^srw-rw---- '
name1=${DISK1#/dev/} name2=${DISK2#/dev/}
json=$(volmgr disks --json)
t_match "both disks are listed" "$json" "\"name\": \"$name2\""
t_match "disk1 has no partitions yet" "$(echo "$json" | tr -d ' \n' | grep -o "\"name\":\"$name1\"[^}]*")" '"partitions":0'
t_ok "gpt create" gpt create "$DISK1"
t_ok "gpt add" gpt add "$DISK1" --size 8M --name one
# The daemon keeps what it read for up to 2 s: within that, only the
# kernel's uevent can make the next answer see the second partition.
volmgr disks >/dev/null
read -r u0 rest </proc/uptime
t_ok "gpt add" gpt add "$DISK1" --name two
json=$(volmgr disks --json)
read -r u1 rest </proc/uptime
t_match "the next query sees the two partitions (uevents)" \
	"$(echo "$json" | tr -d ' \n' | grep -o "\"name\":\"$name1\"[^}]*")" '"partitions":2'
t_match "... within the 2 s the daemon keeps a view ($u0 -> $u1)" \
	"$(awk -v a="$u0" -v b="$u1" 'BEGIN { print (b - a < 2) ? "yes" : "no" }')" '^yes$'
modprobe ext4 >/dev/null 2>&1
mkdir -p /mnt/vm
t_ok "mount disk2" mount -t ext4 "$DISK2" /mnt/vm
t_match "the next query sees the mount (mountinfo)" \
	"$(volmgr disks --json | tr -d ' \n' | grep -o "\"name\":\"$name2\"[^}]*")" '"mountpoint":"/mnt/vm"'
umount /mnt/vm
t_match "... and the unmount" \
	"$(volmgr disks --json | tr -d ' \n' | grep -o "\"name\":\"$name2\"[^}]*")" '"mountpoint":null'
volmgr disks --json >/tmp/a & pa=$!
volmgr discover --json >/tmp/b & pb=$!
wait $pa; ra=$?
wait $pb; rb=$?
t_eq "two clients at once: both answered" "$ra $rb" "0 0"
t_match "two clients at once: the disks" "$(cat /tmp/a)" "\"name\": \"$name1\""
t_match "two clients at once: the document" "$(cat /tmp/b)" '"openrpc": "1.2.6"'
kill $dpid
EOF2
}

check() {
	t_match "every guest check ran" "$(printf '%s\n' "$CONSOLE" | grep -c '^PASS ')" '^14$'
	t_ok "sgdisk verifies the table written while the daemon ran" sgdisk -v "$DISK1"
}
