/* btrfs.c - thin wrappers of the btrfs ioctls (linux/btrfs.h). Argument
 * structs are the kernel's own; items the tree search returns are on-disk
 * bytes, read through endian.h. */
#include "btrfs.h"
#include "crc.h"
#include "endian.h"
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/btrfs.h>
#include <linux/btrfs_tree.h>
#include <linux/magic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/statfs.h>
#include <unistd.h>

int btrfs_open(const char *path, struct bb_error *e)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return bb_error_errno(e, "%s", path);
	struct statfs sf;
	if (fstatfs(fd, &sf)) {
		bb_error_errno(e, "%s: statfs", path);
		close(fd);
		return -1;
	}
	if ((unsigned long)sf.f_type != (unsigned long)BTRFS_SUPER_MAGIC) {
		close(fd);
		return bb_error_set(e, ENOTTY, "%s: not on a btrfs", path);
	}
	return fd;
}

int btrfs_name_check(const char *name, struct bb_error *e)
{
	size_t n = strlen(name);
	if (!n)
		return bb_error_set(e, EINVAL, "empty subvolume name");
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return bb_error_set(e, EINVAL, "'%s' cannot name a subvolume", name);
	if (strchr(name, '/'))
		return bb_error_set(e, EINVAL, "'%s': a subvolume name has no '/'", name);
	if (n > BTRFS_NAME_LEN)
		return bb_error_set(e, ENAMETOOLONG, "subvolume name of %zu bytes: at most %d",
				    n, BTRFS_NAME_LEN);
	return 0;
}

/* ---- subvolumes --------------------------------------------------------- */

/* The three ioctls that take a name in the directory fd is open on. */
static int name_ioctl(int dirfd, unsigned long req, const char *name, int srcfd, uint64_t flags,
		      const char *what, struct bb_error *e)
{
	struct btrfs_ioctl_vol_args_v2 a;
	memset(&a, 0, sizeof(a));
	if (btrfs_name_check(name, e))
		return -1;
	memcpy(a.name, name, strlen(name) + 1);
	a.fd = srcfd;
	a.flags = flags;
	if (ioctl(dirfd, req, &a))
		return bb_error_errno(e, "%s %s", what, name);
	return 0;
}

int btrfs_subvol_create(int dirfd, const char *name, struct bb_error *e)
{
	return name_ioctl(dirfd, BTRFS_IOC_SUBVOL_CREATE_V2, name, 0, 0, "create subvolume", e);
}

int btrfs_snapshot(int srcfd, int dirfd, const char *name, bool readonly, struct bb_error *e)
{
	return name_ioctl(dirfd, BTRFS_IOC_SNAP_CREATE_V2, name, srcfd,
			  readonly ? BTRFS_SUBVOL_RDONLY : 0, "snapshot", e);
}

int btrfs_subvol_delete(int dirfd, const char *name, struct bb_error *e)
{
	return name_ioctl(dirfd, BTRFS_IOC_SNAP_DESTROY_V2, name, 0, 0, "delete subvolume", e);
}

int btrfs_subvol_delete_id(int fd, uint64_t id, struct bb_error *e)
{
	struct btrfs_ioctl_vol_args_v2 a;
	memset(&a, 0, sizeof(a));
	if (id < BTRFS_FIRST_FREE_OBJECTID || id > BTRFS_LAST_FREE_OBJECTID)
		return bb_error_set(e, EINVAL, "%llu is not a subvolume id",
				    (unsigned long long)id);
	a.flags = BTRFS_SUBVOL_SPEC_BY_ID;
	a.subvolid = id;
	if (ioctl(fd, BTRFS_IOC_SNAP_DESTROY_V2, &a))
		return bb_error_errno(e, "delete subvolume %llu", (unsigned long long)id);
	return 0;
}

/* ---- subvolume list ----------------------------------------------------- */

struct sv_list {
	struct btrfs_subvol *v;
	size_t n, cap;
	struct bb_error *e;
};

static struct btrfs_subvol *sv_get(struct sv_list *l, uint64_t id)
{
	if (l->n && l->v[l->n - 1].id == id) /* the search returns keys in order */
		return &l->v[l->n - 1];
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct btrfs_subvol *v = realloc(l->v, cap * sizeof(*v));
		if (!v) {
			bb_error_set(l->e, ENOMEM, "subvolume list: out of memory");
			return NULL;
		}
		l->v = v;
		l->cap = cap;
	}
	struct btrfs_subvol *s = &l->v[l->n++];
	memset(s, 0, sizeof(*s));
	s->id = id;
	return s;
}

/* The path of directory dirid inside subvolume tree, "a/b/" or "". */
static int dir_path(int fd, uint64_t tree, uint64_t dirid, char *out, size_t len,
		    struct bb_error *e)
{
	struct btrfs_ioctl_ino_lookup_args a;
	memset(&a, 0, sizeof(a));
	a.treeid = tree;
	a.objectid = dirid;
	if (ioctl(fd, BTRFS_IOC_INO_LOOKUP, &a))
		return bb_error_errno(e, "look up directory %llu of subvolume %llu",
				      (unsigned long long)dirid, (unsigned long long)tree);
	a.name[sizeof(a.name) - 1] = 0;
	snprintf(out, len, "%s", a.name);
	return 0;
}

/* One item of the search: a ROOT_ITEM (generation, flags) or a
 * ROOT_BACKREF (parent, directory, name). */
static int sv_item(int fd, struct sv_list *l, const struct btrfs_ioctl_search_header *h,
		   const uint8_t *p)
{
	if (h->type == BTRFS_ROOT_ITEM_KEY) {
		if (h->len < offsetof(struct btrfs_root_item, refs))
			return 0;
		struct btrfs_subvol *s = sv_get(l, h->objectid);
		if (!s)
			return -1;
		s->generation = get_le64(p + offsetof(struct btrfs_root_item, generation));
		s->readonly = get_le64(p + offsetof(struct btrfs_root_item, flags)) &
			      BTRFS_ROOT_SUBVOL_RDONLY;
		return 0;
	}
	if (h->type != BTRFS_ROOT_BACKREF_KEY || h->len < sizeof(struct btrfs_root_ref))
		return 0;
	size_t nlen = get_le16(p + offsetof(struct btrfs_root_ref, name_len));
	if (nlen > BTRFS_NAME_LEN || nlen > h->len - sizeof(struct btrfs_root_ref))
		return 0;
	struct btrfs_subvol *s = sv_get(l, h->objectid);
	if (!s)
		return -1;
	s->parent_id = h->offset;
	memcpy(s->name, p + sizeof(struct btrfs_root_ref), nlen);
	s->name[nlen] = 0;
	char dir[BTRFS_INO_LOOKUP_PATH_MAX];
	uint64_t dirid = get_le64(p + offsetof(struct btrfs_root_ref, dirid));
	struct bb_error le = { 0 };
	if (dir_path(fd, h->offset, dirid, dir, sizeof(dir), &le)) {
		if (le.code == ENOENT)
			return 0; /* its parent is being deleted: so is it, left out */
		if (l->e)
			*l->e = le;
		return -1;
	}
	/* the parent's own path is joined once all are known */
	if (asprintf(&s->path, "%s%s", dir, s->name) < 0) {
		s->path = NULL;
		return bb_error_set(l->e, ENOMEM, "subvolume list: out of memory");
	}
	return 0;
}

/* Every ROOT_ITEM and ROOT_BACKREF of subvolume ids, in key order. */
static int sv_search(int fd, struct sv_list *l)
{
	struct btrfs_ioctl_search_args a;
	memset(&a, 0, sizeof(a));
	struct btrfs_ioctl_search_key *k = &a.key;
	k->tree_id = BTRFS_ROOT_TREE_OBJECTID;
	k->min_objectid = BTRFS_FIRST_FREE_OBJECTID;
	k->max_objectid = BTRFS_LAST_FREE_OBJECTID;
	k->min_type = BTRFS_ROOT_ITEM_KEY;
	k->max_type = BTRFS_ROOT_BACKREF_KEY;
	k->max_offset = UINT64_MAX;
	k->max_transid = UINT64_MAX;
	for (;;) {
		k->nr_items = 4096;
		if (ioctl(fd, BTRFS_IOC_TREE_SEARCH, &a))
			return bb_error_errno(l->e, "search the root tree");
		if (!k->nr_items)
			return 0;
		size_t off = 0;
		struct btrfs_ioctl_search_header h;
		for (uint32_t i = 0; i < k->nr_items; i++) {
			if (off + sizeof(h) > sizeof(a.buf))
				return bb_error_set(l->e, EIO, "root tree search: item past the buffer");
			memcpy(&h, a.buf + off, sizeof(h));
			off += sizeof(h);
			if (h.len > sizeof(a.buf) - off)
				return bb_error_set(l->e, EIO, "root tree search: item past the buffer");
			if (sv_item(fd, l, &h, (const uint8_t *)a.buf + off))
				return -1;
			off += h.len;
		}
		/* go on after the last key returned */
		k->min_objectid = h.objectid;
		k->min_type = h.type;
		k->min_offset = h.offset + 1;
		if (h.offset == UINT64_MAX) {
			k->min_offset = 0;
			if (++k->min_type > BTRFS_ROOT_BACKREF_KEY) {
				k->min_type = BTRFS_ROOT_ITEM_KEY;
				if (h.objectid == BTRFS_LAST_FREE_OBJECTID)
					return 0;
				k->min_objectid++;
			}
		}
	}
}

static int cmp_id(const void *key, const void *elem)
{
	uint64_t id = *(const uint64_t *)key, other = ((const struct btrfs_subvol *)elem)->id;
	return id < other ? -1 : id > other;
}

/* Prefix each path with its parent's. A subvolume moved into another
 * can have a lower id than its parent, so this repeats until every path
 * whose parents are known is complete (one round per level of nesting).
 * l->v is sorted by id: the search returns keys in order. */
static int sv_join(struct sv_list *l)
{
	bool *done = calloc(l->n ? l->n : 1, sizeof(*done));
	if (!done)
		return bb_error_set(l->e, ENOMEM, "subvolume list: out of memory");
	for (bool progress = true; progress;) {
		progress = false;
		for (size_t i = 0; i < l->n; i++) {
			struct btrfs_subvol *s = &l->v[i];
			if (done[i])
				continue;
			if (s->parent_id == BTRFS_TOP_ID) {
				done[i] = progress = true;
				continue;
			}
			struct btrfs_subvol *p = bsearch(&s->parent_id, l->v, l->n, sizeof(*s), cmp_id);
			if (!p || !done[p - l->v])
				continue; /* not yet, or a parent being deleted: path stays relative */
			char *full;
			if (asprintf(&full, "%s/%s", p->path, s->path) < 0) {
				free(done);
				return bb_error_set(l->e, ENOMEM, "subvolume list: out of memory");
			}
			free(s->path);
			s->path = full;
			done[i] = progress = true;
		}
	}
	free(done);
	return 0;
}

int btrfs_subvol_list(int fd, struct btrfs_subvol **out, size_t *n, struct bb_error *e)
{
	struct sv_list l = { .e = e };
	*out = NULL;
	*n = 0;
	if (sv_search(fd, &l)) {
		btrfs_subvol_list_free(l.v, l.n);
		return -1;
	}
	/* a root item without a back reference is a deleted subvolume
	 * waiting for the cleaner (or a tree that is not a subvolume) */
	size_t kept = 0;
	for (size_t i = 0; i < l.n; i++) {
		if (l.v[i].path)
			l.v[kept++] = l.v[i];
	}
	l.n = kept;
	if (sv_join(&l)) {
		btrfs_subvol_list_free(l.v, l.n);
		return -1;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

void btrfs_subvol_list_free(struct btrfs_subvol *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i].path);
	free(l);
}

/* ---- quotas ------------------------------------------------------------- */

int btrfs_quota_enable(int fd, struct bb_error *e)
{
	struct btrfs_ioctl_quota_ctl_args a = { .cmd = BTRFS_QUOTA_CTL_ENABLE };
	if (ioctl(fd, BTRFS_IOC_QUOTA_CTL, &a))
		return bb_error_errno(e, "enable quotas");
	return 0;
}

int btrfs_qgroup_limit(int fd, uint64_t id, uint64_t max_referenced, struct bb_error *e)
{
	struct btrfs_ioctl_qgroup_limit_args a;
	memset(&a, 0, sizeof(a));
	a.qgroupid = id; /* level 0: the qgroup id is the subvolume id */
	a.lim.flags = BTRFS_QGROUP_LIMIT_MAX_RFER;
	a.lim.max_rfer = max_referenced; /* (u64)-1 is the kernel's "none" */
	if (ioctl(fd, BTRFS_IOC_QGROUP_LIMIT, &a)) {
		if (errno == ENOTCONN)
			return bb_error_set(e, ENOTCONN, "limit qgroup 0/%llu: quotas are not enabled",
					    (unsigned long long)id);
		return bb_error_errno(e, "limit qgroup 0/%llu", (unsigned long long)id);
	}
	return 0;
}

/* ---- scrub -------------------------------------------------------------- */

static void scrub_copy(struct btrfs_scrub_stats *st, const struct btrfs_scrub_progress *p)
{
	if (!st)
		return;
	*st = (struct btrfs_scrub_stats){
		.data_extents = p->data_extents_scrubbed,
		.tree_extents = p->tree_extents_scrubbed,
		.data_bytes = p->data_bytes_scrubbed,
		.tree_bytes = p->tree_bytes_scrubbed,
		.read_errors = p->read_errors,
		.csum_errors = p->csum_errors,
		.verify_errors = p->verify_errors,
		.super_errors = p->super_errors,
		.uncorrectable_errors = p->uncorrectable_errors,
		.corrected_errors = p->corrected_errors,
		.unverified_errors = p->unverified_errors,
		.malloc_errors = p->malloc_errors,
		.no_csum = p->no_csum,
		.csum_discards = p->csum_discards,
		.last_physical = p->last_physical,
	};
}

int btrfs_scrub_start(int fd, uint64_t devid, bool readonly, struct btrfs_scrub_stats *st,
		      struct bb_error *e)
{
	struct btrfs_ioctl_scrub_args a;
	memset(&a, 0, sizeof(a));
	a.devid = devid;
	a.end = UINT64_MAX;
	a.flags = readonly ? BTRFS_SCRUB_READONLY : 0;
	int r = ioctl(fd, BTRFS_IOC_SCRUB, &a);
	int err = errno;
	scrub_copy(st, &a.progress);
	if (r) {
		errno = err;
		if (err == ECANCELED)
			return bb_error_set(e, ECANCELED, "scrub of device %llu: cancelled",
					    (unsigned long long)devid);
		return bb_error_errno(e, "scrub device %llu", (unsigned long long)devid);
	}
	return 0;
}

int btrfs_scrub_progress(int fd, uint64_t devid, struct btrfs_scrub_stats *st, struct bb_error *e)
{
	struct btrfs_ioctl_scrub_args a;
	memset(&a, 0, sizeof(a));
	a.devid = devid;
	if (ioctl(fd, BTRFS_IOC_SCRUB_PROGRESS, &a)) {
		if (errno == ENOTCONN)
			return bb_error_set(e, ENOTCONN, "scrub of device %llu: not running",
					    (unsigned long long)devid);
		return bb_error_errno(e, "scrub progress of device %llu", (unsigned long long)devid);
	}
	scrub_copy(st, &a.progress);
	return 0;
}

int btrfs_scrub_cancel(int fd, struct bb_error *e)
{
	if (ioctl(fd, BTRFS_IOC_SCRUB_CANCEL, NULL)) {
		if (errno == ENOTCONN)
			return bb_error_set(e, ENOTCONN, "cancel scrub: none is running");
		return bb_error_errno(e, "cancel scrub");
	}
	return 0;
}

/* ---- balance ------------------------------------------------------------ */

static void balance_copy(struct btrfs_balance_status *st, const struct btrfs_ioctl_balance_args *a)
{
	if (!st)
		return;
	st->running = a->state & BTRFS_BALANCE_STATE_RUNNING;
	st->pause_requested = a->state & BTRFS_BALANCE_STATE_PAUSE_REQ;
	st->cancel_requested = a->state & BTRFS_BALANCE_STATE_CANCEL_REQ;
	st->expected = a->stat.expected;
	st->considered = a->stat.considered;
	st->completed = a->stat.completed;
}

static void balance_args(struct btrfs_balance_args *b, const struct btrfs_balance_filter *f)
{
	memset(b, 0, sizeof(*b));
	if (f->usage >= 0) {
		b->flags |= BTRFS_BALANCE_ARGS_USAGE;
		b->usage = (uint64_t)f->usage;
	}
	if (f->limit) {
		b->flags |= BTRFS_BALANCE_ARGS_LIMIT;
		b->limit = f->limit;
	}
	if (f->convert) {
		b->flags |= BTRFS_BALANCE_ARGS_CONVERT | BTRFS_BALANCE_ARGS_SOFT;
		b->target = f->convert;
	}
}

int btrfs_balance_start(int fd, const struct btrfs_balance_filter *f,
			struct btrfs_balance_status *st, struct bb_error *e)
{
	struct btrfs_balance_filter all = { 0, -1, 0, 0 };
	if (!f)
		f = &all;
	if (f->usage > 100)
		return bb_error_set(e, EINVAL, "balance: usage filter %d%% is above 100%%", f->usage);
	unsigned types = f->types ? f->types : BTRFS_BAL_DATA | BTRFS_BAL_METADATA | BTRFS_BAL_SYSTEM;
	struct btrfs_ioctl_balance_args a;
	memset(&a, 0, sizeof(a));
	if (types & BTRFS_BAL_DATA) {
		a.flags |= BTRFS_BALANCE_DATA;
		balance_args(&a.data, f);
	}
	if (types & BTRFS_BAL_METADATA) {
		a.flags |= BTRFS_BALANCE_METADATA;
		balance_args(&a.meta, f);
	}
	if (types & BTRFS_BAL_SYSTEM) {
		a.flags |= BTRFS_BALANCE_SYSTEM;
		balance_args(&a.sys, f);
	}
	int r = ioctl(fd, BTRFS_IOC_BALANCE_V2, &a);
	int err = errno;
	balance_copy(st, &a);
	if (!r)
		return 0;
	if (err == ECANCELED)
		return bb_error_set(e, ECANCELED, "balance %s",
				    a.state & BTRFS_BALANCE_STATE_PAUSE_REQ ? "paused" : "cancelled");
	if (err == EINPROGRESS)
		return bb_error_set(e, EINPROGRESS, "balance: another one is running or paused");
	errno = err;
	return bb_error_errno(e, "balance");
}

int btrfs_balance_progress(int fd, struct btrfs_balance_status *st, struct bb_error *e)
{
	struct btrfs_ioctl_balance_args a;
	memset(&a, 0, sizeof(a));
	if (ioctl(fd, BTRFS_IOC_BALANCE_PROGRESS, &a)) {
		if (errno == ENOTCONN)
			return bb_error_set(e, ENOTCONN, "balance: none running or paused");
		return bb_error_errno(e, "balance progress");
	}
	balance_copy(st, &a);
	return 0;
}

static int balance_ctl(int fd, int cmd, const char *what, struct bb_error *e)
{
	if (ioctl(fd, BTRFS_IOC_BALANCE_CTL, cmd)) {
		if (errno == ENOTCONN)
			return bb_error_set(e, ENOTCONN, "%s balance: none is running", what);
		return bb_error_errno(e, "%s balance", what);
	}
	return 0;
}

int btrfs_balance_pause(int fd, struct bb_error *e)
{
	return balance_ctl(fd, BTRFS_BALANCE_CTL_PAUSE, "pause", e);
}

int btrfs_balance_cancel(int fd, struct bb_error *e)
{
	return balance_ctl(fd, BTRFS_BALANCE_CTL_CANCEL, "cancel", e);
}

/* ---- devices and space -------------------------------------------------- */

int btrfs_dev_stats(int fd, uint64_t devid, bool reset, struct btrfs_dev_stats *st,
		    struct bb_error *e)
{
	struct btrfs_ioctl_get_dev_stats a;
	memset(&a, 0, sizeof(a));
	a.devid = devid;
	a.nr_items = BTRFS_DEV_STAT_VALUES_MAX;
	a.flags = reset ? BTRFS_DEV_STATS_RESET : 0;
	if (ioctl(fd, BTRFS_IOC_GET_DEV_STATS, &a))
		return bb_error_errno(e, "error counters of device %llu", (unsigned long long)devid);
	/* an older kernel fills fewer; the rest stay 0 */
	uint64_t v[BTRFS_DEV_STAT_VALUES_MAX] = { 0 };
	for (uint64_t i = 0; i < a.nr_items && i < BTRFS_DEV_STAT_VALUES_MAX; i++)
		v[i] = a.values[i];
	*st = (struct btrfs_dev_stats){
		.write_errs = v[BTRFS_DEV_STAT_WRITE_ERRS],
		.read_errs = v[BTRFS_DEV_STAT_READ_ERRS],
		.flush_errs = v[BTRFS_DEV_STAT_FLUSH_ERRS],
		.corruption_errs = v[BTRFS_DEV_STAT_CORRUPTION_ERRS],
		.generation_errs = v[BTRFS_DEV_STAT_GENERATION_ERRS],
	};
	return 0;
}

/* Names as `btrfs filesystem df` prints them. */
static void space_names(struct btrfs_space *s)
{
	uint64_t t = s->flags & (BTRFS_BLOCK_GROUP_TYPE_MASK | BTRFS_SPACE_INFO_GLOBAL_RSV);
	const char *type = t == BTRFS_BLOCK_GROUP_DATA		? "Data"
			   : t == BTRFS_BLOCK_GROUP_METADATA	? "Metadata"
			   : t == BTRFS_BLOCK_GROUP_SYSTEM	? "System"
			   : t == (BTRFS_BLOCK_GROUP_DATA | BTRFS_BLOCK_GROUP_METADATA) ? "Data+Metadata"
			   : t & BTRFS_SPACE_INFO_GLOBAL_RSV	? "GlobalReserve"
								: "unknown";
	static const struct {
		uint64_t bit;
		const char *name;
	} prof[] = {
		{ BTRFS_BLOCK_GROUP_RAID0, "RAID0" },	{ BTRFS_BLOCK_GROUP_RAID1, "RAID1" },
		{ BTRFS_BLOCK_GROUP_DUP, "DUP" },	{ BTRFS_BLOCK_GROUP_RAID10, "RAID10" },
		{ BTRFS_BLOCK_GROUP_RAID5, "RAID5" },	{ BTRFS_BLOCK_GROUP_RAID6, "RAID6" },
		{ BTRFS_BLOCK_GROUP_RAID1C3, "RAID1C3" }, { BTRFS_BLOCK_GROUP_RAID1C4, "RAID1C4" },
	};
	const char *profile = "single";
	for (size_t i = 0; i < sizeof(prof) / sizeof(prof[0]); i++)
		if (s->flags & prof[i].bit)
			profile = prof[i].name;
	snprintf(s->type, sizeof(s->type), "%s", type);
	snprintf(s->profile, sizeof(s->profile), "%s", profile);
}

int btrfs_space_info(int fd, struct btrfs_space **out, size_t *n, struct bb_error *e)
{
	*out = NULL;
	*n = 0;
	/* 0 slots: the kernel only says how many there are */
	struct btrfs_ioctl_space_args head = { 0 };
	if (ioctl(fd, BTRFS_IOC_SPACE_INFO, &head))
		return bb_error_errno(e, "space info");
	for (int tries = 0; tries < 4; tries++) {
		uint64_t slots = head.total_spaces + 2; /* a kind may appear meanwhile */
		if (slots > 256)
			return bb_error_set(e, EIO, "space info: %llu kinds of space",
					    (unsigned long long)head.total_spaces);
		struct btrfs_ioctl_space_args *a =
			calloc(1, sizeof(*a) + slots * sizeof(struct btrfs_ioctl_space_info));
		if (!a)
			return bb_error_set(e, ENOMEM, "space info: out of memory");
		a->space_slots = slots;
		if (ioctl(fd, BTRFS_IOC_SPACE_INFO, a)) {
			bb_error_errno(e, "space info");
			free(a);
			return -1;
		}
		if (a->total_spaces > slots) { /* grew past the margin: ask again */
			head.total_spaces = a->total_spaces;
			free(a);
			continue;
		}
		struct btrfs_space *v = calloc(a->total_spaces ? a->total_spaces : 1, sizeof(*v));
		if (!v) {
			free(a);
			return bb_error_set(e, ENOMEM, "space info: out of memory");
		}
		for (uint64_t i = 0; i < a->total_spaces; i++) {
			v[i].flags = a->spaces[i].flags;
			v[i].total = a->spaces[i].total_bytes;
			v[i].used = a->spaces[i].used_bytes;
			space_names(&v[i]);
		}
		*n = a->total_spaces;
		*out = v;
		free(a);
		return 0;
	}
	return bb_error_set(e, EAGAIN, "space info: the kinds of space kept changing");
}

int btrfs_fs_info(int fd, struct btrfs_fs_info *fi, struct bb_error *e)
{
	struct btrfs_ioctl_fs_info_args a;
	memset(&a, 0, sizeof(a));
	a.flags = BTRFS_FS_INFO_FLAG_GENERATION;
	if (ioctl(fd, BTRFS_IOC_FS_INFO, &a))
		return bb_error_errno(e, "filesystem info");
	memset(fi, 0, sizeof(*fi));
	fi->max_id = a.max_id;
	fi->num_devices = a.num_devices;
	memcpy(fi->fsid, a.fsid, sizeof(fi->fsid));
	fi->nodesize = a.nodesize;
	fi->sectorsize = a.sectorsize;
	/* the kernel clears the flags it did not fill */
	fi->generation = a.flags & BTRFS_FS_INFO_FLAG_GENERATION ? a.generation : 0;
	return 0;
}

int btrfs_dev_info(int fd, uint64_t devid, struct btrfs_dev_info *di, struct bb_error *e)
{
	struct btrfs_ioctl_dev_info_args a;
	memset(&a, 0, sizeof(a));
	a.devid = devid;
	if (ioctl(fd, BTRFS_IOC_DEV_INFO, &a)) {
		if (errno == ENODEV)
			return bb_error_set(e, ENODEV, "no device %llu", (unsigned long long)devid);
		return bb_error_errno(e, "device %llu info", (unsigned long long)devid);
	}
	memset(di, 0, sizeof(*di));
	di->devid = a.devid;
	memcpy(di->uuid, a.uuid, sizeof(di->uuid));
	di->bytes_used = a.bytes_used;
	di->total_bytes = a.total_bytes;
	size_t n = strnlen((const char *)a.path, sizeof(a.path));
	if (n >= sizeof(di->path))
		n = sizeof(di->path) - 1;
	memcpy(di->path, a.path, n);
	di->path[n] = 0;
	return 0;
}

int btrfs_devices(int fd, struct btrfs_dev_info **out, size_t *n, struct bb_error *e)
{
	struct btrfs_fs_info fi;
	*out = NULL;
	*n = 0;
	if (btrfs_fs_info(fd, &fi, e))
		return -1;
	if (fi.num_devices > 65536 || fi.max_id > UINT64_MAX - 1)
		return bb_error_set(e, EIO, "filesystem info: %llu devices",
				    (unsigned long long)fi.num_devices);
	struct btrfs_dev_info *v = calloc(fi.num_devices ? fi.num_devices : 1, sizeof(*v));
	if (!v)
		return bb_error_set(e, ENOMEM, "devices: out of memory");
	size_t k = 0;
	for (uint64_t id = 1; id <= fi.max_id && k < fi.num_devices; id++) {
		struct bb_error le = { 0 };
		if (!btrfs_dev_info(fd, id, &v[k], &le)) {
			k++;
		} else if (le.code != ENODEV) { /* ENODEV: a gap left by a removed device */
			if (e)
				*e = le;
			free(v);
			return -1;
		}
	}
	*out = v;
	*n = k;
	return 0;
}

/* ---- size and layout ---------------------------------------------------- */

int btrfs_resize_check(const char *size, struct bb_error *e)
{
	if (!strcmp(size, "max"))
		return 0;
	const char *p = size;
	if (*p == '+' || *p == '-')
		p++;
	size_t digits = strspn(p, "0123456789");
	if (!digits || digits > 20 || (p[digits] && (p[digits + 1] || !strchr("kKmMgGtTpPeE", p[digits]))))
		return bb_error_set(e, EINVAL,
				    "resize to '%s': want max, N, +N or -N (bytes, k/m/g/t/p/e suffix)",
				    size);
	return 0;
}

int btrfs_resize(int fd, uint64_t devid, const char *size, struct bb_error *e)
{
	if (btrfs_resize_check(size, e))
		return -1;
	if (!devid)
		return bb_error_set(e, EINVAL, "resize: device id 0");
	struct btrfs_ioctl_vol_args a;
	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "%llu:%s", (unsigned long long)devid, size);
	if (!ioctl(fd, BTRFS_IOC_RESIZE, &a))
		return 0;
	/* the size is well-formed here: EINVAL is the kernel refusing a result
	 * under its floor (or a shrink by more than the device holds) */
	if (errno == EINVAL)
		return bb_error_set(e, EINVAL, "resize device %llu to %s: the result would be under btrfs's 256 MiB minimum",
				    (unsigned long long)devid, size);
	return bb_error_errno(e, "resize device %llu to %s", (unsigned long long)devid, size);
}

int btrfs_defrag_range(int fd, uint64_t start, uint64_t len, bool start_io, struct bb_error *e)
{
	struct btrfs_ioctl_defrag_range_args a;
	memset(&a, 0, sizeof(a));
	a.start = start;
	a.len = len;
	a.flags = start_io ? BTRFS_DEFRAG_RANGE_START_IO : 0;
	if (ioctl(fd, BTRFS_IOC_DEFRAG_RANGE, &a))
		return bb_error_errno(e, "defragment");
	return 0;
}

/* ---- device registration ------------------------------------------------ */

static int control_ioctl(const struct sysroot *root, unsigned long req, const char *path,
			 const char *what, struct bb_error *e)
{
	char ctl[PATH_MAX];
	struct btrfs_ioctl_vol_args a;
	memset(&a, 0, sizeof(a));
	if (strlen(path) >= sizeof(a.name))
		return bb_error_set(e, ENAMETOOLONG, "%s: path too long", path);
	snprintf(a.name, sizeof(a.name), "%s", path);
	snprintf(ctl, sizeof(ctl), "%s/btrfs-control", root->dev);
	int fd = open(ctl, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return bb_error_errno(e, "%s", ctl);
	int r = ioctl(fd, req, &a);
	int err = errno;
	close(fd);
	if (r < 0) {
		errno = err;
		return bb_error_errno(e, "%s: %s", path, what);
	}
	return r;
}

int btrfs_device_scan(const struct sysroot *root, const char *path, struct bb_error *e)
{
	return control_ioctl(root, BTRFS_IOC_SCAN_DEV, path, "register btrfs device", e) < 0 ? -1 : 0;
}

int btrfs_devices_ready(const struct sysroot *root, const char *path, struct bb_error *e)
{
	/* the kernel answers 0 when every device is there, 1 when not */
	int r = control_ioctl(root, BTRFS_IOC_DEVICES_READY, path, "btrfs devices ready", e);
	return r < 0 ? -1 : r == 0;
}

/* ---- a member's superblock ------------------------------------------------ */

/* Byte offsets of struct btrfs_super_block and its embedded dev_item. */
enum {
	SB_CSUM = 0x00, SB_FSID = 0x20, SB_BYTENR = 0x30, SB_MAGIC = 0x40, SB_GENERATION = 0x48,
	SB_TOTAL_BYTES = 0x70, SB_BYTES_USED = 0x78, SB_NUM_DEVICES = 0x88,
	SB_SECTORSIZE = 0x90, SB_NODESIZE = 0x94, SB_CSUM_TYPE = 0xc4, SB_DEV_ITEM = 0xc9,
	SB_LABEL = 0x12b, SB_UUID_TREE_GENERATION = 0x233,
	DI_DEVID = 0x00, DI_TOTAL_BYTES = 0x08, DI_UUID = 0x42, DI_FSID = 0x52,
};

int btrfs_super_parse(const uint8_t *buf, size_t len, struct btrfs_super *s, const char **why)
{
	memset(s, 0, sizeof(*s));
	if (len < BTRFS_SUPER_SIZE || memcmp(buf + SB_MAGIC, "_BHRfS_M", 8))
		return *why = "no btrfs superblock", -1;
	if (get_le64(buf + SB_BYTENR) != BTRFS_SUPER_OFFSET)
		return *why = "btrfs superblock: not the primary copy", -1;
	s->csum_type = get_le16(buf + SB_CSUM_TYPE);
	if (s->csum_type == 0) {
		uint32_t c = crc32c(0, buf + 0x20, BTRFS_SUPER_SIZE - 0x20);
		if (c != get_le32(buf + SB_CSUM))
			return *why = "btrfs superblock: bad checksum", -1;
		s->csum_checked = true;
	}
	const uint8_t *di = buf + SB_DEV_ITEM;
	if (memcmp(di + DI_FSID, buf + SB_FSID, 16) && !(get_le64(buf + 0xbc) & (1u << 10)))
		return *why = "btrfs superblock: the device belongs to another filesystem", -1;
	memcpy(s->fsid, buf + SB_FSID, 16);
	s->generation = get_le64(buf + SB_GENERATION);
	s->num_devices = get_le64(buf + SB_NUM_DEVICES);
	s->total_bytes = get_le64(buf + SB_TOTAL_BYTES);
	s->bytes_used = get_le64(buf + SB_BYTES_USED);
	s->sectorsize = get_le32(buf + SB_SECTORSIZE);
	s->nodesize = get_le32(buf + SB_NODESIZE);
	s->devid = get_le64(di + DI_DEVID);
	s->dev_total_bytes = get_le64(di + DI_TOTAL_BYTES);
	memcpy(s->dev_uuid, di + DI_UUID, 16);
	memcpy(s->label, buf + SB_LABEL, 255);
	s->label[255] = 0;
	s->uuid_tree_generation = get_le64(buf + SB_UUID_TREE_GENERATION);
	return 0;
}

int btrfs_super_read(int fd, struct btrfs_super *s, struct bb_error *e)
{
	uint8_t *buf = malloc(BTRFS_SUPER_SIZE);
	if (!buf)
		return bb_error_errno(e, "read the btrfs superblock");
	ssize_t n = pread_full(fd, buf, BTRFS_SUPER_SIZE, BTRFS_SUPER_OFFSET);
	const char *why;
	int r = 0;
	if (n < 0)
		r = bb_error_errno(e, "read the btrfs superblock");
	else if (btrfs_super_parse(buf, (size_t)n, s, &why))
		r = BTRFS_SUPER_NONE;
	free(buf);
	return r;
}

/* ---- replacing a device --------------------------------------------------- */

int btrfs_replace_start(int fd, uint64_t srcdevid, const char *tgt, struct bb_error *e)
{
	struct btrfs_ioctl_dev_replace_args a;
	memset(&a, 0, sizeof(a));
	a.cmd = BTRFS_IOCTL_DEV_REPLACE_CMD_START;
	a.start.srcdevid = srcdevid;
	a.start.cont_reading_from_srcdev_mode = BTRFS_IOCTL_DEV_REPLACE_CONT_READING_FROM_SRCDEV_MODE_AVOID;
	if (strlen(tgt) >= sizeof(a.start.tgtdev_name))
		return bb_error_set(e, ENAMETOOLONG, "replace device %llu: target path too long",
				    (unsigned long long)srcdevid);
	memcpy(a.start.tgtdev_name, tgt, strlen(tgt) + 1);
	if (ioctl(fd, BTRFS_IOC_DEV_REPLACE, &a) < 0)
		return bb_error_errno(e, "replace device %llu with %s", (unsigned long long)srcdevid, tgt);
	if (a.result == BTRFS_IOCTL_DEV_REPLACE_RESULT_ALREADY_STARTED)
		return bb_error_set(e, EINPROGRESS, "replace device %llu: a replace is running already",
				    (unsigned long long)srcdevid);
	if (a.result == BTRFS_IOCTL_DEV_REPLACE_RESULT_SCRUB_INPROGRESS)
		return bb_error_set(e, EBUSY, "replace device %llu: a scrub is running",
				    (unsigned long long)srcdevid);
	if (a.result != BTRFS_IOCTL_DEV_REPLACE_RESULT_NO_ERROR)
		return bb_error_set(e, EIO, "replace device %llu: the kernel answered %llu",
				    (unsigned long long)srcdevid, (unsigned long long)a.result);
	return 0;
}

int btrfs_replace_status(int fd, unsigned *permille, unsigned *state, struct bb_error *e)
{
	struct btrfs_ioctl_dev_replace_args a;
	memset(&a, 0, sizeof(a));
	a.cmd = BTRFS_IOCTL_DEV_REPLACE_CMD_STATUS;
	if (ioctl(fd, BTRFS_IOC_DEV_REPLACE, &a) < 0)
		return bb_error_errno(e, "replace status");
	*permille = a.status.progress_1000 > 1000 ? 1000 : (unsigned)a.status.progress_1000;
	*state = (unsigned)a.status.replace_state;
	return 0;
}
