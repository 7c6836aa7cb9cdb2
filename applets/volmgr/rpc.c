/* rpc.c - JSON-RPC 2.0 framing: one line in, one line (or nothing) out.
 *
 * Requests, notifications (no "id": never answered, not even with an
 * error of theirs) and batches; ids echoed byte for byte as the client
 * wrote them (1.0 stays 1.0); params checked against the method table
 * before any handler runs, by name or by position.
 */
#include "rpc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- raw spans of already valid JSON text ----------------------------- */

/* Only ever run on text json_parse accepted, so they need not check. */
static size_t skip_ws(const char *s, size_t i, size_t n)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

static size_t skip_string(const char *s, size_t i, size_t n)
{
	for (i++; i < n && s[i] != '"'; i++)
		if (s[i] == '\\')
			i++;
	return i + 1;
}

/* End of the value starting at i. Nesting is counted, not recursed, so
 * its depth costs nothing. */
static size_t skip_value(const char *s, size_t i, size_t n)
{
	if (s[i] == '"')
		return skip_string(s, i, n);
	if (s[i] != '{' && s[i] != '[') {
		while (i < n && !strchr(",]} \t\r\n", s[i]))
			i++;
		return i;
	}
	size_t depth = 0;
	for (; i < n; i++) {
		if (s[i] == '"')
			i = skip_string(s, i, n) - 1;
		else if (s[i] == '{' || s[i] == '[')
			depth++;
		else if ((s[i] == '}' || s[i] == ']') && !--depth)
			return i + 1;
	}
	return n;
}

struct span {
	size_t a, b;
};

/* The raw value of member key of the object at [a, b), if written
 * without escapes in its name. */
static bool raw_member(const char *s, struct span obj, const char *key, struct span *val)
{
	size_t klen = strlen(key), i = skip_ws(s, obj.a + 1, obj.b);
	while (i < obj.b && s[i] == '"') {
		size_t kend = skip_string(s, i, obj.b);
		bool match = kend - i - 2 == klen && !memcmp(s + i + 1, key, klen);
		i = skip_ws(s, kend, obj.b) + 1; /* past ':' */
		i = skip_ws(s, i, obj.b);
		size_t vend = skip_value(s, i, obj.b);
		if (match) {
			*val = (struct span){ i, vend };
			return true;
		}
		i = skip_ws(s, vend, obj.b);
		if (i < obj.b && s[i] == ',')
			i = skip_ws(s, i + 1, obj.b);
	}
	return false;
}

/* ---- writing responses ------------------------------------------------- */

/* How a response names its request: the raw id text, or the parsed id
 * written again when its raw text is not at hand. */
struct rid {
	const char *raw;
	size_t len;
	const struct json *j; /* when raw is NULL; both NULL: null */
};

static void put_id(FILE *out, const struct rid *id)
{
	if (id && id->raw) {
		fwrite(id->raw, 1, id->len, out);
	} else if (id && id->j) {
		struct jw w;
		jw_init(&w, out, false);
		jw_json(&w, id->j);
	} else {
		fputs("null", out);
	}
}

static void put_error(FILE *out, const struct rid *id, const struct vm_call *c)
{
	struct jw w;
	jw_init(&w, out, false);
	fprintf(out, "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":%d,\"message\":", c->code);
	jw_str(&w, c->msg[0] ? c->msg : "failed");
	fputs(",\"data\":", out);
	jw_init(&w, out, false);
	jw_obj(&w);
	if (c->err_errno) {
		jw_ki64(&w, "errno", c->err_errno);
		jw_kstr(&w, "error", strerror(c->err_errno));
	}
	if (c->device[0])
		jw_kstr(&w, "device", c->device);
	if (c->param[0])
		jw_kstr(&w, "param", c->param);
	jw_obj_end(&w);
	fputs("},\"id\":", out);
	put_id(out, id);
	fputc('}', out);
}

static void set_error(struct vm_call *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_error(struct vm_call *c, int code, const char *fmt, ...)
{
	va_list ap;
	c->code = code;
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
}

void vm_rpc_error_line(FILE *out, int code, const char *msg)
{
	struct vm_call c = { .code = code };
	snprintf(c.msg, sizeof(c.msg), "%s", msg);
	put_error(out, NULL, &c);
	fputc('\n', out);
}

/* ---- params --------------------------------------------------------- */

static bool has_dotdot(const char *p)
{
	for (const char *s = p; (s = strstr(s, "..")); s += 2)
		if ((s == p || s[-1] == '/') && (s[2] == 0 || s[2] == '/'))
			return true;
	return false;
}

static bool param_bad(struct vm_call *c, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static bool param_bad(struct vm_call *c, const char *name, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	c->code = VM_E_PARAMS;
	snprintf(c->param, sizeof(c->param), "%s", name);
	snprintf(c->msg, sizeof(c->msg), "Invalid params: '%s' %s", name, why);
	return false;
}

static const char *type_word(int t)
{
	switch (t) {
	case VM_T_STR: return "a string";
	case VM_T_PATH: return "an absolute path";
	case VM_T_U64: return "a non-negative integer";
	case VM_T_BOOL: return "true or false";
	case VM_T_OBJ: return "an object";
	case VM_T_ARR: return "an array";
	default: return "a number";
	}
}

static bool type_ok(struct vm_call *c, const char *name, int type, const struct json *v)
{
	uint64_t u;
	switch (type) {
	case VM_T_STR:
	case VM_T_PATH:
		if (v->type != JSON_STRING)
			break;
		if (strlen(v->str.s) != v->str.len)
			return param_bad(c, name, "holds a NUL character");
		if (type == VM_T_PATH && (v->str.s[0] != '/' || has_dotdot(v->str.s)))
			return param_bad(c, name, "must be an absolute path without '..': '%s'",
					 v->str.s);
		return true;
	case VM_T_U64:
		if (json_u64(v, &u))
			return true;
		break;
	case VM_T_BOOL:
		if (v->type == JSON_BOOL)
			return true;
		break;
	case VM_T_OBJ:
		if (v->type == JSON_OBJECT)
			return true;
		break;
	case VM_T_ARR:
		if (v->type == JSON_ARRAY)
			return true;
		break;
	default:
		if (v->type == JSON_NUMBER)
			return true;
	}
	return param_bad(c, name, "must be %s", type_word(type));
}

static const struct vm_param dry_run_param = { "dry_run", VM_T_BOOL, 0,
					       "say what would be done, do nothing", NULL };

static const struct vm_param *find_param(const struct vm_method *m, const char *name)
{
	for (const struct vm_param *p = m->params; p && p->name; p++)
		if (!strcmp(p->name, name))
			return p;
	if ((m->flags & VM_MUTATING) && !strcmp(name, "dry_run"))
		return &dry_run_param;
	return NULL;
}

/* Params by position become an object named from the table, sharing the
 * array's values (vm_params_free frees only the member list). */
static bool by_position(const struct vm_method *m, const struct json *arr, struct json *tmp,
			struct vm_call *c)
{
	size_t np = 0;
	while (m->params && m->params[np].name)
		np++;
	if (arr->arr.n > np) {
		c->code = VM_E_PARAMS;
		snprintf(c->msg, sizeof(c->msg), "Invalid params: %s takes at most %zu, got %zu",
			 m->name, np, arr->arr.n);
		return false;
	}
	tmp->type = JSON_OBJECT;
	tmp->obj.n = arr->arr.n;
	tmp->obj.m = calloc(arr->arr.n ? arr->arr.n : 1, sizeof(*tmp->obj.m));
	if (!tmp->obj.m) {
		set_error(c, VM_E_INTERNAL, "out of memory");
		return false;
	}
	for (size_t i = 0; i < arr->arr.n; i++) {
		tmp->obj.m[i].key = (char *)m->params[i].name;
		tmp->obj.m[i].keylen = strlen(m->params[i].name);
		tmp->obj.m[i].val = arr->arr.v[i];
	}
	return true;
}

void vm_params_free(struct json *tmp)
{
	if (tmp->type == JSON_OBJECT)
		free(tmp->obj.m);
	tmp->type = JSON_NULL;
}

const struct json *vm_params_check(const struct vm_method *m, const struct json *params,
				   struct json *tmp, struct vm_call *c)
{
	static const struct json empty = { .type = JSON_OBJECT };
	tmp->type = JSON_NULL;
	if (params && params->type == JSON_ARRAY) {
		if (!by_position(m, params, tmp, c))
			return NULL;
		params = tmp;
	}
	if (!params)
		params = &empty;
	for (size_t i = 0; i < params->obj.n; i++) {
		const struct json_member *mb = &params->obj.m[i];
		const struct vm_param *p = find_param(m, mb->key);
		if (!p || strlen(mb->key) != mb->keylen) {
			param_bad(c, mb->key, "is not a param of %s", m->name);
			goto bad;
		}
		if (mb->val.type == JSON_NULL && !(p->flags & VM_REQ))
			continue; /* null: as if absent */
		if (!type_ok(c, p->name, p->type, &mb->val))
			goto bad;
	}
	for (const struct vm_param *p = m->params; p && p->name; p++) {
		const struct json *v = json_get(params, p->name);
		if ((p->flags & VM_REQ) && (!v || v->type == JSON_NULL)) {
			param_bad(c, p->name, "is required by %s", m->name);
			goto bad;
		}
	}
	return params;
bad:
	vm_params_free(tmp);
	return NULL;
}

/* ---- one request ------------------------------------------------------- */

static const struct vm_method *lookup(const struct vm_session *s, const char *name)
{
	if (!s->methods)
		return vm_method_find(name);
	for (const struct vm_method *m = s->methods; m->name; m++)
		if (!strcmp(m->name, name))
			return m;
	return NULL;
}

static void audit(struct vm_session *s, const struct vm_call *c)
{
	if (!s->audit)
		return;
	fprintf(s->audit, "volmgr: %s: %s%s: %s%s\n", s->who.name, c->m->name,
		c->dry_run ? " (dry run)" : "", c->code ? "failed: " : "ok", c->code ? c->msg : "");
	fflush(s->audit);
}

/* Run the handler into a buffer of its own, so that a failure after a
 * partial result leaves nothing of it. */
static int call(struct vm_session *s, struct vm_call *c, char **res, size_t *reslen)
{
	FILE *f = open_memstream(res, reslen);
	if (!f) {
		set_error(c, VM_E_INTERNAL, "out of memory");
		return -1;
	}
	struct jw w;
	jw_init(&w, f, false);
	c->out = &w;
	int rc = c->m->fn(c);
	if (rc && !c->code)
		set_error(c, VM_E_INTERNAL, "%s failed without saying why", c->m->name);
	if (fclose(f) && !rc) {
		set_error(c, VM_E_INTERNAL, "out of memory");
		rc = -1;
	}
	if (c->m->flags & VM_MUTATING)
		audit(s, c);
	return rc ? -1 : 0;
}

static bool valid_id(const struct json *id)
{
	return id->type == JSON_STRING || id->type == JSON_NUMBER || id->type == JSON_NULL;
}

/* Check the envelope; on failure c has the error. */
static bool envelope_ok(const struct json *req, struct vm_call *c)
{
	if (req->type != JSON_OBJECT) {
		set_error(c, VM_E_REQUEST, "Invalid Request: not a JSON object");
		return false;
	}
	const struct json *v = json_get(req, "jsonrpc"), *id = json_get(req, "id");
	const char *method = json_string(json_get(req, "method"));
	const struct json *params = json_get(req, "params");
	if (!v || v->type != JSON_STRING || strcmp(v->str.s, "2.0"))
		set_error(c, VM_E_REQUEST, "Invalid Request: \"jsonrpc\" must be \"2.0\"");
	else if (id && !valid_id(id))
		set_error(c, VM_E_REQUEST, "Invalid Request: \"id\" must be a string, number or null");
	else if (!method)
		set_error(c, VM_E_REQUEST, "Invalid Request: \"method\" must be a string");
	else if (params && params->type != JSON_OBJECT && params->type != JSON_ARRAY)
		set_error(c, VM_E_REQUEST, "Invalid Request: \"params\" must be an object or array");
	return !c->code;
}

/* One request object; its raw text is text[sp.a, sp.b). Writes its
 * response, or nothing for a notification. Returns whether it wrote. */
static bool one_request(struct vm_session *s, const struct json *req, const char *text,
			struct span sp, FILE *out)
{
	struct vm_call c = { .who = &s->who, .session = s };
	struct rid rid = { 0 };
	const struct json *id = req->type == JSON_OBJECT ? json_get(req, "id") : NULL;
	struct span ids;
	if (id && valid_id(id)) {
		if (raw_member(text, sp, "id", &ids))
			rid = (struct rid){ text + ids.a, ids.b - ids.a, NULL };
		else
			rid.j = id;
	}
	if (!envelope_ok(req, &c)) {
		put_error(out, &rid, &c);
		return true;
	}
	const char *name = json_string(json_get(req, "method"));
	c.m = lookup(s, name);
	struct json tmp = { .type = JSON_NULL };
	char *res = NULL;
	size_t reslen = 0;
	int rc = -1;
	if (!c.m) {
		set_error(&c, VM_E_METHOD, "Method not found: %s", name);
	} else if ((c.params = vm_params_check(c.m, json_get(req, "params"), &tmp, &c))) {
		c.dry_run = vm_bool(&c, "dry_run", false);
		if ((c.m->flags & VM_MUTATING) && !vm_policy_allows(&s->who, c.m)) {
			c.err_errno = EACCES;
			set_error(&c, VM_E_VALIDATION,
				  "permission denied: %s changes storage and needs root or a "
				  "policy rule (caller %s)", c.m->name, s->who.name);
			audit(s, &c);
		} else {
			rc = call(s, &c, &res, &reslen);
		}
	}
	vm_params_free(&tmp);
	if (!id) { /* a notification: no answer, whatever happened */
		free(res);
		return false;
	}
	if (rc) {
		put_error(out, &rid, &c);
	} else {
		fputs("{\"jsonrpc\":\"2.0\",\"result\":", out);
		fwrite(res, 1, reslen, out);
		fputs(",\"id\":", out);
		put_id(out, &rid);
		fputc('}', out);
	}
	free(res);
	return true;
}

static int batch(struct vm_session *s, const struct json *j, const char *text, struct span sp,
		 FILE *out)
{
	struct vm_call c = { 0 };
	if (!j->arr.n || j->arr.n > VM_MAX_BATCH) {
		set_error(&c, VM_E_REQUEST, j->arr.n ? "Invalid Request: a batch of more than %d"
						   : "Invalid Request: an empty batch",
			  VM_MAX_BATCH);
		put_error(out, NULL, &c);
		fputc('\n', out);
		return VM_RPC_KEEP;
	}
	size_t i = skip_ws(text, sp.a + 1, sp.b), answered = 0;
	for (size_t k = 0; k < j->arr.n; k++) {
		struct span el = { i, skip_value(text, i, sp.b) };
		char *one = NULL;
		size_t onelen = 0;
		FILE *f = open_memstream(&one, &onelen);
		if (!f)
			return VM_RPC_CLOSE;
		bool wrote = one_request(s, &j->arr.v[k], text, el, f);
		fclose(f);
		if (wrote) {
			fputc(answered++ ? ',' : '[', out);
			fwrite(one, 1, onelen, out);
		}
		free(one);
		i = skip_ws(text, el.b, sp.b);
		if (i < sp.b && text[i] == ',')
			i = skip_ws(text, i + 1, sp.b);
	}
	if (answered)
		fputs("]\n", out);
	return VM_RPC_KEEP;
}

int vm_rpc_line(struct vm_session *s, const char *line, size_t len, FILE *out)
{
	size_t a = skip_ws(line, 0, len);
	if (a == len)
		return VM_RPC_KEEP; /* a blank line is not a request */
	char err[160];
	int depth = s->max_depth ? s->max_depth : VM_DEFAULT_DEPTH;
	struct json *j = json_parse(line, len, depth, err, sizeof(err));
	if (!j) {
		/* Too deep is not a parse error: the text may be fine, and a
		 * client that sends it is not one to keep talking to. */
		bool deep = strstr(err, "nesting deeper") != NULL;
		char msg[200];
		snprintf(msg, sizeof(msg), "%s: %s", deep ? "Invalid Request" : "Parse error", err);
		vm_rpc_error_line(out, deep ? VM_E_REQUEST : VM_E_PARSE, msg);
		return deep ? VM_RPC_CLOSE : VM_RPC_KEEP;
	}
	size_t b = len;
	while (b > a && strchr(" \t\r\n", line[b - 1]))
		b--;
	int rc = VM_RPC_KEEP;
	if (j->type == JSON_ARRAY)
		rc = batch(s, j, line, (struct span){ a, b }, out);
	else if (one_request(s, j, line, (struct span){ a, b }, out))
		fputc('\n', out);
	json_free(j);
	return rc;
}

/* ---- subscriptions -------------------------------------------------- */

int vm_session_subscribe(struct vm_session *s, const struct json *events, struct vm_call *c)
{
	if (!s)
		return vm_fail(c, VM_E_INTERNAL, NULL, "no connection to deliver events on");
	size_t n = events ? events->arr.n : 0;
	if (n > VM_MAX_EVENTS)
		return vm_fail(c, VM_E_PARAMS, NULL, "Invalid params: 'events' lists more than %d",
			       VM_MAX_EVENTS);
	for (size_t i = 0; i < n; i++) {
		const char *e = json_string(&events->arr.v[i]);
		if (!e || !e[0] || strlen(e) >= sizeof(s->events[0])) {
			snprintf(c->param, sizeof(c->param), "events");
			return vm_fail(c, VM_E_PARAMS, NULL,
				       "Invalid params: 'events' must hold event names");
		}
	}
	for (size_t i = 0; i < n; i++)
		snprintf(s->events[i], sizeof(s->events[i]), "%s", json_string(&events->arr.v[i]));
	s->nevents = (int)n;
	s->subscribed = true;
	return 0;
}

bool vm_session_wants(const struct vm_session *s, const char *event)
{
	if (!s->subscribed)
		return false;
	if (!s->nevents)
		return true;
	for (int i = 0; i < s->nevents; i++)
		if (!strcmp(s->events[i], event))
			return true;
	return false;
}
