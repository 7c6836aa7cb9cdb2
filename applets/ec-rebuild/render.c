/* render.c - the one place ec-rebuild's output is made: a struct
 * ec_result, filled by the work, as lines for a person or as one JSON
 * object per volume. Nothing here reads a file or decides anything. */
#include "ec.h"
#include "hash.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = {
	[SHARD_MISSING] = "missing", [SHARD_OK] = "ok", [SHARD_DAMAGED] = "damaged"
};

struct ec_result *ec_result_new(enum ec_cmd cmd, const char *base)
{
	struct ec_result *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->cmd = cmd;
	r->base = base;
	r->info.plan = EC_REFUSED;
	return r;
}

void ec_result_free(struct ec_result *r)
{
	if (!r)
		return;
	free(r->leftovers);
	free(r->verify.ranges);
	free(r);
}

/* "ec04": a shard's name as its file ends. */
static const char *shard_name(const struct ec_vol *v, int i)
{
	return strrchr(v->sh[i].path, '.') + 1;
}

/* ---- text -------------------------------------------------------------- */

static void text_rebuilt(const struct ec_result *r)
{
	const struct ec_vol *v = r->v;
	for (int i = 0; i < r->nrebuilt; i++) {
		const struct ec_replaced *s = &r->rebuilt[i];
		if (s->copy[0])
			printf("%s: rebuilt (the damaged one is now %s)\n", v->sh[s->shard].path,
			       s->copy);
		else
			printf("%s: rebuilt\n", v->sh[s->shard].path);
	}
	if (r->unverified_noted)
		printf("%s: rebuilt from exactly %d shards with no .ecsum: nothing could cross-check "
		       "them, so the new shards are only as good as those (noted in %s.unverified)\n",
		       v->base, v->k, v->base);
}

static void text_rebuild(const struct ec_result *r)
{
	const struct ec_vol *v = r->v;
	if (r->rebuild.all_present)
		printf("%s: all %d shards present\n", v->base, v->k + v->m);
	text_rebuilt(r);
	if (r->rebuild.ecx_rebuilt)
		printf("%s: rebuilt with %zu needles found in the data shards\n", r->rebuild.ecx_path,
		       r->rebuild.ecx_entries);
}

static void text_ranges(const struct ec_result *r)
{
	const struct ec_vol *v = r->v;
	size_t unresolved = 0;
	for (size_t i = 0; i < r->verify.nranges; i++) {
		const struct ec_range *g = &r->verify.ranges[i];
		unresolved += !g->repaired;
		if (g->shard < 0)
			printf("%s: shard bytes %llu..%llu: parity disagrees, corrupt shard "
			       "undetermined\n", v->base, (unsigned long long)g->start,
			       (unsigned long long)(g->end - 1));
		else
			printf("%s: bytes %llu..%llu corrupt%s\n", v->sh[g->shard].path,
			       (unsigned long long)g->start, (unsigned long long)(g->end - 1),
			       g->repaired ? ", repaired"
			       : !g->confirmed ? " (most likely: too few checks left to confirm "
						 "it, so --repair leaves it)"
			       : r->verify.vouched ? " (yet it matches its .ecsum: not repaired)" : "");
	}
	if (!r->verify.nranges)
		printf("%s: %d shards of %llu bytes agree (%d checks per stripe)\n", v->base,
		       r->verify.nread, (unsigned long long)v->shard_size, r->verify.checks);
	else
		printf("%s: %llu bytes in %zu ranges disagree%s\n", v->base,
		       (unsigned long long)r->verify.bad_bytes, r->verify.nranges,
		       unresolved ? "" : "; all repaired");
}

static void text_verify(const struct ec_result *r)
{
	const struct ec_vol *v = r->v;
	if (r->verify.screen_failed)
		printf("%s: %d of %d shards fail their .ecsum CRCs (damaged now: %s)%s\n", v->base,
		       r->verify.screen_failed, v->k + v->m, r->verify.screen_damaged,
		       r->verify.repair ? ""
					: "; `ec-rebuild rebuild` replaces them (keeping the old bytes)");
	text_rebuilt(r);
	for (int i = 0; i < r->verify.nrepaired; i++)
		printf("%s: repaired (the bytes before are kept in %s)\n",
		       v->sh[r->verify.repaired[i].shard].path, r->verify.repaired[i].copy);
	if (r->verify.checked)
		text_ranges(r);
	if (r->verify.note == EC_SIDE_WRITTEN)
		printf("%s: written%s: every shard agrees with parity, and the sidecar now vouches "
		       "for these bytes\n", r->verify.sidecar_path,
		       r->verify.note_replaced ? " in place of the unusable one" : "");
	else if (r->verify.note == EC_SIDE_MATCHES)
		printf("%s: every shard matches its .ecsum CRCs\n", v->base);
	else if (r->verify.note == EC_SIDE_ABSENT)
		printf("%s: no .ecsum sidecar (verify --repair writes one when every shard is here "
		       "and agrees)\n", v->base);
}

static void text_info(const struct ec_result *r)
{
	const struct ec_vol *v = r->v;
	bool sha = r->info.sha256;
	char list[200];
	printf("%s: %d+%d (%s), shards of %llu bytes (from %s)\n", v->base, v->k, v->m,
	       v->ratio_from, (unsigned long long)v->shard_size, v->size_from);
	printf("  %-6s %-8s %s\n", "SHARD", "STATE", sha ? "SIZE         SHA-256" : "SIZE");
	for (int i = 0; i < v->k + v->m; i++) {
		if (v->sh[i].state == SHARD_MISSING)
			printf("  ec%02d   %-8s -\n", i, "missing");
		else
			printf("  ec%02d   %-8s %-*llu%s\n", i, state_names[v->sh[i].state],
			       sha ? 13 : 0, (unsigned long long)v->sh[i].size,
			       sha ? r->info.digest[i] : "");
	}
	static const char *const exts[] = { ".ecx", ".ecj", ".vif", ".ecsum" };
	for (int i = 0; i < 4; i++) {
		if (r->info.sidecar[i] < 0)
			printf("  %-6s  absent\n", exts[i]);
		else
			printf("  %-6s  %lld bytes\n", exts[i], r->info.sidecar[i]);
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
	if (r->info.has_unverified)
		printf("  unverified: %s (rebuilt from exactly %d shards, nothing to cross-check "
		       "them)\n", r->info.unverified, v->k);
	if (r->info.plan == EC_COMPLETE)
		printf("  complete: all %d shards healthy\n", v->k + v->m);
	else if (r->info.plan == EC_REBUILDABLE)
		printf("  rebuildable: %d healthy shards, %d needed; to rebuild: %s\n", v->n_ok, v->k,
		       ec_vol_list(v, ST_UNHEALTHY, list, sizeof(list)));
	else
		printf("  NOT rebuildable (as rebuild would say, above): %d healthy shards, %d "
		       "needed\n", v->n_ok, v->k);
}

static void text_volume(const struct ec_result *r)
{
	for (size_t i = 0; i < r->nleftovers; i++)
		printf("%s: removed: a temporary left by a run that was killed (process %ld)\n",
		       r->leftovers[i].path, r->leftovers[i].pid);
	if (r->cmd == EC_CMD_ENCODE && r->encode.done)
		printf("%s: encoded %llu bytes into %d+%d shards of %llu bytes "
		       "(%llu large + %llu small rows), .ecx with %zu needles\n",
		       r->base, (unsigned long long)r->encode.dat_size, r->encode.k, r->encode.m,
		       (unsigned long long)r->encode.shard_size,
		       (unsigned long long)r->encode.n_large, (unsigned long long)r->encode.n_small,
		       r->encode.ecx_entries);
	if (!r->v)
		return;
	if (r->cmd == EC_CMD_REBUILD)
		text_rebuild(r);
	else if (r->cmd == EC_CMD_VERIFY)
		text_verify(r);
	else if (r->cmd == EC_CMD_INFO)
		text_info(r);
	else if (r->cmd == EC_CMD_DECODE && r->decode.done)
		printf("%s: decoded %llu bytes of .dat (%llu at encode: the rest held no needle "
		       ".ecx lists), .idx with %zu entries and %zu deletions%s%s\n",
		       r->base, (unsigned long long)r->decode.dat_size,
		       (unsigned long long)(r->v->vif.has_dat_file_size ? r->v->vif.dat_file_size
									 : r->decode.dat_size),
		       r->decode.ecx_entries, r->decode.ecj_deletions,
		       r->decode.crc_errors ? " (with needle errors, --force)" : "",
		       r->decode.bodies_vouched ? "; every byte matched its .ecsum CRC" : "");
}

/* ---- JSON -------------------------------------------------------------- */

static void json_u64_or_null(struct jw *w, const char *key, bool have, uint64_t val)
{
	jw_key(w, key);
	if (have)
		jw_u64(w, val);
	else
		jw_null(w);
}

static void json_rotten(const struct ec_result *r, struct jw *w)
{
	if (!r->screened)
		return;
	jw_key(w, "ecsum_failed");
	jw_arr(w);
	for (int i = 0; i < r->nrotten; i++) {
		jw_obj(w);
		jw_ku64(w, "shard", (uint64_t)r->rotten[i].shard);
		jw_ku64(w, "bad_blocks", (uint64_t)r->rotten[i].bad);
		jw_ku64(w, "block_size", r->v->sum.block_size);
		jw_ku64(w, "first_bad_byte", r->rotten[i].from);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void json_rebuilt(const struct ec_result *r, struct jw *w)
{
	jw_key(w, "rebuilt");
	jw_arr(w);
	for (int i = 0; i < r->nrebuilt; i++) {
		const struct ec_replaced *s = &r->rebuilt[i];
		jw_obj(w);
		jw_kstr(w, "shard", shard_name(r->v, s->shard));
		jw_kstr(w, "was", s->was_damaged ? "damaged" : "missing");
		jw_kstr(w, "damaged_copy", s->copy[0] ? s->copy : NULL);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void json_rebuild(const struct ec_result *r, struct jw *w)
{
	const struct ec_vol *v = r->v;
	jw_ku64(w, "data_shards", (uint64_t)v->k);
	jw_ku64(w, "parity_shards", (uint64_t)v->m);
	jw_ku64(w, "shard_size", v->shard_size);
	jw_kstr(w, "ecsum", r->rebuild.ecsum);
	json_rotten(r, w);
	json_rebuilt(r, w);
	if (r->rebuild.ecx_rebuilt)
		jw_ku64(w, "ecx_rebuilt_entries", r->rebuild.ecx_entries);
	jw_kbool(w, "unverified", v->unverified);
}

static void json_checked(const struct ec_result *r, struct jw *w)
{
	jw_key(w, "repaired");
	jw_arr(w);
	for (int i = 0; i < r->verify.nrepaired; i++) {
		jw_obj(w);
		jw_kstr(w, "shard", shard_name(r->v, r->verify.repaired[i].shard));
		jw_kstr(w, "damaged_copy", r->verify.repaired[i].copy);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_ku64(w, "checks", (uint64_t)r->verify.checks);
	jw_ku64(w, "bad_bytes", r->verify.bad_bytes);
	jw_key(w, "ranges");
	jw_arr(w);
	for (size_t i = 0; i < r->verify.nranges; i++) {
		const struct ec_range *g = &r->verify.ranges[i];
		jw_obj(w);
		jw_ku64(w, "start", g->start);
		jw_ku64(w, "end", g->end);
		json_u64_or_null(w, "shard", g->shard >= 0, (uint64_t)g->shard);
		jw_kbool(w, "confirmed", g->confirmed);
		jw_kbool(w, "repaired", g->repaired);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void json_verify(const struct ec_result *r, struct jw *w)
{
	json_rotten(r, w);
	if (r->regenerated)
		json_rebuilt(r, w);
	if (r->verify.checked)
		json_checked(r, w);
	if (r->verify.ecsum)
		jw_kstr(w, "ecsum", r->verify.ecsum);
}

static void json_shards(const struct ec_result *r, struct jw *w)
{
	const struct ec_vol *v = r->v;
	jw_key(w, "shards");
	jw_arr(w);
	for (int i = 0; i < v->k + v->m; i++) {
		jw_obj(w);
		jw_ku64(w, "shard", (uint64_t)i);
		jw_kstr(w, "state", state_names[v->sh[i].state]);
		json_u64_or_null(w, "size", v->sh[i].state != SHARD_MISSING, v->sh[i].size);
		if (r->info.sha256)
			jw_kstr(w, "sha256", r->info.digest[i][0] ? r->info.digest[i] : NULL);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void json_sidecars(const struct ec_vol *v, struct jw *w)
{
	jw_key(w, "vif");
	if (v->has_vif) {
		jw_obj(w);
		jw_ku64(w, "version", v->vif.version);
		json_u64_or_null(w, "dat_file_size", v->vif.has_dat_file_size, v->vif.dat_file_size);
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
		return;
	}
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

static void json_info(const struct ec_result *r, struct jw *w)
{
	const struct ec_vol *v = r->v;
	static const char *const keys[] = { "ecx_size", "ecj_size", "vif_size" };
	jw_ku64(w, "data_shards", (uint64_t)v->k);
	jw_ku64(w, "parity_shards", (uint64_t)v->m);
	jw_kstr(w, "ratio_from", v->ratio_from);
	jw_ku64(w, "shard_size", v->shard_size);
	jw_kstr(w, "shard_size_from", v->size_from);
	json_shards(r, w);
	for (int i = 0; i < 3; i++)
		json_u64_or_null(w, keys[i], r->info.sidecar[i] >= 0, (uint64_t)r->info.sidecar[i]);
	json_sidecars(v, w);
	jw_kstr(w, "unverified", r->info.has_unverified ? r->info.unverified : NULL);
	jw_kbool(w, "complete", r->info.plan == EC_COMPLETE);
	jw_kbool(w, "rebuildable", r->info.plan != EC_REFUSED);
}

static void json_encode(const struct ec_result *r, struct jw *w)
{
	if (!r->encode.done)
		return;
	jw_ku64(w, "dat_file_size", r->encode.dat_size);
	jw_ku64(w, "data_shards", (uint64_t)r->encode.k);
	jw_ku64(w, "parity_shards", (uint64_t)r->encode.m);
	jw_ku64(w, "shard_size", r->encode.shard_size);
	jw_ku64(w, "large_rows", r->encode.n_large);
	jw_ku64(w, "small_rows", r->encode.n_small);
	jw_ku64(w, "ecx_entries", r->encode.ecx_entries);
}

static void json_decode(const struct ec_result *r, struct jw *w)
{
	json_rotten(r, w);
	if (r->decode.walked) {
		jw_ku64(w, "records_found", r->decode.records_found);
		jw_ku64(w, "unlisted_needles", r->decode.unlisted);
		jw_kstr(w, "needle_bodies", r->decode.bodies_vouched ? "vouched_by_ecsum" : "crc_checked");
	}
	if (!r->decode.done)
		return;
	jw_ku64(w, "dat_size", r->decode.dat_size);
	json_u64_or_null(w, "vif_dat_file_size", r->v->vif.has_dat_file_size,
			 r->v->vif.dat_file_size);
	jw_ku64(w, "ecx_entries", r->decode.ecx_entries);
	jw_ku64(w, "ecj_deletions", r->decode.ecj_deletions);
	jw_ku64(w, "crc_errors", r->decode.crc_errors);
}

static void json_volume(const struct ec_result *r, struct jw *w)
{
	jw_obj(w);
	if (r->swept) {
		jw_key(w, "leftovers_removed");
		jw_arr(w);
		for (size_t i = 0; i < r->nleftovers; i++)
			jw_str(w, r->leftovers[i].path);
		jw_arr_end(w);
	}
	jw_kstr(w, "volume", r->base);
	if (r->busy || (r->cmd != EC_CMD_ENCODE && !r->v)) {
		jw_kstr(w, "status", r->busy ? "busy" : "failed");
	} else if (r->cmd == EC_CMD_INFO) {
		json_info(r, w);
	} else {
		if (r->cmd == EC_CMD_ENCODE)
			json_encode(r, w);
		else if (r->cmd == EC_CMD_REBUILD)
			json_rebuild(r, w);
		else if (r->cmd == EC_CMD_VERIFY)
			json_verify(r, w);
		else
			json_decode(r, w);
		jw_kstr(w, "status", r->rc ? "failed" : "ok");
	}
	jw_obj_end(w);
}

void ec_render(const struct ec_result *r, struct jw *jw)
{
	if (jw)
		json_volume(r, jw);
	else
		text_volume(r);
}
