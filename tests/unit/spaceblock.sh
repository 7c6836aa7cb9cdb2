#!/bin/sh
# spaceblock CLI on image files: init, the three areas, refusals that
# leave the file untouched, and launch against a stand-in QEMU.
. "$(dirname "$0")/../lib.sh"
sb() { "$BB" spaceblock "$@"; }
sum() { cksum "$1" | cut -d' ' -f1,2; }

img=$T/a.img
t_ok sb_init sb init -f "$img" --blocks 256 --tenant 1 --uuid 00112233-4455-6677-8899-aabbccddeeff
t_eq sb_init_size "$(stat -c %s "$img")" 131072
t_rc sb_init_refuses_layout 1 sb init -f "$img" --blocks 256
t_match sb_init_says_why "$(sb init -f "$img" --blocks 256 2>&1)" 'already holds a space-block layout; --force'

# parameters
sb param set 42 3.14159 -f "$img" && sb param set 42 2.71828 -f "$img"
t_eq sb_param_newest "$(sb param get 42 -f "$img")" 2.71828
t_match sb_param_json "$(sb param get 42 -f "$img" --json)" '"generation": 2'
printf 'a\000b\n' | sb param set 7 - -f "$img"
t_eq sb_param_binary "$(sb param get 7 -f "$img" | od -An -tx1 | tr -d ' ')" 6100620a
before=$(sum "$img")
head -c 241 /dev/zero | tr '\0' x >"$T/long"
t_rc sb_param_too_long 1 sb param set 9 "$(cat "$T/long")" -f "$img"
t_match sb_param_too_long_msg "$(sb param set 9 - -f "$img" <"$T/long" 2>&1)" 'at most 240'
t_eq sb_param_too_long_untouched "$(sum "$img")" "$before"
t_rc sb_param_missing 1 sb param get 1234 -f "$img"
t_match sb_param_list "$(sb param list -f "$img")" '^42 +2 +7 +2\.71828'

# events
for i in $(seq 1 100); do sb event write "event $i" --code "$i" --timestamp "$i" -f "$img" --no-sync || break; done
t_eq sb_event_count "$(sb event count -f "$img")" 100
t_eq sb_event_ring_holds_96 "$(sb event list -f "$img" | tail -n +2 | wc -l)" 96
t_match sb_event_list_newest_last "$(sb event list -n 1 -f "$img")" '^100 +100 +info +100 +event 100$'
t_rc sb_event_bad_severity 1 sb event write x --severity loud -f "$img"
t_rc sb_event_too_long 1 sb event write "$(head -c 49 "$T/long")" -f "$img"

# data products: file and stdin in, file and stdout out
head -c 100000 /dev/urandom >"$T/data"
t_ok sb_dp_write_file sb dp write science/thermal.dat "$T/data" --class 1 --priority 2 -f "$img"
head -c 3000 /dev/urandom >"$T/small"
sb dp write piped -f "$img" <"$T/small"
sb dp read science/thermal.dat -f "$img" >"$T/out1"
t_ok sb_dp_roundtrip_stdout cmp "$T/data" "$T/out1"
t_ok sb_dp_read_to_file sb dp read piped -o "$T/out2" -f "$img"
t_ok sb_dp_roundtrip_stdin cmp "$T/small" "$T/out2"
t_rc sb_dp_name_taken 1 sb dp write piped "$T/small" -f "$img"
t_rc sb_dp_name_too_long 1 sb dp write "$(head -c 65 "$T/long")" "$T/small" -f "$img"
t_rc sb_dp_area_full 1 sb dp write huge "$T/data" -f "$img"
t_match sb_dp_area_full_msg "$(sb dp write huge "$T/data" -f "$img" 2>&1)" 'data-product area full'
t_match sb_dp_list "$(sb dp list -f "$img")" 'science/thermal.dat +1 +2 +100000'
t_ok sb_dp_delete sb dp delete science/thermal.dat -f "$img"
t_ok sb_dp_space_reused sb dp write again "$T/data" -f "$img"
t_ok sb_inspect_clean sb inspect -f "$img"
t_match sb_inspect_json "$(sb inspect -f "$img" --json)" '"dp_start": 33'

# FILE that is not a regular file (a FIFO) gives its bytes, not stdin's
sb init -f "$T/p.img" --blocks 100 >/dev/null
mkfifo "$T/fifo"
cat "$T/small" >"$T/fifo" &
echo "not these bytes" | sb dp write from-fifo "$T/fifo" -f "$T/p.img"
wait
t_eq sb_dp_write_fifo "$(sb dp read from-fifo -f "$T/p.img" | cksum)" "$(cksum <"$T/small")"
t_match sb_dp_write_dir "$(sb dp write dir "$T" -f "$T/p.img" </dev/null 2>&1)" "reading $T: Is a directory"
t_rc sb_dp_write_dir_nothing 1 sb dp read dir -f "$T/p.img"

# a damaged product: read fails, -o leaves nothing behind, inspect says so
off=$(sb dp list -f "$img" --json | grep -A5 '"name": "again"' | sed -n 's/.*"block_offset": \([0-9]*\).*/\1/p')
printf 'Z' | dd of="$img" bs=1 seek=$(( (33 + off) * 512 + 10 )) conv=notrunc 2>/dev/null
t_rc sb_dp_crc_mismatch 1 sb dp read again -o "$T/out3" -f "$img"
t_eq sb_dp_crc_no_output "$(ls "$T/out3" 2>&1 >/dev/null | grep -c 'No such')" 1
t_rc sb_inspect_reports 1 sb inspect -f "$img"
t_match sb_inspect_reports_msg "$(sb inspect -f "$img")" "data CRC mismatch"

# open refuses what is not the layout, and writes nothing
head -c 65536 /dev/zero >"$T/zero.img"
before=$(sum "$T/zero.img")
t_rc sb_open_blank 1 sb param set 1 x -f "$T/zero.img"
t_match sb_open_blank_msg "$(sb inspect -f "$T/zero.img" 2>&1)" 'no space-block layout'
t_eq sb_open_blank_untouched "$(sum "$T/zero.img")" "$before"
cp "$img" "$T/magic.img"
printf 'X' | dd of="$T/magic.img" bs=1 seek=0 conv=notrunc 2>/dev/null
before=$(sum "$T/magic.img")
t_match sb_open_bad_magic "$(sb event write x -f "$T/magic.img" 2>&1)" 'bad magic: expected 0x53504f53, got 0x58504f53'
t_eq sb_open_bad_magic_untouched "$(sum "$T/magic.img")" "$before"
cp "$img" "$T/crc.img"
printf '\377' | dd of="$T/crc.img" bs=1 seek=20 conv=notrunc 2>/dev/null
t_match sb_open_bad_crc "$(sb param list -f "$T/crc.img" 2>&1)" 'superblock CRC mismatch'
before=$(sum "$T/data")
t_rc sb_init_refuses_data 1 sb init -f "$T/data" --blocks 256
t_eq sb_init_refused_untouched "$(sum "$T/data")" "$before"
t_ok sb_init_force sb init -f "$T/crc.img" --blocks 256 --force

# a QEMU writing the image (paused, its drive attached): writers refuse,
# readers go on
if command -v qemu-system-x86_64 >/dev/null; then
	sb init -f "$T/q.img" --blocks 100 >/dev/null
	qemu-system-x86_64 -accel tcg -nodefaults -display none -monitor none -S \
		-drive "file=$T/q.img,if=none,id=d,format=raw" -device virtio-blk-pci,drive=d 2>/dev/null &
	qpid=$!
	ino=$(stat -c %i "$T/q.img") i=0
	until grep -q ":$ino 201 201" /proc/locks || [ $i -ge 600 ]; do sleep 0.1; i=$((i + 1)); done
	before=$(sum "$T/q.img")
	t_match sb_write_while_qemu "$(sb param set 1 x -f "$T/q.img" 2>&1)" 'in use by a program that writes it'
	t_match sb_init_while_qemu "$(sb init --force -f "$T/q.img" 2>&1)" 'in use by a program that writes it'
	t_eq sb_write_while_qemu_untouched "$(sum "$T/q.img")" "$before"
	t_ok sb_read_while_qemu sb inspect -f "$T/q.img"
	kill "$qpid"; wait "$qpid" 2>/dev/null
	t_ok sb_write_after_qemu sb param set 1 x -f "$T/q.img"
else
	t_skip sb_write_while_qemu "no qemu-system-x86_64"
fi

# 4096-byte blocks
t_ok sb_init_4k sb init -f "$T/b.img" --blocks 64 --sector-size 4096
t_eq sb_init_4k_size "$(stat -c %s "$T/b.img")" 262144
t_match sb_inspect_4k "$(sb inspect -f "$T/b.img" --json)" '"block_size": 4096'
sb param set 1 four -f "$T/b.img"
t_eq sb_4k_param "$(sb param get 1 -f "$T/b.img")" four

# usage
t_rc sb_usage_no_command 2 sb -f "$img"
t_rc sb_usage_unknown 2 sb frobnicate -f "$img"
t_rc sb_usage_wrong_option 2 sb param get 1 --kernel x -f "$img"
t_rc sb_usage_no_file 2 sb inspect

# launch: a stand-in QEMU records its arguments
cat >"$T/qemu" <<EOS
#!/bin/sh
printf '%s\n' "\$@" >"$T/qemu.args"
EOS
chmod +x "$T/qemu"
: >"$T/vmlinuz"; : >"$T/initrd"
t_ok sb_launch sb launch -f "$T/new.img" --kernel "$T/vmlinuz" --initrd "$T/initrd" --qemu "$T/qemu" --append "blockbox.run=x" -m 256M
args=$(cat "$T/qemu.args" 2>/dev/null)
t_ok sb_launch_created sb inspect -f "$T/new.img"
t_match sb_launch_tcg "$(echo "$args" | tr '\n' ' ')" '-accel tcg -cpu max -m 256M'
t_match sb_launch_drive "$args" "^file=$T/new.img,if=none,id=spaceblock,format=raw$"
t_match sb_launch_blk "$args" '^virtio-blk-pci,drive=spaceblock,logical_block_size=512'
t_match sb_launch_append "$args" '^console=ttyS0 blockbox.run=x$'
t_match sb_launch_stdio "$(echo "$args" | tr '\n' ' ')" '-serial stdio'
t_ok sb_launch_kvm sb launch -f "$T/b.img" --kernel "$T/vmlinuz" --initrd "$T/initrd" --qemu "$T/qemu" --kvm
t_match sb_launch_kvm_args "$(tr '\n' ' ' <"$T/qemu.args")" '-accel kvm -cpu host .*logical_block_size=4096'
(cd "$T" && sb launch -f nbd:localhost:1 --kernel vmlinuz --initrd initrd --qemu "$T/qemu") 2>/dev/null
t_match sb_launch_relative "$(cat "$T/qemu.args")" '^file=\./nbd:localhost:1,if=none'
t_rc sb_launch_not_layout 1 sb launch -f "$T/zero.img" --kernel "$T/vmlinuz" --initrd "$T/initrd" --qemu "$T/qemu"
t_rc sb_launch_no_qemu 1 sb launch -f "$T/b.img" --kernel "$T/vmlinuz" --initrd "$T/initrd" --qemu "$T/none"
exit 0
