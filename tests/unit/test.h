/* test.h - the unit test framework: TEST(name) { CHECK(...); }.
 *
 * Tests register themselves; the runner forks one child per test so a
 * crash or sanitizer report fails that test only, and prints
 * PASS/FAIL/SKIP lines that tests/run-unit.sh totals.
 */
#ifndef BB_TEST_H
#define BB_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test {
	const char *name;
	void (*fn)(void);
	struct test *next;
};

void test_register(struct test *t);
void test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
void test_skip(const char *why) __attribute__((noreturn));

/* A fresh directory for this test, removed afterwards. */
const char *test_tmpdir(void);
/* Path of a fixture under ../shared/fixtures, or NULL (the test should
 * skip) when the shared folder is absent. */
const char *test_fixture(const char *rel, char *buf, size_t len);

#define TEST(n)                                                                   \
	static void test_##n(void);                                               \
	static struct test test_desc_##n = { #n, test_##n, NULL };                \
	__attribute__((constructor)) static void test_reg_##n(void)               \
	{                                                                         \
		test_register(&test_desc_##n);                                    \
	}                                                                         \
	static void test_##n(void)

#define CHECK(c)                                                                  \
	do {                                                                      \
		if (!(c))                                                         \
			test_fail(__FILE__, __LINE__, "%s", #c);                  \
	} while (0)

#define CHECK_EQ(a, b)                                                            \
	do {                                                                      \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                  \
		if (a_ != b_)                                                     \
			test_fail(__FILE__, __LINE__, "%s == %s: 0x%" PRIx64      \
				  " != 0x%" PRIx64, #a, #b, a_, b_);              \
	} while (0)

#define CHECK_STR(a, b)                                                           \
	do {                                                                      \
		const char *a_ = (a), *b_ = (b);                                  \
		if (!a_ || !b_ || strcmp(a_, b_))                                 \
			test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", \
				  #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");  \
	} while (0)

#endif
