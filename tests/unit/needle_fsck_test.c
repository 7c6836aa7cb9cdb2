/* needle_fsck_test.c - needle-fsck against generated volumes with every
 * kind of damage (expected results from the generator's own record of
 * what it broke) and against SeaweedFS's fixtures (expected results from
 * their README). */
#include "../../applets/needle-fsck/fsck.h"
#include "crc.h"
#include "endian.h"
#include "io.h"
#include "swfs_gen.h"
#include "test.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int fsck_width(const char *base, bool repair, int width, struct nf_report *r)
{
	struct nf_opts o = { .repair = repair, .offset_bytes = width };
	return nf_check_volume(&o, base, r);
}

static int fsck(const char *base, bool repair, struct nf_report *r)
{
	return fsck_width(base, repair, 0, r);
}

/* The lost needles reported are exactly those the generator broke. */
static void check_lost(const struct gen_vol *g, struct nf_report *r)
{
	size_t want = 0;
	for (size_t i = 0; i < g->nneedle; i++) {
		if (g->needle[i].fate != G_LOST)
			continue;
		want++;
		bool found = false;
		for (size_t j = 0; j < r->lost.n; j++)
			found |= r->lost.v[j] == g->needle[i].id;
		if (!found)
			test_fail(__FILE__, __LINE__, "%s: needle %llx not reported lost", g->base,
				  (unsigned long long)g->needle[i].id);
	}
	for (size_t j = 0; j < r->lost.n && r->lost.n != want; j++) {
		const struct gen_needle *nd = gen_find(g, r->lost.v[j]);
		if (!nd || nd->fate != G_LOST)
			test_fail(__FILE__, __LINE__, "%s: needle %llx reported lost", g->base,
				  (unsigned long long)r->lost.v[j]);
	}
}

static uint64_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) ? UINT64_MAX : (uint64_t)st.st_size;
}

/* A needle whose newest record has data, picked from the middle. */
static size_t live_record(const struct gen_vol *g)
{
	for (size_t i = g->nneedle / 2; i < g->nneedle; i++)
		if (g->needle[i].fate == G_LIVE && g->rec[g->needle[i].rec].data_len)
			return g->needle[i].rec;
	test_fail(__FILE__, __LINE__, "no live needle with data");
}

enum damage {
	D_SIZE, D_FLIP, D_TAIL, D_NOIDX, D_UNFLUSHED, D_SORTED, D_HEADRUN, D_PARTIAL, D_WIDTH,
	D_COUNT
};
static const char *const damage_name[] = { "size", "flip", "tail", "noidx", "unflushed",
					   "sorted", "headrun", "partial", "width" };

static enum nf_kind damage(struct gen_vol *g, enum damage d)
{
	switch (d) {
	case D_SIZE: gen_corrupt_size(g, live_record(g)); return NF_K_LOST;
	case D_FLIP: gen_flip_data(g, live_record(g)); return NF_K_LOST;
	case D_TAIL: gen_torn_tail(g, 40); return NF_K_TAIL;
	case D_NOIDX: gen_drop_idx(g); return NF_K_IDX_MISSING;
	case D_UNFLUSHED: gen_unflushed(g, 5); return NF_K_RESTORED;
	case D_SORTED: gen_sort_idx(g); return NF_K_IDX_ORDER;
	case D_HEADRUN: gen_head_run(g, 3); return NF_K_IDX_HEADRUN;
	case D_PARTIAL: gen_partial_row(g, 7); return NF_K_IDX_PARTIAL;
	default: gen_wrong_width(g); return NF_K_IDX_WIDTH;
	}
}

/* Non-zero offsets strictly rising: append order, never sorted by key. */
static void check_append_order(const struct gen_vol *g)
{
	size_t len, w = swfs_idx_width(g->width);
	uint8_t *b = (uint8_t *)read_file(g->idx, 1 << 28, &len);
	CHECK(b && len % w == 0);
	uint64_t last = 0;
	for (size_t i = 0; i < len / w; i++) {
		struct swfs_idx_entry e;
		swfs_idx_decode(b + i * w, g->width, &e);
		if (e.offset) {
			CHECK(e.offset > last);
			last = e.offset;
		}
	}
	free(b);
}

static void scenario(int version, int width, enum damage d)
{
	char base[PATH_MAX];
	struct gen_vol g;
	struct nf_report r;
	snprintf(base, sizeof(base), "%s/v%d_w%d_%s_7", test_tmpdir(), version, width, damage_name[d]);
	gen_volume(&g, base, version, width, version == 2, d != D_NOIDX, 1000u * (unsigned)version + (unsigned)d, 60);
	enum nf_kind kind = damage(&g, d);
	uint64_t broken = d == D_SIZE || d == D_FLIP;
	size_t old_len = 0;
	char *old_idx = read_file(g.idx, 1 << 28, &old_len);

	/* with no index left, only the operator knows a 5-byte volume */
	int opt = d == D_NOIDX ? width : 0;
	CHECK_EQ(fsck_width(base, false, opt, &r), 4);
	if (r.err_count[kind] == 0)
		test_fail(__FILE__, __LINE__, "%s: no %s error", base, nf_kind_name[kind]);
	check_lost(&g, &r);
	nf_report_free(&r);

	/* a needle whose data is damaged is lost, never "corrected" */
	CHECK_EQ(fsck_width(base, true, opt, &r), broken ? 4 : 1);
	CHECK_EQ(r.lost.n, broken);
	nf_report_free(&r);
	CHECK_EQ(fsck_width(base, false, opt, &r), 0);
	CHECK_EQ(r.records, g.nrec - broken);
	nf_report_free(&r);

	const char *bad = gen_verify(&g, width);
	if (bad)
		test_fail(__FILE__, __LINE__, "%s: %s", base, bad);
	check_append_order(&g);
	/* nothing destroyed: the records are all still there, the old index
	 * kept, a torn tail set aside */
	CHECK_EQ(file_size(g.dat), g.dat_size);
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s.tail", g.dat);
	CHECK_EQ(file_size(path), d == D_TAIL ? 40 : UINT64_MAX);
	if (old_idx && d != D_TAIL) {
		size_t bak_len;
		snprintf(path, sizeof(path), "%s.bak", g.idx);
		char *bak = read_file(path, 1 << 28, &bak_len);
		CHECK(bak && bak_len == old_len && !memcmp(bak, old_idx, old_len));
		free(bak);
	}
	free(old_idx);
	gen_free(&g);
}

#define DAMAGE_TEST(d)                                                  \
	TEST(needle_fsck_##d)                                           \
	{                                                               \
		for (int v = 1; v <= 3; v++)                            \
			for (int w = 4; w <= 5; w++)                    \
				scenario(v, w, d);                      \
	}
DAMAGE_TEST(D_SIZE)
DAMAGE_TEST(D_FLIP)
DAMAGE_TEST(D_TAIL)
DAMAGE_TEST(D_NOIDX)
DAMAGE_TEST(D_UNFLUSHED)
DAMAGE_TEST(D_SORTED)
DAMAGE_TEST(D_HEADRUN)
DAMAGE_TEST(D_PARTIAL)
DAMAGE_TEST(D_WIDTH)

TEST(needle_fsck_clean_volumes)
{
	for (int v = 1; v <= 3; v++)
		for (int w = 4; w <= 5; w++) {
			char base[PATH_MAX];
			struct gen_vol g;
			struct nf_report r;
			snprintf(base, sizeof(base), "%s/clean_%d_%d", test_tmpdir(), v, w);
			gen_volume(&g, base, v, w, v == 3, true, (unsigned)(v * 10 + w), 80);
			CHECK_EQ(fsck(base, false, &r), 0);
			CHECK_EQ(r.records, g.nrec);
			CHECK_EQ(r.offset_bytes, w);
			nf_report_free(&r);
			CHECK(gen_verify(&g, w) == NULL);
			gen_free(&g);
		}
}

/* Several kinds at once, and the same answers whatever the read size and
 * whether a thread reads ahead. */
TEST(needle_fsck_read_sizes)
{
	char base[PATH_MAX];
	struct gen_vol g;
	snprintf(base, sizeof(base), "%s/mixed_9", test_tmpdir());
	gen_volume(&g, base, 3, 4, false, true, 99, 80);
	gen_flip_data(&g, live_record(&g));
	gen_corrupt_size(&g, g.needle[1].rec);
	gen_torn_tail(&g, 21);
	gen_unflushed(&g, 3);
	size_t chunks[] = { 0, 4096, 65536 };
	struct nf_report first = { 0 };
	for (int i = 0; i < 6; i++) {
		struct nf_opts o = { .chunk = chunks[i % 3], .read_ahead = i < 3 };
		struct nf_report r;
		CHECK_EQ(nf_check_volume(&o, base, &r), 4);
		check_lost(&g, &r);
		if (!i) {
			first = r;
			continue;
		}
		CHECK_EQ(r.records, first.records);
		CHECK_EQ(r.damaged_bytes, first.damaged_bytes);
		CHECK_EQ(r.tail_bytes, 21);
		CHECK_EQ(r.errors, first.errors);
		nf_report_free(&r);
	}
	nf_report_free(&first);
	gen_free(&g);
}

/* v3 records carry a rising AppendAtNs; one that goes back is reported
 * (a warning: copied needles keep theirs), and is no error. */
TEST(needle_fsck_append_time_backwards)
{
	char base[PATH_MAX];
	struct gen_vol g;
	struct nf_report r;
	snprintf(base, sizeof(base), "%s/ts_3", test_tmpdir());
	gen_volume(&g, base, 3, 4, false, false, 77, 40);
	const struct gen_rec *rec = &g.rec[g.nrec / 2];
	uint8_t zero[8] = { 0 };
	int fd = open(g.dat, O_RDWR);
	uint64_t body = rec->size > 0 ? (uint64_t)rec->size : 0;
	CHECK(fd >= 0 && pwrite_full(fd, zero, 8, rec->off + SWFS_NEEDLE_HEADER + body + 4) == 0);
	close(fd);
	CHECK_EQ(fsck(base, false, &r), 0);
	CHECK_EQ(r.ts_backwards, 1);
	bool said = false;
	for (size_t i = 0; i < r.nmsgs; i++)
		said |= r.msgs[i].sev == NF_WARN && r.msgs[i].has_off && r.msgs[i].off == rec->off;
	CHECK(said);
	nf_report_free(&r);
	gen_free(&g);
}

/* A repair stopped after each of its steps leaves old or new files, and
 * a re-run finishes it without a second copy of anything. */
TEST(needle_fsck_interrupted_repair)
{
	for (int stop = 1; stop <= 4; stop++) {
		char base[PATH_MAX], path[PATH_MAX + 16];
		struct gen_vol g;
		struct nf_report r;
		snprintf(base, sizeof(base), "%s/stop%d_3", test_tmpdir(), stop);
		gen_volume(&g, base, 3, 5, false, true, 40u + (unsigned)stop, 60);
		gen_flip_data(&g, live_record(&g));
		gen_unflushed(&g, 4);
		gen_torn_tail(&g, 30);
		size_t old_len, len;
		char *old = read_file(g.idx, 1 << 28, &old_len);

		struct nf_opts o = { .repair = true, .stop_after = stop };
		nf_check_volume(&o, base, &r);
		nf_report_free(&r);
		char *now = read_file(g.idx, 1 << 28, &len);
		bool is_old = len == old_len && !memcmp(now, old, len);
		CHECK(is_old == (stop < 2));
		CHECK(len % 17 == 0);
		uint64_t dat = file_size(g.dat);
		CHECK(dat == g.dat_size + 30 || (stop >= 4 && dat == g.dat_size));
		free(now);

		CHECK((fsck(base, true, &r) & ~5) == 0);
		nf_report_free(&r);
		CHECK_EQ(fsck(base, false, &r), 0);
		nf_report_free(&r);
		CHECK(gen_verify(&g, 5) == NULL);
		snprintf(path, sizeof(path), "%s.bak.1", g.idx);
		CHECK(!path_exists(path));
		snprintf(path, sizeof(path), "%s.tail.1", g.dat);
		CHECK(!path_exists(path));
		snprintf(path, sizeof(path), "%s.tail", g.dat);
		CHECK_EQ(file_size(path), 30);
		free(old);
		gen_free(&g);
	}
}

/* The piecewise check of one record agrees with core's whole-record
 * parser on good records and on every single-byte corruption of them. */
TEST(needle_fsck_record_matches_core)
{
	unsigned seed = 5;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/rec", test_tmpdir());
	for (int t = 0; t < 300; t++) {
		int version = 1 + t % 3;
		uint32_t len = t % 50 == 0 ? (400u << 10) : (uint32_t)(t * 37 % 3000);
		uint8_t *data = malloc(len + 1), *rec = malloc(len + 70000);
		for (uint32_t i = 0; i < len; i++)
			data[i] = (uint8_t)(i * 7 + t);
		struct swfs_needle n = { .cookie = 1, .id = 100 + (uint64_t)t, .data = data,
					 .data_size = len, .append_at_ns = 5 };
		n.flags = version > 1 ? (uint8_t)(t & 0x3e) : 0;
		n.name = (const uint8_t *)"n", n.name_size = 1;
		n.mime = (const uint8_t *)"m/x", n.mime_size = 3;
		n.pairs = (const uint8_t *)"{}", n.pairs_size = 2;
		size_t total = swfs_needle_encode(&n, version, t & 1, rec + 8, len + 69000);
		CHECK(total > 0);
		seed = seed * 1103515245u + 12345u;
		if (t % 3)
			rec[8 + (seed >> 8) % total] ^= (uint8_t)(1 + (seed >> 4) % 255);
		memset(rec, 0, 8);
		CHECK(write_file_atomic(path, rec, total + 8, 0644) == 0);
		int fd = open(path, O_RDONLY);
		struct nf_src s;
		CHECK(nf_src_open(&s, fd, total + 8, t % 2 ? 4096 : 0, t % 4 == 1) == 0);
		struct nf_rec r;
		struct swfs_needle pn;
		const char *why, *pwhy;
		enum nf_rv rv = nf_record(&s, version, 8, false, &r, &why);
		enum swfs_verdict pv = swfs_needle_parse(rec + 8, total, version, &pn, &pwhy);
		if ((rv == NF_OK) != (pv == SWFS_REC_OK))
			test_fail(__FILE__, __LINE__, "record %d v%d: fsck says %s, core says %s", t,
				  version, why ? why : "ok", pwhy ? pwhy : "ok");
		if (rv == NF_OK)
			CHECK(r.id == pn.id && r.size == pn.size && r.len == total);
		nf_src_close(&s);
		close(fd);
		free(data);
		free(rec);
	}
}

/* ---- SeaweedFS's own files (expected results: fixtures/seaweedfs/README.md) ---- */

static const char *fixture(const char *name, char *buf, size_t len)
{
	char rel[256];
	snprintf(rel, sizeof(rel), "seaweedfs/%s", name);
	if (!test_fixture(rel, buf, len))
		test_skip("../shared/fixtures/seaweedfs is absent");
	size_t n = strlen(buf);
	char *dot = strrchr(buf, '.');
	if (dot && dot > buf + n - 5)
		*dot = 0; /* the base */
	return buf;
}

static bool copy_file(const char *from, const char *to)
{
	size_t len;
	char *b = read_file(from, 1 << 26, &len);
	bool ok = b && write_file_atomic(to, b, len, 0644) == 0;
	free(b);
	return ok;
}

TEST(needle_fsck_fixture_healthy)
{
	char base[PATH_MAX];
	struct nf_report r;
	fixture("test_files__healthy_volume.dat", base, sizeof(base));
	CHECK_EQ(fsck(base, false, &r), 0);
	CHECK_EQ(r.version, 3);
	CHECK_STR(r.replica, "002");
	CHECK_EQ(r.dat_size, 942856);
	CHECK_EQ(r.records, 27);   /* 17 needles, 10 tombstones of 32 bytes */
	CHECK_EQ(r.tombstones, 10);
	CHECK_EQ(r.idx_rows, 27);
	CHECK_EQ(r.legacy_crc, 0); /* raw CRCs */
	CHECK_EQ(r.live + r.deleted, 17);
	CHECK_EQ(r.deleted, 10);
	CHECK_EQ(r.errors, 0);
	CHECK_EQ(r.damaged_bytes, 0);
	nf_report_free(&r);
}

TEST(needle_fsck_fixture_bitrot)
{
	char base[PATH_MAX], copy[PATH_MAX], from[PATH_MAX + 8], to[PATH_MAX + 16];
	struct nf_report r;
	fixture("test_files__bitrot_volume.dat", base, sizeof(base));
	CHECK_EQ(fsck(base, false, &r), 4);
	/* CRC fails on needles 3 and 0x30, and one byte trails */
	CHECK_EQ(r.msg_count[NF_K_DAMAGED], 2);
	int seen = 0;
	for (size_t i = 0; i < r.nmsgs; i++)
		if (r.msgs[i].kind == NF_K_DAMAGED)
			seen |= (r.msgs[i].has_id && r.msgs[i].id == 3) |
				(r.msgs[i].has_id && r.msgs[i].id == 0x30) << 1;
	CHECK_EQ(seen, 3);
	CHECK_EQ(r.lost.n, 2);
	CHECK(r.lost.v[0] + r.lost.v[1] == 3 + 0x30 && r.lost.v[0] * r.lost.v[1] == 3 * 0x30);
	CHECK_EQ(r.tail_bytes, 1);
	CHECK_EQ(r.msg_count[NF_K_TAIL], 1);
	CHECK_EQ(r.records, 25);
	nf_report_free(&r);

	/* repaired on a copy: clean afterwards, nothing thrown away */
	snprintf(copy, sizeof(copy), "%s/1", test_tmpdir());
	for (int i = 0; i < 2; i++) {
		const char *ext = i ? ".idx" : ".dat";
		snprintf(from, sizeof(from), "%s%s", base, ext);
		snprintf(to, sizeof(to), "%s%s", copy, ext);
		CHECK(copy_file(from, to));
	}
	/* the tail corrected, needles 3 and 0x30 lost */
	CHECK_EQ(fsck(copy, true, &r), 5);
	CHECK_EQ(r.lost.n, 2);
	nf_report_free(&r);
	CHECK_EQ(fsck(copy, false, &r), 0);
	CHECK_EQ(r.dat_size, 942856);
	CHECK_EQ(r.lost.n, 0);
	CHECK_EQ(r.idx_rows, 25);
	nf_report_free(&r);
	snprintf(to, sizeof(to), "%s.dat.tail", copy);
	CHECK_EQ(file_size(to), 1);
	snprintf(to, sizeof(to), "%s.idx.bak", copy);
	CHECK_EQ(file_size(to), 432);
}

TEST(needle_fsck_fixture_empty)
{
	char base[PATH_MAX];
	struct nf_report r;
	fixture("test_files__empty_volume.dat", base, sizeof(base));
	CHECK_EQ(fsck(base, false, &r), 0);
	CHECK_EQ(r.dat_size, 8);
	CHECK_EQ(r.records, 0);
	CHECK_EQ(r.idx_size, 0);
	nf_report_free(&r);
}

TEST(needle_fsck_fixture_legacy_crc)
{
	char base[PATH_MAX];
	struct nf_report r;
	fixture("erasure_coding__1.dat", base, sizeof(base));
	CHECK_EQ(fsck(base, false, &r), 0);
	CHECK_EQ(r.records, 298);
	CHECK_EQ(r.legacy_crc, 298);
	CHECK_EQ(r.tombstones, 0);
	CHECK_EQ(r.live, 298);
	nf_report_free(&r);
	/* one 1.15 MB needle, legacy CRC, no .idx: one needle to index */
	fixture("needle__43.dat", base, sizeof(base));
	CHECK_EQ(fsck(base, false, &r), 4);
	CHECK_EQ(r.records, 1);
	CHECK_EQ(r.legacy_crc, 1);
	CHECK_EQ(r.damaged_bytes, 0);
	CHECK_EQ(r.err_count[NF_K_IDX_MISSING], 1);
	CHECK_EQ(r.errors, 1);
	nf_report_free(&r);
}

TEST(needle_fsck_fixture_index_files)
{
	char base[PATH_MAX];
	struct nf_report r;
	fixture("idx__test_files__simple_index.idx", base, sizeof(base));
	CHECK_EQ(fsck(base, false, &r), 0);
	CHECK_EQ(r.idx_rows, 161);
	CHECK_EQ(r.live, 161);
	nf_report_free(&r);
	/* one byte inserted: a size error and overlapping entries */
	fixture("idx__test_files__simple_index_bitrot.idx", base, sizeof(base));
	CHECK_EQ(fsck(base, false, &r), 4);
	CHECK_EQ(r.offset_bytes, 4);
	CHECK(r.err_count[NF_K_IDX_PARTIAL] == 1 && r.err_count[NF_K_IDX_OVERLAP] > 0);
	nf_report_free(&r);
	/* 158 whole rows and 12 bytes */
	fixture("idx__test_files__simple_index_truncated.idx", base, sizeof(base));
	CHECK_EQ(fsck(base, false, &r), 4);
	CHECK_EQ(r.idx_rows, 158);
	CHECK_EQ(r.err_count[NF_K_IDX_PARTIAL], 1);
	CHECK_EQ(r.errors, 1);
	nf_report_free(&r);
	/* 154 puts and 76 tombstones; its .ecx: 116 live rows sorted by id */
	fixture("idx__test_files__deleted_files.idx", base, sizeof(base));
	CHECK_EQ(fsck(base, false, &r), 0);
	CHECK_EQ(r.idx_rows, 230);
	CHECK_EQ(r.deleted, 76);
	CHECK_EQ(r.live, 154 - 76);
	CHECK(r.have_ecx);
	nf_report_free(&r);
	fixture("idx__test_files__deleted_files_bitrot.ecx", base, sizeof(base));
	CHECK_EQ(fsck(base, false, &r), 4);
	CHECK(r.err_count[NF_K_ECX] > 0);
	nf_report_free(&r);
}

/* 187.idx: 17-byte rows, key 0x671b905 stored at 12884911892 units. */
TEST(needle_fsck_fixture_5_byte_offsets)
{
	char base[PATH_MAX];
	struct nf_report r;
	fixture("test_data__187.idx", base, sizeof(base));
	CHECK_EQ(fsck(base, false, &r), 0);
	CHECK_EQ(r.offset_bytes, 5);
	CHECK_EQ(r.idx_rows, 60527);
	nf_report_free(&r);

	struct nf_opts o = { 0 };
	struct nf_vol v = { .o = &o, .r = &r, .dat_fd = -1 };
	memset(&r, 0, sizeof(r));
	swfs_path(v.idx, sizeof(v.idx), base, ".idx");
	swfs_path(v.vif, sizeof(v.vif), base, ".vif");
	CHECK_EQ(nf_load_index(&v), 0);
	CHECK_EQ(v.read_width, 5);
	uint64_t deletes = 0, found = 0;
	for (size_t i = 0; i < v.rows.n; i++) {
		deletes += v.rows.e[i].size < 0;
		if (v.rows.e[i].id == 0x671b905)
			found = nf_off8(&v.rows.e[i]) * 8;
	}
	CHECK_EQ(found, 103079295136ull);
	CHECK_EQ(deletes, 34);
	free(v.rows.e);
	nf_report_free(&r);
}

/* The read-ahead ring against the file itself: windows taken forward in
 * small and large steps, and jumps back and ahead (as the search after
 * damage makes), with and without the reader thread, chunks of 4 KiB and
 * 64 KiB: every byte as pread gives it, CRCs as computed over the file. */
TEST(needle_fsck_src_ring_jumps)
{
	char path[PATH_MAX];
	size_t size = 3 * (NF_SMALL + 65536) + 12345;
	uint8_t *file = malloc(size);
	uint32_t seed = 7;
	CHECK(file);
	for (size_t i = 0; i < size; i++) {
		seed = seed * 1103515245u + 12345u;
		file[i] = (uint8_t)(seed >> 16);
	}
	snprintf(path, sizeof(path), "%s/ring", test_tmpdir());
	CHECK_EQ(write_file_atomic(path, file, size, 0644), 0);
	int fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	for (int t = 0; t < 4; t++) {
		struct nf_src s;
		CHECK_EQ(nf_src_open(&s, fd, size, t & 1 ? 65536 : 4096, t >= 2), 0);
		uint64_t off = 0;
		for (int step = 0; step < 3000; step++) {
			seed = seed * 1103515245u + 12345u;
			uint32_t r = seed >> 8;
			size_t n = r % 5 ? 1 + r % 700 : 1 + r % NF_SMALL;
			if (r % 97 == 0)
				off = (r * 31u) % size; /* a jump, back or ahead */
			if (off + n > size)
				off = 0;
			const uint8_t *p = nf_src_get(&s, off, n);
			if (!p || memcmp(p, file + off, n))
				test_fail(__FILE__, __LINE__, "thread %d chunk %d: %zu bytes at %llu differ",
					  t >= 2, t & 1, n, (unsigned long long)off);
			uint32_t crc;
			if (r % 13 == 0 && off + 3 * n < size) {
				CHECK_EQ(nf_src_crc(&s, off, 3 * n, &crc), 0);
				CHECK_EQ(crc, crc32c(0, file + off, 3 * n));
			}
			off += n - (r % 3 == 0 ? n / 2 : 0);
		}
		nf_src_close(&s);
	}
	close(fd);
	free(file);
}
