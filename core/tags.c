/* tags.c - libblkid's values for one device, kept as blkid would show them. */
#include "tags.h"
#include "error.h"

#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TAGS_MAX 64 /* libblkid sets a few dozen values at most */

static int add(struct tags *out, const char *name, const char *value, size_t len,
	       struct bb_error *e)
{
	if (out->n == TAGS_MAX)
		return 0; /* more than any prober sets: keep the first ones */
	if (!out->t && !(out->t = calloc(TAGS_MAX, sizeof(*out->t))))
		return bb_error_set(e, ENOMEM, "out of memory");
	struct tag *t = &out->t[out->n];
	/* values are NUL-terminated within len, but len may count the NUL */
	t->name = strdup(name);
	t->value = strndup(value, strnlen(value, len));
	if (!t->name || !t->value) {
		free(t->name);
		free(t->value);
		return bb_error_set(e, ENOMEM, "out of memory");
	}
	out->n++;
	return 0;
}

/* The default view keeps what blkid's cache keeps: of the partition
 * entry its UUID and name (as PARTUUID and PARTLABEL), and no *_ID
 * values (ISO 9660's SYSTEM_ID, APPLICATION_ID, ...). */
static int keep(const struct tags_req *rq, const char **name)
{
	if (rq->view == TAGS_LOW)
		return 1;
	if (!strncmp(*name, "PART_ENTRY_", 11)) {
		if (!strcmp(*name, "PART_ENTRY_UUID"))
			*name = "PARTUUID";
		else if (!strcmp(*name, "PART_ENTRY_NAME"))
			*name = "PARTLABEL";
		else
			return 0;
		return 1;
	}
	return !strstr(*name, "_ID");
}

static int collect(blkid_probe pr, const struct tags_req *rq, struct tags *out,
		   struct bb_error *e)
{
	int n = blkid_probe_numof_values(pr);
	for (int i = 0; i < n; i++) {
		const char *name, *data;
		size_t len;
		if (blkid_probe_get_value(pr, i, &name, &data, &len) || !keep(rq, &name))
			continue;
		if (add(out, name, data, len, e))
			return -1;
	}
	return 0;
}

/* blkid -p on a small whole device (a floppy's size) asks for a
 * partition table first and, when there is one, looks no further. */
static int small_partitioned(blkid_probe pr, int fd)
{
	struct stat st;
	if (fstat(fd, &st) || S_ISCHR(st.st_mode) || blkid_probe_get_size(pr) > 1024 * 1440 ||
	    !blkid_probe_is_wholedisk(pr))
		return 0;
	blkid_probe_enable_superblocks(pr, 0);
	int rc = blkid_do_fullprobe(pr);
	if (rc < 0)
		return rc;
	return rc == 0 && !blkid_probe_lookup_value(pr, "PTTYPE", NULL, NULL);
}

static int run_probe(blkid_probe pr, int fd, const struct tags_req *rq)
{
	unsigned sb = BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID | BLKID_SUBLKS_TYPE |
		      BLKID_SUBLKS_SECTYPE;
	blkid_probe_enable_partitions(pr, 1);
	if (rq->view == TAGS_LOW) {
		sb |= BLKID_SUBLKS_USAGE | BLKID_SUBLKS_VERSION;
		int small = small_partitioned(pr, fd);
		if (small)
			return small < 0 ? small : 0;
	}
	if (rq->view != TAGS_LOW || !rq->no_part_details)
		blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, sb);
	return blkid_do_safeprobe(pr);
}

int tags_probe(const char *path, const struct tags_req *rq, struct tags *out,
	       struct bb_error *e)
{
	memset(out, 0, sizeof(*out));
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return bb_error_errno(e, "%s", path);
	struct stat st;
	if (fstat(fd, &st) || (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))) {
		close(fd);
		return bb_error_set(e, EINVAL, "%s: not a block device or a regular file", path);
	}
	blkid_probe pr = blkid_new_probe();
	int rc = -1;
	errno = 0;
	if (!pr) {
		bb_error_set(e, ENOMEM, "%s: out of memory", path);
	} else if (blkid_probe_set_device(pr, fd, (blkid_loff_t)rq->offset,
					  (blkid_loff_t)rq->size)) {
		bb_error_errno(e, "%s: cannot probe", path);
	} else {
		rc = run_probe(pr, fd, rq);
		if (rc == TAGS_AMBIVALENT)
			bb_error_set(e, EEXIST, "%s: ambivalent: more than one signature "
				     "(wipefs shows them)", path);
		else if (rc < 0)
			bb_error_errno(e, "%s: probe failed", path);
		else if (rc == 0 && collect(pr, rq, out, e))
			rc = -1;
	}
	if (pr)
		blkid_free_probe(pr);
	close(fd);
	if (rc == 0 && out->n)
		return TAGS_FOUND;
	tags_free(out);
	if (rc < 0)
		return rc == TAGS_AMBIVALENT ? rc : -1;
	return TAGS_NONE;
}

const char *tags_get(const struct tags *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->t[i].name, name))
			return t->t[i].value;
	return NULL;
}

void tags_free(struct tags *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->t[i].name);
		free(t->t[i].value);
	}
	free(t->t);
	memset(t, 0, sizeof(*t));
}

int tags_type_name(size_t i, const char **name)
{
	return blkid_superblocks_get_name(i, name, NULL) ? -1 : 0;
}

int tags_parse_token(const char *token, char *name, size_t nlen, char *value, size_t vlen,
		     struct bb_error *e)
{
	const char *eq = strchr(token, '=');
	if (!eq || eq == token)
		return bb_error_set(e, EINVAL, "'%s': not NAME=value", token);
	const char *v = eq + 1, *end = v + strlen(v);
	if (*v == '"' || *v == '\'') {
		const char *close = strrchr(v + 1, *v);
		if (!close)
			return bb_error_set(e, EINVAL, "'%s': the quote is not closed", token);
		end = close;
		v++;
	}
	if (v == end)
		return bb_error_set(e, EINVAL, "'%s': the value is empty", token);
	if ((size_t)(eq - token) >= nlen || (size_t)(end - v) >= vlen)
		return bb_error_set(e, ENAMETOOLONG, "'%.40s...': too long", token);
	memcpy(name, token, (size_t)(eq - token));
	name[eq - token] = 0;
	memcpy(value, v, (size_t)(end - v));
	value[end - v] = 0;
	return 0;
}
