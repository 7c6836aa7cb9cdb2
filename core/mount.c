/* mount.c - mountinfo, mount options, mount and unmount (see mount.h). */
#include "mount.h"
#include "error.h"
#include "io.h"
#include "num.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

/* ---- escapes ---------------------------------------------------------------- */

void mount_unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

char *mount_escape(const char *s, char *out)
{
	char *o = out;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= ' ' || c == '\\' || c == 0x7f) { /* blanks and controls */
			*o++ = '\\';
			*o++ = (char)('0' + (c >> 6));
			*o++ = (char)('0' + ((c >> 3) & 7));
			*o++ = (char)('0' + (c & 7));
		} else {
			*o++ = (char)c;
		}
	}
	*o = 0;
	return out;
}

/* ---- mountinfo ------------------------------------------------------------------ */

/* The next blank-separated field of *p, NUL-terminated in place, or NULL. */
static char *field(char **p)
{
	char *s = *p;
	while (*s == ' ')
		s++;
	if (!*s)
		return NULL;
	char *end = s + strcspn(s, " ");
	*p = *end ? end + 1 : end;
	*end = 0;
	return s;
}

static int dec_uint(const char *s, unsigned *out)
{
	uint64_t v;
	if (!s || num_dec_u64(s, 0, UINT_MAX, &v, NULL))
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw" */
static int parse_line(char *line, struct mount_entry *m)
{
	char *p = line, *id = field(&p), *parent = field(&p), *devno = field(&p);
	char *root = field(&p), *target = field(&p), *opts = field(&p);
	char *colon = devno ? strchr(devno, ':') : NULL;
	if (!opts || !colon)
		return -1;
	*colon = 0;
	if (dec_uint(id, &m->id) || dec_uint(parent, &m->parent) || dec_uint(devno, &m->major) ||
	    dec_uint(colon + 1, &m->minor))
		return -1;
	char *f;
	while ((f = field(&p)) && strcmp(f, "-")) /* optional fields: shared:N, master:N */
		;
	char *fstype = f ? field(&p) : NULL, *source = field(&p), *super = field(&p);
	if (!fstype || !source)
		return -1;
	mount_unescape(root);
	mount_unescape(target);
	mount_unescape(fstype);
	mount_unescape(source);
	*m = (struct mount_entry){ m->id, m->parent, m->major, m->minor, root, target, opts,
				   fstype, source, super ? super : "" };
	return 0;
}

int mount_table_parse(char *text, struct mount_table *t, struct bb_error *e)
{
	size_t lines = 1;
	for (const char *c = text; *c; c++)
		lines += *c == '\n';
	t->buf = text;
	t->n = 0;
	t->m = malloc(lines * sizeof(*t->m));
	if (!t->m) {
		free(text);
		t->buf = NULL;
		return bb_error_set(e, ENOMEM, "mountinfo: out of memory");
	}
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		if (!parse_line(line, &t->m[t->n]))
			t->n++;
		line = nl ? nl + 1 : NULL;
	}
	return 0;
}

int mount_table_read(const char *path, struct mount_table *t, struct bb_error *e)
{
	if (!path)
		path = "/proc/self/mountinfo";
	memset(t, 0, sizeof(*t));
	char *text = read_file(path, 64u << 20, NULL);
	if (!text)
		return bb_error_errno(e, "%s", path);
	return mount_table_parse(text, t, e);
}

void mount_table_free(struct mount_table *t)
{
	free(t->m);
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

const struct mount_entry *mount_table_find(const struct mount_table *t, const char *target)
{
	for (size_t i = t->n; i-- > 0;)
		if (!strcmp(t->m[i].target, target))
			return &t->m[i];
	return NULL;
}

/* ---- swaps ------------------------------------------------------------------------ */

int mount_swaps_parse(char *text, struct mount_swaps *s, struct bb_error *e)
{
	size_t lines = 1;
	for (const char *c = text; *c; c++)
		lines += *c == '\n';
	s->buf = text;
	s->n = 0;
	if (!(s->path = malloc(lines * sizeof(*s->path)))) {
		free(text);
		s->buf = NULL;
		return bb_error_set(e, ENOMEM, "swaps: out of memory");
	}
	/* "Filename  Type  Size  Used  Priority" heads the list: no path */
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		line[strcspn(line, " \t")] = 0;
		if (line[0] == '/') {
			mount_unescape(line);
			s->path[s->n++] = line;
		}
		line = nl ? nl + 1 : NULL;
	}
	return 0;
}

int mount_swaps_read(const char *path, struct mount_swaps *s, struct bb_error *e)
{
	if (!path)
		path = "/proc/swaps";
	memset(s, 0, sizeof(*s));
	char *text = read_file(path, 16u << 20, NULL);
	if (!text && errno == ENOENT)
		text = strdup("");
	if (!text)
		return bb_error_errno(e, "%s", path);
	return mount_swaps_parse(text, s, e);
}

void mount_swaps_free(struct mount_swaps *s)
{
	free(s->path);
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

/* ---- options ---------------------------------------------------------------------- */

static const struct {
	const char *name;
	unsigned long flag;
	bool clear; /* the option turns the flag off */
} flag_opts[] = {
	{ "ro", MS_RDONLY, false },	       { "rw", MS_RDONLY, true },
	{ "nosuid", MS_NOSUID, false },	       { "suid", MS_NOSUID, true },
	{ "nodev", MS_NODEV, false },	       { "dev", MS_NODEV, true },
	{ "noexec", MS_NOEXEC, false },	       { "exec", MS_NOEXEC, true },
	{ "sync", MS_SYNCHRONOUS, false },     { "async", MS_SYNCHRONOUS, true },
	{ "dirsync", MS_DIRSYNC, false },      { "mand", MS_MANDLOCK, false },
	{ "nomand", MS_MANDLOCK, true },       { "noatime", MS_NOATIME, false },
	{ "atime", MS_NOATIME, true },	       { "nodiratime", MS_NODIRATIME, false },
	{ "diratime", MS_NODIRATIME, true },   { "relatime", MS_RELATIME, false },
	{ "norelatime", MS_RELATIME, true },   { "strictatime", MS_STRICTATIME, false },
	{ "nostrictatime", MS_STRICTATIME, true }, { "lazytime", MS_LAZYTIME, false },
	{ "nolazytime", MS_LAZYTIME, true },   { "silent", MS_SILENT, false },
	{ "loud", MS_SILENT, true },	       { "remount", MS_REMOUNT, false },
	{ "bind", MS_BIND, false },	       { "rbind", MS_BIND | MS_REC, false },
};

/* mount(8)'s and fstab's own words, which the kernel would refuse. */
static bool userspace_opt(const char *o, size_t n, struct mount_opts *out)
{
	static const char *const words[] = { "defaults", "auto", "user", "nouser", "users",
					     "owner", "group", "_netdev" };
	static const char *const prefixes[] = { "x-", "comment=", "helper=", "uhelper=" };
	if (n == 6 && !memcmp(o, "noauto", 6))
		return out->noauto = true;
	if (n == 6 && !memcmp(o, "nofail", 6))
		return out->nofail = true;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i]) == n && !memcmp(o, words[i], n))
			return true;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (n >= strlen(prefixes[i]) && !memcmp(o, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

static bool flag_opt(const char *o, size_t n, struct mount_opts *out)
{
	for (size_t i = 0; i < sizeof(flag_opts) / sizeof(flag_opts[0]); i++)
		if (strlen(flag_opts[i].name) == n && !memcmp(o, flag_opts[i].name, n)) {
			if (flag_opts[i].clear)
				out->flags &= ~flag_opts[i].flag;
			else
				out->flags |= flag_opts[i].flag;
			return true;
		}
	return false;
}

int mount_opts_parse(const char *s, struct mount_opts *o, struct bb_error *e)
{
	memset(o, 0, sizeof(*o));
	size_t used = 0;
	while (s && *s) {
		/* one option: up to a comma outside double quotes */
		size_t n = 0;
		bool quoted = false;
		for (; s[n] && (quoted || s[n] != ','); n++)
			quoted ^= s[n] == '"';
		if (quoted)
			return bb_error_set(e, EINVAL, "mount options: unterminated quote");
		if (n && !flag_opt(s, n, o) && !userspace_opt(s, n, o)) {
			if (used + (used > 0) + n >= sizeof(o->data))
				return bb_error_set(e, EINVAL, "mount options: longer than %d bytes",
						    MOUNT_DATA_MAX - 1);
			if (used)
				o->data[used++] = ',';
			memcpy(o->data + used, s, n);
			used += n;
			o->data[used] = 0;
		}
		s += n + (s[n] == ',');
	}
	return 0;
}

/* ---- paths ------------------------------------------------------------------------- */

static bool has_dotdot(const char *p)
{
	for (const char *c = p; (c = strstr(c, "..")); c += 2)
		if ((c == p || c[-1] == '/') && (c[2] == '/' || !c[2]))
			return true;
	return false;
}

int mount_root_path(const char *root, const char *path, char *out, size_t len,
		    struct bb_error *e)
{
	if (path[0] != '/' || has_dotdot(path))
		return bb_error_set(e, EINVAL, "%s: not an absolute path without '..'", path);
	size_t rl = root ? strlen(root) : 0;
	while (rl && root[rl - 1] == '/')
		rl--;
	if (root && *root && root[0] != '/')
		return bb_error_set(e, EINVAL, "root %s: not an absolute path", root);
	const char *rest = rl && !strcmp(path, "/") ? "" : path;
	if ((size_t)snprintf(out, len, "%.*s%s", (int)rl, rl ? root : "", rest) >= len)
		return bb_error_set(e, ENAMETOOLONG, "%s%s: path too long", rl ? root : "", path);
	return 0;
}

int mount_mkdir_p(const char *path, unsigned mode, struct bb_error *e)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return bb_error_set(e, ENAMETOOLONG, "%s: path too long", path);
	for (char *p = buf + 1;; p++) {
		if (*p && *p != '/')
			continue;
		char c = *p;
		*p = 0;
		struct stat st;
		if (mkdir(buf, mode) && (errno != EEXIST || stat(buf, &st) || !S_ISDIR(st.st_mode))) {
			if (errno == EEXIST)
				errno = ENOTDIR;
			return bb_error_errno(e, "mkdir %s", buf);
		}
		if (!c)
			return 0;
		*p = c;
	}
}

/* ---- mount and unmount ------------------------------------------------------------------- */

int mount_fs(const char *root, const char *source, const char *target, const char *fstype,
	     const char *opts, struct bb_error *e)
{
	char dir[PATH_MAX];
	struct mount_opts o;
	if (mount_root_path(root, target, dir, sizeof(dir), e) || mount_opts_parse(opts, &o, e) ||
	    mount_mkdir_p(dir, 0755, e))
		return -1;
	if (mount(source, dir, fstype, o.flags, o.data[0] ? o.data : NULL))
		return bb_error_errno(e, "mount %s on %s (%s)", source, dir, fstype ? fstype : "bind");
	return 0;
}

int mount_umount(const char *target, unsigned flags, struct bb_error *e)
{
	if (!umount2(target, flags & MOUNT_UMOUNT_DETACH ? MNT_DETACH : 0))
		return 0;
	if (!(flags & MOUNT_UMOUNT_RDONLY))
		return bb_error_errno(e, "unmount %s", target);
	int first = errno;
	if (!mount(NULL, target, NULL, MS_REMOUNT | MS_RDONLY, NULL))
		return 1;
	bb_error_errno(e, "remount %s read-only", target);
	return bb_error_prefix(e, "unmount %s: %s; then", target, strerror(first));
}
