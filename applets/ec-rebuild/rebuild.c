/* rebuild.c - regenerate missing or damaged shards from any k healthy
 * ones, and a lost .ecx from the needles in the data shards. */
#include "bb.h"
#include "ec.h"
#include "io.h"
#include "matrix.h"
#include "mem.h"
#include "progress.h"
#include "stream.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The shards read: the k of the basis, then a spare healthy shard when
 * there is one. The code gives the spare too; where it does not match,
 * the shards are not of one encode (or not of this ratio) and what they
 * would rebuild is garbage. */
struct rebuild_io {
	const struct ec_vol *v;
	int src[GF_MAX_SHARDS + 1];
	int nsrc;
	int nwant;
	int in_fd[GF_MAX_SHARDS + 1];
	struct aside out[GF_MAX_SHARDS];
	atomic_int unreadable; /* a source shard that failed to read, or -1 */
	atomic_int cut;        /* a source cut short since the volume was loaded (said), or -1 */
	atomic_int rotten;     /* an unscreened source failing its sidecar CRC, or -1 */
	atomic_llong disagree_at; /* the first byte where the spare disagreed, or -1 */
	atomic_bool disagreed; /* said (once, whichever thread saw it) */
	atomic_bool said;      /* an output failing the sidecar, said once */
	/* a dry run (info): nothing written */
	bool dry;
	/* the sidecar CRCs of the sources the screen left and of the outputs,
	 * computed as the chunks pass (positions: the sources, then the
	 * outputs), instead of reading them twice */
	bool crc_in_pass;
	const int *want;
	struct ec_sum_acc acc;
};

static int read_shard(void *ctx, int i, uint8_t *buf, uint64_t off, size_t len)
{
	struct rebuild_io *r = ctx;
	int rc = ec_vol_read(r->v, r->src[i], r->in_fd[i], buf, len, off);
	int none = -1;
	if (rc == -1) /* unreadable: the caller may drop it and go on */
		atomic_compare_exchange_strong(&r->unreadable, &none, r->src[i]);
	else if (rc == -2) /* cut short: the caller stops */
		atomic_compare_exchange_strong(&r->cut, &none, r->src[i]);
	return rc ? -1 : 0;
}

static void say_disagree(const struct ec_vol *v, int spare, uint64_t at)
{
	bb_err("%s disagrees with what the other shards give at byte %llu: shards of "
	       "different encodes, or not a %d+%d volume? Nothing written; "
	       "`ec-rebuild verify` tells which shard is odd",
	       v->sh[spare].path, (unsigned long long)at, v->k, v->m);
}

/* Does the spare shard (the last input) hold what the code computed for
 * it (the last output)? While sources remain unscreened one of them may
 * be what is wrong: the caller screens them before saying so. */
static int check_spare(struct rebuild_io *r, uint8_t *const *in, uint8_t *const *out,
		       uint64_t off, size_t len)
{
	const uint8_t *have = in[r->nsrc - 1], *want = out[r->nwant];
	if (r->nsrc == r->v->k || mem_equal(have, want, len))
		return 0;
	size_t x = 0;
	while (have[x] == want[x])
		x++;
	if (r->v->unscreened) { /* the caller screens, then says */
		long long at = (long long)(off + x), was = atomic_load(&r->disagree_at);
		while ((was < 0 || at < was) &&
		       !atomic_compare_exchange_weak(&r->disagree_at, &was, at))
			;
	} else if (!atomic_exchange(&r->disagreed, true))
		say_disagree(r->v, r->src[r->nsrc - 1], off + x);
	return -1;
}

/* The sidecar CRCs of output t's bytes [off, off+len), block by block. */
static int crc_check(struct rebuild_io *r, int t, const uint8_t *b, uint64_t off, size_t len)
{
	int pos = r->nsrc + t;
	if (!ec_sum_acc_feed(&r->acc, pos, b, off, len))
		return 0;
	if (atomic_exchange(&r->said, true))
		return -1;
	bb_err("%s: %s fails its .ecsum CRC at byte %llu: a source is corrupt where the sidecar "
	       "cannot see it, or the sidecar is stale%s",
	       r->v->sh[r->want[t]].path, r->dry ? "what would be rebuilt" : "the rebuilt shard",
	       (unsigned long long)(atomic_load(&r->acc.first_bad[pos]) * r->v->sum.block_size),
	       r->dry ? "" : "; nothing written");
	return -1;
}

/* A source the screen left is checked against the sidecar as it passes:
 * the bytes are here already. */
static int source_check(struct rebuild_io *r, uint8_t *const *in, uint64_t off, size_t len)
{
	for (int i = 0; i < r->nsrc; i++)
		if ((r->v->unscreened >> r->src[i] & 1) &&
		    ec_sum_acc_feed(&r->acc, i, in[i], off, len)) {
			int none = -1;
			atomic_compare_exchange_strong(&r->rotten, &none, i);
			return -1;
		}
	return 0;
}

static int write_outputs(void *ctx, uint8_t *const *in, uint8_t *const *out, uint64_t off,
			 size_t len)
{
	struct rebuild_io *r = ctx;
	if (r->crc_in_pass && source_check(r, in, off, len))
		return -1;
	if (check_spare(r, in, out, off, len))
		return -1;
	for (int t = 0; r->crc_in_pass && t < r->nwant; t++)
		if (crc_check(r, t, out[t], off, len))
			return -1;
	if (r->dry)
		return 0;
	for (int t = 0; t < r->nwant; t++)
		if (pwrite_full(r->out[t].fd, out[t], len, off)) {
			bb_perr("%s: write", r->out[t].tmp);
			return -1;
		}
	return 0;
}

static void report_refusal(const struct ec_vol *v)
{
	char ok[200], missing[200], damaged[200];
	bb_err("%s: cannot rebuild: %d usable shards, need %d of %d+%d (shard size %llu from %s); "
	       "usable: %s; missing: %s; damaged: %s",
	       v->base, v->n_ok, v->k, v->k, v->m, (unsigned long long)v->shard_size,
	       v->size_from, ec_vol_list(v, ST(SHARD_OK), ok, sizeof(ok)),
	       ec_vol_list(v, ST(SHARD_MISSING), missing, sizeof(missing)),
	       ec_vol_list(v, ST(SHARD_DAMAGED), damaged, sizeof(damaged)));
	for (int i = 0; i < v->k + v->m; i++)
		if (v->sh[i].state == SHARD_DAMAGED && v->sh[i].size != v->shard_size)
			bb_err("%s: %llu bytes, expected %llu", v->sh[i].path,
			       (unsigned long long)v->sh[i].size, (unsigned long long)v->shard_size);
	if (!v->n_ok && v->has_vif && v->vif.has_dat_file_size)
		bb_err("%s: no shard has the size .vif datFileSize gives with these block sizes; "
		       "were the shards made with other --large-block/--small-block?", v->base);
}

static int open_outputs(struct rebuild_io *r, const int *want, int nwant)
{
	for (int t = 0; t < GF_MAX_SHARDS; t++)
		r->out[t].fd = -1;
	for (int t = 0; t < nwant; t++)
		if (aside_open(&r->out[t], r->v->sh[want[t]].path, 0644)) {
			bb_perr("%s: create", r->v->sh[want[t]].path);
			return -1;
		}
	return 0;
}

static void abort_outputs(struct rebuild_io *r)
{
	for (int t = 0; t < GF_MAX_SHARDS; t++)
		if (r->out[t].fd >= 0)
			aside_abort(&r->out[t]);
}

/* Put the new shards in place; damaged ones are moved aside first. */
static int commit_outputs(struct ec_vol *v, struct rebuild_io *r, const int *want, int nwant,
			  struct ec_result *res)
{
	int rc = 0;
	for (int t = 0; t < nwant; t++) {
		struct ec_shard *s = &v->sh[want[t]];
		char aside_name[PATH_MAX + 16] = "";
		if (s->state == SHARD_DAMAGED && ec_vol_keep_damaged(s->path, aside_name, sizeof(aside_name))) {
			bb_perr("%s: cannot move the damaged shard aside", s->path);
			aside_abort(&r->out[t]);
			rc = -1;
			continue;
		}
		if (aside_commit_new(&r->out[t])) {
			bb_perr("%s: not replaced", s->path);
			rc = -1;
			continue;
		}
		struct ec_replaced *done = &res->rebuilt[res->nrebuilt++];
		done->shard = want[t];
		done->was_damaged = s->state == SHARD_DAMAGED;
		memcpy(done->copy, aside_name, sizeof(aside_name));
		s->state = SHARD_OK;
		v->n_ok++;
		s->size = v->shard_size;
	}
	return rc;
}

/* The basis, then the first other healthy shard as the spare, if any. */
static void pick_sources(struct rebuild_io *r)
{
	const struct ec_vol *v = r->v;
	ec_vol_basis(v, r->src);
	r->nsrc = v->k;
	for (int i = 0; i < v->k + v->m && r->nsrc == v->k; i++) {
		bool in_basis = false;
		for (int j = 0; j < v->k; j++)
			in_basis |= r->src[j] == i;
		if (v->sh[i].state == SHARD_OK && !in_basis)
			r->src[r->nsrc++] = i;
	}
}

/* Rebuilt from exactly k shards and no sidecar: nothing cross-checked
 * them, so a corrupt source made corrupt shards that parity will call
 * consistent. Said, and noted in BASE.unverified, so that verify --repair
 * does not write a sidecar vouching for them without --trust-parity. */
static int note_unverified(struct ec_vol *v, const int *want, int nwant, struct ec_result *res)
{
	char path[PATH_MAX], list[GF_MAX_SHARDS * 5 + 2] = "";
	size_t used = 0;
	if (ec_unverified(v, list, sizeof(list)))
		used = strlen(list);
	for (int t = 0; t < nwant; t++) {
		char name[8];
		snprintf(name, sizeof(name), "ec%02d", want[t]);
		if (!strstr(list, name))
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
						 used ? " " : "", name);
	}
	v->unverified = true;
	res->unverified_noted = true;
	strcat(list, "\n");
	if (ec_vol_path(v, ".unverified", path, sizeof(path)) ||
	    write_file_atomic(path, list, strlen(list), 0644)) {
		bb_perr("%s", path);
		return -1;
	}
	return 0;
}

bool ec_unverified(const struct ec_vol *v, char *buf, size_t len)
{
	char path[PATH_MAX];
	size_t n;
	buf[0] = 0;
	if (swfs_path(path, sizeof(path), v->base, ".unverified"))
		return false;
	char *text = read_file(path, 4096, &n);
	if (!text)
		return false;
	snprintf(buf, len, "%s", text);
	free(text);
	buf[strcspn(buf, "\n")] = 0;
	return true;
}

/* Why a pass failed: a source that could not be read, one that failed
 * its sidecar CRC as it was read, or where the spare disagreed (-1: not
 * that). */
struct regen_fail {
	int unreadable, cut, rotten;
	uint64_t rotten_at;
	long long disagree_at;
	int spare;
};

/* -1 on failure, with *why filled. */
static int regenerate(struct ec_vol *v, const struct ec_opts *o, const int *want, int nwant,
		      struct regen_fail *why, bool dry, struct ec_result *res)
{
	int targets[GF_MAX_SHARDS + 1];
	uint8_t rows[(GF_MAX_SHARDS + 1) * GF_MAX_SHARDS];
	struct ec_gf_plan plan;
	struct rebuild_io r = { .v = v, .nwant = nwant, .dry = dry, .want = want };
	int ids[GF_MAX_SHARDS * 2 + 1];
	/* a rebuilt shard is what was encoded, byte for byte: with a sidecar,
	 * its CRCs must match before it is put in place */
	r.crc_in_pass = v->sum_state == ECSUM_ON;
	atomic_init(&r.unreadable, -1);
	atomic_init(&r.cut, -1);
	atomic_init(&r.disagreed, false);
	atomic_init(&r.said, false);
	atomic_init(&r.rotten, -1);
	atomic_init(&r.disagree_at, -1);
	pick_sources(&r);
	memcpy(ids, r.src, (size_t)r.nsrc * sizeof(*ids));
	memcpy(ids + r.nsrc, want, (size_t)nwant * sizeof(*ids));
	if (r.crc_in_pass && ec_sum_acc_init(&r.acc, v->shard_size, v->sum.block_size,
					     r.nsrc + nwant, ids, &v->sum)) {
		bb_err("%s: out of memory", v->base);
		return -1;
	}
	/* the spare is computed too, as one more output */
	memcpy(targets, want, (size_t)nwant * sizeof(*want));
	int nout = nwant;
	if (r.nsrc > v->k)
		targets[nout++] = r.src[v->k];
	if (ec_rs_solve_rows(v->enc, v->k, r.src, targets, nout, rows) ||
	    ec_gf_plan_init(&plan, rows, nout, v->k, o->kernel)) {
		bb_perr("%s: cannot set up the decoder", v->base);
		ec_sum_acc_free(&r.acc);
		return -1;
	}
	int rc = -1;
	if (ec_vol_open_shards(v, r.src, r.nsrc, r.in_fd) == 0) {
		if (dry || open_outputs(&r, want, nwant) == 0) {
			struct ec_stream s = {
				.nread = r.nsrc, .plan = &plan, .length = v->shard_size,
				.threads = o->threads, .memory = o->memory,
				.what = dry ? "checking" : "rebuilding",
				.fill = read_shard, .drain = write_outputs, .ctx = &r,
			};
			rc = ec_stream_run(&s);
			if (rc == 0 && !dry)
				rc = commit_outputs(v, &r, want, nwant, res);
		}
		if (!dry)
			abort_outputs(&r);
		ec_close_all(r.in_fd, r.nsrc);
	}
	ec_gf_plan_free(&plan);
	int rotten = atomic_load(&r.rotten);
	*why = (struct regen_fail){ atomic_load(&r.unreadable), atomic_load(&r.cut),
				    rotten < 0 ? -1 : r.src[rotten],
				    rotten < 0 ? 0 : atomic_load(&r.acc.first_bad[rotten]) *
						     v->sum.block_size,
				    atomic_load(&r.disagree_at), r.src[r.nsrc - 1] };
	ec_sum_acc_free(&r.acc);
	if (!rc && !dry && r.nsrc == v->k && v->sum_state != ECSUM_ON)
		rc = note_unverified(v, want, nwant, res);
	return rc;
}

/* Regenerate what is not healthy. A source shard that cannot be read (a
 * bad sector) joins the shards to regenerate, as long as k others remain. */
/* A missing shard's name must be free: something there that is not a
 * shard file (a directory, a link to nothing) would refuse the new one
 * only after all the work. */
static int names_free(const struct ec_vol *v)
{
	int rc = 0;
	for (int i = 0; i < v->k + v->m; i++)
		if (v->sh[i].state == SHARD_MISSING && path_exists(v->sh[i].path)) {
			bb_err("%s: there, but not a shard file (a directory? a link to nothing?): "
			       "move it away", v->sh[i].path);
			rc = -1;
		}
	return rc;
}

/* Is one of the shards among which (bits by number) shorter now than when
 * the volume was loaded? Said when it is. The one pass stops at a rotten
 * source, before it has read all of them; a screen reads them to the end,
 * and finds the cut before it says anything of rot. */
static bool shards_cut(const struct ec_vol *v, uint32_t which)
{
	struct stat st;
	for (int s = 0; s < v->k + v->m; s++)
		if ((which >> s & 1) && !stat(v->sh[s].path, &st) &&
		    (uint64_t)st.st_size < v->shard_size) {
			ec_vol_say_cut(v, s, (uint64_t)st.st_size);
			return true;
		}
	return false;
}

int ec_regenerate(struct ec_vol *v, const struct ec_opts *o, bool dry, struct ec_result *r)
{
	if (names_free(v))
		return -1;
	for (;;) {
		int want[GF_MAX_SHARDS], nwant = 0, bad = -1;
		for (int i = 0; i < v->k + v->m; i++)
			if (v->sh[i].state != SHARD_OK)
				want[nwant++] = i;
		if (!nwant)
			return 0;
		if (v->n_ok < v->k) {
			report_refusal(v);
			return -1;
		}
		struct regen_fail why;
		if (!regenerate(v, o, want, nwant, &why, dry, r)) {
			v->unscreened = 0; /* every source was checked as it passed */
			return 0;
		}
		bad = why.unreadable;
		/* cut short (said): the volume is changing under this run; the
		 * sources not read to the end are checked for that before a
		 * rotten one is named, as a screen reading them all would */
		if (why.cut >= 0 || (why.rotten >= 0 && shards_cut(v, v->unscreened)))
			return -1;
		if (why.rotten >= 0) { /* a source the screen left: without it */
			v->sh[why.rotten].state = SHARD_DAMAGED;
			v->n_ok--;
			v->sum_failed++;
			v->unscreened &= ~(1u << why.rotten);
			r->rotten[r->nrotten++] = (struct ec_rotten){ .shard = why.rotten, .bad = 1,
								     .from = why.rotten_at };
			bb_err("%s: the block at byte %llu fails its .ecsum CRC as it is read: rotten, "
			       "not trusted", v->sh[why.rotten].path,
			       (unsigned long long)why.rotten_at);
			/* the other shards the screen left are checked now, so
			 * that a stale sidecar is told as such, whole */
			if (ec_vol_screen_rest(v, o, r) < 0 || ec_vol_stale(v))
				return -1;
			continue;
		}
		if (bad < 0 && why.disagree_at >= 0 && v->unscreened) {
			/* the spare, or a source not screened yet, is odd: screen
			 * them now, and go on without any the sidecar names */
			int failed = ec_vol_screen_rest(v, o, r);
			if (failed > 0 && !ec_vol_stale(v))
				continue;
			if (!failed)
				say_disagree(v, why.spare, (uint64_t)why.disagree_at);
			return -1;
		}
		if (bad < 0)
			return -1;
		bb_warn("%s: unreadable; it will be regenerated too, from other shards",
			v->sh[bad].path);
		v->sh[bad].state = SHARD_DAMAGED;
		v->n_ok--;
	}
}

static bool ecx_missing(const struct ec_vol *v)
{
	char ecx[PATH_MAX];
	return ec_vol_path(v, ".ecx", ecx, sizeof(ecx)) == 0 && !path_exists(ecx);
}

/* The shards a rebuild reads as its sources: the first k healthy ones
 * (the basis) and the spare after them. */
static uint32_t sources(const struct ec_vol *v)
{
	uint32_t mask = 0;
	for (int i = 0, n = 0; i < v->k + v->m && n <= v->k; i++)
		if (v->sh[i].state == SHARD_OK) {
			mask |= 1u << i;
			n++;
		}
	return mask;
}

enum ec_plan ec_plan(struct ec_vol *v, const struct ec_opts *o, struct ec_result *r)
{
	/* With shards to regenerate, the sources are checked
	 * against the sidecar as the regeneration reads them, not read twice;
	 * the screen takes the rest. Not with a lost .ecx, whose needles are
	 * walked through the sources first. */
	if (v->sum_state == ECSUM_ON && !o->screen_first && v->n_ok < v->k + v->m &&
	    !ecx_missing(v))
		v->unscreened = sources(v);
	if (ec_vol_trust(v, o, r) || names_free(v))
		return EC_REFUSED;
	if (v->n_ok < v->k) {
		report_refusal(v);
		return EC_REFUSED;
	}
	/* a lost .ecx: its needles are walked now, through any data shard
	 * still to regenerate, so info and rebuild refuse the same volumes */
	if (ecx_missing(v) && ec_rebuild_ecx(v, o, true, r))
		return EC_REFUSED;
	return v->n_ok == v->k + v->m && !ecx_missing(v) ? EC_COMPLETE : EC_REBUILDABLE;
}

int ec_rebuild(struct ec_vol *v, const struct ec_opts *o, struct ec_result *r)
{
	int rc = 0;
	r->rebuild.ecsum = ec_sum_state_name(v);
	enum ec_plan plan = ec_plan(v, o, r);
	if (plan == EC_REFUSED)
		rc = 1;
	else if (v->n_ok == v->k + v->m)
		r->rebuild.all_present = true;
	else if (ec_regenerate(v, o, false, r))
		rc = 1;
	if (rc == 0 && ecx_missing(v))
		rc = ec_rebuild_ecx(v, o, false, r) ? 1 : 0;
	return rc;
}
