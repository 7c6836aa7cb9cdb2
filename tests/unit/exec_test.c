#include "error.h"
#include "exec.h"
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

TEST(run_captures_and_reports_status)
{
	struct run_result r;
	const char *const echo[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	CHECK_EQ(run_argv(echo, RUN_OUT | RUN_ERR, NULL, &r, NULL), 3);
	CHECK_STR(r.out, "out\n");
	CHECK_STR(r.err, "err\n");
	CHECK_EQ(r.exit_code, 3);
	CHECK_EQ(r.signal, 0);
	char w[200];
	CHECK_STR(run_words(&r, w, sizeof(w)), "exited with status 3");
	run_free(&r);
	const char *const cat[] = { "cat", NULL };
	CHECK_EQ(run_argv(cat, RUN_OUT, "fed through stdin", &r, NULL), 0);
	CHECK_STR(r.out, "fed through stdin");
	run_free(&r);
}

TEST(run_argv_is_not_a_shell)
{
	struct run_result r;
	/* metacharacters reach the program as one literal argument */
	const char *const printf_[] = { "printf", "%s", "$(echo no); `x` | > y", NULL };
	CHECK_EQ(run_argv(printf_, RUN_OUT, NULL, &r, NULL), 0);
	CHECK_STR(r.out, "$(echo no); `x` | > y");
	run_free(&r);
}

TEST(run_missing_tool_names_package)
{
	struct run_result r;
	struct bb_error e;
	const char *const missing[] = { "definitely-not-a-tool-xyz", NULL };
	CHECK_EQ(run_argv(missing, RUN_OUT, NULL, &r, &e), -1);
	CHECK_EQ(e.code, ENOENT);
	CHECK_STR(e.msg, "definitely-not-a-tool-xyz: not found in PATH");
	const char *const mdadm[] = { "/nonexistent/sbin/mdadm", NULL };
	CHECK_EQ(run_process(mdadm, NULL, &r, &e), -1);
	CHECK_STR(e.msg, "/nonexistent/sbin/mdadm: not found (Debian package mdadm provides it)");
	CHECK_STR(tool_package("mkfs.btrfs"), "btrfs-progs");
	CHECK_STR(tool_package("/sbin/mdadm"), "mdadm");
	CHECK(tool_package("nope") == NULL);
}

TEST(run_exec_failure_is_an_error)
{
	/* executable, but no format the kernel knows: execve says ENOEXEC */
	char path[4200];
	snprintf(path, sizeof(path), "%s/junk", test_tmpdir());
	int fd = open(path, O_CREAT | O_WRONLY, 0755);
	CHECK(fd >= 0 && write(fd, "\x7f" "ELF junk", 9) == 9);
	close(fd);
	const char *const argv[] = { path, NULL };
	struct run_result r;
	struct bb_error e;
	CHECK_EQ(run_process(argv, NULL, &r, &e), -1);
	CHECK_EQ(e.code, ENOEXEC);
	CHECK(strstr(e.msg, ": cannot run ") != NULL);
}

TEST(run_large_output_does_not_deadlock)
{
	struct run_result r;
	const char *const big[] = { "sh", "-c", "head -c 1000000 /dev/zero; head -c 300000 /dev/zero >&2", NULL };
	CHECK_EQ(run_argv(big, RUN_OUT | RUN_ERR, NULL, &r, NULL), 0);
	CHECK_EQ(r.out_len, 1000000);
	CHECK_EQ(r.err_len, 300000);
	CHECK_EQ(r.out_dropped, 0);
	run_free(&r);
}

TEST(run_tail_keeps_the_last_bytes)
{
	struct run_opts o = RUN_OPTS_INIT;
	o.flags = RUN_OUT | RUN_ERR;
	o.tail = 10;
	struct run_result r;
	/* many writes, and one far larger than the tail */
	const char *const argv[] = {
		"sh", "-c",
		"i=0; while [ $i -lt 500 ]; do printf 'line %d\\n' $i; i=$((i+1)); done; "
		"head -c 200000 /dev/zero | tr '\\0' x >&2; printf 'the end' >&2",
		NULL
	};
	CHECK_EQ(run_process(argv, &o, &r, NULL), 0);
	CHECK_EQ(r.exit_code, 0);
	CHECK_STR(r.out, "\nline 499\n");
	CHECK_EQ(r.out_len, 10);
	size_t total = 0;
	for (int i = 0; i < 500; i++)
		total += (size_t)snprintf(NULL, 0, "line %d\n", i);
	CHECK_EQ(r.out_dropped, total - 10);
	CHECK_STR(r.err, "xxxthe end");
	CHECK_EQ(r.err_dropped, 200000 + 7 - 10);
	run_free(&r);
}

TEST(run_environment_is_the_one_given)
{
	char *const env[] = { "BB_TEST_VALUE=given here", NULL };
	struct run_opts o = RUN_OPTS_INIT;
	o.flags = RUN_OUT;
	o.envp = env;
	struct run_result r;
	const char *const argv[] = { "sh", "-c", "printf '%s|%s' \"$BB_TEST_VALUE\" \"${HOME-unset}\"", NULL };
	CHECK_EQ(run_process(argv, &o, &r, NULL), 0);
	CHECK_STR(r.out, "given here|unset");
	run_free(&r);
}

TEST(run_signal_in_words)
{
	struct run_result r;
	char w[200];
	const char *const segv[] = { "sh", "-c", "kill -SEGV $$", NULL };
	CHECK_EQ(run_process(segv, NULL, &r, NULL), 0);
	CHECK_EQ(r.signal, SIGSEGV);
	CHECK_EQ(r.status, 128 + SIGSEGV);
	CHECK_EQ(r.exit_code, -1);
	CHECK(!strncmp(run_words(&r, w, sizeof(w)), "was killed by SIGSEGV", 21));
	const char *const term[] = { "sh", "-c", "kill -TERM $$", NULL };
	CHECK_EQ(run_process(term, NULL, &r, NULL), 0);
	CHECK_STR(run_words(&r, w, sizeof(w)), "was killed by SIGTERM");
	CHECK_STR(run_signal_name(SIGKILL, w, sizeof(w)), "SIGKILL");
	CHECK_STR(run_signal_name(77, w, sizeof(w)), "signal 77");
}

static long long ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Gone, or a zombie waiting for whoever inherited it. */
static bool dead(pid_t pid)
{
	char path[64], stat[256];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return true;
	ssize_t n = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	stat[n > 0 ? n : 0] = 0;
	const char *p = strrchr(stat, ')');
	return p && (p[2] == 'Z' || p[2] == 'X');
}

TEST(run_timeout_kills_the_whole_group)
{
	struct run_opts o = RUN_OPTS_INIT;
	o.flags = RUN_OUT;
	o.timeout_ms = 300;
	o.grace_ms = 300;
	struct run_result r;
	/* a grandchild that ignores SIGTERM, and a child waiting for it */
	const char *const argv[] = {
		"sh", "-c", "sh -c 'trap \"\" TERM; while :; do sleep 1; done' & echo $!; wait", NULL
	};
	long long t0 = ms();
	CHECK_EQ(run_process(argv, &o, &r, NULL), 0);
	long long took = ms() - t0;
	CHECK(r.timed_out);
	CHECK(!r.stuck);
	CHECK_EQ(r.status, 124);
	CHECK(took >= 300 && took < 5000);
	pid_t grandchild = (pid_t)atoi(r.out);
	CHECK(grandchild > 0);
	bool gone = false;
	for (int i = 0; i < 100 && !(gone = dead(grandchild)); i++)
		usleep(20000);
	CHECK(gone);
	char w[200];
	CHECK_STR(run_words(&r, w, sizeof(w)), "did not finish within 0.3 s; it was killed");
	run_free(&r);
}

static int wake_calls;

static bool wake_stop(void *arg)
{
	char b;
	wake_calls++;
	return read(*(int *)arg, &b, 1) == 1 && b == 's';
}

TEST(run_wake_fd_ends_the_wait)
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	struct run_opts o = RUN_OPTS_INIT;
	o.wake_fd = p[0];
	o.on_wake = wake_stop;
	o.arg = &p[0];
	/* "c" is read and the wait goes on; "s" ends it with the child running */
	CHECK_EQ(write(p[1], "cs", 2), 2);
	const char *const argv[] = { "sleep", "5", NULL };
	struct run_result r;
	long long t0 = ms();
	CHECK_EQ(run_process(argv, &o, &r, NULL), 0);
	CHECK(ms() - t0 < 4000);
	CHECK(r.interrupted);
	CHECK_EQ(wake_calls, 2);
	CHECK(!dead(r.pid));
	char w[200];
	CHECK_STR(run_words(&r, w, sizeof(w)), "is still running");
	kill(-r.pid, SIGKILL);
	waitpid(r.pid, NULL, 0);
	close(p[0]);
	close(p[1]);
}

TEST(run_success_says_why)
{
	struct run_result r;
	struct bb_error e;
	const char *const argv[] = { "sh", "-c", "echo noise >&2; echo 'cannot open /dev/x: busy' >&2; echo >&2; exit 1", NULL };
	CHECK_EQ(run_argv(argv, RUN_ERR, NULL, &r, NULL), 1);
	CHECK_EQ(run_success(argv, &r, &e), -1);
	CHECK_STR(e.msg, "sh exited with status 1: cannot open /dev/x: busy");
	run_free(&r);
	const char *const ok[] = { "true", NULL };
	CHECK_EQ(run_argv(ok, 0, NULL, &r, NULL), 0);
	CHECK_EQ(run_success(ok, &r, &e), 0);
}

static int reap_sfd;

static bool drain_sigchld(void *arg)
{
	struct signalfd_siginfo si;
	while (read(reap_sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		(*(int *)arg)++;
	return false;
}

/* Options that wake the runner on SIGCHLD through a signalfd, as init's
 * do; *wakes counts the signals read. */
static struct run_opts woken_by_sigchld(int *wakes)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	reap_sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	CHECK(reap_sfd >= 0);
	struct run_opts o = RUN_OPTS_INIT;
	o.wake_fd = reap_sfd;
	o.on_wake = drain_sigchld;
	o.arg = wakes;
	return o;
}

/* init's way: process 1 inherits orphans, and RUN_REAP reaps them while
 * it waits for its own child, woken by SIGCHLD through a signalfd. Here
 * the test process stands in for process 1 as a child subreaper. */
TEST(run_reap_collects_orphans)
{
	CHECK_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	int wakes = 0;
	struct run_opts o = woken_by_sigchld(&wakes);
	o.flags = RUN_OUT | RUN_REAP;
	struct run_result r;
	const char *const argv[] = { "sh", "-c", "(sleep 0.2 & echo $!); sleep 1; exit 4", NULL };
	CHECK_EQ(run_process(argv, &o, &r, NULL), 0);
	CHECK_EQ(r.exit_code, 4);
	pid_t orphan = (pid_t)atoi(r.out);
	CHECK(orphan > 0);
	CHECK(wakes >= 1);
	/* reaped, not a zombie of ours */
	errno = 0;
	CHECK(kill(orphan, 0) == -1 && errno == ESRCH);
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
	run_free(&r);
}

/* init's whole setup: its own session, our stdin, orphans reaped, woken
 * by SIGCHLD through a signalfd, and a timeout. */
TEST(run_timeout_in_a_session_as_init_does)
{
	int wakes = 0;
	struct run_opts o = woken_by_sigchld(&wakes);
	o.flags = RUN_SESSION | RUN_STDIN | RUN_REAP | RUN_OUT;
	o.timeout_ms = 500;
	struct run_result r;
	const char *const argv[] = { "sh", "-c", "echo hanging; sleep 600", NULL };
	long long t0 = ms();
	CHECK_EQ(run_process(argv, &o, &r, NULL), 0);
	CHECK(ms() - t0 < 4000);
	CHECK(r.timed_out);
	CHECK_EQ(r.status, 124);
	CHECK_STR(r.out, "hanging\n");
	char w[200];
	CHECK_STR(run_words(&r, w, sizeof(w)), "did not finish within 0.5 s; it was killed");
	run_free(&r);
}
