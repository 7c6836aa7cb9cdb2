/* mount.h - what is mounted (mountinfo), mount option strings, mounting
 * and unmounting, and paths under a root prefix.
 *
 * Nothing here prints: failures fill a struct bb_error (core/error.h).
 * sysvol, volmgr and lvq mount through this; init unmounts through it
 * before power-off; the claim check and `disks` read the table.
 */
#ifndef BB_MOUNT_H
#define BB_MOUNT_H

#include <stdbool.h>
#include <stddef.h>

struct bb_error;

/* ---- mountinfo -----------------------------------------------------------
 * One line of /proc/PID/mountinfo (proc(5)), octal escapes ("\040" for a
 * blank) already undone. Strings point into the table's buffer. */
struct mount_entry {
	unsigned id, parent;
	unsigned major, minor; /* st_dev of the mounted filesystem; btrfs shows 0:N */
	const char *root;      /* the directory of the filesystem mounted there */
	const char *target;    /* mount point */
	const char *opts;      /* per-mount options: "rw,noatime" */
	const char *fstype;    /* "ext4", "fuse.sshfs" */
	const char *source;    /* "/dev/sda1", "proc", "none" */
	const char *super_opts; /* per-superblock options */
};

struct mount_table {
	struct mount_entry *m; /* in the kernel's order: a mount after its parent */
	size_t n;
	char *buf;
};

/* Read path (NULL: /proc/self/mountinfo). Lines that do not parse are
 * skipped: the kernel writes none, and one odd line must not hide the
 * rest. 0, or -1 with e. */
int mount_table_read(const char *path, struct mount_table *t, struct bb_error *e);
/* The same over text the table takes over (malloc'd, freed with it). */
int mount_table_parse(char *text, struct mount_table *t, struct bb_error *e);
void mount_table_free(struct mount_table *t);
/* The last (topmost) mount on target, or NULL. */
const struct mount_entry *mount_table_find(const struct mount_table *t, const char *target);

/* ---- /proc/swaps -----------------------------------------------------------
 * The active swap areas: the first field of each line that names a path,
 * unescaped ("/dev/dm-1", "/swap file"). */
struct mount_swaps {
	const char **path;
	size_t n;
	char *buf;
};
/* Read path (NULL: /proc/swaps). A kernel without swap has no such file:
 * an empty list. 0, or -1 with e. */
int mount_swaps_read(const char *path, struct mount_swaps *s, struct bb_error *e);
/* The same over text the list takes over (malloc'd, freed with it). */
int mount_swaps_parse(char *text, struct mount_swaps *s, struct bb_error *e);
void mount_swaps_free(struct mount_swaps *s);

/* Undo the octal escapes of /proc/mounts, mountinfo, swaps and fstab in
 * place: "\040" is a blank, "\134" a backslash. */
void mount_unescape(char *s);
/* The reverse, for fstab fields: blanks, control characters and the
 * backslash become \040 \011 \134 ... out needs 4 * strlen(s) + 1 bytes;
 * returns out. */
char *mount_escape(const char *s, char *out);

/* ---- options -------------------------------------------------------------
 * "ro,noatime,compress=zstd" -> MS_RDONLY | MS_NOATIME, data "compress=zstd".
 * Later options win ("ro,rw" is rw). Options only mount(8) and fstab
 * readers act on (defaults, auto, noauto, user, nofail, _netdev, x-*,
 * comment=...) never reach the kernel; noauto and nofail are reported.
 * Double quotes keep commas inside a value (context="a,b"). */
#define MOUNT_DATA_MAX 4096 /* the kernel copies one page of data */
struct mount_opts {
	unsigned long flags;  /* MS_* */
	bool noauto, nofail;
	char data[MOUNT_DATA_MAX]; /* what the filesystem parses, "" if none */
};
/* 0, or -1 with e (EINVAL) for an unterminated quote or data too long. */
int mount_opts_parse(const char *s, struct mount_opts *o, struct bb_error *e);

/* ---- a root prefix ----------------------------------------------------------
 * root "" or NULL is the running system; "/sysroot" a target system
 * mounted there, whose /etc/fstab and mount points live under it. path
 * must be absolute without ".." components (a lexical check: symlinks
 * inside the target are not followed out of it here). 0, or -1 with e. */
int mount_root_path(const char *root, const char *path, char *out, size_t len,
		    struct bb_error *e);
/* mkdir -p: every missing component with mode. 0, or -1 with e. */
int mount_mkdir_p(const char *path, unsigned mode, struct bb_error *e);

/* ---- mount and unmount ---------------------------------------------------------- */
/* Mount source (a device, or "proc"...) of type fstype on root + target,
 * creating the mount point (mode 0755) when missing. opts as above, NULL
 * for none. 0, or -1 with e; e->code is mount(2)'s errno (EBUSY when
 * already mounted there or the device is in use). */
int mount_fs(const char *root, const char *source, const char *target, const char *fstype,
	     const char *opts, struct bb_error *e);

enum {
	MOUNT_UMOUNT_RDONLY = 1, /* busy: remount read-only instead, as at power-off */
	MOUNT_UMOUNT_DETACH = 2, /* MNT_DETACH: lazy, once nothing uses it */
};
/* Unmount target. 0 unmounted; 1 still mounted but read-only
 * (MOUNT_UMOUNT_RDONLY); -1 with e when neither worked. */
int mount_umount(const char *target, unsigned flags, struct bb_error *e);

#endif
