/* fstab.c - fstab reading and careful updating (see fstab.h). */
#include "fstab.h"
#include "error.h"
#include "io.h"
#include "mount.h"
#include "num.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define FSTAB_MAX (16u << 20) /* far past any real fstab; keeps memory bounded */

/* ---- parsing ------------------------------------------------------------- */

static struct fstab_line *new_line(struct fstab *t, struct bb_error *e)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct fstab_line *l = realloc(t->line, cap * sizeof(*l));
		if (!l) {
			bb_error_set(e, ENOMEM, "fstab: out of memory");
			return NULL;
		}
		t->line = l;
		t->cap = cap;
	}
	struct fstab_line *l = &t->line[t->n++];
	memset(l, 0, sizeof(*l));
	return l;
}

/* '\r' too: a CRLF file's carriage return is no part of the last field */
static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Split s (a NUL-terminated copy of one line) into up to 6 fields in
 * place. Returns the count, 7 for too many. */
static int split(char *s, char *f[6])
{
	int n = 0;
	for (;;) {
		while (blank(*s))
			s++;
		if (!*s)
			return n;
		if (n == 6)
			return 7;
		f[n++] = s;
		while (*s && !blank(*s))
			s++;
		if (*s)
			*s++ = 0;
	}
}

/* The entry on one line, or false when it is a comment, blank or not
 * an entry (then the line stays raw and foreign). */
static bool parse_entry(struct fstab_line *l)
{
	const char *s = l->raw;
	while (blank(*s))
		s++;
	if (!*s || *s == '#' || memchr(l->raw, 0, l->raw_len))
		return false;
	char *copy = strndup(l->raw, l->raw_len), *f[6];
	int n = copy ? split(copy, f) : 0;
	uint64_t freq = 0, passno = 0;
	if (n < 2 || n > 6 || (n > 4 && num_dec_u64(f[4], 0, UINT_MAX, &freq, NULL)) ||
	    (n > 5 && num_dec_u64(f[5], 0, UINT_MAX, &passno, NULL))) {
		free(copy);
		return false;
	}
	for (int i = 0; i < n; i++)
		mount_unescape(f[i]);
	l->store = copy;
	l->e = (struct fstab_entry){ f[0], f[1], n > 2 ? f[2] : "auto", n > 3 ? f[3] : "defaults",
				     (unsigned)freq, (unsigned)passno };
	return true;
}

int fstab_parse(const char *text, size_t len, struct fstab *t, struct bb_error *e)
{
	memset(t, 0, sizeof(*t));
	for (size_t at = 0; at < len;) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
		struct fstab_line *l = new_line(t, e);
		if (!l || !(l->raw = malloc(n + 1))) {
			fstab_free(t);
			return l ? bb_error_set(e, ENOMEM, "fstab: out of memory") : -1;
		}
		memcpy(l->raw, text + at, n);
		l->raw[n] = 0;
		l->raw_len = n;
		l->is_entry = parse_entry(l);
		if (!l->is_entry) {
			const char *s = l->raw + strspn(l->raw, " \t\r");
			t->bad += *s && *s != '#';
		}
		at += n + 1;
		t->no_final_newline = !nl;
	}
	return 0;
}

int fstab_read(const char *path, struct fstab *t, struct bb_error *e)
{
	size_t len;
	char *text = read_file(path, FSTAB_MAX, &len);
	if (!text && errno == ENOENT)
		return fstab_parse("", 0, t, e);
	if (!text) {
		memset(t, 0, sizeof(*t));
		return bb_error_errno(e, "%s", path);
	}
	int rc = fstab_parse(text, len, t, e);
	free(text);
	return rc ? bb_error_prefix(e, "%s", path) : 0;
}

static void clear_line(struct fstab_line *l)
{
	free(l->raw);
	free(l->store);
	memset(l, 0, sizeof(*l));
}

void fstab_free(struct fstab *t)
{
	for (size_t i = 0; i < t->n; i++)
		clear_line(&t->line[i]);
	free(t->line);
	memset(t, 0, sizeof(*t));
}

/* ---- writing ---------------------------------------------------------------- */

/* One changed entry as text, escaped, without newline: malloc'd. */
static char *render(const struct fstab_entry *en)
{
	const char *f[4] = { en->spec, en->file, en->type, en->opts };
	size_t need = 64;
	for (int i = 0; i < 4; i++)
		need += 4 * strlen(f[i]) + 1;
	char *out = malloc(need), *o = out;
	if (!out)
		return NULL;
	for (int i = 0; i < 4; i++) {
		mount_escape(f[i], o);
		o += strlen(o);
		*o++ = ' ';
	}
	snprintf(o, need - (size_t)(o - out), "%u %u", en->freq, en->passno);
	return out;
}

char *fstab_format(const struct fstab *t, size_t *len, struct bb_error *e)
{
	size_t cap = 1, n = 0;
	char **text = calloc(t->n + 1, sizeof(*text));
	if (!text) {
		bb_error_set(e, ENOMEM, "fstab: out of memory");
		return NULL;
	}
	for (size_t i = 0; i < t->n; i++) {
		const struct fstab_line *l = &t->line[i];
		if (!l->raw && !(text[i] = render(&l->e)))
			goto oom;
		cap += (l->raw ? l->raw_len : strlen(text[i])) + 1;
	}
	char *out = malloc(cap);
	if (!out)
		goto oom;
	for (size_t i = 0; i < t->n; i++) {
		const struct fstab_line *l = &t->line[i];
		size_t k = l->raw ? l->raw_len : strlen(text[i]);
		memcpy(out + n, l->raw ? l->raw : text[i], k);
		n += k;
		/* the file's last line keeps lacking its newline, if it did and is unchanged */
		if (!(i == t->n - 1 && t->no_final_newline && l->raw))
			out[n++] = '\n';
		free(text[i]);
	}
	free(text);
	out[n] = 0;
	*len = n;
	return out;
oom:
	for (size_t i = 0; i < t->n; i++)
		free(text[i]);
	free(text);
	bb_error_set(e, ENOMEM, "fstab: out of memory");
	return NULL;
}

int fstab_write(const char *path, const struct fstab *t, struct bb_error *e)
{
	size_t len;
	char *text = fstab_format(t, &len, e);
	if (!text)
		return -1;
	struct stat st;
	mode_t mode = stat(path, &st) ? 0644 : st.st_mode & 07777;
	struct aside a;
	int rc = -1;
	if (aside_open(&a, path, mode)) {
		bb_error_errno(e, "%s: write aside", path);
	} else if (fchmod(a.fd, mode) || write_full(a.fd, text, len)) {
		bb_error_errno(e, "%s: write", a.tmp);
		aside_abort(&a);
	} else if (aside_commit(&a)) {
		bb_error_errno(e, "%s: replace", path);
	} else {
		rc = 0;
	}
	free(text);
	return rc;
}

/* ---- matching -------------------------------------------------------------------- */

/* "UUID=x" -> tag length 4; 0 when spec is no tag. */
static size_t tag_len(const char *s)
{
	static const char *const tags[] = { "UUID", "PARTUUID", "LABEL", "PARTLABEL", "ID" };
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		size_t n = strlen(tags[i]);
		if (!strncmp(s, tags[i], n) && s[n] == '=')
			return n;
	}
	return 0;
}

/* A tag's value without surrounding double quotes: start and length. */
static const char *tag_value(const char *v, size_t *len)
{
	*len = strlen(v);
	if (*len >= 2 && v[0] == '"' && v[*len - 1] == '"') {
		*len -= 2;
		return v + 1;
	}
	return v;
}

bool fstab_spec_eq(const char *a, const char *b)
{
	size_t ta = tag_len(a), tb = tag_len(b);
	if (!ta || !tb)
		return !ta && !tb && !strcmp(a, b);
	if (ta != tb || strncmp(a, b, ta))
		return false;
	size_t la, lb;
	const char *va = tag_value(a + ta + 1, &la), *vb = tag_value(b + tb + 1, &lb);
	if (la != lb)
		return false;
	bool hex = !strncmp(a, "UUID", 4) || !strncmp(a, "PARTUUID", 8);
	return hex ? !strncasecmp(va, vb, la) : !memcmp(va, vb, la);
}

bool fstab_file_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	while (la > 1 && a[la - 1] == '/')
		la--;
	while (lb > 1 && b[lb - 1] == '/')
		lb--;
	return la == lb && !memcmp(a, b, la);
}

static bool is_swap(const struct fstab_entry *en)
{
	return !strcmp(en->type, "swap");
}

ssize_t fstab_find(const struct fstab *t, const char *spec, const char *file)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct fstab_line *l = &t->line[i];
		if (l->is_entry && fstab_spec_eq(l->e.spec, spec) &&
		    (!file || fstab_file_eq(l->e.file, file)))
			return (ssize_t)i;
	}
	return -1;
}

ssize_t fstab_find_file(const struct fstab *t, const char *file)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct fstab_line *l = &t->line[i];
		if (l->is_entry && !is_swap(&l->e) && fstab_file_eq(l->e.file, file))
			return (ssize_t)i;
	}
	return -1;
}

static bool same_entry(const struct fstab_entry *a, const struct fstab_entry *b)
{
	return fstab_spec_eq(a->spec, b->spec) && fstab_file_eq(a->file, b->file) &&
	       !strcmp(a->type, b->type) && !strcmp(a->opts, b->opts) && a->freq == b->freq &&
	       a->passno == b->passno;
}

/* Own copies of want's strings in l. */
static int store_entry(struct fstab_line *l, const struct fstab_entry *want, struct bb_error *e)
{
	const char *f[4] = { want->spec, want->file, want->type, want->opts };
	size_t len[4], total = 0;
	for (int i = 0; i < 4; i++)
		total += (len[i] = strlen(f[i])) + 1;
	char *store = malloc(total), *p = store;
	if (!store)
		return bb_error_set(e, ENOMEM, "fstab: out of memory");
	const char *s[4];
	for (int i = 0; i < 4; i++) {
		s[i] = memcpy(p, f[i], len[i] + 1);
		p += len[i] + 1;
	}
	clear_line(l);
	l->store = store;
	l->is_entry = true;
	l->e = (struct fstab_entry){ s[0], s[1], s[2], s[3], want->freq, want->passno };
	return 0;
}

int fstab_set(struct fstab *t, const struct fstab_entry *want, struct bb_error *e)
{
	if (!want->spec || !*want->spec || !want->file || !*want->file || !want->type ||
	    !*want->type || !want->opts || !*want->opts)
		return bb_error_set(e, EINVAL, "fstab: an entry needs spec, mount point, type and options");
	ssize_t at = -1;
	for (size_t i = 0; i < t->n && at < 0; i++) {
		const struct fstab_line *l = &t->line[i];
		if (!l->is_entry || !fstab_spec_eq(l->e.spec, want->spec))
			continue;
		if (is_swap(want) ? is_swap(&l->e) : fstab_file_eq(l->e.file, want->file))
			at = (ssize_t)i;
	}
	if (at >= 0 && same_entry(&t->line[at].e, want))
		return 0;
	if (at < 0 && !is_swap(want)) {
		ssize_t other = fstab_find_file(t, want->file);
		if (other >= 0)
			return bb_error_set(e, EEXIST, "fstab: %s is already the mount point of %s",
					    want->file, t->line[other].e.spec);
	}
	struct fstab_line *l = at >= 0 ? &t->line[at] : new_line(t, e);
	if (!l || store_entry(l, want, e)) {
		if (l && at < 0)
			t->n--; /* the empty line just added */
		return -1;
	}
	return 1;
}

size_t fstab_remove(struct fstab *t, const char *spec, const char *file)
{
	size_t kept = 0, gone = 0;
	for (size_t i = 0; i < t->n; i++) {
		struct fstab_line *l = &t->line[i];
		if (l->is_entry && fstab_spec_eq(l->e.spec, spec) &&
		    (!file || fstab_file_eq(l->e.file, file))) {
			clear_line(l);
			gone++;
			continue;
		}
		t->line[kept++] = *l;
	}
	t->n = kept;
	return gone;
}

/* ---- under a root ---------------------------------------------------------------------- */

int fstab_path(const char *root, char *path, size_t len, struct bb_error *e)
{
	return mount_root_path(root, "/etc/fstab", path, len, e);
}

int fstab_update(const char *root, const struct fstab_entry *want, struct bb_error *e)
{
	char path[PATH_MAX];
	struct fstab t;
	if (fstab_path(root, path, sizeof(path), e) || fstab_read(path, &t, e))
		return -1;
	int rc = fstab_set(&t, want, e);
	if (rc == 1 && fstab_write(path, &t, e))
		rc = -1;
	fstab_free(&t);
	return rc;
}

int fstab_remove_at(const char *root, const char *spec, const char *file, struct bb_error *e)
{
	char path[PATH_MAX];
	struct fstab t;
	if (fstab_path(root, path, sizeof(path), e) || fstab_read(path, &t, e))
		return -1;
	size_t gone = fstab_remove(&t, spec, file);
	int rc = gone > INT_MAX ? INT_MAX : (int)gone;
	if (gone && fstab_write(path, &t, e))
		rc = -1;
	fstab_free(&t);
	return rc;
}
