/* md.c - md arrays and members from /sys/block/mdX/md/. */
#include "md.h"
#include "io.h"
#include "num.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- values --------------------------------------------------------- */

/* "DONE / TOTAL" in sectors; "none" and "delayed" mean no numbers. */
int md_parse_sync_completed(const char *s, uint64_t *done, uint64_t *total)
{
	char a[24], b[24];
	*done = *total = MD_UNKNOWN;
	const char *slash = strstr(s, " / ");
	if (!slash || (size_t)(slash - s) >= sizeof(a) || strlen(slash + 3) >= sizeof(b))
		return -1;
	memcpy(a, s, (size_t)(slash - s));
	a[slash - s] = 0;
	snprintf(b, sizeof(b), "%s", slash + 3);
	uint64_t d, t;
	if (num_dec_u64(a, 0, UINT64_MAX, &d, NULL) || num_dec_u64(b, 0, UINT64_MAX, &t, NULL) || t == 0)
		return -1;
	*done = d;
	*total = t;
	return 0;
}

static const struct {
	const char *word;
	unsigned bit;
} state_words[] = {
	{ "faulty", MD_FAULTY },
	{ "in_sync", MD_IN_SYNC },
	{ "spare", MD_SPARE },
	{ "write_mostly", MD_WRITE_MOSTLY },
	{ "blocked", MD_BLOCKED },
	{ "write_error", MD_WRITE_ERROR },
	{ "want_replacement", MD_WANT_REPLACEMENT },
	{ "replacement", MD_REPLACEMENT },
	{ "journal", MD_JOURNAL },
	{ "failfast", MD_FAILFAST },
	{ "external_bbl", MD_EXTERNAL_BBL },
};

unsigned md_parse_member_state(const char *s)
{
	unsigned state = 0;
	while (*s) {
		size_t n = strcspn(s, ", \t");
		if (n) {
			unsigned bit = MD_OTHER;
			for (size_t i = 0; i < sizeof(state_words) / sizeof(state_words[0]); i++)
				if (strlen(state_words[i].word) == n && !memcmp(s, state_words[i].word, n))
					bit = state_words[i].bit;
			state |= bit;
		}
		s += n;
		s += strspn(s, ", \t");
	}
	return state;
}

/* Whole words only: one that does not fit is left out, not cut. */
static size_t append_word(char *buf, size_t len, size_t used, const char *word)
{
	size_t n = strlen(word) + (used ? 1 : 0);
	if (used + n >= len)
		return used;
	snprintf(buf + used, len - used, "%s%s", used ? "," : "", word);
	return used + n;
}

void md_member_state_str(unsigned state, char *buf, size_t len)
{
	size_t used = 0;
	if (len)
		buf[0] = 0;
	for (size_t i = 0; i < sizeof(state_words) / sizeof(state_words[0]); i++) {
		if (!(state & state_words[i].bit))
			continue;
		size_t was = used;
		used = append_word(buf, len, used, state_words[i].word);
		if (used == was)
			return; /* the rest would read as the whole state */
	}
	if (state & MD_OTHER)
		append_word(buf, len, used, "other");
}

/* Words the kernel writes: level, array_state, sync_action, metadata
 * ("external:/md127/0" has a slash). Anything else is not shown. */
int md_parse_word(const char *s, char *out, size_t len)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:/-");
	out[0] = 0;
	if (!n || s[n] || n >= len)
		return -1;
	memcpy(out, s, n + 1);
	return 0;
}

int md_sync_permille(const struct md_array *a)
{
	if (a->sync_total == MD_UNKNOWN || a->sync_done == MD_UNKNOWN || !a->sync_total)
		return -1;
	if (a->sync_done >= a->sync_total)
		return 1000;
	return (int)((unsigned __int128)a->sync_done * 1000 / a->sync_total);
}

/* ---- attributes ----------------------------------------------------- */

/* The first line of DIR/NAME, blanks at its end removed. A FIFO or device
 * planted in the tree is refused, not waited on. */
static int attr(const char *dir, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];
	struct stat st;
	const char *why;
	buf[0] = 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -1;
	int fd = open_regular(path, O_RDONLY, &st, &why);
	if (fd < 0)
		return -1;
	ssize_t n = read_full(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	size_t l = strlen(buf);
	while (l && (buf[l - 1] == ' ' || buf[l - 1] == '\t' || buf[l - 1] == '\r'))
		buf[--l] = 0;
	return 0;
}

static uint64_t attr_u64(const char *dir, const char *name)
{
	char buf[32];
	uint64_t v;
	if (attr(dir, name, buf, sizeof(buf)) || num_dec_u64(buf, 0, UINT64_MAX, &v, NULL))
		return MD_UNKNOWN;
	return v;
}

static void attr_word(const char *dir, const char *name, char *out, size_t len)
{
	char buf[64];
	if (attr(dir, name, buf, sizeof(buf)) || md_parse_word(buf, out, len))
		out[0] = 0;
}

/* ---- members -------------------------------------------------------- */

/* A kernel block device name: printable, no blank, no slash. */
static bool dev_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (!n || n >= BLKDEV_NAME || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f || *s == '/')
			return false;
	return true;
}

/* dev-NAME/block links to the member's block device; its last component
 * is the device's name. Without the link, NAME is (the kernel uses the
 * same bdevname for both). */
static void member_dev(const char *mdir, const char *entry, char *out, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	out[0] = 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s/block", mdir, entry) < sizeof(path)) {
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = 0;
			const char *base = strrchr(target, '/');
			base = base ? base + 1 : target;
			if (dev_name_ok(base)) {
				snprintf(out, len, "%s", base);
				return;
			}
		}
	}
	if (dev_name_ok(entry + 4))
		snprintf(out, len, "%s", entry + 4);
}

static void read_member(const char *mdir, const char *entry, struct md_member *m)
{
	char dir[PATH_MAX], buf[128];
	memset(m, 0, sizeof(*m));
	member_dev(mdir, entry, m->dev, sizeof(m->dev));
	snprintf(dir, sizeof(dir), "%s/%s", mdir, entry);
	if (!attr(dir, "state", buf, sizeof(buf)))
		m->state = md_parse_member_state(buf);
	m->slot = attr_u64(dir, "slot"); /* "none" -> MD_UNKNOWN */
	m->errors = attr_u64(dir, "errors");
}

static int cmp_member(const void *pa, const void *pb)
{
	const struct md_member *a = pa, *b = pb;
	if (a->slot != b->slot)
		return a->slot < b->slot ? -1 : 1;
	return strcmp(a->dev, b->dev);
}

static int read_members(const char *mdir, struct md_array *a, struct bb_error *e)
{
	DIR *d = opendir(mdir);
	if (!d)
		return bb_error_errno(e, "%s: read md members", a->name);
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) && a->nmembers < MD_MAX_MEMBERS) {
		if (strncmp(de->d_name, "dev-", 4) || !dev_name_ok(de->d_name + 4))
			continue;
		if (a->nmembers == cap) {
			cap = cap ? cap * 2 : 4;
			struct md_member *m = realloc(a->members, cap * sizeof(*m));
			if (!m) {
				closedir(d);
				return bb_error_set(e, ENOMEM, "%s: members: out of memory", a->name);
			}
			a->members = m;
		}
		struct md_member *m = &a->members[a->nmembers];
		read_member(mdir, de->d_name, m);
		if (m->dev[0])
			a->nmembers++;
	}
	closedir(d);
	if (a->nmembers)
		qsort(a->members, a->nmembers, sizeof(*a->members), cmp_member);
	return 0;
}

/* ---- arrays --------------------------------------------------------- */

static void read_attrs(const char *mdir, struct md_array *a)
{
	char buf[64];
	attr_word(mdir, "level", a->level, sizeof(a->level));
	attr_word(mdir, "array_state", a->array_state, sizeof(a->array_state));
	attr_word(mdir, "sync_action", a->sync_action, sizeof(a->sync_action));
	attr_word(mdir, "metadata_version", a->metadata, sizeof(a->metadata));
	a->raid_disks = attr_u64(mdir, "raid_disks");
	a->degraded = attr_u64(mdir, "degraded");
	a->mismatch_cnt = attr_u64(mdir, "mismatch_cnt");
	a->sync_speed = attr_u64(mdir, "sync_speed"); /* "none" -> MD_UNKNOWN */
	if (attr(mdir, "sync_completed", buf, sizeof(buf)) ||
	    md_parse_sync_completed(buf, &a->sync_done, &a->sync_total))
		a->sync_done = a->sync_total = MD_UNKNOWN;
}

int md_read(const struct sysroot *root, const char *name, struct md_array *a, struct bb_error *e)
{
	char dir[PATH_MAX], mdir[PATH_MAX];
	struct stat st;
	memset(a, 0, sizeof(*a));
	if (!strncmp(name, "/dev/", 5))
		name += 5;
	if (!dev_name_ok(name))
		return bb_error_set(e, EINVAL, "'%s': not a block device name", name);
	snprintf(a->name, sizeof(a->name), "%s", name);
	if ((size_t)snprintf(dir, sizeof(dir), "%s/block/%s", root->sys, name) >= sizeof(dir) ||
	    (size_t)snprintf(mdir, sizeof(mdir), "%s/md", dir) >= sizeof(mdir))
		return bb_error_set(e, ENAMETOOLONG, "%s: sysfs path too long", name);
	if (stat(mdir, &st) || !S_ISDIR(st.st_mode))
		return bb_error_set(e, errno == ENOENT || !errno ? ENODEV : errno,
				    "%s: not an md array (no %s)", name, mdir);
	read_attrs(mdir, a);
	uint64_t sectors = attr_u64(dir, "size");
	a->size = sectors != MD_UNKNOWN && sectors <= UINT64_MAX / 512 ? sectors * 512 : 0;
	if (read_members(mdir, a, e)) {
		md_array_free(a);
		return -1;
	}
	return 0;
}

void md_array_free(struct md_array *a)
{
	free(a->members);
	a->members = NULL;
	a->nmembers = 0;
}

static int cmp_array(const void *a, const void *b)
{
	return strcmp(((const struct md_array *)a)->name, ((const struct md_array *)b)->name);
}

int md_list(const struct sysroot *root, struct md_array **out, size_t *n, struct bb_error *e)
{
	char path[PATH_MAX];
	*out = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "%s/block", root->sys);
	DIR *d = opendir(path);
	if (!d)
		return bb_error_errno(e, "%s", path);
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		struct stat st;
		if (!dev_name_ok(de->d_name) ||
		    (size_t)snprintf(path, sizeof(path), "%s/block/%s/md", root->sys, de->d_name) >=
			    sizeof(path) ||
		    stat(path, &st) || !S_ISDIR(st.st_mode))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 4;
			struct md_array *a = realloc(*out, cap * sizeof(*a));
			if (!a) {
				bb_error_set(e, ENOMEM, "md arrays: out of memory");
				goto fail;
			}
			*out = a;
		}
		/* an array stopped since the stat is no longer there: skip it */
		struct bb_error le = { 0 };
		if (!md_read(root, de->d_name, &(*out)[*n], &le)) {
			(*n)++;
		} else if (le.code != ENODEV) {
			if (e)
				*e = le;
			goto fail;
		}
	}
	closedir(d);
	if (*n)
		qsort(*out, *n, sizeof(**out), cmp_array);
	return 0;
fail:
	closedir(d);
	md_list_free(*out, *n);
	*out = NULL;
	*n = 0;
	return -1;
}

void md_list_free(struct md_array *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		md_array_free(&a[i]);
	free(a);
}
