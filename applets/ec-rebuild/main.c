/* ec-rebuild - rebuild, verify, encode and decode SeaweedFS erasure-coded
 * volumes offline, byte for byte as SeaweedFS (klauspost/reedsolomon's
 * default code over GF(2^8)) lays them out. */
#include "bb.h"
#include "ec.h"
#include "stream.h"
#include "json.h"
#include "size.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int ec_main(int argc, char **argv);

enum {
	O_DATA,
	O_PARITY,
	O_LARGE,
	O_SMALL,
	O_THREADS,
	O_MEMORY,
	O_JSON,
	O_REPAIR,
	O_FORCE,
	O_KERNEL,
	O_SHA256,
	O_IGNORE_ECSUM,
	O_TRUST_PARITY,
};
static const struct bb_opt ec_opts[] = {
	[O_DATA] = { "data-shards", 0, "N", "data shards (default: .vif ecShardConfig, else 10)" },
	[O_PARITY] = { "parity-shards", 0, "N", "parity shards (default: .vif, else 4)" },
	[O_LARGE] = { "large-block", 0, "SIZE", "large block size (default 1G)" },
	[O_SMALL] = { "small-block", 0, "SIZE", "small block size (default 1M)" },
	[O_THREADS] = { "threads", 'j', "N",
			"threads, each reading ahead and computing (default: the CPUs, at most 8)" },
	[O_MEMORY] = { "memory", 0, "SIZE",
		       "buffer memory for all threads (default: half the L3 cache, 8M-64M; 16M "
		       "when the machine does not say)" },
	[O_JSON] = { "json", 0, NULL, "print a JSON array, one object per volume" },
	[O_REPAIR] = { "repair", 0, NULL, "verify: correct shards found corrupt (the old ones kept)" },
	[O_FORCE] = { "force", 0, NULL,
		       "decode, and a lost .ecx: write it even when needles fail their check" },
	[O_KERNEL] = { "kernel", 0, "NAME",
		       "GF kernel: scalar ssse3 avx2 avx512 gfni-avx2 gfni-avx512 (default: best)" },
	[O_SHA256] = { "sha256", 0, NULL,
		       "info: each shard's SHA-256 too, to compare copies (reads every shard)" },
	[O_IGNORE_ECSUM] = { "ignore-ecsum", 0, NULL,
			     "do not check shards against the .ecsum sidecar; encode: write none" },
	[O_TRUST_PARITY] = { "trust-parity", 0, NULL,
			     "verify --repair: write a .ecsum even for shards rebuilt from exactly k" },
	{ 0 },
};

static const char *const cmd_names[] = { "rebuild", "verify", "info", "encode", "decode" };
static int run_targets(enum ec_cmd c, const struct bb_args *a);
#define EC_RUN(name, c)                                                       \
	static int run_##name(void *ctx, const struct bb_args *a)             \
	{                                                                     \
		(void)ctx;                                                    \
		return run_targets(c, a);                                     \
	}
EC_RUN(rebuild, EC_CMD_REBUILD)
EC_RUN(verify, EC_CMD_VERIFY)
EC_RUN(info, EC_CMD_INFO)
EC_RUN(encode, EC_CMD_ENCODE)
EC_RUN(decode, EC_CMD_DECODE)

/* What every command takes: the code's shape, threads, memory, output. */
#define ALL (BB_O(O_DATA) | BB_O(O_PARITY) | BB_O(O_LARGE) | BB_O(O_SMALL) | BB_O(O_THREADS) | \
	     BB_O(O_MEMORY) | BB_O(O_JSON) | BB_O(O_KERNEL) | BB_O(O_IGNORE_ECSUM))
static const struct bb_cmd ec_cmds[] = {
	{ "rebuild", "TARGET...", 1, BB_MANY, ALL | BB_O(O_FORCE),
	  "regenerate every missing shard (and a damaged one) from any k healthy shards, and a "
	  "missing .ecx from the needles",
	  run_rebuild },
	{ "verify", "TARGET...", 1, BB_MANY, ALL | BB_O(O_REPAIR) | BB_O(O_TRUST_PARITY),
	  "recompute parity over every stripe, report the byte ranges that disagree and, when "
	  "parity can tell, which shard is corrupt; --repair corrects them where the checks "
	  "left over confirm it, and regenerates shards the .ecsum names (old shards kept)",
	  run_verify },
	{ "info", "TARGET...", 1, BB_MANY, ALL | BB_O(O_SHA256),
	  "shards present, missing and damaged, .vif, .ecsum, and whether complete (exit 0), "
	  "rebuildable or not (exit 1), decided as rebuild decides",
	  run_info },
	{ "encode", "BASE", 1, 1, ALL,
	  "BASE.dat + BASE.idx -> shards, .ecx, .ecsum and .vif, as SeaweedFS does", run_encode },
	{ "decode", "BASE", 1, 1, ALL | BB_O(O_FORCE),
	  "shards + .ecx + .ecj -> BASE.dat and BASE.idx, checking every needle (its header; its "
	  "CRC too unless the .ecsum vouched for every byte); missing data shards are rebuilt on "
	  "the way",
	  run_decode },
	{ 0 },
};

const struct applet applet_ec_rebuild = {
	.name = "ec-rebuild",
	.summary = "rebuild, verify, encode, decode SeaweedFS erasure-coded volumes",
	.usage = "ec-rebuild [COMMAND] [OPTIONS] TARGET...\n\n"
		 "TARGET is a volume base path (dir/7, dir/pics_7) or, for rebuild, verify and\n"
		 "info, a directory: every EC volume in it, each on its own. A damaged shard\n"
		 "(wrong length, or failing its sidecar) is kept as SHARD.damaged; nothing is\n"
		 "overwritten. A spare healthy shard, if any, must match what the k give, or\n"
		 "nothing is written.\n\n"
		 "A .ecsum sidecar (the CRC-32C of every 16 MiB block of every shard, which\n"
		 "SeaweedFS writes since 4.31 and encode writes too) is checked first: rebuild\n"
		 "treats a shard that fails it as damaged and refuses when the sidecar itself\n"
		 "is unreadable; verify reports the blocks that fail it.\n\n"
		 "New shards, .ecx, .dat and .idx are written aside, fsynced and renamed, and\n"
		 "never replace a file. encode rewrites an existing .vif with the EC fields\n"
		 "added.\n"
		 "Exit 0 when every volume is fine, 1 when any is not, 2 on usage errors.",
	.opts = ec_opts,
	.main = ec_main,
	.cmds = ec_cmds,
	.default_cmd = "rebuild",
};

static int parse_kernel(const char *name, enum ec_gf_kernel *k)
{
	for (int i = 0; i < GF_KERNELS; i++)
		if (!strcmp(name, ec_gf_kernel_name((enum ec_gf_kernel)i))) {
			*k = (enum ec_gf_kernel)i;
			if (ec_gf_kernel_usable(*k))
				return 0;
			bb_err("--kernel %s: this CPU cannot run it", name);
			return -1;
		}
	opt_bad_value("--kernel %s: unknown (try scalar, avx2, gfni-avx512, ...)", name);
	return -1;
}

static int parse_opts(const struct bb_args *a, struct ec_opts *o)
{
	uint64_t k, m, j;
	if (opt_u64(a, O_DATA, 0, 1, GF_MAX_SHARDS - 1, &k) ||
	    opt_u64(a, O_PARITY, 0, 1, GF_MAX_SHARDS - 1, &m) ||
	    opt_u64(a, O_THREADS, ec_stream_default_threads(), 1, 256, &j) ||
	    opt_size(a, O_LARGE, EC_LARGE_BLOCK, 0, &o->large) ||
	    opt_size(a, O_SMALL, EC_SMALL_BLOCK, 0, &o->small) ||
	    opt_size(a, O_MEMORY, ec_stream_default_memory(), 0, &o->memory))
		return -1;
	if (!o->large || !o->small || o->small > o->large) {
		bb_err("block sizes %llu/%llu: need 0 < small <= large",
		       (unsigned long long)o->large, (unsigned long long)o->small);
		return -1;
	}
	o->k = (int)k;
	o->m = (int)m;
	o->threads = (unsigned)j;
	o->repair = opt_on(a, O_REPAIR);
	o->force = opt_on(a, O_FORCE);
	o->sha256 = opt_on(a, O_SHA256);
	o->ignore_ecsum = opt_on(a, O_IGNORE_ECSUM);
	o->trust_parity = opt_on(a, O_TRUST_PARITY);
	o->kernel = GF_AUTO;
	if (opt_on(a, O_KERNEL) && parse_kernel(opt_str(a, O_KERNEL, ""), &o->kernel))
		return -1;
	return 0;
}

/* The work fills a result; render.c alone prints it. */
static int run_volume(enum ec_cmd c, const char *base, const struct ec_opts *o, struct jw *jw)
{
	struct ec_vol *v = NULL;
	bool excl;
	struct ec_result *r = ec_result_new(c, base);
	if (!r) {
		bb_err("out of memory");
		return 1;
	}
	int lock = ec_vol_lock(base, c != EC_CMD_INFO && (c != EC_CMD_VERIFY || o->repair), &excl);
	if (excl)
		ec_vol_leftovers(base, r);
	if (lock == -1) {
		r->rc = 1;
		r->busy = true;
	} else if (c == EC_CMD_ENCODE) {
		r->rc = ec_encode(base, o, r);
	} else if (!(v = calloc(1, sizeof(*v)))) {
		bb_err("out of memory");
		r->rc = 1;
	} else if (ec_vol_load(v, base, o)) {
		r->rc = 1;
	} else {
		r->v = v;
		if (c == EC_CMD_REBUILD)
			r->rc = ec_rebuild(v, o, r);
		else if (c == EC_CMD_VERIFY)
			r->rc = ec_verify(v, o, r);
		else if (c == EC_CMD_INFO)
			r->rc = ec_info(v, o, r);
		else
			r->rc = ec_decode(v, o, r);
	}
	if (lock >= 0)
		close(lock);
	ec_render(r, jw);
	int rc = r->rc;
	ec_result_free(r);
	ec_vol_free(v);
	return rc;
}

static int run_dir(enum ec_cmd c, const char *dir, const struct ec_opts *o, struct jw *jw)
{
	char **bases;
	size_t n;
	int rc = 0;
	if (c == EC_CMD_ENCODE || c == EC_CMD_DECODE) {
		bb_err("%s: %s takes a volume base path (dir/7), not a directory", dir, cmd_names[c]);
		return 1;
	}
	if (swfs_dir_volumes(dir, dir, SWFS_SHARD | SWFS_ECX, &bases, &n)) {
		bb_perr("%s", dir);
		return 1;
	}
	if (!n) { /* a mistyped directory is no success */
		bb_err("%s: no EC volumes (.ecNN, .ecx) in it", dir);
		rc = 1;
	}
	for (size_t i = 0; i < n; i++)
		rc |= run_volume(c, bases[i], o, jw); /* one bad volume never stops the others */
	swfs_free_list(bases, n);
	return rc;
}

/* Every command runs over its targets, each a volume or a directory of
 * them; one bad volume never stops the others. */
static int run_targets(enum ec_cmd c, const struct bb_args *a)
{
	struct ec_opts o = { 0 };
	struct jw jw, *out = NULL;
	if (parse_opts(a, &o))
		return 2;
	if (opt_on(a, O_JSON)) {
		jw_init(&jw, stdout, true);
		jw_arr(&jw);
		out = &jw;
	}
	int rc = 0;
	for (int i = 0; i < a->argc; i++) {
		struct stat st;
		char base[PATH_MAX];
		if (stat(a->argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			rc |= run_dir(c, a->argv[i], &o, out);
			continue;
		}
		snprintf(base, sizeof(base), "%s", a->argv[i]);
		swfs_strip_ext(base);
		rc |= run_volume(c, base, &o, out);
	}
	if (out) {
		jw_arr_end(out);
		jw_end(out);
	}
	return rc ? 1 : 0;
}

static int ec_main(int argc, char **argv)
{
	struct bb_args a;
	int rc = bb_getopt(&applet_ec_rebuild, argc, argv, &a);
	return rc != BB_CONTINUE ? rc : a.cmd->run(NULL, &a);
}
