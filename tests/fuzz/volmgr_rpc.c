/* libFuzzer target: volmgr's JSON-RPC framing (requests, batches, ids,
 * params by name and position, the policy check). Whatever arrives, it
 * must never crash, and what it writes must be one line of valid JSON:
 * a response object or a batch array (or nothing at all). */
#include "../../applets/volmgr/rpc.h"

#include <stdlib.h>
#include <string.h>

static int echo(struct vm_call *c)
{
	jw_obj(c->out);
	static const char *keys[] = { "s", "p", "n", "b" };
	for (size_t i = 0; i < 4; i++) {
		const struct json *v = json_get(c->params, keys[i]);
		if (v) {
			jw_key(c->out, keys[i]);
			jw_json(c->out, v);
		}
	}
	jw_obj_end(c->out);
	return 0;
}

static int fail(struct vm_call *c)
{
	jw_arr(c->out);
	return vm_fail_errno(c, VM_E_STORAGE, 5, vm_str(c, "s"), "failed: %s", vm_str(c, "s"));
}

static const struct vm_param params[] = {
	{ "s", VM_T_STR, 0, NULL, NULL },  { "p", VM_T_PATH, 0, NULL, NULL },
	{ "n", VM_T_U64, 0, NULL, NULL },  { "b", VM_T_BOOL, 0, NULL, NULL },
	{ "o", VM_T_OBJ, 0, NULL, NULL },  { "a", VM_T_ARR, 0, NULL, NULL },
	{ 0 },
};

static const struct vm_method methods[] = {
	{ .name = "echo", .params = params, .fn = echo },
	{ .name = "fail", .params = params, .fn = fail },
	{ .name = "mut", .params = params, .flags = VM_MUTATING, .fn = echo },
	{ 0 },
};

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct vm_session s = { .methods = methods, .max_depth = 16 };
	s.who.uid = size && data[0] & 1; /* root or not */
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return 0;
	vm_rpc_line(&s, (const char *)data, size, f);
	fclose(f);
	if (len) {
		char err[128];
		if (out[len - 1] != '\n' || memchr(out, '\n', len - 1))
			abort();
		struct json *j = json_parse(out, len, 64, err, sizeof(err));
		if (!j || (j->type != JSON_OBJECT && j->type != JSON_ARRAY))
			abort();
		json_free(j);
	}
	free(out);
	return 0;
}
