/* Exec time of a command: spawn N [--] CMD ARGS...; prints mean and best
 * wall time per run in microseconds, output discarded. */
#include "clock.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: spawn N CMD [ARGS...]\n");
		return 2;
	}
	int n = atoi(argv[1]);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	uint64_t total = 0, best = UINT64_MAX;
	for (int i = 0; i < n; i++) {
		uint64_t t0 = clock_ns();
		pid_t pid;
		if (posix_spawn(&pid, argv[2], &fa, NULL, argv + 2, environ)) {
			perror(argv[2]);
			return 1;
		}
		int st;
		waitpid(pid, &st, 0);
		uint64_t dt = clock_ns() - t0;
		total += dt;
		if (dt < best)
			best = dt;
	}
	printf("%.0f %.0f\n", (double)total / n / 1000.0, (double)best / 1000.0);
	return 0;
}
