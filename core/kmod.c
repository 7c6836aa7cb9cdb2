/* kmod.c - module index, dependency order from .modinfo, finit_module. */
#include "kmod.h"
#include "error.h"
#include "bb.h"
#include "cmdline.h"
#include "io.h"
#include "modinfo.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#define KMOD_MAX_DEPTH 32 /* deeper dependency chains are taken for a loop */

/* ---- the tree ---------------------------------------------------------- */

static int file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kmod_file *)a)->name, ((const struct kmod_file *)b)->name);
}

/* NAME.ko or a compressed NAME.ko.EXT: the module name, else false. */
static bool module_file_name(const char *base, char *name, size_t len, bool *compressed)
{
	static const char *const exts[] = { ".ko", ".ko.xz", ".ko.zst", ".ko.gz" };
	size_t n = strlen(base);
	for (size_t i = 0; i < ARRAY_SIZE(exts); i++) {
		size_t e = strlen(exts[i]);
		if (n > e && !strcmp(base + n - e, exts[i])) {
			modname_norm(name, len, base, n - e);
			*compressed = i > 0;
			return true;
		}
	}
	return false;
}

static int index_add(struct kmod *k, size_t *cap, const char *path, const char *name,
		     bool compressed)
{
	if (k->nfiles == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		struct kmod_file *f = realloc(k->files, ncap * sizeof(*f));
		if (!f)
			return -1;
		k->files = f;
		*cap = ncap;
	}
	struct kmod_file *f = &k->files[k->nfiles];
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->compressed = compressed;
	if (!(f->path = strdup(path)))
		return -1;
	k->nfiles++;
	return 0;
}

/* Every module file under dir. Symlinks are not followed: the "build" and
 * "source" links of an installed kernel point at whole source trees. */
static int index_dir(struct kmod *k, size_t *cap, const char *dir, int depth)
{
	DIR *d = opendir(dir);
	if (!d)
		return depth ? 0 : -1;
	struct dirent *e;
	int rc = 0;
	while (!rc && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;
		unsigned char type = e->d_type;
		struct stat st;
		if (type == DT_UNKNOWN && !lstat(path, &st))
			type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
		char name[KMOD_NAME_MAX];
		bool compressed;
		if (type == DT_DIR && depth < 16)
			rc = index_dir(k, cap, path, depth + 1);
		else if (type == DT_REG && module_file_name(e->d_name, name, sizeof(name), &compressed))
			rc = index_add(k, cap, path, name, compressed);
	}
	closedir(d);
	return rc;
}

static int ensure_index(struct kmod *k, struct bb_error *e)
{
	if (k->indexed)
		return 0;
	size_t cap = 0;
	if (index_dir(k, &cap, k->dir, 0))
		return bb_error_errno(e, "indexing modules in %s", k->dir);
	qsort(k->files, k->nfiles, sizeof(*k->files), file_cmp);
	k->indexed = true;
	return 0;
}

static const struct kmod_file *find_file(struct kmod *k, const char *name)
{
	struct kmod_file key;
	snprintf(key.name, sizeof(key.name), "%s", name);
	return bsearch(&key, k->files, k->nfiles, sizeof(key), file_cmp);
}

int kmod_open(struct kmod *k, const char *root, const char *release, struct bb_error *e)
{
	struct utsname u;
	memset(k, 0, sizeof(*k));
	if (uname(&u))
		return bb_error_errno(e, "uname");
	bool own_root = !root || !root[0] || !strcmp(root, "/");
	snprintf(k->release, sizeof(k->release), "%s", release ? release : u.release);
	k->running = own_root && !strcmp(k->release, u.release);
	snprintf(k->dir, sizeof(k->dir), "%s/lib/modules/%s", own_root ? "" : root, k->release);
	struct stat st;
	if (stat(k->dir, &st))
		return bb_error_errno(e, "no modules for kernel %s: %s", k->release, k->dir);
	if (!S_ISDIR(st.st_mode))
		return bb_error_set(e, ENOTDIR, "no modules for kernel %s: %s: not a directory",
				    k->release, k->dir);
	char path[4200];
	snprintf(path, sizeof(path), "%s/modules.builtin", k->dir);
	k->builtin = read_file(path, 1 << 22, &k->builtin_len);
	snprintf(path, sizeof(path), "%s/modules.builtin.modinfo", k->dir);
	k->builtin_info = read_file(path, 1 << 24, &k->builtin_info_len);
	return 0;
}

void kmod_close(struct kmod *k)
{
	for (size_t i = 0; i < k->nfiles; i++)
		free(k->files[i].path);
	free(k->files);
	free(k->builtin);
	free(k->builtin_info);
	memset(k, 0, sizeof(*k));
}

/* ---- what the kernel has built in --------------------------------------- */

/* modules.builtin lists "kernel/dir/NAME.ko" lines. */
static bool builtin_has(const struct kmod *k, const char *name)
{
	const char *p = k->builtin, *end = p + k->builtin_len;
	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *base = p;
		for (const char *s = p; s < eol; s++)
			if (*s == '/')
				base = s + 1;
		char mod[KMOD_NAME_MAX];
		size_t n = (size_t)(eol - base);
		if (n > 3 && !memcmp(eol - 3, ".ko", 3)) {
			modname_norm(mod, sizeof(mod), base, n - 3);
			if (!strcmp(mod, name))
				return true;
		}
		p = eol + 1;
	}
	return k->running && kmod_state(name) == KMOD_BUILTIN;
}

/* modules.builtin.modinfo holds "MODULE.alias=PATTERN" strings; the
 * built-in module providing alias goes into out. */
static bool builtin_alias(const struct kmod *k, const char *alias, char *out, size_t len)
{
	const char *p = k->builtin_info, *end = p + k->builtin_info_len;
	while (p && p < end) {
		const char *nul = memchr(p, 0, (size_t)(end - p));
		const char *eos = nul ? nul : end;
		const char *key = memmem(p, (size_t)(eos - p), ".alias=", 7);
		if (key) {
			char pat[256];
			snprintf(pat, sizeof(pat), "%.*s", (int)(eos - key - 7), key + 7);
			if (!fnmatch(pat, alias, 0)) {
				modname_norm(out, len, p, (size_t)(key - p));
				return true;
			}
		}
		p = eos + 1;
	}
	return false;
}

/* ---- one module's .modinfo ------------------------------------------------ */

struct mapped {
	void *base;
	size_t len;
	struct modinfo mi;
};

/* Map a module and find its .modinfo. e may be NULL: failures are not
 * worth a message while merely scanning the tree for an alias. */
static int map_modinfo(const char *path, struct mapped *m, struct bb_error *e)
{
	memset(m, 0, sizeof(*m));
	const char *why = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		why = strerror(errno);
	} else if (st.st_size <= 0) {
		why = "empty file";
	} else {
		m->len = (size_t)st.st_size;
		m->base = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m->base == MAP_FAILED)
			why = strerror(errno);
		else if (modinfo_find(m->base, m->len, &m->mi, &why))
			munmap(m->base, m->len);
	}
	if (fd >= 0)
		close(fd);
	if (why)
		return bb_error_set(e, EINVAL, "%s: %s", path, why);
	return 0;
}

static void unmap_modinfo(struct mapped *m)
{
	munmap(m->base, m->len);
}

static bool file_has_alias(const char *path, const char *alias)
{
	struct mapped m;
	if (map_modinfo(path, &m, NULL))
		return false;
	size_t pos = 0, n;
	const char *v;
	bool hit = false;
	while (!hit && modinfo_next(&m.mi, "alias", &pos, &v, &n)) {
		char pat[256];
		snprintf(pat, sizeof(pat), "%.*s", (int)n, v);
		hit = !fnmatch(pat, alias, 0);
	}
	unmap_modinfo(&m);
	return hit;
}

/* ---- static device nodes ------------------------------------------------- */

/* A module's devname alias and the device number it goes with. */
static bool devname_alias(const struct modinfo *mi, char *name, size_t len, mode_t *type,
			  dev_t *dev)
{
	size_t pos = 0, n;
	const char *v;
	bool have_dev = false;
	name[0] = 0;
	while (modinfo_next(mi, "alias", &pos, &v, &n)) {
		char a[128], kind[8];
		unsigned maj, min;
		int end = 0;
		snprintf(a, sizeof(a), "%.*s", (int)n, v);
		if (!strncmp(a, "devname:", 8)) {
			snprintf(name, len, "%s", a + 8);
		} else if (sscanf(a, "%7[a-z]-major-%u-%u%n", kind, &maj, &min, &end) == 3 && !a[end] &&
			   (!strcmp(kind, "char") || !strcmp(kind, "block"))) {
			*type = kind[0] == 'c' ? S_IFCHR : S_IFBLK;
			*dev = makedev(maj, min);
			have_dev = true;
		}
	}
	return name[0] && have_dev && !strstr(name, "..");
}

int kmod_static_nodes(struct kmod *k, const char *dev, struct bb_error *e)
{
	if (ensure_index(k, e))
		return -1;
	int made = 0;
	for (size_t i = 0; i < k->nfiles; i++) {
		struct mapped m;
		char name[64], path[4200];
		mode_t type = 0;
		dev_t num = 0;
		if (k->files[i].compressed || map_modinfo(k->files[i].path, &m, NULL))
			continue;
		bool ok = devname_alias(&m.mi, name, sizeof(name), &type, &num);
		unmap_modinfo(&m);
		if (!ok)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dev, name);
		char *slash = strrchr(path, '/');
		*slash = 0;
		mkdir(path, 0755);
		*slash = '/';
		if (!mknod(path, type | 0600, num))
			made++;
		else if (errno != EEXIST && !bb_error_is_set(e))
			bb_error_errno(e, "%s", path);
	}
	return made;
}

/* ---- the plan -------------------------------------------------------------- */

struct walk {
	struct kmod *k;
	struct kmod_plan *plan;
	struct bb_error *e;
	const char *stack[KMOD_MAX_DEPTH];
	int depth;
};

static struct kmod_step *plan_find(struct kmod_plan *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->step[i].name, name))
			return &p->step[i];
	return NULL;
}

static int plan_push(struct walk *w, const char *name, const struct kmod_file *f,
		     bool optional, int group)
{
	struct kmod_plan *p = w->plan;
	if (p->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 16;
		struct kmod_step *s = realloc(p->step, ncap * sizeof(*s));
		if (!s)
			return bb_error_set(w->e, ENOMEM, "out of memory");
		p->step = s;
		p->cap = ncap;
	}
	struct kmod_step *s = &p->step[p->n++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->file = f;
	s->optional = optional;
	s->group = group;
	return 0;
}

static int add_name(struct walk *w, const char *name, bool optional, int group);

/* The next word of v[0..n) from *i, words separated by any of seps. */
static bool next_word(const char *v, size_t n, const char *seps, size_t *i, char *word,
		      size_t len)
{
	while (*i < n && strchr(seps, v[*i]))
		(*i)++;
	size_t start = *i;
	while (*i < n && !strchr(seps, v[*i]))
		(*i)++;
	if (*i == start)
		return false;
	snprintf(word, len, "%.*s", (int)(*i - start), v + start);
	return true;
}

/* softdep=: "pre: a b post: c", possibly several of them. Soft
 * dependencies are optional: what nothing provides is skipped. */
static int add_softdeps(struct walk *w, const struct modinfo *mi, bool post)
{
	size_t pos = 0, n;
	const char *v;
	while (modinfo_next(mi, "softdep", &pos, &v, &n)) {
		bool in_post = false;
		size_t i = 0;
		char word[KMOD_NAME_MAX * 2];
		while (next_word(v, n, " \t", &i, word, sizeof(word))) {
			if (!strcmp(word, "pre:") || !strcmp(word, "post:"))
				in_post = word[1] == 'o';
			else if (in_post == post && add_name(w, word, true, 0) < 0)
				return -1;
		}
	}
	return 0;
}

/* depends=: the modules whose symbols this one uses. */
static int add_depends(struct walk *w, const char *who, const struct modinfo *mi, bool optional)
{
	size_t pos = 0, n;
	const char *v;
	while (modinfo_next(mi, "depends", &pos, &v, &n)) {
		size_t i = 0;
		char word[KMOD_NAME_MAX * 2];
		while (next_word(v, n, ",", &i, word, sizeof(word))) {
			int rc = add_name(w, word, optional, 0);
			if (rc < 0)
				return -1;
			if (rc > 0) {
				if (!optional)
					bb_error_set(w->e, ENOENT, "%s needs %s, which is not in %s",
						     who, word, w->k->dir);
				return optional ? 1 : -1;
			}
		}
	}
	return 0;
}

static int add_file(struct walk *w, const struct kmod_file *f, bool optional, int group)
{
	struct kmod_step *have = plan_find(w->plan, f->name);
	if (have) {
		if (!optional && have->optional) /* needed after all */
			have->optional = false, have->group = 0;
		return 0;
	}
	for (int i = 0; i < w->depth; i++)
		if (!strcmp(w->stack[i], f->name)) {
			return bb_error_set(w->e, ELOOP, "%s: dependency loop through %s",
					    w->stack[0], f->name);
		}
	if (w->depth == KMOD_MAX_DEPTH)
		return bb_error_set(w->e, ELOOP, "%s: dependencies nested deeper than %d",
				    w->stack[0], KMOD_MAX_DEPTH);
	if (f->compressed)
		return bb_error_set(w->e, ENOTSUP,
				    "%s: compressed modules are not supported; unpack it", f->path);
	struct mapped m;
	if (map_modinfo(f->path, &m, w->e))
		return -1;
	w->stack[w->depth++] = f->name;
	int rc = add_softdeps(w, &m.mi, false);
	if (!rc)
		rc = add_depends(w, f->name, &m.mi, optional);
	if (!rc)
		rc = plan_push(w, f->name, f, optional, group);
	if (!rc)
		rc = add_softdeps(w, &m.mi, true);
	w->depth--;
	unmap_modinfo(&m);
	/* An optional module whose own dependencies are missing is skipped. */
	return rc > 0 ? 0 : rc;
}

/* Modules whose alias= patterns match name. Several matches (crc32c has a
 * generic and an accelerated one) form a group: one success is enough. */
static int add_alias(struct walk *w, const char *name, bool optional, int group)
{
	char mod[KMOD_NAME_MAX];
	if (builtin_alias(w->k, name, mod, sizeof(mod)))
		return plan_find(w->plan, mod) ? 0 : plan_push(w, mod, NULL, optional, 0);
	const struct kmod_file **hits = NULL;
	size_t n = 0;
	for (size_t i = 0; i < w->k->nfiles; i++) {
		const struct kmod_file *f = &w->k->files[i];
		if (f->compressed || !file_has_alias(f->path, name))
			continue;
		const struct kmod_file **more = realloc(hits, (n + 1) * sizeof(*hits));
		if (!more) {
			free(hits);
			return bb_error_set(w->e, ENOMEM, "out of memory");
		}
		hits = more;
		hits[n++] = f;
	}
	if (n > 1 && !group)
		group = ++w->plan->groups;
	int rc = n ? 0 : 1;
	for (size_t i = 0; i < n && !rc; i++)
		rc = add_file(w, hits[i], optional, group);
	free(hits);
	return rc;
}

static int add_name(struct walk *w, const char *name, bool optional, int group)
{
	char norm[KMOD_NAME_MAX];
	modname_norm(norm, sizeof(norm), name, strlen(name));
	const struct kmod_file *f = find_file(w->k, norm);
	if (f)
		return add_file(w, f, optional, group);
	if (builtin_has(w->k, norm))
		return plan_find(w->plan, norm) ? 0 : plan_push(w, norm, NULL, optional, 0);
	return add_alias(w, name, optional, group);
}

int kmod_plan_add(struct kmod *k, struct kmod_plan *plan, const char *name, struct bb_error *e)
{
	if (ensure_index(k, e))
		return -1;
	struct walk w = { .k = k, .plan = plan, .e = e };
	size_t before = plan->n;
	int rc = add_name(&w, name, false, 0);
	if (rc)
		return rc;
	/* The target is the step named like the request, or, for an alias,
	 * whatever it added last. */
	char norm[KMOD_NAME_MAX];
	modname_norm(norm, sizeof(norm), name, strlen(name));
	struct kmod_step *t = plan_find(plan, norm);
	if (!t && plan->n > before)
		t = &plan->step[plan->n - 1];
	if (t)
		t->target = true;
	return 0;
}

void kmod_plan_free(struct kmod_plan *plan)
{
	free(plan->step);
	memset(plan, 0, sizeof(*plan));
}

/* ---- the running kernel ------------------------------------------------------ */

enum kmod_state kmod_state(const char *name)
{
	char path[256], buf[32];
	snprintf(path, sizeof(path), "/sys/module/%s/initstate", name);
	if (!read_line(path, buf, sizeof(buf))) {
		if (!strcmp(buf, "live"))
			return KMOD_LIVE;
		if (!strcmp(buf, "coming"))
			return KMOD_COMING;
		return KMOD_GOING;
	}
	/* Built-in modules with parameters have a directory but no state. */
	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return path_exists(path) ? KMOD_BUILTIN : KMOD_ABSENT;
}

/* The kernel logs "NAME: Unknown symbol SYM (err -2)" for each symbol it
 * could not resolve; finit_module itself only says ENOENT. */
static void unknown_symbols(const char *mod, char *out, size_t len)
{
	out[0] = 0;
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	if (size <= 0)
		return;
	char *log = malloc((size_t)size + 1);
	if (!log)
		return;
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, size);
	if (n <= 0) {
		free(log);
		return;
	}
	log[n] = 0;
	char needle[KMOD_NAME_MAX + 32];
	snprintf(needle, sizeof(needle), "%s: Unknown symbol ", mod);
	size_t used = 0, shown = 0, more = 0;
	for (char *p = strstr(log, needle); p; p = strstr(p, needle)) {
		p += strlen(needle);
		size_t sl = strcspn(p, " \n");
		char sym[128];
		snprintf(sym, sizeof(sym), "%.*s", (int)sl, p);
		if (strstr(out, sym)) /* the log keeps earlier attempts too */
			continue;
		if (shown == 6 || used + strlen(sym) + 3 >= len) {
			more++;
			continue;
		}
		used += (size_t)snprintf(out + used, len - used, "%s%s", shown ? ", " : "", sym);
		shown++;
	}
	if (more && used + 24 < len)
		snprintf(out + used, len - used, " and %zu more", more);
	free(log);
}

static void module_identity(const char *path, char *name, size_t nlen, char *vermagic,
			    size_t vlen)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	bool compressed;
	if (!module_file_name(base, name, nlen, &compressed))
		modname_norm(name, nlen, base, strlen(base));
	vermagic[0] = 0;
	struct mapped m;
	if (map_modinfo(path, &m, NULL))
		return;
	char real[KMOD_NAME_MAX];
	if (modinfo_get(&m.mi, "name", real, sizeof(real)))
		modname_norm(name, nlen, real, strlen(real));
	modinfo_get(&m.mi, "vermagic", vermagic, vlen);
	unmap_modinfo(&m);
}

static void explain_failure(int err, const char *path, char *why, size_t len)
{
	char name[KMOD_NAME_MAX], vermagic[128], syms[512];
	module_identity(path, name, sizeof(name), vermagic, sizeof(vermagic));
	unknown_symbols(name, syms, sizeof(syms));
	struct utsname u;
	if (syms[0])
		snprintf(why, len, "unknown symbols %s (a dependency is not loaded, or the module "
				   "is from another kernel build)", syms);
	else if (err == ENOENT)
		snprintf(why, len, "unknown symbols (see dmesg)");
	else if (err == ENOEXEC && vermagic[0] && !uname(&u) && strncmp(vermagic, u.release,
									  strlen(u.release)))
		snprintf(why, len, "invalid module format: built for %.*s, running %s",
			 (int)strcspn(vermagic, " "), vermagic, u.release);
	else if (err == ENOEXEC)
		snprintf(why, len, "invalid module format");
	else if (err == EPERM)
		snprintf(why, len, "not permitted (not root, or module loading is disabled)");
	else if (err == EKEYREJECTED || err == EBADMSG)
		snprintf(why, len, "signature rejected: %s", strerror(err));
	else if (err == ENODEV)
		snprintf(why, len, "no such device (the driver found nothing to drive)");
	else
		snprintf(why, len, "%s", strerror(err));
}

int kmod_insert(const char *path, const char *params, char *why, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, len, "%s", strerror(errno));
		return -1;
	}
	long rc = syscall(SYS_finit_module, fd, params ? params : "", 0);
	int err = errno;
	close(fd);
	if (rc == 0 || err == EEXIST)
		return 0;
	explain_failure(err, path, why, len);
	return -1;
}

/* "NAME.param=value" words of the kernel command line apply to a module
 * loaded later as well (the kernel only applies them to built-ins). */
static char *cmdline_params(const char *name, const char *extra)
{
	struct cmdline c;
	const char *why;
	size_t nl = strlen(name), cap = extra ? strlen(extra) + 1 : 1;
	bool ok = !cmdline_read(&c, NULL, &why);
	for (size_t i = 0; ok && i < c.n; i++)
		cap += strlen(c.arg[i].key) + (c.arg[i].val ? strlen(c.arg[i].val) + 3 : 0) + 1;
	char *out = calloc(1, cap), *o = out;
	for (size_t i = 0; out && ok && i < c.n; i++) {
		char norm[KMOD_NAME_MAX * 2];
		modname_norm(norm, sizeof(norm), c.arg[i].key, strlen(c.arg[i].key));
		if (strncmp(norm, name, nl) || norm[nl] != '.' || !norm[nl + 1])
			continue;
		const char *param = c.arg[i].key + nl + 1;
		const char *v = c.arg[i].val;
		bool quote = v && strpbrk(v, " \t");
		o += sprintf(o, "%s%s%s%s%s%s", o == out ? "" : " ", param, v ? "=" : "",
			     quote ? "\"" : "", v ? v : "", quote ? "\"" : "");
	}
	if (out && extra && *extra)
		sprintf(o, "%s%s", o == out ? "" : " ", extra);
	cmdline_free(&c);
	return out;
}

static bool step_required(const struct kmod_step *s) { return !s->optional && !s->group; }

static void tell(const struct kmod_notes *n, enum kmod_event ev, const struct kmod_step *s,
		 const char *why)
{
	if (n && n->fn)
		n->fn(n->ctx, ev, s, why);
}

int kmod_run_plan(struct kmod *k, const struct kmod_plan *plan, const char *params,
		  const struct kmod_notes *notes, struct bb_error *e)
{
	if (!k->running)
		return bb_error_set(e, EINVAL, "modules of kernel %s cannot be loaded into the "
				    "running one", k->release);
	int *group_ok = calloc((size_t)plan->groups + 1, sizeof(int));
	if (!group_ok)
		return bb_error_set(e, ENOMEM, "out of memory");
	int rc = 0;
	char why[768] = "";
	for (size_t i = 0; i < plan->n && !rc; i++) {
		const struct kmod_step *s = &plan->step[i];
		enum kmod_state st = s->file ? kmod_state(s->name) : KMOD_BUILTIN;
		if (st == KMOD_BUILTIN || st == KMOD_LIVE || st == KMOD_COMING) {
			tell(notes, KMOD_PRESENT, s, NULL);
			group_ok[s->group] = 1;
			continue;
		}
		tell(notes, KMOD_INSERTING, s, NULL);
		char *p = cmdline_params(s->name, s->target ? params : NULL);
		int r = kmod_insert(s->file->path, p, why, sizeof(why));
		free(p);
		if (!r)
			group_ok[s->group] = 1;
		else if (step_required(s))
			rc = bb_error_set(e, EIO, "%s: %s", s->name, why);
		else
			tell(notes, KMOD_OPTIONAL_FAILED, s, why);
	}
	for (int g = 1; !rc && g <= plan->groups; g++) {
		bool needed = false;
		for (size_t i = 0; i < plan->n; i++)
			needed |= plan->step[i].group == g && !plan->step[i].optional;
		if (needed && !group_ok[g])
			rc = bb_error_set(e, EIO, "no module for the alias loaded; last error: %s", why);
	}
	free(group_ok);
	return rc;
}

int kmod_load(struct kmod *k, const char *name, const char *params,
	      const struct kmod_notes *notes, struct bb_error *e)
{
	struct kmod_plan plan = { 0 };
	int rc = kmod_plan_add(k, &plan, name, e);
	if (rc > 0)
		bb_error_set(e, ENOENT, "%s: module not found in %s (no such module, built-in or "
			     "alias)", name, k->dir);
	if (!rc)
		rc = kmod_run_plan(k, &plan, params, notes, e);
	kmod_plan_free(&plan);
	return rc;
}

int kmod_remove(const char *name, char *why, size_t len)
{
	char norm[KMOD_NAME_MAX];
	modname_norm(norm, sizeof(norm), name, strlen(name));
	if (!syscall(SYS_delete_module, norm, O_NONBLOCK))
		return 0;
	int err = errno;
	if (err == EWOULDBLOCK || err == EBUSY) {
		char dir[256], users[256] = "";
		size_t used = 0;
		snprintf(dir, sizeof(dir), "/sys/module/%s/holders", norm);
		DIR *d = opendir(dir);
		struct dirent *e;
		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.' && used + strlen(e->d_name) + 3 < sizeof(users))
				used += (size_t)snprintf(users + used, sizeof(users) - used, "%s%s",
							 used ? ", " : "", e->d_name);
		if (d)
			closedir(d);
		snprintf(why, len, "in use%s%s%s", used ? " by " : "", users, used ? "" : " (open or mounted)");
	} else if (err == ENOENT) {
		snprintf(why, len, "not loaded");
	} else {
		snprintf(why, len, "%s", strerror(err));
	}
	return -1;
}
