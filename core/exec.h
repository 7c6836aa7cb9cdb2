/* exec.h - the one way blockbox runs another program.
 *
 * By argv, never through a shell. The child gets its own process group
 * (or, RUN_SESSION, its own session), an empty signal mask, stdin from
 * `input` or /dev/null, and the environment given or ours. A timeout
 * sends SIGTERM to the whole group, then SIGKILL after a grace period; a
 * process that survives even that (blocked in the kernel on a hung disk)
 * is left behind and said to be stuck, so the caller never hangs with
 * it. stdout and stderr are captured whole or, for journals, only their
 * last `tail` bytes. What happened is said in words by run_words().
 * Nothing is printed: a program that cannot be started is a struct
 * bb_error (a missing tool names its Debian package).
 */
#ifndef BB_EXEC_H
#define BB_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum {
	RUN_OUT = 1 << 0,     /* capture stdout into r->out */
	RUN_ERR = 1 << 1,     /* capture stderr into r->err */
	RUN_QUIET = 1 << 2,   /* discard what is not captured (else it is ours) */
	RUN_STDIN = 1 << 3,   /* the child reads our stdin (else input or /dev/null) */
	RUN_SESSION = 1 << 4, /* setsid, and stdin as controlling terminal (init's shell) */
	RUN_REAP = 1 << 5,    /* reap every child while waiting (process 1's orphans) */
};

struct run_opts {
	unsigned flags;
	const char *input;       /* fed on stdin, then closed; NULL: none */
	char *const *envp;       /* NULL: our environment */
	const char *file;        /* program to run when it is not argv[0] ("-sh") */
	unsigned timeout_ms;     /* 0: wait as long as it takes */
	unsigned grace_ms;       /* SIGTERM to SIGKILL after a timeout; 0: 3000 */
	unsigned stuck_ms;       /* after SIGKILL, how long until "stuck"; 0: 5000 */
	size_t tail;             /* keep only the last tail bytes of each capture; 0: all */
	/* Also wait on wake_fd (>= 0; init's signalfd): when it is readable,
	 * on_wake(arg) is called and, returning true, ends the wait with the
	 * child left running (r->interrupted). */
	int wake_fd;
	bool (*on_wake)(void *arg);
	void *arg;
};
#define RUN_OPTS_INIT { .wake_fd = -1 }

struct run_result {
	pid_t pid;
	int status;          /* exit code, 128+signal, 124 timed out, -1 not run */
	int exit_code;       /* -1 unless it exited */
	int signal;          /* the signal that ended it, 0 if none */
	bool core_dumped;
	bool timed_out;      /* the timeout passed and the group was killed */
	bool stuck;          /* and it survived SIGKILL: left behind */
	bool interrupted;    /* on_wake ended the wait; still running */
	unsigned timeout_ms; /* as asked, for run_words */
	char *out, *err;     /* NUL-terminated captures (RUN_OUT/RUN_ERR) */
	size_t out_len, err_len;
	size_t out_dropped, err_dropped; /* bytes dropped from the front (tail) */
};

struct bb_error;

/* Runs argv (argv[0], or o->file, looked up in PATH). Returns 0 when it
 * ran, whatever its status (r says), or -1 with e filled when it could
 * not be started: ENOENT for a missing tool ("mkfs.btrfs: not found
 * (Debian package btrfs-progs provides it)"), the exec's errno otherwise.
 * o may be NULL. Free the captures with run_free(). */
int run_process(const char *const argv[], const struct run_opts *o, struct run_result *r,
		struct bb_error *e);

/* run_process() with flags and input only. Returns r->status, or -1 (e filled). */
int run_argv(const char *const argv[], unsigned flags, const char *input,
	     struct run_result *r, struct bb_error *e);
void run_free(struct run_result *r);

/* What happened, to follow the program's name: "exited with status 3",
 * "was killed by SIGSEGV", "did not finish within 15 s; it was killed",
 * "did not finish within 10 s and cannot be killed (...); left behind". */
const char *run_words(const struct run_result *r, char *buf, size_t len);

/* 0 when r exited with status 0; else -1 with e = "ARGV0 WORDS" and the
 * last line of a captured stderr: "mdadm exited with status 1: mdadm:
 * cannot open /dev/vdb: Device or resource busy". */
int run_success(const char *const argv[], const struct run_result *r, struct bb_error *e);

/* "SIGSEGV" for 11; "signal 77" for what has no name. */
const char *run_signal_name(int sig, char *buf, size_t len);

/* Full path of a tool found in PATH, into buf; NULL when absent. */
const char *which(const char *tool, char *buf, size_t len);

/* The Debian package that provides a tool we call, or NULL. */
const char *tool_package(const char *tool);

#endif
