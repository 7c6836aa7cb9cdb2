/* SHA-256: the FIPS 180-2 example vectors (one block, two blocks, and a
 * million 'a's fed in uneven pieces), with the state inside a struct at
 * an odd offset, where UBSan sees any misaligned access. */
#include "hash.h"
#include "test.h"

static const char *digest(const void *data, size_t len, char out[65])
{
	uint8_t d[32];
	sha256(data, len, d);
	return hex(d, 32, out);
}

TEST(sha256_published_vectors)
{
	char h[65];
	CHECK_STR(digest("abc", 3, h),
		  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	CHECK_STR(digest(two, strlen(two), h),
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	CHECK_STR(digest("", 0, h),
		  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(sha256_streamed_state_needs_no_alignment_from_callers)
{
	struct {
		char c;
		struct sha256 h;
	} s;
	static char a[1000];
	memset(a, 'a', sizeof(a));
	sha256_init(&s.h);
	size_t fed = 0;
	for (size_t step = 1; fed < 1000000; step = step * 7 % 997 + 1) {
		size_t n = step < 1000000 - fed ? step : 1000000 - fed;
		sha256_update(&s.h, a, n);
		fed += n;
	}
	uint8_t d[32];
	char h[65];
	sha256_final(&s.h, d);
	CHECK_STR(hex(d, 32, h), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(sha256_file_matches_sha256sum)
{
	char path[4096], h[65];
	uint8_t d[32];
	const char *why;
	snprintf(path, sizeof(path), "%s/abc", test_tmpdir());
	FILE *f = fopen(path, "w");
	fputs("abc", f);
	fclose(f);
	CHECK(sha256_file(path, d, &why) == 0);
	CHECK_STR(hex(d, 32, h), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* more than one read chunk, checked against coreutils' sha256sum */
	snprintf(path, sizeof(path), "%s/big", test_tmpdir());
	f = fopen(path, "w");
	for (int i = 0; i < 3 * 1024 * 1024 + 17; i++)
		fputc((i * 31) ^ (i >> 9), f);
	fclose(f);
	char cmd[4200], want[65] = "";
	snprintf(cmd, sizeof(cmd), "sha256sum '%s'", path);
	FILE *p = popen(cmd, "r");
	CHECK(p && fscanf(p, "%64s", want) == 1);
	pclose(p);
	CHECK(sha256_file(path, d, &why) == 0);
	CHECK_STR(hex(d, 32, h), want);
	CHECK(sha256_file(test_tmpdir(), d, &why) == -1);
	CHECK_STR(why, "not a regular file");
	CHECK(sha256_file("/nonexistent/x", d, &why) == -1);
}
