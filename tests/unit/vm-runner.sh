# tests/vm/run.sh, the VM scenario runner, in a copy of the tree with a
# stand-in for QEMU (no VM): verdicts and the summary, the failure report
# with the console's tail, host checks that die half-way, and an
# interrupted run leaving nothing behind.
. "$(dirname "$0")/../lib.sh"
src=$(cd "$(dirname "$0")/../.." && pwd)
r=$T/repo

mkdir -p "$r/tests/vm" "$r/qemu" "$r/build/kernel/root/boot"
cp "$src/tests/lib.sh" "$r/tests/"
cp "$src/tests/vm/run.sh" "$src/tests/vm/guest.sh" "$r/tests/vm/"
cp "$src/qemu/run.sh" "$r/qemu/"
echo 0.0-fake >"$r/build/kernel/version"
: >"$r/build/kernel/root/boot/vmlinuz-0.0-fake"
: >"$r/build/blockbox"
sleep 0.01
echo base >"$r/build/initramfs.cpio.gz"
echo base >"$r/build/initramfs-tools.cpio.gz"

cat >"$T/qemu" <<'EOF'
#!/bin/sh
# Stand-in: acts out fake=MODE from the kernel command line.
while [ $# -gt 0 ]; do [ "$1" = -append ] && cmdline=$2; shift; done
echo "booting: $cmdline"
case "$cmdline" in
*fake=pass*) echo "PASS in the guest"; exit 3 ;;
*fake=fail*) echo "FAIL in the guest: on purpose"; echo "the console's last words"; exit 5 ;;
*fake=hang*) exec sleep 1000 ;;
esac
exit 1
EOF
chmod +x "$T/qemu"

scenario() { # NAME BODY
	printf 'guest() { echo true; }\n%s\n' "$2" >"$r/tests/vm/$1.sh"
}
scenario 10-pass 'cmdline=fake=pass; check() { t_ok "host side" true; }'
scenario 20-fail 'cmdline=fake=fail'
scenario 30-check-dies 'cmdline=fake=pass; check() { t_ok "first" true; echo "$no_such_variable"; t_ok "never" true; }'

out=$(QEMU=$T/qemu "$r/tests/vm/run.sh" 2>&1)
rc=$?
t_eq "exit status on failures" "$rc" 1
t_match "summary" "$out" '^1 passed, 2 failed$'
t_match "the passing one" "$out" '^PASS 10-pass \(.* s, status 0, 2 checks\)$'
t_match "a guest failure is reported" "$out" '^FAIL 20-fail \(.* s, status 1\)$'
t_match "with the console's last lines" "$out" "    \\| the console's last words"
t_match "host checks that die are a failure" "$out" \
	'^    FAIL check: the host checks stopped early'
t_eq "the failure's log is kept" "$(grep -c 'last words' "$r/build/vm/20-fail/console.log")" 1
out=$(QEMU=$T/qemu "$r/tests/vm/run.sh" "$r/tests/vm/10-pass.sh" 2>&1)
t_match "one scenario by absolute path" "$out" '^1 passed, 0 failed$'

# Interrupted: every lane, its qemu/run.sh and QEMU stop, and no lane
# goes on to the next scenario.
rm -f "$r/tests/vm/"[0-9]*.sh
for n in 1 2 3; do scenario "4$n-hang" 'cmdline=fake=hang; timeout=300'; done
left() { ps -eo args= | awk -v r="$r" 'index($0, r "/build/") || index($0, r "/tests/vm/run")'; }
mkdir -p "$T/tmp"
QEMU=$T/qemu TMPDIR=$T/tmp "$r/tests/vm/run.sh" >"$T/out" 2>&1 &
pid=$!
i=0
while [ "$(grep -c 'fake=hang' "$r"/build/vm/4*/console.log 2>/dev/null | grep -c ':1$')" -lt 2 ] &&
	[ "$i" -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -TERM "$pid"
wait "$pid"
t_eq "TERM: exit 130" "$?" 130
i=0
while [ -n "$(left)" ] && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
t_eq "TERM: nothing left running" "$(left)" ""
t_eq "TERM: the third scenario never started" "$(ls "$r/build/vm" | grep -c 43-hang)" 0
t_eq "TERM: no temporary files left" "$(ls "$T/tmp")" ""
