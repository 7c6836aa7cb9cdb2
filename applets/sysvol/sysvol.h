/* sysvol.h - what sysvol's files share: the context of one run.
 *
 * One run (at every boot, or by hand) goes:
 *   1. main.c: options, the kernel command line, the layout (layout.c),
 *      modules, the disk inventory (select.c: every disk, classified);
 *   2. a node whose disks carry sysvol's partition names: sv_boot_existing
 *      (assemble.c, degraded.c, rejoin.c) brings up what is there (md
 *      arrays by UUID, btrfs members, the bounded wait, a degraded start)
 *      and fills c->vol[]; a node with blank disks only: select.c chooses
 *      them and plan.c plans the partition table;
 *   3. provision.c: sv_complete creates what is missing (partitions,
 *      arrays, filesystems, subvolumes; never over anything found there)
 *      and sv_mount_layout mounts;
 *   4. main.c renders c->rep as text or JSON and writes the state file.
 * Every change to a disk or to the system is a step of c->plan: planned
 * first, then carried out in order (or only printed, --dry-run), so the
 * plan printed is the plan executed.
 */
#ifndef SV_SYSVOL_H
#define SV_SYSVOL_H

#include "bb.h"
#include "cmdline.h"
#include "error.h"
#include "sysfs.h"
#include "uuid.h"

struct gpt;

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SV_STATE_SCHEMA 1
#define SV_STATE_DIR "/run/sysvol"
#define SV_STATE_FILE SV_STATE_DIR "/state.json"
#define SV_LAYOUT_NAME "sysvol-layout.conf" /* config/data/ */
#define SV_LAYOUT_MAX (64u << 10)           /* bytes of a layout file */

#define SV_MAX_PARTS 16
#define SV_MAX_SUBVOLS 32
#define SV_MAX_DISKS 64
#define SV_MIRROR 2 /* disks of a mirrored node */
#define SV_MAX_STEPS 160
#define SV_ARGV_MAX 24
#define SV_PATH 256
#define SV_DEV 64
#define SV_NOTE 400

#define SV_WAIT_DEFAULT 10 /* s: sysvol.wait= when absent */
#define SV_SWAP_DEFAULT 2  /* GiB: mosswap= */
#define SV_DATA_DEFAULT 4  /* GiB: mossize= */

/* ---- the layout (layout.c) ------------------------------------------------ */

enum sv_format { SV_FMT_RAW, SV_FMT_VFAT, SV_FMT_EXT4, SV_FMT_SWAP, SV_FMT_BTRFS };
enum sv_mirror {
	SV_MIRROR_NONE,  /* each disk its own (raw: copied on both, e.g. BIOS boot) */
	SV_MIRROR_MD090, /* md RAID1, metadata 0.90 (superblock at the end) */
	SV_MIRROR_MD12,  /* md RAID1, metadata 1.2 */
	SV_MIRROR_BTRFS, /* one btrfs across the partitions, -d raid1 -m raid1 */
};

struct sv_part {
	char name[37];       /* GPT name, ASCII, at most 36 */
	char type[16];       /* a core/gpt short type name: bios_boot, esp, linux, swap */
	uint64_t size;       /* bytes (resolved: after the command line) */
	char size_key[32];   /* "mosswap" when the size comes from KEY=N GiB; "" */
	uint64_t size_gib;   /* its default (GiB) */
	uint64_t size_4k;    /* bytes on 4096-byte-sector disks; 0: size */
	enum sv_format format;
	char label[256];     /* "" none */
	enum sv_mirror mirror;
	char mount[SV_PATH]; /* "" none */
	int line;            /* where it was defined, for messages */
};

struct sv_subvol {
	char name[256];
	char mount[SV_PATH];
	int line;
};

struct sv_layout {
	struct sv_part part[SV_MAX_PARTS];
	size_t nparts;
	struct sv_subvol sub[SV_MAX_SUBVOLS];
	size_t nsubs;
	int data;            /* index of the btrfs partition holding the subvolumes, -1 */
	char from[SV_PATH];  /* the file, or "built-in sysvol-layout.conf" */
};

/* Parse layout text (len bytes, NUL-terminated after them). Every
 * problem is refused with its line: "line 12: size: '1X': junk after
 * the number". 0, or -1 with e. */
int sv_layout_parse(struct sv_layout *l, const char *text, size_t len, struct bb_error *e);
/* The layout to run with: path (--layout, sysvol.layout=) or the
 * built-in one, parsed. 0, or -1 with e. */
int sv_layout_load(struct sv_layout *l, const char *path, struct bb_error *e);
/* Sizes from the command line ("cmdline:mossize:4" takes mossize=N GiB,
 * 1..65536). 0, or -1 with e naming the key. */
int sv_layout_resolve(struct sv_layout *l, const struct cmdline *cl, struct bb_error *e);
/* Bytes partition i takes on a disk of lsec-byte sectors. */
uint64_t sv_part_size(const struct sv_part *p, unsigned lsec);
/* Bytes the whole layout needs on such a disk: 1 MiB before the first
 * partition, each partition 1 MiB-aligned, the backup GPT after. */
uint64_t sv_layout_need(const struct sv_layout *l, unsigned lsec);
const char *sv_format_name(enum sv_format f); /* "vfat" */
const char *sv_mirror_name(enum sv_mirror m); /* "md-0.90" */

/* ---- disks (select.c) ---------------------------------------------------- */

enum sv_disk_kind {
	SV_DISK_SKIPPED, /* never considered: removable, read-only, loop, too small...
			  * (why says which) */
	SV_DISK_BLANK,   /* nothing on it, nobody using it */
	SV_DISK_OURS,    /* a GPT with sysvol's partition names */
	SV_DISK_FOREIGN, /* something else: left alone (why says what) */
};

struct sv_disk {
	char name[BLKDEV_NAME]; /* vda, nvme0n1 */
	char path[SV_DEV];      /* /dev/vda */
	char serial[64], wwn[80], model[64], transport[12];
	uint64_t size;
	unsigned lsec, psec;
	bool rotational, removable, ro;
	enum sv_disk_kind kind;
	char why[SV_NOTE];      /* why skipped / what was found / why chosen */
	bool chosen;            /* part of the node's storage (blank chosen, or ours) */
	bool by_label;          /* ours by its filesystems' labels, the GPT names absent or
				 * different: assembled and mounted, never written */
	char id[80];            /* serial, else WWN, else "name-size": seeds UUIDs */
	/* ours: which layout partition is which partition number (0: absent) */
	unsigned partno[SV_MAX_PARTS];
	char part_path[SV_MAX_PARTS][SV_DEV]; /* /dev/vda2, /dev/nvme0n1p2 */
};

/* The partition device of number n on disk d: vda2, nvme0n1p2, mmcblk0p2. */
void sv_part_dev(const struct sv_disk *d, unsigned n, char *out, size_t len);

/* ---- volumes: what each layout partition is once the node is up ------------ */

enum sv_vol_state {
	SV_VOL_ABSENT = 0, /* not there yet: sv_complete creates it */
	SV_VOL_READY,      /* dev is the device to format, mount or swap on */
	SV_VOL_DEGRADED,   /* dev is up with a member missing */
	SV_VOL_FAILED,     /* could not be brought up (note says why) */
};

struct sv_vol {
	enum sv_vol_state state;
	char dev[SV_DEV];            /* /dev/md/mosefi, /dev/vda3 (btrfs: one member) */
	char member[SV_MIRROR][SV_DEV]; /* partitions on the node's disks, "" absent */
	unsigned nmembers;
	struct uuid fs_uuid;         /* derived (what sysvol gives a new one) */
	struct uuid md_uuid;         /* derived, mirrored md volumes */
	bool made;                   /* formatted by this run's plan */
	char note[SV_NOTE];
};

/* ---- the plan: every change, in order -------------------------------------- */

enum sv_step_kind {
	SV_STEP_GPT,     /* write table `gpt` to disk target (c->disk[disk]) */
	SV_STEP_VFAT,    /* FAT32 through core/vfat on target */
	SV_STEP_MKSWAP,  /* swap area through core/mkswap on target */
	SV_STEP_EXEC,    /* run argv (mdadm, mke2fs, mkfs.btrfs) */
	SV_STEP_SCAN,    /* register a btrfs member with the kernel: target */
	SV_STEP_MKDIR,   /* mkdir -p target */
	SV_STEP_MOUNT,   /* mount source on target, fstype, opts */
	SV_STEP_SUBVOL,  /* create subvolume source in the btrfs mounted at target */
	SV_STEP_SWAPON,  /* swapon target */
	SV_STEP_COPY,    /* raw copy of partition source onto target, read back */
};

struct sv_step {
	enum sv_step_kind kind;
	char what[160];         /* one line: "md RAID1 mosefi from vda2 vdb2" */
	int disk;               /* SV_STEP_GPT: index into c->disk */
	char target[SV_PATH];
	char source[SV_PATH];
	char fstype[16];
	char opts[128];
	char *argv[SV_ARGV_MAX + 1]; /* SV_STEP_EXEC (malloc'd, NULL-ended) */
	const char *input;      /* SV_STEP_EXEC: fed on stdin (static text), NULL */
	char label[256];        /* SV_STEP_VFAT, SV_STEP_MKSWAP */
	struct uuid uuid;       /* SV_STEP_VFAT (volume id from its first bytes), MKSWAP */
	struct gpt *gpt;        /* SV_STEP_GPT (owned) */
	int part;               /* layout partition it is for, -1 */
	/* outcome */
	bool done;              /* carried out (or, dry run, would be) */
	bool external;          /* ran another program */
	double secs;
};

/* ---- the report ----------------------------------------------------------- */

/* Where a run's wall time went: every moment is charged to one named
 * phase ("inventory", "mount"...) or, while a step runs, to its kind
 * ("step:mount", "step:exec" = other programs), so that the parts add up
 * to the whole and a slow second boot can be taken apart. */
#define SV_MAX_PHASES 24
struct sv_timing {
	const char *name; /* static text */
	double secs;
	unsigned count;   /* times charged */
};

enum sv_outcome {
	SV_OUT_NONE = 0,
	SV_OUT_PROVISIONED, /* blank disks partitioned, formatted, mounted */
	SV_OUT_COMPLETED,   /* sysvol's partial layout completed, mounted */
	SV_OUT_MOUNTED,     /* provisioned node: assembled and mounted, nothing written */
	SV_OUT_DEGRADED,    /* mounted with a member missing */
	SV_OUT_DISKLESS,    /* no suitable disk: nothing done (exit 0) */
	SV_OUT_PLANNED,     /* --dry-run */
	SV_OUT_FAILED,
};

struct sv_report {
	enum sv_outcome outcome;
	char mode[8];              /* "single", "mirror", "" */
	char error[BB_ERROR_MSG];  /* what failed, FAILED */
	/* degraded start (degraded.c): "degraded since TIME, missing SERIAL" */
	bool degraded;
	char degraded_since[32];   /* ISO 8601 UTC */
	char missing[SV_MIRROR][80]; /* serials of members not found */
	char warn[8][SV_NOTE];     /* loud warnings, in order */
	unsigned nwarn;
	double secs_total, secs_tools; /* wall time; of it, in other programs */
	double secs_modules;       /* of it, loading kernel modules */
	struct sv_timing phase[SV_MAX_PHASES]; /* in order of first use */
	unsigned nphase;
};

/* ---- the context of one run ---------------------------------------------- */

struct sv_ctx {
	/* options */
	bool dry_run, json, verbose;
	uint64_t cut_bytes;        /* --cut-after-bytes: with stop_after, step N+1 is
				    * started and killed once it has written this many
				    * bytes (a power cut inside mkfs); 0: none */
	bool stop;                 /* --stop-after given (N may be 0) */
	unsigned stop_after;       /* --stop-after N: carry out N steps, then stop
				    * (power-cut tests); 0: all */
	const char *layout_path;   /* --layout, else sysvol.layout= */
	const char *root;          /* --root: mount points below it ("" the system) */
	const char *state_path;    /* --state FILE, default SV_STATE_FILE */
	/* kernel command line */
	struct cmdline cl;
	unsigned wait_s;           /* sysvol.wait= */
	char disks_only[512];      /* sysvol.disks= (or --disks): serials/WWNs, ',' separated */
	bool replace_auto;         /* sysvol.replace=auto */
	const struct sysroot *sys;
	/* what it runs with */
	struct sv_layout layout;
	struct sv_disk disk[SV_MAX_DISKS];
	size_t ndisks;
	int node[SV_MIRROR];       /* the node's disks (indexes into disk[]), -1 */
	unsigned nnode;
	struct sv_vol vol[SV_MAX_PARTS]; /* by layout partition */
	bool btrfs_degraded;       /* mount the data btrfs with -o degraded */
	bool by_label;             /* a node disk is ours by label only: nothing is written */
	/* what it does */
	struct sv_step step[SV_MAX_STEPS];
	size_t nsteps, nrun;       /* planned; carried out so far */
	struct sv_report rep;
	const char *phase_now;     /* the phase time is charged to */
	uint64_t phase_mark;       /* clock_ns() when it was last charged */
};

/* ---- who implements what ---------------------------------------------------
 * sysboot (assemble.c, degraded.c, rejoin.c): a node whose disks carry
 * sysvol's partition names (c->disk[] kind SV_DISK_OURS, c->node[] and
 * c->nnode set, sorted by disk id). When it is called, sv_vols_members()
 * has filled c->vol[i].member[] (the partition of layout partition i on
 * each node disk, "" where absent) and, for what needs no assembly (a
 * volume of one partition, and the btrfs raid1 volume with dev = its
 * first member), dev with state READY; md-mirrored volumes are ABSENT.
 * It brings up what is there: the md arrays by their UUID as /dev/md/NAME
 * (dev, READY or DEGRADED; left ABSENT when no member carries an md
 * superblock yet, so that sv_complete creates the array), btrfs members
 * registered (SV_STEP_SCAN), the bounded wait (c->wait_s), a degraded
 * start recorded in c->rep (and c->btrfs_degraded for the mount), a
 * returning or replaced member; FAILED with note what cannot come up.
 * Writes only through steps (sv_step_add, sv_run_steps), so that
 * --dry-run shows them. Then sv_complete() creates what is still missing
 * and sv_mount_layout() mounts. 0, or -1 with e. */
int sv_boot_existing(struct sv_ctx *c, struct bb_error *e);
/* sysboot (degraded.c), after sv_mount_layout (provisioning too): the
 * records that outlive the boot (/run/sysvol/degraded, /boot/sysvol/),
 * the warnings a degraded or split node needs, the background scrub of
 * a returning member or device replace onto a new one. 0, or -1 with e. */
int sv_boot_after_mount(struct sv_ctx *c, struct bb_error *e);

/* select.c */
int sv_inventory(struct sv_ctx *c, struct bb_error *e); /* fill c->disk[] */
/* Choose the node's disks among the blank ones: c->node[], rep.mode. 0 with
 * nnode 0 when none suits (diskless). */
int sv_choose(struct sv_ctx *c, struct bb_error *e);

/* plan.c / provision.c */
void sv_vols_members(struct sv_ctx *c); /* c->vol[].member[], dev of plain volumes */
void sv_derive(const struct sv_ctx *c, const char *what, struct uuid *u); /* seeded by the node's disks */
int sv_plan_tables(struct sv_ctx *c, struct bb_error *e);   /* GPT of each node disk */
int sv_complete(struct sv_ctx *c, struct bb_error *e);      /* arrays, filesystems */
int sv_mount_layout(struct sv_ctx *c, struct bb_error *e);  /* mounts, swap, subvolumes */

/* Steps: add one (returns it, or NULL with e when the plan is full), and
 * carry out those added since the last call (or print them, dry run). */
struct sv_step *sv_step_add(struct sv_ctx *c, enum sv_step_kind kind, int part,
			    struct bb_error *e, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
int sv_step_argv(struct sv_step *s, const char *const *argv, struct bb_error *e);
int sv_run_steps(struct sv_ctx *c, struct bb_error *e);
void sv_steps_free(struct sv_ctx *c);
void sv_warn(struct sv_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The time since the last charge goes to `name` (sv_charge) or to the
 * current phase, which then becomes `name` (sv_phase). Static names. */
void sv_charge(struct sv_ctx *c, const char *name);
void sv_phase(struct sv_ctx *c, const char *name);

#endif
