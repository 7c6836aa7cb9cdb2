/* vm_pty OUT CMD ARGS...: run CMD with a pseudo-terminal as its stdin,
 * stdout and stderr (and controlling terminal), copy everything it writes
 * there to the file OUT, and exit with its status. For the VM scenario:
 * what a command shows on a terminal (volmgr's progress bar), which a
 * pipe or a file would not get. */
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: vm_pty OUT CMD ARGS...\n");
		return 2;
	}
	int out = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		perror(argv[1]);
		return 2;
	}
	int master;
	pid_t pid = forkpty(&master, NULL, NULL, NULL);
	if (pid < 0) {
		perror("forkpty");
		return 2;
	}
	if (!pid) {
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	char buf[4096];
	for (;;) {
		ssize_t n = read(master, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) /* EIO once the child's side is closed */
			break;
		if (write(out, buf, (size_t)n) != n) {
			perror(argv[1]);
			return 2;
		}
	}
	int st;
	if (waitpid(pid, &st, 0) < 0) {
		perror("waitpid");
		return 2;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
