/* volmgr's JSON-RPC framing: every example of the JSON-RPC 2.0
 * specification's examples section, ids echoed as written, params checked
 * against the method table, limits, and the policy on mutating methods. */
#include "../../applets/volmgr/cli.h"
#include "../../applets/volmgr/rpc.h"
#include "../../applets/volmgr/storage.h"
#include "fakesys.h"
#include "sysfs.h"
#include "test.h"

#include <errno.h>
#include <unistd.h>

/* ---- the specification's methods ----------------------------------- */

static int64_t num(const struct vm_call *c, const char *k)
{
	int64_t v = 0;
	json_i64(json_get(c->params, k), &v);
	return v;
}

static int subtract(struct vm_call *c)
{
	jw_i64(c->out, num(c, "minuend") - num(c, "subtrahend"));
	return 0;
}

static int sum(struct vm_call *c)
{
	jw_i64(c->out, num(c, "a") + num(c, "b") + num(c, "c"));
	return 0;
}

static int get_data(struct vm_call *c)
{
	jw_arr(c->out);
	jw_str(c->out, "hello");
	jw_u64(c->out, 5);
	jw_arr_end(c->out);
	return 0;
}

static int nothing(struct vm_call *c)
{
	jw_null(c->out);
	return 0;
}

static int half_then_fail(struct vm_call *c)
{
	jw_obj(c->out);
	jw_kstr(c->out, "partial", "yes");
	return vm_fail_errno(c, VM_E_NODEV, ENOENT, "/dev/nope", "/dev/nope: no such device");
}

static const struct vm_param sub_params[] = {
	{ "minuend", VM_T_U64, VM_REQ, "from", NULL },
	{ "subtrahend", VM_T_U64, VM_REQ, "take", NULL },
	{ 0 },
};
static const struct vm_param three[] = {
	{ "a", VM_T_U64, 0, NULL, NULL },
	{ "b", VM_T_U64, 0, NULL, NULL },
	{ "c", VM_T_U64, 0, NULL, NULL },
	{ 0 },
};
static const struct vm_param five[] = {
	{ "a", VM_T_U64, 0, NULL, NULL }, { "b", VM_T_U64, 0, NULL, NULL },
	{ "c", VM_T_U64, 0, NULL, NULL }, { "d", VM_T_U64, 0, NULL, NULL },
	{ "e", VM_T_U64, 0, NULL, NULL }, { 0 },
};
static const struct vm_param one[] = { { "a", VM_T_U64, 0, NULL, NULL }, { 0 } };
static const struct vm_param typed[] = {
	{ "path", VM_T_PATH, VM_REQ, NULL, NULL },
	{ "name", VM_T_STR, 0, NULL, NULL },
	{ "force", VM_T_BOOL, 0, NULL, NULL },
	{ "size", VM_T_U64, 0, NULL, NULL },
	{ 0 },
};

static const struct vm_method spec_methods[] = {
	{ .name = "subtract", .params = sub_params, .fn = subtract },
	{ .name = "sum", .params = three, .fn = sum },
	{ .name = "notify_sum", .params = three, .fn = sum },
	{ .name = "notify_hello", .params = one, .fn = nothing },
	{ .name = "update", .params = five, .fn = nothing },
	{ .name = "get_data", .fn = get_data },
	{ .name = "typed", .params = typed, .fn = nothing },
	{ .name = "change", .params = typed, .flags = VM_MUTATING, .fn = nothing },
	{ .name = "half", .fn = half_then_fail },
	{ 0 },
};

/* Run one line through a session; returns what it wrote (malloc'd). */
static char *rpc_as(const char *in, uid_t uid, int *rc, FILE *audit)
{
	struct vm_session s = { .methods = spec_methods, .audit = audit };
	s.who.uid = uid;
	s.who.gid = uid;
	snprintf(s.who.name, sizeof(s.who.name), "uid %u", (unsigned)uid);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CHECK(f);
	int r = vm_rpc_line(&s, in, strlen(in), f);
	fclose(f);
	if (rc)
		*rc = r;
	return buf;
}

static char *rpc(const char *in) { return rpc_as(in, 0, NULL, NULL); }

/* Structural equality; error objects compare by code only (the spec's
 * messages are examples, ours say more), and members in any order. */
static bool same(const struct json *a, const struct json *b);

static bool same_error(const struct json *a, const struct json *b)
{
	int64_t ca, cb;
	return json_i64(json_get(a, "code"), &ca) && json_i64(json_get(b, "code"), &cb) && ca == cb &&
	       json_string(json_get(a, "message"));
}

static bool same(const struct json *a, const struct json *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case JSON_NULL: return true;
	case JSON_BOOL: return a->b == b->b;
	case JSON_NUMBER: return a->num.d == b->num.d;
	case JSON_STRING: return a->str.len == b->str.len && !memcmp(a->str.s, b->str.s, a->str.len);
	case JSON_ARRAY:
		if (a->arr.n != b->arr.n)
			return false;
		for (size_t i = 0; i < a->arr.n; i++)
			if (!same(&a->arr.v[i], &b->arr.v[i]))
				return false;
		return true;
	case JSON_OBJECT:
		if (json_get(b, "code") && json_get(b, "message"))
			return same_error(a, b);
		if (a->obj.n != b->obj.n)
			return false;
		for (size_t i = 0; i < b->obj.n; i++) {
			const struct json *v = json_get(a, b->obj.m[i].key);
			if (!v || !same(v, &b->obj.m[i].val))
				return false;
		}
		return true;
	}
	return false;
}

/* Send in, expect want (JSON text, or "" for no output at all). */
static void expect(const char *in, const char *want, int line)
{
	char *got = rpc(in), err[128];
	if (!*want) {
		if (*got)
			test_fail(__FILE__, line, "%s: expected no answer, got %s", in, got);
		free(got);
		return;
	}
	size_t n = strlen(got);
	if (!n || got[n - 1] != '\n' || memchr(got, '\n', n - 1))
		test_fail(__FILE__, line, "%s: not one line: \"%s\"", in, got);
	struct json *g = json_parse(got, n, 64, err, sizeof(err));
	struct json *w = json_parse(want, strlen(want), 64, err, sizeof(err));
	if (!g || !w || !same(g, w))
		test_fail(__FILE__, line, "%s:\n  got  %s  want %s", in, got, want);
	json_free(g);
	json_free(w);
	free(got);
}
#define EXPECT(in, want) expect(in, want, __LINE__)

TEST(volmgr_rpc_spec_examples)
{
	/* positional parameters */
	EXPECT("{\"jsonrpc\": \"2.0\", \"method\": \"subtract\", \"params\": [42, 23], \"id\": 1}",
	       "{\"jsonrpc\": \"2.0\", \"result\": 19, \"id\": 1}");
	EXPECT("{\"jsonrpc\": \"2.0\", \"method\": \"subtract\", \"params\": [23, 42], \"id\": 2}",
	       "{\"jsonrpc\": \"2.0\", \"result\": -19, \"id\": 2}");
	/* named parameters */
	EXPECT("{\"jsonrpc\": \"2.0\", \"method\": \"subtract\", \"params\": {\"subtrahend\": 23, "
	       "\"minuend\": 42}, \"id\": 3}",
	       "{\"jsonrpc\": \"2.0\", \"result\": 19, \"id\": 3}");
	EXPECT("{\"jsonrpc\": \"2.0\", \"method\": \"subtract\", \"params\": {\"minuend\": 42, "
	       "\"subtrahend\": 23}, \"id\": 4}",
	       "{\"jsonrpc\": \"2.0\", \"result\": 19, \"id\": 4}");
	/* notifications */
	EXPECT("{\"jsonrpc\": \"2.0\", \"method\": \"update\", \"params\": [1,2,3,4,5]}", "");
	EXPECT("{\"jsonrpc\": \"2.0\", \"method\": \"foobar\"}", "");
	/* a method that does not exist */
	EXPECT("{\"jsonrpc\": \"2.0\", \"method\": \"foobar\", \"id\": \"1\"}",
	       "{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32601, \"message\": \"Method not "
	       "found\"}, \"id\": \"1\"}");
	/* invalid JSON */
	EXPECT("{\"jsonrpc\": \"2.0\", \"method\": \"foobar, \"params\": \"bar\", \"baz]",
	       "{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32700, \"message\": \"Parse "
	       "error\"}, \"id\": null}");
	/* an invalid Request object */
	EXPECT("{\"jsonrpc\": \"2.0\", \"method\": 1, \"params\": \"bar\"}",
	       "{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32600, \"message\": \"Invalid "
	       "Request\"}, \"id\": null}");
	/* a batch, invalid JSON */
	EXPECT("[\n  {\"jsonrpc\": \"2.0\", \"method\": \"sum\", \"params\": [1,2,4], \"id\": \"1\"},\n"
	       "  {\"jsonrpc\": \"2.0\", \"method\"\n]",
	       "{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32700, \"message\": \"Parse "
	       "error\"}, \"id\": null}");
	/* an empty array */
	EXPECT("[]", "{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32600, \"message\": \"Invalid "
		     "Request\"}, \"id\": null}");
	/* a batch that is not empty but invalid */
	EXPECT("[1]", "[{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32600, \"message\": "
		      "\"Invalid Request\"}, \"id\": null}]");
	/* an invalid batch */
	EXPECT("[1,2,3]",
	       "[{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32600, \"message\": \"Invalid "
	       "Request\"}, \"id\": null},"
	       "{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32600, \"message\": \"Invalid "
	       "Request\"}, \"id\": null},"
	       "{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32600, \"message\": \"Invalid "
	       "Request\"}, \"id\": null}]");
	/* a batch */
	EXPECT("[{\"jsonrpc\": \"2.0\", \"method\": \"sum\", \"params\": [1,2,4], \"id\": \"1\"},"
	       "{\"jsonrpc\": \"2.0\", \"method\": \"notify_hello\", \"params\": [7]},"
	       "{\"jsonrpc\": \"2.0\", \"method\": \"subtract\", \"params\": [42,23], \"id\": \"2\"},"
	       "{\"foo\": \"boo\"},"
	       "{\"jsonrpc\": \"2.0\", \"method\": \"foo.get\", \"params\": {\"name\": \"myself\"}, "
	       "\"id\": \"5\"},"
	       "{\"jsonrpc\": \"2.0\", \"method\": \"get_data\", \"id\": \"9\"}]",
	       "[{\"jsonrpc\": \"2.0\", \"result\": 7, \"id\": \"1\"},"
	       "{\"jsonrpc\": \"2.0\", \"result\": 19, \"id\": \"2\"},"
	       "{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32600, \"message\": \"Invalid "
	       "Request\"}, \"id\": null},"
	       "{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32601, \"message\": \"Method not "
	       "found\"}, \"id\": \"5\"},"
	       "{\"jsonrpc\": \"2.0\", \"result\": [\"hello\", 5], \"id\": \"9\"}]");
	/* a batch of notifications only: nothing at all */
	EXPECT("[{\"jsonrpc\": \"2.0\", \"method\": \"notify_sum\", \"params\": [1,2,4]},"
	       "{\"jsonrpc\": \"2.0\", \"method\": \"notify_hello\", \"params\": [7]}]",
	       "");
}

/* The id comes back as the client wrote it, byte for byte. */
TEST(volmgr_rpc_id_echoed_exactly)
{
	static const char *ids[] = { "1.50", "-0", "1e3", "123456789012345678901234567890",
				     "\"a\\u0041\\n\"", "null", "\"\"", "\"\xc3\xa9\"" };
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char in[256], want[128];
		snprintf(in, sizeof(in), "{\"jsonrpc\":\"2.0\",\"method\":\"get_data\",\"id\": %s }",
			 ids[i]);
		snprintf(want, sizeof(want), ",\"id\":%s}\n", ids[i]);
		char *got = rpc(in);
		size_t gl = strlen(got), wl = strlen(want);
		if (gl < wl || strcmp(got + gl - wl, want))
			test_fail(__FILE__, __LINE__, "id %s came back as: %s", ids[i], got);
		free(got);
	}
	/* ids of a batch, each its own, in a batch with odd spacing */
	char *got = rpc(" [ {\"id\" : 7.0 ,\"jsonrpc\":\"2.0\",\"method\":\"get_data\"} ,"
			"{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":\"x\"}]  ");
	CHECK(strstr(got, "\"id\":7.0}"));
	CHECK(strstr(got, "\"id\":\"x\"}"));
	free(got);
	/* an id of the wrong kind is an invalid request, answered with null */
	EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"get_data\",\"id\":[1]}",
	       "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":\"x\"},\"id\":null}");
	EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"get_data\",\"id\":{}}",
	       "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":\"x\"},\"id\":null}");
}

/* -32602 names the param, in message and data. */
static void bad_param(const char *in, const char *param, int line)
{
	char *got = rpc(in), want[64];
	snprintf(want, sizeof(want), "\"param\":\"%s\"", param);
	if (!strstr(got, "\"code\":-32602") || !strstr(got, want))
		test_fail(__FILE__, line, "%s: wanted -32602 naming %s, got %s", in, param, got);
	snprintf(want, sizeof(want), "'%s'", param);
	if (!strstr(got, want))
		test_fail(__FILE__, line, "%s: the message does not name '%s': %s", in, param, got);
	free(got);
}
#define BAD_PARAM(in, p) bad_param(in, p, __LINE__)

TEST(volmgr_rpc_params_checked)
{
	EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"typed\",\"params\":{\"path\":\"/mnt/x\","
	       "\"name\":\"n\",\"force\":true,\"size\":0},\"id\":1}",
	       "{\"jsonrpc\":\"2.0\",\"result\":null,\"id\":1}");
	BAD_PARAM("{\"jsonrpc\":\"2.0\",\"method\":\"typed\",\"params\":{\"path\":\"/a\",\"sise\":1},"
		  "\"id\":1}", "sise");
	BAD_PARAM("{\"jsonrpc\":\"2.0\",\"method\":\"typed\",\"params\":{\"name\":\"n\"},\"id\":1}",
		  "path");
	BAD_PARAM("{\"jsonrpc\":\"2.0\",\"method\":\"typed\",\"params\":{\"path\":\"rel/x\"},\"id\":1}",
		  "path");
	BAD_PARAM("{\"jsonrpc\":\"2.0\",\"method\":\"typed\",\"params\":{\"path\":\"/a/../etc\"},"
		  "\"id\":1}", "path");
	BAD_PARAM("{\"jsonrpc\":\"2.0\",\"method\":\"typed\",\"params\":{\"path\":\"/a\",\"size\":-1},"
		  "\"id\":1}", "size");
	BAD_PARAM("{\"jsonrpc\":\"2.0\",\"method\":\"typed\",\"params\":{\"path\":\"/a\",\"size\":1.5},"
		  "\"id\":1}", "size");
	BAD_PARAM("{\"jsonrpc\":\"2.0\",\"method\":\"typed\",\"params\":{\"path\":\"/a\",\"force\":1},"
		  "\"id\":1}", "force");
	BAD_PARAM("{\"jsonrpc\":\"2.0\",\"method\":\"typed\",\"params\":{\"path\":\"/a\",\"name\":"
		  "\"a\\u0000b\"},\"id\":1}", "name");
	BAD_PARAM("{\"jsonrpc\":\"2.0\",\"method\":\"typed\",\"params\":{\"path\":null},\"id\":1}",
		  "path");
	/* dry_run exists for mutating methods only */
	BAD_PARAM("{\"jsonrpc\":\"2.0\",\"method\":\"typed\",\"params\":{\"path\":\"/a\","
		  "\"dry_run\":true},\"id\":1}", "dry_run");
	EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"change\",\"params\":{\"path\":\"/a\","
	       "\"dry_run\":true},\"id\":1}",
	       "{\"jsonrpc\":\"2.0\",\"result\":null,\"id\":1}");
	/* too many by position */
	EXPECT("{\"jsonrpc\":\"2.0\",\"method\":\"subtract\",\"params\":[1,2,3],\"id\":1}",
	       "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32602,\"message\":\"x\"},\"id\":1}");
	/* a handler that fails after writing part of a result: none of it */
	char *got = rpc("{\"jsonrpc\":\"2.0\",\"method\":\"half\",\"id\":1}");
	CHECK(!strstr(got, "partial"));
	CHECK(strstr(got, "\"code\":-32002"));
	CHECK(strstr(got, "\"device\":\"/dev/nope\""));
	CHECK(strstr(got, "\"errno\":2"));
	free(got);
}

TEST(volmgr_rpc_depth_limit_closes)
{
	char in[512];
	int rc;
	/* the request object and params nest 2; 30 more arrays reach 32 */
	snprintf(in, sizeof(in), "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"params\":{\"a\":"
		 "%.30s%.30s},\"id\":1}", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
		 "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
	char *got = rpc_as(in, 0, &rc, NULL);
	CHECK(strstr(got, "-32601"));
	CHECK_EQ(rc, VM_RPC_KEEP);
	free(got);
	snprintf(in, sizeof(in), "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"params\":{\"a\":"
		 "%.31s%.31s},\"id\":1}", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
		 "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
	got = rpc_as(in, 0, &rc, NULL);
	CHECK(strstr(got, "\"code\":-32600"));
	CHECK(strstr(got, "nesting"));
	CHECK_EQ(rc, VM_RPC_CLOSE);
	free(got);
	/* a blank line is no request */
	got = rpc(" \r\n");
	CHECK_STR(got, "");
	free(got);
}

TEST(volmgr_rpc_mutating_needs_root_or_policy)
{
	const char *in = "{\"jsonrpc\":\"2.0\",\"method\":\"change\",\"params\":{\"path\":\"/a\"},"
			 "\"id\":1}";
	char *log = NULL;
	size_t loglen = 0;
	FILE *audit = open_memstream(&log, &loglen);
	CHECK(vm_policy_load(NULL, NULL) == 0); /* the built-in: root only */
	char *got = rpc_as(in, 1000, NULL, audit);
	CHECK(strstr(got, "\"code\":-32001"));
	CHECK(strstr(got, "\"errno\":13"));
	free(got);
	got = rpc_as(in, 0, NULL, audit);
	CHECK(strstr(got, "\"result\":null"));
	free(got);
	/* queries are anyone's */
	got = rpc_as("{\"jsonrpc\":\"2.0\",\"method\":\"get_data\",\"id\":1}", 1000, NULL, audit);
	CHECK(strstr(got, "\"result\""));
	free(got);
	/* a rule for uid 1000 and the method */
	char path[4096];
	snprintf(path, sizeof(path), "%s/policy", test_tmpdir());
	FILE *f = fopen(path, "w");
	CHECK(f);
	fputs("# test\n\nallow uid=1000 other change\nallow gid=7 *\nrole ops-cn operator\n", f);
	fclose(f);
	struct bb_error e = { 0 };
	CHECK(vm_policy_load(path, &e) == 0);
	got = rpc_as(in, 1000, NULL, audit);
	CHECK(strstr(got, "\"result\":null"));
	free(got);
	got = rpc_as(in, 1001, NULL, audit);
	CHECK(strstr(got, "\"code\":-32001"));
	free(got);
	got = rpc_as(in, 7, NULL, audit); /* rpc_as sets gid = uid */
	CHECK(strstr(got, "\"result\":null"));
	free(got);
	CHECK_STR(vm_policy_role("ops-cn"), "operator");
	CHECK(vm_policy_role("other") == NULL);
	fclose(audit);
	/* every mutating call is in the log with its caller */
	CHECK(strstr(log, "uid 1000: change: failed: permission denied"));
	CHECK(strstr(log, "uid 0: change: ok"));
	CHECK(!strstr(log, "get_data"));
	free(log);
	/* a bad rule is refused with its line */
	f = fopen(path, "w");
	fputs("allow uid=1000 x\n\nallow nobody x\n", f);
	fclose(f);
	CHECK(vm_policy_load(path, &e) == -1);
	CHECK(strstr(e.msg, "line 3"));
}

extern const struct applet applet_volmgr;

/* The daemon's real table: every method documented, every CLI command
 * there, nothing dropped for want of option slots. */
static void count_method(const struct vm_method *m, void *ctx)
{
	(*(int *)ctx)++;
	CHECK(m->name && m->fn && m->help);
	CHECK(vm_method_find(m->name) == m);
	if (m->cli && !(m->flags & VM_NO_CLI)) {
		CHECK(vm_method_by_cli(m->cli) == m);
		const struct bb_cmd *c = applet_volmgr.cmds;
		while (c->name && strcmp(c->name, m->cli))
			c++;
		if (!c->name)
			test_fail(__FILE__, __LINE__, "%s: no CLI command %s", m->name, m->cli);
	}
}

TEST(volmgr_table_drives_cli_and_openrpc)
{
	int n = 0;
	vm_each_method(count_method, &n);
	CHECK(n >= 3);
	CHECK_EQ(vm_cli_dropped, 0);
	/* rpc.discover lists each method with its params */
	struct vm_session s = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const char *in = "{\"jsonrpc\":\"2.0\",\"method\":\"rpc.discover\",\"id\":1}";
	vm_rpc_line(&s, in, strlen(in), f);
	fclose(f);
	char err[128];
	struct json *j = json_parse(buf, len, 64, err, sizeof(err));
	CHECK(j);
	const struct json *methods = json_get(json_get(j, "result"), "methods");
	CHECK(methods && methods->type == JSON_ARRAY);
	CHECK_EQ(methods->arr.n, (size_t)n);
	CHECK_STR(json_string(json_get(json_get(j, "result"), "openrpc")), "1.2.6");
	for (size_t i = 0; i < methods->arr.n; i++) {
		const struct json *m = &methods->arr.v[i];
		const struct vm_method *vm = vm_method_find(json_string(json_get(m, "name")));
		CHECK(vm);
		CHECK(json_get(json_get(m, "result"), "schema"));
		size_t np = 0;
		while (vm->params && vm->params[np].name)
			np++;
		np += (vm->flags & VM_MUTATING) != 0; /* dry_run */
		CHECK_EQ(json_get(m, "params")->arr.n, np);
	}
	json_free(j);
	free(buf);
}

TEST(volmgr_list_disks_from_sysfs)
{
	fakesys_init();
	fakesys_disk("pci0000:00/virtio1/block", "vda", "254:0\n", "2097152\n");
	fakesys_file("sys/class/block/vda/queue/rotational", "0\n");
	fakesys_part("pci0000:00/virtio1/block", "vda", "vda1", 1, "254:1\n");
	fakesys_disk("virtual/block", "loop0", "7:0\n", "0\n"); /* empty: left out */
	fakesys_file("proc/self/mountinfo", "");
	fakesys_file("proc/swaps", "Filename Type Size Used Priority\n");
	struct sysroot root = { 0 };
	char sys[4200], proc[4200], dev[4200];
	snprintf(sys, sizeof(sys), "%s/sys", fakesys_root);
	snprintf(proc, sizeof(proc), "%s/proc", fakesys_root);
	snprintf(dev, sizeof(dev), "%s/dev", fakesys_root);
	root.sys = sys;
	root.proc = proc;
	root.dev = dev;
	vm_cfg.root = &root;
	struct vm_session s = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const char *in = "{\"jsonrpc\":\"2.0\",\"method\":\"storage.list_disks\",\"params\":{},\"id\":1}";
	vm_rpc_line(&s, in, strlen(in), f);
	fclose(f);
	char err[128];
	struct json *j = json_parse(buf, len, 64, err, sizeof(err));
	if (!j)
		test_fail(__FILE__, __LINE__, "%s: %s", err, buf);
	const struct json *r = json_get(j, "result");
	if (!r || r->type != JSON_ARRAY || r->arr.n != 1)
		test_fail(__FILE__, __LINE__, "wanted one disk: %s", buf);
	CHECK_STR(json_string(json_get(&r->arr.v[0], "name")), "vda");
	uint64_t size = 0, parts = 0;
	CHECK(json_u64(json_get(&r->arr.v[0], "size_bytes"), &size));
	CHECK_EQ(size, 2097152ull * 512);
	CHECK(json_u64(json_get(&r->arr.v[0], "partitions"), &parts));
	CHECK_EQ(parts, 1);
	json_free(j);
	free(buf);
}

/* The daemon keeps its view of the devices while it watches for changes,
 * and reads sysfs again after one. */
/* One line through a session with the modules' own methods. */
static char *rpc_storage(const char *in)
{
	struct vm_session s = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CHECK(f);
	vm_rpc_line(&s, in, strlen(in), f);
	fclose(f);
	return buf;
}

static size_t disks_listed(void)
{
	char err[128];
	char *buf = rpc_storage("{\"jsonrpc\":\"2.0\",\"method\":\"storage.list_disks\",\"id\":1}");
	struct json *j = json_parse(buf, strlen(buf), 64, err, sizeof(err));
	const struct json *r = json_get(j, "result");
	size_t n = r && r->type == JSON_ARRAY ? r->arr.n : 999;
	json_free(j);
	free(buf);
	return n;
}

/* A fake tree with one disk, vda, made the daemon's root. */
static void one_disk_root(void)
{
	fakesys_init();
	fakesys_disk("pci0000:00/virtio1/block", "vda", "254:0\n", "2097152\n");
	fakesys_file("proc/self/mountinfo", "");
	fakesys_file("proc/swaps", "Filename Type Size Used Priority\n");
	static char sys[4200], proc[4200];
	snprintf(sys, sizeof(sys), "%s/sys", fakesys_root);
	snprintf(proc, sizeof(proc), "%s/proc", fakesys_root);
	static struct sysroot root;
	root = (struct sysroot){ sys, proc, "/dev" };
	vm_cfg.root = &root;
}

TEST(volmgr_device_view_kept_until_a_change)
{
	one_disk_root();
	CHECK_EQ(disks_listed(), 1);
	fakesys_disk("pci0000:00/virtio2/block", "vdb", "254:16\n", "2097152\n");
	CHECK_EQ(disks_listed(), 2); /* not watched: read every time */
	vm_view_watched = true;
	fakesys_disk("pci0000:00/virtio3/block", "vdc", "254:32\n", "2097152\n");
	CHECK_EQ(disks_listed(), 3); /* the first watched call reads */
	fakesys_disk("pci0000:00/virtio4/block", "vdd", "254:48\n", "2097152\n");
	CHECK_EQ(disks_listed(), 3); /* kept */
	vm_blkdevs_changed();
	CHECK_EQ(disks_listed(), 4);
}

/* A job that changes devices (here: a disk appears in the fake tree, as
 * a partition or a filesystem does for create_filesystem and resize_max)
 * leaves the kept view stale: a query once it has ended sees the change,
 * with no uevent and well within the 2 s a view is kept. */
static int add_disk_run(struct vmj *j, struct jw *w, struct bb_error *e)
{
	(void)j, (void)e;
	fakesys_disk("pci0000:00/virtio5/block", "vde", "254:64\n", "2097152\n");
	jw_null(w);
	return 0;
}

static const struct vmj_kind add_disk_kind = { "test.add_disk", add_disk_run, NULL, NULL, NULL,
					       false };

static bool job_ended(long id)
{
	char in[128];
	snprintf(in, sizeof(in), "{\"jsonrpc\":\"2.0\",\"method\":\"storage.job_status\","
		 "\"params\":{\"job\":%ld},\"id\":1}", id);
	char *buf = rpc_storage(in);
	bool ended = strstr(buf, "\"state\":\"done\"") != NULL;
	free(buf);
	return ended;
}

TEST(volmgr_device_view_read_again_after_a_job)
{
	one_disk_root();
	vm_view_watched = true;
	CHECK_EQ(disks_listed(), 1);
	struct bb_error e = { 0 };
	long id = vmj_start(&add_disk_kind, "dev:vde", NULL, &e);
	CHECK(id > 0);
	for (int i = 0; i < 500 && !job_ended(id); i++)
		usleep(2000);
	CHECK(job_ended(id));
	CHECK_EQ(disks_listed(), 2);
}

/* One call through the framing; the response parsed (json_free it). */
static struct json *call_json(const char *method, const char *params)
{
	char in[512], err[128];
	snprintf(in, sizeof(in), "{\"jsonrpc\":\"2.0\",\"method\":\"%s\",\"params\":%s,\"id\":1}",
		 method, params);
	char *buf = rpc_storage(in);
	struct json *j = json_parse(buf, strlen(buf), 64, err, sizeof(err));
	if (!j)
		test_fail(__FILE__, __LINE__, "%s: %s", err, buf);
	free(buf);
	return j;
}

static double jnum(const struct json *j, const char *k)
{
	const struct json *v = json_get(j, k);
	return v && v->type == JSON_NUMBER ? v->num.d : -1;
}

/* Job id's status once it no longer runs (5 s at most); *keep holds the
 * answer. */
static const struct json *job_once_ended(struct json **keep, long id)
{
	char p[64];
	snprintf(p, sizeof(p), "{\"job\":%ld}", id);
	const struct json *st = NULL;
	for (int i = 0; i < 100; i++) {
		json_free(*keep);
		*keep = call_json("storage.job_status", p);
		st = json_get(*keep, "result");
		if (strcmp(json_string(json_get(st, "state")), "running"))
			break;
		usleep(50000);
	}
	return st;
}

/* An md sync the kernel runs is a job: progress, speed and time left
 * from sysfs, not cancellable while it restores redundancy, done once
 * the kernel is idle; a check is a new job that can be stopped. */
TEST(volmgr_md_sync_is_a_job)
{
	fakesys_init();
	static const char *const attrs[][2] = {
		{ "level", "raid1\n" },	       { "array_state", "active\n" },
		{ "raid_disks", "2\n" },       { "degraded", "0\n" },
		{ "sync_action", "resync\n" }, { "sync_completed", "1024 / 4096\n" },
		{ "mismatch_cnt", "0\n" },     { "metadata_version", "1.2\n" },
		{ "sync_speed", "512\n" },
	};
	char rel[128];
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		snprintf(rel, sizeof(rel), "sys/block/md0/md/%s", attrs[i][0]);
		fakesys_file(rel, attrs[i][1]);
	}
	fakesys_file("sys/block/md0/size", "4096\n");
	static char sys[4200];
	snprintf(sys, sizeof(sys), "%s/sys", fakesys_root);
	static struct sysroot root;
	root = (struct sysroot){ sys, "/nonexistent", "/dev" };
	vm_cfg.root = &root;

	struct json *j = NULL;
	const struct json *l = NULL, *r = NULL;
	bool b = true;
	for (int i = 0; i < 100 && b; i++) { /* until its thread runs */
		json_free(j);
		j = call_json("storage.list_jobs", "{}");
		l = json_get(j, "result");
		CHECK(l && l->type == JSON_ARRAY && l->arr.n == 1);
		r = &l->arr.v[0];
		CHECK(json_bool(json_get(r, "queued"), &b));
		if (b)
			usleep(20000);
	}
	CHECK_STR(json_string(json_get(r, "method")), "md.sync");
	CHECK_STR(json_string(json_get(r, "state")), "running");
	CHECK_STR(json_string(json_get(r, "resource")), "md:md0");
	CHECK(jnum(r, "progress") == 25.0);                      /* 1024 of 4096 sectors */
	CHECK(jnum(r, "rate") == 512.0 * 1024);                  /* sync_speed is KiB/s */
	CHECK(jnum(r, "eta_seconds") == (4096.0 - 1024) * 512 / (512.0 * 1024));
	CHECK(jnum(json_get(r, "md"), "total_bytes") == 4096.0 * 512);
	CHECK(json_bool(json_get(r, "cancellable"), &b) && !b);
	int64_t id;
	CHECK(json_i64(json_get(r, "job"), &id));
	json_free(j);
	j = call_json("storage.list_jobs", "{}");
	CHECK_EQ(json_get(j, "result")->arr.n, 1); /* adopted once */

	fakesys_file("sys/block/md0/md/sync_action", "idle\n");
	const struct json *st = job_once_ended(&j, id);
	CHECK_STR(json_string(json_get(st, "state")), "done");
	CHECK_STR(json_string(json_get(json_get(st, "result"), "sync_action")), "idle");

	fakesys_file("sys/block/md0/md/sync_action", "check\n");
	json_free(j);
	j = call_json("storage.list_jobs", "{}");
	l = json_get(j, "result");
	CHECK_EQ(l->arr.n, 2);
	CHECK(json_bool(json_get(&l->arr.v[0], "cancellable"), &b) && b);
	CHECK(json_i64(json_get(&l->arr.v[0], "job"), &id));
	char p[64];
	snprintf(p, sizeof(p), "{\"job\":%lld}", (long long)id);
	json_free(j);
	j = call_json("storage.job_cancel", p);
	CHECK(json_get(j, "result"));
	char action[16] = "";
	snprintf(rel, sizeof(rel), "%s/block/md0/md/sync_action", sys);
	FILE *f = fopen(rel, "r");
	CHECK(f && fgets(action, sizeof(action), f));
	fclose(f);
	CHECK(!strncmp(action, "idle", 4)); /* what the kernel is told */
	st = job_once_ended(&j, id);
	CHECK_STR(json_string(json_get(st, "state")), "cancelled");
	json_free(j);
}
