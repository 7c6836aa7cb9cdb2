# qemu/run.sh with a stand-in for QEMU (no VM): exit status decoding, the
# wall-clock timeout, the arguments it builds, the archives it joins, and
# console input sent once the guest asks for it.
. "$(dirname "$0")/../lib.sh"
run=$(cd "$(dirname "$0")/../.." && pwd)/qemu/run.sh

cat >"$T/qemu" <<'EOF'
#!/bin/sh
# Stand-in: records its arguments and the initrd, then acts out $FAKE.
echo $$ >"$FAKE_DIR/pid"
printf '%s\n' "$@" >"$FAKE_DIR/args"
while [ $# -gt 0 ]; do [ "$1" = -initrd ] && cp "$2" "$FAKE_DIR/initrd"; shift; done
echo "fake boot"
case "$FAKE" in
status*) exit $((2 * ${FAKE#status } + 3)) ;;
hang) exec sleep 1000 ;;
zero) exit 0 ;;
fail) echo "qemu-system-x86_64: -drive: bad option" >&2; exit 1 ;;
shell)
	echo "init: emergency shell: fix what is needed"
	read -r line
	echo "typed: $line"
	exit $((2 * ${line#exit } + 3)) ;;
esac
EOF
chmod +x "$T/qemu"
: >"$T/kernel"
echo base >"$T/base.cpio"
truncate -s 1M "$T/disk1.img" "$T/disk2.img"
mkdir -p "$T/extra/test"
echo "the test script" >"$T/extra/test/run"

h() { # FAKE-MODE ARGS...
	mode=$1; shift
	{ FAKE=$mode FAKE_DIR=$T QEMU=$T/qemu "$run" -q -k "$T/kernel" -i "$T/base.cpio" "$@"; echo "rc=$?"; } 2>&1 |
		tr '\n' ';'
}

t_match "guest status 0" "$(h 'status 0')" 'guest status 0 .*;rc=0;$'
t_match "guest status 7" "$(h 'status 7')" 'guest status 7 .*;rc=7;$'
t_match "guest status 126" "$(h 'status 126')" 'guest status 126 .*;rc=126;$'
t_match "guest status 67 (QEMU exits 137) is no timeout" "$(h 'status 67')" 'guest status 67 .*;rc=67;$'
t_match "no status reported" "$(h zero)" 'stopped without reporting a status.*;rc=125;$'
t_match "QEMU fails" "$(h fail)" 'QEMU failed with status 1 .*;rc=125;$'
start=$(date +%s)
t_match "timeout" "$(h hang -t 2)" 'timeout: the guest did not finish within 2 s.*;rc=124;$'
t_eq "the timeout is kept" "$(($(date +%s) - start < 9))" 1

h 'status 0' -d "$T/disk1.img" -n "$T/disk2.img" -D "$T/disk1.img" -x "$T/extra" -m 512M -- blockbox.run=/test/run >/dev/null
args=$(tr '\n' ' ' <"$T/args")
t_match "virtio disk with serial disk1" "$args" \
	"-drive file=$T/disk1.img,if=none,id=disk1,format=raw -device virtio-blk-pci,drive=disk1,serial=disk1 "
t_match "nvme disk with serial disk2" "$args" "-device nvme,drive=disk2,serial=disk2 "
t_match "4K virtio disk" "$args" \
	"-device virtio-blk-pci,logical_block_size=4096,physical_block_size=4096,drive=disk3,serial=disk3 "
t_match "TCG by default" "$args" '-accel tcg -cpu max '
t_match "exit device" "$args" '-device isa-debug-exit,iobase=0xf4,iosize=0x04 '
t_match "kernel command line" "$args" '-append console=ttyS0 panic=-1 quiet no_timer_check blockbox.run=/test/run '
t_match "memory" "$args" '-m 512M '
t_match "initrd: the base first" "$(head -c 4 "$T/initrd")" '^base$'
t_match "initrd: the extra archive" "$(grep -ac 'the test script' "$T/initrd")" '^1$'
t_match "initrd: the harness settings" "$(grep -ac 'blockbox.exitport=0xf4 blockbox.onfail=poweroff' "$T/initrd")" '^1$'
VM_ACCEL=kvm h 'status 0' >/dev/null
t_match "KVM when asked" "$(tr '\n' ' ' <"$T/args")" '-accel kvm -cpu host '

echo "exit 4" >"$T/input"
out=$(FAKE=shell FAKE_DIR=$T QEMU=$T/qemu "$run" -k "$T/kernel" -i "$T/base.cpio" -I "$T/input" 2>&1; echo "rc=$?")
t_match "console input typed once asked for" "$(echo "$out" | tr '\n' ';')" 'typed: exit 4;.*guest status 4 .*;rc=4;$'

t_match "missing disk image" "$(h 'status 0' -d "$T/nope.img")" 'nope.img: no such disk image;rc=125;$'
t_match "bad timeout" "$(h 'status 0' -t soon)" '-t soon: not a number of seconds'
t_match "no timeout is no option" "$(h 'status 0' -t 0)" '-t 0: not a number of seconds.*;rc=125;$'

# Paths with blanks and commas reach QEMU whole (commas doubled, as its
# option syntax wants); nothing is split or globbed.
mkdir -p "$T/my dir/x *" "$T/my dir/x *"/test
echo "the spaced script" >"$T/my dir/x */test/run"
cp "$T/disk1.img" "$T/my dir/a,b c.img"
h 'status 0' -d "$T/my dir/a,b c.img" -x "$T/my dir/x *" >/dev/null
t_eq "image path with a comma and a blank" "$(grep -e '^file=' "$T/args")" \
	"file=$T/my dir/a,,b c.img,if=none,id=disk1,format=raw"
t_match "extra directory with a blank and a '*'" "$(grep -ac 'the spaced script' "$T/initrd")" '^1$'

# Interrupted (by make's ctrl-C, a CI's TERM): QEMU, run in a process
# group of its own by timeout(1), and the console writer are stopped too,
# and the temporary directory goes.
left() { ps -eo pid=,args= | awk -v t="$T" 'index($0, t "/kernel")'; }
mkdir -p "$T/tmp"
FAKE=hang FAKE_DIR=$T QEMU=$T/qemu TMPDIR=$T/tmp "$run" -q -k "$T/kernel" -i "$T/base.cpio" -t 60 \
	-I "$T/input" -W "never" >/dev/null 2>&1 &
pid=$!
i=0
while [ ! -s "$T/pid" ] && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
rm -f "$T/pid"
sleep 0.5
kill -TERM "$pid"
wait "$pid"
t_eq "TERM: exit 130" "$?" 130
i=0
while [ -n "$(left)" ] && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
t_eq "TERM: QEMU and the console writer are gone" "$(left)" ""
t_eq "TERM: no temporary files left" "$(ls "$T/tmp")" ""
t_match "missing initramfs" "$(h 'status 0' -i "$T/none")" 'no such initramfs.*;rc=125;$'
