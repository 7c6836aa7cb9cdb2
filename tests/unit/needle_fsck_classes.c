/* needle_fsck_classes.c - issue 14's classes of hostile damage to a
 * SeaweedFS volume, each from a seeded generator run over hundreds of
 * cases (the generator's volumes and SeaweedFS's fixtures). Every case is
 * judged by one checker written from shared/spec/seaweedfs-formats.md,
 * not from needle-fsck's code:
 *   - after -y, every needle served intact before is served with the same
 *     bytes, or a newer intact record or a deletion record of it exists
 *     (not inside another record's bytes);
 *   - -n changes nothing;
 *   - a second -y changes nothing;
 *   - the work (bytes read and checksummed) stays linear in .dat.
 * Each class adds what its damage must or must not do. */
#include "../../applets/needle-fsck/fsck.h"
#include "endian.h"
#include "io.h"
#include "swfs_gen.h"
#include "test.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the checker's own reading of the formats (spec 1-3) ----------------- */

static uint32_t spec_crc(const uint8_t *p, size_t n)
{
	static uint32_t t[256];
	if (!t[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
			t[i] = c;
		}
	uint32_t c = 0xffffffffu;
	while (n--)
		c = t[(c ^ *p++) & 0xff] ^ (c >> 8);
	return ~c;
}

/* Stored raw (3.09 on) or in the legacy form (spec 2.5). */
static bool spec_crc_ok(uint32_t stored, uint32_t raw)
{
	return stored == raw || stored == ((raw >> 15) | (raw << 17)) + 0xa282ead8u;
}

struct spec_rec {
	uint64_t id, len;   /* len: the whole record with padding */
	int32_t size;
	const uint8_t *data;
	uint32_t data_len;
	uint64_t ts;
};

/* The record at off, read as a reader of that version does: true when it
 * is whole and its data matches its checksum. */
static bool spec_record(const uint8_t *dat, uint64_t len, int version, uint64_t off,
			struct spec_rec *r)
{
	if (off % 8 || off > len || len - off < 16)
		return false;
	const uint8_t *h = dat + off;
	r->id = get_be64(h + 4);
	r->size = (int32_t)get_be32(h + 12);
	if (r->size < 0)
		return false;
	uint64_t fixed = 16 + 4 + (version == 3 ? 8 : 0), size = (uint64_t)r->size;
	r->len = fixed + size + (8 - (fixed + size) % 8);
	if (r->len > len - off)
		return false;
	const uint8_t *b = h + 16, *end = b + size;
	r->data = b;
	r->data_len = version == 1 ? (uint32_t)size : 0;
	if (version > 1 && size) {
		if (size < 5)
			return false;
		r->data_len = get_be32(b);
		if (r->data_len > size - 5)
			return false;
		r->data = b + 4;
		const uint8_t *p = b + 4 + r->data_len;
		uint8_t flags = *p++;
		for (int bit = 0x02; bit <= 0x04; bit <<= 1)
			if (flags & bit) {
				if (p >= end)
					return false;
				p += 1 + *p;
			}
		p += flags & 0x08 ? 5 : 0;
		p += flags & 0x10 ? 2 : 0;
		if (flags & 0x20) {
			if (p + 2 > end)
				return false;
			p += 2 + get_be16(p);
		}
		if (p > end)
			return false;
	}
	r->ts = version == 3 ? get_be64(end + 4) : 0;
	return !r->data_len || spec_crc_ok(get_be32(end), spec_crc(r->data, r->data_len));
}

static uint64_t fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 14695981039346656037ull;
	while (n--)
		h = (h ^ *p++) * 1099511628211ull;
	return h;
}

struct served {
	uint64_t id, off, hash, end; /* end: where its record ends */
	uint32_t len;
};

struct row {
	uint64_t id, off;
	int32_t size;
	size_t at;
};

/* A volume as SeaweedFS serves it: the index replayed (last row of an id
 * wins; offset 0 or a negative size deletes, spec 3.2), each live needle
 * read at its offset with the superblock's version. */
struct view {
	uint8_t *dat;
	size_t dat_len;
	int version;
	struct row *rows;
	size_t nrows;
	struct served *s;
	size_t n;
	/* [off, off + len) of every record an index row points at with its id
	 * and size: what lies inside is that record's bytes */
	uint64_t (*ext)[2];
	size_t next;
};

static int cmp_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

static int cmp_ext(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0];
}

static void view_load(struct view *v, const char *base, int width)
{
	char path[PATH_MAX];
	size_t idx_len = 0, w = swfs_idx_width(width);
	memset(v, 0, sizeof(*v));
	swfs_path(path, sizeof(path), base, ".dat");
	v->dat = (uint8_t *)read_file(path, 1 << 28, &v->dat_len);
	v->version = v->dat && v->dat_len ? v->dat[0] : 0;
	if (v->version < 1 || v->version > 3) { /* SeaweedFS will not load it (spec 1) */
		free(v->dat);
		v->dat = NULL;
	}
	swfs_path(path, sizeof(path), base, ".idx");
	uint8_t *idx = (uint8_t *)read_file(path, 1 << 28, &idx_len);
	v->nrows = idx ? idx_len / w : 0;
	v->rows = calloc(v->nrows + 1, sizeof(*v->rows));
	v->s = calloc(v->nrows + 1, sizeof(*v->s));
	v->ext = calloc(v->nrows + 1, sizeof(*v->ext));
	CHECK(v->rows && v->s && v->ext);
	for (size_t i = 0; i < v->nrows; i++) {
		struct swfs_idx_entry e;
		swfs_idx_decode(idx + i * w, width, &e);
		v->rows[i] = (struct row){ e.id, e.offset, e.size, i };
		struct spec_rec r;
		if (v->dat && e.offset && spec_record(v->dat, v->dat_len, v->version, e.offset, &r) &&
		    r.id == e.id && (e.size < 0 ? r.size == 0 : r.size == e.size)) {
			v->ext[v->next][0] = e.offset;
			v->ext[v->next++][1] = e.offset + r.len;
		}
	}
	free(idx);
	qsort(v->ext, v->next, sizeof(*v->ext), cmp_ext);
	struct row *sorted = malloc((v->nrows + 1) * sizeof(*sorted));
	CHECK(sorted);
	memcpy(sorted, v->rows, v->nrows * sizeof(*sorted));
	qsort(sorted, v->nrows, sizeof(*sorted), cmp_row);
	for (size_t i = 0; i < v->nrows; i++) {
		const struct row *e = &sorted[i];
		if ((i + 1 < v->nrows && sorted[i + 1].id == e->id) || !e->off || e->size <= 0 || !v->dat)
			continue;
		struct spec_rec r;
		if (spec_record(v->dat, v->dat_len, v->version, e->off, &r) && r.id == e->id &&
		    r.size == e->size)
			v->s[v->n++] = (struct served){ e->id, e->off, fnv(r.data, r.data_len),
							e->off + r.len, r.data_len };
	}
	free(sorted);
}

static void view_free(struct view *v)
{
	free(v->dat);
	free(v->rows);
	free(v->s);
	free(v->ext);
}

static const struct served *served(const struct view *v, uint64_t id)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->s[i].id == id)
			return &v->s[i];
	return NULL;
}

/* Is off strictly inside a record an index row vouches for? */
static bool inside_record(const struct view *v, uint64_t off)
{
	for (size_t i = 0; i < v->next; i++)
		if (v->ext[i][0] < off && off < v->ext[i][1])
			return true;
	return false;
}

/* Genuine record offsets the generator wrote (NULL: judge by the spec's
 * extents alone). */
struct genuine {
	const uint64_t *off;
	size_t n;
};

static bool is_genuine(const struct genuine *g, uint64_t off)
{
	if (!g)
		return true;
	for (size_t i = 0; i < g->n; i++)
		if (g->off[i] == off)
			return true;
	return false;
}

/* A record of id after off in the old .dat that a writer made: a deletion
 * (want_data false) or data with that hash. */
static bool newer_record(const struct view *old, const struct genuine *g, uint64_t id, uint64_t after,
			 bool want_data, uint64_t hash)
{
	for (uint64_t o = after + 8; old->dat && o + 16 <= old->dat_len; o += 8) {
		struct spec_rec r;
		if (get_be64(old->dat + o + 4) != id || !spec_record(old->dat, old->dat_len, old->version, o, &r))
			continue;
		if (inside_record(old, o) || !is_genuine(g, o))
			continue;
		if (want_data ? r.size > 0 && fnv(r.data, r.data_len) == hash : r.size == 0)
			return true;
	}
	return false;
}

/* The first promise: what was served intact is still served, or a writer
 * replaced or deleted it. NULL, or what broke. */
static const char *kept(const struct view *before, const struct view *after,
			const struct view *evidence, const struct genuine *g)
{
	static char msg[160];
	for (size_t i = 0; i < before->n; i++) {
		const struct served *b = &before->s[i], *a = served(after, b->id);
		if (a && a->hash == b->hash && a->len == b->len)
			continue;
		if (a ? a->off > b->off && newer_record(evidence, g, b->id, b->off, true, a->hash)
		      : newer_record(evidence, g, b->id, b->off, false, 0))
			continue;
		snprintf(msg, sizeof(msg), "needle %llx served intact at %llu is %s",
			 (unsigned long long)b->id, (unsigned long long)b->off,
			 a ? "served with other bytes" : "no longer served");
		return msg;
	}
	return NULL;
}

/* Does the index have any row of id? */
static bool index_has(const struct view *v, uint64_t id)
{
	for (size_t i = 0; i < v->nrows; i++)
		if (v->rows[i].id == id)
			return true;
	return false;
}

/* Is id live by the index (its last row a Put), whatever its record? */
static bool index_live(const struct view *v, uint64_t id)
{
	for (size_t i = v->nrows; i-- > 0;)
		if (v->rows[i].id == id)
			return v->rows[i].off && v->rows[i].size >= 0;
	return false;
}

/* ---- the state of a directory -------------------------------------------- */

struct snap {
	char text[16384];
};

static void snapshot(const char *dir, struct snap *s)
{
	char names[64][256];
	int n = 0;
	DIR *d = opendir(dir);
	CHECK(d);
	struct dirent *de;
	while ((de = readdir(d)) && n < 64)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			snprintf(names[n++], sizeof(names[0]), "%s", de->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), (int (*)(const void *, const void *))strcmp);
	size_t used = 0;
	s->text[0] = 0;
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX], link[256] = "";
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		CHECK(lstat(path, &st) == 0);
		uint64_t h = 0;
		if (S_ISLNK(st.st_mode)) {
			ssize_t k = readlink(path, link, sizeof(link) - 1);
			link[k > 0 ? k : 0] = 0;
		} else if (S_ISREG(st.st_mode)) {
			size_t len;
			char *b = read_file(path, 1 << 28, &len);
			h = b ? fnv((uint8_t *)b, len) : 1;
			free(b);
		}
		used += (size_t)snprintf(s->text + used, sizeof(s->text) - used, "%s %o %lld %llx %s\n",
					 names[i], st.st_mode, (long long)st.st_size,
					 (unsigned long long)h, link);
		CHECK(used < sizeof(s->text));
	}
}

static void clear_dir(const char *dir)
{
	DIR *d = opendir(dir);
	CHECK(d);
	struct dirent *de;
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (!lstat(path, &st) && S_ISDIR(st.st_mode))
			rmdir(path);
		else
			unlink(path);
	}
	closedir(d);
}

/* One directory for the case at hand, emptied between cases. */
static char work_dir[PATH_MAX];

static void work_done(void)
{
	work_dir[0] = 0;
}

static const char *scratch(void)
{
	if (!work_dir[0]) {
		snprintf(work_dir, sizeof(work_dir), "%s/w", test_tmpdir());
		CHECK(mkdir(work_dir, 0700) == 0);
	}
	clear_dir(work_dir);
	return work_dir;
}

/* ---- one case ---------------------------------------------------------------- */

struct outcome {
	int check, repair, again;      /* statuses of -n, -y, the second -y */
	struct nf_report r;            /* of -n */
	struct nf_report y;            /* of the first -y */
};

struct judge {
	int width;
	bool ecx;                      /* --ecx */
	const struct view *ref;        /* also keep what this served (NULL: before) */
	const struct genuine *genuine;
};

static uint64_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) ? 0 : (uint64_t)st.st_size;
}

/* Check, repair, repair again, with the checker's verdict after each. */
static void run_case(const char *dir, const char *base, const struct judge *j, struct outcome *out,
		     const char *what)
{
	struct view before, after;
	struct snap s0, s1;
	struct nf_opts o = { .ecx = j->ecx, .chunk = 65536 };
	char dat[PATH_MAX];
	swfs_path(dat, sizeof(dat), base, ".dat");
	uint64_t dat_len = file_size(dat);
	view_load(&before, base, j->width);
	snapshot(dir, &s0);
	out->check = nf_check_volume(&o, base, &out->r);
	snapshot(dir, &s1);
	if (strcmp(s0.text, s1.text))
		test_fail(__FILE__, __LINE__, "%s: -n changed the volume", what);
	if (out->r.work > 4 * dat_len + (4u << 20))
		test_fail(__FILE__, __LINE__, "%s: %llu bytes of work for %llu of .dat", what,
			  (unsigned long long)out->r.work, (unsigned long long)dat_len);

	o.repair = true;
	out->repair = nf_check_volume(&o, base, &out->y);
	view_load(&after, base, j->width);
	const char *bad = kept(&before, &after, &before, j->genuine);
	if (!bad && j->ref)
		bad = kept(j->ref, &after, j->ref, j->genuine);
	if (bad && getenv("NF_SHOW"))
		nf_print_text(stderr, &out->r), nf_print_text(stderr, &out->y);
	if (bad)
		test_fail(__FILE__, __LINE__, "%s: -y (status %d): %s", what, out->repair, bad);
	view_free(&before);
	view_free(&after);

	struct nf_report r;
	snapshot(dir, &s0);
	out->again = nf_check_volume(&o, base, &r);
	nf_report_free(&r);
	snapshot(dir, &s1);
	if (strcmp(s0.text, s1.text) || (out->again & 1))
		test_fail(__FILE__, __LINE__, "%s: a second -y changed the volume (status %d)", what,
			  out->again);
}

static void outcome_free(struct outcome *o)
{
	nf_report_free(&o->r);
	nf_report_free(&o->y);
}

static uint32_t rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* A small generated volume, or (one case in fix_every) a copy of a
 * SeaweedFS fixture volume when the fixtures are there. */
static int base_volume(struct gen_vol *g, const char *dir, unsigned seed, unsigned fix_every,
		       char *base, size_t len)
{
	static const char *const fixtures[] = { "test_files__healthy_volume",
						"erasure_coding__1" };
	snprintf(base, len, "%s/7", dir);
	if (fix_every && seed % fix_every == 0) {
		char src[PATH_MAX], rel[128];
		snprintf(rel, sizeof(rel), "seaweedfs/%s.dat", fixtures[seed / fix_every % 2]);
		if (test_fixture(rel, src, sizeof(src))) {
			for (int i = 0; i < 2; i++) {
				char from[PATH_MAX], to[PATH_MAX];
				size_t n;
				snprintf(from, sizeof(from), "%.*s%s", (int)strlen(src) - 4, src,
					 i ? ".idx" : ".dat");
				swfs_path(to, sizeof(to), base, i ? ".idx" : ".dat");
				char *b = read_file(from, 1 << 26, &n);
				CHECK(b && write_file_atomic(to, b, n, 0644) == 0);
				free(b);
			}
			memset(g, 0, sizeof(*g));
			g->version = 3;
			g->width = 4;
			swfs_path(g->dat, sizeof(g->dat), base, ".dat");
			swfs_path(g->idx, sizeof(g->idx), base, ".idx");
			return 1;
		}
	}
	gen_big_records(false);
	gen_volume(g, base, 1 + (int)(seed % 3), 4 + (int)(seed / 3 % 2), seed % 5 == 1, true, seed,
		   12 + (int)(seed % 17));
	return 0;
}

static void patch(const char *path, uint64_t off, const void *b, size_t n)
{
	int fd = open(path, O_RDWR);
	CHECK(fd >= 0 && pwrite_full(fd, b, n, off) == 0);
	close(fd);
}

static size_t rows_of(const char *idx, int width)
{
	return (size_t)(file_size(idx) / swfs_idx_width(width));
}

static struct swfs_idx_entry row_at(const char *idx, int width, size_t i)
{
	uint8_t b[17];
	struct swfs_idx_entry e = { 0 };
	int fd = open(idx, O_RDONLY);
	size_t w = swfs_idx_width(width);
	CHECK(fd >= 0 && pread_full(fd, b, w, (off_t)(i * w)) == (ssize_t)w);
	close(fd);
	swfs_idx_decode(b, width, &e);
	return e;
}

static void set_row(const char *idx, int width, size_t i, const struct swfs_idx_entry *e)
{
	uint8_t b[17];
	swfs_idx_encode(e, width, b);
	patch(idx, i * swfs_idx_width(width), b, swfs_idx_width(width));
}

/* The start of one case of a class: an empty directory, a volume in it,
 * and its name for messages. */
struct kase {
	const char *dir;
	char base[PATH_MAX], what[64];
	bool fixture;
};

static void case_begin(struct kase *k, struct gen_vol *g, unsigned seed, unsigned fix_every,
		       const char *cls)
{
	k->dir = scratch();
	k->fixture = base_volume(g, k->dir, seed, fix_every, k->base, sizeof(k->base));
	snprintf(k->what, sizeof(k->what), "%s %u", cls, seed);
}

#define CASES 300

/* ---- 3: a delete row at a live data record ----------------------------------- */

TEST(needle_fsck_class_delete_at_data)
{
	int ran = 0;
	for (unsigned seed = 1; seed <= CASES; seed++) {
		struct gen_vol g;
		struct kase kc;
		case_begin(&kc, &g, seed, 10, "delete-at-data");
		const char *dir = kc.dir, *base = kc.base, *what = kc.what;
		/* a Put row made a delete: size -1, or its top bit flipped */
		size_t rows = rows_of(g.idx, g.width), i = 0;
		struct swfs_idx_entry e = { 0 };
		unsigned s = seed;
		for (int tries = 0; tries < 100 && !(e.size > 0); tries++)
			e = row_at(g.idx, g.width, i = rnd(&s) % rows);
		CHECK(e.size > 0);
		e.size = seed % 2 ? SWFS_TOMBSTONE : (int32_t)((uint32_t)e.size | 0x80000000u);
		set_row(g.idx, g.width, i, &e);
		struct judge j = { .width = g.width };
		struct outcome o;
		run_case(dir, base, &j, &o, what);
		if (!(o.check & 4) || !o.r.err_count[NF_K_DELETE_AT_DATA])
			test_fail(__FILE__, __LINE__, "%s: -n said %d, no delete-of-data error", what,
				  o.check);
		/* not -y's to decide: left, and said so */
		CHECK(o.repair & 4);
		outcome_free(&o);
		gen_free(&g);
		ran++;
	}
	fprintf(stderr, "# needle-fsck class delete-at-data: %d cases\n", ran);
	work_done();
}

/* ---- 7: needles lost past the end of .dat are lost, never "corrected" -------- */

TEST(needle_fsck_class_lost_past_end)
{
	int ran = 0;
	for (unsigned seed = 1; seed <= CASES; seed++) {
		struct gen_vol g;
		struct kase kc;
		case_begin(&kc, &g, seed, 10, "lost-past-end");
		const char *dir = kc.dir, *base = kc.base, *what = kc.what;
		struct view pre;
		view_load(&pre, base, g.width);
		CHECK(pre.n > 0);
		/* cut .dat at a served needle's record: at its start, or inside */
		unsigned s = seed;
		const struct served *victim = &pre.s[pre.n / 2 + rnd(&s) % (pre.n - pre.n / 2)];
		uint64_t cut = victim->off + (seed % 2 ? 0 : 8 * (1 + rnd(&s) % 3));
		CHECK(truncate(g.dat, (off_t)cut) == 0);
		struct judge j = { .width = g.width };
		struct outcome o;
		run_case(dir, base, &j, &o, what);
		struct view after;
		view_load(&after, base, g.width);
		size_t past = 0;
		for (size_t i = 0; i < pre.n; i++) {
			bool gone = pre.s[i].end > cut;
			bool listed = false;
			for (size_t k = 0; k < o.y.lost.n; k++)
				listed |= o.y.lost.v[k] == pre.s[i].id;
			if (!gone && listed)
				test_fail(__FILE__, __LINE__, "%s: needle %llx listed lost, is whole",
					  what, (unsigned long long)pre.s[i].id);
			/* a needle past the end is lost, unless an older record
			 * of it before the end is served instead */
			if (gone && listed == index_live(&after, pre.s[i].id))
				test_fail(__FILE__, __LINE__, "%s: needle %llx past the end: %s", what,
					  (unsigned long long)pre.s[i].id,
					  listed ? "lost and served" : "neither lost nor served");
			past += gone && listed;
		}
		CHECK(past > 0 || index_live(&after, victim->id));
		if (o.y.lost.n && (!(o.check & 4) || !(o.repair & 4)))
			test_fail(__FILE__, __LINE__, "%s: %zu needles lost, statuses %d then %d", what,
				  o.y.lost.n, o.check, o.repair);
		if (o.y.lost.n) {
			char *text = NULL;
			size_t len = 0;
			FILE *f = open_memstream(&text, &len);
			nf_print_text(f, &o.y);
			fclose(f);
			CHECK(strstr(text, "needles lost"));
			free(text);
		}
		view_free(&after);
		view_free(&pre);
		outcome_free(&o);
		gen_free(&g);
		ran++;
	}
	fprintf(stderr, "# needle-fsck class lost-past-end: %d cases\n", ran);
	work_done();
}

/* ---- 2 and 7: a needle's newest record lost ----------------------------------- */

/* A needle of g whose newest record holds data and follows an older data
 * record of it: that newest record's place in g->rec (the pick-th such
 * needle, cyclically), or -1 when g has none. */
static long updated_needle(const struct gen_vol *g, unsigned pick)
{
	long found[512];
	size_t n = 0;
	for (size_t i = 0; i < g->nneedle && n < 512; i++) {
		long last = gen_last_rec(g, g->needle[i].id);
		if (last < 0 || g->rec[last].tomb || !g->rec[last].data_len)
			continue;
		bool older = false;
		for (long r = 0; r < last; r++)
			older |= g->rec[r].id == g->needle[i].id && !g->rec[r].tomb &&
				 g->rec[r].data_len;
		if (older)
			found[n++] = last;
	}
	return n ? found[pick % n] : -1;
}

/* The newest record of an updated needle is damaged (its data, its Size,
 * its whole header, its id), cut short by the end of .dat, or missing
 * past it, wherever that record lies. The needle is then lost: -n and -y
 * say so (exit 4, in the lost list) and -y serves no older record of it
 * in its place, while the checker's promises hold for every other. */
TEST(needle_fsck_class_newest_record_lost)
{
	static const char *const kinds[] = { "data", "size", "header", "id", "cut", "missing" };
	int ran = 0, per_kind[6] = { 0 };
	for (unsigned seed = 1; seed <= CASES; seed++) {
		struct gen_vol g;
		struct kase kc;
		case_begin(&kc, &g, seed, 0, "newest-record-lost");
		const char *dir = kc.dir, *base = kc.base, *what = kc.what;
		int kind = (int)(seed % 6);
		long rec = updated_needle(&g, seed / 6);
		if (rec < 0) {
			gen_free(&g);
			continue;
		}
		const struct gen_rec *victim = &g.rec[rec];
		uint64_t id = victim->id;
		uint8_t zero[SWFS_NEEDLE_HEADER] = { 0 }, idb[8];
		if (kind == 0) {
			gen_flip_data(&g, (size_t)rec);
		} else if (kind == 1) {
			gen_corrupt_size(&g, (size_t)rec);
		} else if (kind == 2) {
			patch(g.dat, victim->off, zero, sizeof(zero));
		} else if (kind == 3) {
			put_be64(idb, id ^ ((uint64_t)1 << (seed % 64)));
			patch(g.dat, victim->off + 4, idb, sizeof(idb));
		} else {
			uint64_t cut = victim->off + (kind == 4 ? 8 * (1 + seed % 3) : 0);
			CHECK(truncate(g.dat, (off_t)cut) == 0);
		}
		struct judge j = { .width = g.width };
		struct outcome o;
		run_case(dir, base, &j, &o, what);
		struct view after;
		view_load(&after, base, g.width);
		bool listed = false;
		for (size_t k = 0; k < o.y.lost.n; k++)
			listed |= o.y.lost.v[k] == id;
		if (index_live(&after, id))
			test_fail(__FILE__, __LINE__, "%s (%s at %llu): needle %llx is served from an "
				  "older record", what, kinds[kind], (unsigned long long)victim->off,
				  (unsigned long long)id);
		if (!listed || !(o.check & 4) || !(o.repair & 4))
			test_fail(__FILE__, __LINE__, "%s (%s at %llu): needle %llx %s, statuses %d "
				  "then %d", what, kinds[kind], (unsigned long long)victim->off,
				  (unsigned long long)id, listed ? "lost" : "not listed lost", o.check,
				  o.repair);
		view_free(&after);
		outcome_free(&o);
		gen_free(&g);
		per_kind[kind]++;
		ran++;
	}
	fprintf(stderr, "# needle-fsck class newest-record-lost: %d cases (data %d, size %d, "
		"header %d, id %d, cut %d, missing %d)\n", ran, per_kind[0], per_kind[1],
		per_kind[2], per_kind[3], per_kind[4], per_kind[5]);
	CHECK(ran > CASES / 2);
	work_done();
}

/* ---- 5: backups are never a name that resolves to what they back up --------- */

static void trap(const char *path, int kind, const char *target)
{
	switch (kind) {
	case 0: CHECK(symlink(strrchr(target, '/') + 1, path) == 0); break;
	case 1: CHECK(symlink(target, path) == 0); break;
	case 2: CHECK(symlink("nowhere", path) == 0); break;
	case 3: CHECK(mkdir(path, 0755) == 0); break;
	case 4: CHECK(mkfifo(path, 0644) == 0); break;
	default: CHECK(write_file_atomic(path, "other bytes", 11, 0644) == 0); break;
	}
}

/* A regular file among name, name.1 ... holding exactly want. */
static bool backup_of(const char *name, const char *want, size_t want_len)
{
	for (int n = 0; n < 4; n++) {
		char path[PATH_MAX + 16];
		struct stat st;
		if (n)
			snprintf(path, sizeof(path), "%s.%d", name, n);
		else
			snprintf(path, sizeof(path), "%s", name);
		if (lstat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		size_t len;
		char *b = read_file(path, 1 << 28, &len);
		bool same = b && len == want_len && !memcmp(b, want, len);
		free(b);
		if (same)
			return true;
	}
	return false;
}

TEST(needle_fsck_class_backups)
{
	int ran = 0, rebuilt = 0;
	for (unsigned seed = 1; seed <= CASES; seed++) {
		char bak[PATH_MAX + 16], bak1[PATH_MAX + 16], tail[PATH_MAX + 16];
		struct gen_vol g;
		struct kase kc;
		case_begin(&kc, &g, seed, 10, "backups");
		const char *dir = kc.dir, *base = kc.base, *what = kc.what;
		/* the last rows never written: the index is rebuilt */
		size_t rows = rows_of(g.idx, g.width);
		CHECK(truncate(g.idx, (off_t)((rows - 1 - seed % 3) * swfs_idx_width(g.width))) == 0);
		bool torn = seed % 4 == 0;
		if (torn) {
			uint8_t junk[40];
			memset(junk, 0x5a, sizeof(junk));
			int fd = open(g.dat, O_WRONLY | O_APPEND);
			CHECK(fd >= 0 && write_full(fd, junk, sizeof(junk)) == 0);
			close(fd);
		}
		size_t old_len;
		char *old = read_file(g.idx, 1 << 28, &old_len);
		snprintf(bak, sizeof(bak), "%s.bak", g.idx);
		snprintf(bak1, sizeof(bak1), "%s.bak.1", g.idx);
		snprintf(tail, sizeof(tail), "%s.tail", g.dat);
		trap(bak, (int)(seed % 6), g.idx);
		if (seed % 5 == 0)
			trap(bak1, (int)(seed / 5 % 6), g.idx);
		if (torn)
			trap(tail, (int)(seed / 4 % 2), g.dat);
		struct snap traps;
		snapshot(dir, &traps);
		struct judge j = { .width = g.width };
		struct outcome o;
		run_case(dir, base, &j, &o, what);
		/* every trap still what it was, the old index kept in a file */
		struct snap now;
		snapshot(dir, &now);
		for (char *line = strtok(traps.text, "\n"); line; line = strtok(NULL, "\n")) {
			bool is_trap = !strncmp(line, "7.idx.bak", 9) || !strncmp(line, "7.dat.tail", 10);
			if (is_trap && !strstr(now.text, line))
				test_fail(__FILE__, __LINE__, "%s: %s was changed", what, line);
		}
		rebuilt += o.y.rebuilt;
		if (o.y.rebuilt && !backup_of(bak, old, old_len))
			test_fail(__FILE__, __LINE__, "%s: the old index is not kept", what);
		free(old);
		outcome_free(&o);
		gen_free(&g);
		ran++;
	}
	fprintf(stderr, "# needle-fsck class backups: %d cases, %d with the index rebuilt\n", ran,
		rebuilt);
	CHECK(rebuilt > CASES / 2);
	work_done();
}

/* ---- 4: --ecx keeps the EC volume's deletions ---------------------------------- */

static int cmp_entry(const void *a, const void *b)
{
	const struct swfs_idx_entry *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* The .ecx the encoder writes (spec 4), from the checker's replay. */
static size_t spec_ecx(const struct view *v, struct swfs_idx_entry *out)
{
	size_t n = 0;
	for (size_t i = 0; i < v->nrows; i++) {
		const struct row *e = &v->rows[i];
		bool last = true;
		for (size_t k = i + 1; k < v->nrows && last; k++)
			last = v->rows[k].id != e->id;
		if (last && e->off && e->size >= 0)
			out[n++] = (struct swfs_idx_entry){ e->id, e->off, e->size };
	}
	qsort(out, n, sizeof(*out), cmp_entry);
	return n;
}

static bool in_list(const uint64_t *l, size_t n, uint64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (l[i] == id)
			return true;
	return false;
}

TEST(needle_fsck_class_ecx_deletions)
{
	int ran = 0;
	for (unsigned seed = 1; seed <= CASES; seed++) {
		const char *dir = scratch();
		char base[PATH_MAX], what[64], ecx[PATH_MAX], ecj[PATH_MAX], src[PATH_MAX];
		struct gen_vol g;
		if (seed % 10 == 0 && test_fixture("seaweedfs/idx__test_files__deleted_files.idx", src,
						   sizeof(src))) {
			/* SeaweedFS's index of 154 puts and 76 deletes, no .dat */
			size_t n;
			char *b = read_file(src, 1 << 20, &n);
			snprintf(base, sizeof(base), "%s/7", dir);
			memset(&g, 0, sizeof(g));
			g.width = 4;
			swfs_path(g.idx, sizeof(g.idx), base, ".idx");
			CHECK(b && write_file_atomic(g.idx, b, n, 0644) == 0);
			free(b);
		} else {
			base_volume(&g, dir, seed, 10, base, sizeof(base));
		}
		snprintf(what, sizeof(what), "ecx %u", seed);
		swfs_path(ecx, sizeof(ecx), base, ".ecx");
		swfs_path(ecj, sizeof(ecj), base, ".ecj");
		struct view v;
		view_load(&v, base, g.width);
		struct swfs_idx_entry *live = calloc(v.nrows + 1, sizeof(*live));
		size_t n = spec_ecx(&v, live);
		if (n < 2) { /* too few needles to shuffle */
			free(live);
			view_free(&v);
			gen_free(&g);
			continue;
		}
		/* deletions since the encode: in place, and journalled */
		unsigned s = seed;
		uint64_t gone[16];
		size_t ngone = 0;
		uint8_t journal[8 * 8];
		size_t jn = 0;
		int32_t *size = calloc(n, sizeof(*size));
		for (size_t i = 0; i < n; i++)
			size[i] = live[i].size;
		for (unsigned k = 0; k < seed % 4; k++) {
			size_t i = rnd(&s) % n;
			live[i].size = SWFS_TOMBSTONE;
			gone[ngone++] = live[i].id;
		}
		for (unsigned k = 0; k < seed / 4 % 4; k++) {
			uint64_t id = live[rnd(&s) % n].id;
			put_be64(journal + 8 * jn++, id);
			gone[ngone++] = id;
		}
		size_t w = swfs_idx_width(g.width);
		uint8_t *rows = calloc(n * w + 8, 1), *enc = swfs_idx_encode_all(live, n, g.width);
		CHECK(rows && enc);
		memcpy(rows, enc, n * w);
		free(enc);
		size_t len = n * w;
		/* half the cases also get a real error */
		int err = seed % 2 ? -1 : (int)(seed / 2 % 5);
		if (err == 0) { /* two rows swapped */
			uint8_t tmp[17];
			memcpy(tmp, rows, w);
			memcpy(rows, rows + w, w);
			memcpy(rows + w, tmp, w);
		} else if (err == 1) { /* a live row moved */
			for (size_t i = 0; i < n; i++)
				if (live[i].size >= 0) {
					struct swfs_idx_entry e = live[i];
					e.offset += 8;
					swfs_idx_encode(&e, g.width, rows + i * w);
					break;
				}
		} else if (err == 2) { /* a torn row */
			len += 5;
		} else if (err == 3) { /* a live row missing (a deleted one takes its news along) */
			size_t i = 0;
			while (i + 1 < n && live[i].size < 0)
				i++;
			memmove(rows + i * w, rows + (i + 1) * w, len - (i + 1) * w);
			len -= w;
		}
		if (err != 4)
			CHECK(write_file_atomic(ecx, rows, len, 0644) == 0);
		if (jn)
			CHECK(write_file_atomic(ecj, journal, jn * 8, 0644) == 0);
		size_t ecj_len = 0, before_len = 0;
		char *ecj_before = jn ? read_file(ecj, 1 << 20, &ecj_len) : NULL;
		char *before = err == 4 ? NULL : read_file(ecx, 1 << 20, &before_len);

		struct judge j = { .width = g.width, .ecx = true };
		struct outcome o;
		run_case(dir, base, &j, &o, what);
		size_t after_len = 0;
		uint8_t *after = (uint8_t *)read_file(ecx, 1 << 20, &after_len);
		CHECK(after);
		if (err < 0) {
			/* nothing wrong: the .ecx is left as it is */
			if (o.check != 0 || after_len != before_len || memcmp(after, before, after_len))
				test_fail(__FILE__, __LINE__, "%s: a sound .ecx: status %d, %s", what,
					  o.check, after_len != before_len || memcmp(after, before, after_len) ? "rewritten" : "kept");
		} else {
			if (!(o.check & 4) || !o.r.err_count[NF_K_ECX])
				test_fail(__FILE__, __LINE__, "%s: error %d not found", what, err);
			/* rebuilt: the live needles of .idx, the deletions kept */
			CHECK(after_len == n * w);
			for (size_t i = 0; i < n; i++) {
				struct swfs_idx_entry e;
				swfs_idx_decode(after + i * w, g.width, &e);
				/* with no .ecx left, only .ecj tells */
				bool deleted = err == 4 ? in_list(gone + ngone - jn, jn, e.id)
							: in_list(gone, ngone, e.id);
				if (e.id != live[i].id || e.offset != live[i].offset ||
				    (deleted ? e.size >= 0 : e.size != size[i]))
					test_fail(__FILE__, __LINE__, "%s: row %zu of the rebuilt .ecx: "
						  "needle %llx size %d%s", what, i,
						  (unsigned long long)e.id, e.size,
						  deleted ? " (deleted since the encode)" : "");
			}
		}
		if (jn) {
			size_t l2;
			char *now = read_file(ecj, 1 << 20, &l2);
			CHECK(now && l2 == ecj_len && !memcmp(now, ecj_before, l2));
			free(now);
		}
		free(after);
		free(before);
		free(ecj_before);
		free(rows);
		free(live);
		free(size);
		view_free(&v);
		outcome_free(&o);
		gen_free(&g);
		ran++;
	}
	fprintf(stderr, "# needle-fsck class ecx-deletions: %d cases\n", ran);
	work_done();
}

/* ---- 1: the superblock is one witness, not the judge ------------------------- */

TEST(needle_fsck_class_superblock)
{
	int ran = 0, named = 0;
	for (unsigned seed = 1; seed <= CASES; seed++) {
		struct gen_vol g;
		struct kase kc;
		case_begin(&kc, &g, seed, 8, "superblock");
		const char *dir = kc.dir, *base = kc.base, *what = kc.what;
		struct view ref;
		view_load(&ref, base, g.width);
		uint64_t size = file_size(g.dat);
		uint8_t sb[8], was[8];
		int fd = open(g.dat, O_RDWR);
		CHECK(fd >= 0 && pread_full(fd, was, 8, 0) == 8);
		memcpy(sb, was, 8);
		/* one flipped bit of the version byte, or of ExtraSize, or a
		 * version byte that cannot be */
		unsigned kind = seed % 4, s = seed;
		if (kind == 0)
			sb[0] ^= (uint8_t)(1u << rnd(&s) % 2);
		else if (kind == 1)
			sb[6 + rnd(&s) % 2] ^= (uint8_t)(1u << rnd(&s) % 8);
		else if (kind == 2)
			sb[0] = (uint8_t)(4 + rnd(&s) % 250);
		else
			sb[0] = (uint8_t)(1 + (sb[0] + rnd(&s) % 2) % 3);
		CHECK(pwrite_full(fd, sb, 8, 0) == 0);
		close(fd);
		/* a v1 volume ignores ExtraSize: not damage */
		bool harmless = ref.version == 1 && kind == 1;
		struct judge j = { .width = g.width, .ref = &ref };
		struct outcome o;
		run_case(dir, base, &j, &o, what);
		if (!harmless && (!(o.check & 4) || !o.r.err_count[NF_K_SUPERBLOCK]))
			getenv("NF_SHOW") ? nf_print_text(stderr, &o.r) : (void)0, test_fail(__FILE__, __LINE__, "%s: -n said %d, no superblock error", what, o.check);
		bool culprit = false;
		for (size_t i = 0; i < o.r.nmsgs; i++)
			culprit |= o.r.msgs[i].kind == NF_K_SUPERBLOCK && strstr(o.r.msgs[i].text, "likely damaged");
		named += culprit;
		/* nothing cut, and the superblock as it was */
		CHECK(file_size(g.dat) >= size);
		fd = open(g.dat, O_RDONLY);
		CHECK(fd >= 0 && pread_full(fd, sb, 8, 0) == 8);
		close(fd);
		if (!harmless && (sb[0] != was[0] || (ref.version > 1 && memcmp(sb + 6, was + 6, 2))))
			test_fail(__FILE__, __LINE__, "%s: superblock %02x..%02x%02x after -y (status %d)",
				  what, sb[0], sb[6], sb[7], o.repair);
		view_free(&ref);
		outcome_free(&o);
		gen_free(&g);
		ran++;
	}
	fprintf(stderr, "# needle-fsck class superblock: %d cases, %d named the superblock\n", ran,
		named);
	work_done();
}

/* ---- 2: payload never overrides the index -------------------------------------- */

/* Record offsets of a sound volume, read one after the other (spec 2). */
static size_t walk_offsets(const char *dat, uint64_t *out, size_t cap, uint64_t *last_ts)
{
	size_t len, n = 0;
	uint8_t *b = (uint8_t *)read_file(dat, 1 << 28, &len);
	CHECK(b && len >= 8);
	struct spec_rec r;
	for (uint64_t off = 8; off < len && n < cap && spec_record(b, len, b[0], off, &r); off += r.len) {
		out[n++] = off;
		if (r.ts > *last_ts)
			*last_ts = r.ts;
	}
	free(b);
	return n;
}

#define PHANTOM ((uint64_t)1 << 40)

TEST(needle_fsck_class_payload)
{
	int ran = 0;
	for (unsigned seed = 1; seed <= CASES; seed++) {
		struct gen_vol g;
		struct kase kc;
		case_begin(&kc, &g, seed, 8, "payload");
		const char *dir = kc.dir, *base = kc.base, *what = kc.what;
		static uint64_t genuine[4096];
		uint64_t last_ts = 0;
		size_t ng = walk_offsets(g.dat, genuine, 4000, &last_ts);
		g.dat_size = file_size(g.dat);
		if (kc.fixture) {
			g.last_ts = last_ts;
			g.nrec = 0;
		}
		struct view pre;
		view_load(&pre, base, g.width);
		CHECK(pre.n > 0);
		/* a blob holding records: other versions of live needles, new
		 * needles, deletions of live ones; in time or after it */
		unsigned s = seed;
		static uint8_t blob[1 << 16];
		uint32_t hdr = 16 + (g.version > 1 ? 4 : 0);
		size_t used = (8 - (g.dat_size + hdr) % 8) % 8 + 8 * (rnd(&s) % 4);
		memset(blob, 0xa5, used);
		for (int k = 0; k < 6; k++) {
			uint64_t id = k % 3 == 1 ? PHANTOM + (uint64_t)k : pre.s[rnd(&s) % pre.n].id;
			uint8_t data[300];
			for (size_t i = 0; i < sizeof(data); i++)
				data[i] = (uint8_t)rnd(&s);
			uint64_t ts = seed % 2 ? g.last_ts + 1000000000ull * (uint64_t)(k + 1) : 1000 + (uint64_t)k;
			used += gen_record_bytes(&g, id, k % 3 == 2 ? NULL : data, 100 + rnd(&s) % 200, ts, s,
						 blob + used, sizeof(blob) - used);
		}
		used += 8 * (rnd(&s) % 4);
		unsigned variant = seed / 2 % 6;
		bool indexed = variant != 2 && variant != 3;
		size_t b = gen_append(&g, PHANTOM - 1, blob, (uint32_t)used, indexed, g.last_ts + 1000, s);
		genuine[ng++] = g.rec[b].off;
		if (variant != 4)
			for (int k = 0; k < 3; k++) {
				uint8_t d[64];
				memset(d, k, sizeof(d));
				size_t r = gen_append(&g, PHANTOM - 2 - (uint64_t)k, d, sizeof(d), true,
						      g.last_ts + 1000, s);
				genuine[ng++] = g.rec[r].off;
			}
		/* damage: the blob's data, its Size, or the record before */
		uint64_t at = g.rec[b].off;
		if (variant == 1 || variant == 3) {
			uint8_t bad[4] = { 0x00, 0x3f, 0xff, 0xf0 };
			patch(g.dat, at + 12, bad, 4);
		} else if (variant == 5 && ng > 2) {
			uint8_t bad[4] = { 0x7f, 0xff, 0xff, 0xf0 };
			patch(g.dat, genuine[ng - 5] + 12, bad, 4);
		} else {
			uint8_t x = 0x5a;
			patch(g.dat, at + hdr + 1, &x, 1);
		}
		struct genuine gen = { genuine, ng };
		struct judge j = { .width = g.width, .genuine = &gen };
		struct outcome o;
		run_case(dir, base, &j, &o, what);
		struct view after;
		view_load(&after, base, g.width);
		for (int k = 0; k < 6; k++)
			if (index_has(&after, PHANTOM + (uint64_t)k))
				test_fail(__FILE__, __LINE__, "%s: needle %llx from inside a record was "
					  "indexed (status %d)", what,
					  (unsigned long long)(PHANTOM + (uint64_t)k), o.repair);
		view_free(&after);
		view_free(&pre);
		outcome_free(&o);
		gen_free(&g);
		ran++;
	}
	fprintf(stderr, "# needle-fsck class payload: %d cases\n", ran);
	work_done();
}

/* ---- 6: the search after damage costs work linear in .dat ------------------------ */

/* region bytes: crafted, every 8 bytes a header claiming a body of size
 * bytes whose fields check out (all but the CRC); or random */
static void region(uint8_t *b, size_t n, uint32_t size, bool crafted, unsigned *s)
{
	for (size_t i = 0; i < n; i += 8) {
		if (crafted) {
			put_be32(b + i, size - 5); /* the DataSize a header 8 bytes back reads */
			put_be32(b + i + 4, size); /* Size, for the header 16 bytes back */
		} else {
			put_be32(b + i, rnd(s));
			put_be32(b + i + 4, rnd(s));
		}
	}
}

static uint64_t work_of(const char *base, unsigned seed, int width, uint32_t size, size_t n,
			bool crafted, bool full, struct outcome *o)
{
	const char *dir = scratch();
	char what[64];
	struct gen_vol g;
	unsigned s = seed;
	snprintf((char *)base, PATH_MAX, "%s/7", dir);
	gen_big_records(false);
	gen_volume(&g, base, 1 + (int)(seed % 3), width, false, false, seed, 10);
	size_t room = ((size_t)size + 71) & ~(size_t)7; /* for the bodies claimed */
	uint8_t *b = malloc(n + room);
	CHECK(b);
	region(b, n, size, crafted, &s);
	region(b + n, room, size, false, &s);
	gen_append_raw(&g, b, n + room);
	free(b);
	for (int k = 0; k < 3; k++) {
		uint8_t d[100];
		memset(d, k, sizeof(d));
		gen_append(&g, 1000000 + (uint64_t)k, d, sizeof(d), true, g.last_ts + 1000, s);
	}
	uint64_t work;
	if (full) {
		snprintf(what, sizeof(what), "bounded-work %u", seed);
		struct judge j = { .width = width };
		run_case(dir, base, &j, o, what);
		work = o->r.work;
	} else {
		struct nf_opts opt = { .chunk = 65536 };
		nf_check_volume(&opt, base, &o->r);
		work = o->r.work;
		nf_report_free(&o->r);
	}
	gen_free(&g);
	return work;
}

TEST(needle_fsck_class_bounded_work)
{
	int ran = 0;
	double worst = 0;
	char base[PATH_MAX];
	for (unsigned seed = 1; seed <= CASES; seed++) {
		unsigned s = seed;
		/* S = 1 mod 8 puts the flags byte on a zero: the fields check out */
		uint32_t size = 8 * (1024 + rnd(&s) % (16 * 1024)) + 1;
		size_t n = 8 * (2048 + rnd(&s) % 8192);
		int width = 4 + (int)(seed % 2);
		struct outcome base_o, o;
		uint64_t linear = work_of(base, seed, width, size, n, false, false, &base_o);
		uint64_t crafted = work_of(base, seed, width, size, n, true, true, &o);
		double ratio = (double)crafted / (double)linear;
		if (ratio > worst)
			worst = ratio;
		/* quadratic would be n / 8 candidates times size bytes each */
		if (crafted > 3 * linear + (8u << 20))
			test_fail(__FILE__, __LINE__, "bounded-work %u: %llu bytes of work, %llu for random "
				  "bytes", seed, (unsigned long long)crafted, (unsigned long long)linear);
		outcome_free(&o);
		ran++;
	}
	fprintf(stderr, "# needle-fsck class bounded-work: %d cases, worst work ratio to random bytes %.2f\n",
		ran, worst);
	work_done();
}
