# The guest side of tests/bench/65-lvq.sh (a tests/vm scenario): the large
# provisioning of tests/vm/140-lvq.sh, timed. Times come from /proc/uptime
# (10 ms steps; busybox's date has no %N), summed over several rounds.
disks="virtio:448M virtio:448M virtio:448M virtio:448M virtio:448M"
timeout=600

guest() {
	cat tests/vm/lvq-large.inc
	cat <<'EOF2'
: >/etc/fstab
up() { cut -d' ' -f1 /proc/uptime; }
rounds=${LVQ_BENCH_ROUNDS:-5}
t0=$(up); i=0
while [ $i -lt $rounds ]; do
	# exactly the call lvq makes (applets/lvq/report.c)
	LC_ALL=C lvm fullreport --reportformat json --units b --nosuffix \
		--config log/report_command_log=1 \
		--configreport pv -o pv_name,pv_uuid,vg_name,dev_size,pv_size,pe_start,pv_pe_count,pv_pe_alloc_count \
		--configreport vg -o vg_name,vg_uuid,vg_extent_size,vg_extent_count,vg_free_count,vg_size,vg_free,pv_count,lv_count \
		--configreport lv -o vg_name,lv_name,lv_uuid,lv_path,lv_size,seg_count \
		--configreport seg -o lv_name,seg_start_pe,seg_size_pe,devices \
		--configreport pvseg -o pv_name,pvseg_start,pvseg_size >/dev/null 2>&1
	i=$((i + 1))
done
t1=$(up); i=0
while [ $i -lt $rounds ]; do
	lvq plan $PV --vg tank_vg $LV >/dev/null 2>&1 || echo "FAIL lvq plan"
	i=$((i + 1))
done
t2=$(up)
echo "BENCH plan rounds=$rounds fullreport=$(awk -v a=$t0 -v b=$t1 'BEGIN{print b-a}') plan=$(awk -v a=$t1 -v b=$t2 'BEGIN{print b-a}')"
t3=$(up)
out=$(lvq provision $PV --vg tank_vg $LV -y 2>/dev/null) || echo "FAIL lvq provision"
t4=$(up)
echo "BENCH provision wall=$(awk -v a=$t3 -v b=$t4 'BEGIN{print b-a}')"
echo "BENCH steps $(echo "$out" | grep '^done' | sed 's/^done: transaction [^:]*: //')"
t5=$(up)
lvq provision $PV --vg tank_vg $LV -y >/dev/null 2>&1 || echo "FAIL lvq rerun"
t6=$(up)
echo "BENCH rerun wall=$(awk -v a=$t5 -v b=$t6 'BEGIN{print b-a}')"
EOF2
}
