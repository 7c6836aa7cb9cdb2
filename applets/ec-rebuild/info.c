/* info.c - what an EC volume has, what it lacks, and whether it can be
 * rebuilt: decided as rebuild decides (so with a sidecar or something to
 * rebuild, it reads the shards as rebuild would, writing nothing). */
#include "bb.h"
#include "ec.h"
#include "hash.h"
#include "io.h"

#include <stdio.h>
#include <sys/stat.h>

static const char *const state_names[] = {
	[SHARD_MISSING] = "missing", [SHARD_OK] = "ok", [SHARD_DAMAGED] = "damaged"
};

/* Hex SHA-256 of shard i into out (65 bytes); "" when it is missing or
 * unreadable (said on stderr) or not asked for. */
static const char *shard_sha256(const struct ec_vol *v, int i, bool want, char out[65])
{
	uint8_t d[32];
	const char *why;
	out[0] = 0;
	if (!want || v->sh[i].state == SHARD_MISSING)
		return out;
	if (sha256_file(v->sh[i].path, d, &why))
		bb_err("%s: SHA-256: %s", v->sh[i].path, why);
	else
		hex(d, 32, out);
	return out;
}

/* Size of a sidecar, or -1 when absent. */
static long long sidecar(const struct ec_vol *v, const char *ext)
{
	char path[PATH_MAX];
	struct stat st;
	if (swfs_path(path, sizeof(path), v->base, ext) || stat(path, &st))
		return -1;
	return (long long)st.st_size;
}

static void info_json(const struct ec_vol *v, struct jw *w, bool sha, enum ec_plan plan)
{
	char digest[65];
	static const char *const exts[] = { ".ecx", ".ecj", ".vif" };
	jw_kstr(w, "volume", v->base);
	jw_ku64(w, "data_shards", (uint64_t)v->k);
	jw_ku64(w, "parity_shards", (uint64_t)v->m);
	jw_kstr(w, "ratio_from", v->ratio_from);
	jw_ku64(w, "shard_size", v->shard_size);
	jw_kstr(w, "shard_size_from", v->size_from);
	jw_key(w, "shards");
	jw_arr(w);
	for (int i = 0; i < v->k + v->m; i++) {
		jw_obj(w);
		jw_ku64(w, "shard", (uint64_t)i);
		jw_kstr(w, "state", state_names[v->sh[i].state]);
		jw_key(w, "size");
		if (v->sh[i].state == SHARD_MISSING)
			jw_null(w);
		else
			jw_u64(w, v->sh[i].size);
		if (sha)
			jw_kstr(w, "sha256", shard_sha256(v, i, sha, digest)[0] ? digest : NULL);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	for (int i = 0; i < 3; i++) {
		long long s = sidecar(v, exts[i]);
		jw_key(w, exts[i] + 1);
		if (s < 0)
			jw_null(w);
		else
			jw_u64(w, (uint64_t)s);
	}
	jw_key(w, "vif");
	if (v->has_vif) {
		jw_obj(w);
		jw_ku64(w, "version", v->vif.version);
		jw_key(w, "dat_file_size");
		if (v->vif.has_dat_file_size)
			jw_u64(w, v->vif.dat_file_size);
		else
			jw_null(w);
		jw_ku64(w, "expire_at_sec", v->vif.expire_at_sec);
		jw_ki64(w, "encode_ts_ns", v->vif.encode_ts_ns);
		jw_kbool(w, "read_only", v->vif.read_only);
		jw_obj_end(w);
	} else {
		jw_null(w);
	}
	jw_key(w, "ecsum");
	if (v->sum_state == ECSUM_NONE) {
		jw_null(w);
	} else {
		jw_obj(w);
		jw_kstr(w, "state", ec_sum_state_name(v));
		jw_kstr(w, "why", v->sum_state == ECSUM_INVALID ? v->sum_why : NULL);
		if (v->sum_state == ECSUM_ON) {
			char uuid[33];
			jw_ku64(w, "block_size", v->sum.block_size);
			jw_ku64(w, "generation", v->sum.generation);
			jw_kstr(w, "encode_uuid", v->sum.uuid_len ? hex(v->sum.uuid, 16, uuid) : NULL);
		}
		jw_obj_end(w);
	}
	char list[GF_MAX_SHARDS * 5 + 2];
	jw_kstr(w, "unverified", ec_unverified(v, list, sizeof(list)) ? list : NULL);
	jw_kbool(w, "complete", plan == EC_COMPLETE);
	jw_kbool(w, "rebuildable", plan != EC_REFUSED);
}

static void info_text(const struct ec_vol *v, bool sha, enum ec_plan plan)
{
	char list[200], digest[65];
	printf("%s: %d+%d (%s), shards of %llu bytes (from %s)\n", v->base, v->k, v->m,
	       v->ratio_from, (unsigned long long)v->shard_size, v->size_from);
	printf("  %-6s %-8s %s\n", "SHARD", "STATE", sha ? "SIZE         SHA-256" : "SIZE");
	for (int i = 0; i < v->k + v->m; i++) {
		if (v->sh[i].state == SHARD_MISSING)
			printf("  ec%02d   %-8s -\n", i, "missing");
		else
			printf("  ec%02d   %-8s %-*llu%s\n", i, state_names[v->sh[i].state],
			       sha ? 13 : 0, (unsigned long long)v->sh[i].size,
			       shard_sha256(v, i, sha, digest));
	}
	static const char *const exts[] = { ".ecx", ".ecj", ".vif", ".ecsum" };
	for (int i = 0; i < 4; i++) {
		long long s = sidecar(v, exts[i]);
		if (s < 0)
			printf("  %-6s  absent\n", exts[i]);
		else
			printf("  %-6s  %lld bytes\n", exts[i], s);
	}
	if (v->sum_state == ECSUM_ON)
		printf("  .ecsum: CRC-32C of every %u-byte block of every shard (not checked here; "
		       "verify does)\n", v->sum.block_size);
	else if (v->sum_state == ECSUM_INVALID)
		printf("  .ecsum: NOT usable: %s\n", v->sum_why);
	if (v->has_vif && v->vif.has_dat_file_size)
		printf("  .vif: needle version %u, datFileSize %llu, encodeTsNs %lld\n",
		       v->vif.version, (unsigned long long)v->vif.dat_file_size,
		       (long long)v->vif.encode_ts_ns);
	if (ec_unverified(v, list, sizeof(list)))
		printf("  unverified: %s (rebuilt from exactly %d shards, nothing to cross-check "
		       "them)\n", list, v->k);
	if (plan == EC_COMPLETE)
		printf("  complete: all %d shards healthy\n", v->k + v->m);
	else if (plan == EC_REBUILDABLE)
		printf("  rebuildable: %d healthy shards, %d needed; to rebuild: %s\n", v->n_ok, v->k,
		       ec_vol_list(v, ST_UNHEALTHY, list, sizeof(list)));
	else
		printf("  NOT rebuildable (as rebuild would say, above): %d healthy shards, %d "
		       "needed\n", v->n_ok, v->k);
}

int ec_info(struct ec_vol *v, const struct ec_opts *o)
{
	/* the decision rebuild acts on (with a sidecar, every shard is read);
	 * its JSON (ecsumFailed) stays out of info's */
	struct ec_opts quiet = *o;
	quiet.jw = NULL;
	enum ec_plan plan = ec_plan(v, &quiet);
	/* what rebuild would compute, computed and checked, not written */
	if (plan == EC_REBUILDABLE && v->n_ok < v->k + v->m && ec_regenerate(v, &quiet, true))
		plan = EC_REFUSED;
	if (o->jw)
		info_json(v, o->jw, o->sha256, plan);
	else
		info_text(v, o->sha256, plan);
	return plan == EC_REFUSED ? 1 : 0;
}
