/* btrfs_ioctl CMD ARGS: each core/btrfs.c wrapper (and core/md.c's
 * reader) as a command, for tests/vm/92-btrfs.sh, which compares what it
 * prints with btrfs-progs and mdadm in the same guest. Built static with
 * musl on the host. Prints one "key=value ..." line per thing; a failure
 * prints "error=ENAME msg" on stdout and exits 1. */
#include "btrfs.h"
#include "md.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* sysroot_default lives in sysfs.c, which this program does not link */
static const struct sysroot root = { "/sys", "/proc", "/dev" };

static const char *ename(int code)
{
	static const struct {
		int code;
		const char *name;
	} n[] = {
		{ ENOTCONN, "ENOTCONN" },     { ECANCELED, "ECANCELED" }, { EINPROGRESS, "EINPROGRESS" },
		{ ENODEV, "ENODEV" },	      { EINVAL, "EINVAL" },	  { ENAMETOOLONG, "ENAMETOOLONG" },
		{ ENOTTY, "ENOTTY" },	      { EEXIST, "EEXIST" },	  { ENOENT, "ENOENT" },
		{ EDQUOT, "EDQUOT" },	      { ENOSPC, "ENOSPC" },	  { EPERM, "EPERM" },
	};
	for (size_t i = 0; i < sizeof(n) / sizeof(n[0]); i++)
		if (n[i].code == code)
			return n[i].name;
	return "EOTHER";
}

static int fail(const struct bb_error *e)
{
	printf("error=%s %s\n", ename(e->code), e->msg);
	return 1;
}

static uint64_t num(const char *s)
{
	if (!strcmp(s, "none"))
		return BTRFS_NO_LIMIT;
	return strtoull(s, NULL, 0);
}

static int open_or_fail(const char *path, struct bb_error *e)
{
	int fd = btrfs_open(path, e);
	if (fd < 0)
		fail(e);
	return fd;
}

static void uuid_str(const uint8_t *u, char *out)
{
	static const int dash[] = { 4, 6, 8, 10 };
	int k = 0;
	for (int i = 0, d = 0; i < 16; i++) {
		if (d < 4 && i == dash[d]) {
			out[k++] = '-';
			d++;
		}
		k += sprintf(out + k, "%02x", u[i]);
	}
}

static void print_scrub(const struct btrfs_scrub_stats *s)
{
	printf("data_bytes=%" PRIu64 " tree_bytes=%" PRIu64 " data_extents=%" PRIu64
	       " tree_extents=%" PRIu64 " read_errors=%" PRIu64 " csum_errors=%" PRIu64
	       " verify_errors=%" PRIu64 " corrected=%" PRIu64 " uncorrectable=%" PRIu64
	       " last_physical=%" PRIu64 "\n",
	       s->data_bytes, s->tree_bytes, s->data_extents, s->tree_extents, s->read_errors,
	       s->csum_errors, s->verify_errors, s->corrected_errors, s->uncorrectable_errors,
	       s->last_physical);
}

static void print_balance(const struct btrfs_balance_status *b)
{
	printf("running=%d pause_req=%d cancel_req=%d expected=%" PRIu64 " considered=%" PRIu64
	       " completed=%" PRIu64 "\n",
	       b->running, b->pause_requested, b->cancel_requested, b->expected, b->considered,
	       b->completed);
}

/* Byte offsets of the first occurrences of MARKER on a device. */
static int find_marker(const char *dev, const char *marker)
{
	int fd = open(dev, O_RDONLY | O_DIRECT);
	if (fd < 0)
		fd = open(dev, O_RDONLY);
	if (fd < 0)
		return perror(dev), 1;
	size_t ml = strlen(marker), bs = 1 << 20;
	char *buf;
	if (posix_memalign((void **)&buf, 4096, bs))
		return 1;
	uint64_t off = 0;
	int found = 0;
	ssize_t n;
	while ((n = pread(fd, buf, bs, (off_t)off)) > 0 && found < 4) {
		for (size_t i = 0; i + ml <= (size_t)n && found < 4; i++)
			if (!memcmp(buf + i, marker, ml)) {
				printf("%" PRIu64 "\n", off + i);
				found++;
				i += 4095;
			}
		off += (uint64_t)n;
	}
	free(buf);
	close(fd);
	return found ? 0 : 1;
}

static int cmd_md(const char *name)
{
	struct bb_error e = { 0 };
	struct md_array a;
	if (md_read(&root, name, &a, &e))
		return fail(&e);
	printf("name=%s level=%s state=%s raid_disks=%" PRIu64 " degraded=%" PRIu64
	       " sync_action=%s sync_done=%" PRIu64 " sync_total=%" PRIu64 " permille=%d mismatch=%" PRIu64
	       " metadata=%s size=%" PRIu64 " members=%zu\n",
	       a.name, a.level, a.array_state, a.raid_disks, a.degraded, a.sync_action,
	       a.sync_done, a.sync_total, md_sync_permille(&a), a.mismatch_cnt, a.metadata, a.size,
	       a.nmembers);
	for (size_t i = 0; i < a.nmembers; i++) {
		char words[80];
		md_member_state_str(a.members[i].state, words, sizeof(words));
		char slot[24] = "none";
		if (a.members[i].slot != MD_UNKNOWN)
			snprintf(slot, sizeof(slot), "%" PRIu64, a.members[i].slot);
		printf("member=%s slot=%s state=%s\n", a.members[i].dev, slot, words);
	}
	md_array_free(&a);
	return 0;
}

static int cmd_md_list(void)
{
	struct bb_error e = { 0 };
	struct md_array *l;
	size_t n;
	if (md_list(&root, &l, &n, &e))
		return fail(&e);
	for (size_t i = 0; i < n; i++)
		printf("%s %s\n", l[i].name, l[i].level);
	md_list_free(l, n);
	return 0;
}

static int cmd_list(int fd)
{
	struct bb_error e = { 0 };
	struct btrfs_subvol *l;
	size_t n;
	if (btrfs_subvol_list(fd, &l, &n, &e))
		return fail(&e);
	for (size_t i = 0; i < n; i++)
		printf("%" PRIu64 " %" PRIu64 " %d %s\n", l[i].id, l[i].parent_id, l[i].readonly,
		       l[i].path);
	btrfs_subvol_list_free(l, n);
	return 0;
}

static int cmd_df(int fd)
{
	struct bb_error e = { 0 };
	struct btrfs_space *s;
	size_t n;
	if (btrfs_space_info(fd, &s, &n, &e))
		return fail(&e);
	for (size_t i = 0; i < n; i++)
		printf("%s %s %" PRIu64 " %" PRIu64 "\n", s[i].type, s[i].profile, s[i].total, s[i].used);
	free(s);
	return 0;
}

static int cmd_devices(int fd)
{
	struct bb_error e = { 0 };
	struct btrfs_dev_info *d;
	size_t n;
	if (btrfs_devices(fd, &d, &n, &e))
		return fail(&e);
	for (size_t i = 0; i < n; i++) {
		char u[40];
		uuid_str(d[i].uuid, u);
		printf("devid=%" PRIu64 " size=%" PRIu64 " used=%" PRIu64 " path=%s uuid=%s\n",
		       d[i].devid, d[i].total_bytes, d[i].bytes_used, d[i].path, u);
	}
	free(d);
	return 0;
}

static int cmd_fsinfo(int fd)
{
	struct bb_error e = { 0 };
	struct btrfs_fs_info fi;
	if (btrfs_fs_info(fd, &fi, &e))
		return fail(&e);
	char u[40];
	uuid_str(fi.fsid, u);
	printf("max_id=%" PRIu64 " num_devices=%" PRIu64 " fsid=%s nodesize=%u sectorsize=%u"
	       " generation=%" PRIu64 "\n",
	       fi.max_id, fi.num_devices, u, fi.nodesize, fi.sectorsize, fi.generation);
	return 0;
}

/* Commands on a mounted filesystem: argv[2] is a path in it. */
static int on_fs(int argc, char **argv)
{
	struct bb_error e = { 0 };
	const char *cmd = argv[1];
	int fd = open_or_fail(argv[2], &e);
	if (fd < 0)
		return 1;
	int r = 0;
	if (!strcmp(cmd, "create") && argc == 4)
		r = btrfs_subvol_create(fd, argv[3], &e);
	else if (!strcmp(cmd, "snapshot") && argc >= 5) { /* SRC DIR NAME [ro] */
		int dir = open_or_fail(argv[3], &e);
		if (dir < 0)
			return 1;
		r = btrfs_snapshot(fd, dir, argv[4], argc > 5 && !strcmp(argv[5], "ro"), &e);
	} else if (!strcmp(cmd, "delete") && argc == 4)
		r = btrfs_subvol_delete(fd, argv[3], &e);
	else if (!strcmp(cmd, "delete-id") && argc == 4)
		r = btrfs_subvol_delete_id(fd, num(argv[3]), &e);
	else if (!strcmp(cmd, "list"))
		return cmd_list(fd);
	else if (!strcmp(cmd, "quota"))
		r = btrfs_quota_enable(fd, &e);
	else if (!strcmp(cmd, "limit") && argc == 5)
		r = btrfs_qgroup_limit(fd, num(argv[3]), num(argv[4]), &e);
	else if (!strcmp(cmd, "scrub") && argc >= 4) {
		struct btrfs_scrub_stats s;
		r = btrfs_scrub_start(fd, num(argv[3]), argc > 4 && !strcmp(argv[4], "ro"), &s, &e);
		print_scrub(&s);
	} else if (!strcmp(cmd, "scrub-progress") && argc == 4) {
		struct btrfs_scrub_stats s;
		if (!(r = btrfs_scrub_progress(fd, num(argv[3]), &s, &e)))
			print_scrub(&s);
	} else if (!strcmp(cmd, "scrub-cancel"))
		r = btrfs_scrub_cancel(fd, &e);
	else if (!strcmp(cmd, "balance")) { /* [USAGE [data|metadata]] */
		struct btrfs_balance_filter f = { .usage = -1 };
		if (argc > 3)
			f.usage = atoi(argv[3]);
		if (argc > 4)
			f.types = !strcmp(argv[4], "data") ? BTRFS_BAL_DATA : BTRFS_BAL_METADATA;
		struct btrfs_balance_status b;
		r = btrfs_balance_start(fd, &f, &b, &e);
		print_balance(&b);
	} else if (!strcmp(cmd, "balance-progress")) {
		struct btrfs_balance_status b;
		if (!(r = btrfs_balance_progress(fd, &b, &e)))
			print_balance(&b);
	} else if (!strcmp(cmd, "balance-pause"))
		r = btrfs_balance_pause(fd, &e);
	else if (!strcmp(cmd, "balance-cancel"))
		r = btrfs_balance_cancel(fd, &e);
	else if (!strcmp(cmd, "stats") && argc >= 4) {
		struct btrfs_dev_stats s;
		if (btrfs_dev_stats(fd, num(argv[3]), argc > 4, &s, &e))
			return fail(&e);
		printf("write_io_errs=%" PRIu64 " read_io_errs=%" PRIu64 " flush_io_errs=%" PRIu64
			       " corruption_errs=%" PRIu64 " generation_errs=%" PRIu64 "\n",
			       s.write_errs, s.read_errs, s.flush_errs, s.corruption_errs,
			       s.generation_errs);
		return 0;
	} else if (!strcmp(cmd, "df"))
		return cmd_df(fd);
	else if (!strcmp(cmd, "fsinfo"))
		return cmd_fsinfo(fd);
	else if (!strcmp(cmd, "devices"))
		return cmd_devices(fd);
	else if (!strcmp(cmd, "dev-info") && argc == 4) {
		struct btrfs_dev_info d;
		if (btrfs_dev_info(fd, num(argv[3]), &d, &e))
			return fail(&e);
		printf("devid=%" PRIu64 " size=%" PRIu64 "\n", d.devid, d.total_bytes);
		return 0;
	} else if (!strcmp(cmd, "resize") && argc == 5)
		r = btrfs_resize(fd, num(argv[3]), argv[4], &e);
	else {
		fprintf(stderr, "btrfs_ioctl: unknown command %s\n", cmd);
		return 2;
	}
	if (r)
		return fail(&e);
	puts("ok");
	return 0;
}

int main(int argc, char **argv)
{
	struct bb_error e = { 0 };
	if (argc < 3) {
		fprintf(stderr, "usage: btrfs_ioctl CMD PATH [ARGS]\n");
		return 2;
	}
	if (!strcmp(argv[1], "scan")) {
		if (btrfs_device_scan(&root, argv[2], &e))
			return fail(&e);
		puts("ok");
		return 0;
	}
	if (!strcmp(argv[1], "ready")) {
		int r = btrfs_devices_ready(&root, argv[2], &e);
		if (r < 0)
			return fail(&e);
		printf("ready=%d\n", r);
		return 0;
	}
	if (!strcmp(argv[1], "defrag")) { /* FILE */
		int fd = open(argv[2], O_RDWR);
		if (fd < 0)
			return perror(argv[2]), 1;
		if (btrfs_defrag_range(fd, 0, BTRFS_NO_LIMIT, true, &e))
			return fail(&e);
		fsync(fd);
		puts("ok");
		return 0;
	}
	if (!strcmp(argv[1], "find") && argc == 4)
		return find_marker(argv[2], argv[3]);
	if (!strcmp(argv[1], "md"))
		return !strcmp(argv[2], "list") ? cmd_md_list() : cmd_md(argv[2]);
	return on_fs(argc, argv);
}
