/* vm_asuser UID GID CMD ARGS...: run CMD as that uid and gid, with no
 * supplementary groups. For the VM scenario: a caller who is not root
 * (the guest's busybox has no su or setuidgid). */
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: vm_asuser UID GID CMD ARGS...\n");
		return 2;
	}
	uid_t uid = (uid_t)strtoul(argv[1], NULL, 10);
	gid_t gid = (gid_t)strtoul(argv[2], NULL, 10);
	if (setgroups(0, NULL) || setgid(gid) || setuid(uid)) {
		perror("vm_asuser");
		return 2;
	}
	execvp(argv[3], argv + 3);
	perror(argv[3]);
	return 127;
}
