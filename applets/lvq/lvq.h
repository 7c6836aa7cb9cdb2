/* lvq.h - what the parts of lvq share: the request as the command line
 * gives it, the LVM state as `lvm fullreport` reports it, the plan, and
 * the journal. Nothing here prints; main.c renders.
 */
#ifndef LVQ_H
#define LVQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fstab.h"
#include "mount.h"

struct bb_error;
struct json;

#define LVQ_NAME 128   /* LVM's limit on VG and LV names, NUL included */
#define LVQ_PATH 1024  /* device paths and mount points */
#define LVQ_MAX_PV 64
#define LVQ_MAX_LV 64
#define LVQ_DEFAULT_PE (4ull << 20)
#define LVQ_PE_START (1ull << 20) /* where pvcreate puts the first extent */
#define LVQ_JOURNAL "/var/lib/lvq/journal.jsonl"

/* ---- sizes (parse.c) ------------------------------------------------------- */

enum lvq_size_kind {
	LVQ_SZ_BYTES,    /* "1.5G", "512S": bytes, rounded up to extents later */
	LVQ_SZ_EXTENTS,  /* a bare number */
	LVQ_SZ_PCT_FREE, /* "N%FREE": of the VG's free extents at that point */
	LVQ_SZ_PCT_VG,   /* "N%VG": of all the VG's extents */
	LVQ_SZ_PCT_PVS,  /* "N%PVS": of the extents of the PVs given */
};

struct lvq_size {
	enum lvq_size_kind kind;
	uint64_t v; /* bytes, extents or a percentage 1..100 */
};

/* "1.5G", "10g", "4096B", "8S", "100", "50%FREE". Units B, K/KB..E/EB
 * (powers of 1024, any case, decimals allowed, rounded up to a byte), S
 * (512-byte sectors). 0, or -1 with *why. */
int lvq_size_parse(const char *s, struct lvq_size *sz, const char **why);
/* The size in extents of `extent` bytes: bytes rounded up, percentages of
 * free / vg / pvs extents rounded down (at least 1). 0, or -1 with *why
 * (overflow, zero). */
int lvq_size_extents(const struct lvq_size *sz, uint64_t extent, uint64_t free_ext,
		     uint64_t vg_ext, uint64_t pvs_ext, uint64_t *out, const char **why);
/* The size as it was written, normalised: "1610612736B", "12", "50%FREE". */
char *lvq_size_fmt(const struct lvq_size *sz, char *buf, size_t len);

/* ---- the request (parse.c) ---------------------------------------------------- */

enum lvq_fs { LVQ_FS_NONE, LVQ_FS_XFS, LVQ_FS_EXT4, LVQ_FS_BTRFS, LVQ_FS_VFAT, LVQ_FS_SWAP,
	      LVQ_FS_F2FS, LVQ_FS_EXFAT, LVQ_FS_NTFS };
const char *lvq_fs_name(enum lvq_fs fs); /* "" for none */
int lvq_fs_parse(const char *s, enum lvq_fs *fs);

struct lvq_lv_req {
	char name[LVQ_NAME];
	struct lvq_size size;
	enum lvq_fs fs;
	char mount[LVQ_PATH]; /* "" for none */
};

struct lvq_req {
	char vg[LVQ_NAME];
	uint64_t pe_size;
	char pv[LVQ_MAX_PV][LVQ_PATH];
	size_t npv;
	struct lvq_lv_req lv[LVQ_MAX_LV];
	size_t nlv;
};

/* Refuse what a shell would read differently: blanks, quotes, $ ` \ ; & |
 * < > ( ) { } * ? [ ] ~ # ! and control characters. The plan never goes
 * through a shell, but a name that needs quoting is not a name. */
bool lvq_shell_safe(const char *s);
/* LVM's rules for VG (is_lv false) and LV names. 0, or -1 with *why. */
int lvq_name_check(const char *s, bool is_lv, const char **why);
/* One --pv value (DEV[:DEV...]) added to r; --vg NAME[:PE_SIZE]; one
 * --lv NAME:SIZE[:FS[:MOUNT]]. 0, or -1 with e (EINVAL) saying why. */
int lvq_parse_pv(const char *s, struct lvq_req *r, struct bb_error *e);
int lvq_parse_vg(const char *s, struct lvq_req *r, struct bb_error *e);
int lvq_parse_lv(const char *s, struct lvq_req *r, struct bb_error *e);
/* Checks across values: duplicates, mount points. 0 or -1 with e. */
int lvq_req_check(const struct lvq_req *r, struct bb_error *e);

/* ---- LVM state (report.c) ---------------------------------------------------- */

struct lvq_pv {
	char name[LVQ_PATH];
	char vg[LVQ_NAME]; /* "" for an orphan */
	char uuid[64];
	uint64_t size, pe_start, pe_count, pe_alloc;
};
struct lvq_vg {
	char name[LVQ_NAME];
	char uuid[64];
	uint64_t extent_size, extent_count, free_count, size, free;
	unsigned pv_count, lv_count;
};
struct lvq_lv {
	char vg[LVQ_NAME];
	char name[LVQ_NAME];
	char uuid[64];
	char path[LVQ_PATH];
	uint64_t size;
	unsigned segs;
};
struct lvq_state {
	struct lvq_pv *pv;
	size_t npv;
	struct lvq_vg *vg;
	size_t nvg;
	struct lvq_lv *lv;
	size_t nlv;
	size_t nseg; /* segments seen, all LVs */
};

/* Parse the JSON text of `lvm fullreport --reportformat json_std --units
 * b --nosuffix`. 0, or -1 with e. */
int lvq_state_parse(const char *text, size_t len, struct lvq_state *s, struct bb_error *e);
/* Run it (LC_ALL=C, the command log kept out of stdout). */
int lvq_state_read(struct lvq_state *s, struct bb_error *e);
void lvq_state_free(struct lvq_state *s);
const struct lvq_pv *lvq_state_pv(const struct lvq_state *s, const char *dev);
const struct lvq_vg *lvq_state_vg(const struct lvq_state *s, const char *vg);
const struct lvq_lv *lvq_state_lv(const struct lvq_state *s, const char *vg, const char *lv);

/* ---- the plan (plan.c) --------------------------------------------------------- */


enum lvq_kind {
	LVQ_PVCREATE, LVQ_VGCREATE, LVQ_LVCREATE, LVQ_MKFS, LVQ_MKDIR, LVQ_MOUNT, LVQ_FSTAB_ADD,
	LVQ_SWAPON, LVQ_RELOAD,
	/* the way back: decommission and rollback */
	LVQ_SWAPOFF, LVQ_UMOUNT, LVQ_FSTAB_REMOVE, LVQ_RMDIR, LVQ_LVREMOVE, LVQ_VGREMOVE,
	LVQ_PVREMOVE,
	/* continue's activation of the VG, journaled as step 0; a step of
	 * the rollback of a decommission */
	LVQ_ACTIVATE,
	/* a decommission's metadata backup, and what its rollback restores
	 * from it: the PV labels with their UUIDs, then the VG */
	LVQ_VGCFGBACKUP, LVQ_PVRESTORE, LVQ_VGCFGRESTORE,
	LVQ_KIND_COUNT
};
const char *lvq_kind_name(enum lvq_kind k);
/* Steps lvq carries out itself (mkdir, mount, fstab, swapon...), the
 * rest by running their argv. */
bool lvq_kind_internal(enum lvq_kind k);

#define LVQ_ARGS 2048
#define LVQ_MAX_STEPS 1024

/* One step. Its argv is made from the fields alone (lvq_step_build), so a
 * plan read back from a file or the journal is checked against it. */
struct lvq_step {
	enum lvq_kind kind;
	char dev[LVQ_PATH];   /* PV device, or the LV's /dev/VG/LV */
	char vg[LVQ_NAME], lv[LVQ_NAME];
	char fs[16];
	char mount[LVQ_PATH]; /* as the target sees it (/var/log); fstab: "none" for swap */
	char spec[LVQ_PATH];  /* FSTAB_REMOVE: the entry's spec; VGCFG*, PVRESTORE: the backup */
	char opts[160];       /* FSTAB_*: the entry's "OPTIONS FREQ PASSNO", "" for lvq's own */
	char uuid[64];        /* PVREMOVE, PVRESTORE: the PV's UUID */
	uint64_t extents, pe_size;
	bool force;
	bool pct;             /* extents resolved from a percentage */
	char args[LVQ_ARGS];  /* argv, NUL-separated */
	size_t args_len;
	unsigned argc;
};

struct lvq_plan {
	char command[16];     /* provision, decommission, rollback */
	char root[LVQ_PATH];  /* "" for the running system */
	char vg[LVQ_NAME];
	char request_hash[65];
	char hash[65];
	struct lvq_step *step;
	size_t n;
	char warn[16][256];
	size_t nwarn;
};

/* Fill s->args from the fields. 0, or -1 with e (too long). */
int lvq_step_build(const char *root, struct lvq_step *s, struct bb_error *e);
/* argv of a step into out (room for LVQ_ARGV_MAX + 1); returns argc. */
#define LVQ_ARGV_MAX 80
unsigned lvq_step_argv(const struct lvq_step *s, const char *out[LVQ_ARGV_MAX + 1]);
/* The program that makes filesystem fs ("blockbox" for vfat and swap),
 * or NULL. */
const char *lvq_mkfs_tool(const char *fs);
/* "mkfs.xfs -f -q /dev/vg/lv": argv for people, quoting nothing (the
 * values were refused if they needed it). */
char *lvq_step_text(const struct lvq_step *s, char *buf, size_t len);
struct lvq_step *lvq_plan_add(struct lvq_plan *p, enum lvq_kind k, struct bb_error *e);
void lvq_plan_hash(struct lvq_plan *p);
/* The last step, `systemctl daemon-reload`, when reload (systemd runs)
 * and the plan is for the running system; then the hash. 0 or -1 with e. */
int lvq_plan_finish(struct lvq_plan *p, bool reload, struct bb_error *e);
void lvq_plan_free(struct lvq_plan *p);
void lvq_plan_warn(struct lvq_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct jw;
void lvq_plan_json(const struct lvq_plan *p, struct jw *w);
/* A plan written by lvq_plan_json, checked: every argv is rebuilt from
 * the fields and must match, and the hash must match. 0 or -1 with e. */
int lvq_plan_from_json(const struct json *j, struct lvq_plan *p, struct bb_error *e);

/* ---- what the system looks like (verify.c, gather.c) -------------------------- */

struct lvq_dev {
	char path[LVQ_PATH];
	char canon[LVQ_PATH]; /* realpath: /dev/dm-3, /dev/vdb */
	bool exists;
	dev_t rdev;
	uint64_t size;
	bool is_partition;
	int claim;             /* enum claim_state */
	char claim_why[400];
	char fstype[32], uuid[64];
};

struct lvq_facts {
	struct lvq_state st;
	struct mount_table mounts;
	dev_t *swaps;          /* st_rdev of each active swap area */
	size_t nswaps;
	struct fstab fstab;
	struct lvq_dev *dev;
	size_t ndev;
	bool systemd;
	/* directories that exist (mkdir), as paths under the root */
	char (*dirs)[LVQ_PATH];
	size_t ndirs;
	/* the metadata backups a plan names that exist */
	char (*files)[LVQ_PATH];
	size_t nfiles;
	/* the mkfs programs the plan needs that are not installed */
	char (*missing)[32];
	size_t nmissing;
};

struct lvq_dev *lvq_facts_dev(const struct lvq_facts *f, const char *path);
/* Does m mount LV vg/lv (d: its device, may be NULL)? By device number,
 * or for btrfs (whose mountinfo shows an anonymous 0:N) by the source's
 * name: /dev/VG/LV, /dev/mapper/VG-LV or the dm node. */
bool lvq_mount_is(const struct mount_entry *m, const char *vg, const char *lv,
		  const struct lvq_dev *d);
void lvq_facts_free(struct lvq_facts *f);
/* Look at the system for everything plan p (or request r) names. */
int lvq_gather(const char *root, const struct lvq_req *r, const struct lvq_plan *p,
	       struct lvq_facts *f, struct bb_error *e);

/* Resolved %FREE/%VG/%PVS extents recorded by an earlier run of the same
 * request (from the journal), so a rerun plans the same sizes. */
struct lvq_resolved {
	char lv[LVQ_MAX_LV][LVQ_NAME];
	uint64_t extents[LVQ_MAX_LV];
	size_t n;
};

/* Plan a provision: every step, whatever already holds. 0 or -1 with e
 * (capacity, a name taken...: what cannot be planned at all). */
int lvq_plan_provision(const struct lvq_req *r, const char *root, bool force,
		       const struct lvq_facts *f, const struct lvq_resolved *res,
		       struct lvq_plan *p, struct bb_error *e);
/* backups: the directory its first step, vgcfgbackup, writes the VG's
 * metadata to (what a rollback restores it from). */
int lvq_plan_decommission(const char *vg, const char *root, const char *backups,
			  const struct lvq_facts *f, struct lvq_plan *p, struct bb_error *e);
/* Canonical text of the request, hashed to find earlier runs of it. */
void lvq_req_hash(const struct lvq_req *r, const char *root, char out[65]);

/* Does step s already hold on the system? */
bool lvq_step_holds(const struct lvq_plan *p, size_t i, const struct lvq_facts *f);

enum lvq_verdict { LVQ_ALL_DONE, LVQ_CLEAN, LVQ_PARTIAL };
/* Which steps hold (done[i]) and what that means: partial only when a
 * step other than a mkdir holds (an existing mount point is no sign of
 * an earlier run), unless the plan is all mkdirs. */
enum lvq_verdict lvq_classify(const struct lvq_plan *p, const struct lvq_facts *f, bool *done);
/* Feasibility of a clean provision: devices, claims, signatures, fstab,
 * names. Every problem goes to probs (one line each); 0 when none. */
size_t lvq_feasible(const struct lvq_plan *p, bool force, const struct lvq_facts *f,
		    char probs[][256], size_t max);


/* ---- the journal (journal.c) ---------------------------------------------------- */

/* One transaction as the journal tells it. */
struct lvq_txn {
	char id[40];
	char command[16], vg[LVQ_NAME];
	char plan_hash[65], request_hash[65];
	uint64_t begin_ns, end_ns;
	char outcome[16];     /* done, failed, not_converged, aborted; "" while open */
	struct lvq_plan *plan; /* the plan it runs (kept for the last few) */
	unsigned char *ok;    /* per step: 1 ran with status 0, 2 found holding, 0 not */
	char (*uuid)[64];     /* per step: the UUID an fstab_add wrote */
	size_t nsteps, nok;
	long last_started;    /* -1: none */
	bool last_open;       /* ... and it has no end record: cut off mid-step */
	int last_status;
	bool rolled_back;
	/* activations of the VG by continue (step 0 records) */
	unsigned activations;
	bool activate_open;   /* the last one has no end record */
	int activate_status;  /* the last one's exit status */
};

/* The plan that undoes what t did, newest step first. A provision's:
 * swapoff, umount, fstab lines out, the LVs, the VG and PV labels
 * removed (a mkfs cannot be undone). A decommission's: each PV label
 * back with its UUID and the VG's metadata from the backup taken before
 * it (pvcreate --restorefile, vgcfgrestore), the VG activated, mounts,
 * fstab lines as they were, swap. 0, or -1 with e saying why not. */
int lvq_plan_rollback(const struct lvq_txn *t, struct lvq_plan *u, struct bb_error *e);

struct lvq_history {
	struct lvq_txn *t;
	size_t n;
	size_t bad_lines;  /* lines that are not records (a torn last line is not counted) */
};

/* Read the journal text; a missing file is an empty history. 0 or -1 with e. */
int lvq_journal_parse(const char *text, size_t len, struct lvq_history *h, struct bb_error *e);
int lvq_journal_read(const char *path, struct lvq_history *h, struct bb_error *e);
void lvq_history_free(struct lvq_history *h);
/* The newest transaction of command with that request/plan hash (NULL: any). */
const struct lvq_txn *lvq_history_find(const struct lvq_history *h, const char *request_hash,
				       const char *plan_hash);
/* The %-sized extents an earlier run of the request resolved. */
void lvq_history_resolved(const struct lvq_history *h, const char *request_hash,
			  struct lvq_resolved *res);

struct lvq_journal {
	int fd;
	char txn[40];
	char plan_hash[65];
};
int lvq_journal_open(const char *path, struct lvq_journal *j, struct bb_error *e);
void lvq_journal_close(struct lvq_journal *j);
int lvq_journal_begin(struct lvq_journal *j, const struct lvq_plan *p, const char *event,
		      struct bb_error *e);
int lvq_journal_step(struct lvq_journal *j, const struct lvq_plan *p, size_t i,
		     const char *event, uint64_t start_ns, uint64_t end_ns, int status,
		     const char *tail, const char *uuid, struct bb_error *e);
/* The same for step s numbered `number` (0: a step outside the plan,
 * continue's activation of the VG). */
int lvq_journal_stepn(struct lvq_journal *j, const struct lvq_step *s, size_t number,
		      const char *event, uint64_t start_ns, uint64_t end_ns, int status,
		      const char *tail, const char *uuid, struct bb_error *e);
int lvq_journal_end(struct lvq_journal *j, const char *outcome, struct bb_error *e);

/* ---- running it (run.c) ----------------------------------------------------------- */

/* Time spent, for the summary and make bench. */
struct lvq_times {
	uint64_t total_ns, external_ns;
	size_t ran, skipped;
};

/* Take the lock next to the journal (PATH.lock): -1 with e (EBUSY) while
 * another lvq holds it. Returns the fd to keep open. */
int lvq_lock(const char *journal, struct bb_error *e);
/* Run steps from `from` on: each journaled before and after, external
 * ones by argv through core's runner, the rest by lvq itself. A step
 * that already holds (done[i]) is skipped and journaled as such. Stops
 * at the first failure: 0, or -1 with e (the step and why). */
int lvq_execute(struct lvq_journal *j, const struct lvq_plan *p, const bool *done, size_t from,
		struct lvq_times *tm, void (*note)(size_t i, const char *what, void *arg), void *arg,
		struct bb_error *e);
/* Run step s, outside the plan, journaled before and after as step 0
 * (continue's activation). 0, or -1 with e. */
int lvq_run_aside(struct lvq_journal *j, const struct lvq_step *s, struct lvq_times *tm,
		  struct bb_error *e);
/* Run one internal step (mkdir, mount, fstab, swapon...). uuid gets the
 * UUID an fstab entry was written with. 0 or -1 with e. */
int lvq_internal(const struct lvq_plan *p, const struct lvq_step *s, char uuid[64],
		 struct bb_error *e);

#endif
