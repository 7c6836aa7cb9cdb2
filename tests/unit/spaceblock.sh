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
sb param set 010 ten -f "$img"
t_eq sb_param_id_decimal "$(sb param get 10 -f "$img")" ten
t_eq sb_param_id_hex "$(sb param get 0xA -f "$img")" ten
t_rc sb_param_id_blank 1 sb param get " 10" -f "$img"
t_rc sb_param_id_sign 1 sb param get +10 -f "$img"
t_match sb_param_list "$(sb param list -f "$img")" '^42 +2 +7 +2\.71828'

# events
for i in $(seq 1 100); do sb event write "event $i" --code "$i" --timestamp "$i" -f "$img" --no-sync || break; done
t_eq sb_event_count "$(sb event count -f "$img")" 100
t_eq sb_event_count_json "$(sb event count --json -f "$img" | python3 -c 'import json,sys; print(json.load(sys.stdin)["event_count"])')" 100
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
# names and values are bytes from the disk: what would drive the terminal
# is shown escaped, in product names and parameter values alike
sb dp delete piped -f "$img"
sb dp write "$(printf 'esc\033[2Jname')" "$T/small" -f "$img"
out=$(sb dp list -f "$img"; sb param set 77 "$(printf 'v\033]0;x\007')" -f "$img"
	sb param list -f "$img"; sb dp write "$(printf 'esc\033[2Jname')" "$T/small" -f "$img" 2>&1)
t_match sb_dp_name_escaped "$out" 'esc\\x1b\[2Jname '
t_match sb_param_value_escaped "$out" 'v\\x1b\]0;x\\x07$'
t_match sb_error_escaped "$out" "data product named 'esc\\\\x1b\\[2Jname' already exists"
t_eq sb_no_escape_char_shown "$(printf '%s' "$out" | tr -d -c '\033\007' | wc -c)" 0
sb dp delete "$(printf 'esc\033[2Jname')" -f "$img"
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
# a pipe streams into the image, never whole in memory (20 MB under a
# 24 MB address-space limit); one larger than the largest free run is
# refused and leaves nothing
sb init -f "$T/big.img" --blocks 60000 >/dev/null
head -c 20000000 /dev/urandom >"$T/20m"
t_ok sb_dp_pipe_bounded sh -c "ulimit -v 24000; cat '$T/20m' | $BB spaceblock dp write piped20 -f '$T/big.img'"
t_eq sb_dp_pipe_bytes "$(sb dp read piped20 -f "$T/big.img" | cksum)" "$(cksum <"$T/20m")"
t_rc sb_dp_pipe_too_big 1 sh -c "cat '$T/20m' '$T/20m' | $BB spaceblock dp write twice -f '$T/big.img'"
t_rc sb_dp_pipe_too_big_nothing 1 sb dp read twice -f "$T/big.img"
t_ok sb_dp_pipe_empty sh -c "$BB spaceblock dp write empty -f '$T/big.img' </dev/null"
t_eq sb_dp_pipe_empty_bytes "$(sb dp read empty -f "$T/big.img" | wc -c)" 0
t_ok sb_dp_pipe_inspect sb inspect -f "$T/big.img"
rm "$T/20m" "$T/big.img"

# a damaged product: read fails, -o leaves nothing behind, inspect says so
off=$(sb dp list -f "$img" --json | grep -A5 '"name": "again"' | sed -n 's/.*"block_offset": \([0-9]*\).*/\1/p')
printf 'Z' | dd of="$img" bs=1 seek=$(( (33 + off) * 512 + 10 )) conv=notrunc 2>/dev/null
t_rc sb_dp_crc_mismatch 1 sb dp read again -o "$T/out3" -f "$img"
t_ok sb_dp_crc_no_output test ! -e "$T/out3"
t_rc sb_inspect_reports 1 sb inspect -f "$img"
t_match sb_inspect_reports_msg "$(sb inspect -f "$img")" "data CRC mismatch"

# open refuses what is not the layout: a clear message, exit 1, nothing
# written. craft IMG [OFF HEX]... [super] [ext] [cat SLOT OFF COUNT LEN NAME]
# patches bytes at byte offsets, re-signs the superblock or the layout
# record, or writes a catalog record (512-byte blocks) with a valid CRC.
craft() {
	python3 - "$@" <<'EOF'
import struct, sys
def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c ^= x
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    return c ^ 0xFFFFFFFF
img, args = sys.argv[1], sys.argv[2:]
with open(img, 'r+b') as f:
    data = bytearray(f.read())
    while args:
        if args[0] == 'super':
            data[44:48] = struct.pack('>I', crc32c(data[0:44])); args = args[1:]
        elif args[0] == 'ext':
            data[60:64] = struct.pack('>I', crc32c(data[48:60])); args = args[1:]
        elif args[0] == 'cat':
            slot, off, count, length = map(int, args[1:5]); name = args[5].encode()
            r = struct.pack('>IIHBB', off, count, 0, 0, len(name)) + name.ljust(64, b'\0')
            r += struct.pack('>IQQQ', 0, length, slot + 1, 0) + bytes(20)
            r += struct.pack('>I', crc32c(r))
            at = 33 * 512 + slot * 128
            data[at:at + 128] = r; args = args[6:]
        else:
            b = bytes.fromhex(args[1]); o = int(args[0]); data[o:o + len(b)] = b; args = args[2:]
    f.seek(0); f.write(data)
EOF
}
refuses() { # NAME IMG REGEX: a writer and a reader refuse IMG, which stays as it was
	before=$(sum "$2")
	t_rc "$1" 1 sb param set 1 x -f "$2"
	# inspect still reads the records of a damaged block 0, saying so
	t_match "$1_msg" "$(sb inspect -f "$2" 2>&1)" "^(spaceblock: $2|$2: BLOCK 0 DAMAGED): $3"
	t_eq "$1_untouched" "$(sum "$2")" "$before"
}
sb init -f "$T/good.img" --blocks 100 >/dev/null
bad() { cp "$T/good.img" "$T/bad.img" && craft "$T/bad.img" "$@"; }
head -c 65536 /dev/zero >"$T/zero.img"
refuses sb_open_blank "$T/zero.img" 'no space-block layout \(block 0 is blank\)'
bad 0 58
refuses sb_open_bad_magic "$T/bad.img" 'bad magic: expected 0x53504f53, got 0x58504f53;'
bad 20 ff
refuses sb_open_bad_crc "$T/bad.img" 'superblock CRC mismatch: stored 0x[0-9a-f]{8}, computed'
bad 4 02 super
refuses sb_open_version "$T/bad.img" 'unknown format version 2'
bad 48 00000000000000000000000000000000
refuses sb_open_no_layout_record "$T/bad.img" 'the superblock has no layout record at byte 48'
bad 53 0a ext
refuses sb_open_block_size "$T/bad.img" 'layout record: block size 2\^10 is not 512 or 4096'
bad 54 ffff ext
refuses sb_open_huge_catalog "$T/bad.img" 'layout record: a catalog of 65535 blocks, not 16'
bad 8 ffffffff super
refuses sb_open_total_blocks "$T/bad.img" 'the superblock says 4294967295 blocks of 512 bytes but the device holds 100 \(truncated image\?\)'
bad 16 ffffff00 super
refuses sb_open_dp_size "$T/bad.img" 'data-product area 33\+4294967040 does not fit'
head -c 20000 "$T/good.img" >"$T/bad.img"
refuses sb_open_truncated "$T/bad.img" 'the superblock says 100 blocks of 512 bytes but the device holds 39 \(truncated image\?\)'
head -c 100 "$T/good.img" >"$T/bad.img"
refuses sb_open_tiny "$T/bad.img" 'no space-block layout \(only 100 bytes\)'

# hostile catalog records: past the end of the area, overlapping; reported,
# never read from, never allocated over
bad cat 0 60 1000 512000 past cat 1 16 4 2048 a cat 2 18 4 2048 b
out=$(sb inspect -f "$T/bad.img"); rc=$?
t_eq sb_catalog_hostile_rc "$rc" 1
t_match sb_catalog_past_end "$out" 'catalog slot 0: CRC mismatch or impossible extent'
t_match sb_catalog_overlap "$out" "catalog slot 2: blocks overlap those of 'a'"
t_rc sb_catalog_past_end_unread 1 sb dp read past -f "$T/bad.img"
head -c 1024 /dev/zero | sb dp write new -f "$T/bad.img"
t_match sb_catalog_overlap_avoided "$(sb dp list -f "$T/bad.img")" '^new +0 +0 +1024 +22 +2 '
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

# dp read -o: never the image itself (by its name, a link or a hard
# link); a device node or FIFO is written in place, never replaced (the
# node is made here, never the system's /dev/null)
sb init -f "$T/o.img" --blocks 256 >/dev/null
sb dp write prod "$T/small" -f "$T/o.img"
before=$(sum "$T/o.img")
ln -s "$T/o.img" "$T/o.link"; ln "$T/o.img" "$T/o.hard"
for o in "$T/o.img" "$T/o.link" "$T/o.hard"; do
	t_rc "sb_dp_read_onto_image_${o##*.}" 1 sb dp read prod -f "$T/o.img" -o "$o"
done
t_match sb_dp_read_onto_image_says "$(sb dp read prod -f "$T/o.img" -o "$T/o.img" 2>&1)" 'the same file as'
t_eq sb_dp_read_onto_image_untouched "$(sum "$T/o.img")" "$before"
if mknod "$T/null" c 1 3 2>/dev/null; then
	t_ok sb_dp_read_to_node sb dp read prod -f "$T/o.img" -o "$T/null"
	t_ok sb_dp_read_node_kept test -c "$T/null"
else
	t_skip sb_dp_read_to_node "mknod needs CAP_MKNOD"
fi
mkfifo "$T/o.fifo"
cat "$T/o.fifo" >"$T/o.got" &
t_ok sb_dp_read_to_fifo sb dp read prod -f "$T/o.img" -o "$T/o.fifo"
wait
t_ok sb_dp_read_fifo_bytes cmp "$T/o.got" "$T/small"
t_ok sb_dp_read_fifo_kept test -p "$T/o.fifo"
t_ok sb_dev_null_still_a_device test -c /dev/null

# one bad bit anywhere in block 0's superblock or layout record, or a
# short image: inspect still reads every intact record, says block 0 is
# damaged (exit 1), and --json is JSON; writes are refused
sb init -f "$T/s.img" --blocks 256 >/dev/null
sb param set 5 five -f "$T/s.img"; sb event write hello -f "$T/s.img"
sb dp write prod "$T/small" -f "$T/s.img"
bad=""
n=0
for byte in $(seq 0 63); do
	for bit in 0 6; do
		cp "$T/s.img" "$T/f.img"
		b=$(od -An -tu1 -j $byte -N 1 "$T/f.img" | tr -d ' ')
		printf "\\$(printf %o $((b ^ (1 << bit))))" | dd of="$T/f.img" bs=1 seek=$byte conv=notrunc 2>/dev/null
		out=$(sb inspect -f "$T/f.img" 2>&1); rc=$?
		json=$(sb inspect --json -f "$T/f.img" 2>/dev/null)
		n=$((n + 1))
		case "$out" in *"prod "*) ;; *) bad="$bad [$byte.$bit: no product]";; esac
		case "$out" in *five*) ;; *) bad="$bad [$byte.$bit: no parameter]";; esac
		[ $rc = 1 ] || [ $byte -eq 5 ] || bad="$bad [$byte.$bit: rc $rc]"
		echo "$json" | python3 -c 'import json,sys; json.load(sys.stdin)' 2>/dev/null || bad="$bad [$byte.$bit: not JSON]"
	done
done
t_eq sb_block0_bit_flips "${bad:-none} $n" "none 128"
cp "$T/s.img" "$T/f.img"
printf '\377' | dd of="$T/f.img" bs=1 seek=44 conv=notrunc 2>/dev/null
t_rc sb_block0_damaged_no_writes 1 sb param set 6 six -f "$T/f.img"
t_eq sb_block0_damaged_param_read "$(sb inspect --json -f "$T/f.img" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["superblock_damage"] is not None)')" True
truncate -s 100000 "$T/f.img" && cp "$T/s.img" "$T/f.img" && truncate -s 120000 "$T/f.img"
out=$(sb inspect -f "$T/f.img" 2>&1)
t_match sb_short_image_reads "$out" "prod "
t_match sb_short_image_says "$out" "BLOCK 0 DAMAGED: .*truncated image"
: >"$T/empty.img"
t_match sb_json_on_error "$(sb inspect --json -f "$T/empty.img" 2>/dev/null | tr -d ' \n')" '"error":"'
rm "$T/f.img" "$T/s.img" "$T/empty.img"

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
t_match sb_launch_no_qemu_msg "$(sb launch -f "$T/b.img" --kernel "$T/vmlinuz" --initrd "$T/initrd" --qemu "$T/none" 2>&1)" "^spaceblock: cannot run $T/none: No such file or directory$"
rm -f "$T/qemu.args"
t_match sb_launch_no_kernel "$(sb launch -f "$T/b.img" --kernel "$T/none" --initrd "$T/initrd" --qemu "$T/qemu" 2>&1)" "^spaceblock: --kernel $T/none: No such file"
t_ok sb_launch_no_kernel_no_qemu test ! -e "$T/qemu.args"
# every option is checked before the image is created
i=0
for bad in "-m 1M" "--qemu $T/none" "--qemu no-such-qemu-binary" "--append $(head -c 5000 /dev/zero | tr '\0' x)"; do
	rm -f "$T/never.img"
	sb launch -f "$T/never.img" --kernel "$T/vmlinuz" --initrd "$T/initrd" --qemu "$T/qemu" $bad 2>/dev/null
	i=$((i + 1))
	t_ok "sb_launch_checked_first_$i" test ! -e "$T/never.img"
done
exit 0
