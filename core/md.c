/* md.c - md arrays and members from /sys/block/mdX/md/. */
#include "md.h"
#include "io.h"
#include "num.h"
#include "endian.h"

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

/* ---- member superblocks ------------------------------------------------ */

#define SB_MAGIC 0xa92b4efcu
#define SB1_FIXED 256   /* bytes before dev_roles[] */
#define SB090_BYTES 4096
#define SB090_DISKS 27

/* Both formats: 32-bit words summed into 64 bits, the carry folded in once. */
static uint32_t sb_fold(uint64_t sum)
{
	return (uint32_t)((sum & 0xffffffffu) + (sum >> 32));
}

static uint32_t sb1_csum(const uint8_t *buf, size_t len)
{
	uint64_t sum = 0;
	size_t i = 0;
	for (; i + 4 <= len; i += 4)
		sum += i == 216 ? 0 : get_le32(buf + i); /* sb_csum itself counts as 0 */
	if (len - i == 2)
		sum += get_le16(buf + i);
	return sb_fold(sum);
}

int md_sb_parse1(const uint8_t *buf, size_t len, struct md_sb *sb, const char **why)
{
	memset(sb, 0, sizeof(*sb));
	if (len < SB1_FIXED || get_le32(buf) != SB_MAGIC || get_le32(buf + 4) != 1)
		return *why = "no md 1.x superblock", -1;
	uint32_t max_dev = get_le32(buf + 220);
	if (max_dev > MD_SB_ROLES || SB1_FIXED + (size_t)max_dev * 2 > len)
		return *why = "md 1.x superblock: more device roles than it has room for", -1;
	if (sb1_csum(buf, SB1_FIXED + (size_t)max_dev * 2) != get_le32(buf + 216))
		return *why = "md 1.x superblock: bad checksum", -1;
	sb->features = get_le32(buf + 8);
	memcpy(sb->uuid, buf + 16, 16);
	memcpy(sb->name, buf + 32, 32);
	sb->name[32] = 0;
	sb->ctime = get_le64(buf + 64) & ((1ull << 40) - 1);
	sb->level = (int32_t)get_le32(buf + 72);
	sb->raid_disks = get_le32(buf + 92);
	sb->sb_offset = get_le64(buf + 144) * 512; /* checked against the place by the reader */
	sb->dev_number = get_le32(buf + 160);
	memcpy(sb->dev_uuid, buf + 168, 16);
	sb->utime = get_le64(buf + 192) & ((1ull << 40) - 1);
	sb->events = get_le64(buf + 200);
	sb->nroles = max_dev;
	for (uint32_t i = 0; i < max_dev; i++)
		sb->roles[i] = get_le16(buf + SB1_FIXED + 2 * i);
	sb->version = 100; /* the reader says which of 1.0/1.1/1.2 by the place */
	return 0;
}

/* 0.90 descriptor state bits (md_p.h) */
enum { D_FAULTY = 1, D_ACTIVE = 2, D_SYNC = 4, D_REMOVED = 8 };

static uint16_t sb090_role(const uint8_t *d, uint32_t raid_disks)
{
	uint32_t state = get_le32(d + 16), slot = get_le32(d + 12);
	if (state & (D_FAULTY | D_REMOVED))
		return MD_ROLE_FAULTY;
	if ((state & (D_ACTIVE | D_SYNC)) == (D_ACTIVE | D_SYNC) && slot < raid_disks)
		return (uint16_t)slot;
	return MD_ROLE_SPARE;
}

int md_sb_parse090(const uint8_t *buf, size_t len, struct md_sb *sb, const char **why)
{
	memset(sb, 0, sizeof(*sb));
	if (len < SB090_BYTES || get_le32(buf) != SB_MAGIC || get_le32(buf + 4) != 0 ||
	    get_le32(buf + 8) != 90)
		return *why = "no md 0.90 superblock", -1;
	uint64_t sum = 0;
	for (size_t i = 0; i < SB090_BYTES; i += 4)
		sum += i == 152 ? 0 : get_le32(buf + i); /* sb_csum: word 38 */
	if (sb_fold(sum) != get_le32(buf + 152))
		return *why = "md 0.90 superblock: bad checksum", -1;
	static const size_t uuid_words[4] = { 5, 13, 14, 15 };
	for (int i = 0; i < 4; i++)
		memcpy(sb->uuid + 4 * i, buf + 4 * uuid_words[i], 4);
	sb->ctime = get_le32(buf + 24);
	sb->level = (int32_t)get_le32(buf + 28);
	sb->raid_disks = get_le32(buf + 40);
	if (get_le32(buf + 132) & (1u << 8)) /* state: MD_SB_BITMAP_PRESENT */
		sb->features = 1;
	sb->utime = get_le32(buf + 128);
	sb->events = get_le64(buf + 156); /* events_lo then events_hi */
	sb->dev_number = get_le32(buf + 3968); /* this_disk.number */
	sb->nroles = SB090_DISKS;
	for (uint32_t i = 0; i < SB090_DISKS; i++)
		sb->roles[i] = sb090_role(buf + 512 + 128 * i, sb->raid_disks);
	sb->version = 90;
	return 0;
}

static int sb_try1(int fd, uint64_t off, unsigned version, struct md_sb *sb, struct bb_error *e)
{
	uint8_t buf[SB1_FIXED + 2 * MD_SB_ROLES];
	ssize_t n = pread_full(fd, buf, sizeof(buf), off);
	if (n < 0)
		return bb_error_errno(e, "read the md superblock at byte %llu", (unsigned long long)off);
	const char *why;
	if (md_sb_parse1(buf, (size_t)n, sb, &why) || sb->sb_offset != off)
		return MD_SB_NONE;
	sb->version = version;
	return 0;
}

int md_sb_read(int fd, uint64_t size, struct md_sb *sb, struct bb_error *e)
{
	uint64_t sectors = size / 512;
	int r = MD_SB_NONE;
	if (size >= 8192 + SB1_FIXED)
		r = sb_try1(fd, 4096, 102, sb, e);
	if (r == MD_SB_NONE && size >= SB1_FIXED)
		r = sb_try1(fd, 0, 101, sb, e);
	if (r == MD_SB_NONE && sectors >= 16)
		r = sb_try1(fd, ((sectors - 16) & ~(uint64_t)7) * 512, 100, sb, e);
	if (r != MD_SB_NONE)
		return r;
	if (sectors < 256) /* 0.90 needs 64 KiB for itself past 64 KiB alignment */
		return MD_SB_NONE;
	uint64_t off = ((sectors & ~(uint64_t)127) - 128) * 512;
	uint8_t *buf = malloc(SB090_BYTES);
	if (!buf)
		return bb_error_errno(e, "read the md superblock");
	ssize_t n = pread_full(fd, buf, SB090_BYTES, off);
	const char *why;
	if (n < 0)
		r = bb_error_errno(e, "read the md superblock at byte %llu", (unsigned long long)off);
	else if (!md_sb_parse090(buf, (size_t)n, sb, &why))
		sb->sb_offset = off, r = 0;
	free(buf);
	return r;
}

char *md_sb_uuid_str(const struct md_sb *sb, char buf[36])
{
	char *p = buf;
	for (int i = 0; i < 16; i++) {
		/* 0.90 keeps four native words; mdadm prints each as a number */
		int b = sb->version == 90 ? (i & ~3) + 3 - (i & 3) : i;
		p += sprintf(p, "%s%02x", i && !(i & 3) ? ":" : "", sb->uuid[b]);
	}
	return buf;
}

bool md_sb_sees_active(const struct md_sb *sb, uint32_t dev)
{
	return dev < sb->nroles && sb->roles[dev] < sb->raid_disks;
}

enum md_verdict md_sb_compare(const struct md_sb *a, const struct md_sb *b)
{
	if (memcmp(a->uuid, b->uuid, 16) || a->version != b->version ||
	    (a->version != 90 && !memcmp(a->dev_uuid, b->dev_uuid, 16)) ||
	    a->dev_number == b->dev_number)
		return MD_FOREIGN;
	bool a_sees_b = md_sb_sees_active(a, b->dev_number);
	bool b_sees_a = md_sb_sees_active(b, a->dev_number);
	if (a_sees_b && b_sees_a)
		return MD_IN_STEP;
	/* The half that ran alone marked the other missing and moved on; a
	 * stale half with more updates than that is a history neither
	 * explains: treat it as split rather than overwrite either. */
	if (!a_sees_b && b_sees_a)
		return b->events <= a->events ? MD_A_NEWER : MD_SPLIT;
	if (a_sees_b && !b_sees_a)
		return a->events <= b->events ? MD_B_NEWER : MD_SPLIT;
	return MD_SPLIT;
}

const char *md_verdict_name(enum md_verdict v)
{
	switch (v) {
	case MD_IN_STEP: return "in step";
	case MD_A_NEWER: return "first newer";
	case MD_B_NEWER: return "second newer";
	case MD_SPLIT: return "split brain";
	case MD_FOREIGN: return "different arrays";
	}
	return "?";
}
