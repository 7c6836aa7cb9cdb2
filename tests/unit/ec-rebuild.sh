#!/bin/sh
# ec-rebuild end to end: the fixture against the README's reference hashes,
# random volumes against klauspost/reedsolomon (build/ecref), rebuild of
# lost shards, damage found and repaired, decode back to the volume.
. "$(dirname "$0")/../lib.sh"
ECREF=${ECREF:-$(cd "$(dirname "$0")/../.." && pwd)/build/ecref}
EC="$BB ec-rebuild"
FX=$SHARED/fixtures/seaweedfs
SMALL="--large-block 10000 --small-block 100"

h16() { sha256sum "$1" | cut -c1-16; }

# flip FILE OFFSET MASK: XORs the byte at OFFSET with MASK. A corruption
# of random bytes (shards, their CRCs) must flip bits: writing a fixed
# value changes nothing when the byte already holds it, one run in 256
# (two checks of the two-checks repair below failed so, once)
flip() {
	fb=$(od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' ')
	printf "\\$(printf %o $((fb ^ $3)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# ---- the fixture, both block-size settings, against the README ---------
# (lib.sh's checks set $name and $want: these functions use other names)
fixture_hashes() {
	fx=$1 fxopts=$2 fxwant=$3
	mkdir -p "$T/$fx" && cp "$FX/erasure_coding__1.dat" "$T/$fx/1.dat" &&
		cp "$FX/erasure_coding__1.idx" "$T/$fx/1.idx" && chmod u+w "$T/$fx"/*
	t_ok "fixture_encode_$fx" $EC encode $fxopts "$T/$fx/1"
	got=""
	for i in 00 01 02 03 04 05 06 07 08 09 10 11 12 13; do
		got="$got $(h16 "$T/$fx/1.ec$i")"
	done
	t_eq "fixture_hashes_$fx" "$got" "$fxwant"
}

hex2bin() { perl -e 'print pack("H*", $ARGV[0])' "$1"; }

# Live rows after replaying an index (last row per id wins; size -1 or
# offset 0 deletes), counted with od and awk.
live_rows() {
	od -An -v -tx1 -w16 "$1" | awk '{ id = ""; for (i = 1; i <= 8; i++) id = id $i
		off = $9 $10 $11 $12; size = $13 $14 $15 $16
		live[id] = (size != "ffffffff" && off != "00000000") }
		END { n = 0; for (id in live) n += live[id]; print n }'
}

if t_have_fixtures; then
	fixture_hashes small "$SMALL" " ecc8f0c25381bc0d 52ef93ba0347e7b3 087844ad5ecc0d6b ca24349f4755768c\
 f3bb8b2032b60cb2 d0d9b0d0275b84f4 159aab42af549aca 2968a8d78373397b b766df3234513e06 45384c46490df10e\
 d2f5515bd185fd2a 7fe79457341eeacd 6a845184fc105d41 bc63a3d7b954864c"
	z=30e14955ebf13522
	fixture_hashes default "" " f903381561f727c7 901b0032551fb544 a8d8e087c6ec1573 $z $z $z $z $z $z $z\
 a166e4d73956621a f13c9dc568f01b5c e37532ebfc5827d2 b8455ba4d5755c1e"
	t_eq fixture_vif_size "$(grep -o '"datFileSize": "[0-9]*"' "$T/small/1.vif")" '"datFileSize": "2590912"'
	# .ecx: the 298 rows of the .idx (all live, ids distinct), sorted by id;
	# hex rows sort as their big-endian ids do
	rows() { od -An -v -tx1 -w16 "$1"; }
	t_eq fixture_ecx_rows "$(rows "$T/small/1.ecx" | wc -l)" 298
	t_eq fixture_ecx_sorted "$(rows "$T/small/1.ecx")" "$(rows "$FX/erasure_coding__1.idx" | LC_ALL=C sort)"

	# decode gives the volume back (its last needle ends the file), from
	# data shards partly rebuilt from parity
	for fx in small default; do
		fxopts=""; [ $fx = small ] && fxopts=$SMALL
		mkdir "$T/dec_$fx" && cp "$T/$fx"/1.ec?? "$T/$fx"/1.ecx "$T/$fx"/1.vif "$T/dec_$fx/"
		rm "$T/dec_$fx/1.ec00" "$T/dec_$fx/1.ec04" "$T/dec_$fx/1.ec09" "$T/dec_$fx/1.ec11"
		t_ok "fixture_decode_$fx" $EC decode $fxopts "$T/dec_$fx/1"
		t_ok "fixture_decode_dat_$fx" cmp "$T/dec_$fx/1.dat" "$FX/erasure_coding__1.dat"
		t_ok "fixture_decode_idx_$fx" cmp "$T/dec_$fx/1.idx" "$T/$fx/1.ecx"
	done

	# the whole fixture volume with a 4-shard loss, rebuilt
	mkdir "$T/fl" && cp "$T/small"/1.* "$T/fl/"
	rm "$T/fl/1.ec02" "$T/fl/1.ec03" "$T/fl/1.ec10" "$T/fl/1.ec13"
	t_ok fixture_rebuild $EC rebuild $SMALL "$T/fl/1"
	ok=1
	for i in 02 03 10 13; do cmp -s "$T/fl/1.ec$i" "$T/small/1.ec$i" || ok=0; done
	t_eq fixture_rebuild_bytes $ok 1

	# a lost .ecx comes back from the needles in the data shards
	mkdir "$T/ex" && cp "$T/small"/1.ec?? "$T/small/1.vif" "$T/ex/"
	t_ok ecx_rebuild $EC $SMALL "$T/ex/1"
	t_ok ecx_rebuild_same cmp "$T/ex/1.ecx" "$T/small/1.ecx"
	# ... in the width .vif declares: 298 rows of 17 bytes for a 5-byte server
	rm "$T/ex/1.ecx"
	sed -i 's/"bytesOffset": 0/"bytesOffset": 5/' "$T/ex/1.vif"
	t_ok ecx_rebuild_5 $EC $SMALL "$T/ex/1"
	t_eq ecx_rebuild_5_rows "$(stat -c %s "$T/ex/1.ecx")" $((298 * 17))

	# .ecj deletions: decode writes .ecx + (id, 0, -1) rows, .dat unchanged
	mkdir "$T/ej" && cp "$T/small"/1.ec?? "$T/small"/1.ecx "$T/small/1.vif" "$T/ej/"
	id1=$(od -An -tx1 -j 160 -N 8 "$T/ej/1.ecx" | tr -d ' \n')
	id2=$(od -An -tx1 -j 3200 -N 8 "$T/ej/1.ecx" | tr -d ' \n')
	{ hex2bin "$id1"; hex2bin "$id2"; hex2bin "$id1"; } >"$T/ej/1.ecj"
	t_ok ecj_decode $EC decode $SMALL "$T/ej/1"
	# one delete row per needle deleted, in id order (.ecx order)
	{ cat "$T/ej/1.ecx"; for id in "$id1" "$id2"; do hex2bin "${id}00000000ffffffff"; done; } >"$T/ej/want.idx"
	t_ok ecj_decode_idx cmp "$T/ej/1.idx" "$T/ej/want.idx"
	t_ok ecj_decode_dat cmp "$T/ej/1.dat" "$FX/erasure_coding__1.dat"

	# decode of a volume with deleted needles stops after the last live one
	if [ -e "$FX/test_files__healthy_volume.dat" ]; then
		mkdir "$T/hv" && cp "$FX/test_files__healthy_volume.dat" "$T/hv/5.dat" &&
			cp "$FX/test_files__healthy_volume.idx" "$T/hv/5.idx" && chmod u+w "$T/hv"/*
		t_ok hv_encode $EC encode $SMALL "$T/hv/5"
		mkdir "$T/hv/d" && mv "$T/hv"/5.ec* "$T/hv/5.vif" "$T/hv/d/"
		t_ok hv_decode $EC decode $SMALL "$T/hv/d/5"
		got=$(stat -c %s "$T/hv/d/5.dat")
		t_ok hv_decode_prefix cmp -n "$got" "$T/hv/d/5.dat" "$T/hv/5.dat"
		t_eq hv_decode_idx_rows "$(stat -c %s "$T/hv/d/5.idx")" $(($(live_rows "$T/hv/5.idx") * 16))
	fi

	# silent corruption in a data shard: decode refuses (no .dat written),
	# verify finds and repairs it, then decode succeeds
	mkdir "$T/cr" && cp "$T/small"/1.ec?? "$T/small"/1.ecx "$T/small/1.vif" "$T/cr/"
	printf '\377' | dd of="$T/cr/1.ec05" bs=1 seek=123456 conv=notrunc 2>/dev/null
	t_rc crc_decode_refuses 1 $EC decode $SMALL "$T/cr/1"
	t_eq crc_decode_nothing_written "$(ls "$T/cr" | grep -c '\.dat')" 0
	out=$($EC verify $SMALL "$T/cr/1" 2>&1)
	t_match crc_verify_locates "$out" "1\.ec05: bytes 123456\.\.123456 corrupt"
	t_ok crc_verify_repair $EC verify --repair $SMALL "$T/cr/1"
	t_ok crc_repaired_bytes cmp "$T/cr/1.ec05" "$T/small/1.ec05"
	t_ok crc_decode_after $EC decode $SMALL "$T/cr/1"
	# a missing shard is no parity disagreement, but no healthy volume either
	rm "$T/cr/1.ec13"
	t_rc verify_missing_rc 1 $EC verify $SMALL "$T/cr/1"

	# inputs that are not what they should be: refused, said why, nothing written
	bad() { rm -rf "$T/bad" && mkdir "$T/bad" && cp "$T/small"/1.ec?? "$T/small"/1.ecx "$T/small/1.vif" "$T/bad/"; }
	bad
	rm "$T/bad/1.ec03"
	sed -i 's/"datFileSize": "2590912"/"datFileSize": "2690912"/' "$T/bad/1.vif"
	out=$($EC rebuild $SMALL "$T/bad/1" 2>&1); rc=$?
	t_eq vif_lies_rc $rc 1
	t_match vif_lies_says "$out" "no shard has the size \.vif datFileSize gives"
	t_ok vif_lies_nothing_written test ! -e "$T/bad/1.ec03"
	bad
	echo '{"datFileSize": ' >"$T/bad/1.vif"
	t_match vif_unparsable "$($EC info $SMALL "$T/bad/1" 2>&1)" "1\.vif: "
	bad
	perl -e 'print "\xff" x 8, "\0\x10\0\0", "\0\0\0\x20"' >>"$T/bad/1.ecx" # a row far past the data
	out=$($EC decode $SMALL "$T/bad/1" 2>&1); rc=$?
	t_eq ecx_past_data_rc $rc 1
	t_match ecx_past_data_says "$out" "\.ecx lists needles up to [0-9]*, past the [0-9]* bytes the shards hold"
	t_eq ecx_past_data_nothing "$(ls "$T/bad" | grep -c -e '\.dat' -e '\.idx')" 0
	bad
	printf 'abc' >"$T/bad/1.ecj"
	t_match ecj_torn "$($EC decode $SMALL "$T/bad/1" 2>&1)" "1\.ecj: 3 bytes ends in a torn entry"
	t_eq ecj_torn_nothing "$(ls "$T/bad" | grep -c -e '\.dat' -e '\.idx')" 0
	# a journal of zero ids is damage, refused without reading it whole
	bad
	head -c 8000000 /dev/zero >"$T/bad/1.ecj"
	t_match ecj_zero_ids "$($EC decode $SMALL "$T/bad/1" 2>&1)" "1\.ecj: entry 0 is needle id 0.*damaged"
	t_eq ecj_zero_nothing "$(ls "$T/bad" | grep -c -e '\.dat' -e '\.idx')" 0
	# a huge journal of ids .ecx does not list: streamed, in bounded memory
	bad
	head -c 48000000 /dev/urandom >"$T/bad/1.ecj" # 6 million random ids
	t_ok ecj_huge_bounded sh -c "ulimit -v 40000; $EC decode --memory 2M $SMALL '$T/bad/1'"
	t_ok ecj_huge_dat cmp "$T/bad/1.dat" "$FX/erasure_coding__1.dat"
	# an empty, zeroed or cut .ecx: the needles it does not list are found
	# in the shards and the decode refused; --force decodes loudly
	for kind in empty zeroed cut; do
		bad
		case $kind in
		empty) : >"$T/bad/1.ecx" ;;
		zeroed) head -c 4768 /dev/zero >"$T/bad/1.ecx" ;;
		cut) head -c 1600 "$T/small/1.ecx" >"$T/bad/1.ecx.c" && mv "$T/bad/1.ecx.c" "$T/bad/1.ecx" ;;
		esac
		out=$($EC decode $SMALL "$T/bad/1" 2>&1); rc=$?
		t_eq "ecx_${kind}_refused" $rc 1
		t_match "ecx_${kind}_says" "$out" "of the 298 needles found in the shards are not in \.ecx"
		t_eq "ecx_${kind}_nothing" "$(ls "$T/bad" | grep -c -e '\.dat' -e '\.idx')" 0
	done
	out=$($EC decode --force $SMALL "$T/bad/1" 2>&1); rc=$?
	t_eq ecx_cut_force_rc $rc 0
	t_match ecx_cut_force_loud "$out" "WARNING: 198 of the 298 needles.*NOT in the \.dat"
	# decode screens with the sidecar as rebuild does: a rotten data shard
	# is rebuilt from parity on the way, never decoded
	bad
	cp "$T/small/1.ecsum" "$T/bad/"
	printf '\377' | dd of="$T/bad/1.ec05" bs=1 seek=1234 conv=notrunc 2>/dev/null
	out=$($EC decode $SMALL "$T/bad/1" 2>&1); rc=$?
	t_eq decode_screens_rc $rc 0
	t_match decode_screens_says "$out" "1\.ec05: 1 of 1 blocks fail their \.ecsum CRC"
	t_ok decode_screens_dat cmp "$T/bad/1.dat" "$FX/erasure_coding__1.dat"
	bad
	rm "$T/bad/1.ecx" "$T/bad/1.vif"
	mkfifo "$T/bad/1.ecx" "$T/bad/1.vif" # would block a plain open
	t_match fifo_vif "$(timeout 20 $EC decode $SMALL "$T/bad/1" 2>&1)" "1\.vif: not a regular file"
	rm "$T/bad/1.vif"
	t_match fifo_ecx "$(timeout 20 $EC decode $SMALL "$T/bad/1" 2>&1)" "1\.ecx: not a regular file"
else
	t_skip fixture_tests "no ../shared/fixtures/seaweedfs"
fi

# ---- random volumes against klauspost -----------------------------------
if [ ! -x "$ECREF" ]; then
	t_skip ecref_tests "build/ecref (klauspost reference) is not built"
	exit $t_failed
fi

# A volume of random needle-free bytes behind a v3 superblock.
random_dat() { { printf '\003\000\000\000\000\000\000\000'; head -c $(($2 - 8)) /dev/urandom; } >"$1"; }

# same_as_ref NAME K M LARGE SMALL SIZE [ec-rebuild options...]
same_as_ref() {
	r=$1 k=$2 m=$3 large=$4 small=$5 size=$6; shift 6
	d="$T/r_$r"
	mkdir -p "$d/ref"
	random_dat "$d/7.dat" "$size"
	: >"$d/7.idx"
	"$ECREF" encode "$k" "$m" "$large" "$small" "$d/7.dat" "$d/ref/7" || { t_fail "ref_$r" "ecref failed"; return; }
	t_ok "encode_$r" $EC encode --data-shards "$k" --parity-shards "$m" \
		--large-block "$large" --small-block "$small" "$@" "$d/7"
	bad=""
	i=0
	while [ $i -lt $((k + m)) ]; do
		n=$(printf %02d $i)
		cmp -s "$d/7.ec$n" "$d/ref/7.ec$n" || bad="$bad ec$n"
		i=$((i + 1))
	done
	t_eq "same_as_klauspost_$r" "${bad:-none}" none
}

same_as_ref 10_4_small 10 4 10000 100 777777
same_as_ref 10_4_default 10 4 1073741824 1048576 3500001
same_as_ref 10_4_multi_large 10 4 65536 4096 2000000 -j 2 --memory 1M
same_as_ref 10_4_scalar 10 4 65536 4096 1500000 --kernel scalar
same_as_ref 6_3 6 3 10000 100 333333
same_as_ref 4_2 4 2 8192 512 100000 -j 3
same_as_ref 12_4 12 4 10000 100 600000
same_as_ref 17_3 17 3 4096 1024 999999
same_as_ref 1_1 1 1 10000 100 55555
same_as_ref 28_4 28 4 4096 256 400000

# encode takes the ratio from .vif ecShardConfig, as every command does
mkdir "$T/vr"
cp "$T/r_6_3/7.dat" "$T/vr/7.dat"
: >"$T/vr/7.idx"
echo '{"ecShardConfig": {"dataShards": 6, "parityShards": 3}}' >"$T/vr/7.vif"
t_ok encode_vif_ratio $EC encode $SMALL "$T/vr/7"
bad=""
for i in 00 01 02 03 04 05 06 07 08; do cmp -s "$T/vr/7.ec$i" "$T/r_6_3/ref/7.ec$i" || bad="$bad ec$i"; done
[ -e "$T/vr/7.ec09" ] && bad="$bad ec09"
t_eq encode_vif_ratio_shards "${bad:-none}" none

# info --sha256: each shard's digest as coreutils' sha256sum computes it; a
# missing shard has none
want=$(for i in 00 01 02 03 04 05 06 07 08; do sha256sum "$T/vr/7.ec$i" | cut -d' ' -f1; done)
got=$($EC info --sha256 $SMALL "$T/vr/7" | awk '/^  ec[0-9][0-9] / { print $4 }')
t_eq info_sha256_matches_sha256sum "$got" "$want"
mv "$T/vr/7.ec04" "$T/vr/ec04.away"
out=$($EC info --sha256 --json $SMALL "$T/vr/7")
t_eq info_sha256_missing_is_null "$(echo "$out" | grep -c '"sha256": null')" 1
t_eq info_sha256_json_digests "$(echo "$out" | grep -o '"sha256": "[0-9a-f]*"' | cut -d'"' -f4)" \
	"$(echo "$want" | sed 5d)"
mv "$T/vr/ec04.away" "$T/vr/7.ec04"

# rebuild after losses, by the binary: every single loss and a spread of
# doubles to quads (the in-memory test covers all 1470 patterns)
d="$T/r_10_4_multi_large"
EC="$EC --large-block 65536 --small-block 4096"
lost_ok=0 lost_bad=""
for pat in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 "0 1" "3 12" "10 11" "0 5 9" "11 12 13" "1 2 3 4" \
	"10 11 12 13" "0 6 10 13" "2 4 6 8" "5 9 12 13"; do
	rm -rf "$d/l" && mkdir "$d/l"
	cp "$d"/7.ec?? "$d/7.vif" "$d/7.ecx" "$d/l/"
	for i in $pat; do rm "$d/l/7.ec$(printf %02d $i)"; done
	if $EC --memory 2M -j 2 "$d/l/7" >/dev/null 2>&1; then
		for i in $pat; do
			n=$(printf %02d $i)
			cmp -s "$d/l/7.ec$n" "$d/ref/7.ec$n" || lost_bad="$lost_bad [$pat]"
		done
		lost_ok=$((lost_ok + 1))
	else
		lost_bad="$lost_bad [$pat: failed]"
	fi
done
t_eq rebuild_loss_patterns "${lost_bad:-none} $lost_ok" "none 24"

# five losses of 10+4: refused, naming what exists and what is missing
rm -rf "$d/l" && mkdir "$d/l" && cp "$d"/7.ec?? "$d/7.vif" "$d/7.ecx" "$d/l/"
rm "$d/l/7.ec00" "$d/l/7.ec01" "$d/l/7.ec02" "$d/l/7.ec03" "$d/l/7.ec13"
out=$($EC "$d/l/7" 2>&1); rc=$?
t_eq too_few_rc $rc 1
t_match too_few_says "$out" "9 usable shards, need 10.*usable: ec04 ec05 ec06 ec07 ec08 ec09 ec10 ec11 ec12; missing: ec00 ec01 ec02 ec03 ec13"

# a missing shard's name taken by a link to nothing: said before any work
rm -rf "$d/l" && mkdir "$d/l" && cp "$d"/7.ec?? "$d/7.vif" "$d/7.ecx" "$d/l/"
rm "$d/l/7.ec03" && ln -s /nonexistent "$d/l/7.ec03"
out=$($EC "$d/l/7" 2>&1); rc=$?
t_eq dangling_shard_rc $rc 1
t_match dangling_shard_says "$out" "7\.ec03: there, but not a shard file"

# a truncated shard is not used, kept aside and regenerated
rm -rf "$d/l" && mkdir "$d/l" && cp "$d"/7.ec?? "$d/7.vif" "$d/7.ecx" "$d/l/"
truncate -s 100000 "$d/l/7.ec04"
rm "$d/l/7.ec06"
t_ok truncated_rebuild $EC "$d/l/7"
t_ok truncated_regenerated cmp "$d/l/7.ec04" "$d/ref/7.ec04"
t_eq truncated_kept "$(stat -c %s "$d/l/7.ec04.damaged")" 100000
t_ok truncated_other cmp "$d/l/7.ec06" "$d/ref/7.ec06"

# verify: a clean volume passes; a flipped bit is found and located, in a
# data shard and in a parity shard; --repair restores the bytes
t_ok verify_clean $EC verify -j 2 "$d/l/7"
flip "$d/l/7.ec02" 150001 1
t_eq verify_bit_flipped "$(cmp "$d/l/7.ec02" "$d/ref/7.ec02" | wc -l)" 1
head -c 5000 /dev/urandom | dd of="$d/l/7.ec12" bs=1 seek=1000 conv=notrunc 2>/dev/null
out=$($EC verify "$d/l/7" 2>&1); rc=$?
t_eq verify_bad_rc $rc 1
t_match verify_locates_data "$out" "7\.ec02: bytes 150001\.\.150001 corrupt"
t_match verify_locates_parity "$out" "7\.ec12: bytes 1[0-9]*\.\.5[0-9]* corrupt"
out=$($EC verify --json "$d/l/7" 2>&1)
t_match verify_json "$out" '"shard": 2'
t_ok verify_repair $EC verify --repair --memory 1M -j 2 "$d/l/7"
t_ok verify_repaired_data cmp "$d/l/7.ec02" "$d/ref/7.ec02"
t_ok verify_repaired_parity cmp "$d/l/7.ec12" "$d/ref/7.ec12"

# three shards damaged at the same place are beyond locating: reported,
# never "repaired"
for i in 01 07 11; do head -c 300 /dev/urandom | dd of="$d/l/7.ec$i" bs=1 seek=4242 conv=notrunc 2>/dev/null; done
cp "$d/l/7.ec01" "$d/l/before01"
out=$($EC verify --repair --ignore-ecsum "$d/l/7" 2>&1); rc=$?
t_eq verify_three_rc $rc 1
t_match verify_three_undetermined "$out" "undetermined"
t_ok verify_three_untouched cmp "$d/l/7.ec01" "$d/l/before01"
# ... but the .ecsum names them: --repair regenerates the three, keeping
# their bytes
t_ok verify_three_sidecar $EC verify --repair "$d/l/7"
for i in 01 07 11; do t_ok "verify_three_sidecar_ec$i" cmp "$d/l/7.ec$i" "$d/ref/7.ec$i"; done
t_ok verify_three_sidecar_kept cmp "$d/l/7.ec01.damaged" "$d/l/before01"
rm "$d/l"/*.damaged
# two shards lost leave two checks: one wrong shard is located, but two
# wrong at one offset would look the same, so --repair leaves it; with
# three checks the correction is confirmed, written to a copy, the old
# shard kept
cp "$d/l/7.ec05" "$d/l/ec05.good" && mv "$d/l/7.ec03" "$d/l/ec03.away" && mv "$d/l/7.ec12" "$d/l/ec12.away"
flip "$d/l/7.ec05" 777 0x5a
cp "$d/l/7.ec05" "$d/l/ec05.bad"
out=$($EC verify --repair --ignore-ecsum "$d/l/7" 2>&1); rc=$?
t_eq verify_two_checks_rc $rc 1
t_match verify_two_checks_likely "$out" "7\.ec05: bytes 777\.\.777 corrupt .most likely: too few checks"
t_ok verify_two_checks_untouched cmp "$d/l/7.ec05" "$d/l/ec05.bad"
mv "$d/l/ec12.away" "$d/l/7.ec12"
t_rc verify_three_checks_rc 1 $EC verify --repair --ignore-ecsum "$d/l/7"
t_ok verify_three_checks_repaired cmp "$d/l/7.ec05" "$d/l/ec05.good"
t_ok verify_three_checks_kept cmp "$d/l/7.ec05.damaged" "$d/l/ec05.bad"
mv "$d/l/ec03.away" "$d/l/7.ec03" && rm "$d/l"/*.damaged "$d/l"/ec05.*

# never overwrite: encode refuses when shards exist
t_rc encode_refuses_existing 1 $EC encode "$d/7"
EC="$BB ec-rebuild"

# a directory: the bad volume is reported, the good one rebuilt anyway
mkdir "$T/dir"
for v in 3 pics_9; do
	cp "$T/r_10_4_small/7.dat" "$T/dir/$v.dat"; : >"$T/dir/$v.idx"
	$EC encode $SMALL "$T/dir/$v" >/dev/null
done
rm "$T/dir"/3.ec0[0-4] "$T/dir/pics_9.ec07"
out=$($EC rebuild $SMALL "$T/dir" 2>&1); rc=$?
t_eq dir_rc $rc 1
t_match dir_bad_reported "$out" "dir/3: cannot rebuild"
t_ok dir_good_rebuilt cmp "$T/dir/pics_9.ec07" "$T/r_10_4_small/ref/7.ec07"
out=$($EC info --json $SMALL "$T/dir" 2>&1)
t_match info_json "$out" '"rebuildable": false'
mkdir "$T/no_volumes"
t_rc dir_without_volumes 1 $EC info "$T/no_volumes"
# a FIFO where .dat or .idx should be would block a plain open
mkdir "$T/fifo"
mkfifo "$T/fifo/1.dat" "$T/fifo/2.idx"
cp "$T/r_10_4_small/7.dat" "$T/fifo/2.dat"
t_rc fifo_dat 1 timeout 20 $EC encode "$T/fifo/1"
t_rc fifo_idx 1 timeout 20 $EC encode "$T/fifo/2"

# shards of two encodes (same size, other data), without a .ecsum to tell
# them apart: a spare shard disagrees with what the others make of it;
# nothing is written
mkdir "$T/mix" "$T/mix/orig"
random_dat "$T/mix/7.dat" 777777
: >"$T/mix/7.idx"
$EC encode $SMALL "$T/mix/7" >/dev/null
cp "$T/mix"/7.* "$T/mix/orig/"
cp "$T/r_10_4_small/ref/7.ec05" "$T/mix/7.ec05"
rm "$T/mix/7.ec02"
mv "$T/mix/7.ecsum" "$T/mix/away.ecsum"
out=$($EC rebuild $SMALL "$T/mix/7" 2>&1); rc=$?
t_eq mixed_runs_rc $rc 1
t_match mixed_runs_says "$out" "7\.ec11 disagrees with what the other shards give"
t_ok mixed_runs_nothing_written test ! -e "$T/mix/7.ec02"

# ---- the .ecsum bitrot sidecar --------------------------------------------
# with it, the foreign shard is told apart before it is used: replaced,
# its bytes kept
mv "$T/mix/away.ecsum" "$T/mix/7.ecsum"
t_eq ecsum_written_by_encode "$(head -c 6 "$T/mix/7.ecsum" | od -An -tx1 | tr -d ' ')" 454353550001
t_eq ecsum_info "$($EC info --json $SMALL "$T/mix/7" | grep -A4 '"ecsum": {' | tr -d ' \n')" \
	'"ecsum":{"state":"ok","why":null,"block_size":16777216,"generation":0,'
out=$($EC rebuild $SMALL "$T/mix/7" 2>&1); rc=$?
t_eq ecsum_foreign_rc $rc 0
t_match ecsum_foreign_found "$out" "7\.ec05: .*fails? (its|their) \.ecsum CRC.*rotten"
t_ok ecsum_foreign_replaced cmp "$T/mix/7.ec05" "$T/mix/orig/7.ec05"
t_ok ecsum_foreign_kept cmp "$T/mix/7.ec05.damaged" "$T/r_10_4_small/ref/7.ec05"
t_ok ecsum_missing_rebuilt cmp "$T/mix/7.ec02" "$T/mix/orig/7.ec02"
rm "$T/mix/7.ec05.damaged"

# a flipped bit in a parity shard, where no spare would look: verify names
# the shard by its sidecar as well as by parity; rebuild replaces it
flip "$T/mix/7.ec13" 777 4
out=$($EC verify $SMALL "$T/mix/7" 2>&1); rc=$?
t_eq ecsum_verify_rc $rc 1
t_match ecsum_verify_names "$out" "1 of 14 shards fail their \.ecsum CRCs .damaged now: ec13."
t_ok ecsum_rot_rebuild $EC rebuild $SMALL "$T/mix/7"
t_ok ecsum_rot_replaced cmp "$T/mix/7.ec13" "$T/mix/orig/7.ec13"
t_ok ecsum_verify_clean $EC verify $SMALL "$T/mix/7"

# a sidecar of another encode fails every shard: stale, so nothing is
# trusted and nothing written; --ignore-ecsum goes on without it
rm "$T/mix/7.ec03" "$T/mix"/7.ec??.damaged
cp "$T/r_10_4_small/7.ecsum" "$T/mix/7.ecsum"
out=$($EC rebuild $SMALL "$T/mix/7" 2>&1); rc=$?
t_eq ecsum_stale_rc $rc 1
t_match ecsum_stale_says "$out" "13 shards fail the \.ecsum, more than 4 parity shards.*stale"
t_ok ecsum_stale_nothing_written test ! -e "$T/mix/7.ec03"
t_eq ecsum_stale_nothing_moved "$(ls "$T/mix" | grep -c damaged)" 0
t_ok ecsum_ignored $EC rebuild --ignore-ecsum $SMALL "$T/mix/7"
t_ok ecsum_ignored_bytes cmp "$T/mix/7.ec03" "$T/mix/orig/7.ec03"

# a damaged sidecar: rebuild refuses; verify --repair writes a new one once
# every shard agrees with parity, with the CRCs encode wrote (only the
# random encode UUID at the end differs)
flip "$T/mix/7.ecsum" 40 0x5a
rm "$T/mix/7.ec03"
out=$($EC rebuild $SMALL "$T/mix/7" 2>&1); rc=$?
t_eq ecsum_damaged_rc $rc 1
t_match ecsum_damaged_says "$out" "7\.ecsum: payload fails its CRC-32C"
t_ok ecsum_damaged_nothing_written test ! -e "$T/mix/7.ec03"
t_ok ecsum_damaged_ignored $EC rebuild --ignore-ecsum $SMALL "$T/mix/7"
t_rc ecsum_damaged_verify 1 $EC verify $SMALL "$T/mix/7"
t_match ecsum_backfill "$($EC verify --repair $SMALL "$T/mix/7")" "7\.ecsum: written in place of the unusable one"
len=$(stat -c %s "$T/mix/orig/7.ecsum")
t_eq ecsum_backfill_len "$(stat -c %s "$T/mix/7.ecsum")" "$len"
t_ok ecsum_backfill_same_crcs cmp -n $((len - 16 - 14)) -i 14 "$T/mix/7.ecsum" "$T/mix/orig/7.ecsum"
t_ok ecsum_backfill_verifies $EC verify $SMALL "$T/mix/7"
# encode --ignore-ecsum writes none
mkdir "$T/nosum" && cp "$T/mix/7.dat" "$T/mix/7.idx" "$T/nosum/"
t_ok ecsum_encode_without $EC encode --ignore-ecsum $SMALL "$T/nosum/7"
t_ok ecsum_encode_without_none test ! -e "$T/nosum/7.ecsum"

# a 12+4 volume without its .vif is taken for 10+4: refused, not rebuilt
# wrong; with the ratio given, rebuilt
mkdir "$T/ratio"
cp "$T/r_12_4"/7.ec?? "$T/r_12_4/7.ecx" "$T/ratio/"
rm "$T/ratio/7.ec02"
t_rc wrong_ratio_refused 1 $EC rebuild $SMALL "$T/ratio/7"
t_ok wrong_ratio_nothing_written test ! -e "$T/ratio/7.ec02"
t_ok ratio_given $EC rebuild --data-shards 12 --parity-shards 4 $SMALL "$T/ratio/7"
t_ok ratio_given_bytes cmp "$T/ratio/7.ec02" "$T/r_12_4/ref/7.ec02"

# ---- one writer at a time; what a killed run left --------------------------
d="$T/r_10_4_multi_large"
ECL="$EC --large-block 65536 --small-block 4096"
fresh() { rm -rf "$d/l" && mkdir "$d/l" && cp "$d"/7.ec?? "$d/7.vif" "$d/7.ecx" "$d/7.ecsum" "$d/l/"; }
fresh
rm "$d/l/7.ec03"
# a volume locked by another run is not touched
out=$(flock "$d/l/7.lock" $ECL rebuild "$d/l/7" 2>&1); rc=$?
t_eq lock_held_rc $rc 1
t_match lock_held_says "$out" "another ec-rebuild is working on this volume"
t_ok lock_held_nothing_written test ! -e "$d/l/7.ec03"
# info reads a locked volume; it exits 1 as this one is not complete (ec03
# lost), 0 for a complete one, as its help says
out=$(flock "$d/l/7.lock" $ECL info "$d/l/7" 2>&1); rc=$?
t_eq lock_held_info_rc $rc 1
t_match lock_held_info "$out" "rebuildable: 13 healthy shards, 10 needed; to rebuild: ec03"
t_rc info_complete_exit_0 0 $ECL info "$d/7"
t_match info_help_exit "$($ECL info --help 2>&1)" "complete \(exit 0\)"
# concurrent rebuilds: one does the work, the others refuse; never a good
# shard labelled damaged, always the right bytes
bad=""
for i in 1 2 3 4 5 6 7 8; do
	fresh
	rm "$d/l/7.ec0$((i % 10))" "$d/l/7.ec1$((i % 4))"
	for j in 1 2 3; do $ECL rebuild -j 2 "$d/l/7" >/dev/null 2>&1 & done
	wait
	ls "$d/l" | grep -q -e damaged -e tmp- && bad="$bad [$i: $(ls "$d/l" | grep -e damaged -e tmp- | tr '\n' ' ')]"
	for n in 0$((i % 10)) 1$((i % 4)); do cmp -s "$d/l/7.ec$n" "$d/ref/7.ec$n" || bad="$bad [$i: ec$n]"; done
done
t_eq concurrent_rebuilds "${bad:-none}" none
# a killed run's temporaries: found and removed by the next run and by info
# (those of a live process are left alone)
fresh
head -c 200704 /dev/zero >"$d/l/7.ec03.tmp-999999999-0"
: >"$d/l/7.ecx.tmp-$$-0"
out=$($ECL info "$d/l/7" 2>&1)
t_match leftover_info_says "$out" "7\.ec03\.tmp-999999999-0: removed"
t_ok leftover_info_removed test ! -e "$d/l/7.ec03.tmp-999999999-0"
t_ok leftover_live_kept test -e "$d/l/7.ecx.tmp-$$-0"
rm "$d/l/7.ecx.tmp-$$-0"
head -c 200704 /dev/zero >"$d/l/7.ec05.tmp-999999999-1"
t_match leftover_json "$($ECL info --json "$d/l/7" | tr -d " \n")" '"leftovers_removed":\["[^"]*7\.ec05\.tmp-999999999-1"'
# real kills in the middle of the writing: the next rebuild leaves no
# temporary and the right bytes. Kill i comes once the new ec01 holds i/7
# of its bytes (a state, not a delay: a sleep lands anywhere on a loaded
# machine), or once the run is over, if it got there first
random_dat "$T/big.dat" 30000000
mkdir "$T/kill" && mv "$T/big.dat" "$T/kill/9.dat" && : >"$T/kill/9.idx"
$EC encode "$T/kill/9" >/dev/null
mkdir "$T/kill/ref" && cp "$T/kill"/9.ec?? "$T/kill/ref/"
shard=$(stat -c %s "$T/kill/9.ec01")
bad="" left=0 mid=0
for i in 1 2 3 4 5 6; do
	rm -f "$T/kill"/9.ec0[12] "$T/kill"/9.ec1[23]
	$EC rebuild --memory 1M "$T/kill/9" >/dev/null 2>&1 &
	pid=$!
	# (no state: it has exited and the shell reaped it; Z: exited, not yet
	# reaped; the bound only keeps a bug from hanging here)
	polls=0
	while [ $polls -lt 5000 ] && st=$(cut -d' ' -f3 /proc/$pid/stat 2>/dev/null) &&
		[ -n "$st" ] && [ "$st" != Z ]; do
		got=$(stat -c %s "$T/kill"/9.ec01.tmp-$pid-* 2>/dev/null | head -n 1)
		[ "${got:-0}" -ge $((shard * i / 7)) ] && break
		polls=$((polls + 1))
	done
	kill -9 $pid 2>/dev/null && [ "${got:-0}" -ge $((shard * i / 7)) ] && mid=$((mid + 1))
	wait $pid 2>/dev/null
	ls "$T/kill" | grep -q tmp- && left=$((left + 1))
	$EC rebuild "$T/kill/9" >/dev/null 2>&1 || bad="$bad [$i: failed]"
	ls "$T/kill" | grep -q tmp- && bad="$bad [$i: $(ls "$T/kill" | grep tmp- | tr '\n' ' ')]"
	for n in 01 02 12 13; do cmp -s "$T/kill/9.ec$n" "$T/kill/ref/9.ec$n" || bad="$bad [$i: ec$n]"; done
	rm -f "$T/kill"/*.damaged*
done
t_eq killed_rebuilds "${bad:-none}" none
echo "# killed rebuilds: 6, $mid in the middle of writing, $left left temporaries behind"

# ---- rebuilt from exactly k with nothing to check them ---------------------
fresh
rm "$d/l/7.ecsum" "$d/l/7.ec00" "$d/l/7.ec04" "$d/l/7.ec10" "$d/l/7.ec13"
out=$($ECL rebuild "$d/l/7" 2>&1)
t_match unverified_said "$out" "rebuilt from exactly 10 shards with no \\.ecsum: nothing could cross-check"
t_eq unverified_noted "$(cat "$d/l/7.unverified")" "ec00 ec04 ec10 ec13"
t_match unverified_info "$($ECL info "$d/l/7")" "unverified: ec00 ec04 ec10 ec13"
out=$($ECL verify --repair "$d/l/7" 2>&1); rc=$?
t_eq unverified_no_sidecar_rc $rc 1
t_match unverified_no_sidecar_says "$out" "parity agreeing says nothing about them.*--trust-parity"
t_ok unverified_no_sidecar_none test ! -e "$d/l/7.ecsum"
t_ok unverified_trust $ECL verify --repair --trust-parity "$d/l/7"
t_ok unverified_trust_sidecar test -e "$d/l/7.ecsum"
t_ok unverified_trust_cleared test ! -e "$d/l/7.unverified"
fresh
rm "$d/l/7.ecsum" "$d/l/7.ec00" "$d/l/7.ec04" "$d/l/7.ec10"
t_match verified_spare_json "$($ECL rebuild --json "$d/l/7" | tr -d ' \n')" '"unverified":false'
t_ok verified_spare_no_note test ! -e "$d/l/7.unverified"

exit $t_failed
