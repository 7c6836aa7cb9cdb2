/* fstab.h - reading /etc/fstab and changing entries in it without
 * disturbing anything else.
 *
 * Every line is kept: comments, blank lines and lines that are not
 * entries we understand are written back byte for byte, and so is every
 * entry nobody changed. Entries are matched field by field after the
 * octal escapes are undone (never by substring: "UUID=ab" is not a
 * prefix match of "UUID=abc"). A changed or added entry is written with
 * blanks, tabs and backslashes escaped as \040 \011 \134, one space
 * between fields. Writing goes aside, fsync, rename, fsync of /etc.
 *
 * A root prefix (`--root /sysroot`) puts the file at ROOT/etc/fstab; the
 * entries keep the paths the target system sees (/var/log, not
 * /sysroot/var/log).
 */
#ifndef BB_FSTAB_H
#define BB_FSTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct bb_error;

struct fstab_entry {
	const char *spec;        /* "UUID=...", "LABEL=x", "/dev/vg/lv" */
	const char *file;        /* mount point; "none" (or "swap") for swap */
	const char *type;        /* "auto" when the line has none */
	const char *opts;        /* "defaults" when the line has none */
	unsigned freq, passno;   /* 0 when the line has none */
};

struct fstab_line {
	char *raw;               /* the line as read, without its '\n'; NULL once changed */
	size_t raw_len;
	bool is_entry;
	struct fstab_entry e;    /* when is_entry; strings in store */
	char *store;
};

struct fstab {
	struct fstab_line *line;
	size_t n, cap;
	bool no_final_newline;   /* the last line had no '\n', and keeps having none */
	size_t bad;              /* lines not understood as entries (kept as they are) */
};

/* Parse len bytes. 0, or -1 with e (out of memory only: lines that are
 * not entries are counted in bad, never refused). */
int fstab_parse(const char *text, size_t len, struct fstab *t, struct bb_error *e);
/* Read a file; one that does not exist is an empty table. */
int fstab_read(const char *path, struct fstab *t, struct bb_error *e);
void fstab_free(struct fstab *t);
/* The table as bytes (malloc'd, *len set). NULL with e when out of memory. */
char *fstab_format(const struct fstab *t, size_t *len, struct bb_error *e);
/* Replace path with the table: aside, fsync, rename, fsync of the
 * directory; the old file's permission bits are kept (0644 for a new one). */
int fstab_write(const char *path, const struct fstab *t, struct bb_error *e);

/* Do two specs name the same thing? Tags (UUID=, PARTUUID=, LABEL=,
 * PARTLABEL=, ID=) must be the same tag; values may be in double quotes;
 * UUID and PARTUUID values compare without regard to case (blkid prints
 * vfat's upper case, ext4's lower case). Anything else compares exactly. */
bool fstab_spec_eq(const char *a, const char *b);
/* Mount points compare exactly, trailing slashes aside. */
bool fstab_file_eq(const char *a, const char *b);

/* The first entry for spec mounted on file (file NULL: on anything), or -1. */
ssize_t fstab_find(const struct fstab *t, const char *spec, const char *file);
/* The first entry mounted on file (swap entries never are), or -1. */
ssize_t fstab_find_file(const struct fstab *t, const char *file);

/* Make the table hold want. An entry is the same one when spec and mount
 * point match (btrfs subvolumes share a UUID, each on its own mount
 * point); for swap, when spec matches a swap entry. That entry is
 * rewritten if any field differs, else it is appended. Returns 0 when
 * the table already held want exactly, 1 when it changed, -1 with e
 * (EEXIST) when another spec is already mounted on want's mount point,
 * or (EINVAL) when a field is empty. */
int fstab_set(struct fstab *t, const struct fstab_entry *want, struct bb_error *e);
/* Remove every entry for spec on file (file NULL: on anything); returns
 * how many went. */
size_t fstab_remove(struct fstab *t, const char *spec, const char *file);

/* ROOT/etc/fstab (root NULL or "" for /etc/fstab) into path. 0 or -1 with e. */
int fstab_path(const char *root, char *path, size_t len, struct bb_error *e);
/* Read ROOT/etc/fstab, fstab_set, write it when it changed: 0 unchanged,
 * 1 written, -1 with e. */
int fstab_update(const char *root, const struct fstab_entry *want, struct bb_error *e);
/* Read ROOT/etc/fstab, fstab_remove, write it when something went: the
 * number removed, or -1 with e. */
int fstab_remove_at(const char *root, const char *spec, const char *file, struct bb_error *e);

#endif
