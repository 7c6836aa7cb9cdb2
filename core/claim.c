/* claim.c - is a device or image in use, and (strict) does it hold data?
 * Everything comes from sysfs, /proc and an O_EXCL open; see claim.h. */
#include "claim.h"
#include "error.h"
#include "io.h"
#include "mbr.h"
#include "mount.h"
#include "probe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static enum claim_state say(struct claim *c, enum claim_state st, enum claim_reason r,
			    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum claim_state say(struct claim *c, enum claim_state st, enum claim_reason r,
			    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	c->state = st;
	c->reason = r;
	return st;
}

/* What a check found, or could not find out. */
static enum claim_state doubt(struct claim *c, const char *what)
{
	return say(c, CLAIM_BUSY, CLAIM_UNKNOWN, "cannot be inspected: %s: %s", what,
		   strerror(errno ? errno : EIO));
}

const char *claim_reason_name(enum claim_reason r)
{
	static const char *const names[] = {
		[CLAIM_NONE] = "",		[CLAIM_MOUNTED] = "mounted",
		[CLAIM_SWAP] = "swap",		[CLAIM_HELD] = "held",
		[CLAIM_LOOP] = "loop",		[CLAIM_BTRFS] = "btrfs_member",
		[CLAIM_EXCLUSIVE] = "exclusive", [CLAIM_UNKNOWN] = "unknown",
		[CLAIM_SIGNATURE] = "signature", [CLAIM_PARTTABLE] = "partition_table",
		[CLAIM_MBR] = "mbr",
	};
	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "unknown";
}

/* ---- what holds a device --------------------------------------------- */

/* "a member of the RAID array md0", "a physical volume of the LVM volume
 * vg0-data (dm-0)", ... from the holder's own sysfs entry. */
static void holder_words(const struct sysroot *root, const struct blkdev_list *l,
			 const char *holder, char *out, size_t len)
{
	char path[PATH_MAX], uuid[160];
	const struct blkdev *h = blkdev_find(l, holder);
	if (!strncmp(holder, "md", 2) && h && !strcmp(h->transport, "md")) {
		snprintf(out, len, "a member of the RAID array %s", holder);
		return;
	}
	if (!strncmp(holder, "dm-", 3)) {
		snprintf(path, sizeof(path), "%s/class/block/%s/dm/uuid", root->sys, holder);
		read_line(path, uuid, sizeof(uuid));
		const char *name = h && h->dm_name[0] ? h->dm_name : holder;
		if (!strncmp(uuid, "LVM-", 4))
			snprintf(out, len, "a physical volume of the LVM volume %s (%s)", name, holder);
		else if (!strncmp(uuid, "CRYPT-", 6))
			snprintf(out, len, "open as the encrypted volume %s (%s)", name, holder);
		else
			snprintf(out, len, "held by the device-mapper device %s (%s)", name, holder);
		return;
	}
	snprintf(out, len, "held by %s", holder);
}

/* The loop device whose backing file is st (an image: same inode; a block
 * device: same device number, or named as devpath). 1 found, 0 not, -1
 * unreadable. */
static int loop_backed(const struct sysroot *root, const struct blkdev_list *l,
		       const struct stat *st, const char *devpath, char *loop, size_t len)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct blkdev *d = &l->dev[i];
		if (strncmp(d->name, "loop", 4))
			continue;
		char path[PATH_MAX], file[PATH_MAX];
		struct stat bs;
		snprintf(path, sizeof(path), "%s/class/block/%s/loop/backing_file", root->sys,
			 d->name);
		if (read_line(path, file, sizeof(file))) {
			if (errno == ENOENT) /* an unbound loop device */
				continue;
			return -1;
		}
		bool same = devpath && !strcmp(file, devpath);
		if (!same && file[0] && !stat(file, &bs)) /* "(deleted)": not found */
			same = S_ISBLK(st->st_mode)
				       ? S_ISBLK(bs.st_mode) && bs.st_rdev == st->st_rdev
				       : bs.st_dev == st->st_dev && bs.st_ino == st->st_ino;
		if (same) {
			snprintf(loop, len, "%s", d->name);
			return 1;
		}
	}
	return 0;
}

/* The mounted btrfs that lists `name` among its devices: fsid into fsid,
 * and another member that mountinfo shows mounted, if any. 1 found, 0
 * not, -1 unreadable. */
static int btrfs_member(const struct sysroot *root, const struct blkdev_list *l,
			const char *name, char *fsid, size_t fsid_len,
			const struct blkdev **mounted)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/fs/btrfs", root->sys);
	DIR *top = opendir(path);
	if (!top)
		return errno == ENOENT ? 0 : -1; /* no btrfs module: nothing mounted */
	int found = 0;
	struct dirent *f;
	while (!found && (f = readdir(top))) {
		if (f->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/fs/btrfs/%s/devices/%s", root->sys, f->d_name,
			 name);
		struct stat st;
		if (lstat(path, &st))
			continue;
		found = 1;
		snprintf(fsid, fsid_len, "%s", f->d_name);
		*mounted = NULL;
		snprintf(path, sizeof(path), "%s/fs/btrfs/%s/devices", root->sys, f->d_name);
		DIR *devs = opendir(path);
		struct dirent *m;
		while (devs && !*mounted && (m = readdir(devs))) {
			const struct blkdev *o = blkdev_find(l, m->d_name);
			if (o && o->nmounts)
				*mounted = o;
		}
		if (devs)
			closedir(devs);
	}
	closedir(top);
	return found;
}

/* One device on its own (not its partitions or disk). who is how the
 * message names it: "vdb", or "its disk vdb". */
static enum claim_state busy_one(const struct sysroot *root, const struct blkdev_list *l,
				 const struct blkdev *d, const char *who, struct claim *c)
{
	if (d->nmounts)
		return say(c, CLAIM_BUSY, CLAIM_MOUNTED, "%s is mounted on %s", who, d->mountpoint);
	if (d->swap)
		return say(c, CLAIM_BUSY, CLAIM_SWAP, "%s is in use as swap", who);
	if (d->nholders) {
		char words[200];
		holder_words(root, l, d->holders[0], words, sizeof(words));
		return say(c, CLAIM_BUSY, CLAIM_HELD, "%s is %s", who, words);
	}
	char fsid[64], loop[BLKDEV_NAME];
	const struct blkdev *m = NULL;
	int rc = btrfs_member(root, l, d->name, fsid, sizeof(fsid), &m);
	if (rc < 0)
		return doubt(c, "/sys/fs/btrfs");
	if (rc && m)
		return say(c, CLAIM_BUSY, CLAIM_BTRFS,
			   "%s is a member of the btrfs mounted on %s (with %s)", who, m->mountpoint,
			   m->name);
	if (rc)
		return say(c, CLAIM_BUSY, CLAIM_BTRFS, "%s is a member of the mounted btrfs %s", who,
			   fsid);
	struct stat st = { .st_mode = S_IFBLK, .st_rdev = makedev(d->major, d->minor) };
	char node[PATH_MAX];
	snprintf(node, sizeof(node), "%s/%s", root->dev, d->name);
	rc = loop_backed(root, l, &st, node, loop, sizeof(loop));
	if (rc < 0)
		return doubt(c, "loop backing_file");
	if (rc)
		return say(c, CLAIM_BUSY, CLAIM_LOOP, "%s backs the loop device %s", who, loop);
	return CLAIM_FREE;
}

/* The kernel's own answer: an O_EXCL open of a block device fails with
 * EBUSY while a filesystem, md, dm, swap or another O_EXCL opener has it.
 * Partitions without a node (no devtmpfs) are left to the sysfs checks. */
static enum claim_state exclusive(const char *path, const char *who, bool may_lack,
				  struct claim *c)
{
	int fd = open(path, O_RDONLY | O_EXCL | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return CLAIM_FREE;
	}
	if (errno == EBUSY)
		return say(c, CLAIM_BUSY, CLAIM_EXCLUSIVE,
			   "%s is open exclusively (by the kernel or another program)", who);
	if (may_lack && errno == ENOENT)
		return CLAIM_FREE;
	char what[PATH_MAX + 20];
	snprintf(what, sizeof(what), "open %s", path);
	return doubt(c, what);
}

/* Whole disk: itself and each partition; partition: itself and its disk.
 * sysfs first, for the precise reason; the O_EXCL opens after. */
static enum claim_state busy_dev(const struct sysroot *root, const struct blkdev_list *l,
				 const struct blkdev *d, const char *path, struct claim *c)
{
	if (busy_one(root, l, d, d->name, c))
		return c->state;
	if (d->partno) {
		const struct blkdev *p = blkdev_find(l, d->parent);
		char who[BLKDEV_NAME + 16];
		if (!p) {
			errno = ENOENT;
			return doubt(c, "the disk of the partition in sysfs");
		}
		snprintf(who, sizeof(who), "its disk %s", p->name);
		if (busy_one(root, l, p, who, c))
			return c->state;
	}
	for (size_t i = 0; !d->partno && i < l->n; i++) {
		const struct blkdev *p = &l->dev[i];
		if (p->partno && !strcmp(p->parent, d->name) && busy_one(root, l, p, p->name, c))
			return c->state;
	}
	if (exclusive(path, d->name, false, c))
		return c->state;
	for (size_t i = 0; !d->partno && i < l->n; i++) {
		const struct blkdev *p = &l->dev[i];
		char node[PATH_MAX];
		snprintf(node, sizeof(node), "%s/%s", root->dev, p->name);
		if (p->partno && !strcmp(p->parent, d->name) && exclusive(node, p->name, true, c))
			return c->state;
	}
	return CLAIM_FREE;
}

/* An image file: it may back a loop device or be a swap file. */
static enum claim_state busy_file(const struct sysroot *root, const struct blkdev_list *l,
				  const struct stat *st, struct claim *c)
{
	char loop[BLKDEV_NAME], path[PATH_MAX];
	int rc = loop_backed(root, l, st, NULL, loop, sizeof(loop));
	if (rc < 0)
		return doubt(c, "loop backing_file");
	if (rc)
		return say(c, CLAIM_BUSY, CLAIM_LOOP, "the image backs the loop device %s", loop);
	snprintf(path, sizeof(path), "%s/swaps", root->proc);
	struct mount_swaps s; /* no such file (no swap in this kernel): an empty list */
	if (mount_swaps_read(path, &s, NULL))
		return doubt(c, path);
	bool swap = false;
	for (size_t i = 0; i < s.n && !swap; i++) {
		struct stat ss;
		swap = !stat(s.path[i], &ss) && ss.st_dev == st->st_dev && ss.st_ino == st->st_ino;
	}
	mount_swaps_free(&s);
	if (swap)
		return say(c, CLAIM_BUSY, CLAIM_SWAP, "the image is in use as swap");
	return CLAIM_FREE;
}

/* blkdev_scan reads mountinfo and swaps but cannot say it failed to: a
 * list without them would call a mounted disk free. */
static enum claim_state proc_readable(const struct sysroot *root, struct claim *c)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/self/mountinfo", root->proc);
	if (access(path, R_OK))
		return doubt(c, path);
	snprintf(path, sizeof(path), "%s/swaps", root->proc);
	if (access(path, R_OK) && errno != ENOENT)
		return doubt(c, path);
	return CLAIM_FREE;
}

/* The device path names in l: by name under root->dev first (a fake /dev
 * in tests holds regular files), then by device number. NULL with c
 * saying why when it is neither a known block device nor an image file
 * (which leaves c->state 0); st is filled when stat succeeds. */
static const struct blkdev *find_dev(const struct sysroot *root, const struct blkdev_list *l,
				     const char *path, struct stat *st, struct claim *c)
{
	size_t n = strlen(root->dev);
	const struct blkdev *d = !strncmp(path, root->dev, n) && path[n] == '/'
					 ? blkdev_find(l, path + n + 1)
					 : NULL;
	if (stat(path, st)) {
		doubt(c, path);
		return NULL;
	}
	if (!d && S_ISBLK(st->st_mode)) {
		d = blkdev_find_devt(l, major(st->st_rdev), minor(st->st_rdev));
		if (!d)
			say(c, CLAIM_BUSY, CLAIM_UNKNOWN,
			    "cannot be inspected: device %u:%u is not in %s/class/block",
			    major(st->st_rdev), minor(st->st_rdev), root->sys);
	} else if (!d && !S_ISREG(st->st_mode)) {
		say(c, CLAIM_BUSY, CLAIM_UNKNOWN, "not a block device or an image file");
	}
	if (d) {
		c->is_blockdev = true;
		snprintf(c->name, sizeof(c->name), "%s", d->name);
		c->partno = d->partno;
	}
	return d;
}

static enum claim_state scan(const struct sysroot *root, struct blkdev_list *l,
			     struct claim *c)
{
	struct bb_error e;
	if (proc_readable(root, c))
		return c->state;
	if (blkdev_scan(root, l, &e))
		return say(c, CLAIM_BUSY, CLAIM_UNKNOWN, "cannot be inspected: %s", e.msg);
	return CLAIM_FREE;
}

static enum claim_state busy(const struct sysroot *root, const char *path, struct claim *c)
{
	struct blkdev_list l;
	if (scan(root, &l, c))
		return c->state;
	struct stat st;
	const struct blkdev *d = find_dev(root, &l, path, &st, c);
	if (!c->state && d)
		busy_dev(root, &l, d, path, c);
	else if (!c->state)
		busy_file(root, &l, &st, c);
	blkdev_list_free(&l);
	return c->state;
}

/* One partition of the disk, if in use: onto the list. */
static enum claim_state busy_part(const struct sysroot *root, const struct blkdev_list *l,
				  const struct blkdev *p, struct claim_parts *out, struct claim *c)
{
	struct claim pc = { 0 };
	char node[PATH_MAX];
	snprintf(node, sizeof(node), "%s/%s", root->dev, p->name);
	if (!busy_one(root, l, p, p->name, &pc) && !exclusive(node, p->name, true, &pc))
		return CLAIM_FREE;
	if (pc.reason == CLAIM_UNKNOWN || out->n == CLAIM_MAX_PARTS) {
		*c = pc;
		return c->state;
	}
	struct claim_part *cp = &out->part[out->n++];
	cp->partno = p->partno;
	cp->start = p->start;
	cp->size = p->size;
	snprintf(cp->why, sizeof(cp->why), "%s", pc.why);
	return CLAIM_FREE;
}

int claim_busy_parts(const struct sysroot *root, const char *path, struct claim_parts *out,
		     struct claim *c)
{
	struct blkdev_list l;
	memset(c, 0, sizeof(*c));
	out->n = 0;
	if (scan(root, &l, c))
		return -1;
	struct stat st;
	const struct blkdev *d = find_dev(root, &l, path, &st, c);
	if (!c->state && !d)
		say(c, CLAIM_BUSY, CLAIM_UNKNOWN, "not a block device");
	else if (!c->state && d->partno)
		say(c, CLAIM_BUSY, CLAIM_UNKNOWN, "%s is a partition, not a whole disk", d->name);
	else if (!c->state)
		busy_one(root, &l, d, d->name, c);
	for (size_t i = 0; !c->state && i < l.n; i++)
		if (l.dev[i].partno && !strcmp(l.dev[i].parent, d->name))
			busy_part(root, &l, &l.dev[i], out, c);
	/* With a partition in use the kernel refuses an O_EXCL open of the
	 * disk for that reason alone; with none, a refusal is someone else's. */
	if (!c->state && !out->n)
		exclusive(path, d->name, false, c);
	blkdev_list_free(&l);
	return c->state ? -1 : 0;
}

/* ---- what a device holds --------------------------------------------- */

/* An MBR boot signature, unless it is a protective MBR (only 0xEE
 * records) standing alone: a signed sector with no records in use is
 * boot code, data too. 1 MBR, 0 none or protective, -1 unreadable. */
static int mbr_present(const char *path)
{
	uint8_t s[MBR_SIZE];
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = pread_full(fd, s, sizeof(s), 0);
	close(fd);
	if (n < 0)
		return -1;
	if (n < (ssize_t)sizeof(s) || s[510] != 0x55 || s[511] != 0xAA)
		return 0;
	return mbr_classify(s) != MBR_PROTECTIVE;
}

enum claim_state claim_content(const char *path, struct claim *c)
{
	struct probe_info pi;
	c->state = CLAIM_FREE;
	c->reason = CLAIM_NONE;
	c->why[0] = 0;
	struct bb_error e;
	if (probe_path(path, &pi, &e)) {
		if (e.code == EEXIST)
			return say(c, CLAIM_CONTENT, CLAIM_SIGNATURE,
				   "its signatures could not be probed (more than one signature: "
				   "wipe the stale one first)");
		return say(c, CLAIM_BUSY, CLAIM_UNKNOWN, "cannot be inspected: %s", e.msg);
	}
	if (pi.type[0])
		return say(c, CLAIM_CONTENT, CLAIM_SIGNATURE, "it holds a %s signature", pi.type);
	if (pi.pttype[0] && strcmp(pi.pttype, "PMBR")) /* PMBR: a protective MBR alone */
		return say(c, CLAIM_CONTENT, CLAIM_PARTTABLE, "it has a %s partition table",
			   pi.pttype);
	int rc = mbr_present(path);
	if (rc < 0)
		return doubt(c, path);
	if (rc)
		return say(c, CLAIM_CONTENT, CLAIM_MBR, "it has an MBR (boot signature 55AA)");
	return CLAIM_FREE;
}

enum claim_state claim_check(const struct sysroot *root, const char *path, unsigned flags,
			     struct claim *c)
{
	memset(c, 0, sizeof(*c));
	if (busy(root, path, c))
		return c->state;
	if (flags & CLAIM_STRICT)
		return claim_content(path, c);
	return CLAIM_FREE;
}

int claim_require(const struct sysroot *root, const char *path, unsigned flags,
		  struct bb_error *e)
{
	struct claim c;
	switch (claim_check(root, path, flags, &c)) {
	case CLAIM_FREE:
		return 0;
	case CLAIM_CONTENT:
		return bb_error_set(e, EEXIST, "%s: %s", path, c.why);
	default:
		return bb_error_set(e, EBUSY, "%s: %s", path, c.why);
	}
}
