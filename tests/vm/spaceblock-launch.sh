#!/bin/sh
# VM scenario: `spaceblock launch` boots the rescue initramfs with an image
# prepared on the host (parameters and a data product); inside the guest,
# spaceblock on /dev/vda reads them back and writes an event; after the
# guest powers off, the host sees that event.
#
# Environment: BLOCKBOX, KERNEL (default: build/kernel's vmlinuz), INITRD
# (default build/initramfs.cpio.gz), VM_ACCEL=kvm for --kvm, VM_TIMEOUT
# (seconds, default 300). Prints PASS/FAIL/SKIP lines like tests/lib.sh.
. "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
sb() { "$BB" spaceblock "$@"; }

kernel=${KERNEL:-}
if [ -z "$kernel" ] && [ -s "$root/build/kernel/version" ]; then
	kernel=$root/build/kernel/root/boot/vmlinuz-$(cat "$root/build/kernel/version")
fi
initrd=${INITRD:-$root/build/initramfs.cpio.gz}
if [ ! -f "${kernel:-/nonexistent}" ] || [ ! -f "$initrd" ]; then
	t_skip vm_spaceblock_launch "no kernel or initramfs (make kernel initramfs)"
	exit 0
fi
command -v qemu-system-x86_64 >/dev/null || { t_skip vm_spaceblock_launch "no qemu-system-x86_64"; exit 0; }

# ---- what the guest runs: a script and the expected data, in a cpio added
# after the base initramfs (the kernel unpacks concatenated archives) ----------
printf 'thermal: 21.5 C, 21.7 C, 22.0 C\n' >"$T/thermal.dat"
mkdir -p "$T/extra/expected"
cp "$T/thermal.dat" "$T/extra/expected/thermal.dat"
cat >"$T/extra/spaceblock-guest.sh" <<'GUEST'
#!/bin/sh
set -eu
dev=/dev/vda
i=0
while [ ! -b "$dev" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
spaceblock inspect -f "$dev"
test "$(spaceblock param get 42 -f "$dev")" = 3.14159
spaceblock dp read science/thermal.dat -o /tmp/thermal.dat -f "$dev"
cmp /tmp/thermal.dat /expected/thermal.dat
spaceblock event write "guest read it back" --code 4242 --severity info -f "$dev"
echo "spaceblock-guest: all read back, event written"
GUEST
(cd "$T/extra" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$T/extra.cpio"
cp "$initrd" "$T/initrd"
truncate -s %512 "$T/initrd"
cat "$T/extra.cpio" >>"$T/initrd"

# One boot with the layout in blocks of $1 bytes.
boot() {
	bs=$1 img=$T/spaceos-$1.img log=$T/console-$1.log
	# the image, prepared on the host
	sb init -f "$img" --blocks 2048 --sector-size "$bs" --tenant 1 >/dev/null &&
		sb param set 42 3.14159 -f "$img" &&
		sb dp write science/thermal.dat "$T/thermal.dat" --class 1 --priority 2 -f "$img" &&
		sb event write "host prepared the image" --code 1 -f "$img" ||
		{ t_fail "vm_spaceblock_prepare_$bs" "could not prepare $img"; return; }

	kvm=
	[ "${VM_ACCEL:-tcg}" = kvm ] && kvm=--kvm
	timeout -k 5 "${VM_TIMEOUT:-300}" "$BB" spaceblock launch -f "$img" --kernel "$kernel" \
		--initrd "$T/initrd" $kvm --append "panic=-1 quiet \
blockbox.run=\"sh /spaceblock-guest.sh\" blockbox.exitport=0xf4 \
blockbox.then=poweroff blockbox.onfail=poweroff" </dev/null >"$log" 2>&1
	rc=$?
	# init writes min(status, 126) + 1 to isa-debug-exit; QEMU exits 2 * that + 1.
	if [ "$rc" = 3 ]; then
		t_pass "vm_spaceblock_guest_status_$bs"
	else
		t_fail "vm_spaceblock_guest_status_$bs" "QEMU exit $rc (3 = guest status 0); console: $(tail -15 "$log")"
	fi
	t_match "vm_spaceblock_guest_read_back_$bs" "$(cat "$log")" 'spaceblock-guest: all read back'
	t_match "vm_spaceblock_guest_block_size_$bs" "$(cat "$log")" "/dev/vda: space-block v1, 2048 blocks of $bs bytes"

	# the host sees what the guest wrote
	t_eq "vm_spaceblock_event_count_$bs" "$(sb event count -f "$img")" 2
	t_match "vm_spaceblock_guest_event_$bs" "$(sb event list -n 1 -f "$img")" '^2 .* info +4242 +guest read it back$'
	t_ok "vm_spaceblock_image_clean_$bs" sb inspect -f "$img"
}

boot 512
boot 4096
[ "$t_failed" = 0 ]
