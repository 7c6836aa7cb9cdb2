/* volume.c - an EC volume as it is on disk: which shards exist, how long a
 * healthy one is, the ratio, the sidecars. */
#include "bb.h"
#include "ec.h"
#include "io.h"
#include "matrix.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int ec_vol_path(const struct ec_vol *v, const char *ext, char *buf, size_t len)
{
	if (swfs_path(buf, len, v->base, ext)) {
		bb_err("%s%s: path too long", v->base, ext);
		return -1;
	}
	return 0;
}

static int load_vif(struct ec_vol *v)
{
	char path[PATH_MAX], err[128];
	if (ec_vol_path(v, ".vif", path, sizeof(path)))
		return -1;
	int rc = swfs_vif_load(path, &v->vif, err, sizeof(err));
	if (rc < 0) {
		/* upstream refuses too: the ratio may be in it */
		bb_err("%s: %s", path, err);
		return -1;
	}
	v->has_vif = rc > 0;
	return 0;
}

static int pick_ratio(struct ec_vol *v, const struct ec_opts *o)
{
	v->k = EC_DEFAULT_DATA;
	v->m = EC_DEFAULT_PARITY;
	v->ratio_from = "default";
	if (v->has_vif && v->vif.has_ec_config) {
		v->k = (int)v->vif.data_shards;
		v->m = (int)v->vif.parity_shards;
		v->ratio_from = ".vif";
	}
	if (o->k || o->m) {
		if (v->has_vif && v->vif.has_ec_config &&
		    ((o->k && o->k != v->k) || (o->m && o->m != v->m)))
			bb_warn("%s: options override the .vif ratio %d+%d", v->base, v->k, v->m);
		if (o->k)
			v->k = o->k;
		if (o->m)
			v->m = o->m;
		v->ratio_from = "options";
	}
	if (v->k < 1 || v->m < 1 || v->k + v->m > GF_MAX_SHARDS) {
		bb_err("%s: ratio %d+%d: need at least 1+1 and at most %d shards", v->base, v->k,
		       v->m, GF_MAX_SHARDS);
		return -1;
	}
	return ec_rs_matrix(v->k, v->m, v->enc);
}

static void stat_shards(struct ec_vol *v)
{
	for (int i = 0; i < GF_MAX_SHARDS; i++) {
		struct ec_shard *s = &v->sh[i];
		char ext[8];
		struct stat st;
		snprintf(ext, sizeof(ext), ".ec%02d", i);
		swfs_path(s->path, sizeof(s->path), v->base, ext);
		s->state = SHARD_MISSING;
		if (stat(s->path, &st) == 0 && S_ISREG(st.st_mode)) {
			s->state = SHARD_OK;
			s->size = (uint64_t)st.st_size;
		}
	}
}

/* The size most shards share; ties go to the longer, since truncation is
 * the usual damage. Empty files never count. */
static uint64_t common_size(const struct ec_vol *v)
{
	uint64_t best = 0;
	int best_n = 0;
	for (int i = 0; i < v->k + v->m; i++) {
		if (v->sh[i].state == SHARD_MISSING || !v->sh[i].size)
			continue;
		int n = 0;
		for (int j = 0; j < v->k + v->m; j++)
			n += v->sh[j].state != SHARD_MISSING && v->sh[j].size == v->sh[i].size;
		if (n > best_n || (n == best_n && v->sh[i].size > best)) {
			best = v->sh[i].size;
			best_n = n;
		}
	}
	return best;
}

/* The sidecar, if any. One that cannot be read or does not describe this
 * volume is not an error here: each command decides what it means. */
static void load_ecsum(struct ec_vol *v, const struct ec_opts *o, uint64_t *covered)
{
	char path[PATH_MAX];
	size_t len;
	if (o->ignore_ecsum || ec_vol_path(v, ".ecsum", path, sizeof(path)) || !path_exists(path))
		return;
	v->sum_state = ECSUM_INVALID;
	v->sum_file = (uint8_t *)read_file(path, 64u << 20, &len);
	if (!v->sum_file)
		v->sum_why = strerror(errno);
	else if (!ec_sum_parse(v->sum_file, len, &v->sum, &v->sum_why) &&
		 !ec_sum_check(&v->sum, v->k, v->m, covered, &v->sum_why))
		v->sum_state = ECSUM_ON;
}

static int expected_size(struct ec_vol *v, const struct ec_opts *o)
{
	struct ec_layout l;
	uint64_t covered = 0;
	load_ecsum(v, o, &covered);
	if (v->has_vif && v->vif.has_dat_file_size) {
		if (ec_layout_for_dat(&l, v->k, o->large, o->small, v->vif.dat_file_size)) {
			bb_err("%s: .vif datFileSize %llu is too large", v->base,
			       (unsigned long long)v->vif.dat_file_size);
			return -1;
		}
		v->shard_size = l.shard_size;
		v->size_from = ".vif datFileSize";
		if (v->sum_state == ECSUM_ON && covered != v->shard_size) {
			v->sum_state = ECSUM_INVALID;
			v->sum_why = "its shard length disagrees with .vif datFileSize";
		}
	} else if (v->sum_state == ECSUM_ON) {
		v->shard_size = covered;
		v->size_from = ".ecsum";
	} else {
		v->shard_size = common_size(v);
		v->size_from = "most shards";
	}
	return 0;
}

const char *ec_sum_state_name(const struct ec_vol *v)
{
	static const char *const names[] = { "none", "ok", "invalid" };
	return names[v->sum_state];
}

void ec_vol_free(struct ec_vol *v)
{
	if (v)
		free(v->sum_file);
	free(v);
}

static void report_rotten(const struct ec_vol *v, int i, long bad, uint64_t first,
			  struct ec_result *r)
{
	uint64_t from = first * v->sum.block_size;
	r->rotten[r->nrotten++] = (struct ec_rotten){ .shard = i, .bad = bad, .from = from };
	bb_err("%s: %ld of %zu blocks fail their .ecsum CRC, the first at byte %llu: "
	       "rotten, not trusted", v->sh[i].path, bad, v->sum.sh[i].ncrc,
	       (unsigned long long)from);
}

/* What a screen found (bad blocks and the first, by shard number, for
 * the healthy shards among which), said and applied; how many failed. */
static int screen_found(struct ec_vol *v, struct ec_result *r, uint32_t which, const long *bad,
			const uint64_t *first)
{
	int failed = 0;
	r->screened = true;
	for (int i = 0; i < v->k + v->m; i++) {
		if (v->sh[i].state != SHARD_OK || !(which >> i & 1) || !bad[i])
			continue;
		report_rotten(v, i, bad[i], first[i], r);
		v->sh[i].state = SHARD_DAMAGED;
		v->n_ok--;
		failed++;
	}
	v->sum_failed += failed;
	return failed;
}

int ec_vol_screened(struct ec_vol *v, struct ec_result *r, uint32_t which, const long *bad,
		    const uint64_t *first)
{
	v->unscreened &= ~which;
	return screen_found(v, r, which, bad, first);
}

/* The healthy shards among which (bits by number), against the sidecar. */
static int screen_set(struct ec_vol *v, const struct ec_opts *o, struct ec_result *r,
		      uint32_t which)
{
	int ids[GF_MAX_SHARDS], fds[GF_MAX_SHARDS], n = 0, failed = 0, unreadable;
	long bad[GF_MAX_SHARDS], by_shard[GF_MAX_SHARDS] = { 0 };
	uint64_t first[GF_MAX_SHARDS], first_by_shard[GF_MAX_SHARDS] = { 0 };
	if (v->sum_state != ECSUM_ON)
		return 0;
	for (int i = 0; i < v->k + v->m; i++)
		if (v->sh[i].state == SHARD_OK && (which >> i & 1))
			ids[n++] = i;
	for (;;) {
		if (ec_vol_open_shards(v, ids, n, fds))
			return -1;
		int rc = ec_sum_verify(&v->sum, n, ids, fds, o->threads, bad, first, &unreadable);
		int err = errno;
		struct stat st;
		if (rc && unreadable >= 0 && err == ENODATA) { /* cut short since loaded */
			int s = ids[unreadable];
			ec_vol_say_cut(v, s, fstat(fds[unreadable], &st) ? 0 : (uint64_t)st.st_size);
			ec_close_all(fds, n);
			r->screened = true; /* it ran, and found that */
			return -1;
		}
		errno = err;
		if (rc)
			bb_perr("%s", unreadable < 0 ? v->base : v->sh[ids[unreadable]].path);
		ec_close_all(fds, n);
		if (!rc)
			break;
		if (unreadable < 0)
			return -1;
		/* a shard that cannot be read is as good as rotten: check the rest */
		v->sh[ids[unreadable]].state = SHARD_DAMAGED;
		v->n_ok--;
		failed++;
		memmove(ids + unreadable, ids + unreadable + 1,
			(size_t)(n - unreadable - 1) * sizeof(*ids));
		n--;
	}
	v->sum_failed += failed;
	for (int x = 0; x < n; x++) {
		by_shard[ids[x]] = bad[x];
		first_by_shard[ids[x]] = first[x];
	}
	return failed + screen_found(v, r, which, by_shard, first_by_shard);
}

int ec_vol_screen(struct ec_vol *v, const struct ec_opts *o, struct ec_result *r)
{
	return screen_set(v, o, r, ~v->unscreened);
}

int ec_vol_screen_rest(struct ec_vol *v, const struct ec_opts *o, struct ec_result *r)
{
	uint32_t rest = v->unscreened;
	v->unscreened = 0;
	return screen_set(v, o, r, rest);
}

int ec_vol_stale(const struct ec_vol *v)
{
	if (v->sum_failed <= v->m)
		return 0;
	bb_err("%s: %d shards fail the .ecsum, more than %d parity shards could ever "
	       "replace: the sidecar is likely stale (from another encode); nothing "
	       "written (--ignore-ecsum rebuilds without it)", v->base, v->sum_failed, v->m);
	return -1;
}

int ec_vol_load(struct ec_vol *v, const char *base, const struct ec_opts *o)
{
	memset(v, 0, sizeof(*v));
	if (snprintf(v->base, sizeof(v->base), "%s", base) >= (int)sizeof(v->base)) {
		bb_err("%s: path too long", base);
		return -1;
	}
	if (load_vif(v) || pick_ratio(v, o))
		return -1;
	stat_shards(v);
	char ecx[PATH_MAX];
	bool any = v->has_vif || (ec_vol_path(v, ".ecx", ecx, sizeof(ecx)) == 0 && path_exists(ecx));
	for (int i = 0; i < GF_MAX_SHARDS; i++)
		any |= v->sh[i].state != SHARD_MISSING;
	if (!any) {
		bb_err("%s: no EC volume here (no .ecNN shards, .ecx or .vif)", v->base);
		return -1;
	}
	if (expected_size(v, o))
		return -1;
	for (int i = 0; i < v->k + v->m; i++) {
		struct ec_shard *s = &v->sh[i];
		if (s->state == SHARD_OK && (s->size != v->shard_size || !s->size))
			s->state = SHARD_DAMAGED;
		v->n_ok += s->state == SHARD_OK;
	}
	for (int i = v->k + v->m; i < GF_MAX_SHARDS; i++)
		if (v->sh[i].state != SHARD_MISSING)
			bb_warn("%s: ignored, beyond the %d+%d shards of this volume", v->sh[i].path,
				v->k, v->m);
	return 0;
}

char *ec_vol_list(const struct ec_vol *v, unsigned states, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = 0;
	for (int i = 0; i < v->k + v->m; i++) {
		if (!(states & ST(v->sh[i].state)))
			continue;
		int n = snprintf(buf + used, len - used, "%sec%02d", used ? " " : "", i);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	if (!used)
		snprintf(buf, len, "none");
	return buf;
}

void ec_vol_basis(const struct ec_vol *v, int *basis)
{
	int n = 0;
	for (int i = 0; i < v->k + v->m && n < v->k; i++)
		if (v->sh[i].state == SHARD_OK)
			basis[n++] = i;
}

void ec_close_all(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

int ec_vol_read(const struct ec_vol *v, int s, int fd, uint8_t *buf, size_t len, uint64_t off)
{
	ssize_t n = pread_full(fd, buf, len, off);
	if (n == (ssize_t)len)
		return 0;
	if (n < 0) {
		bb_perr("%s: read at %llu", v->sh[s].path, (unsigned long long)off);
		return -1;
	}
	ec_vol_say_cut(v, s, off + (uint64_t)n);
	return -2;
}

void ec_vol_say_cut(const struct ec_vol *v, int s, uint64_t ends)
{
	bb_err("%s: ends at %llu, expected %llu bytes: cut short while this ran (is something "
	       "else changing the volume?); nothing written", v->sh[s].path,
	       (unsigned long long)ends, (unsigned long long)v->shard_size);
}

int ec_vol_open_shards(const struct ec_vol *v, const int *idx, int n, int *fds)
{
	for (int i = 0; i < n; i++)
		fds[i] = -1;
	for (int i = 0; i < n; i++) {
		fds[i] = open(v->sh[idx[i]].path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			bb_perr("%s", v->sh[idx[i]].path);
			ec_close_all(fds, i);
			return -1;
		}
	}
	return 0;
}

int ec_vol_layout(const struct ec_vol *v, const struct ec_opts *o, struct ec_layout *l)
{
	const char *why = NULL;
	if (v->has_vif && v->vif.has_dat_file_size)
		return ec_layout_for_dat(l, v->k, o->large, o->small, v->vif.dat_file_size);
	if (!ec_layout_for_shard(l, v->k, o->large, o->small, v->shard_size, &why))
		return 0;
	bb_err("%s: %llu-byte shards with blocks of %llu/%llu: %s", v->base,
	       (unsigned long long)v->shard_size, (unsigned long long)o->large,
	       (unsigned long long)o->small, why);
	return -1;
}

int ec_write_new(const char *path, const void *buf, size_t len)
{
	struct aside a;
	int rc = aside_open(&a, path, 0644);
	if (!rc && write_full(a.fd, buf, len)) {
		aside_abort(&a);
		rc = -1;
	} else if (!rc) {
		rc = aside_commit_new(&a);
	}
	if (rc)
		bb_perr("%s", path);
	return rc;
}

/* A damaged shard keeps its bytes under another name: "<shard>.damaged",
 * or ".damaged.N" when that is taken. link() never replaces a file. */
int ec_vol_keep_damaged(const char *path, char *dest, size_t len)
{
	for (int n = 0; n < 100; n++) {
		if (n)
			snprintf(dest, len, "%s.damaged.%d", path, n);
		else
			snprintf(dest, len, "%s.damaged", path);
		if (!link(path, dest))
			return unlink(path) ? -1 : 0;
		if (errno != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

/* Before any shard is trusted as a source: a sidecar that cannot be read
 * stops the rebuild (it was written to protect exactly this); a good one
 * screens the shards. 0 to go on. */
int ec_vol_trust(struct ec_vol *v, const struct ec_opts *o, struct ec_result *r)
{
	if (v->sum_state == ECSUM_INVALID) {
		bb_err("%s.ecsum: %s; a rebuild would use shards it cannot check, so nothing is "
		       "written (--ignore-ecsum rebuilds without it)", v->base, v->sum_why);
		return -1;
	}
	int failed = ec_vol_screen(v, o, r);
	if (failed >= 0 && ec_vol_stale(v))
		return -1;
	return failed < 0 ? -1 : 0;
}


/* ---- one writer at a time, and what killed writers left --------------- */

int ec_vol_lock(const char *base, bool write, bool *excl)
{
	char path[PATH_MAX];
	*excl = false;
	if (swfs_path(path, sizeof(path), base, ".lock")) {
		bb_err("%s.lock: path too long", base);
		return -1;
	}
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) /* a read-only place: no one writes there either */
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && !write)
		return -2;
	if (fd < 0) {
		bb_perr("%s: cannot lock the volume", path);
		return -1;
	}
	int rc;
	while ((rc = flock(fd, LOCK_EX | LOCK_NB)) && errno == EINTR)
		;
	if (!rc) {
		*excl = true;
		return fd;
	}
	if (errno == EWOULDBLOCK && !write) {
		bb_warn("%s: another ec-rebuild is writing this volume now: what is shown may "
			"change", base);
		close(fd);
		return -2;
	}
	if (errno == EWOULDBLOCK)
		bb_err("%s: another ec-rebuild is working on this volume (%s is locked): not "
		       "touched", base, path);
	else
		bb_perr("%s: lock", path);
	close(fd);
	return -1;
}

/* "<name>.tmp-PID-N", as aside_open names its temporaries: the PID. */
static long temp_pid(const char *name, size_t stem)
{
	static const char *const exts[] = { ".dat", ".idx", ".ecx", ".ecj", ".vif", ".ecsum" };
	const char *p = name + stem, *ext = NULL;
	if (p[0] == '.' && p[1] == 'e' && p[2] == 'c' && p[3] >= '0' && p[3] <= '9' &&
	    p[4] >= '0' && p[4] <= '9')
		ext = p + 5;
	for (size_t i = 0; !ext && i < sizeof(exts) / sizeof(exts[0]); i++)
		if (!strncmp(p, exts[i], strlen(exts[i])))
			ext = p + strlen(exts[i]);
	if (!ext || strncmp(ext, ".tmp-", 5))
		return -1;
	char *end;
	long pid = strtol(ext + 5, &end, 10);
	return pid > 0 && *end == '-' ? pid : -1;
}

int ec_vol_leftovers(const char *base, struct ec_result *r)
{
	char dir[PATH_MAX], path[PATH_MAX];
	const char *slash = strrchr(base, '/');
	const char *name = slash ? slash + 1 : base;
	size_t stem = strlen(name);
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - base + (slash == base)) : 1,
		 slash ? base : ".");
	r->swept = true;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, name, stem))
			continue;
		long pid = temp_pid(e->d_name, stem);
		/* ours would be a bug; a live process's is in use (needle-fsck) */
		if (pid < 0 || pid == getpid() || !kill((pid_t)pid, 0) || errno != ESRCH)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;
		if (unlink(path)) {
			bb_perr("%s: leftover of a killed run, cannot remove it", path);
			continue;
		}
		n++;
		struct ec_leftover *l = realloc(r->leftovers, (r->nleftovers + 1) * sizeof(*l));
		if (!l)
			continue; /* removed all the same */
		r->leftovers = l;
		l += r->nleftovers++;
		memcpy(l->path, path, sizeof(path));
		l->pid = pid;
	}
	closedir(d);
	return n;
}
