/* methods.c - the method table's modules, the helpers handlers use
 * (param getters, errors), and the methods of the transport itself:
 * rpc.discover, storage.subscribe, and storage.list_disks, the first
 * query, which proves the path from the table to the socket. */
#include "rpc.h"
#include "clock.h"
#include "sysfs.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

struct vm_config vm_cfg = {
	.root = &sysroot_default,
	.state_dir = "/var/lib/volmgr",
	.run_dir = "/run/mos_volmgrd",
};

const struct vm_module *const *vm_modules(void)
{
	/* Weak modules that do not exist have the address NULL. */
	static const struct vm_module *list[8];
	static bool done;
	if (!done) {
		const struct vm_module *all[] = { &vm_mod_core,  &vm_mod_query, &vm_mod_ops,
						  &vm_mod_jobs,  &vm_mod_stats, &vm_mod_smart,
						  &vm_mod_health };
		size_t n = 0;
		for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
			if (all[i])
				list[n++] = all[i];
		list[n] = NULL;
		done = true;
	}
	return list;
}

void vm_each_method(void (*fn)(const struct vm_method *m, void *ctx), void *ctx)
{
	for (const struct vm_module *const *mod = vm_modules(); *mod; mod++)
		for (const struct vm_method *m = (*mod)->methods; m && m->name; m++)
			fn(m, ctx);
}

const struct vm_method *vm_method_find(const char *name)
{
	for (const struct vm_module *const *mod = vm_modules(); *mod; mod++)
		for (const struct vm_method *m = (*mod)->methods; m && m->name; m++)
			if (!strcmp(m->name, name))
				return m;
	return NULL;
}

const struct vm_method *vm_method_by_cli(const char *cli)
{
	for (const struct vm_module *const *mod = vm_modules(); *mod; mod++)
		for (const struct vm_method *m = (*mod)->methods; m && m->name; m++)
			if (m->cli && !strcmp(m->cli, cli))
				return m;
	return NULL;
}

/* ---- params and errors ---------------------------------------------------- */

const char *vm_str(const struct vm_call *c, const char *name)
{
	return json_string(json_get(c->params, name));
}

uint64_t vm_u64(const struct vm_call *c, const char *name, uint64_t def)
{
	uint64_t v;
	return json_u64(json_get(c->params, name), &v) ? v : def;
}

bool vm_bool(const struct vm_call *c, const char *name, bool def)
{
	bool v;
	return json_bool(json_get(c->params, name), &v) ? v : def;
}

bool vm_has(const struct vm_call *c, const char *name)
{
	const struct json *j = json_get(c->params, name);
	return j && j->type != JSON_NULL;
}

static int vfail(struct vm_call *c, int code, int err, const char *device, const char *fmt,
		 va_list ap)
{
	c->code = code;
	c->err_errno = err;
	snprintf(c->device, sizeof(c->device), "%s", device ? device : "");
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	return -1;
}

int vm_fail(struct vm_call *c, int code, const char *device, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(c, code, 0, device, fmt, ap);
	va_end(ap);
	return -1;
}

int vm_fail_errno(struct vm_call *c, int code, int err, const char *device, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(c, code, err, device, fmt, ap);
	va_end(ap);
	return -1;
}

int vm_fail_bb(struct vm_call *c, const struct bb_error *e, const char *device)
{
	int code = VM_E_STORAGE;
	switch (e->code) {
	case ENOENT: case ENODEV: case ENXIO:
		code = VM_E_NODEV;
		break;
	case EBUSY: case EINVAL: case EEXIST: case EPERM: case EACCES:
		code = VM_E_VALIDATION;
		break;
	}
	return vm_fail_errno(c, code, e->code, device, "%s", e->msg[0] ? e->msg : "failed");
}

/* ---- the kept view of block devices ---------------------------------- */

/* Set by the server while it watches for changes (uevents, mountinfo,
 * swaps); only then may a view be kept. */
bool vm_view_watched;
/* Job threads bump it too: atomic. The kept view is read and replaced
 * only on the event loop. */
static _Atomic unsigned view_gen = 1;
static unsigned kept_gen;
static uint64_t kept_ns;
static struct blkdev_list kept;
static const struct sysroot *kept_root;

void vm_blkdevs_changed(void)
{
	view_gen++;
}

const struct blkdev_list *vm_blkdevs(struct bb_error *e)
{
	uint64_t now = clock_ns();
	/* the generation before the scan: a change during it leaves the
	 * new view stale, so the next call reads again */
	unsigned gen = view_gen;
	if (vm_view_watched && kept_gen == gen && kept_root == vm_cfg.root &&
	    now - kept_ns < 2000000000ull)
		return &kept;
	struct blkdev_list l;
	if (blkdev_scan(vm_cfg.root, &l, e))
		return NULL;
	if (kept.dev)
		blkdev_list_free(&kept);
	kept = l;
	kept_gen = vm_view_watched ? gen : 0; /* a view nobody watched is not kept */
	kept_ns = now;
	kept_root = vm_cfg.root;
	return &kept;
}

const struct blkdev_list *vm_view(struct vm_call *c)
{
	struct bb_error e = { 0 };
	const struct blkdev_list *l = vm_blkdevs(&e);
	if (!l)
		vm_fail_bb(c, &e, NULL);
	return l;
}

const struct blkdev_list *vm_view_list(struct vm_call *c)
{
	const struct blkdev_list *l = vm_view(c);
	if (l)
		jw_arr(c->out);
	return l;
}

/* ---- rpc.discover ------------------------------------------------------- */

/* The document depends only on the method table, which never changes
 * while the process runs: written once, on the first call, and served
 * from memory after that. */
static char *discover_doc;
static size_t discover_len;
static pthread_once_t discover_once = PTHREAD_ONCE_INIT;

static void discover_build(void)
{
	FILE *f = open_memstream(&discover_doc, &discover_len);
	if (!f)
		return;
	struct jw w;
	jw_init(&w, f, false);
	vm_openrpc_write(&w);
	if (fclose(f)) {
		free(discover_doc);
		discover_doc = NULL;
	}
}

static int rpc_discover(struct vm_call *c)
{
	pthread_once(&discover_once, discover_build);
	if (!discover_doc)
		return vm_fail(c, VM_E_INTERNAL, NULL, "out of memory");
	jw_raw(c->out, discover_doc, discover_len);
	return 0;
}

/* ---- storage.subscribe -------------------------------------------------- */

static int subscribe(struct vm_call *c)
{
	const struct json *ev = json_get(c->params, "events");
	if (vm_session_subscribe(c->session, ev, c) < 0)
		return -1;
	jw_obj(c->out);
	jw_kbool(c->out, "subscribed", true);
	jw_key(c->out, "events");
	jw_arr(c->out);
	for (size_t i = 0; ev && i < ev->arr.n; i++)
		jw_str(c->out, json_string(&ev->arr.v[i]));
	jw_arr_end(c->out);
	jw_obj_end(c->out);
	return 0;
}

/* ---- storage.list_disks ------------------------------------------------- */

static const char *disk_type(const struct blkdev *d)
{
	if (!strcmp(d->transport, "md") || !strcmp(d->transport, "dm") ||
	    !strcmp(d->transport, "loop"))
		return d->transport;
	return "disk";
}

static int list_disks(struct vm_call *c)
{
	const struct blkdev_list *l = vm_view_list(c);
	if (!l)
		return -1;
	struct jw *w = c->out;
	for (size_t i = 0; i < l->n; i++) {
		const struct blkdev *d = &l->dev[i];
		/* Whole devices that hold something: not partitions, not the
		 * dozens of empty loop and ram devices. */
		if (d->partno || !d->size)
			continue;
		jw_obj(w);
		jw_kstr(w, "name", d->name);
		jw_kstr(w, "path", d->path);
		jw_kstr(w, "type", disk_type(d));
		jw_ku64(w, "size_bytes", d->size);
		jw_kstr(w, "transport", d->transport);
		jw_kbool(w, "rotational", d->rotational);
		jw_kbool(w, "removable", d->removable);
		jw_kbool(w, "read_only", d->ro);
		jw_ku64(w, "logical_sector", d->lsec);
		jw_ku64(w, "physical_sector", d->psec);
		jw_kstr(w, "model", d->model);
		jw_kstr(w, "serial", d->serial);
		jw_kstr(w, "wwn", d->wwn);
		jw_ki64(w, "partitions", d->nparts);
		jw_key(w, "holders");
		jw_arr(w);
		for (int h = 0; h < d->nholders; h++)
			jw_str(w, d->holders[h]);
		jw_arr_end(w);
		jw_key(w, "mountpoint");
		if (d->mountpoint[0])
			jw_str(w, d->mountpoint);
		else
			jw_null(w);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	return 0;
}

static const struct vm_field disk_fields[] = {
	{ "name", VM_T_STR, "kernel name: sda, nvme0n1, md127", 0 },
	{ "path", VM_T_PATH, "device node", VM_F_HIDE },
	{ "type", VM_T_STR, "disk, md, dm or loop", 0 },
	{ "size_bytes", VM_T_U64, "size in bytes", VM_F_BYTES },
	{ "transport", VM_T_STR, "virtio, nvme, sata, scsi, usb, mmc, md, dm, loop", 0 },
	{ "rotational", VM_T_BOOL, "spinning disk (HDD)", 0 },
	{ "removable", VM_T_BOOL, "removable medium", VM_F_HIDE },
	{ "read_only", VM_T_BOOL, "read-only device", VM_F_HIDE },
	{ "logical_sector", VM_T_U64, "logical sector size in bytes", VM_F_HIDE },
	{ "physical_sector", VM_T_U64, "physical sector size in bytes", VM_F_HIDE },
	{ "model", VM_T_STR, "model as the device reports it", 0 },
	{ "serial", VM_T_STR, "serial number", 0 },
	{ "wwn", VM_T_STR, "world wide name", VM_F_HIDE },
	{ "partitions", VM_T_U64, "number of partitions", 0 },
	{ "holders", VM_T_ARR, "what holds it: md arrays, dm devices", VM_F_HIDE },
	{ "mountpoint", VM_T_PATH, "first mount point, or null", VM_F_NULLABLE },
	{ 0 },
};

static const struct vm_param subscribe_params[] = {
	{ "events", VM_T_ARR, 0,
	  "event names to receive (job_end, array_degraded, smart_warning, ...); "
	  "all when absent",
	  NULL },
	{ 0 },
};

static const struct vm_method core_methods[] = {
	{ .name = "rpc.discover", .cli = "discover",
	  .help = "The OpenRPC service document: every method, its params and result",
	  .result = { VM_R_ANY, NULL }, .fn = rpc_discover },
	{ .name = "storage.list_disks", .cli = "disks",
	  .help = "All disks (whole block devices) with type, size, model, serial",
	  .result = { VM_R_LIST, disk_fields }, .fn = list_disks },
	{ .name = "storage.subscribe",
	  .help = "Receive storage.event notifications on this connection "
		  "(job ends, arrays degrading, SMART warnings)",
	  .params = subscribe_params, .result = { VM_R_ANY, NULL }, .flags = VM_NO_CLI,
	  .fn = subscribe },
	{ 0 },
};

const struct vm_module vm_mod_core = { "core", core_methods, NULL, NULL };
