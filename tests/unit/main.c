/* main.c - runs the registered unit tests, one child process each. */
#include "test.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static struct test *head;
static char tmpdir[PATH_MAX];

void test_register(struct test *t)
{
	t->next = head;
	head = t;
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stdout, "failed at %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	_exit(1);
}

void test_skip(const char *why)
{
	fprintf(stdout, "skip: %s\n", why);
	fflush(stdout);
	_exit(77);
}

const char *test_tmpdir(void)
{
	if (!tmpdir[0]) {
		const char *base = getenv("TMPDIR");
		snprintf(tmpdir, sizeof(tmpdir), "%s/bbtest.XXXXXX", base ? base : "/tmp");
		if (!mkdtemp(tmpdir))
			test_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
	}
	return tmpdir;
}

const char *test_fixture(const char *rel, char *buf, size_t len)
{
	const char *root = getenv("BB_SHARED");
	snprintf(buf, len, "%s/fixtures/%s", root ? root : "../shared", rel);
	return access(buf, R_OK) ? NULL : buf;
}

/* Run fn in a child; the result line is printed by the parent. */
static int run_one(struct test *t, char *msg, size_t msglen)
{
	int pipefd[2];
	if (pipe(pipefd))
		return 1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		dup2(pipefd[1], 1);
		alarm(120); /* a hung test fails instead of hanging the suite */
		t->fn();
		fflush(stdout);
		_exit(0);
	}
	close(pipefd[1]);
	size_t n = 0;
	ssize_t r;
	while (n + 1 < msglen && (r = read(pipefd[0], msg + n, msglen - 1 - n)) > 0)
		n += (size_t)r;
	msg[n] = 0;
	char sink[256];
	while (read(pipefd[0], sink, sizeof(sink)) > 0)
		;
	close(pipefd[0]);
	int st;
	waitpid(pid, &st, 0);
	if (WIFSIGNALED(st)) {
		snprintf(msg + strlen(msg), msglen - strlen(msg), "killed by signal %d%s",
			 WTERMSIG(st), WTERMSIG(st) == SIGALRM ? " (timeout)" : "");
		return 1;
	}
	return WEXITSTATUS(st);
}

int main(int argc, char **argv)
{
	/* Registration order is reverse file order; reverse it back. */
	struct test *rev = NULL;
	while (head) {
		struct test *n = head->next;
		head->next = rev;
		rev = head;
		head = n;
	}
	int pass = 0, fail = 0, skip = 0;
	for (struct test *t = rev; t; t = t->next) {
		if (argc > 1 && !strstr(t->name, argv[1]))
			continue;
		char msg[8192];
		char base[PATH_MAX];
		const char *tmp = getenv("TMPDIR");
		snprintf(base, sizeof(base), "%s/bbtest-%s-XXXXXX", tmp ? tmp : "/tmp", t->name);
		if (!mkdtemp(base))
			base[0] = 0;
		snprintf(tmpdir, sizeof(tmpdir), "%s", base);
		int rc = run_one(t, msg, sizeof(msg));
		size_t l = strlen(msg);
		while (l && msg[l - 1] == '\n')
			msg[--l] = 0;
		if (rc == 0) {
			printf("PASS %s\n", t->name);
			pass++;
		} else if (rc == 77) {
			printf("SKIP %s: %s\n", t->name, msg + (strncmp(msg, "skip: ", 6) ? 0 : 6));
			skip++;
		} else {
			printf("FAIL %s: %s\n", t->name, msg);
			fail++;
		}
		if (base[0]) {
			char *const rm[] = { "rm", "-rf", base, NULL };
			pid_t p = fork();
			if (!p) {
				execvp("rm", rm);
				_exit(1);
			}
			waitpid(p, NULL, 0);
		}
		tmpdir[0] = 0;
	}
	printf("# unit: %d passed, %d failed, %d skipped\n", pass, fail, skip);
	return fail ? 1 : 0;
}
