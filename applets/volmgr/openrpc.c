/* openrpc.c - the OpenRPC document rpc.discover answers, written from
 * the method table (the same one dispatch and validation read). */
#include "rpc.h"
#include "version.h"

#include <string.h>

void vm_schema_write(struct jw *w, int type, bool nullable)
{
	const char *t;
	switch (type) {
	case VM_T_STR: case VM_T_PATH: t = "string"; break;
	case VM_T_U64: t = "integer"; break;
	case VM_T_BOOL: t = "boolean"; break;
	case VM_T_OBJ: t = "object"; break;
	case VM_T_ARR: t = "array"; break;
	default: t = "number"; break;
	}
	jw_obj(w);
	jw_key(w, "type");
	if (nullable) {
		jw_arr(w);
		jw_str(w, t);
		jw_str(w, "null");
		jw_arr_end(w);
	} else {
		jw_str(w, t);
	}
	if (type == VM_T_U64)
		jw_ku64(w, "minimum", 0);
	if (type == VM_T_PATH)
		jw_kstr(w, "pattern", "^/");
	jw_obj_end(w);
}

static void object_schema(struct jw *w, const struct vm_field *f)
{
	jw_obj(w);
	jw_kstr(w, "type", "object");
	if (f) {
		jw_key(w, "properties");
		jw_obj(w);
		for (; f->name; f++) {
			jw_key(w, f->name);
			vm_schema_write(w, (int)f->type, f->flags & VM_F_NULLABLE);
		}
		jw_obj_end(w);
	}
	jw_obj_end(w);
}

static void result_schema(struct jw *w, const struct vm_result *r)
{
	switch (r->kind) {
	case VM_R_LIST:
		jw_obj(w);
		jw_kstr(w, "type", "array");
		jw_key(w, "items");
		object_schema(w, r->fields);
		jw_obj_end(w);
		break;
	case VM_R_JOB:
		jw_obj(w);
		jw_kstr(w, "type", "object");
		jw_key(w, "properties");
		jw_obj(w);
		jw_key(w, "job");
		vm_schema_write(w, VM_T_U64, false);
		jw_obj_end(w);
		jw_key(w, "required");
		jw_arr(w);
		jw_str(w, "job");
		jw_arr_end(w);
		jw_obj_end(w);
		break;
	case VM_R_OBJECT:
		object_schema(w, r->fields);
		break;
	case VM_R_ANY:
		jw_obj(w);
		jw_obj_end(w);
		break;
	}
}

static void param_doc(struct jw *w, const char *name, int type, bool required, const char *help)
{
	jw_obj(w);
	jw_kstr(w, "name", name);
	jw_kstr(w, "description", help ? help : "");
	jw_kbool(w, "required", required);
	jw_key(w, "schema");
	vm_schema_write(w, type, false);
	jw_obj_end(w);
}

static void method_doc(const struct vm_method *m, void *ctx)
{
	struct jw *w = ctx;
	jw_obj(w);
	jw_kstr(w, "name", m->name);
	jw_kstr(w, "summary", m->help ? m->help : m->name);
	if (m->flags & (VM_MUTATING | VM_JOB)) {
		/* Said in words too: the meta-schema forbids fields of our own. */
		char d[160];
		snprintf(d, sizeof(d), "%s%s", m->flags & VM_MUTATING ?
			 "Changes storage: needs root or a policy rule; accepts dry_run. " : "",
			 m->flags & VM_JOB ? "Starts a job: see storage.job_status." : "");
		jw_kstr(w, "description", d);
	}
	jw_kstr(w, "paramStructure", "either");
	jw_key(w, "params");
	jw_arr(w);
	for (const struct vm_param *p = m->params; p && p->name; p++)
		param_doc(w, p->name, (int)p->type, p->flags & VM_REQ, p->help);
	if (m->flags & VM_MUTATING)
		param_doc(w, "dry_run", VM_T_BOOL, false, "say what would be done, do nothing");
	jw_arr_end(w);
	jw_key(w, "result");
	jw_obj(w);
	jw_kstr(w, "name", "result");
	jw_key(w, "schema");
	result_schema(w, &m->result);
	jw_obj_end(w);
	jw_obj_end(w);
}

void vm_openrpc_write(struct jw *w)
{
	jw_obj(w);
	jw_kstr(w, "openrpc", "1.2.6");
	jw_key(w, "info");
	jw_obj(w);
	jw_kstr(w, "title", "volmgr");
	jw_kstr(w, "description",
		"blockbox volmgr: storage queries, changes, jobs and health over JSON-RPC 2.0");
	jw_kstr(w, "version", BB_VERSION);
	jw_obj_end(w);
	jw_key(w, "methods");
	jw_arr(w);
	vm_each_method(method_doc, w);
	jw_arr_end(w);
	jw_obj_end(w);
}
