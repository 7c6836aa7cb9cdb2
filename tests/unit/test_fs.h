/* test_fs.h - building fake trees (/sys, /proc) for tests. Failures fail
 * the test that called. */
#ifndef BB_TEST_FS_H
#define BB_TEST_FS_H

/* mkdir -p PATH. */
void test_mkdirs(const char *path);
/* PATH (its directories made) holds TEXT exactly: no newline added. */
void test_write_file(const char *path, const char *text);

#endif
