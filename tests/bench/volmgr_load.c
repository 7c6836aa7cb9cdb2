/* volmgr_load - measure the volmgr daemon (for tests/bench/70-volmgr.sh).
 *
 *   volmgr_load start BLOCKBOX SOCKET ROUNDS
 *	start the daemon ROUNDS times: time from fork to its "ready" line
 *	(socket bound and listening) and to the first answered request
 *   volmgr_load load SOCKET METHOD CLIENTS REQUESTS
 *	CLIENTS connections at once, each sending REQUESTS requests one
 *	after the other and waiting for each answer: requests/s, p50, p99
 *   volmgr_load exec ROUNDS CMD ARGS...
 *	run a command ROUNDS times (fork+exec, stdout to /dev/null): p50, p99
 * Prints one line of numbers; the script makes the table.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double pct(uint64_t *v, size_t n, double p)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return (double)v[i] / 1e6; /* ms */
}

static int unix_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One request, its whole answer line; returns 0 when it came. */
static int roundtrip(int fd, const char *req, size_t reqlen, char **buf, size_t *cap)
{
	if (write(fd, req, reqlen) != (ssize_t)reqlen)
		return -1;
	size_t len = 0;
	for (;;) {
		if (len + 65536 > *cap) {
			*cap = (len + 65536) * 2;
			*buf = realloc(*buf, *cap);
			if (!*buf)
				return -1;
		}
		ssize_t r = read(fd, *buf + len, 65536);
		if (r <= 0)
			return -1;
		len += (size_t)r;
		if ((*buf)[len - 1] == '\n')
			return strstr(*buf, "\"result\"") ? 0 : -1;
	}
}

static int start(const char *bb, const char *sock, int rounds)
{
	uint64_t *ready = calloc((size_t)rounds, 8), *first = calloc((size_t)rounds, 8);
	const char *req = "{\"jsonrpc\":\"2.0\",\"method\":\"rpc.discover\",\"id\":1}\n";
	char *buf = NULL;
	size_t cap = 0;
	for (int i = 0; i < rounds; i++) {
		int p[2];
		if (pipe(p))
			return 1;
		uint64_t t0 = now_ns();
		pid_t pid = fork();
		if (!pid) {
			char fd[16];
			snprintf(fd, sizeof(fd), "%d", p[1]);
			setenv("VOLMGR_READY_FD", fd, 1);
			close(p[0]);
			int null = open("/dev/null", O_WRONLY);
			dup2(null, 2);
			execl(bb, "volmgrd", "--socket", sock, (char *)NULL);
			_exit(127);
		}
		close(p[1]);
		char line[16];
		if (read(p[0], line, sizeof(line)) <= 0)
			return 1;
		ready[i] = now_ns() - t0;
		close(p[0]);
		int fd = unix_connect(sock);
		if (fd < 0 || roundtrip(fd, req, strlen(req), &buf, &cap))
			return 1;
		first[i] = now_ns() - t0;
		close(fd);
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	printf("%.2f %.2f\n", pct(ready, (size_t)rounds, 0.5), pct(first, (size_t)rounds, 0.5));
	return 0;
}

struct worker {
	const char *sock, *req;
	int n;
	uint64_t *lat;
	int failed;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	char *buf = NULL;
	size_t cap = 0, rl = strlen(w->req);
	int fd = unix_connect(w->sock);
	if (fd < 0) {
		w->failed = w->n;
		return NULL;
	}
	for (int i = 0; i < w->n; i++) {
		uint64_t t = now_ns();
		if (roundtrip(fd, w->req, rl, &buf, &cap)) {
			w->failed++;
			break;
		}
		w->lat[i] = now_ns() - t;
	}
	close(fd);
	free(buf);
	return NULL;
}

static int load(const char *sock, const char *method, int clients, int n)
{
	char req[256];
	snprintf(req, sizeof(req), "{\"jsonrpc\":\"2.0\",\"method\":\"%s\",\"params\":{},\"id\":1}\n",
		 method);
	struct worker *w = calloc((size_t)clients, sizeof(*w));
	pthread_t *th = calloc((size_t)clients, sizeof(*th));
	uint64_t *all = calloc((size_t)clients * (size_t)n, 8);
	uint64_t t0 = now_ns();
	for (int i = 0; i < clients; i++) {
		w[i] = (struct worker){ sock, req, n, all + (size_t)i * (size_t)n, 0 };
		pthread_create(&th[i], NULL, work, &w[i]);
	}
	int failed = 0;
	for (int i = 0; i < clients; i++) {
		pthread_join(th[i], NULL);
		failed += w[i].failed;
	}
	double secs = (double)(now_ns() - t0) / 1e9;
	if (failed) {
		printf("failed\n");
		return 1;
	}
	size_t total = (size_t)clients * (size_t)n;
	printf("%.0f %.3f %.3f\n", (double)total / secs, pct(all, total, 0.5), pct(all, total, 0.99));
	return 0;
}

static int run_exec(int rounds, char **argv)
{
	uint64_t *t = calloc((size_t)rounds, 8);
	for (int i = 0; i < rounds; i++) {
		uint64_t t0 = now_ns();
		pid_t pid = fork();
		if (!pid) {
			int null = open("/dev/null", O_WRONLY);
			dup2(null, 1);
			dup2(null, 2);
			execvp(argv[0], argv);
			_exit(127);
		}
		int st;
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			printf("failed\n");
			return 1;
		}
		t[i] = now_ns() - t0;
	}
	double p50 = pct(t, (size_t)rounds, 0.5), p99 = pct(t, (size_t)rounds, 0.99);
	printf("%.0f %.3f %.3f\n", 1000.0 / p50, p50, p99);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "start"))
		return start(argv[2], argv[3], atoi(argv[4]));
	if (argc >= 6 && !strcmp(argv[1], "load"))
		return load(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
	if (argc >= 4 && !strcmp(argv[1], "exec"))
		return run_exec(atoi(argv[2]), argv + 3);
	fprintf(stderr, "usage: volmgr_load start|load|exec ...\n");
	return 2;
}
