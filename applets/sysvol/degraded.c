/* degraded.c - what a boot of a provisioned node leaves for the next boot
 * and for volmgr, once everything is mounted.
 *
 * Where: /run/sysvol/degraded for this boot (volmgr reads it), and
 * /boot/sysvol/degraded on the boot filesystem, which is on the mirror
 * itself (md RAID1), so the record travels with the half that ran and the
 * next boot finds when the node went degraded ("since" is kept, not reset
 * at every degraded boot). /boot/sysvol/members maps each disk's serial
 * to its btrfs devid: written on a boot that sees the whole mirror (only
 * when it changed: a healthy second boot writes nothing), it names the
 * serial of a member that is missing later.
 * (Their formats: record.c.)
 */
#include "boot.h"
#include "io.h"
#include "mount.h"

#include <linux/btrfs_tree.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the files ----------------------------------------------------------------- */

static int boot_path(const struct sv_ctx *c, const char *name, char *out, size_t len,
		     struct bb_error *e)
{
	char rel[128];
	snprintf(rel, sizeof(rel), "/boot/%s%s%s", SV_BOOT_DIR, name[0] ? "/" : "", name);
	return mount_root_path(c->root, rel, out, len, e);
}

/* path holds exactly text already: nothing to write. */
static bool same_text(const char *path, const char *text)
{
	size_t n;
	char *old = read_file(path, 1 << 16, &n);
	bool same = old && n == strlen(text) && !memcmp(old, text, n);
	free(old);
	return same;
}

static int put_file(const char *dir, const char *path, const char *text, struct bb_error *e)
{
	if (same_text(path, text))
		return 0;
	if (mount_mkdir_p(dir, 0755, e))
		return -1;
	if (write_file_atomic(path, text, strlen(text), 0644))
		return bb_error_errno(e, "write %s", path);
	return 0;
}

static void iso_now(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The members file of a whole mirror: "SERIAL btrfs_devid=N" per disk. */
static int write_members(struct sv_ctx *c, struct bb_error *e)
{
	char text[512] = "", dir[SV_PATH], path[SV_PATH];
	size_t off = 0;
	for (unsigned k = 0; k < c->nnode; k++) {
		const struct sv_disk *d = &c->disk[c->node[k]];
		for (size_t v = 0; v < c->layout.nparts; v++) {
			struct btrfs_super b = { .devid = k < SV_MIRROR ? svb.devid[k] : 0 };
			int fd = -1;
			if (c->layout.part[v].mirror != SV_MIRROR_BTRFS || !d->partno[v])
				continue;
			/* read before the assembly on a boot that found them; a
			 * node provisioned by this run reads what it made */
			if (!b.devid && ((fd = open(d->part_path[v], O_RDONLY | O_CLOEXEC)) < 0 ||
					 btrfs_super_read(fd, &b, NULL)))
				b.devid = 0;
			if (b.devid)
				off += (size_t)snprintf(text + off, sizeof(text) - off, "%s btrfs_devid=%llu\n",
							d->id, (unsigned long long)b.devid);
			if (fd >= 0)
				close(fd);
			if (off >= sizeof(text))
				return bb_error_set(e, ENAMETOOLONG, "members file: serials too long");
		}
	}
	if (!off || boot_path(c, "", dir, sizeof(dir), e) ||
	    boot_path(c, SV_MEMBERS_FILE, path, sizeof(path), e))
		return off ? -1 : 0;
	return put_file(dir, path, text, e);
}

static int record_degraded(struct sv_ctx *c, const char *state, struct bb_error *e)
{
	char dir[SV_PATH], path[SV_PATH], text[512];
	struct svb_record r = { 0 };
	const char *why;
	if (boot_path(c, "", dir, sizeof(dir), e) || boot_path(c, SV_DEGRADED_FILE, path, sizeof(path), e))
		return -1;
	size_t n;
	char *old = read_file(path, 1 << 16, &n);
	struct svb_record prev;
	if (old && !svb_record_parse(old, &prev, &why))
		snprintf(r.since, sizeof(r.since), "%s", prev.since); /* degraded since the first boot */
	else
		iso_now(r.since, sizeof(r.since));
	free(old);
	snprintf(r.present, sizeof(r.present), "%s", svb.used);
	if (svb.node.action == SVB_SPLIT) {
		snprintf(r.missing, sizeof(r.missing), "%s", svb.other);
	} else {
		char mpath[SV_PATH];
		char *members = boot_path(c, SV_MEMBERS_FILE, mpath, sizeof(mpath), NULL)
					? NULL : read_file(mpath, 1 << 16, &n);
		if (!members || !svb.missing_devid ||
		    svb_members_serial(members, svb.missing_devid, r.missing, sizeof(r.missing)))
			snprintf(r.missing, sizeof(r.missing), "unknown(btrfs-devid-%llu)",
				 (unsigned long long)svb.missing_devid);
		free(members);
	}
	snprintf(c->rep.degraded_since, sizeof(c->rep.degraded_since), "%s", r.since);
	snprintf(c->rep.missing[0], sizeof(c->rep.missing[0]), "%s", r.missing);
	if (svb_record_format(&r, state, text, sizeof(text)))
		return bb_error_set(e, ENAMETOOLONG, "degraded record: too long");
	sv_warn(c, "degraded since %s, missing %s", r.since, r.missing);
	char run[SV_PATH];
	if (mount_root_path(c->root, SV_STATE_DIR "/" SV_DEGRADED_FILE, run, sizeof(run), e) ||
	    put_file(SV_STATE_DIR, run, text, e))
		return -1;
	/* a split node keeps its record on the half that runs, like a degraded one */
	return put_file(dir, path, text, e);
}

/* ---- long btrfs work after the mounts ---------------------------------------------- */

/* A child of its own for work that takes as long as the data (scrub,
 * device replace): 1 in the child, 0 in the parent, -1 with e. The boot
 * goes on meanwhile; the child writes its outcome where volmgr reads it. */
static int background(const char *what, struct bb_error *e)
{
	pid_t pid = fork();
	if (pid < 0)
		return bb_error_errno(e, "start the %s", what);
	if (pid > 0)
		return 0;
	setsid();
	signal(SIGHUP, SIG_IGN);
	return 1;
}

/* Scrub every device of the btrfs mounted at mnt, one after the other. */
static int scrub_in_background(const char *mnt, struct bb_error *e)
{
	int child = background("scrub", e);
	if (child <= 0)
		return child;
	char text[1024];
	size_t off = 0;
	struct bb_error se = { 0 };
	struct btrfs_dev_info *d = NULL;
	size_t n = 0;
	int fd = btrfs_open(mnt, &se);
	if (fd < 0 || btrfs_devices(fd, &d, &n, &se)) {
		off += (size_t)snprintf(text, sizeof(text), "state=failed\nerror=%s\n", se.msg);
	} else {
		off += (size_t)snprintf(text, sizeof(text), "state=done\n");
		for (size_t i = 0; i < n && off < sizeof(text); i++) {
			struct btrfs_scrub_stats st = { 0 };
			int r = btrfs_scrub_start(fd, d[i].devid, false, &st, &se);
			off += (size_t)snprintf(text + off, sizeof(text) - off,
						"devid=%llu bytes=%llu corrected=%llu uncorrectable=%llu%s%s\n",
						(unsigned long long)d[i].devid,
						(unsigned long long)(st.data_bytes + st.tree_bytes),
						(unsigned long long)st.corrected_errors,
						(unsigned long long)st.uncorrectable_errors, r ? " error=" : "",
						r ? se.msg : "");
		}
	}
	free(d);
	/* what was written while degraded went to single chunks (one device
	 * was all there was): make them mirrored again; soft: chunks that
	 * are RAID1 already are left alone, so this is quick when none is */
	struct btrfs_balance_filter f = { 0, -1, 0, BTRFS_BLOCK_GROUP_RAID1 };
	struct btrfs_balance_status bs = { 0 };
	if (fd >= 0 && off < sizeof(text)) {
		int r = btrfs_balance_start(fd, &f, &bs, &se);
		off += (size_t)snprintf(text + off, sizeof(text) - off, "balance=%s converted=%llu%s%s\n",
					r ? "failed" : "done", (unsigned long long)bs.completed,
					r ? " error=" : "", r ? se.msg : "");
	}
	if (off < sizeof(text))
		write_file_atomic(SV_STATE_DIR "/" SV_SCRUB_FILE, text, off, 0644);
	_exit(0);
}

/* Put the new disk's partition in the missing device's place. */
static int replace_in_background(const char *mnt, uint64_t devid, const char *dev,
				 struct bb_error *e)
{
	int child = background("btrfs device replace", e);
	if (child <= 0)
		return child;
	char text[512];
	struct bb_error se = { 0 };
	int fd = btrfs_open(mnt, &se);
	if (fd >= 0 && !btrfs_replace_start(fd, devid, dev, &se))
		snprintf(text, sizeof(text), "state=done\ndevid=%llu\ndev=%s\n", (unsigned long long)devid, dev);
	else
		snprintf(text, sizeof(text), "state=failed\ndevid=%llu\ndev=%s\nerror=%s\n",
			 (unsigned long long)devid, dev, se.msg);
	write_file_atomic(SV_STATE_DIR "/" SV_REPLACE_FILE, text, strlen(text), 0644);
	_exit(0);
}

/* The btrfs mounted: where the first subvolume is; "" without subvolumes. */
static int data_mount(const struct sv_ctx *c, char *mnt, size_t len, struct bb_error *e)
{
	mnt[0] = 0;
	if (!c->layout.nsubs)
		return 0;
	if (mount_root_path(c->root, c->layout.sub[0].mount, mnt, len, e) ||
	    mount_mkdir_p(SV_STATE_DIR, 0755, e))
		return -1;
	return 0;
}

static int replaced(struct sv_ctx *c, struct bb_error *e)
{
	char mnt[SV_PATH];
	if (data_mount(c, mnt, sizeof(mnt), e))
		return -1;
	if (!mnt[0] || !svb.missing_devid)
		return 0;
	write_file_atomic(SV_STATE_DIR "/" SV_REPLACE_FILE, "state=running\n", 14, 0644);
	if (replace_in_background(mnt, svb.missing_devid, svb.replace_dev, e))
		return -1;
	sv_warn(c, "btrfs device replace started: %s takes devid %llu's place (outcome in %s/%s)",
		svb.replace_dev, (unsigned long long)svb.missing_devid, SV_STATE_DIR, SV_REPLACE_FILE);
	return 0;
}

/* A stale record of a degraded past, once the mirror is whole. */
static int forget_degraded(const struct sv_ctx *c, struct bb_error *e)
{
	char path[SV_PATH];
	if (boot_path(c, SV_DEGRADED_FILE, path, sizeof(path), e))
		return -1;
	if (unlink(path) && errno != ENOENT)
		return bb_error_errno(e, "remove %s", path);
	unlink(SV_STATE_DIR "/" SV_DEGRADED_FILE);
	return 0;
}

static int rejoined(struct sv_ctx *c, struct bb_error *e)
{
	char mnt[SV_PATH];
	if (forget_degraded(c, e) || data_mount(c, mnt, sizeof(mnt), e))
		return -1;
	if (!mnt[0])
		return 0;
	write_file_atomic(SV_STATE_DIR "/" SV_SCRUB_FILE, "state=running\n", 14, 0644);
	if (scrub_in_background(mnt, e))
		return -1;
	sv_warn(c, "btrfs scrub started on %s to repair the stale copies of %s (outcome in %s/%s)",
		mnt, svb.other, SV_STATE_DIR, SV_SCRUB_FILE);
	return 0;
}

int sv_boot_after_mount(struct sv_ctx *c, struct bb_error *e)
{
	if (c->dry_run)
		return 0;
	if (c->by_label) { /* its records live on the node's /boot: never written */
		sv_warn(c, "disks recognised by their labels only (GPT partition names absent or "
			"different): mounted, nothing written, no records kept");
		return 0;
	}
	switch (svb.node.action) {
	case SVB_ALONE:
		if (record_degraded(c, "degraded", e))
			return -1;
		return svb.replace_dev[0] ? replaced(c, e) : 0;
	case SVB_SPLIT:
		if (record_degraded(c, "split", e))
			return -1;
		sv_warn(c, "the operator must decide which half to keep: this one (%s) as mounted, "
			"then wipe %s and let sysvol.replace=auto re-mirror onto it; or boot with only %s "
			"to keep that one instead. Nothing is merged automatically.",
			svb.used, svb.other, svb.other);
		return 0;
	case SVB_REJOIN:
		if (rejoined(c, e))
			return -1;
		return write_members(c, e);
	case SVB_BOTH:
		if (forget_degraded(c, e))
			return -1;
		return write_members(c, e);
	case SVB_NEW: /* provisioned by this run */
		return write_members(c, e);
	}
	return 0;
}
