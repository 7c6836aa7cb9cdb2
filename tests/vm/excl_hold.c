/* excl_hold DEV SECONDS: open DEV with O_EXCL, as a filesystem or md
 * would claim it, say "held" and keep it for SECONDS. For the claim
 * scenario: a device claimed by nothing sysfs shows. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: excl_hold DEV SECONDS\n");
		return 2;
	}
	int fd = open(argv[1], O_RDONLY | O_EXCL | O_CLOEXEC);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	printf("held\n");
	fflush(stdout);
	sleep((unsigned)atoi(argv[2]));
	close(fd);
	return 0;
}
