# init's settings: config files in name order, then the kernel command
# line; what it would do is shown by --print-config, without being PID 1.
. "$(dirname "$0")/../lib.sh"

conf=$T/conf.d
mkdir -p "$conf"
printf '# base layer\nblockbox.modules=virtio_pci,virtio_blk # disks\nblockbox.onfail=poweroff\n' >"$conf/10-base.conf"
printf 'blockbox.exitport=0xf4 blockbox.then=reboot\n' >"$conf/90-harness.conf"
printf 'blockbox.then=halt\n' >"$conf/README" # not *.conf: ignored

show() { # CMDLINE-TEXT -> settings, one per line, joined with ';'
	printf '%s\n' "$1" >"$T/cmdline"
	{ "$BB" init --print-config --confdir "$conf" --cmdline "$T/cmdline"; echo "rc=$?"; } 2>&1 | tr '\n' ';'
}

t_eq "config files, then the command line" \
	"$(show 'quiet blockbox.run="disks --json" blockbox.modules=btrfs blockbox.modules=ext4,vfat blockbox.timeout=30 blockbox.onfail=shell')" \
	"run: disks --json;modules: virtio_pci virtio_blk btrfs ext4 vfat;timeout: 30;onfail: shell;then: reboot;exitport: 0xf4;rc=0;"
t_eq "defaults" "$(rm -f "$conf"/*.conf; show 'console=ttyS0')" \
	"run: -;modules:;timeout: 0;onfail: shell;then: shell;exitport: 0;rc=0;"
printf 'blockbox.onfail=poweroff blockbox.exitport=244\n' >"$conf/90-harness.conf"
t_match "unparsable command line: none of it is used" \
	"$(show 'blockbox.run="/test/run blockbox.onfail=shell')" \
	'^run: -;modules:;timeout: 0;onfail: poweroff;then: shell;exitport: 0xf4;init: kernel command line: cannot parse it \(unterminated quote\); none of it is used;rc=1;$'
t_match "bad action" "$(show 'blockbox.then=explode')" 'init: kernel command line: blockbox.then must be shell, poweroff, reboot or halt;rc=1;$'
t_match "bad timeout" "$(show 'blockbox.timeout=10s')" 'init: kernel command line: blockbox.timeout=10s is not a number of seconds;rc=1;$'
t_match "bad port" "$(show 'blockbox.exitport=0x10000')" 'blockbox.exitport=0x10000 is not an I/O port;rc=1;$'
t_match "empty value" "$(show 'blockbox.run=')" 'init: kernel command line: blockbox.run needs a value;rc=1;$'
t_match "unknown setting warned, not fatal" "$(show 'blockbox.rnu=x')" \
	'^init: warning: kernel command line: unknown setting blockbox.rnu ignored;.*rc=0;$'
t_match "other programs' words are left alone" "$(show 'mossize=8 root=/dev/vda1 ro')" 'rc=0;$'
t_eq "a '#' on the kernel command line is no comment" "$(show 'blockbox.run="echo #1 done" blockbox.then=poweroff' | cut -d';' -f1,5)" \
	"run: echo #1 done;then: poweroff"
printf 'blockbox.run="echo #1" # the command\n# blockbox.then=reboot\nblockbox.timeout=5 #x\n' >"$conf/50-quoted.conf"
t_eq "in a config file, a '#' in quotes is no comment" "$(show '' | cut -d';' -f1,3,5)" \
	"run: echo #1;timeout: 5;then: shell"
rm -f "$conf/50-quoted.conf"
words=$(seq 64 | tr '\n' ' ')
t_match "blockbox.run of 64 words is refused, not cut" "$(show "blockbox.run=\"echo $words\"")" \
	'init: kernel command line: blockbox.run has more than 63 words;rc=1;$'
t_match "63 words are fine" "$(show "blockbox.run=\"echo $(seq 62 | tr '\n' ' ')\"")" ' 61 62 ;.*rc=0;$'
t_match "65 modules are refused" "$(show "blockbox.modules=$(seq 65 | tr '\n' ,)")" \
	'init: kernel command line: more than 64 modules in blockbox.modules;rc=1;$'
t_match "unreadable command line" \
	"$({ "$BB" init --print-config --confdir "$conf" --cmdline "$T/none"; echo "rc=$?"; } 2>&1 | tr '\n' ';')" \
	"init: $T/none: No such file or directory;rc=1;"
t_rc "refuses to run as anything but process 1" 2 "$BB" init
