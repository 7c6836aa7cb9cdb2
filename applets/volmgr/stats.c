/* stats.c - volmgr's statistics: filesystem usage, btrfs device error
 * counters and space, scrub status (the kernel keeps no history, so the
 * end of every scrub is kept under vm_cfg.state_dir), and io_stats: a
 * thread samples /proc/diskstats every vmo_sample_ms into a ring per
 * device, and each window's rates come from two of those samples.
 */
#include "btrfs.h"
#include "clock.h"
#include "diskstats.h"
#include "io.h"
#include "mount.h"
#include "storage.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* ---- scrub records --------------------------------------------------------- */

static int record_path(const char *fsid, char *buf, size_t len, struct bb_error *e)
{
	/* the fsid is our own UUID text: 36 of [0-9a-f-], nothing to escape */
	if (strlen(fsid) != 36 || strspn(fsid, "0123456789abcdef-") != 36)
		return bb_error_set(e, EINVAL, "scrub record: bad fsid '%s'", fsid);
	snprintf(buf, len, "%s/scrub-%s.json", vm_cfg.state_dir, fsid);
	return 0;
}

int vmo_scrub_record_save(const struct vmo_scrub_record *r, struct bb_error *e)
{
	char path[1024];
	if (record_path(r->fsid, path, sizeof(path), e) || mount_mkdir_p(vm_cfg.state_dir, 0755, e))
		return -1;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return bb_error_errno(e, "scrub record");
	struct jw w;
	jw_init(&w, f, false);
	vmo_scrub_record_write(&w, r);
	jw_end(&w);
	fclose(f);
	int rc = write_file_atomic(path, text, len, 0644);
	free(text);
	if (rc)
		return bb_error_errno(e, "write %s", path);
	return 0;
}

int vmo_scrub_record_load(const char *fsid, struct vmo_scrub_record *r, struct bb_error *e)
{
	char path[1024];
	if (record_path(fsid, path, sizeof(path), e))
		return -1;
	size_t len;
	char *text = read_file(path, 1 << 16, &len);
	if (!text) {
		if (errno == ENOENT)
			return 0;
		return bb_error_errno(e, "read %s", path);
	}
	int rc = vmo_scrub_record_parse(text, len, r, e);
	free(text);
	if (rc)
		return bb_error_prefix(e, "%s", path);
	return 1;
}

/* ---- storage.scrub_status -------------------------------------------------------- */

static int open_fs(struct vm_call *c, const char **mp)
{
	*mp = vm_str(c, "mount_point");
	return vmo_btrfs_open(c, *mp);
}

static int fsid_of(struct vm_call *c, int fd, char id[37])
{
	struct btrfs_fs_info fi;
	struct bb_error e = { 0 };
	if (btrfs_fs_info(fd, &fi, &e))
		return vm_fail_bb(c, &e, NULL);
	vmo_fsid_str(fi.fsid, id);
	return 0;
}

static int scrub_status(struct vm_call *c)
{
	const char *mp;
	int fd = open_fs(c, &mp);
	if (fd < 0)
		return -1;
	char id[37];
	struct btrfs_dev_info *dv = NULL;
	size_t n = 0;
	struct bb_error e = { 0 };
	if (fsid_of(c, fd, id) || (btrfs_devices(fd, &dv, &n, &e) && vm_fail_bb(c, &e, NULL))) {
		close(fd);
		return -1;
	}
	/* running now: the kernel's counters */
	struct vmo_scrub_record now = { 0 };
	bool running = false;
	for (size_t i = 0; i < n; i++) {
		struct btrfs_scrub_stats st;
		if (btrfs_scrub_progress(fd, dv[i].devid, &st, NULL))
			continue;
		running = true;
		vmo_scrub_sum(&st, 1, &now);
	}
	free(dv);
	close(fd);
	struct vmo_scrub_record last;
	int have = vmo_scrub_record_load(id, &last, &e);
	struct jw *w = c->out;
	jw_obj(w);
	jw_kstr(w, "mount_point", mp);
	jw_kstr(w, "fsid", id);
	jw_kstr(w, "state", running ? "running" : have == 1 ? last.state : "never");
	if (running) {
		jw_key(w, "current");
		snprintf(now.state, sizeof(now.state), "running");
		snprintf(now.fsid, sizeof(now.fsid), "%s", id);
		snprintf(now.mount_point, sizeof(now.mount_point), "%s", mp);
		vmo_scrub_record_write(w, &now);
	}
	jw_key(w, "last");
	if (have == 1)
		vmo_scrub_record_write(w, &last);
	else
		jw_null(w);
	if (have < 0)
		jw_kstr(w, "record_error", e.msg);
	jw_obj_end(w);
	return 0;
}

/* ---- storage.usage ------------------------------------------------------------------ */

static int usage(struct vm_call *c)
{
	struct mount_table t;
	struct bb_error e = { 0 };
	if (vmo_mounts(&t, &e))
		return vm_fail_bb(c, &e, NULL);
	struct jw *w = c->out;
	jw_arr(w);
	for (size_t i = 0; i < t.n; i++) {
		const struct mount_entry *m = &t.m[i];
		struct statvfs sv;
		if (strncmp(m->source, "/dev/", 5) || statvfs(m->target, &sv) || !sv.f_blocks)
			continue;
		uint64_t bs = sv.f_frsize ? sv.f_frsize : sv.f_bsize;
		uint64_t total = sv.f_blocks * bs, avail = sv.f_bavail * bs;
		uint64_t used = (sv.f_blocks - sv.f_bfree) * bs;
		jw_obj(w);
		jw_kstr(w, "mount_point", m->target);
		jw_kstr(w, "device", m->source);
		jw_kstr(w, "fstype", m->fstype);
		jw_ku64(w, "total_bytes", total);
		jw_ku64(w, "used_bytes", used);
		jw_ku64(w, "available_bytes", avail);
		/* as df: used of what users may fill (used + available) */
		jw_key(w, "percent");
		jw_double(w, used + avail ? 100.0 * (double)used / (double)(used + avail) : 0);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	mount_table_free(&t);
	return 0;
}

/* ---- btrfs: device_stats, fs_df, fs_usage ------------------------------------------------ */

static int device_stats(struct vm_call *c)
{
	const char *mp;
	int fd = open_fs(c, &mp);
	if (fd < 0)
		return -1;
	struct btrfs_dev_info *dv;
	size_t n;
	struct bb_error e = { 0 };
	if (btrfs_devices(fd, &dv, &n, &e)) {
		close(fd);
		return vm_fail_bb(c, &e, NULL);
	}
	struct jw *w = c->out;
	jw_arr(w);
	for (size_t i = 0; i < n; i++) {
		struct btrfs_dev_stats st;
		bool ok = !btrfs_dev_stats(fd, dv[i].devid, false, &st, NULL);
		jw_obj(w);
		jw_ku64(w, "devid", dv[i].devid);
		jw_kstr(w, "device", dv[i].path[0] ? dv[i].path : NULL);
		jw_kbool(w, "missing", !dv[i].path[0]);
		if (ok) {
			jw_ku64(w, "write_errs", st.write_errs);
			jw_ku64(w, "read_errs", st.read_errs);
			jw_ku64(w, "flush_errs", st.flush_errs);
			jw_ku64(w, "corruption_errs", st.corruption_errs);
			jw_ku64(w, "generation_errs", st.generation_errs);
		}
		jw_obj_end(w);
	}
	jw_arr_end(w);
	free(dv);
	close(fd);
	return 0;
}

static void space_write(struct jw *w, const struct btrfs_space *s)
{
	jw_obj(w);
	jw_kstr(w, "type", s->type);
	jw_kstr(w, "profile", s->profile);
	jw_ku64(w, "total_bytes", s->total);
	jw_ku64(w, "used_bytes", s->used);
	jw_obj_end(w);
}

static int fs_df(struct vm_call *c)
{
	const char *mp;
	int fd = open_fs(c, &mp);
	if (fd < 0)
		return -1;
	struct btrfs_space *sp;
	size_t n;
	struct bb_error e = { 0 };
	int rc = btrfs_space_info(fd, &sp, &n, &e);
	close(fd);
	if (rc)
		return vm_fail_bb(c, &e, NULL);
	jw_arr(c->out);
	for (size_t i = 0; i < n; i++)
		space_write(c->out, &sp[i]);
	jw_arr_end(c->out);
	free(sp);
	return 0;
}

static int fs_usage(struct vm_call *c)
{
	const char *mp;
	int fd = open_fs(c, &mp);
	if (fd < 0)
		return -1;
	struct btrfs_space *sp = NULL;
	struct btrfs_dev_info *dv = NULL;
	size_t ns = 0, nd = 0;
	struct bb_error e = { 0 };
	int rc = btrfs_space_info(fd, &sp, &ns, &e) || btrfs_devices(fd, &dv, &nd, &e) ? -1 : 0;
	close(fd);
	if (rc) {
		free(sp);
		return vm_fail_bb(c, &e, NULL);
	}
	uint64_t size = 0, alloc = 0, used = 0, data_total = 0, data_used = 0;
	unsigned data_copies = 1;
	for (size_t i = 0; i < nd; i++) {
		size += dv[i].total_bytes;
		alloc += dv[i].bytes_used;
	}
	for (size_t i = 0; i < ns; i++) {
		if (!strcmp(sp[i].type, "GlobalReserve"))
			continue;
		used += sp[i].used * vmo_profile_copies(sp[i].profile);
		if (!strncmp(sp[i].type, "Data", 4)) {
			data_total += sp[i].total;
			data_used += sp[i].used;
			data_copies = vmo_profile_copies(sp[i].profile);
		}
	}
	struct jw *w = c->out;
	jw_obj(w);
	jw_kstr(w, "mount_point", mp);
	jw_ku64(w, "device_size", size);
	jw_ku64(w, "device_allocated", alloc);
	jw_ku64(w, "device_unallocated", size > alloc ? size - alloc : 0);
	jw_ku64(w, "used", used);
	/* as btrfs filesystem usage estimates it: room left in data chunks
	 * plus unallocated space divided by the copies data keeps */
	jw_ku64(w, "free_estimated", (data_total - data_used) +
					     (size > alloc ? size - alloc : 0) / data_copies);
	jw_ku64(w, "data_ratio", data_copies);
	jw_key(w, "space");
	jw_arr(w);
	for (size_t i = 0; i < ns; i++)
		space_write(w, &sp[i]);
	jw_arr_end(w);
	jw_key(w, "devices");
	jw_arr(w);
	for (size_t i = 0; i < nd; i++) {
		jw_obj(w);
		jw_ku64(w, "devid", dv[i].devid);
		jw_kstr(w, "device", dv[i].path[0] ? dv[i].path : NULL);
		jw_ku64(w, "size_bytes", dv[i].total_bytes);
		jw_ku64(w, "allocated_bytes", dv[i].bytes_used);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
	free(sp);
	free(dv);
	return 0;
}

/* ---- io_stats ---------------------------------------------------------------------------- */

unsigned vmo_sample_ms = 1000;

#define IO_RING 301 /* five minutes of one-second samples, both ends */

struct iodev {
	char name[BLKDEV_NAME];
	struct diskstats_ring ring;
	uint64_t seen;  /* the sample round it was last in */
};

static pthread_mutex_t io_mu = PTHREAD_MUTEX_INITIALIZER;
static struct iodev *iodevs;
static size_t niodevs;
static uint64_t io_round;
static pthread_t io_thread;
static volatile bool io_stop;
static bool io_started;

static struct iodev *iodev_get(const char *name)
{
	for (size_t i = 0; i < niodevs; i++)
		if (!strcmp(iodevs[i].name, name))
			return &iodevs[i];
	struct iodev *n = realloc(iodevs, (niodevs + 1) * sizeof(*n));
	if (!n)
		return NULL;
	iodevs = n;
	struct iodev *d = &iodevs[niodevs];
	memset(d, 0, sizeof(*d));
	if (diskstats_ring_init(&d->ring, IO_RING, NULL))
		return NULL;
	snprintf(d->name, sizeof(d->name), "%s", name);
	niodevs++;
	return d;
}

/* One round: every device of /proc/diskstats that ever did I/O gets a
 * sample; devices gone from it are dropped (a new one of the same name
 * starts afresh). */
static void io_sample(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/diskstats", vm_cfg.root->proc);
	struct diskstats *d;
	size_t n;
	if (diskstats_read(path, &d, &n, NULL))
		return;
	uint64_t t = clock_ns();
	pthread_mutex_lock(&io_mu);
	io_round++;
	for (size_t i = 0; i < n; i++) {
		/* a ring per device that did I/O: unused loop devices cost nothing */
		if (!d[i].rd_ios && !d[i].wr_ios && !d[i].dc_ios && !d[i].fl_ios)
			continue;
		struct iodev *v = iodev_get(d[i].name);
		if (v) {
			diskstats_ring_push(&v->ring, t, &d[i]);
			v->seen = io_round;
		}
	}
	for (size_t i = 0; i < niodevs;) {
		if (iodevs[i].seen != io_round) {
			diskstats_ring_free(&iodevs[i].ring);
			iodevs[i] = iodevs[--niodevs];
		} else {
			i++;
		}
	}
	pthread_mutex_unlock(&io_mu);
	free(d);
}

static void *io_loop(void *arg)
{
	(void)arg;
	while (!io_stop) {
		io_sample();
		for (unsigned slept = 0; slept < vmo_sample_ms && !io_stop; slept += 100)
			usleep(100 * 1000);
	}
	return NULL;
}

static int io_start(struct bb_error *e)
{
	io_stop = false;
	int rc = pthread_create(&io_thread, NULL, io_loop, NULL);
	if (rc) {
		errno = rc;
		return bb_error_errno(e, "io_stats sampler");
	}
	io_started = true;
	return 0;
}

static void io_end(void)
{
	if (!io_started)
		return;
	io_stop = true;
	pthread_join(io_thread, NULL);
	io_started = false;
}

static const struct {
	const char *name;
	uint64_t ns;
} windows[] = { { "10s", 10000000000ull }, { "60s", 60000000000ull }, { "300s", 300000000000ull } };

static void rates_write(struct jw *w, const struct diskstats_rates *r)
{
	jw_obj(w);
	jw_key(w, "seconds"), jw_double(w, r->seconds);
	jw_key(w, "read_iops"), jw_double(w, r->rd_iops);
	jw_key(w, "write_iops"), jw_double(w, r->wr_iops);
	jw_key(w, "read_bytes_per_second"), jw_double(w, r->rd_bytes_s);
	jw_key(w, "write_bytes_per_second"), jw_double(w, r->wr_bytes_s);
	jw_key(w, "read_mean_latency_ms"), jw_double(w, r->rd_mean_ms);
	jw_key(w, "write_mean_latency_ms"), jw_double(w, r->wr_mean_ms);
	jw_key(w, "util_percent"), jw_double(w, r->util_pct);
	jw_key(w, "avg_queue_depth"), jw_double(w, r->queue_depth);
	jw_kbool(w, "counters_reset", r->reset);
	jw_obj_end(w);
}

static int io_stats(struct vm_call *c)
{
	const char *only = vm_str(c, "device");
	if (only && !strncmp(only, "/dev/", 5))
		only += 5;
	if (!io_started) /* in-process use without the daemon's sampler */
		io_sample();
	struct jw *w = c->out;
	bool found = false;
	pthread_mutex_lock(&io_mu);
	jw_arr(w);
	for (size_t i = 0; i < niodevs; i++) {
		const struct iodev *d = &iodevs[i];
		const struct diskstats_sample *s = diskstats_ring_at(&d->ring, 0);
		if (only && strcmp(only, d->name))
			continue;
		found = true;
		jw_obj(w);
		jw_kstr(w, "device", d->name);
		jw_ku64(w, "samples", d->ring.count);
		jw_ku64(w, "in_flight", s->c.in_flight);
		jw_key(w, "windows");
		jw_obj(w);
		for (size_t k = 0; k < sizeof(windows) / sizeof(windows[0]); k++) {
			struct diskstats_rates r;
			jw_key(w, windows[k].name);
			if (diskstats_ring_window(&d->ring, windows[k].ns, &r))
				rates_write(w, &r);
			else
				jw_null(w);
		}
		jw_obj_end(w);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	pthread_mutex_unlock(&io_mu);
	if (only && !found)
		return vm_fail_errno(c, VM_E_NODEV, ENODEV, only,
				     "%s: not in /proc/diskstats, or no I/O on it yet", only);
	return 0;
}

/* ---- the table ------------------------------------------------------------------------------ */

static const struct vm_param mp_params[] = {
	{ "mount_point", VM_T_PATH, VM_REQ | VM_POS, "a mounted btrfs", "MOUNT_POINT" },
	{ 0 },
};
static const struct vm_param io_params[] = {
	{ "device", VM_T_STR, 0, "one device: nvme0n1, md127, dm-0", NULL },
	{ 0 },
};

static const struct vm_field usage_fields[] = {
	{ "mount_point", VM_T_PATH, "mount point", 0 },
	{ "device", VM_T_STR, "device", 0 },
	{ "fstype", VM_T_STR, "filesystem type", 0 },
	{ "total_bytes", VM_T_U64, "size", VM_F_BYTES },
	{ "used_bytes", VM_T_U64, "used", VM_F_BYTES },
	{ "available_bytes", VM_T_U64, "available to users", VM_F_BYTES },
	{ "percent", VM_T_NUM, "used of used + available", 0 },
	{ 0 },
};
static const struct vm_field devstat_fields[] = {
	{ "devid", VM_T_U64, "btrfs device id", 0 },
	{ "device", VM_T_PATH, "device path, null when missing", VM_F_NULLABLE },
	{ "missing", VM_T_BOOL, "the device is not present", 0 },
	{ "write_errs", VM_T_U64, "write errors", 0 },
	{ "read_errs", VM_T_U64, "read errors", 0 },
	{ "flush_errs", VM_T_U64, "flush errors", 0 },
	{ "corruption_errs", VM_T_U64, "checksum errors", 0 },
	{ "generation_errs", VM_T_U64, "generation errors", 0 },
	{ 0 },
};
static const struct vm_field scrub_fields[] = {
	{ "mount_point", VM_T_PATH, "filesystem", 0 },
	{ "fsid", VM_T_STR, "filesystem UUID", VM_F_HIDE },
	{ "state", VM_T_STR, "running, done, cancelled, failed, never", 0 },
	{ "current", VM_T_OBJ, "counts of the running scrub", VM_F_HIDE | VM_F_NULLABLE },
	{ "last", VM_T_OBJ, "the last finished scrub, kept across restarts",
	  VM_F_HIDE | VM_F_NULLABLE },
	{ 0 },
};
static const struct vm_field df_fields[] = {
	{ "type", VM_T_STR, "Data, Metadata, System, GlobalReserve", 0 },
	{ "profile", VM_T_STR, "single, DUP, RAID1, ...", 0 },
	{ "total_bytes", VM_T_U64, "allocated to chunks", VM_F_BYTES },
	{ "used_bytes", VM_T_U64, "used in them", VM_F_BYTES },
	{ 0 },
};
static const struct vm_field fsusage_fields[] = {
	{ "mount_point", VM_T_PATH, "filesystem", 0 },
	{ "device_size", VM_T_U64, "all devices", VM_F_BYTES },
	{ "device_allocated", VM_T_U64, "allocated to chunks", VM_F_BYTES },
	{ "device_unallocated", VM_T_U64, "not yet allocated", VM_F_BYTES },
	{ "used", VM_T_U64, "bytes used on the devices (copies counted)", VM_F_BYTES },
	{ "free_estimated", VM_T_U64, "room for more data", VM_F_BYTES },
	{ "data_ratio", VM_T_U64, "copies of data", 0 },
	{ "space", VM_T_ARR, "as storage.fs_df", VM_F_HIDE },
	{ "devices", VM_T_ARR, "devid, device, size_bytes, allocated_bytes", VM_F_HIDE },
	{ 0 },
};
static const struct vm_field io_fields[] = {
	{ "device", VM_T_STR, "kernel name", 0 },
	{ "samples", VM_T_U64, "samples held", 0 },
	{ "in_flight", VM_T_U64, "requests in flight now", 0 },
	{ "windows", VM_T_OBJ,
	  "10s, 60s, 300s: IOPS, bytes per second, mean latency per direction (means of the "
	  "interval, not percentiles), util_percent, avg_queue_depth",
	  VM_F_HIDE },
	{ 0 },
};

static const struct vm_method stats_methods[] = {
	{ .name = "storage.usage", .cli = "usage",
	  .help = "Per-filesystem usage (total/used/available/percent)",
	  .result = { VM_R_LIST, usage_fields }, .fn = usage },
	{ .name = "storage.device_stats", .cli = "device-stats",
	  .help = "Btrfs device error counters", .params = mp_params,
	  .result = { VM_R_LIST, devstat_fields }, .fn = device_stats },
	{ .name = "storage.scrub_status", .cli = "scrub-status",
	  .help = "Scrub running, or the last one's result (kept across restarts)",
	  .params = mp_params, .result = { VM_R_OBJECT, scrub_fields }, .fn = scrub_status },
	{ .name = "storage.fs_usage", .cli = "fs-usage", .help = "Detailed btrfs space breakdown",
	  .params = mp_params, .result = { VM_R_OBJECT, fsusage_fields }, .fn = fs_usage },
	{ .name = "storage.fs_df", .cli = "fs-df", .help = "Btrfs data/metadata/system allocation",
	  .params = mp_params, .result = { VM_R_LIST, df_fields }, .fn = fs_df },
	{ .name = "storage.io_stats", .cli = "io-stats",
	  .help = "I/O rates per device over 10 s, 1 min and 5 min, from /proc/diskstats",
	  .params = io_params, .result = { VM_R_LIST, io_fields }, .fn = io_stats },
	{ 0 },
};

const struct vm_module vm_mod_stats = { "stats", stats_methods, io_start, io_end };
