/* volmgr's event loop in-process: notifications published from another
 * thread reach the connections subscribed to them and no others, and a
 * subscriber is not closed for being idle. */
#include "../../applets/volmgr/server.h"
#include "test.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static struct vm_server_opts opts;
static int server_rc = -2;

static void *serve(void *arg)
{
	(void)arg;
	struct bb_error e = { 0 };
	server_rc = vm_server_run(&opts, &e);
	if (server_rc)
		fprintf(stdout, "server: %s\n", e.msg);
	return NULL;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(fd >= 0);
	CHECK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	return fd;
}

/* The next line within ms, or "" when none came. */
static char *line_within(int fd, int ms)
{
	static char buf[4096];
	size_t n = 0;
	while (n + 1 < sizeof(buf)) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, ms) <= 0)
			break;
		ssize_t r = read(fd, buf + n, 1);
		if (r <= 0 || buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = 0;
	return buf;
}

static void say(int fd, const char *s)
{
	CHECK(write(fd, s, strlen(s)) == (ssize_t)strlen(s));
}

TEST(volmgr_server_delivers_notifications_to_subscribers)
{
	char sock[4200];
	snprintf(sock, sizeof(sock), "%s/v.sock", test_tmpdir());
	int ready[2];
	CHECK(pipe(ready) == 0);
	opts = (struct vm_server_opts){ .socket = sock, .gid = (gid_t)-1, .mode = 0660, .idle_s = 1,
					.max_request = 4096, .max_depth = 16, .max_conns = 16,
					.ready_fd = ready[1] };
	/* The loop takes SIGTERM through a signalfd: blocked everywhere. */
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	pthread_t th;
	CHECK(pthread_create(&th, NULL, serve, NULL) == 0);
	char r[8];
	CHECK(read(ready[0], r, sizeof(r)) > 0);

	int all = connect_to(sock), some = connect_to(sock), none = connect_to(sock);
	say(all, "{\"jsonrpc\":\"2.0\",\"method\":\"storage.subscribe\",\"id\":1}\n");
	CHECK(strstr(line_within(all, 5000), "\"subscribed\":true"));
	say(some, "{\"jsonrpc\":\"2.0\",\"method\":\"storage.subscribe\","
		  "\"params\":{\"events\":[\"array_degraded\"]},\"id\":2}\n");
	CHECK(strstr(line_within(some, 5000), "\"array_degraded\""));
	/* a bad subscription names its param */
	say(none, "{\"jsonrpc\":\"2.0\",\"method\":\"storage.subscribe\","
		  "\"params\":{\"events\":[1]},\"id\":3}\n");
	CHECK(strstr(line_within(none, 5000), "\"param\":\"events\""));

	vm_publish("job_end", "{\"job\":7,\"state\":\"done\"}");
	char *got = line_within(all, 5000);
	if (!strstr(got, "\"method\":\"storage.event\"") || !strstr(got, "\"event\":\"job_end\"") ||
	    !strstr(got, "\"data\":{\"job\":7,\"state\":\"done\"}") || strstr(got, "\"id\""))
		test_fail(__FILE__, __LINE__, "not the notification: %s", got);
	CHECK_STR(line_within(some, 300), "");
	CHECK_STR(line_within(none, 300), "");
	vm_publish("array_degraded", "{\"array\":\"md127\"}");
	CHECK(strstr(line_within(some, 5000), "md127"));
	CHECK(strstr(line_within(all, 5000), "md127"));

	/* idle past the limit: the subscribers stay, the other one is closed */
	sleep(2);
	got = line_within(none, 3000);
	CHECK(strstr(got, "idle"));
	vm_publish("job_end", NULL);
	CHECK(strstr(line_within(all, 5000), "\"data\":null"));

	kill(getpid(), SIGTERM);
	pthread_join(th, NULL);
	CHECK_EQ(server_rc, 0);
	CHECK(access(sock, F_OK) != 0); /* removed on the way out */
	close(all);
	close(some);
	close(none);
}
