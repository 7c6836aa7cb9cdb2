/* exec.h - run an external tool by argv (never through a shell). */
#ifndef BB_EXEC_H
#define BB_EXEC_H

#include <stddef.h>

enum {
	RUN_OUT = 1 << 0,   /* capture stdout into r->out */
	RUN_ERR = 1 << 1,   /* capture stderr into r->err */
	RUN_QUIET = 1 << 2, /* discard what is not captured */
};

struct run_result {
	int status; /* exit code, 128+signal, or -1 when it could not run */
	char *out, *err;
	size_t out_len, err_len;
};

struct bb_error;

/* Runs argv[0] (looked up in PATH), feeding `input` (may be NULL) on its
 * stdin. Returns r->status, or -1 with e filled when it could not run
 * (a missing tool: ENOENT, naming the Debian package that provides it).
 * Free the captures with run_free(). */
int run_argv(const char *const argv[], unsigned flags, const char *input,
	     struct run_result *r, struct bb_error *e);
void run_free(struct run_result *r);

/* Full path of a tool found in PATH, into buf; NULL when absent. */
const char *which(const char *tool, char *buf, size_t len);

/* The Debian package that provides a tool we call, or NULL. */
const char *tool_package(const char *tool);

#endif
