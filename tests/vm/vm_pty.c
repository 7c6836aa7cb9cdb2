/* vm_pty - run a command on a real terminal and answer its prompt, or
 * only show what a terminal gets (volmgr's progress bar), for the guest,
 * which has busybox but no `script` or `expect`.
 *
 *   vm_pty ANSWER CMD [ARG...]
 *	CMD's stdin, stdout and stderr are the slave side of a new
 *	pseudo-terminal (isatty() is true, the line discipline is the
 *	kernel's). When "Proceed? [y/N] " has appeared on it, ANSWER and a
 *	newline are typed; ANSWER "^D" types the terminal's end-of-file
 *	character instead, "-" types nothing.
 *   vm_pty --stdin-pipe CMD [ARG...]
 *	stdout and stderr on the terminal, stdin an empty pipe that stays
 *	open: a program that waited for an answer there would hang.
 *
 * Everything CMD wrote (with the terminal's echo of the answer) is
 * copied to stdout. The status is CMD's; 124 when it still ran after
 * TIMEOUT_S seconds (it is then killed), 125 when setting up failed.
 */
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_S 120
#define PROMPT "Proceed? [y/N] "

static char seen[1 << 20];
static size_t nseen;

static int child(int in, char **argv)
{
	if (in >= 0 && dup2(in, 0) < 0)
		_exit(125);
	execvp(argv[0], argv);
	fprintf(stderr, "vm_pty: %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static void type_answer(int m, const char *answer)
{
	struct termios t;
	char eof = 4;
	if (!strcmp(answer, "-"))
		return;
	if (!strcmp(answer, "^D")) {
		if (!tcgetattr(m, &t))
			eof = (char)t.c_cc[VEOF];
		if (write(m, &eof, 1) != 1)
			perror("vm_pty: write");
		return;
	}
	char line[256];
	int n = snprintf(line, sizeof(line), "%s\n", answer);
	if (n < 0 || (size_t)n >= sizeof(line) || write(m, line, (size_t)n) != n)
		perror("vm_pty: write");
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: vm_pty ANSWER|--stdin-pipe CMD [ARG...]\n");
		return 125;
	}
	const char *answer = argv[1];
	bool pipe_in = !strcmp(answer, "--stdin-pipe");
	int p[2] = { -1, -1 }, m;
	if (pipe_in && pipe(p)) {
		perror("vm_pty: pipe");
		return 125;
	}
	pid_t pid = forkpty(&m, NULL, NULL, NULL);
	if (pid < 0) {
		perror("vm_pty: forkpty");
		return 125;
	}
	if (!pid) {
		if (pipe_in)
			close(p[1]);
		return child(pipe_in ? p[0] : -1, argv + 2);
	}
	if (pipe_in)
		close(p[0]); /* p[1] stays open and is never written */
	bool answered = pipe_in;
	time_t end = time(NULL) + TIMEOUT_S;
	for (;;) {
		struct pollfd pf = { .fd = m, .events = POLLIN };
		if (time(NULL) >= end) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			fwrite(seen, 1, nseen, stdout);
			printf("\nvm_pty: still running after %d s: killed\n", TIMEOUT_S);
			return 124;
		}
		if (poll(&pf, 1, 1000) <= 0)
			continue;
		char buf[4096];
		ssize_t n = read(m, buf, sizeof(buf));
		if (n <= 0)
			break; /* EIO: every slave fd is closed, the command ended */
		if (nseen + (size_t)n < sizeof(seen) - 1) {
			memcpy(seen + nseen, buf, (size_t)n);
			nseen += (size_t)n;
			seen[nseen] = 0;
		}
		if (!answered && strstr(seen, PROMPT)) {
			type_answer(m, answer);
			answered = true;
		}
	}
	int st;
	if (waitpid(pid, &st, 0) < 0) {
		perror("vm_pty: waitpid");
		return 125;
	}
	fwrite(seen, 1, nseen, stdout);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
