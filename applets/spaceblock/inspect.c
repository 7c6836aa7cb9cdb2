/* inspect.c - spaceblock inspect: the whole layout on one page, and every
 * check that fails. Reads only. */
#include "cli.h"

#include "error.h"
#include "json.h"
#include "size.h"
#include "uuid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct problem {
	char area[16];
	unsigned slot;
	char what[200];
};

struct problems {
	struct problem *p;
	size_t n, cap;
};

static void add_problem(void *ctx, const char *area, unsigned slot, const char *what)
{
	struct problems *ps = ctx;
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 16;
		struct problem *p = realloc(ps->p, cap * sizeof(*p));
		if (!p)
			return;
		ps->p = p;
		ps->cap = cap;
	}
	struct problem *p = &ps->p[ps->n++];
	snprintf(p->area, sizeof(p->area), "%s", area);
	p->slot = slot;
	snprintf(p->what, sizeof(p->what), "%s", what);
}

struct view {
	struct sb_param *params;
	size_t nparams;
	struct sb_dp *dps;
	bool *data_ok; /* per product; all true with --quick */
	size_t ndps;
	uint64_t free_blocks, largest;
	struct problems problems;
};

/* Every product's data against its CRC, unless --quick. */
static void check_data(struct sbcli *c, struct view *v, bool quick)
{
	for (size_t i = 0; i < v->ndps; i++) {
		v->data_ok[i] = quick || !sb_dp_read(&c->sb, &v->dps[i], NULL, NULL);
		if (!v->data_ok[i])
			add_problem(&v->problems, "data", 0, c->sb.why);
	}
}

static int gather(struct sbcli *c, struct view *v)
{
	memset(v, 0, sizeof(*v));
	v->params = calloc(c->sb.nparam, sizeof(*v->params));
	v->dps = calloc(c->sb.ncat, sizeof(*v->dps));
	v->data_ok = calloc(c->sb.ncat, sizeof(*v->data_ok));
	if (!v->params || !v->dps || !v->data_ok) {
		bb_err("out of memory");
		return -1;
	}
	v->nparams = sb_param_list(&c->sb, v->params);
	v->ndps = sb_dp_list(&c->sb, v->dps);
	sb_dp_space(&c->sb, &v->free_blocks, &v->largest);
	sb_problems(&c->sb, add_problem, &v->problems);
	check_data(c, v, opt_on(&c->a, OPT_QUICK));
	return 0;
}

static void free_view(struct view *v)
{
	free(v->params);
	free(v->dps);
	free(v->data_ok);
	free(v->problems.p);
}

static char *uuid_str(const uint8_t b[16], char out[UUID_STR])
{
	struct uuid u;
	memcpy(u.b, b, 16);
	return uuid_fmt(&u, out);
}

/* ---- text ----------------------------------------------------------------------- */

static void text_super(const struct sbcli *c)
{
	const struct sb_super *s = &c->sb.super;
	char size[16], uuid[37];
	printf("%s: space-block v%u, %u blocks of %u bytes (%s)\n", c->path, s->version,
	       s->total_blocks, c->sb.bs, fmt_size((uint64_t)s->total_blocks * c->sb.bs, size,
						   sizeof(size)));
	printf("  tenant %u, epoch %llu, uuid %s, superblock CRC-32C 0x%08x ok\n", s->tenant_id,
	       (unsigned long long)s->epoch, uuid_str(s->uuid, uuid), s->crc);
}

static void text_areas(const struct sbcli *c, const struct view *v)
{
	const struct spaceblock *sb = &c->sb;
	uint32_t cat_end = sb->super.dp_start + sb->ext.catalog_blocks;
	printf("\nAreas:\n  %-13s %-12s %s\n", "BLOCKS", "AREA", "CONTENT");
	printf("  %-13s %-12s %s\n", "0", "superblock", "48-byte superblock + 16-byte layout record");
	printf("  %-13s %-12s %u slots of %u bytes, %zu parameters\n", "1-16", "parameters",
	       sb->nparam, SB_PARAM_SIZE, v->nparams);
	printf("  %-13s %-12s %u slots of %u bytes, %llu events written\n", "17-32", "events",
	       sb->nevent, SB_EVENT_SIZE, (unsigned long long)sb_event_count(sb));
	char range[32];
	snprintf(range, sizeof(range), "%u-%u", sb->super.dp_start, cat_end - 1);
	printf("  %-13s %-12s %u slots of %u bytes, %zu products\n", range, "catalog", sb->ncat,
	       SB_CAT_SIZE, v->ndps);
	snprintf(range, sizeof(range), "%u-%u", cat_end, sb->super.dp_start + sb->super.dp_size - 1);
	printf("  %-13s %-12s %u blocks, %llu free, largest free run %llu\n",
	       cat_end < sb->super.dp_start + sb->super.dp_size ? range : "-", "payload",
	       sb->super.dp_size - sb->ext.catalog_blocks, (unsigned long long)v->free_blocks,
	       (unsigned long long)v->largest);
}

static void text_records(struct sbcli *c, const struct view *v)
{
	printf("\nParameters:\n");
	sb_cli_print_params(v->params, v->nparams);
	printf("\nEvents (newest last):\n");
	fflush(stdout);
	sb_cli_events(c, NULL, 20);
	printf("\nData products:\n");
	sb_cli_print_dp_header();
	for (size_t i = 0; i < v->ndps; i++) {
		sb_cli_print_dp(&v->dps[i]);
		puts(v->data_ok[i] ? "" : "  DATA CRC MISMATCH");
	}
}

static void text_problems(const struct view *v)
{
	if (!v->problems.n) {
		printf("\nProblems: none\n");
		return;
	}
	printf("\nProblems (%zu):\n", v->problems.n);
	for (size_t i = 0; i < v->problems.n; i++) {
		const struct problem *p = &v->problems.p[i];
		if (!strcmp(p->area, "data"))
			printf("  %s\n", p->what);
		else
			printf("  %s slot %u: %s\n", p->area, p->slot, p->what);
	}
}

/* ---- JSON ------------------------------------------------------------------------ */

static void json_super(struct jw *w, const struct sbcli *c)
{
	const struct sb_super *s = &c->sb.super;
	char uuid[37];
	jw_key(w, "superblock");
	jw_obj(w);
	jw_kstr(w, "magic", "SPOS");
	jw_ku64(w, "version", s->version);
	jw_ku64(w, "tenant_id", s->tenant_id);
	jw_ku64(w, "total_blocks", s->total_blocks);
	jw_ku64(w, "dp_start", s->dp_start);
	jw_ku64(w, "dp_size", s->dp_size);
	jw_ku64(w, "epoch", s->epoch);
	jw_kstr(w, "uuid", uuid_str(s->uuid, uuid));
	jw_ku64(w, "crc32c", s->crc);
	jw_ku64(w, "block_size", c->sb.bs);
	jw_ku64(w, "catalog_blocks", c->sb.ext.catalog_blocks);
	jw_obj_end(w);
}

static void json_area(struct jw *w, const char *name, uint64_t first, uint64_t blocks,
		      unsigned slots, unsigned recsize)
{
	jw_obj(w);
	jw_kstr(w, "area", name);
	jw_ku64(w, "first_block", first);
	jw_ku64(w, "blocks", blocks);
	if (slots) {
		jw_ku64(w, "slots", slots);
		jw_ku64(w, "record_size", recsize);
	}
	jw_obj_end(w);
}

static void json_areas(struct jw *w, const struct spaceblock *sb, const struct view *v)
{
	unsigned cat = sb->ext.catalog_blocks;
	jw_key(w, "areas");
	jw_arr(w);
	json_area(w, "superblock", 0, 1, 0, 0);
	json_area(w, "parameters", SB_PARAM_FIRST, SB_PARAM_BLOCKS, sb->nparam, SB_PARAM_SIZE);
	json_area(w, "events", SB_EVENT_FIRST, SB_EVENT_BLOCKS, sb->nevent, SB_EVENT_SIZE);
	json_area(w, "catalog", sb->super.dp_start, cat, sb->ncat, SB_CAT_SIZE);
	json_area(w, "payload", sb->super.dp_start + cat, sb->super.dp_size - cat, 0, 0);
	jw_arr_end(w);
	jw_ku64(w, "free_blocks", v->free_blocks);
	jw_ku64(w, "largest_free_run", v->largest);
}

static void json_records(struct jw *w, struct sbcli *c, const struct view *v)
{
	jw_key(w, "params");
	jw_arr(w);
	for (size_t i = 0; i < v->nparams; i++)
		sb_cli_json_param(w, &v->params[i]);
	jw_arr_end(w);
	jw_ku64(w, "event_count", sb_event_count(&c->sb));
	jw_key(w, "events");
	sb_cli_events(c, w, c->sb.nevent);
	jw_key(w, "data_products");
	jw_arr(w);
	for (size_t i = 0; i < v->ndps; i++) {
		jw_obj(w);
		sb_cli_json_dp(w, &v->dps[i]);
		jw_kbool(w, "data_ok", v->data_ok[i]);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void json_problems(struct jw *w, const struct view *v)
{
	jw_key(w, "problems");
	jw_arr(w);
	for (size_t i = 0; i < v->problems.n; i++) {
		const struct problem *p = &v->problems.p[i];
		jw_obj(w);
		jw_kstr(w, "area", p->area);
		if (strcmp(p->area, "data"))
			jw_ku64(w, "slot", p->slot);
		jw_kstr(w, "what", p->what);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/* --json says what failed as JSON too. */
static int inspect_error(struct sbcli *c, const char *why)
{
	if (c->json) {
		struct jw w;
		jw_init(&w, stdout, true);
		jw_obj(&w);
		jw_kstr(&w, "file", c->path);
		jw_kstr(&w, "error", why);
		jw_obj_end(&w);
		jw_end(&w);
	}
	bb_err("%s", why);
	return 1;
}

/* Open for reading; when block 0 is damaged, the records it can still
 * read (note says what was wrong). */
static int inspect_open(struct sbcli *c, char *note, size_t len)
{
	struct bb_error e;
	char why[SB_WHY + 4096];
	if (disk_open(&c->disk, c->path, 0, 0, &e))
		return inspect_error(c, e.msg);
	if (sb_cli_lock(c, false)) {
		disk_close(&c->disk);
		snprintf(why, sizeof(why), "%s: cannot lock it", c->path);
		return c->json ? inspect_error(c, why) : 1;
	}
	struct sb_io io;
	sb_io_fd(&io, &c->disk.fd, c->disk.size);
	if (sb_open_salvage(&c->sb, &io, note, len)) {
		snprintf(why, sizeof(why), "%s: %s", c->path, c->sb.why);
		disk_close(&c->disk);
		return inspect_error(c, why);
	}
	return 0;
}

int sb_cmd_inspect(struct sbcli *c)
{
	struct view v;
	char note[SB_WHY];
	if (inspect_open(c, note, sizeof(note)))
		return 1;
	if (gather(c, &v)) {
		free_view(&v);
		return 1;
	}
	if (note[0]) {
		char what[SB_WHY + 80];
		snprintf(what, sizeof(what), "%s; the records below are read with the layout "
			 "record and the format's fixed areas", note);
		add_problem(&v.problems, "superblock", 0, what);
	}
	if (c->json) {
		struct jw w;
		jw_init(&w, stdout, true);
		jw_obj(&w);
		jw_kstr(&w, "file", c->path);
		jw_kstr(&w, "superblock_damage", note[0] ? note : NULL);
		json_super(&w, c);
		json_areas(&w, &c->sb, &v);
		json_records(&w, c, &v);
		json_problems(&w, &v);
		jw_obj_end(&w);
		jw_end(&w);
	} else {
		if (note[0])
			printf("%s: BLOCK 0 DAMAGED: %s; what follows is read from the records, the "
			       "layout record and the format's fixed areas\n", c->path, note);
		else
			text_super(c);
		text_areas(c, &v);
		text_records(c, &v);
		text_problems(&v);
	}
	int rc = v.problems.n ? 1 : 0;
	free_view(&v);
	return rc; /* closed by the caller */
}
