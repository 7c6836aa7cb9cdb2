/* SeaweedFS format core against SeaweedFS's own files: expected values come
 * from the fixtures README and the spec, not from this code. */
#include "io.h"
#include "swfs.h"
#include "swfs_gen.h"
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static uint8_t *fixture(const char *name, size_t *len)
{
	char path[4096];
	if (!test_fixture(name, path, sizeof(path)))
		test_skip("../shared/fixtures absent");
	uint8_t *b = (uint8_t *)read_file(path, 64 << 20, len);
	if (!b)
		test_fail(__FILE__, __LINE__, "cannot read %s", path);
	return b;
}

struct walk {
	int records, bad, legacy, tombstones;
	uint64_t end;
	uint64_t bad_ids[4];
};

/* Walk records in order; used only where the files are known to be whole. */
static struct walk walk_dat(const uint8_t *b, size_t len)
{
	struct walk w = { 0 };
	struct swfs_superblock sb;
	const char *why;
	CHECK_EQ(swfs_sb_parse(b, &sb, &why), 0);
	uint64_t off = swfs_sb_data_start(&sb);
	while (off + SWFS_NEEDLE_HEADER <= len) {
		struct swfs_needle n;
		enum swfs_verdict v = swfs_needle_parse(b + off, len - off, sb.version, &n, &why);
		if (v == SWFS_REC_SHORT)
			break;
		if (v != SWFS_REC_OK && w.bad < 4)
			w.bad_ids[w.bad] = n.id;
		w.bad += v != SWFS_REC_OK;
		w.records++;
		w.legacy += n.crc_legacy;
		w.tombstones += n.size == 0;
		off += swfs_record_len(n.size, sb.version);
	}
	w.end = off;
	return w;
}

TEST(swfs_healthy_volume)
{
	size_t len;
	uint8_t *b = fixture("seaweedfs/test_files__healthy_volume.dat", &len);
	struct swfs_superblock sb;
	const char *why;
	CHECK_EQ(swfs_sb_parse(b, &sb, &why), 0);
	CHECK_EQ(sb.version, 3);
	char rp[4];
	swfs_replica_str(sb.replica, rp);
	CHECK_STR(rp, "002");
	struct walk w = walk_dat(b, len);
	CHECK_EQ(w.records, 27); /* 17 live + 10 tombstones */
	CHECK_EQ(w.tombstones, 10);
	CHECK_EQ(w.bad, 0);
	CHECK_EQ(w.legacy, 0); /* raw CRCs */
	CHECK_EQ(w.end, len);
	free(b);
}

TEST(swfs_bitrot_volume)
{
	size_t len;
	uint8_t *b = fixture("seaweedfs/test_files__bitrot_volume.dat", &len);
	struct walk w = walk_dat(b, len);
	CHECK_EQ(w.bad, 2);
	CHECK_EQ(w.bad_ids[0], 3);
	CHECK_EQ(w.bad_ids[1], 0x30);
	CHECK_EQ(len - w.end, 1); /* one trailing byte */
	free(b);
}

TEST(swfs_legacy_crc_volumes)
{
	size_t len;
	uint8_t *b = fixture("seaweedfs/erasure_coding__1.dat", &len);
	struct walk w = walk_dat(b, len);
	CHECK_EQ(w.records, 298);
	CHECK_EQ(w.legacy, 298);
	CHECK_EQ(w.bad, 0);
	CHECK_EQ(w.end, 2590912);
	free(b);
	b = fixture("seaweedfs/needle__43.dat", &len);
	w = walk_dat(b, len);
	CHECK_EQ(w.records, 1);
	CHECK_EQ(w.legacy, 1);
	free(b);
}

TEST(swfs_reencode_matches_upstream_bytes)
{
	/* Upstream's padding bytes and layout, reproduced exactly. */
	size_t len;
	uint8_t *b = fixture("seaweedfs/test_files__healthy_volume.dat", &len);
	uint64_t off = 8;
	uint8_t *out = malloc(len);
	while (off < len) {
		struct swfs_needle n;
		const char *why;
		CHECK_EQ(swfs_needle_parse(b + off, len - off, 3, &n, &why), SWFS_REC_OK);
		size_t rl = swfs_needle_encode(&n, 3, n.crc_legacy, out, len);
		CHECK_EQ(rl, swfs_record_len(n.size, 3));
		CHECK(!memcmp(out, b + off, rl));
		off += rl;
	}
	free(out);
	free(b);
}

TEST(swfs_record_lengths)
{
	/* spec 2.4: a v3 tombstone takes 32 bytes, v1/v2 24; padding 1..8 */
	CHECK_EQ(swfs_record_len(0, 3), 32);
	CHECK_EQ(swfs_record_len(0, 2), 24);
	CHECK_EQ(swfs_record_len(0, 1), 24);
	CHECK_EQ(swfs_record_len(-1, 3), 32);
	CHECK_EQ(swfs_padding(4, 3), 8); /* 28+4 = 32 already aligned: 8 */
	CHECK_EQ(swfs_padding(3, 3), 1);
	CHECK_EQ(swfs_record_len(3, 3), 32);
}

TEST(swfs_legacy_transform)
{
	/* Value(c) = rotr(c, 15) + 0xa282ead8: for c = 0 that is the constant */
	CHECK_EQ(swfs_crc_legacy(0), 0xa282ead8);
	CHECK_EQ(swfs_crc_legacy(0x8000), 0x00000001u + 0xa282ead8u);
	CHECK_EQ(swfs_crc("123456789", 9), 0xE3069283);
}

TEST(swfs_five_byte_index)
{
	size_t len;
	uint8_t *b = fixture("seaweedfs/test_data__187.idx", &len);
	CHECK_EQ(len % 17, 0);
	CHECK_EQ(len / 17, 60527);
	bool found = false;
	for (size_t i = 0; i < len; i += 17) {
		struct swfs_idx_entry e;
		swfs_idx_decode(b + i, 5, &e);
		if (e.id == 0x671b905) {
			CHECK_EQ(e.offset, 103079295136ull); /* the upstream test's value */
			found = true;
		}
		uint8_t re[17];
		swfs_idx_encode(&e, 5, re);
		CHECK(!memcmp(re, b + i, 17));
	}
	CHECK(found);
	free(b);
}

TEST(swfs_index_replay)
{
	size_t len;
	uint8_t *b = fixture("seaweedfs/idx__test_files__deleted_files.idx", &len);
	CHECK_EQ(len / 16, 230);
	struct swfs_idx_entry *live;
	size_t n;
	CHECK_EQ(swfs_index_live(b, len, 4, &live, &n), 0);
	/* 154 puts and 76 tombstones of distinct put ids (counted from the
	 * rows by the test itself): 78 survive, ascending */
	int puts = 0, dels = 0;
	for (size_t i = 0; i < len; i += 16) {
		struct swfs_idx_entry e;
		swfs_idx_decode(b + i, 4, &e);
		swfs_idx_is_delete(&e) ? dels++ : puts++;
	}
	CHECK_EQ(puts, 154);
	CHECK_EQ(dels, 76);
	CHECK_EQ(n, 78);
	for (size_t i = 1; i < n; i++)
		CHECK(live[i - 1].id < live[i].id);
	free(live);
	/* a re-put after a delete is live again; a trailing partial row ignored */
	uint8_t rows[16 * 3 + 5];
	struct swfs_idx_entry e1 = { 7, 8, 10 }, d1 = { 7, 40, -1 }, e2 = { 7, 72, 12 };
	swfs_idx_encode(&e1, 4, rows);
	swfs_idx_encode(&d1, 4, rows + 16);
	swfs_idx_encode(&e2, 4, rows + 32);
	CHECK_EQ(swfs_index_live(rows, sizeof(rows), 4, &live, &n), 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(live[0].offset, 72);
	CHECK_EQ(live[0].size, 12);
	free(live);
	CHECK_EQ(swfs_index_live(rows, 32, 4, &live, &n), 0);
	CHECK_EQ(n, 0);
	CHECK(live == NULL);
	/* the .ecx of those rows: the one live row, as it was written */
	uint8_t *ecx = swfs_ecx_from_idx(rows, sizeof(rows), 4, &n);
	CHECK(ecx && n == 1 && !memcmp(ecx, rows + 32, 16));
	free(ecx);
	ecx = swfs_ecx_from_idx(rows, 32, 4, &n);
	CHECK(ecx && n == 0);
	free(ecx);
	free(b);
}

TEST(swfs_vif)
{
	/* the spec's typical EC .vif */
	const char *typical =
		"{\"files\":[],\"version\":3,\"replication\":\"\",\"bytesOffset\":0,"
		"\"datFileSize\":\"2590912\",\"expireAtSec\":\"0\",\"readOnly\":false,"
		"\"ecShardConfig\":{\"dataShards\":10,\"parityShards\":4,"
		"\"encodeTsNs\":\"1790000000000000000\"},\"readOnlyCanDelete\":false}";
	struct swfs_vif v;
	char err[256];
	CHECK_EQ(swfs_vif_parse(typical, strlen(typical), &v, err, sizeof(err)), 0);
	CHECK_EQ(v.version, 3);
	CHECK(v.has_dat_file_size && v.dat_file_size == 2590912);
	CHECK(v.has_ec_config && v.data_shards == 10 && v.parity_shards == 4);
	CHECK_EQ(v.encode_ts_ns, 1790000000000000000ll);
	CHECK(!v.remote);
	/* snake_case and numbers instead of strings are accepted too */
	const char *snake = "{\"dat_file_size\": 1234, \"ec_shard_config\": {\"data_shards\": 6,"
			    " \"parity_shards\": 3}, \"bytes_offset\": 5}";
	CHECK_EQ(swfs_vif_parse(snake, strlen(snake), &v, err, sizeof(err)), 0);
	CHECK_EQ(v.dat_file_size, 1234);
	CHECK_EQ(v.data_shards, 6);
	CHECK_EQ(v.bytes_offset, 5);
	CHECK_EQ(swfs_vif_parse("  \n", 3, &v, err, sizeof(err)), 0);
	CHECK(!v.has_ec_config && !v.has_dat_file_size);
	CHECK_EQ(swfs_vif_parse("{\"bytesOffset\": 6}", 18, &v, err, sizeof(err)), -1);
	CHECK_EQ(swfs_vif_parse("{\"datFileSize\": \"-1\"}", 21, &v, err, sizeof(err)), -1);
	CHECK_EQ(swfs_vif_parse("[]", 2, &v, err, sizeof(err)), -1);
	/* what we write parses back */
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	struct swfs_vif w = { .version = 3, .dat_file_size = 99, .has_dat_file_size = true,
			      .has_ec_config = true, .data_shards = 10, .parity_shards = 4,
			      .encode_ts_ns = -5 };
	swfs_vif_write(f, &w);
	fclose(f);
	CHECK_EQ(swfs_vif_parse(buf, blen, &v, err, sizeof(err)), 0);
	CHECK(v.dat_file_size == 99 && v.data_shards == 10 && v.encode_ts_ns == -5);
	free(buf);
}

TEST(swfs_volume_names)
{
	char base[64];
	CHECK(swfs_volume_name("7.dat", ".dat", base, sizeof(base)));
	CHECK_STR(base, "7");
	CHECK(swfs_volume_name("pics_7.ecx", ".ecx", base, sizeof(base)));
	CHECK_STR(base, "pics_7");
	CHECK(swfs_volume_name("my_pics_123.dat", ".dat", base, sizeof(base)));
	CHECK_STR(base, "my_pics_123");
	CHECK(!swfs_volume_name("pics.dat", ".dat", base, sizeof(base)));
	CHECK(!swfs_volume_name("pics7.dat", ".dat", base, sizeof(base)));
	CHECK(!swfs_volume_name("_7.dat", ".dat", base, sizeof(base)));
	CHECK(!swfs_volume_name("7.idx", ".dat", base, sizeof(base)));
	CHECK(!swfs_volume_name(".dat", ".dat", base, sizeof(base)));
}

TEST(swfs_vif_files)
{
	char path[4096], err[128];
	struct swfs_vif v;
	snprintf(path, sizeof(path), "%s/7.vif", test_tmpdir());
	CHECK_EQ(swfs_vif_load(path, &v, err, sizeof(err)), 0); /* absent */
	CHECK(write_file_atomic(path, " \n", 2, 0644) == 0);
	CHECK_EQ(swfs_vif_load(path, &v, err, sizeof(err)), 0); /* empty counts as absent */
	CHECK(write_file_atomic(path, "{\"datFileSize\":\"12\"}", 20, 0644) == 0);
	CHECK_EQ(swfs_vif_load(path, &v, err, sizeof(err)), 1);
	CHECK(v.has_dat_file_size && v.dat_file_size == 12);
	CHECK(write_file_atomic(path, "{\"bytesOffset\":5,\"version\":9}", 29, 0644) == 0);
	CHECK_EQ(swfs_vif_load(path, &v, err, sizeof(err)), -1);
	CHECK(strstr(err, "version") && v.bytes_offset == 0); /* nothing half-read */
	CHECK_EQ(swfs_vif_load(test_tmpdir(), &v, err, sizeof(err)), -1); /* a directory */
}

TEST(swfs_volume_files)
{
	char base[64], path[4096];
	CHECK_EQ(swfs_file_kind("pics_7.ec13", base, sizeof(base)), SWFS_SHARD);
	CHECK_STR(base, "pics_7");
	CHECK_EQ(swfs_file_kind("7.ec31", base, sizeof(base)), SWFS_SHARD);
	CHECK_EQ(swfs_file_kind("7.ec32", base, sizeof(base)), 0); /* at most 32 shards */
	CHECK_EQ(swfs_file_kind("7.ec3", base, sizeof(base)), 0);
	CHECK_EQ(swfs_file_kind("7.vif", base, sizeof(base)), SWFS_VIF);
	CHECK_EQ(swfs_file_kind("pics_7.ecsum", base, sizeof(base)), SWFS_ECSUM);
	CHECK_STR(base, "pics_7");
	CHECK_EQ(swfs_file_kind("7.idx.bak", base, sizeof(base)), 0);
	CHECK_EQ(swfs_file_kind("pics.ecx", base, sizeof(base)), 0);
	snprintf(path, sizeof(path), "d.1/pics_7.ec03");
	swfs_strip_ext(path);
	CHECK_STR(path, "d.1/pics_7");
	swfs_strip_ext(path); /* a base stays a base */
	CHECK_STR(path, "d.1/pics_7");
	snprintf(path, sizeof(path), "d/notes.dat");
	swfs_strip_ext(path);
	CHECK_STR(path, "d/notes.dat");

	/* a directory: each volume once, sorted, only those with the kinds asked for */
	static const char *const files[] = { "9.dat", "9.idx", "pics_3.ec00", "pics_3.ecx",
					     "pics_3.ec11", "4.idx.bak", "readme", "12.vif" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), files[i]);
		CHECK(write_file_atomic(path, "", 0, 0644) == 0);
	}
	char **list;
	size_t n;
	CHECK_EQ(swfs_dir_volumes(test_tmpdir(), "D", SWFS_SHARD | SWFS_ECX | SWFS_DAT, &list, &n), 0);
	CHECK_EQ(n, 2);
	CHECK_STR(list[0], "D/9");
	CHECK_STR(list[1], "D/pics_3");
	swfs_free_list(list, n);
	CHECK_EQ(swfs_dir_volumes(test_tmpdir(), "D", SWFS_VIF, &list, &n), 0);
	CHECK(n == 1 && !strcmp(list[0], "D/12"));
	swfs_free_list(list, n);
	snprintf(path, sizeof(path), "%s/none", test_tmpdir());
	CHECK_EQ(swfs_dir_volumes(path, "D", SWFS_DAT, &list, &n), -1);
}

/* 32 rows of 17 bytes are 34 of 16: only the records tell the width. */
TEST(swfs_index_width_guess)
{
	char base[4096];
	struct gen_vol g;
	const char *how;
	snprintf(base, sizeof(base), "%s/w_5", test_tmpdir());
	gen_volume(&g, base, 3, 5, false, false, 17, 32);
	CHECK_EQ(g.idx_rows * 17 % 16, 0);
	CHECK_EQ(swfs_idx_width_by_size(g.idx_rows * 17), 0);
	CHECK_EQ(swfs_idx_width_by_size(16 * 3), 4);
	CHECK_EQ(swfs_idx_width_by_size(17 * 3), 5);
	CHECK_EQ(swfs_idx_width_by_size(7), 0);
	size_t len;
	uint8_t *idx = (uint8_t *)read_file(g.idx, 1 << 20, &len);
	int dat = open(g.dat, O_RDONLY);
	CHECK(idx && dat >= 0 && len == g.idx_rows * 17);
	CHECK_EQ(swfs_idx_guess_width(idx, len, len, dat, g.dat_size, 4, &how), 5);
	CHECK_STR(how, "records");
	/* without .dat, what is declared decides a size both widths fit */
	CHECK_EQ(swfs_idx_guess_width(idx, len, len, -1, 0, 5, &how), 5);
	CHECK_STR(how, "declared");
	/* a length only one width fits, and nothing else to go by */
	CHECK_EQ(swfs_idx_guess_width(idx, len - 17, len - 17, -1, 0, 0, &how), 5);
	CHECK_STR(how, "size");
	CHECK_EQ(swfs_idx_guess_width(idx, 0, 0, -1, 0, 0, &how), 4);
	CHECK_STR(how, "default");
	free(idx);
	close(dat);
	gen_free(&g);
}

TEST(swfs_ecx_width_by_order)
{
	/* 16 rows of 17 bytes, ids ascending: also 17 rows of 16 */
	uint8_t b[16 * 17];
	for (int i = 0; i < 16; i++) {
		struct swfs_idx_entry e = { 0x100 + (uint64_t)i * 3, 8 + (uint64_t)i * 64, 20 };
		swfs_idx_encode(&e, 5, b + i * 17);
	}
	CHECK_EQ(swfs_ecx_width(b, sizeof(b), 0), 5);
	CHECK_EQ(swfs_ecx_width(b, sizeof(b), 4), 5); /* the order outweighs a declaration */
	CHECK_EQ(swfs_ecx_width(b, 17 * 3, 4), 5);    /* a length only one width fits */
	CHECK_EQ(swfs_ecx_width(b, 0, 5), 5);         /* nothing to tell by */
	CHECK_EQ(swfs_ecx_width(b, 0, 0), 4);
}

