/* needle-fsck - check and repair SeaweedFS volumes offline. */
#include "bb.h"
#include "fsck.h"
#include "io.h"
#include "json.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fsck_main(int argc, char **argv);

enum { O_CHECK, O_REPAIR, O_JSON, O_OFFSET, O_INDEX_DIR, O_JOBS, O_READ_AHEAD, O_ECX };
static const struct bb_opt fsck_opts[] = {
	[O_CHECK] = { "no", 'n', NULL, "only check; change nothing (the default)" },
	[O_REPAIR] = { "yes", 'y', NULL, "repair: rebuild .idx, set a torn tail aside" },
	[O_JSON] = { "json", 0, NULL, "print a JSON report" },
	[O_OFFSET] = { "offset-bytes", 0, "4|5", "offset width of the volume (default: .vif, else detected)" },
	[O_INDEX_DIR] = { "index-dir", 0, "DIR", "where .idx/.ecx/.ecj live (volume server -dir.idx)" },
	[O_JOBS] = { "jobs", 'j', "N", "threads: N volumes at once (default: one per CPU)" },
	[O_READ_AHEAD] = { "read-ahead", 0, NULL, "a second thread per volume reads it ahead while it is checked (N/2 volumes at once): for storage slower than the page cache" },
	[O_ECX] = { "ecx", 0, NULL, "check that .ecx exists; with -y rebuild it from .idx" },
	{ 0 },
};

const struct applet applet_needle_fsck = {
	.name = "needle-fsck",
	.summary = "check and repair SeaweedFS volumes (.dat/.idx) offline",
	.usage = "needle-fsck [-n | -y] [--json] [--offset-bytes 4|5] [--index-dir DIR] [-j N] TARGET...\n\n"
		 "TARGET is a volume's base path (dir/7 or dir/pics_7 for dir/7.dat and\n"
		 "dir/7.idx) or a directory, meaning every volume in it. Every record of\n"
		 ".dat is checked (CRC-32C, raw or legacy), damage is stepped over, and the\n"
		 "index is checked against the records both ways. Stop the volume server\n"
		 "first.\n\n"
		 "-y rebuilds .idx from .dat in append order (the old one is kept as\n"
		 ".idx.bak), drops needles whose data is damaged from it and lists them,\n"
		 "copies a torn tail to .dat.tail before truncating it, and builds a\n"
		 "missing .idx. It never deletes or rewrites a record.\n\n"
		 "Exit status (OR-ed over volumes): 0 clean, 1 errors corrected, 4 errors\n"
		 "left (a needle whose data is lost is one, even once -y drops it from the\n"
		 "index), 8 operational error, 16 usage error.",
	.opts = fsck_opts,
	.main = fsck_main,
};

/* ---- targets ------------------------------------------------------------------ */

struct target {
	char *base;  /* as named */
	char *where; /* its real place: dir/./7 and dir/7 are one volume */
};

struct targets {
	struct target *v;
	size_t n, cap;
};

/* base with its directory resolved (the name kept, it may not exist). */
static char *real_place(const char *base)
{
	char dir[PATH_MAX], real[PATH_MAX], *out;
	const char *slash = strrchr(base, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == base)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - base), base);
	if (!realpath(dir, real))
		return strdup(base);
	return asprintf(&out, "%s/%s", real, slash ? slash + 1 : base) < 0 ? NULL : out;
}

/* Each volume once, however it was named: two workers repairing one
 * volume would fight over it. */
static int add_target(struct targets *t, const char *base)
{
	struct target new = { strdup(base), real_place(base) };
	for (size_t i = 0; new.where && i < t->n; i++)
		if (!strcmp(t->v[i].where, new.where)) {
			free(new.base);
			free(new.where);
			return 0;
		}
	if (new.base && new.where && t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct target *v = realloc(t->v, cap * sizeof(*v));
		if (v) {
			t->v = v;
			t->cap = cap;
		}
	}
	if (!new.base || !new.where || t->n == t->cap) {
		free(new.base);
		free(new.where);
		return -1;
	}
	t->v[t->n++] = new;
	return 0;
}

/* Every volume named in dir (its .dat, .idx, .ecx or .ecj), as a base
 * under prefix. */
static int scan_dir(const char *dir, const char *prefix, struct targets *t)
{
	char **bases;
	size_t n;
	int rc = 0;
	if (swfs_dir_volumes(dir, prefix, SWFS_DAT | SWFS_IDX | SWFS_ECX | SWFS_ECJ, &bases, &n))
		return -1;
	for (size_t i = 0; i < n && !rc; i++)
		rc = add_target(t, bases[i]);
	swfs_free_list(bases, n);
	return rc;
}

static int collect(char **args, int n, const char *index_dir, struct targets *t)
{
	for (int i = 0; i < n; i++) {
		struct stat st;
		char arg[PATH_MAX];
		snprintf(arg, sizeof(arg), "%s", args[i]);
		size_t len = strlen(arg);
		while (len > 1 && arg[len - 1] == '/')
			arg[--len] = 0;
		if (!stat(arg, &st) && S_ISDIR(st.st_mode)) {
			size_t before = t->n;
			if (scan_dir(arg, arg, t) || (index_dir && scan_dir(index_dir, arg, t) && errno != ENOENT)) {
				bb_perr("%s", arg);
				return 8;
			}
			if (t->n == before) {
				bb_err("%s: no SeaweedFS volumes in it", arg);
				return 8;
			}
			continue;
		}
		swfs_strip_ext(arg);
		if (add_target(t, arg)) {
			bb_err("out of memory");
			return 8;
		}
	}
	return 0;
}

/* ---- running them ------------------------------------------------------------------ */

struct run {
	const struct nf_opts *o;
	const struct targets *t;
	struct nf_report **rep;
	size_t next, printed, window;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static void *worker(void *arg)
{
	struct run *run = arg;
	pthread_mutex_lock(&run->mu);
	for (;;) {
		while (run->next < run->t->n && run->next >= run->printed + run->window)
			pthread_cond_wait(&run->cv, &run->mu);
		if (run->next >= run->t->n)
			break;
		size_t i = run->next++;
		pthread_mutex_unlock(&run->mu);
		struct nf_report *r = malloc(sizeof(*r));
		if (r)
			nf_check_volume(run->o, run->t->v[i].base, r);
		pthread_mutex_lock(&run->mu);
		run->rep[i] = r ? r : (struct nf_report *)-1;
		pthread_cond_broadcast(&run->cv);
	}
	pthread_mutex_unlock(&run->mu);
	return NULL;
}

/* What kept the check from being done (exit bit 8) also goes to stderr,
 * as every applet says a failure: "needle-fsck: VOLUME: what: why", or
 * the file's own name where the message starts with it (bb_err makes it
 * terminal-safe). */
static void say_failures(const struct nf_report *r)
{
	size_t blen = strlen(r->base);
	for (size_t i = 0; i < r->nmsgs; i++) {
		const struct nf_msg *m = &r->msgs[i];
		if (m->sev != NF_ERROR || m->kind != NF_K_IO)
			continue;
		const char *base = strncmp(m->text, r->base, blen) ? r->base : "";
		const char *sep = *base ? ": " : "";
		if (m->has_off)
			bb_err("%s%sat %llu: %s", base, sep, (unsigned long long)m->off, m->text);
		else
			bb_err("%s%s%s", base, sep, m->text);
	}
	if (r->msg_count[NF_K_IO] > NF_MAX_MSGS)
		bb_err("%s: and %llu more", r->base,
		       (unsigned long long)(r->msg_count[NF_K_IO] - NF_MAX_MSGS));
}

static int print_one(struct nf_report *r, struct jw *w)
{
	if (r == (struct nf_report *)-1) {
		bb_err("out of memory");
		return 8;
	}
	if (w)
		nf_print_json(w, r);
	else
		nf_print_text(stdout, r);
	fflush(stdout);
	say_failures(r);
	int st = r->status;
	nf_report_free(r);
	free(r);
	return st;
}

static int run_all(const struct nf_opts *o, const struct targets *t, unsigned jobs, struct jw *w)
{
	/* no more threads than volumes: one volume is checked right here, as
	 * with -j 1, not in a worker beside an idle one */
	if (jobs > t->n)
		jobs = (unsigned)t->n;
	struct run run = { .o = o, .t = t, .window = 2 * (size_t)jobs };
	run.rep = calloc(t->n, sizeof(*run.rep));
	pthread_t th[64];
	unsigned started = 0;
	if (!run.rep) {
		bb_err("out of memory");
		return 8;
	}
	pthread_mutex_init(&run.mu, NULL);
	pthread_cond_init(&run.cv, NULL);
	for (; jobs > 1 && started < jobs && started < ARRAY_SIZE(th); started++)
		if (pthread_create(&th[started], NULL, worker, &run))
			break;
	if (!started) /* one at a time, in this thread */
		run.window = t->n;
	int status = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (!started) {
			run.rep[i] = malloc(sizeof(struct nf_report));
			if (run.rep[i])
				nf_check_volume(o, t->v[i].base, run.rep[i]);
			else
				run.rep[i] = (struct nf_report *)-1;
		}
		pthread_mutex_lock(&run.mu);
		while (!run.rep[i])
			pthread_cond_wait(&run.cv, &run.mu);
		pthread_mutex_unlock(&run.mu);
		status |= print_one(run.rep[i], w);
		pthread_mutex_lock(&run.mu);
		run.printed = i + 1;
		pthread_cond_broadcast(&run.cv);
		pthread_mutex_unlock(&run.mu);
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&run.mu);
	pthread_cond_destroy(&run.cv);
	free(run.rep);
	return status;
}

static int fsck_main(int argc, char **argv)
{
	struct bb_args a;
	int rc = bb_getopt(&applet_needle_fsck, argc, argv, &a);
	if (rc != BB_CONTINUE)
		return rc ? 16 : 0;
	uint64_t width = 0, jobs = 1;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (opt_u64(&a, O_OFFSET, 0, 4, 5, &width) ||
	    opt_u64(&a, O_JOBS, cpus > 1 ? (uint64_t)(cpus < 128 ? cpus : 128) : 1, 1, 128, &jobs))
		return 16;
	if (opt_on(&a, O_CHECK) && opt_on(&a, O_REPAIR)) {
		bb_err("-n and -y exclude each other");
		return 16;
	}
	const char *index_dir = opt_str(&a, O_INDEX_DIR, NULL);
	/* "" would make "/NAME.idx" of every index path */
	if (index_dir && !*index_dir) {
		bb_err("--index-dir: empty path");
		return 16;
	}
	for (int i = 0; i < a.argc; i++)
		if (!*a.argv[i]) {
			bb_err("empty volume path");
			return 16;
		}
	if (!a.argc) {
		bb_err("no volume or directory given");
		bb_usage(&applet_needle_fsck, stderr);
		return 16;
	}
	struct nf_opts o = {
		.repair = opt_on(&a, O_REPAIR),
		.ecx = opt_on(&a, O_ECX),
		.offset_bytes = (int)width,
		.index_dir = index_dir,
		.read_ahead = opt_on(&a, O_READ_AHEAD),
	};
	/* From the page cache one thread a volume is faster: reading ahead
	 * in another costs more in cache lines moving between cores than
	 * overlapping the CRCs (a tenth of the copy) gains. */
	unsigned volumes = o.read_ahead ? (jobs > 1 ? (unsigned)jobs / 2 : 1) : (unsigned)jobs;
	struct targets t = { 0 };
	int status = collect(a.argv, a.argc, o.index_dir, &t);
	/* a bar only where one volume is checked at a time */
	o.progress = (volumes == 1 || t.n == 1) && !opt_on(&a, O_JSON);
	if (!status) {
		struct jw w;
		bool json = opt_on(&a, O_JSON);
		if (json) {
			jw_init(&w, stdout, true);
			jw_obj(&w);
			jw_key(&w, "volumes");
			jw_arr(&w);
		}
		status = run_all(&o, &t, volumes, json ? &w : NULL);
		if (json) {
			jw_arr_end(&w);
			jw_ku64(&w, "status", (uint64_t)status);
			jw_obj_end(&w);
			jw_end(&w);
		}
	}
	for (size_t i = 0; i < t.n; i++)
		free(t.v[i].base), free(t.v[i].where);
	free(t.v);
	return status;
}
