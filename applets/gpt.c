/* gpt - show, check, create, edit and repair GUID partition tables, on
 * block devices and on image files, in the rescue shell. */
#include "bb.h"
#include "error.h"
#include "blkdev.h"
#include "checked.h"
#include "claim.h"
#include "gpt.h"
#include "io.h"
#include "json.h"
#include "mbr.h"
#include "num.h"
#include "size.h"
#include "utf8.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int gpt_main(int argc, char **argv);

enum { O_JSON, O_DRY, O_FORCE, O_SECTOR, O_TYPE, O_NAME, O_SIZE, O_START, O_NUMBER, O_ATTRS,
       O_GUID, O_FROM, O_UNDO };
static const struct bb_opt gpt_opts[] = {
	[O_JSON] = { "json", 0, NULL, "machine-readable output" },
	[O_DRY] = { "dry-run", 0, NULL, "print what would be written; write nothing" },
	[O_FORCE] = { "force", 'f', NULL, "write although the disk is in use or holds data" },
	[O_SECTOR] = { "sector-size", 0, "512|4096", "image files: sector size (default: detect)" },
	[O_TYPE] = { "type", 't', "TYPE", "add, change: short name or type GUID (add: linux)" },
	[O_NAME] = { "name", 0, "NAME", "add, change: partition name (UTF-8, 36 UTF-16 units)" },
	[O_SIZE] = { "size", 's', "SIZE", "add, resize: 10G, 512M, 4096B, 25%, or rest (default)" },
	[O_START] = { "start", 0, "OFFSET", "add: first byte (1M) or sector (2048s)" },
	[O_NUMBER] = { "number", 0, "N", "add: partition number (default: first free)" },
	[O_ATTRS] = { "attrs", 0, "LIST", "add, change: attributes, e.g. legacy_boot,60 (\"\": none)" },
	[O_GUID] = { "guid", 0, "GUID", "add, change: partition GUID; create: disk GUID" },
	[O_FROM] = { "from", 0, "primary|backup", "fix: the copy to keep and rebuild the other from" },
	[O_UNDO] = { "undo", 0, "FILE", "restore: where what it overwrites is saved (FILE.undo)" },
	{ 0 },
};

static int cmd_show(void *c, const struct bb_args *a);
static int cmd_verify(void *c, const struct bb_args *a);
static int cmd_create(void *c, const struct bb_args *a);
static int cmd_add(void *c, const struct bb_args *a);
static int cmd_delete(void *c, const struct bb_args *a);
static int cmd_rename(void *c, const struct bb_args *a);
static int cmd_change(void *c, const struct bb_args *a);
static int cmd_resize(void *c, const struct bb_args *a);
static int cmd_fix(void *c, const struct bb_args *a);
static int cmd_backup(void *c, const struct bb_args *a);
static int cmd_restore(void *c, const struct bb_args *a);
static int cmd_types(void *c, const struct bb_args *a);

/* Options every command that reads a disk takes. */
#define DISK_OPTS (BB_O(O_JSON) | BB_O(O_SECTOR))
#define WRITE_OPTS (DISK_OPTS | BB_O(O_DRY) | BB_O(O_FORCE))
#define ADD_OPTS (BB_O(O_TYPE) | BB_O(O_NAME) | BB_O(O_SIZE) | BB_O(O_START) | BB_O(O_NUMBER) | \
		  BB_O(O_ATTRS) | BB_O(O_GUID))
static const struct bb_cmd gpt_cmds[] = {
	{ "show", "DISK", 1, 1, DISK_OPTS,
	  "the table, free space and any problems; the MBR's records too (protective, hybrid), "
	  "or a plain MBR (DOS) table when there is no GPT, read only",
	  cmd_show },
	{ "verify", "DISK", 1, 1, DISK_OPTS, "problems only: exit 0 when clean, 1 otherwise",
	  cmd_verify },
	{ "create", "DISK", 1, 1, WRITE_OPTS | BB_O(O_GUID),
	  "a new, empty GPT (refuses over a partition table or a filesystem unless --force)",
	  cmd_create },
	{ "add", "DISK", 1, 1, WRITE_OPTS | ADD_OPTS, "a new partition in free space", cmd_add },
	{ "delete", "DISK N", 2, 2, WRITE_OPTS, "remove the entry of partition N (its data stays)",
	  cmd_delete },
	{ "rename", "DISK N NAME", 3, 3, WRITE_OPTS, "set the name of partition N (\"\" clears it)",
	  cmd_rename },
	{ "change", "DISK N", 2, 2,
	  WRITE_OPTS | BB_O(O_TYPE) | BB_O(O_NAME) | BB_O(O_ATTRS) | BB_O(O_GUID),
	  "set the --type, --name, --attrs (all of them) or --guid of partition N; "
	  "its place and data stay",
	  cmd_change },
	{ "resize", "DISK N", 2, 2, WRITE_OPTS | BB_O(O_SIZE),
	  "grow or shrink partition N to --size, by default to the largest the free space behind "
	  "it allows (as a grown disk needs, after 'gpt fix'); its start stays; shrinking needs "
	  "--force",
	  cmd_resize },
	{ "fix", "DISK", 1, 1, WRITE_OPTS | BB_O(O_FROM),
	  "repair a damaged copy from the other, move the backup to the end of a grown disk, "
	  "rewrite a missing or wrongly sized protective MBR; copies that are both valid but "
	  "differ need --from, which also rebuilds a sound copy on request",
	  cmd_fix },
	{ "backup", "DISK FILE", 2, 2, DISK_OPTS | BB_O(O_FORCE),
	  "save LBA 0, both headers and both entry arrays to FILE, with the disk's size, sector "
	  "size and GUID (--force replaces an existing FILE)",
	  cmd_backup },
	{ "restore", "DISK FILE", 2, 2, WRITE_OPTS | BB_O(O_UNDO),
	  "write a backup back: refused on a disk of another size or sector size, or (without "
	  "--force) holding another disk's GPT or an MBR table; what it overwrites is saved first "
	  "to --undo (FILE.undo)",
	  cmd_restore },
	{ "types", NULL, 0, 0, BB_O(O_JSON), "the short names TYPE accepts", cmd_types },
	{ 0 },
};

const struct applet applet_gpt = {
	.name = "gpt",
	.summary = "show, verify, create, edit and repair GUID partition tables",
	.usage =
	"gpt COMMAND DEVICE_OR_IMAGE [ARGS] [OPTIONS]\n"
	"\n"
	"add puts the partition at the first 1 MiB boundary of the first free gap it\n"
	"fits in. SIZE is bytes with an optional unit (K M G T, powers of 1024), a\n"
	"percentage of the disk (rounded down to whole MiB), or \"rest\": the rest of\n"
	"the largest free gap (or of the gap --start is in), ending on a 1 MiB\n"
	"boundary. OFFSET is bytes with a unit, or sectors with an \"s\" suffix.\n"
	"Sizes round up to whole sectors. resize keeps the partition's start; without\n"
	"--size it grows to the last 1 MiB boundary of the free space behind it.\n"
	"\n"
	"backup FILE keeps LBA 0, both headers and both entry arrays with the disk's\n"
	"size, sector size and GUID. restore refuses a disk of another size or sector\n"
	"size, and one holding another disk's GPT or an MBR table unless --force; it\n"
	"saves what it overwrites to --undo (FILE.undo) first, a backup restore takes.\n"
	"\n"
	"Nothing is repaired unless asked: commands that write refuse a table with\n"
	"damaged, misplaced or disagreeing copies and point to 'gpt fix', which\n"
	"repairs copies that are both valid but disagree only from the one --from\n"
	"names. Commands that write also refuse a disk that is mounted, swap, held\n"
	"by RAID/LVM/dm, or an image that backs a loop device. When only some of\n"
	"its partitions are in use, --force edits the table but never moves, shrinks\n"
	"or removes a partition in use (growing one is allowed). --dry-run prints\n"
	"the sectors a command would write and the table that would result. After\n"
	"writing a block device\n"
	"the kernel is told about changed partitions (BLKPG, else BLKRRPART).\n"
	"\n"
	"Exit status: 0 done (verify: clean), 1 failed (verify: problems), 2 usage.",
	.opts = gpt_opts,
	.main = gpt_main,
	.cmds = gpt_cmds,
};

struct ctx {
	struct bb_args a;
	const char *path;
	bool json, dry, force;
	struct disk d;
	struct gpt g;
	struct mbr *m; /* show: LBA 0's table, read beside the GPT */
	bool raw;      /* restore --force of sectors that hold no sound table */
	/* --force on a disk with partitions in use: those partitions, which
	 * the new table must keep where the kernel has them */
	struct claim_parts *in_use;
};

/* ---- output ------------------------------------------------------------- */

/* The name as a terminal shows it: whatever a disk holds, no control
 * characters reach the screen. (JSON escapes them itself.) */
#define SHOWN_NAME_MAX (4 * GPT_NAME_UTF8_MAX)
static void part_name(const struct gpt_part *p, char buf[SHOWN_NAME_MAX])
{
	char utf8[GPT_NAME_UTF8_MAX];
	gpt_name_to_utf8(p->name, utf8);
	utf8_printable(utf8, strlen(utf8), buf, SHOWN_NAME_MAX);
}

static const char *type_label(const struct gpt_part *p, char buf[GPT_GUID_STR])
{
	const char *n = gpt_type_name(&p->type);
	return n ? n : gpt_guid_fmt(&p->type, buf);
}

static uint64_t part_lbas(const struct gpt_part *p)
{
	return p->first_lba <= p->last_lba ? p->last_lba - p->first_lba + 1 : 0;
}

/* Bytes of n sectors; entries past the end (listed problems) can make
 * that more than 64 bits hold: null in JSON, "?" in tables. */
static void json_bytes(struct jw *w, const char *key, uint64_t n, unsigned sector)
{
	uint64_t b;
	jw_key(w, key);
	if (mul_overflow_u64(n, sector, &b))
		jw_null(w);
	else
		jw_u64(w, b);
}

static const char *size_text(uint64_t n, unsigned sector, char *buf, size_t len)
{
	uint64_t b;
	return mul_overflow_u64(n, sector, &b) ? "?" : fmt_size(b, buf, len);
}

static void attr_names_json(struct jw *w, uint64_t attrs)
{
	jw_arr(w);
	for (unsigned bit = 0; bit < 64; bit++) {
		if (!(attrs >> bit & 1))
			continue;
		const char *n = gpt_attr_name(bit);
		char num[8];
		snprintf(num, sizeof(num), "%u", bit);
		jw_str(w, n ? n : num);
	}
	jw_arr_end(w);
}

static void attrs_text(uint64_t attrs, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = 0;
	for (unsigned bit = 0; bit < 64 && o < len; bit++) {
		if (!(attrs >> bit & 1))
			continue;
		const char *n = gpt_attr_name(bit);
		o += (size_t)snprintf(buf + o, len - o, "%s", o ? "," : " [");
		if (o < len)
			o += (size_t)(n ? snprintf(buf + o, len - o, "%s", n)
				       : snprintf(buf + o, len - o, "%u", bit));
	}
	if (o && o < len)
		snprintf(buf + o, len - o, "]");
}

static const char *mbr_kind(enum gpt_mbr m)
{
	static const char *const k[] = { [GPT_MBR_NONE] = "none", [GPT_MBR_PROTECTIVE] = "protective",
					 [GPT_MBR_HYBRID] = "hybrid", [GPT_MBR_FOREIGN] = "mbr" };
	return k[m];
}

static void json_problems(struct jw *w, const struct gpt *g)
{
	jw_key(w, "problems");
	jw_arr(w);
	for (unsigned i = 0; i < g->nproblems; i++) {
		jw_obj(w);
		jw_kstr(w, "kind", gpt_problem_kind_name(g->problem[i].kind));
		jw_kstr(w, "message", g->problem[i].msg);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	if (g->ndropped)
		jw_ku64(w, "problems_not_listed", g->ndropped);
}

static void json_part(struct jw *w, const struct gpt *g, uint32_t slot)
{
	const struct gpt_part *p = &g->part[slot];
	char guid[GPT_GUID_STR], name[GPT_NAME_UTF8_MAX];
	jw_obj(w);
	jw_ku64(w, "number", slot + 1);
	jw_ku64(w, "start", p->first_lba);
	jw_ku64(w, "end", p->last_lba);
	jw_ku64(w, "size", part_lbas(p));
	json_bytes(w, "start_bytes", p->first_lba, g->sector);
	json_bytes(w, "size_bytes", part_lbas(p), g->sector);
	jw_kstr(w, "type", gpt_guid_fmt(&p->type, guid));
	jw_kstr(w, "type_name", gpt_type_name(&p->type));
	jw_kstr(w, "uuid", gpt_guid_fmt(&p->guid, guid));
	gpt_name_to_utf8(p->name, name);
	jw_kstr(w, "name", name);
	jw_ku64(w, "attrs", p->attrs);
	jw_key(w, "attr_names");
	attr_names_json(w, p->attrs);
	jw_obj_end(w);
}

static void json_free_space(struct jw *w, const struct gpt *g)
{
	struct gpt_gap *gaps = calloc((size_t)g->nused + 1, sizeof(*gaps));
	size_t n = gaps ? gpt_gaps(g, gaps, (size_t)g->nused + 1) : 0;
	jw_key(w, "free");
	jw_arr(w);
	for (size_t i = 0; i < n; i++) {
		struct gpt_gap al;
		bool usable = gpt_gap_aligned(g, &gaps[i], &al);
		jw_obj(w);
		jw_ku64(w, "start", gaps[i].first_lba);
		jw_ku64(w, "end", gaps[i].last_lba);
		jw_ku64(w, "size_bytes", (gaps[i].last_lba - gaps[i].first_lba + 1) * g->sector);
		jw_ku64(w, "aligned_start", usable ? al.first_lba : 0);
		jw_ku64(w, "aligned_size_bytes",
			usable ? (al.last_lba - al.first_lba + 1) * g->sector : 0);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	free(gaps);
}

/* MBR records as sfdisk --json shows a DOS table's: the type in hex. */
static void json_mbr_parts(struct jw *w, const char *key, const struct mbr *m)
{
	static const char *const role[] = { [MBR_PRIMARY] = "primary", [MBR_EXTENDED] = "extended",
					    [MBR_LOGICAL] = "logical" };
	jw_key(w, key);
	jw_arr(w);
	for (unsigned i = 0; i < m->nparts; i++) {
		const struct mbr_part *p = &m->part[i];
		char type[4];
		snprintf(type, sizeof(type), "%x", p->type);
		jw_obj(w);
		jw_ku64(w, "number", p->number);
		jw_kstr(w, "role", role[p->role]);
		jw_ku64(w, "start", p->start);
		jw_ku64(w, "end", p->sectors ? p->start + p->sectors - 1 : p->start);
		jw_ku64(w, "size", p->sectors);
		jw_ku64(w, "start_bytes", p->start * m->sector);
		jw_ku64(w, "size_bytes", p->sectors * m->sector);
		jw_kstr(w, "type", type);
		jw_kstr(w, "type_name", mbr_type_name(p->type));
		jw_kbool(w, "bootable", p->status == 0x80);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/* Opens a table's object with what every label has. */
static void json_disk(struct jw *w, const struct ctx *c, const char *label, unsigned sector,
		      uint64_t lbas, const char *id)
{
	jw_obj(w);
	jw_kstr(w, "device", c->path);
	jw_kstr(w, "label", label);
	jw_ku64(w, "sector_size", sector);
	jw_ku64(w, "sectors", lbas);
	jw_ku64(w, "size_bytes", c->d.size);
	jw_kstr(w, "id", id);
}

/* A DOS table on its own (no GPT): read only, as `sfdisk --json` has it. */
static void json_mbr_table(struct jw *w, const struct ctx *c)
{
	const struct mbr *m = c->m;
	char id[16];
	snprintf(id, sizeof(id), "0x%08x", m->disk_id);
	json_disk(w, c, "dos", m->sector, m->lbas, id);
	jw_kstr(w, "mbr", mbr_kind((enum gpt_mbr)m->kind));
	json_mbr_parts(w, "partitions", m);
	jw_key(w, "problems");
	jw_arr(w);
	for (unsigned i = 0; i < m->nproblems; i++) {
		jw_obj(w);
		jw_kstr(w, "kind", "mbr");
		jw_kstr(w, "message", m->problem[i]);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

/* The table as one JSON object: the disk, then partitions in number
 * order, free gaps and problems. Sectors are logical sectors. */
static void json_table(struct jw *w, const struct ctx *c)
{
	const struct gpt *g = &c->g;
	char guid[GPT_GUID_STR];
	json_disk(w, c, "gpt", g->sector, g->lbas, gpt_guid_fmt(&g->disk_guid, guid));
	jw_ku64(w, "firstlba", g->first_usable);
	jw_ku64(w, "lastlba", g->last_usable);
	jw_ku64(w, "entries", g->nentries);
	jw_ku64(w, "entry_size", g->entry_size);
	jw_ku64(w, "primary_entries_lba", g->primary_entries_lba);
	jw_ku64(w, "backup_lba", g->backup_lba);
	jw_ku64(w, "backup_entries_lba", g->backup_entries_lba);
	jw_kbool(w, "primary_ok", g->primary_ok);
	jw_kbool(w, "backup_ok", g->backup_ok);
	jw_kstr(w, "mbr", mbr_kind(g->mbr));
	if (c->m) {
		json_mbr_parts(w, "mbr_partitions", c->m);
		jw_key(w, "mbr_problems");
		jw_arr(w);
		for (unsigned i = 0; i < c->m->nproblems; i++)
			jw_str(w, c->m->problem[i]);
		jw_arr_end(w);
	}
	jw_key(w, "partitions");
	jw_arr(w);
	for (uint32_t i = 0; i < g->nentries; i++)
		if (gpt_part_used(&g->part[i]))
			json_part(w, g, i);
	jw_arr_end(w);
	json_free_space(w, g);
	json_problems(w, g);
	jw_obj_end(w);
}

static void text_problems(const struct gpt *g)
{
	for (unsigned i = 0; i < g->nproblems; i++)
		printf("problem: %s\n", g->problem[i].msg);
	if (g->ndropped)
		printf("problem: ... and %u more\n", g->ndropped);
}

/* One line per MBR record, each line starting with lead. */
static void text_mbr_rows(const struct mbr *m, const char *lead)
{
	char b1[32];
	printf("%s%3s %4s %11s %11s %10s  %s\n", lead, "#", "Boot", "Start", "End", "Size", "Type");
	for (unsigned i = 0; i < m->nparts; i++) {
		const struct mbr_part *p = &m->part[i];
		const char *name = mbr_type_name(p->type);
		printf("%s%3u %4s %11llu %11llu %10s  %02x %s%s\n", lead, p->number,
		       p->status == 0x80 ? "*" : "", (unsigned long long)p->start,
		       (unsigned long long)(p->sectors ? p->start + p->sectors - 1 : p->start),
		       fmt_size(p->sectors * m->sector, b1, sizeof(b1)), p->type, name ? name : "unknown",
		       p->role == MBR_LOGICAL ? " (logical)" : "");
	}
	for (unsigned i = 0; i < m->nproblems; i++)
		printf("%sproblem: %s\n", lead, m->problem[i]);
	if (m->ndropped)
		printf("%sproblem: ... and %u more\n", lead, m->ndropped);
}

static void text_mbr_table(const struct ctx *c)
{
	const struct mbr *m = c->m;
	char b1[32];
	printf("%s: MBR (DOS) partition table%s, %llu sectors of %u bytes (%s), disk identifier "
	       "0x%08x\n", c->path, m->kind == MBR_HYBRID ? " with a 0xEE entry but no valid GPT" : "",
	       (unsigned long long)m->lbas, m->sector, fmt_size(c->d.size, b1, sizeof(b1)),
	       m->disk_id);
	text_mbr_rows(m, "");
}

static void text_table(const struct ctx *c)
{
	const struct gpt *g = &c->g;
	char b1[32], guid[GPT_GUID_STR], tguid[GPT_GUID_STR], name[SHOWN_NAME_MAX], attrs[160];
	printf("%s: GPT, %llu sectors of %u bytes (%s), disk GUID %s\n", c->path,
	       (unsigned long long)g->lbas, g->sector, fmt_size(c->d.size, b1, sizeof(b1)),
	       gpt_guid_fmt(&g->disk_guid, guid));
	printf("usable LBA %llu-%llu, %u entries, backup header at LBA %llu, %s MBR\n",
	       (unsigned long long)g->first_usable, (unsigned long long)g->last_usable,
	       g->nentries, (unsigned long long)g->backup_lba, mbr_kind(g->mbr));
	if (c->m && c->m->nparts)
		text_mbr_rows(c->m, "mbr ");
	printf("%3s %11s %11s %10s  %-17s %-36s  %s\n", "#", "Start", "End", "Size", "Type",
	       "Partition GUID", "Name");
	for (uint32_t i = 0; i < g->nentries; i++) {
		const struct gpt_part *p = &g->part[i];
		if (!gpt_part_used(p))
			continue;
		part_name(p, name);
		attrs_text(p->attrs, attrs, sizeof(attrs));
		printf("%3u %11llu %11llu %10s  %-17s %-36s  %s%s\n", i + 1,
		       (unsigned long long)p->first_lba, (unsigned long long)p->last_lba,
		       size_text(part_lbas(p), g->sector, b1, sizeof(b1)), type_label(p, tguid),
		       gpt_guid_fmt(&p->guid, guid), name, attrs);
	}
	struct gpt_gap *gaps = calloc((size_t)g->nused + 1, sizeof(*gaps));
	size_t n = gaps ? gpt_gaps(g, gaps, (size_t)g->nused + 1) : 0;
	for (size_t i = 0; i < n; i++)
		printf("free: LBA %llu-%llu (%s)\n", (unsigned long long)gaps[i].first_lba,
		       (unsigned long long)gaps[i].last_lba,
		       fmt_size((gaps[i].last_lba - gaps[i].first_lba + 1) * g->sector, b1,
				sizeof(b1)));
	free(gaps);
	text_problems(g);
}

static void json_plan(struct jw *w, const struct gpt_plan *p, unsigned sector)
{
	jw_key(w, "writes");
	jw_arr(w);
	for (unsigned i = 0; i < p->n; i++) {
		jw_obj(w);
		jw_kstr(w, "what", p->io[i].what);
		jw_ku64(w, "lba", p->io[i].lba);
		jw_ku64(w, "sectors", p->io[i].count);
		jw_ku64(w, "bytes", p->io[i].count * sector);
		jw_kbool(w, "flush_after", p->io[i].sync_after);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void text_plan(const struct ctx *c, const struct gpt_plan *p)
{
	printf("%s: dry run, would write in this order:\n", c->path);
	for (unsigned i = 0; i < p->n; i++) {
		const struct gpt_io *io = &p->io[i];
		char lbas[48];
		if (io->count == 1)
			snprintf(lbas, sizeof(lbas), "LBA %llu", (unsigned long long)io->lba);
		else
			snprintf(lbas, sizeof(lbas), "LBA %llu-%llu", (unsigned long long)io->lba,
				 (unsigned long long)(io->lba + io->count - 1));
		printf("  %-20s %-16s %8llu bytes%s\n", lbas, io->what,
		       (unsigned long long)(io->count * c->g.sector),
		       io->sync_after ? ", then flush" : "");
	}
}

/* ---- opening ---------------------------------------------------------------- */

static int sector_option(struct ctx *c, unsigned *sector)
{
	uint64_t v;
	if (opt_u64(&c->a, O_SECTOR, 0, 512, 4096, &v))
		return -1;
	if (v && v != 512 && v != 4096) {
		opt_bad_value("--sector-size: %llu is not 512 or 4096", (unsigned long long)v);
		return -1;
	}
	*sector = (unsigned)v;
	return 0;
}

/* Image files: the sector size given, else the one their GPT was written
 * with. Block devices: their own, which --sector-size may only confirm. */
static int fix_sector(struct ctx *c, unsigned given)
{
	if (c->d.is_blockdev) {
		if (given && given != c->d.lsec) {
			bb_err("%s: the device has %u-byte sectors; --sector-size is for image files",
			       c->path, c->d.lsec);
			return -1;
		}
		return 0;
	}
	c->d.lsec = given ? given : gpt_guess_sector(c->d.fd, c->d.size);
	return 0;
}

static int open_read(struct ctx *c)
{
	unsigned given;
	struct bb_error e;
	if (sector_option(c, &given))
		return -1;
	if (disk_open(&c->d, c->path, 0, given, &e)) {
		bb_report(&e);
		return -1;
	}
	return fix_sector(c, given);
}

/* Refuse to rewrite what something else is using, and a partition, which
 * has no partition table of its own. --force lets a table be edited while
 * some of its partitions are in use, as long as the edit keeps those
 * (keeps_in_use); it never overrides a disk that is itself in use. */
static int check_not_busy(struct ctx *c)
{
	struct claim cl;
	claim_check(&sysroot_default, c->path, 0, &cl);
	if (cl.is_blockdev && cl.partno) {
		bb_err("%s: %s is a partition, not a whole disk; refusing to write a partition "
		       "table in it", c->path, cl.name);
		return -1;
	}
	if (cl.state == CLAIM_FREE)
		return 0;
	if (!c->force) {
		bb_err("%s: %s; refusing to rewrite its partition table (--force edits it while "
		       "keeping the partitions in use)", c->path, cl.why);
		return -1;
	}
	if (!(c->in_use = malloc(sizeof(*c->in_use)))) {
		bb_err("%s: out of memory", c->path);
		return -1;
	}
	if (claim_busy_parts(&sysroot_default, c->path, c->in_use, &cl)) {
		bb_err("%s: %s; refusing to rewrite its partition table (in use: --force does not "
		       "override that)", c->path, cl.why);
		return -1;
	}
	return 0;
}

/* With --force on a disk in use: every partition in use must stay as the
 * kernel has it, same number and start, not smaller (growing is online
 * growth, which the kernel takes while mounted). */
static int keeps_in_use(const struct ctx *c, const struct gpt *g)
{
	for (size_t i = 0; c->in_use && i < c->in_use->n; i++) {
		const struct claim_part *u = &c->in_use->part[i];
		const struct gpt_part *p = c->raw || (uint32_t)u->partno > g->nentries
						   ? NULL
						   : &g->part[u->partno - 1];
		uint64_t sector = g->sector, first = 0, bytes = 0;
		bool kept = p && gpt_part_used(p) &&
			    !mul_overflow_u64(p->first_lba, sector, &first) && first == u->start &&
			    p->last_lba >= p->first_lba &&
			    !mul_overflow_u64(p->last_lba - p->first_lba + 1, sector, &bytes) &&
			    bytes >= u->size;
		if (!kept) {
			bb_err("%s: %s; refusing a table that moves, shrinks or removes partition %d "
			       "(--force does not override a partition in use)",
			       c->path, u->why, u->partno);
			return -1;
		}
	}
	return 0;
}

static int open_write(struct ctx *c)
{
	unsigned given;
	if (sector_option(c, &given) || check_not_busy(c))
		return -1;
	unsigned flags = (c->dry ? 0 : DISK_WRITE) | (c->force ? 0 : DISK_EXCL);
	struct bb_error e;
	if (disk_open(&c->d, c->path, flags, given, &e)) {
		bb_report(&e);
		return -1;
	}
	return fix_sector(c, given);
}

/* Whether an image holds a GPT written with the other sector size. */
static bool other_sector_size(const struct ctx *c)
{
	struct gpt g;
	bool found = !c->d.is_blockdev &&
		     gpt_read(&g, c->d.fd, c->d.size, c->d.lsec == 512 ? 4096 : 512) == 0;
	gpt_free(&g);
	return found;
}

/* Read the table, the model from the copy named; a missing or unreadable
 * one is an error. */
static int read_table_from(struct ctx *c, enum gpt_source from)
{
	int rc = gpt_read_from(&c->g, c->d.fd, c->d.size, c->d.lsec, from);
	if (rc == 0)
		return 0;
	bb_err("%s: %s%s", c->path, c->g.err.msg,
	       rc == GPT_NOTFOUND && other_sector_size(c)
		       ? (c->d.lsec == 512 ? " (it has one for 4096-byte sectors)"
					   : " (it has one for 512-byte sectors)")
		       : "");
	return -1;
}

static int read_table(struct ctx *c) { return read_table_from(c, GPT_FROM_EITHER); }

/* Edits start from a table whose copies are sound: repairs are only ever
 * made by 'gpt fix', where the user asked for them. */
static int read_table_to_edit(struct ctx *c)
{
	if (open_write(c) || read_table(c))
		return -1;
	if (!gpt_writable(&c->g))
		return 0;
	bb_err("%s: %s; 'gpt fix' repairs it", c->path, c->g.err.msg);
	return -1;
}

/* ---- writing ------------------------------------------------------------------ */

/* After writing: the table must read back with both copies valid. */
static int read_back(struct ctx *c)
{
	struct gpt chk;
	int rc = gpt_read(&chk, c->d.fd, c->d.size, c->d.lsec);
	for (unsigned i = 0; rc == 0 && i < chk.nproblems; i++)
		if (chk.problem[i].kind != GPT_P_PART)
			rc = -1, bb_error_set(&chk.err, EIO, "%s", chk.problem[i].msg);
	if (rc)
		bb_err("%s: the table written does not read back clean: %s", c->path, chk.err.msg);
	gpt_free(&chk);
	return rc ? -1 : 0;
}

static void report(struct ctx *c, const char *action, int number, const struct gpt_plan *p,
		   const char *done)
{
	if (c->json) {
		struct jw w;
		jw_init(&w, stdout, true);
		jw_obj(&w);
		jw_kstr(&w, "device", c->path);
		jw_kstr(&w, "action", action);
		if (number > 0)
			jw_ku64(&w, "partition", (uint64_t)number);
		jw_kbool(&w, "dry_run", c->dry);
		json_plan(&w, p, c->g.sector);
		jw_key(&w, "table");
		if (c->raw)
			jw_null(&w);
		else
			json_table(&w, c);
		jw_obj_end(&w);
		jw_end(&w);
		return;
	}
	if (c->dry) {
		text_plan(c, p);
		if (!c->raw) {
			printf("resulting table:\n");
			text_table(c);
		}
	} else {
		printf("%s: %s\n", c->path, done);
	}
}

/* Write (or with --dry-run only show) what the model now holds. */
static int commit(struct ctx *c, const char *action, int number, const char *done)
{
	struct gpt_plan p;
	if (gpt_plan(&c->g, &p)) {
		bb_err("%s: %s", c->path, c->g.err.msg);
		return 1;
	}
	int rc = 0;
	if (keeps_in_use(c, &c->g)) {
		gpt_plan_free(&p);
		return 1;
	}
	if (!c->dry) {
		if (gpt_plan_apply(&p, c->d.fd, c->g.sector, &c->g.err)) {
			bb_err("%s: %s", c->path, c->g.err.msg);
			gpt_plan_free(&p);
			return 1;
		}
		rc = read_back(c) ? 1 : 0;
		struct bb_error e;
		if (!rc && c->d.is_blockdev && gpt_sync_kernel(&c->g, c->d.fd, c->d.rdev, &e))
			bb_warn("%s: %s", c->path, e.msg);
	}
	if (!rc)
		report(c, action, number, &p, done);
	gpt_plan_free(&p);
	return rc;
}

/* ---- commands ------------------------------------------------------------------ */

/* LBA 0 as a DOS table, for show. */
static int read_mbr(struct ctx *c)
{
	struct bb_error e;
	if (!(c->m = malloc(sizeof(*c->m)))) {
		bb_err("%s: out of memory", c->path);
		return -1;
	}
	if (mbr_read(c->m, c->d.fd, c->d.size, c->d.lsec, &e)) {
		bb_error_prefix(&e, "%s", c->path);
		bb_report(&e);
		return -1;
	}
	return 0;
}

static int cmd_show(void *vc, const struct bb_args *a)
{
	struct ctx *c = vc;
	(void)a;
	if (open_read(c) || read_mbr(c))
		return 1;
	/* An MBR partition table and no GPT: the DOS table, read only. */
	bool dos = (c->m->kind == MBR_DOS || c->m->kind == MBR_HYBRID) &&
		   gpt_read(&c->g, c->d.fd, c->d.size, c->d.lsec) == GPT_NOTFOUND;
	gpt_free(&c->g);
	if (!dos && read_table(c))
		return 1;
	if (c->json) {
		struct jw w;
		jw_init(&w, stdout, true);
		if (dos)
			json_mbr_table(&w, c);
		else
			json_table(&w, c);
		jw_end(&w);
	} else if (dos) {
		text_mbr_table(c);
	} else {
		text_table(c);
	}
	return 0;
}

static int cmd_verify(void *vc, const struct bb_args *a)
{
	struct ctx *c = vc;
	(void)a;
	if (open_read(c))
		return 1;
	int rc = gpt_read(&c->g, c->d.fd, c->d.size, c->d.lsec);
	if (rc < 0) {
		bb_err("%s: %s", c->path, c->g.err.msg);
		return 1;
	}
	bool clean = rc == 0 && !c->g.nproblems;
	if (c->json) {
		struct jw w;
		jw_init(&w, stdout, true);
		jw_obj(&w);
		jw_kstr(&w, "device", c->path);
		jw_kbool(&w, "ok", clean);
		jw_kstr(&w, "error", rc ? c->g.err.msg : NULL);
		json_problems(&w, &c->g);
		jw_obj_end(&w);
		jw_end(&w);
	} else if (rc) {
		printf("%s: %s\n", c->path, c->g.err.msg);
	} else if (clean) {
		printf("%s: no problems found (%u partition%s)\n", c->path, c->g.nused,
		       c->g.nused == 1 ? "" : "s");
	} else {
		text_problems(&c->g);
		printf("%s: %u problem%s found\n", c->path, c->g.nproblems + c->g.ndropped,
		       c->g.nproblems + c->g.ndropped == 1 ? "" : "s");
	}
	return clean ? 0 : 1;
}

/* What is on the disk that a new table would hide: "" when nothing. A
 * probe that fails (two signatures, a read error) counts as something:
 * only a disk known to be blank is written without --force. */
static void existing_content(struct ctx *c, char *what, size_t len)
{
	struct gpt old;
	int rc = gpt_read(&old, c->d.fd, c->d.size, c->d.lsec);
	what[0] = 0;
	if (rc == 0)
		snprintf(what, len, "it has a GPT with %u partition%s", old.nused,
			 old.nused == 1 ? "" : "s");
	else if (old.mbr == GPT_MBR_FOREIGN || old.mbr == GPT_MBR_HYBRID)
		snprintf(what, len, "it has an MBR partition table");
	else if (rc == GPT_NOTFOUND && old.signature)
		snprintf(what, len, "it has a GPT whose copies are both damaged");
	gpt_free(&old);
	struct claim cl;
	if (!what[0] && claim_content(c->path, &cl) != CLAIM_FREE)
		snprintf(what, len, "%s", cl.why);
}

static int cmd_create(void *vc, const struct bb_args *a)
{
	struct ctx *c = vc;
	(void)a;
	unsigned given;
	if (sector_option(c, &given) || open_write(c))
		return 1;
	char what[420] = "";
	if (!c->force)
		existing_content(c, what, sizeof(what));
	if (what[0]) {
		bb_err("%s: %s; refusing to replace it (--force overrides)", c->path, what);
		return 1;
	}
	if (!c->d.is_blockdev && !given)
		c->d.lsec = 512; /* a new table on an image: 512 unless told */
	if (gpt_init(&c->g, c->d.size, c->d.lsec, 0)) {
		bb_err("%s: %s", c->path, c->g.err.msg);
		return 1;
	}
	const char *guid = opt_str(&c->a, O_GUID, NULL);
	if (guid && gpt_guid_parse(guid, &c->g.disk_guid)) {
		opt_bad_value("--guid: '%s' is not a GUID", guid);
		return 1;
	}
	char done[200], gs[GPT_GUID_STR];
	snprintf(done, sizeof(done), "created an empty GPT, disk GUID %s, usable LBA %llu-%llu",
		 gpt_guid_fmt(&c->g.disk_guid, gs), (unsigned long long)c->g.first_usable,
		 (unsigned long long)c->g.last_usable);
	return commit(c, "create", 0, done);
}

/* "2048s" is sectors; anything else bytes for parse_size(). */
static int parse_offset(struct ctx *c, const char *s, uint64_t *lba)
{
	size_t n = strlen(s);
	const char *why = "not an offset";
	uint64_t bytes;
	if (n > 1 && s[n - 1] == 's' && strspn(s, "0123456789") == n - 1) {
		char digits[32]; /* without the 's'; longer is past 2^64 anyway */
		snprintf(digits, sizeof(digits), "%.*s", (int)(n - 1), s);
		if (n > sizeof(digits) || num_dec_u64(digits, 0, UINT64_MAX, lba, NULL))
			why = "too large";
		else if (*lba)
			return 0;
		else
			why = "LBA 0 holds the MBR";
	} else if (!parse_size(s, 0, &bytes, &why)) {
		if (bytes % c->g.sector)
			why = "not a whole number of sectors";
		else if (!(*lba = bytes / c->g.sector))
			why = "LBA 0 holds the MBR";
		else
			return 0;
	}
	opt_bad_value("--start: '%s': %s", s, why);
	return -1;
}

/* --size in bytes; 0 for "rest", the default. */
static int size_option(struct ctx *c, uint64_t *bytes)
{
	const char *s = opt_str(&c->a, O_SIZE, "rest"), *why;
	*bytes = 0;
	if (!strcmp(s, "rest"))
		return 0;
	if (parse_size(s, c->d.size, bytes, &why)) {
		opt_bad_value("--size: '%s': %s", s, why);
		return -1;
	}
	/* A share of the disk is approximate anyway: whole MiBs keep whatever
	 * follows aligned. */
	if (strchr(s, '%') && *bytes >= GPT_ALIGN_BYTES)
		*bytes -= *bytes % GPT_ALIGN_BYTES;
	if (!*bytes) {
		opt_bad_value("--size: a partition needs at least one sector");
		return -1;
	}
	return 0;
}

static int add_request(struct ctx *c, struct gpt_new *n)
{
	const struct bb_args *a = &c->a;
	const char *s, *why;
	memset(n, 0, sizeof(*n));
	if ((s = opt_str(a, O_TYPE, NULL)) && gpt_type_parse(s, &n->type)) {
		opt_bad_value("--type: '%s' is neither a known type (see 'gpt types') nor a GUID", s);
		return -1;
	}
	if ((s = opt_str(a, O_GUID, NULL)) && gpt_guid_parse(s, &n->guid)) {
		opt_bad_value("--guid: '%s' is not a GUID", s);
		return -1;
	}
	if ((s = opt_str(a, O_ATTRS, NULL)) && gpt_attr_parse(s, &n->attrs, &why)) {
		opt_bad_value("--attrs: '%s': %s", s, why);
		return -1;
	}
	if (size_option(c, &n->size))
		return -1;
	if ((s = opt_str(a, O_START, NULL)) && parse_offset(c, s, &n->start_lba))
		return -1;
	uint64_t num;
	if (opt_u64(a, O_NUMBER, 0, 1, UINT32_MAX, &num))
		return -1;
	n->number = (unsigned)num;
	n->name = opt_str(a, O_NAME, NULL);
	return 0;
}

static int cmd_add(void *vc, const struct bb_args *a)
{
	struct ctx *c = vc;
	(void)a;
	struct gpt_new n;
	if (read_table_to_edit(c))
		return 1;
	if (add_request(c, &n))
		return 1;
	int num = gpt_add(&c->g, &n);
	if (num < 0) {
		bb_err("%s: %s", c->path, c->g.err.msg);
		return 1;
	}
	const struct gpt_part *p = &c->g.part[num - 1];
	char done[600], size[32], tg[GPT_GUID_STR], name[SHOWN_NAME_MAX];
	part_name(p, name);
	snprintf(done, sizeof(done), "added partition %d: LBA %llu-%llu (%s), %s \"%s\"", num,
		 (unsigned long long)p->first_lba, (unsigned long long)p->last_lba,
		 fmt_size(part_lbas(p) * c->g.sector, size, sizeof(size)), type_label(p, tg), name);
	return commit(c, "add", num, done);
}

static int parse_number(const char *s, unsigned *num)
{
	uint64_t v;
	if (num_u64(s, 1, UINT32_MAX, &v, NULL)) {
		bb_err("'%s' is not a partition number", s);
		return -1;
	}
	*num = (unsigned)v;
	return 0;
}

static int cmd_delete(void *vc, const struct bb_args *a)
{
	struct ctx *c = vc;
	(void)a;
	unsigned num;
	if (parse_number(a->argv[1], &num) || read_table_to_edit(c))
		return 1;
	if (gpt_delete(&c->g, num)) {
		bb_err("%s: %s", c->path, c->g.err.msg);
		return 1;
	}
	char done[64];
	snprintf(done, sizeof(done), "deleted partition %u", num);
	return commit(c, "delete", (int)num, done);
}

static int cmd_rename(void *vc, const struct bb_args *a)
{
	struct ctx *c = vc;
	(void)a;
	unsigned num;
	const char *name = a->argv[2];
	if (parse_number(a->argv[1], &num) || read_table_to_edit(c))
		return 1;
	if (gpt_rename(&c->g, num, name)) {
		bb_err("%s: %s", c->path, c->g.err.msg);
		return 1;
	}
	char done[200];
	snprintf(done, sizeof(done), "renamed partition %u to \"%s\"", num, name);
	return commit(c, "rename", (int)num, done);
}

/* The fields change sets, read before anything is touched: a bad value
 * leaves the table as it was. */
struct change {
	bool type, guid, attrs;
	struct gpt_guid type_v, guid_v;
	uint64_t attrs_v;
};

static int change_request(const struct bb_args *a, struct change *ch)
{
	const char *s, *why;
	memset(ch, 0, sizeof(*ch));
	if ((s = opt_str(a, O_TYPE, NULL)) && gpt_type_parse(s, &ch->type_v)) {
		opt_bad_value("--type: '%s' is neither a known type (see 'gpt types') nor a GUID", s);
		return -1;
	}
	if ((s = opt_str(a, O_GUID, NULL)) &&
	    (gpt_guid_parse(s, &ch->guid_v) || gpt_guid_is_zero(&ch->guid_v))) {
		opt_bad_value("--guid: '%s' is not a GUID (nor may it be all zero)", s);
		return -1;
	}
	if ((s = opt_str(a, O_ATTRS, NULL)) && s[0] && gpt_attr_parse(s, &ch->attrs_v, &why)) {
		opt_bad_value("--attrs: '%s': %s", s, why);
		return -1;
	}
	ch->type = opt_on(a, O_TYPE);
	ch->guid = opt_on(a, O_GUID);
	ch->attrs = opt_on(a, O_ATTRS);
	if (!ch->type && !ch->guid && !ch->attrs && !opt_on(a, O_NAME)) {
		opt_bad_value("change: nothing to change (--type, --name, --attrs, --guid)");
		return -1;
	}
	return 0;
}

static int cmd_change(void *vc, const struct bb_args *a)
{
	struct ctx *c = vc;
	unsigned num;
	struct change ch;
	if (parse_number(a->argv[1], &num) || change_request(a, &ch) || read_table_to_edit(c))
		return 1;
	/* rename checks that the partition exists, and the name */
	const char *name = opt_str(a, O_NAME, NULL);
	struct gpt_part *p = num <= c->g.nentries ? &c->g.part[num - 1] : NULL;
	if (!p || !gpt_part_used(p) || (name && gpt_rename(&c->g, num, name))) {
		bb_err("%s: %s", c->path, p && gpt_part_used(p) ? c->g.err.msg : "no such partition");
		return 1;
	}
	if (ch.type)
		p->type = ch.type_v;
	if (ch.guid)
		p->guid = ch.guid_v;
	if (ch.attrs)
		p->attrs = ch.attrs_v;
	char done[64];
	snprintf(done, sizeof(done), "changed partition %u", num);
	return commit(c, "change", (int)num, done);
}

static int from_option(const struct bb_args *a, enum gpt_source *from)
{
	const char *s = opt_str(a, O_FROM, NULL);
	*from = GPT_FROM_EITHER;
	if (!s)
		return 0;
	if (!strcmp(s, "primary") || !strcmp(s, "backup")) {
		*from = s[0] == 'p' ? GPT_FROM_PRIMARY : GPT_FROM_BACKUP;
		return 0;
	}
	opt_bad_value("--from: '%s' is not primary or backup", s);
	return -1;
}

static const char *lba_range(const struct ctx *c, uint64_t first, uint64_t last, char *buf,
			     size_t len)
{
	char sz[32];
	snprintf(buf, len, "LBA %llu-%llu (%s)", (unsigned long long)first,
		 (unsigned long long)last, fmt_size((last - first + 1) * c->g.sector, sz, sizeof(sz)));
	return buf;
}

static int cmd_resize(void *vc, const struct bb_args *a)
{
	struct ctx *c = vc;
	unsigned num;
	uint64_t bytes, old_last;
	if (parse_number(a->argv[1], &num) || read_table_to_edit(c) || size_option(c, &bytes))
		return 1;
	uint64_t sectors = bytes / c->g.sector + (bytes % c->g.sector != 0);
	if (gpt_resize(&c->g, num, sectors, &old_last)) {
		bb_err("%s: %s", c->path, c->g.err.msg);
		return 1;
	}
	const struct gpt_part *p = &c->g.part[num - 1];
	char was[80], now[80], cut[32];
	lba_range(c, p->first_lba, old_last, was, sizeof(was));
	lba_range(c, p->first_lba, p->last_lba, now, sizeof(now));
	if (p->last_lba == old_last) {
		if (c->json) {
			struct gpt_plan none = { .n = 0 };
			report(c, "resize", (int)num, &none, NULL);
		} else {
			printf("%s: partition %u already has that size: %s\n", c->path, num, was);
		}
		return 0;
	}
	if (p->last_lba < old_last && !c->force) {
		bb_err("%s: shrinking partition %u to %s cuts off its last %s, and with them whatever a "
		       "filesystem keeps there (shrink the filesystem first; --force shrinks)",
		       c->path, num, now, fmt_size((old_last - p->last_lba) * c->g.sector, cut, sizeof(cut)));
		return 1;
	}
	char done[200];
	snprintf(done, sizeof(done), "resized partition %u from %s to %s", num, was, now);
	return commit(c, "resize", (int)num, done);
}

static int cmd_fix(void *vc, const struct bb_args *a)
{
	struct ctx *c = vc;
	enum gpt_source from;
	if (from_option(a, &from) || open_write(c) || read_table_from(c, from))
		return 1;
	struct gpt_problem before[GPT_MAX_PROBLEMS];
	unsigned nbefore = c->g.nproblems;
	memcpy(before, c->g.problem, sizeof(before));
	/* Two sound copies that disagree: only the user knows which is right
	 * (core would keep the primary, as readers do). */
	if (c->g.differ && from == GPT_FROM_EITHER) {
		bb_err("%s: the primary and backup copies are both valid but differ in their %s; "
		       "which one to keep must be said (--from primary or --from backup)", c->path,
		       c->g.differ);
		return 1;
	}
	int n = gpt_fix(&c->g, c->force);
	if (n < 0) {
		bb_err("%s: %s%s", c->path, c->g.err.msg,
		       gpt_has_problem(&c->g, GPT_P_MBR_FOREIGN) ? " (--force replaces it)" : "");
		return 1;
	}
	/* Asked for by name, the other copy is rebuilt even when sound. */
	const char *done = from == GPT_FROM_EITHER ? "repaired"
			   : from == GPT_FROM_PRIMARY ? "rebuilt the backup copy from the primary"
						      : "rebuilt the primary copy from the backup";
	int rc = 0;
	if (n > 0 && !c->json)
		for (unsigned i = 0; i < nbefore; i++)
			if (before[i].kind != GPT_P_PART)
				printf("%s: %s\n", c->dry ? "would repair" : "repairing", before[i].msg);
	if (n > 0 || from != GPT_FROM_EITHER) {
		rc = commit(c, "fix", 0, done);
	} else if (c->json) {
		struct gpt_plan none = { .n = 0 };
		report(c, "fix", 0, &none, NULL);
	} else {
		printf("%s: nothing to repair\n", c->path);
	}
	if (!rc && c->g.nproblems) {
		if (!c->json)
			for (unsigned i = 0; i < c->g.nproblems; i++)
				printf("not repaired: %s\n", c->g.problem[i].msg);
		bb_err("%s: partition problems remain; delete or recreate the partitions named",
		       c->path);
		rc = 1;
	}
	return rc;
}

/* Copies that could not be restored as they are: a backup of them is
 * refused, and so is a backup file holding them. */
static const char *unsound_copy(const struct gpt *g)
{
	for (unsigned i = 0; i < g->nproblems; i++)
		if (g->problem[i].kind != GPT_P_PART && g->problem[i].kind != GPT_P_MBR &&
		    g->problem[i].kind != GPT_P_MBR_FOREIGN)
			return g->problem[i].msg;
	return NULL;
}

/* Write buf to path aside: a crash leaves the old file or the new one;
 * an existing file is replaced only when replace (else: hint). */
static int save_file(const char *path, const uint8_t *buf, size_t len, bool replace,
		     const char *hint)
{
	struct aside as;
	if (!replace && path_exists(path)) {
		bb_err("%s exists; refusing to replace it (%s)", path, hint);
		return -1;
	}
	if (aside_open(&as, path, 0600) || write_full(as.fd, buf, len)) {
		bb_perr("writing %s", path);
		if (as.fd >= 0)
			aside_abort(&as);
		return -1;
	}
	if (replace ? aside_commit(&as) : aside_commit_new(&as)) {
		bb_perr("writing %s", path);
		return -1;
	}
	return 0;
}

static int write_backup(const struct gpt_backup *b, const char *path, bool replace,
			const char *hint)
{
	struct bb_error e;
	size_t len;
	uint8_t *f = gpt_backup_encode(b, &len, &e);
	if (!f) {
		bb_report(&e);
		return -1;
	}
	int rc = save_file(path, f, len, replace, hint);
	free(f);
	return rc;
}

static int cmd_backup(void *vc, const struct bb_args *a)
{
	struct ctx *c = vc;
	const char *file = a->argv[1];
	if (open_read(c) || read_table(c))
		return 1;
	const char *bad = unsound_copy(&c->g);
	if (bad) {
		bb_err("%s: %s; 'gpt fix' first: a backup of this could not be restored", c->path, bad);
		return 1;
	}
	struct gpt_backup b;
	struct bb_error e;
	if (gpt_backup_take(&c->g, c->d.fd, &b, &e)) {
		bb_error_prefix(&e, "%s", c->path);
		bb_report(&e);
		return 1;
	}
	int rc = write_backup(&b, file, c->force, "--force replaces it") ? 1 : 0;
	gpt_backup_free(&b);
	if (rc)
		return rc;
	char guid[GPT_GUID_STR], sz[32];
	gpt_guid_fmt(&c->g.disk_guid, guid);
	if (c->json) {
		struct jw w;
		jw_init(&w, stdout, true);
		jw_obj(&w);
		jw_kstr(&w, "device", c->path);
		jw_kstr(&w, "action", "backup");
		jw_kstr(&w, "file", file);
		jw_kstr(&w, "id", guid);
		jw_ku64(&w, "sector_size", c->g.sector);
		jw_ku64(&w, "sectors", c->g.lbas);
		jw_ku64(&w, "partitions", c->g.nused);
		jw_obj_end(&w);
		jw_end(&w);
	} else {
		printf("%s: saved its GPT (disk GUID %s, %u partition%s, %llu sectors of %u bytes, %s) "
		       "to %s\n", c->path, guid, c->g.nused, c->g.nused == 1 ? "" : "s",
		       (unsigned long long)c->g.lbas, c->g.sector, fmt_size(c->d.size, sz, sizeof(sz)),
		       file);
	}
	return 0;
}

/* Read and check a backup file, and the table it holds (into g); what
 * is wrong with that table goes to bad ("" when it is sound). */
static int load_backup(const char *file, struct gpt_backup *b, struct gpt *g, char *bad,
		       size_t len_bad)
{
	size_t len;
	struct bb_error e;
	uint8_t *f = (uint8_t *)read_file(file, GPT_BACKUP_MAX, &len);
	if (!f) {
		bb_perr("%s", file);
		return -1;
	}
	int rc = gpt_backup_decode(f, len, b, &e);
	free(f);
	if (rc) {
		bb_error_prefix(&e, "%s", file);
		bb_report(&e);
		return -1;
	}
	const char *why = NULL;
	int got = gpt_read_backup(g, b);
	if (got < 0) {
		bb_err("%s: %s", file, g->err.msg);
		return -1;
	}
	snprintf(bad, len_bad, "%s", got ? g->err.msg : (why = unsound_copy(g)) ? why : "");
	return 0;
}

/* The disk must be the one the backup is of: size and sector size always;
 * a GPT of another disk GUID or an MBR table only with --force. */
static int same_disk(struct ctx *c, const struct gpt_backup *b, const char *file)
{
	char b1[32], b2[32], g1[GPT_GUID_STR], g2[GPT_GUID_STR];
	if (b->sector != c->d.lsec) {
		bb_err("%s: %s is of a disk with %u-byte sectors; this one has %u", c->path, file,
		       b->sector, c->d.lsec);
		return -1;
	}
	if (b->lbas != c->d.size / c->d.lsec) {
		bb_err("%s: %s is of a disk of %llu sectors (%s); this one has %llu (%s)", c->path, file,
		       (unsigned long long)b->lbas, fmt_size(b->lbas * b->sector, b1, sizeof(b1)),
		       (unsigned long long)(c->d.size / c->d.lsec), fmt_size(c->d.size, b2, sizeof(b2)));
		return -1;
	}
	int rc = gpt_read(&c->g, c->d.fd, c->d.size, c->d.lsec);
	if (rc < 0) {
		bb_err("%s: %s", c->path, c->g.err.msg);
		return -1;
	}
	if (c->force)
		return 0;
	if (rc == 0 && !gpt_guid_eq(&c->g.disk_guid, &b->disk_guid)) {
		bb_err("%s: it holds the GPT of another disk (disk GUID %s; %s is of %s); --force "
		       "restores over it", c->path, gpt_guid_fmt(&c->g.disk_guid, g1), file,
		       gpt_guid_fmt(&b->disk_guid, g2));
		return -1;
	}
	if (rc != 0 && c->g.mbr == GPT_MBR_FOREIGN) {
		bb_err("%s: it holds an MBR partition table; --force restores over it", c->path);
		return -1;
	}
	return 0;
}

static int cmd_restore(void *vc, const struct bb_args *a)
{
	struct ctx *c = vc;
	const char *file = a->argv[1];
	struct gpt_backup b = { 0 }, undo = { 0 };
	struct gpt from_file;
	struct gpt_plan p = { .n = 0 };
	unsigned given;
	int rc = 1;
	char bad[200];
	memset(&from_file, 0, sizeof(from_file));
	if (load_backup(file, &b, &from_file, bad, sizeof(bad)))
		goto out;
	/* An undo file of a disk whose table was already broken holds no
	 * sound table; its sectors go back only when asked. */
	c->raw = bad[0];
	if (c->raw && !c->force) {
		bb_err("%s: the table it holds is not sound: %s (--force writes its sectors back as "
		       "they are)", file, bad);
		goto out;
	}
	if (sector_option(c, &given) || open_write(c))
		goto out;
	if (!c->d.is_blockdev && !given)
		c->d.lsec = b.sector; /* an image's sector size is the backup's unless told */
	if (same_disk(c, &b, file) || keeps_in_use(c, &from_file))
		goto out;
	struct bb_error e;
	bool primary_ok = c->g.primary_ok;
	struct gpt_guid zero = { { 0 } };
	/* what is overwritten, kept before anything is */
	char undo_path[4096];
	snprintf(undo_path, sizeof(undo_path), "%s.undo", file);
	const char *undo_to = opt_str(a, O_UNDO, undo_path);
	if (gpt_backup_plan(&b, primary_ok, &p, &e) ||
	    (!c->dry && gpt_backup_take_like(&b, c->d.fd, c->g.primary_ok || c->g.backup_ok
							      ? &c->g.disk_guid : &zero, &undo, &e))) {
		bb_error_prefix(&e, "%s", c->path);
		bb_report(&e);
		goto out;
	}
	if (!c->dry && write_backup(&undo, undo_to, false, "an earlier restore's? --undo names "
				    "another file"))
		goto out;
	gpt_free(&c->g);
	c->g = from_file; /* the table now, for the report and the kernel */
	memset(&from_file, 0, sizeof(from_file));
	if (!c->dry) {
		if (gpt_plan_apply(&p, c->d.fd, b.sector, &e)) {
			bb_error_prefix(&e, "%s", c->path);
			bb_report(&e);
			goto out;
		}
		if (!c->raw && read_back(c))
			goto out;
		if (!c->raw && c->d.is_blockdev && gpt_sync_kernel(&c->g, c->d.fd, c->d.rdev, &e))
			bb_warn("%s: %s", c->path, e.msg);
	}
	char done[4400];
	if (c->raw)
		snprintf(done, sizeof(done), "wrote the sectors of %s back as they were (%s); what "
			 "they replaced is in %s", file, bad, undo_to);
	else
		snprintf(done, sizeof(done), "restored the GPT of %s (%u partition%s); what it "
			 "replaced is in %s", file, c->g.nused, c->g.nused == 1 ? "" : "s", undo_to);
	report(c, "restore", 0, &p, done);
	rc = 0;
out:
	gpt_plan_free(&p);
	gpt_backup_free(&b);
	gpt_backup_free(&undo);
	gpt_free(&from_file);
	return rc;
}

static int cmd_types(void *vc, const struct bb_args *a)
{
	struct ctx *c = vc;
	(void)a;
	if (c->json) {
		struct jw w;
		jw_init(&w, stdout, true);
		jw_arr(&w);
		for (size_t i = 0; i < gpt_type_count; i++) {
			jw_obj(&w);
			jw_kstr(&w, "name", gpt_types[i].name);
			jw_kstr(&w, "guid", gpt_types[i].guid);
			jw_kstr(&w, "description", gpt_types[i].desc);
			jw_obj_end(&w);
		}
		jw_arr_end(&w);
		jw_end(&w);
		return 0;
	}
	for (size_t i = 0; i < gpt_type_count; i++)
		printf("%-19s %s  %s\n", gpt_types[i].name, gpt_types[i].guid, gpt_types[i].desc);
	return 0;
}

/* ---- dispatch ---------------------------------------------------------------- */

static int gpt_main(int argc, char **argv)
{
	struct ctx c;
	memset(&c, 0, sizeof(c));
	c.d.fd = -1;
	int rc = bb_getopt(&applet_gpt, argc, argv, &c.a);
	if (rc != BB_CONTINUE)
		return rc;
	c.path = c.a.argv[0];
	c.json = opt_on(&c.a, O_JSON);
	c.dry = opt_on(&c.a, O_DRY);
	c.force = opt_on(&c.a, O_FORCE);
	rc = c.a.cmd->run(&c, &c.a);
	free(c.m);
	free(c.in_use);
	gpt_free(&c.g);
	disk_close(&c.d);
	return rc;
}
