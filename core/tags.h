/* tags.h - what is on a device as the NAME=value tags blkid prints
 * (LABEL, UUID, BLOCK_SIZE, TYPE, ..., PARTLABEL, PARTUUID), in libblkid's
 * order, so that output built from them can match blkid's line for line.
 * libblkid underneath. */
#ifndef BB_TAGS_H
#define BB_TAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bb_error;

struct tag {
	char *name, *value;
};

struct tags {
	struct tag *t;
	size_t n;
};

enum tags_view {
	/* What blkid shows by default: no USAGE or VERSION, and of the
	 * partition's table entry only its PARTUUID and PARTLABEL. */
	TAGS_DEFAULT,
	/* What blkid -p shows: every value, PART_ENTRY_* as libblkid names them. */
	TAGS_LOW,
};

struct tags_req {
	enum tags_view view;
	uint64_t offset, size; /* a window of the device (size 0: to its end) */
	bool no_part_details;  /* TAGS_LOW: leave out PART_ENTRY_* (blkid -D) */
};

enum { TAGS_FOUND = 0, TAGS_NONE = 1, TAGS_AMBIVALENT = -2 };

/* Probes path (a block device or an image file) and fills out. Returns
 * TAGS_FOUND, TAGS_NONE (nothing recognised; out empty), -1 when the path
 * cannot be read, or TAGS_AMBIVALENT when two signatures contradict each
 * other (both with e set). out is empty but for TAGS_FOUND. */
int tags_probe(const char *path, const struct tags_req *rq, struct tags *out,
	       struct bb_error *e);
/* The value of tag name, or NULL. */
const char *tags_get(const struct tags *t, const char *name);
void tags_free(struct tags *t);

/* The i-th filesystem or RAID type libblkid knows (blkid -k); -1 past the
 * last. */
int tags_type_name(size_t i, const char **name);

/* Split "NAME=value" or NAME="value" (quotes as blkid takes them) into
 * buffers; -1 (e set) when it is not such a pair or the value is empty. */
int tags_parse_token(const char *token, char *name, size_t nlen, char *value, size_t vlen,
		     struct bb_error *e);

#endif
