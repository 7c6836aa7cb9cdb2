/* health.c - storage.health: one verdict (ok, degraded, failing) with a
 * reason and a suggested action per finding, drawn from md arrays, btrfs
 * devices and error counters, SMART, filesystem usage and sysvol's
 * degraded-boot record; and a monitor thread that publishes
 * array_degraded and smart_warning events when those appear.
 */
#include "btrfs.h"
#include "md.h"
#include "mount.h"
#include "io.h"
#include "storage.h"
#include "sysfs.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

const char *vmo_sysvol_record = "/run/sysvol/degraded";
unsigned vmo_monitor_ms = 5000;

/* ---- btrfs -------------------------------------------------------------------------- */

static void btrfs_check(const char *mp, struct vmo_health *h)
{
	int fd = btrfs_open(mp, NULL);
	if (fd < 0)
		return;
	struct btrfs_dev_info *dv;
	size_t n;
	if (btrfs_devices(fd, &dv, &n, NULL)) {
		close(fd);
		return;
	}
	char act[256];
	for (size_t i = 0; i < n; i++) {
		if (!dv[i].path[0]) {
			snprintf(act, sizeof(act),
				 "replace it: btrfs replace start %llu /dev/NEW %s",
				 (unsigned long long)dv[i].devid, mp);
			vmo_health_add(h, VMO_DEGRADED, "btrfs", act, "device %llu of the btrfs on %s is missing",
			    (unsigned long long)dv[i].devid, mp);
			vmo_health_subject(h, "%s devid %llu", mp, (unsigned long long)dv[i].devid);
			continue;
		}
		struct btrfs_dev_stats st;
		if (btrfs_dev_stats(fd, dv[i].devid, false, &st, NULL))
			continue;
		uint64_t io = st.write_errs + st.read_errs + st.flush_errs;
		uint64_t data = st.corruption_errs + st.generation_errs;
		if (!io && !data)
			continue;
		snprintf(act, sizeof(act),
			 "scrub the filesystem (storage.scrub_start %s), check the device's SMART "
			 "and cabling; replace it if the counts grow",
			 mp);
		vmo_health_add(h, VMO_DEGRADED, "btrfs", act,
		    "%s (devid %llu) has errors: %llu write, %llu read, %llu flush, %llu "
		    "corruption, %llu generation",
		    dv[i].path, (unsigned long long)dv[i].devid, (unsigned long long)st.write_errs,
		    (unsigned long long)st.read_errs, (unsigned long long)st.flush_errs,
		    (unsigned long long)st.corruption_errs, (unsigned long long)st.generation_errs);
		vmo_health_subject(h, "%s devid %llu", mp, (unsigned long long)dv[i].devid);
	}
	free(dv);
	close(fd);
}

/* ---- everything ----------------------------------------------------------------------- */

static void smart_check(const struct blkdev *b, struct vmo_health *h)
{
	struct vmo_smart s;
	if (vmo_smart_read(b, &s) || s.kind == VMO_SMART_NONE)
		return;
	if (s.warning) {
		char words[128] = "";
		if (s.kind == VMO_SMART_NVME)
			smart_nvme_warning_words(s.nvme.critical_warning, words, sizeof(words));
		vmo_health_add(h, VMO_FAILING, "smart", "copy its data off and replace the disk",
		    "%s reports %s%s", b->name,
		    s.kind == VMO_SMART_NVME ? "a critical warning: " : "a SMART threshold exceeded",
		    words);
	} else if (s.kind == VMO_SMART_NVME && s.nvme.percent_used >= 90) {
		vmo_health_add(h, VMO_DEGRADED, "smart", "plan its replacement",
		    "%s has used %u%% of its rated endurance", b->name, s.nvme.percent_used);
	} else {
		return;
	}
	vmo_health_subject(h, "%s", b->name);
}

static void usage_check(const struct mount_entry *m, double threshold, struct vmo_health *h)
{
	struct statvfs sv;
	if (strncmp(m->source, "/dev/", 5) || statvfs(m->target, &sv) || !sv.f_blocks)
		return;
	uint64_t used = sv.f_blocks - sv.f_bfree, avail = sv.f_bavail;
	double pct = used + avail ? 100.0 * (double)used / (double)(used + avail) : 0;
	if (pct < threshold)
		return;
	vmo_health_add(h, pct >= 99 ? VMO_FAILING : VMO_DEGRADED, "usage",
	    "free space: delete snapshots or data, or grow it (storage.resize_max)",
	    "%s is %.0f%% full (threshold %.0f%%)", m->target, pct, threshold);
	vmo_health_subject(h, "%s", m->target);
}

/* Mounts of btrfs, once per filesystem (its first mount). */
static bool first_of_fs(const struct mount_table *t, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (t->m[k].major == t->m[i].major && t->m[k].minor == t->m[i].minor)
			return false;
	return true;
}

static void collect(struct vmo_health *h, double threshold, bool smart)
{
	struct md_array *a;
	size_t n;
	if (!md_list(vm_cfg.root, &a, &n, NULL)) {
		for (size_t i = 0; i < n; i++)
			vmo_health_md(&a[i], h);
		md_list_free(a, n);
	}
	struct mount_table t;
	if (!vmo_mounts(&t, NULL)) {
		for (size_t i = 0; i < t.n; i++) {
			if (!strcmp(t.m[i].fstype, "btrfs") && first_of_fs(&t, i))
				btrfs_check(t.m[i].target, h);
			if (first_of_fs(&t, i))
				usage_check(&t.m[i], threshold, h);
		}
		mount_table_free(&t);
	}
	struct blkdev_list l;
	if (smart && !blkdev_scan(vm_cfg.root, &l, NULL)) {
		for (size_t i = 0; i < l.n; i++)
			if (!l.dev[i].partno && l.dev[i].size)
				smart_check(&l.dev[i], h);
		blkdev_list_free(&l);
	}
	size_t len;
	char *rec = read_file(vmo_sysvol_record, 4096, &len);
	if (rec) {
		vmo_health_sysvol(rec, h);
		free(rec);
	}
}

static int health(struct vm_call *c)
{
	uint64_t thr = vm_u64(c, "usage_threshold", 90);
	if (thr > 100)
		return vm_fail(c, VM_E_VALIDATION, NULL, "usage_threshold: a percentage, 0 to 100");
	struct vmo_health *h = calloc(1, sizeof(*h));
	if (!h)
		return vm_fail(c, VM_E_INTERNAL, NULL, "out of memory");
	collect(h, (double)thr, true);
	struct jw *w = c->out;
	jw_obj(w);
	jw_kstr(w, "verdict", vmo_level_names[vmo_health_verdict(h)]);
	jw_key(w, "reasons");
	jw_arr(w);
	for (size_t i = 0; i < h->n; i++) {
		jw_obj(w);
		jw_kstr(w, "level", vmo_level_names[h->f[i].level]);
		jw_kstr(w, "source", h->f[i].source);
		jw_kstr(w, "subject", h->f[i].subject);
		jw_kstr(w, "reason", h->f[i].reason);
		jw_kstr(w, "action", h->f[i].action);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
	free(h);
	return 0;
}

/* ---- the monitor: events for subscribers -------------------------------------------------- */

static pthread_t mon_thread;
static volatile bool mon_stop;
static bool mon_started;

/* What was already reported, so an event goes out once per change. */
struct seen {
	char key[160];
	struct seen *next;
};

static bool seen_before(struct seen **list, const char *key, struct seen **now)
{
	struct seen *s = malloc(sizeof(*s));
	if (s) {
		snprintf(s->key, sizeof(s->key), "%s", key);
		s->next = *now;
		*now = s;
	}
	for (struct seen *o = *list; o; o = o->next)
		if (!strcmp(o->key, key))
			return true;
	return false;
}

static void seen_free(struct seen *s)
{
	while (s) {
		struct seen *n = s->next;
		free(s);
		s = n;
	}
}

static void json_text(char *out, size_t len, const char *s)
{
	size_t k = 0;
	for (; *s && k + 7 < len; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			k += (size_t)snprintf(out + k, len - k, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			k += (size_t)snprintf(out + k, len - k, "?");
		else
			out[k++] = (char)ch;
	}
	out[k] = 0;
}

static void monitor_round(struct seen **list, unsigned round)
{
	struct vmo_health *h = calloc(1, sizeof(*h));
	if (!h)
		return;
	/* SMART once a minute; md and btrfs every round */
	collect(h, 101, round % 12 == 0);
	vmo_md_adopt(); /* a sync's end reaches subscribers even when nobody asks */
	struct seen *now = NULL;
	for (size_t i = 0; i < h->n; i++) {
		const struct vmo_finding *f = &h->f[i];
		const char *ev = !strcmp(f->source, "smart") ? "smart_warning"
				 : !strcmp(f->source, "md") || !strcmp(f->source, "btrfs") ? "array_degraded"
											: NULL;
		char key[160];
		snprintf(key, sizeof(key), "%s:%s", f->source, f->subject);
		if (!ev || seen_before(list, key, &now))
			continue;
		char subj[300], reason[600], data[1024];
		json_text(subj, sizeof(subj), f->subject);
		json_text(reason, sizeof(reason), f->reason);
		snprintf(data, sizeof(data), "{\"subject\":\"%s\",\"level\":\"%s\",\"reason\":\"%s\"}",
			 subj, vmo_level_names[f->level], reason);
		vm_publish(ev, data);
	}
	/* SMART findings are only looked for every 12th round: keep them */
	for (struct seen *o = *list; o && round % 12; o = o->next)
		if (!strncmp(o->key, "smart:", 6))
			seen_before(&now, o->key, &now);
	seen_free(*list);
	*list = now;
	free(h);
}

static void *monitor(void *arg)
{
	(void)arg;
	struct seen *list = NULL;
	for (unsigned round = 0; !mon_stop; round++) {
		monitor_round(&list, round);
		for (unsigned slept = 0; slept < vmo_monitor_ms && !mon_stop; slept += 100)
			usleep(100 * 1000);
	}
	seen_free(list);
	return NULL;
}

static int monitor_start(struct bb_error *e)
{
	mon_stop = false;
	int rc = pthread_create(&mon_thread, NULL, monitor, NULL);
	if (rc) {
		errno = rc;
		return bb_error_errno(e, "health monitor");
	}
	mon_started = true;
	return 0;
}

static void monitor_end(void)
{
	if (!mon_started)
		return;
	mon_stop = true;
	pthread_join(mon_thread, NULL);
	mon_started = false;
}

static const struct vm_param health_params[] = {
	{ "usage_threshold", VM_T_U64, 0, "percent full that counts as degraded (default 90)",
	  NULL },
	{ 0 },
};

static const struct vm_field health_fields[] = {
	{ "verdict", VM_T_STR, "ok, degraded or failing", 0 },
	{ "reasons", VM_T_ARR, "level, source, subject, reason, action of each finding", 0 },
	{ 0 },
};

static const struct vm_method health_methods[] = {
	{ .name = "storage.health", .cli = "health",
	  .help = "One verdict (ok, degraded, failing) with reasons and suggested actions",
	  .params = health_params, .result = { VM_R_OBJECT, health_fields }, .fn = health },
	{ 0 },
};

const struct vm_module vm_mod_health = { "health", health_methods, monitor_start, monitor_end };
