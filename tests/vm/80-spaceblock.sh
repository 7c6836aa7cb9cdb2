# spaceblock on a real block device: the host lays out disk1 (a blank
# 4 MiB image: 8192 blocks of 512 bytes) and writes a parameter, an event
# and a data product; the guest reads them back through the virtio disk,
# updates the parameter, writes an event and a product of its own; the
# host then finds the guest's writes. (The `spaceblock launch` boot itself
# is tests/vm/spaceblock-launch.sh, run by make check-vm.)
disks="virtio:4M"
profile=minimal
timeout=90

prepare() {
	printf 'thermal: 21.5 C' >"$DISK1.thermal"
	"$BB" spaceblock init -f "$DISK1" --tenant 1 >/dev/null &&
		"$BB" spaceblock param set 42 3.14159 -f "$DISK1" &&
		"$BB" spaceblock event write "host prepared the disk" --code 1 -f "$DISK1" &&
		"$BB" spaceblock dp write science/thermal.dat "$DISK1.thermal" -f "$DISK1"
}

guest() {
	cat <<'GUEST'
dev=$DISK1
t_match "layout on $dev" "$(spaceblock inspect -f "$dev")" "^$dev: space-block v1, 8192 blocks of 512 bytes"
t_eq "parameter from the host" "$(spaceblock param get 42 -f "$dev")" 3.14159
t_ok "product from the host, CRC checked" spaceblock dp read science/thermal.dat -o /tmp/thermal -f "$dev"
t_eq "its bytes" "$(cat /tmp/thermal)" "thermal: 21.5 C"
t_ok "parameter update" spaceblock param set 42 2.71828 -f "$dev"
t_ok "event write" spaceblock event write "guest was here" --code 4242 --severity warning -f "$dev"
echo "guest data" >/tmp/out
t_ok "product write" spaceblock dp write guest/out.txt /tmp/out --class 7 -f "$dev"
t_eq "event count" "$(spaceblock event count -f "$dev")" 2
t_rc "name taken" 1 spaceblock dp write guest/out.txt /tmp/out -f "$dev"
GUEST
}

check() {
	sb() { "$BB" spaceblock "$@" -f "$DISK1"; }
	t_eq "parameter updated in the guest" "$(sb param get 42)" 2.71828
	t_match "its generation" "$(sb param list)" '^42 +2 +7 +2\.71828'
	t_match "the guest's event" "$(sb event list -n 1)" '^2 .* warning +4242 +guest was here$'
	t_eq "the guest's product" "$(sb dp read guest/out.txt)" "guest data"
	t_ok "no CRC failures" sb inspect
}
