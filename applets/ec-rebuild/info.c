/* info.c - what an EC volume has, what it lacks, and whether it can be
 * rebuilt: decided as rebuild decides (so with a sidecar or something to
 * rebuild, it reads the shards as rebuild would, writing nothing). */
#include "bb.h"
#include "ec.h"
#include "hash.h"
#include "io.h"

#include <stdio.h>
#include <sys/stat.h>

/* Hex SHA-256 of shard i into out (65 bytes); "" when it is missing or
 * unreadable (said on stderr). */
static void shard_sha256(const struct ec_vol *v, int i, char out[65])
{
	uint8_t d[32];
	const char *why;
	out[0] = 0;
	if (v->sh[i].state == SHARD_MISSING)
		return;
	if (sha256_file(v->sh[i].path, d, &why))
		bb_err("%s: SHA-256: %s", v->sh[i].path, why);
	else
		hex(d, 32, out);
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

int ec_info(struct ec_vol *v, const struct ec_opts *o, struct ec_result *r)
{
	/* the decision rebuild acts on (with a sidecar, every shard is read);
	 * what the screen found stays out of info's output */
	struct ec_result *quiet = ec_result_new(EC_CMD_INFO, v->base);
	enum ec_plan plan = quiet ? ec_plan(v, o, quiet) : EC_REFUSED;
	/* what rebuild would compute, computed and checked, not written */
	if (plan == EC_REBUILDABLE && v->n_ok < v->k + v->m && ec_regenerate(v, o, true, quiet))
		plan = EC_REFUSED;
	if (!quiet)
		bb_err("out of memory");
	ec_result_free(quiet);
	r->info.plan = plan;
	static const char *const exts[] = { ".ecx", ".ecj", ".vif", ".ecsum" };
	for (int i = 0; i < 4; i++)
		r->info.sidecar[i] = sidecar(v, exts[i]);
	r->info.sha256 = o->sha256;
	for (int i = 0; o->sha256 && i < v->k + v->m; i++)
		shard_sha256(v, i, r->info.digest[i]);
	r->info.has_unverified = ec_unverified(v, r->info.unverified, sizeof(r->info.unverified));
	/* as the applet's help says: 0 only for a volume that is fine; one
	 * that rebuild would mend is not fine yet */
	return plan == EC_COMPLETE ? 0 : 1;
}
