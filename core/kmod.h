/* kmod.h - kernel modules: find, order and load them without depmod.
 *
 * A module tree is ROOT/lib/modules/RELEASE as a kernel package ships it.
 * Modules are found by walking that tree for NAME.ko; what each needs
 * comes from its own .modinfo (depends=, softdep=, alias=), so a tree
 * without modules.dep works. modules.builtin and modules.builtin.modinfo,
 * when present, tell which names (and aliases) the kernel has built in.
 *
 * Names are compared with '-' and '_' as the same character.
 */
#ifndef BB_KMOD_H
#define BB_KMOD_H

#include <stdbool.h>
#include <stddef.h>

#define KMOD_NAME_MAX 64

struct kmod_file {
	char name[KMOD_NAME_MAX]; /* normalised: dm_mod */
	char *path;               /* full path of the .ko */
	bool compressed;          /* .ko.xz/.ko.zst/.ko.gz: found but not loadable */
};

struct kmod {
	char release[65];
	char dir[4096];    /* ROOT/lib/modules/RELEASE */
	bool running;      /* the tree of the running kernel: /sys tells what is loaded */
	struct kmod_file *files;
	size_t nfiles;
	bool indexed;
	char *builtin;     /* modules.builtin, may be NULL */
	size_t builtin_len;
	char *builtin_info; /* modules.builtin.modinfo, may be NULL */
	size_t builtin_info_len;
};

struct bb_error;

/* root NULL or "/" and release NULL mean the running kernel. Fails (-1,
 * e set) when the module directory does not exist. */
int kmod_open(struct kmod *k, const char *root, const char *release, struct bb_error *e);
void kmod_close(struct kmod *k);

/* One thing to do for a load, in order. */
struct kmod_step {
	char name[KMOD_NAME_MAX];
	const struct kmod_file *file; /* NULL: built into the kernel */
	bool optional; /* a soft dependency, or one of several alias matches */
	int group;     /* steps of one alias share a group: one success is enough */
	bool target;   /* what was asked for (gets the parameters) */
};

struct kmod_plan {
	struct kmod_step *step;
	size_t n, cap;
	int groups;
};

/* Add name (module, builtin or alias) and what it needs, dependencies
 * first, to plan. Returns 0; 1 when nothing provides name (e not set,
 * so the caller can be quiet or say it its own way); -1 with e on a
 * damaged module, a missing dependency or a dependency cycle. */
int kmod_plan_add(struct kmod *k, struct kmod_plan *plan, const char *name, struct bb_error *e);
void kmod_plan_free(struct kmod_plan *plan);

enum kmod_state { KMOD_ABSENT, KMOD_LIVE, KMOD_COMING, KMOD_GOING, KMOD_BUILTIN };
/* What the running kernel says about a module (/sys/module). */
enum kmod_state kmod_state(const char *name);

/* finit_module() of one file. Returns 0 (also when already loaded), or -1
 * with the reason in why: unknown symbols are listed by name from the
 * kernel log, a wrong format names the module's and the kernel's version. */
int kmod_insert(const char *path, const char *params, char *why, size_t len);

/* What a load does as it goes, for a caller that shows it (modprobe -v):
 * a step already there (loaded or built in), a module about to be
 * inserted, an optional one that failed (why says how). */
enum kmod_event { KMOD_PRESENT, KMOD_INSERTING, KMOD_OPTIONAL_FAILED };
struct kmod_notes {
	void (*fn)(void *ctx, enum kmod_event ev, const struct kmod_step *s, const char *why);
	void *ctx;
};

/* Load what a plan says: skips built-in and loaded modules, passes
 * params to the target, tells notes (may be NULL) of each step. Returns
 * 0 when every required step (and one of each alias group) succeeded,
 * else -1 with e. */
int kmod_run_plan(struct kmod *k, const struct kmod_plan *plan, const char *params,
		  const struct kmod_notes *notes, struct bb_error *e);

/* Resolve and load name with its dependencies: kmod_plan_add +
 * kmod_run_plan. Returns 0; 1 with e when nothing provides name (a
 * caller like modprobe -q stays quiet about that); -1 with e. */
int kmod_load(struct kmod *k, const char *name, const char *params,
	      const struct kmod_notes *notes, struct bb_error *e);

/* Make the device nodes that load their module when opened, as kmod's
 * static-nodes does from modules.devname: for each module with
 * alias=devname:NAME and alias=char-major-M-N (or block-major-M-N),
 * DEV/NAME. Without them, `btrfs device scan` (/dev/btrfs-control) or
 * losetup (/dev/loop-control) fail until someone loads the module.
 * Existing nodes are left alone. Returns the number made (e set when
 * some could not be made), or -1 with e when the tree cannot be read. */
int kmod_static_nodes(struct kmod *k, const char *dev, struct bb_error *e);

/* delete_module(); 0, or -1 with why ("in use by raid1"). */
int kmod_remove(const char *name, char *why, size_t len);

#endif
