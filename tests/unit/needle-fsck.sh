#!/bin/sh
# needle-fsck from the command line: exit codes, directories, JSON,
# -j, --index-dir, --ecx, on copies of SeaweedFS's fixtures.
. "$(dirname "$0")/../lib.sh"
F=$SHARED/fixtures/seaweedfs
fsck() { "$BB" needle-fsck "$@"; }

t_rc nf_usage_none 16 fsck
t_rc nf_usage_both 16 fsck -n -y "$T/x"
t_rc nf_usage_width 16 fsck --offset-bytes 6 "$T/x"
t_rc nf_help 0 fsck --help
t_rc nf_missing 8 fsck "$T/nothing_here"
# what kept a volume from being checked is said on stderr too, as every
# applet says a failure (the report stays on stdout)
err=$(fsck "$T/nothing_here" 2>&1 >/dev/null)
t_eq nf_missing_stderr "$err" "needle-fsck: $T/nothing_here: no .dat, .idx, .ecx or .ecj"
err=$(fsck --json "$T/nothing_here" 2>&1 >/dev/null)
t_eq nf_missing_stderr_json "$err" "needle-fsck: $T/nothing_here: no .dat, .idx, .ecx or .ecj"
# an empty path would put every index file at /NAME.idx
t_rc nf_index_dir_empty 16 fsck -y --index-dir '' "$T/x"
t_rc nf_target_empty 16 fsck -y ''

if ! t_have_fixtures; then
	t_skip nf_fixtures "no $F"
	exit 0
fi

d=$T/vols
mkdir -p "$d"
for e in dat idx; do
	cp "$F/test_files__healthy_volume.$e" "$d/1.$e"
	cp "$F/test_files__bitrot_volume.$e" "$d/pics_2.$e"
done
chmod u+w "$d"/*

t_rc nf_dir_or 4 fsck "$d"
json=$(fsck --json "$d")
t_eq nf_json_volumes "$(echo "$json" | jq '.volumes | length')" 2
t_eq nf_json_status "$(echo "$json" | jq '.status')" 4
t_eq nf_json_lost "$(echo "$json" | jq -c '.volumes[1].lost_ids | sort')" "[3,48]"
t_eq nf_json_tail "$(echo "$json" | jq '.volumes[1].tail_bytes')" 1
t_eq nf_json_clean "$(echo "$json" | jq '.volumes[0].errors')" 0
t_eq nf_jobs_same "$(fsck -j 4 "$d" | md5sum)" "$(fsck -j 1 "$d" | md5sum)"
t_rc nf_by_dat_name 0 fsck "$d/1.dat"

t_rc nf_repair 5 fsck -y "$d"	# a tail corrected, two needles lost
t_rc nf_repaired_clean 0 fsck -n "$d"
t_eq nf_tail_kept "$(stat -c %s "$d/pics_2.dat.tail")" 1
t_ok nf_old_index_kept cmp "$d/pics_2.idx.bak" "$F/test_files__bitrot_volume.idx"
t_rc nf_rerun_nothing 0 fsck -y "$d"

# the index in its own directory, as with the volume server's -dir.idx
mkdir -p "$T/idx"
mv "$d/1.idx" "$T/idx/1.idx"
t_rc nf_index_dir 0 fsck --index-dir "$T/idx" "$d/1"
t_rc nf_index_missing 4 fsck "$d/1"
out=$(fsck -n "$d/1")
t_match nf_index_missing_says "$out" "no \.idx"

# .ecx checked against .idx with --ecx, rebuilt from it with -y
e=$T/ec
mkdir -p "$e"
cp "$F/idx__test_files__deleted_files.idx" "$e/5.idx"
cp "$F/idx__test_files__deleted_files.ecx" "$e/5.ecx"
chmod u+w "$e"/*
t_rc nf_ecx_plain 0 fsck "$e/5"
t_rc nf_ecx_differs 4 fsck --ecx "$e/5"
t_rc nf_ecx_rebuilt 1 fsck -y --ecx "$e/5"
t_rc nf_ecx_clean 0 fsck --ecx "$e/5"
t_eq nf_ecx_rows "$(($(stat -c %s "$e/5.ecx") / 16))" 78
t_ok nf_ecx_bak cmp "$e/5.ecx.bak" "$F/idx__test_files__deleted_files.ecx"

# --ecx reads .idx in the width it is written in, and writes the .ecx in
# the volume's: a 16-byte index of a volume declared 5-byte (no .dat to
# rebuild the index from) gives 78 live rows of 17 bytes
e5=$T/ec5
mkdir -p "$e5"
cp "$F/idx__test_files__deleted_files.idx" "$e5/5.idx"
t_rc nf_ecx_width_rc 5 fsck -y --ecx --offset-bytes 5 "$e5/5"
t_eq nf_ecx_width_rows "$(stat -c %s "$e5/5.ecx")" $((78 * 17))
# when --offset-bytes and .vif disagree, no width is trusted: no .ecx
cp "$F/test_files__healthy_volume.dat" "$e5/6.dat"
cp "$F/test_files__healthy_volume.idx" "$e5/6.idx"
echo '{"bytesOffset": 4}' >"$e5/6.vif"
chmod u+w "$e5"/*
t_rc nf_ecx_conflict_rc 4 fsck -y --ecx --offset-bytes 5 "$e5/6"
t_ok nf_ecx_conflict_none test ! -e "$e5/6.ecx"
# the width reported is the volume's, with where it came from
t_eq nf_width_from "$(fsck --json --offset-bytes 5 "$e5/6" | jq -r '.volumes[0] | "\(.offset_bytes) \(.offset_bytes_from)"')" "5 option"
t_eq nf_width_from_vif "$(fsck --json "$e5/6" | jq -r '.volumes[0] | "\(.offset_bytes) \(.offset_bytes_from)"')" "4 .vif"
# an .ecx alone, 16 rows of 17 bytes (also 17 of 16): read in the width
# its ids ascend in
mkdir -p "$T/ec17"
head -c $((16 * 17)) "$e5/5.ecx" >"$T/ec17/8.ecx"
t_rc nf_ecx_alone_width 0 fsck "$T/ec17/8"

# what is not a file where a volume's file should be: an operational error
mkdir -p "$T/odd/3.dat" "$T/odd/4.idx"
cp "$F/test_files__healthy_volume.dat" "$T/odd/4.dat"
out=$(fsck "$T/odd/3"); rc=$?
t_eq nf_dat_dir_rc $rc 8
t_match nf_dat_dir_says "$out" "3\.dat: not a regular file"
out=$(fsck -y "$T/odd/4"); rc=$?
t_eq nf_idx_dir_rc $rc 8
t_match nf_idx_dir_says "$out" "4\.idx: not a regular file"
# a .dat too short for a superblock: said so, not "v0, replica "
printf '\003\000' >"$T/odd/5.dat"
t_match nf_short_dat "$(fsck "$T/odd/5")" "2 B of \.dat, no valid superblock"

# one volume named three ways is checked and repaired once
mkdir -p "$T/same"
cp "$F/test_files__bitrot_volume.dat" "$T/same/2.dat"
cp "$F/test_files__bitrot_volume.idx" "$T/same/2.idx"
chmod u+w "$T/same"/*
t_eq nf_same_volume_once "$(fsck --json -n -j 4 "$T/same/2" "$T/same/./2" "$T/same/2.dat" | jq '.volumes | length')" 1
t_rc nf_same_volume_repair 5 fsck -y -j 4 "$T/same/2" "$T/same/./2" "$T/same/../same/2"
# a FIFO where .dat or .idx should be would block a plain open
mkfifo "$T/odd/6.dat" "$T/odd/7.idx"
cp "$F/test_files__healthy_volume.dat" "$T/odd/7.dat"
t_rc nf_fifo_dat 8 timeout 20 "$BB" needle-fsck "$T/odd/6"
t_rc nf_fifo_idx 8 timeout 20 "$BB" needle-fsck "$T/odd/7"
# a FIFO named like the tail's copy is stepped over, not opened
mkdir -p "$T/tailfifo"
cp "$F/test_files__bitrot_volume.dat" "$T/tailfifo/1.dat"
cp "$F/test_files__bitrot_volume.idx" "$T/tailfifo/1.idx"
chmod u+w "$T/tailfifo"/*
mkfifo "$T/tailfifo/1.dat.tail"
t_rc nf_tail_fifo 5 timeout 20 "$BB" needle-fsck -y "$T/tailfifo/1"
t_eq nf_tail_fifo_copy "$(stat -c %s "$T/tailfifo/1.dat.tail.1")" 1

# a volume name from the command line reaches the terminal escaped
esc=$(printf '\033')
mkdir -p "$T/name"
cp "$F/test_files__bitrot_volume.dat" "$T/name/x${esc}[31m_9.dat"
cp "$F/test_files__bitrot_volume.idx" "$T/name/x${esc}[31m_9.idx"
chmod u+w "$T/name"/*
out=$(fsck -y "$T/name/x${esc}[31m_9"); rc=$?
t_eq nf_name_escaped_rc $rc 5
t_match nf_name_escaped "$out" 'x\\x1b\[31m_9:'
err=$(fsck "$T/name/x${esc}[31m_nothing" 2>&1 >/dev/null)
t_match nf_name_escaped_stderr "$err" '^needle-fsck: .*x\\x1b\[31m_nothing: no \.dat'
case $out in *"$esc"*) t_fail nf_name_no_escape "an escape character was printed" ;; *) t_pass nf_name_no_escape ;; esac
t_match nf_lost_said "$out" "2 needles lost"
