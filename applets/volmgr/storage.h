/* storage.h - what volmgr's storage modules (query, ops, jobs, stats,
 * smart, health) share among themselves; the transport sees only the
 * method tables they export through volmgr.h.
 */
#ifndef BB_VOLMGR_STORAGE_H
#define BB_VOLMGR_STORAGE_H

#include "btrfs.h"
#include "volmgr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct blkdev;

/* ---- names and paths (formats.c) ---------------------------------------------- */

/* Subvolumes sysvol creates and the node needs: never deleted. */
bool vmo_core_subvolume(const char *name);
/* A subvolume or snapshot name: btrfs_name_check, and no leading '.'
 * (hidden, or "." and ".."). 0, or -1 with e (EINVAL). */
int vmo_check_subvol_name(const char *name, struct bb_error *e);
/* An absolute path without "." or ".." components and without empty
 * ones past the first: a mount target. 0, or -1 with e. */
int vmo_check_abs_path(const char *what, const char *path, struct bb_error *e);

/* ---- the filesystem a method works on (ops.c) ------------------------------ */

#define VMO_DATA_LABEL "MOSDATA"

/* Open mount_point (a directory of a mounted btrfs) for btrfs ioctls;
 * on failure c's error is set (-32002 when it does not exist, -32001 when
 * it is no btrfs). */
int vmo_btrfs_open(struct vm_call *c, const char *mount_point);
struct mount_table;
/* The mount table of the daemon (vm_cfg.root's /proc/self/mountinfo). */
int vmo_mounts(struct mount_table *t, struct bb_error *e);
/* The directory of the top-level subvolume of the data filesystem: the
 * param "mount_point" when given, else the mounted btrfs labelled MOSDATA
 * (its top level mounted privately under vm_cfg.run_dir when only
 * subvolumes of it are mounted). Fills buf; -1 with c's error set. */
int vmo_data_root(struct vm_call *c, char *buf, size_t len);

/* The 16-byte fsid as 36-character UUID text. */
void vmo_fsid_str(const uint8_t fsid[16], char out[37]);

/* ---- jobs (jobs.c) --------------------------------------------------------- */

struct vmj;

struct vmj_progress {
	double percent;        /* 0..100, or -1 when unknown */
	double rate;           /* units per second, or -1 */
	const char *rate_unit; /* "bytes/s", "chunks/s", "files/s" */
	double eta_seconds;    /* or -1 */
	/* a few kernel numbers worth showing, or NULL: an object written
	 * by the kind's progress function itself */
};

struct vmj_kind {
	const char *method;
	/* In the job's own thread: do the work, write the result (one JSON
	 * value) to w. 0, or -1 with e set. */
	int (*run)(struct vmj *j, struct jw *w, struct bb_error *e);
	/* On the event loop, quick: where the work is now. May write extra
	 * members ("scrub": {...}) into the status object w. May be NULL. */
	void (*progress)(struct vmj *j, struct vmj_progress *p, struct jw *w);
	/* Ask the work to stop (from the event loop); the run function then
	 * returns. NULL: the job cannot be cancelled. 0, or -1 with e. */
	int (*cancel)(struct vmj *j, struct bb_error *e);
	/* Free the argument when the job record goes. May be NULL (free()). */
	void (*free_arg)(void *arg);
	/* Work the kernel runs by itself that the job only watches (an md
	 * sync): a daemon that stops leaves it running. */
	bool external;
};

/* Start a job on resource (a device, "fs:FSID"): it waits, queued, while
 * another job holds the same resource. arg belongs to the job from here
 * on, whatever the result. Returns the job id (> 0), or -1 with e. */
long vmj_start(const struct vmj_kind *k, const char *resource, void *arg, struct bb_error *e);
void *vmj_arg(struct vmj *j);
bool vmj_cancel_requested(const struct vmj *j);
/* Seconds since the job began running (0 while queued). */
double vmj_elapsed(const struct vmj *j);
/* Fill p from done of total units (total 0: unknown) at the rate since
 * the job began: percent, rate and the time left at that rate. */
void vmj_progress_set(const struct vmj *j, struct vmj_progress *p, uint64_t done,
		      uint64_t total, const char *unit);
/* Whether a job holds or waits for resource; its id into *id. */
bool vmj_resource_busy(const char *resource, long *id);
/* Write {"job": ID} for a handler answering that it started one. */
void vmj_answer(struct vm_call *c, long id);
/* Start a job for each md sync running that has none yet (mdsync.c):
 * called where jobs are listed and by the health monitor. */
void vmo_md_adopt(void);

/* ---- scrub records (ops.c saves one at a scrub's end, stats.c reads it
 * for scrub_status; the format in formats.c) ------------------------------------------------------------ */

struct vmo_scrub_record {
	char fsid[37];
	char mount_point[512];
	char state[16];          /* done, cancelled, failed */
	uint64_t started, ended; /* seconds since the epoch */
	uint64_t data_bytes, tree_bytes, read_errors, csum_errors, verify_errors;
	uint64_t super_errors, uncorrectable_errors, corrected_errors;
	char error[256];         /* why it failed, "" otherwise */
};
int vmo_scrub_record_save(const struct vmo_scrub_record *r, struct bb_error *e);
/* 1 found, 0 none kept, -1 unreadable (e). */
int vmo_scrub_record_load(const char *fsid, struct vmo_scrub_record *r, struct bb_error *e);
/* As one JSON object, and back (public for tests). */
void vmo_scrub_record_write(struct jw *w, const struct vmo_scrub_record *r);
/* Add n devices' counts to r's totals. */
void vmo_scrub_sum(const struct btrfs_scrub_stats *st, size_t n, struct vmo_scrub_record *r);
/* Copies a btrfs block group profile keeps: 2 for RAID1, DUP, RAID10. */
unsigned vmo_profile_copies(const char *profile);
int vmo_scrub_record_parse(const char *text, size_t len, struct vmo_scrub_record *r,
			   struct bb_error *e);

/* ---- topologies (formats.c; query.c answers with them) ------------------ */

enum vmo_tier { VMO_TIER_ANY, VMO_TIER_SSD, VMO_TIER_HDD };

#define VMO_TOPO_MAX_RULES 4
#define VMO_TOPO_MAX 32

struct vmo_topo_rule {
	unsigned count;      /* disks needed */
	enum vmo_tier tier;
	uint64_t min_size;   /* bytes, each */
	char role[24];       /* "data", "cache", "backing", "mirror" */
};

struct vmo_topology {
	char name[32];
	char description[128];
	char fstype[16];        /* btrfs, bcachefs */
	char tool[24];          /* the mkfs tool it needs, "" none */
	struct vmo_topo_rule rule[VMO_TOPO_MAX_RULES];
	unsigned nrules;
};

/* Parse the templates (config/data/volmgr-topologies.conf syntax). 0, or
 * -1 with e naming the line. */
int vmo_topologies_parse(const char *text, struct vmo_topology *out, size_t max, size_t *n,
			 struct bb_error *e);

/* A disk as feasibility sees it. */
struct vmo_disk {
	char name[40];
	uint64_t size;
	enum vmo_tier tier;  /* SSD or HDD, never ANY */
};

struct vmo_feasible {
	bool ok;
	char reason[400];
	/* the disks picked per rule, in rule order, when ok */
	char picked[VMO_TOPO_MAX_RULES * 4][40];
	unsigned npicked;
};

/* Whether t fits on the eligible disks, with the disks it would use (the
 * smallest that satisfy each rule, specific tiers and larger minimums
 * served first) or why not. tool_present says whether t->tool exists. */
void vmo_topology_check(const struct vmo_topology *t, const struct vmo_disk *d, size_t n,
			bool tool_present, struct vmo_feasible *out);
const char *vmo_tier_name(enum vmo_tier t); /* "ssd", "hdd", "any" */

/* ---- io_stats (stats.c) ------------------------------------------------------ */

/* Settings the daemon's options or tests may change. */
extern unsigned vmo_sample_ms;            /* io_stats sampling interval, 1000 */
extern unsigned vmo_monitor_ms;           /* health monitor round, 5000 */
extern const char *vmo_topologies_path;   /* NULL: the built-in templates */
extern const char *vmo_sysvol_record;     /* /run/sysvol/degraded */

/* ---- SMART (smart.c) ----------------------------------------------------------- */

#include "smart.h"

enum vmo_smart_kind { VMO_SMART_NONE, VMO_SMART_NVME, VMO_SMART_ATA };

struct vmo_smart {
	char device[40];
	enum vmo_smart_kind kind;
	bool ok;           /* read and decoded */
	bool warning;      /* critical warning, threshold exceeded */
	char why[256];     /* unsupported, or why the read failed */
	struct smart_nvme nvme;
	int ata_status;
	struct smart_ata_attr attrs[SMART_ATA_MAX_ATTRS];
	size_t nattrs;
};
/* Read b's SMART (a whole disk). 0 (s->kind NONE when it has none), or
 * -1 with s->why. */
int vmo_smart_read(const struct blkdev *b, struct vmo_smart *s);

/* ---- health (health.c; the pure findings in formats.c) ------------------- */

enum vmo_level { VMO_OK, VMO_DEGRADED, VMO_FAILING };

struct vmo_finding {
	enum vmo_level level;
	char source[16];    /* md, btrfs, smart, usage, sysvol */
	char subject[128];  /* md0, /var/cache/system devid 2, nvme0n1 */
	char reason[256];
	char action[256];
};

#define VMO_MAX_FINDINGS 64

struct vmo_health {
	struct vmo_finding f[VMO_MAX_FINDINGS];
	size_t n;
};

/* Findings from an md array's state (pure: tests feed it structs). */
struct md_array;
void vmo_health_md(const struct md_array *a, struct vmo_health *h);
/* From sysvol's degraded-boot record text (key=value lines). */
void vmo_health_sysvol(const char *text, struct vmo_health *h);
/* The verdict: the worst level found. */
enum vmo_level vmo_health_verdict(const struct vmo_health *h);
/* Add a finding; name its subject (the last finding's). */
void vmo_health_add(struct vmo_health *h, enum vmo_level lv, const char *source,
		    const char *action, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void vmo_health_subject(struct vmo_health *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
extern const char *const vmo_level_names[]; /* "ok", "degraded", "failing" */

/* ---- events the modules publish ---------------------------------------------- */
/* job_end (jobs.c), array_degraded and smart_warning (health.c's monitor). */

#endif
