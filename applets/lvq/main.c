/* lvq - transactional LVM2 provisioning: plan, verify, confirm, execute,
 * journal, converge; continue, rollback, decommission.
 */
#include "lvq.h"

#include "bb.h"
#include "clock.h"
#include "error.h"
#include "exec.h"
#include "io.h"
#include "json.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static int lvq_main(int argc, char **argv);
static int cmd_provision(void *c, const struct bb_args *a);
static int cmd_plan(void *c, const struct bb_args *a);
static int cmd_apply(void *c, const struct bb_args *a);
static int cmd_decommission(void *c, const struct bb_args *a);
static int cmd_status(void *c, const struct bb_args *a);
static int cmd_continue(void *c, const struct bb_args *a);
static int cmd_rollback(void *c, const struct bb_args *a);

enum { O_PV, O_VG, O_LV, O_YES, O_DRY, O_JSON, O_ROOT, O_FORCE, O_JOURNAL, O_OUT };
static const struct bb_opt lvq_opts[] = {
	[O_PV] = { "pv", 0, "DEV[:DEV...]", "physical volumes (repeatable)", BB_OPT_MULTI },
	[O_VG] = { "vg", 0, "NAME[:PE_SIZE]", "the volume group, and its extent size (4M)" },
	[O_LV] = { "lv", 0, "NAME:SIZE[:FS[:MOUNT]]", "a logical volume (repeatable)",
		   BB_OPT_MULTI },
	[O_YES] = { "auto-confirm", 'y', NULL, "do not ask (the plan is printed all the same)" },
	[O_DRY] = { "dry-run", 0, NULL, "verify and print the plan, change nothing" },
	[O_JSON] = { "json", 0, NULL, "the plan (or history) as JSON" },
	[O_ROOT] = { "root", 0, "DIR", "the target system is mounted at DIR (its fstab, mounts)" },
	[O_FORCE] = { "force", 0, NULL, "erase signatures on the PVs (never one the target's "
				     "fstab names, never a device in use)" },
	[O_JOURNAL] = { "journal", 0, "PATH", "the journal (" LVQ_JOURNAL ")" },
	[O_OUT] = { "out", 'o', "FILE", "write the plan there (plan)" },
	{ 0 },
};

#define REQ_OPTS (BB_O(O_PV) | BB_O(O_VG) | BB_O(O_LV) | BB_O(O_ROOT) | BB_O(O_FORCE))
#define RUN_OPTS (BB_O(O_YES) | BB_O(O_DRY) | BB_O(O_JSON) | BB_O(O_JOURNAL))
static const struct bb_cmd lvq_cmds[] = {
	{ "provision", NULL, 0, 0, REQ_OPTS | RUN_OPTS,
	  "PVs, a VG, LVs with filesystems, mounts and fstab entries, as one transaction",
	  cmd_provision },
	{ "plan", NULL, 0, 0, REQ_OPTS | BB_O(O_JSON) | BB_O(O_JOURNAL) | BB_O(O_OUT),
	  "verify and print the plan of a provision; --out FILE keeps it for apply", cmd_plan },
	{ "apply", "FILE", 1, 1, RUN_OPTS, "re-verify and run exactly the plan in FILE",
	  cmd_apply },
	{ "decommission", NULL, 0, 0, BB_O(O_VG) | BB_O(O_ROOT) | RUN_OPTS,
	  "unmount, drop fstab lines and swap, remove the LVs, the VG and the PV labels",
	  cmd_decommission },
	{ "status", NULL, 0, 0, BB_O(O_JSON) | BB_O(O_JOURNAL),
	  "the journal's transactions and their outcome", cmd_status },
	{ "history", NULL, 0, 0, BB_O(O_JSON) | BB_O(O_JOURNAL), "the same as status",
	  cmd_status },
	{ "continue", NULL, 0, 0, RUN_OPTS, "finish an interrupted transaction where it stopped",
	  cmd_continue },
	{ "resume", NULL, 0, 0, RUN_OPTS, "the same as continue", cmd_continue },
	{ "rollback", "[TXN]", 0, 1, RUN_OPTS,
	  "undo the last (or that) provision or decommission, saying what cannot be undone",
	  cmd_rollback },
	{ 0 },
};

const struct applet applet_lvq = {
	.name = "lvq",
	.summary = "transactional LVM2 provisioning: plan, verify, confirm, execute, journal",
	.usage =
	"lvq COMMAND [OPTIONS]\n"
	"\n"
	"  lvq provision --pv /dev/vdb:/dev/vdc --vg data --lv logs:1.5G:xfs:/var/log/app \\\n"
	"      --lv swap:512M:swap --lv rest:100%FREE:ext4:/srv\n"
	"\n"
	"SIZE: B, K/KB .. E/EB (powers of 1024, any case, decimals: 1.5G), S (512-byte\n"
	"sectors), a bare number of extents, or N%FREE, N%VG, N%PVS (N 1..100). Sizes\n"
	"round up to whole extents; percentages are resolved once, recorded in the\n"
	"journal and reused, so a rerun stays a no-op. FS: xfs ext4 btrfs vfat swap\n"
	"(f2fs exfat ntfs when their mkfs exists); a MOUNT needs a filesystem, not swap.\n"
	"\n"
	"State comes from one `lvm fullreport`. The plan is printed numbered with the\n"
	"exact argv of each step, also with -y; then `Proceed? [y/N]` (y or yes).\n"
	"Without a terminal, -y is needed. Every step is journaled before and after\n"
	"(JSON lines, fsynced); nothing runs through a shell. A rerun of a finished\n"
	"request does nothing; an interrupted one is finished by `lvq continue`.\n"
	"\n"
	"rollback undoes a provision by removing what it made (its VG is new: no\n"
	"older metadata exists to restore; a mkfs cannot be undone). decommission\n"
	"first saves the VG's metadata next to the journal (vgcfgbackup); its\n"
	"rollback puts the PV labels back with their UUIDs and restores the VG\n"
	"from that file (vgcfgrestore), then mounts, fstab lines as they were and\n"
	"swap, and refuses a disk written to since.\n"
	"\n"
	"Exit status: 0 done or nothing to do, 1 failed or refused, 2 usage,\n"
	"4 the system did not converge to the plan.",
	.opts = lvq_opts,
	.main = lvq_main,
	.cmds = lvq_cmds,
};

struct ctx {
	const char *journal;
	const char *root;
	bool yes, dry, json, force;
	int lock;
};

#define EXIT_NOT_CONVERGED 4

static int fail(struct bb_error *e)
{
	bb_report(e);
	return 1;
}

/* ---- the request ------------------------------------------------------------- */

static int read_request(const struct bb_args *a, struct lvq_req *r)
{
	struct bb_error e = { 0 };
	memset(r, 0, sizeof(*r));
	const char *root = opt_str(a, O_ROOT, NULL);
	if (root && (!lvq_shell_safe(root) || root[0] != '/')) {
		opt_bad_value("--root '%s': must be an absolute path without blanks, quotes or "
			      "shell metacharacters", root);
		return 2;
	}
	for (unsigned i = 0; i < a->v[O_PV].seen; i++)
		if (lvq_parse_pv(opt_value(a, O_PV, i), r, &e))
			goto bad;
	if (opt_on(a, O_VG) && lvq_parse_vg(opt_str(a, O_VG, ""), r, &e))
		goto bad;
	for (unsigned i = 0; i < a->v[O_LV].seen; i++)
		if (lvq_parse_lv(opt_value(a, O_LV, i), r, &e))
			goto bad;
	if (lvq_req_check(r, &e))
		goto bad;
	return 0;
bad:
	opt_bad_value("%s", e.msg);
	return 2;
}

/* ---- printing -------------------------------------------------------------- */

static void print_plan(const struct lvq_plan *p, const bool *done)
{
	char text[LVQ_ARGS + 64];
	if (p->nwarn) {
		printf("--- WARNINGS ---\n");
		for (size_t i = 0; i < p->nwarn; i++)
			printf("%s\n", p->warn[i]);
		printf("\n");
	}
	printf("--- PLAN %s (%s%s%s) ---\n", p->hash, p->command, *p->root ? ", root " : "",
	       p->root);
	for (size_t i = 0; i < p->n; i++)
		printf("%3zu. %s%s%s\n", i + 1, lvq_step_text(&p->step[i], text, sizeof(text)),
		       lvq_kind_internal(p->step[i].kind) ? "   (lvq)" : "",
		       done && done[i] ? "   [holds]" : "");
	fflush(stdout);
}

static void print_json(const struct lvq_plan *p, const char *verdict, const bool *done)
{
	struct jw w;
	jw_init(&w, stdout, true);
	jw_obj(&w);
	jw_kstr(&w, "verdict", verdict);
	jw_key(&w, "holds");
	jw_arr(&w);
	for (size_t i = 0; i < p->n; i++)
		jw_bool(&w, done && done[i]);
	jw_arr_end(&w);
	jw_key(&w, "plan");
	lvq_plan_json(p, &w);
	jw_obj_end(&w);
	jw_end(&w);
}

static void note(size_t i, const char *what, void *arg)
{
	const struct lvq_plan *p = arg;
	char text[LVQ_ARGS + 64];
	fprintf(stderr, "lvq: [%zu/%zu] %s%s%s\n", i + 1, p->n,
		lvq_step_text(&p->step[i], text, sizeof(text)), what ? ": " : "", what ? what : "");
}

/* ---- confirm --------------------------------------------------------------- */

static int confirm(const struct ctx *c)
{
	if (c->yes)
		return 0;
	if (!isatty(0)) {
		bb_err("no terminal to confirm on: refusing (-y confirms)");
		return 1;
	}
	FILE *out = c->json ? stderr : stdout; /* stdout holds the JSON plan */
	fprintf(out, "Proceed? [y/N] ");
	fflush(out);
	char line[64];
	if (!fgets(line, sizeof(line), stdin))
		line[0] = 0;
	line[strcspn(line, "\r\n")] = 0;
	if (!strcasecmp(line, "y") || !strcasecmp(line, "yes"))
		return 0;
	bb_err("not confirmed: nothing was changed");
	return 1;
}

/* ---- the cycle --------------------------------------------------------------- */

/* Re-ingest and compare: exit 0 when every step holds, 4 otherwise. */
static int converge(const struct lvq_plan *p, struct lvq_journal *j)
{
	struct bb_error e = { 0 };
	struct lvq_facts f;
	if (lvq_gather(p->root, NULL, p, &f, &e)) {
		lvq_journal_end(j, "not_converged", NULL);
		bb_report(&e);
		return EXIT_NOT_CONVERGED;
	}
	bool *done = calloc(p->n + 1, sizeof(*done));
	size_t bad = 0;
	char text[LVQ_ARGS + 64];
	lvq_classify(p, &f, done);
	for (size_t i = 0; i < p->n; i++)
		if (!done[i]) {
			bb_err("not converged: step %zu does not hold: %s", i + 1,
			       lvq_step_text(&p->step[i], text, sizeof(text)));
			bad++;
		}
	free(done);
	lvq_facts_free(&f);
	lvq_journal_end(j, bad ? "not_converged" : "done", NULL);
	return bad ? EXIT_NOT_CONVERGED : 0;
}

/* Execute (from step `from`) under an open journal, then converge. */
static int run_plan(struct ctx *c, const struct lvq_plan *p, const bool *done, size_t from,
		    struct lvq_journal *j)
{
	struct bb_error e = { 0 };
	struct lvq_times tm = { 0 };
	if (lvq_execute(j, p, done, from, &tm, note, (void *)p, &e)) {
		lvq_journal_end(j, "failed", NULL);
		bb_report(&e);
		bb_err("transaction %s stopped; `lvq continue` finishes it, `lvq rollback` undoes it",
		       j->txn);
		return 1;
	}
	int rc = converge(p, j);
	fprintf(c->json ? stderr : stdout, "%s: transaction %s: %zu steps run, %zu held already, %.2f s "
	       "(external tools %.2f s, lvq %.2f s)\n",
	       rc ? "NOT CONVERGED" : "done", j->txn, tm.ran, tm.skipped, tm.total_ns / 1e9,
	       tm.external_ns / 1e9, (tm.total_ns - tm.external_ns) / 1e9);
	return rc;
}

static int open_journal(struct ctx *c, struct lvq_journal *j)
{
	struct bb_error e = { 0 };
	if (lvq_journal_open(c->journal, j, &e))
		return fail(&e);
	return 0;
}

/* Verify a fresh plan, print it, confirm, run it as a new transaction. */
static int cycle(struct ctx *c, struct lvq_plan *p, struct lvq_facts *f,
		 const struct lvq_history *h, bool force, bool print_only)
{
	bool *done = calloc(p->n + 1, sizeof(*done));
	char probs[32][256];
	int rc = 1;
	enum lvq_verdict v = lvq_classify(p, f, done);
	const char *vs = v == LVQ_ALL_DONE ? "nothing_to_do" : v == LVQ_CLEAN ? "clean" : "partial";
	size_t np = v == LVQ_CLEAN && strcmp(p->command, "decommission")
			    ? lvq_feasible(p, force, f, probs, 32) : 0;
	if (c->json)
		print_json(p, np ? "refused" : vs, done);
	else
		print_plan(p, done);
	if (v == LVQ_ALL_DONE) {
		if (!c->json)
			printf("nothing to do: every step holds\n");
		rc = 0;
		goto out;
	}
	if (v == LVQ_PARTIAL && !strcmp(p->command, "provision")) {
		const struct lvq_txn *t = lvq_history_find(h, NULL, p->hash);
		if (t && strcmp(t->outcome, "done"))
			bb_err("this plan was partly applied by transaction %s: `lvq continue` "
			       "finishes it, `lvq rollback` undoes it", t->id);
		else {
			bb_err("refused: the system holds part of this plan (the steps marked "
			       "[holds]) and no unfinished transaction of it is journaled");
			/* and what stands in the way, as for a clean plan */
			np = lvq_feasible(p, force, f, probs, 32);
			for (size_t i = 0; i < np && i < 32; i++)
				bb_err("refused: %s", probs[i]);
		}
		goto out;
	}
	for (size_t i = 0; i < np && i < 32; i++)
		bb_err("refused: %s", probs[i]);
	if (np)
		goto out;
	if (c->dry || print_only) {
		rc = 0;
		goto out;
	}
	if ((rc = confirm(c)))
		goto out;
	struct lvq_journal j;
	struct bb_error e = { 0 };
	if ((rc = open_journal(c, &j)))
		goto out;
	if (lvq_journal_begin(&j, p, "begin", &e)) {
		rc = fail(&e);
		lvq_journal_close(&j);
		goto out;
	}
	rc = run_plan(c, p, done, 0, &j);
	lvq_journal_close(&j);
out:
	free(done);
	return rc;
}

static int setup(struct ctx *c, const struct bb_args *a, bool lock)
{
	c->journal = opt_str(a, O_JOURNAL, LVQ_JOURNAL);
	c->root = opt_str(a, O_ROOT, "");
	c->yes = opt_on(a, O_YES);
	c->dry = opt_on(a, O_DRY);
	c->json = opt_on(a, O_JSON);
	c->force = opt_on(a, O_FORCE);
	c->lock = -1;
	if (!lvq_shell_safe(c->journal) || c->journal[0] != '/') {
		opt_bad_value("--journal '%s': must be an absolute path without blanks, quotes or "
			      "shell metacharacters", c->journal);
		return 2;
	}
	if (lock) {
		struct bb_error e = { 0 };
		char dir[LVQ_PATH];
		snprintf(dir, sizeof(dir), "%s", c->journal);
		char *s = strrchr(dir, '/');
		if (s && s != dir) {
			*s = 0;
			if (mount_mkdir_p(dir, 0700, &e))
				return fail(&e);
		}
		if ((c->lock = lvq_lock(c->journal, &e)) < 0)
			return fail(&e);
	}
	return 0;
}

static int provision(struct ctx *c, const struct bb_args *a, bool plan_only, const char *out)
{
	struct lvq_req r;
	struct lvq_facts f;
	struct lvq_history h;
	struct lvq_resolved res;
	struct lvq_plan p;
	struct bb_error e = { 0 };
	int rc = read_request(a, &r);
	if (rc)
		return rc;
	if ((rc = setup(c, a, !plan_only && !opt_on(a, O_DRY))))
		return rc;
	if (lvq_journal_read(c->journal, &h, &e))
		return fail(&e);
	char rh[65];
	lvq_req_hash(&r, c->root, rh);
	lvq_history_resolved(&h, rh, &res);
	if (lvq_gather(c->root, &r, NULL, &f, &e)) {
		lvq_history_free(&h);
		return fail(&e);
	}
	if (lvq_plan_provision(&r, c->root, c->force, &f, &res, &p, &e))
		rc = fail(&e);
	else {
		rc = cycle(c, &p, &f, &h, c->force, plan_only);
		if (!rc && out) {
			char *buf = NULL;
			size_t len = 0;
			FILE *m = open_memstream(&buf, &len);
			struct jw w;
			jw_init(&w, m, true);
			lvq_plan_json(&p, &w);
			jw_end(&w);
			fclose(m);
			if (write_file_atomic(out, buf, len, 0644)) {
				bb_perr("%s", out);
				rc = 1;
			} else if (!c->json)
				printf("plan written to %s\n", out);
			free(buf);
		}
		lvq_plan_free(&p);
	}
	lvq_facts_free(&f);
	lvq_history_free(&h);
	return rc;
}

static int cmd_provision(void *vc, const struct bb_args *a)
{
	return provision(vc, a, false, NULL);
}

static int cmd_plan(void *vc, const struct bb_args *a)
{
	return provision(vc, a, true, opt_str(a, O_OUT, NULL));
}

static int cmd_apply(void *vc, const struct bb_args *a)
{
	struct ctx *c = vc;
	struct bb_error e = { 0 };
	struct lvq_plan p;
	struct lvq_facts f;
	struct lvq_history h;
	int rc = setup(c, a, true);
	if (rc)
		return rc;
	size_t len;
	char err[128];
	char *text = read_file(a->argv[0], 64 << 20, &len);
	if (!text) {
		bb_perr("%s", a->argv[0]);
		return 1;
	}
	struct json *j = json_parse(text, len, JSON_DEFAULT_DEPTH, err, sizeof(err));
	free(text);
	if (!j) {
		bb_err("%s: not JSON: %s", a->argv[0], err);
		return 1;
	}
	rc = lvq_plan_from_json(j, &p, &e);
	json_free(j);
	if (rc) {
		bb_error_prefix(&e, "%s", a->argv[0]);
		return fail(&e);
	}
	if (!strcmp(p.command, "rollback")) {
		lvq_plan_free(&p);
		bb_err("%s: a rollback plan is made by `lvq rollback`, not applied", a->argv[0]);
		return 1;
	}
	c->root = p.root;
	bool force = false;
	for (size_t i = 0; i < p.n; i++)
		force |= p.step[i].force;
	if (lvq_journal_read(c->journal, &h, &e) || lvq_gather(p.root, NULL, &p, &f, &e)) {
		lvq_plan_free(&p);
		return fail(&e);
	}
	rc = cycle(c, &p, &f, &h, force, false);
	lvq_facts_free(&f);
	lvq_history_free(&h);
	lvq_plan_free(&p);
	return rc;
}

static int cmd_decommission(void *vc, const struct bb_args *a)
{
	struct ctx *c = vc;
	struct bb_error e = { 0 };
	struct lvq_req r;
	struct lvq_plan p;
	struct lvq_facts f;
	struct lvq_history h = { 0 };
	memset(&r, 0, sizeof(r));
	if (!opt_on(a, O_VG)) {
		opt_bad_value("decommission needs --vg NAME");
		return 2;
	}
	if (lvq_parse_vg(opt_str(a, O_VG, ""), &r, &e)) {
		opt_bad_value("%s", e.msg);
		return 2;
	}
	int rc = setup(c, a, true);
	if (rc)
		return rc;
	if (lvq_gather(c->root, NULL, NULL, &f, &e))
		return fail(&e);
	char backups[LVQ_PATH];
	snprintf(backups, sizeof(backups), "%s", c->journal);
	*strrchr(backups, '/') = 0; /* the journal's directory: absolute, checked */
	if (lvq_plan_decommission(r.vg, c->root, *backups ? backups : "/", &f, &p, &e)) {
		lvq_facts_free(&f);
		return fail(&e);
	}
	rc = cycle(c, &p, &f, &h, false, false);
	lvq_plan_free(&p);
	lvq_facts_free(&f);
	return rc;
}

/* ---- status -------------------------------------------------------------------- */

static const char *when(uint64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000u);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static const char *outcome(const struct lvq_txn *t, char *buf, size_t len)
{
	int n;
	if (t->rolled_back)
		n = snprintf(buf, len, "rolled back");
	else if (!t->outcome[0])
		n = snprintf(buf, len, "interrupted at step %ld", t->last_started + 1);
	else if (!strcmp(t->outcome, "failed"))
		n = snprintf(buf, len, "failed at step %ld (status %d)", t->last_started + 1,
			     t->last_status);
	else
		n = snprintf(buf, len, "%s", t->outcome);
	if (n < 0 || (size_t)n >= len)
		return buf;
	if (t->activate_open)
		snprintf(buf + n, len - (size_t)n, "; the VG's activation cut off");
	else if (t->activations)
		snprintf(buf + n, len - (size_t)n, "; VG activated by continue (status %d)",
			 t->activate_status);
	return buf;
}

static int cmd_status(void *vc, const struct bb_args *a)
{
	struct ctx *c = vc;
	struct lvq_history h;
	struct bb_error e = { 0 };
	int rc = setup(c, a, false);
	if (rc)
		return rc;
	if (lvq_journal_read(c->journal, &h, &e))
		return fail(&e);
	char t1[32], o[128];
	if (c->json) {
		struct jw w;
		jw_init(&w, stdout, true);
		jw_obj(&w);
		jw_kstr(&w, "journal", c->journal);
		jw_ku64(&w, "bad_lines", h.bad_lines);
		jw_key(&w, "transactions");
		jw_arr(&w);
		for (size_t i = 0; i < h.n; i++) {
			const struct lvq_txn *t = &h.t[i];
			jw_obj(&w);
			jw_kstr(&w, "txn", t->id);
			jw_kstr(&w, "command", t->command);
			jw_kstr(&w, "vg", t->vg);
			jw_kstr(&w, "plan_hash", t->plan_hash);
			jw_ku64(&w, "begin_ns", t->begin_ns);
			jw_ku64(&w, "end_ns", t->end_ns);
			jw_ku64(&w, "steps", t->nsteps);
			jw_ku64(&w, "steps_ok", t->nok);
			jw_kstr(&w, "outcome", t->outcome);
			jw_kbool(&w, "rolled_back", t->rolled_back);
			jw_ki64(&w, "last_started", t->last_started + 1);
			jw_ku64(&w, "activations", t->activations);
			if (t->activations)
				jw_ki64(&w, "activation_status", t->activate_status);
			jw_kbool(&w, "activation_cut_off", t->activate_open);
			jw_obj_end(&w);
		}
		jw_arr_end(&w);
		jw_obj_end(&w);
		jw_end(&w);
	} else {
		printf("%-36s  %-20s  %-12s  %-16s  %-9s  %s\n", "TXN", "BEGIN", "COMMAND", "VG",
		       "STEPS", "OUTCOME");
		for (size_t i = 0; i < h.n; i++) {
			const struct lvq_txn *t = &h.t[i];
			char steps[32];
			snprintf(steps, sizeof(steps), "%zu/%zu", t->nok, t->nsteps);
			printf("%-36s  %-20s  %-12s  %-16s  %-9s  %s\n", t->id,
			       when(t->begin_ns, t1, sizeof(t1)), t->command, t->vg, steps,
			       outcome(t, o, sizeof(o)));
		}
		if (h.bad_lines)
			printf("(%zu lines of the journal are not records and were skipped)\n",
			       h.bad_lines);
	}
	lvq_history_free(&h);
	return 0;
}

/* ---- continue and rollback ----------------------------------------------------- */

/* The transaction named, or the newest one that still has its plan. */
static const struct lvq_txn *pick(const struct lvq_history *h, const char *id)
{
	for (size_t i = h->n; i-- > 0;)
		if (id ? !strcmp(h->t[i].id, id) : h->t[i].plan != NULL)
			return &h->t[i];
	return NULL;
}

/* After a reboot the VG's LVs are inactive, without device nodes: the
 * checks of mkfs, mount and swap need them. So when one of the VG's LVs
 * has no node, continue activates the VG before it decides what holds
 * (and so before it asks): `lvm vgchange -ay VG`, idempotent, journaled
 * as step 0 of the transaction, before and after like every step. */
static bool inactive_lvs(const struct lvq_plan *p, const struct lvq_facts *f)
{
	if (!*p->vg || !lvq_state_vg(&f->st, p->vg))
		return false;
	for (size_t i = 0; i < f->st.nlv; i++) {
		char path[2 * LVQ_NAME + 8];
		snprintf(path, sizeof(path), "/dev/%s/%s", f->st.lv[i].vg, f->st.lv[i].name);
		const struct lvq_dev *d = lvq_facts_dev(f, path);
		if (!strcmp(f->st.lv[i].vg, p->vg) && (!d || !d->exists))
			return true;
	}
	return false;
}

static int activate(struct ctx *c, const struct lvq_txn *t)
{
	struct lvq_step s = { .kind = LVQ_ACTIVATE };
	struct lvq_journal j;
	struct lvq_times tm = { 0 };
	struct bb_error e = { 0 };
	char text[LVQ_ARGS + 64];
	snprintf(s.vg, sizeof(s.vg), "%s", t->plan->vg);
	if (lvq_step_build(t->plan->root, &s, &e))
		return fail(&e);
	fprintf(stderr, "lvq: [0/%zu] %s   (the VG's LVs are inactive: activated first)\n",
		t->plan->n, lvq_step_text(&s, text, sizeof(text)));
	int rc = open_journal(c, &j);
	if (rc)
		return rc;
	snprintf(j.txn, sizeof(j.txn), "%s", t->id);
	snprintf(j.plan_hash, sizeof(j.plan_hash), "%s", t->plan->hash);
	if (lvq_run_aside(&j, &s, &tm, &e))
		rc = fail(&e);
	lvq_journal_close(&j);
	return rc;
}

/* Run an existing transaction's plan again under its own id, from what
 * holds now. A mkfs cut off mid-way may have written its signature
 * already: the step the journal shows started and never ended is redone
 * when it is a mkfs (every other check reads exact state: LVM's
 * metadata, mountinfo, /proc/swaps, the fstab, a directory). */
static int resume(struct ctx *c, const struct lvq_txn *t)
{
	const struct lvq_plan *p = t->plan;
	struct bb_error e = { 0 };
	struct lvq_facts f;
	if (lvq_gather(p->root, NULL, p, &f, &e))
		return fail(&e);
	if (inactive_lvs(p, &f) && c->dry)
		bb_err("the LVs of VG %s are inactive: a dry run does not activate them, so what "
		       "they hold is not seen", p->vg);
	else if (inactive_lvs(p, &f)) {
		lvq_facts_free(&f);
		if (activate(c, t))
			return 1;
		if (lvq_gather(p->root, NULL, p, &f, &e))
			return fail(&e);
	}
	const char *txn = t->id;
	bool *done = calloc(p->n + 1, sizeof(*done));
	enum lvq_verdict v = lvq_classify(p, &f, done);
	if (t->last_open && t->last_started >= 0 && p->step[t->last_started].kind == LVQ_MKFS &&
	    done[t->last_started]) {
		done[t->last_started] = false;
		v = LVQ_PARTIAL;
		fprintf(stderr, "lvq: step %ld (%s) was cut off: it is done again\n",
			t->last_started + 1, lvq_kind_name(LVQ_MKFS));
	}
	lvq_facts_free(&f);
	print_plan(p, done);
	int rc = 0;
	struct lvq_journal j;
	if (v == LVQ_ALL_DONE) {
		printf("nothing to do: every step holds\n");
		if (!c->dry && !open_journal(c, &j)) {
			snprintf(j.txn, sizeof(j.txn), "%s", txn);
			snprintf(j.plan_hash, sizeof(j.plan_hash), "%s", p->hash);
			lvq_journal_end(&j, "done", NULL);
			lvq_journal_close(&j);
		}
	} else if (!c->dry && !(rc = confirm(c)) && !(rc = open_journal(c, &j))) {
		snprintf(j.txn, sizeof(j.txn), "%s", txn);
		if (lvq_journal_begin(&j, p, "resume", &e))
			rc = fail(&e);
		else
			rc = run_plan(c, p, done, 0, &j);
		lvq_journal_close(&j);
	}
	free(done);
	return rc;
}

static int cmd_continue(void *vc, const struct bb_args *a)
{
	struct ctx *c = vc;
	struct lvq_history h;
	struct bb_error e = { 0 };
	int rc = setup(c, a, true);
	if (rc)
		return rc;
	if (lvq_journal_read(c->journal, &h, &e))
		return fail(&e);
	const struct lvq_txn *t = pick(&h, NULL);
	if (!t || !strcmp(t->outcome, "done") || t->rolled_back) {
		printf("nothing to continue: the last transaction finished\n");
		lvq_history_free(&h);
		return 0;
	}
	printf("continuing transaction %s (%s, stopped after step %ld)\n", t->id, t->command,
	       t->last_started + 1);
	rc = resume(c, t);
	lvq_history_free(&h);
	return rc;
}

static int cmd_rollback(void *vc, const struct bb_args *a)
{
	struct ctx *c = vc;
	struct lvq_history h;
	struct bb_error e = { 0 };
	struct lvq_plan u;
	struct lvq_facts f;
	int rc = setup(c, a, true);
	if (rc)
		return rc;
	if (lvq_journal_read(c->journal, &h, &e))
		return fail(&e);
	const struct lvq_txn *t = pick(&h, a->argc ? a->argv[0] : NULL);
	if (!t || !t->plan) {
		bb_err("no transaction %s%sin %s to roll back (or too old: only the last few keep "
		       "their plans)", a->argc ? a->argv[0] : "", a->argc ? " " : "", c->journal);
		lvq_history_free(&h);
		return 1;
	}
	if (t->rolled_back || !strcmp(t->command, "rollback")) {
		bb_err("transaction %s: %s", t->id, t->rolled_back ? "already rolled back"
				: "a rollback is not rolled back (provision or decommission again)");
		lvq_history_free(&h);
		return 1;
	}
	if (lvq_plan_rollback(t, &u, &e) || lvq_gather(u.root, NULL, &u, &f, &e)) {
		lvq_plan_free(&u);
		lvq_history_free(&h);
		return fail(&e);
	}
	printf("rolling back transaction %s (%s of VG %s, %s)\n", t->id, t->command, t->vg,
	       t->outcome[0] ? t->outcome : "interrupted");
	rc = cycle(c, &u, &f, &h, false, false);
	lvq_facts_free(&f);
	lvq_plan_free(&u);
	lvq_history_free(&h);
	return rc;
}

static int lvq_main(int argc, char **argv)
{
	struct ctx c;
	struct bb_args a;
	memset(&c, 0, sizeof(c));
	c.lock = -1;
	int rc = bb_getopt(&applet_lvq, argc, argv, &a);
	if (rc != BB_CONTINUE)
		return rc;
	rc = a.cmd->run(&c, &a);
	if (c.lock >= 0)
		close(c.lock);
	return rc;
}
