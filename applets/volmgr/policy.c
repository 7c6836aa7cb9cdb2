/* policy.c - who may call what. Queries are open to whoever reached the
 * socket (its mode and group decide that); mutating methods need root or
 * an "allow" rule; TLS clients get a role from their certificate's CN
 * through a "role" line (config/data/volmgr-policy.conf says the format). */
#include "config.h"
#include "rpc.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#define VM_MAX_RULES 64

enum who_kind { W_UID, W_GID, W_ROLE };

struct rule {
	enum who_kind kind;
	unsigned id;      /* W_UID, W_GID */
	char name[64];    /* W_ROLE: the role; for "role" lines: the CN */
	char role[64];    /* "role" lines: the role given */
	char *methods;    /* allow: space-separated names, "*" for all */
	bool is_role_map; /* a "role CN NAME" line */
};

static struct rule rules[VM_MAX_RULES];
static size_t nrules;
static char *policy_text; /* rules point into it */

static bool word_in(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; *p;) {
		p += strspn(p, " \t");
		size_t l = strcspn(p, " \t");
		if ((l == 1 && *p == '*') || (l == n && !memcmp(p, word, n)))
			return true;
		p += l;
	}
	return false;
}

bool vm_policy_allows(const struct vm_caller *who, const struct vm_method *m)
{
	if (!(m->flags & VM_MUTATING))
		return true;
	if (!who->tls && who->uid == 0)
		return true;
	for (size_t i = 0; i < nrules; i++) {
		const struct rule *r = &rules[i];
		if (r->is_role_map)
			continue;
		bool match = who->tls ? r->kind == W_ROLE && !strcmp(r->name, who->role)
				      : (r->kind == W_UID && r->id == who->uid) ||
						(r->kind == W_GID && r->id == who->gid);
		if (match && word_in(r->methods, m->name))
			return true;
	}
	return false;
}

const char *vm_policy_role(const char *cn)
{
	for (size_t i = 0; i < nrules; i++)
		if (rules[i].is_role_map && !strcmp(rules[i].name, cn))
			return rules[i].role;
	return NULL;
}

static int parse_who(struct rule *r, const char *w, struct bb_error *e)
{
	const char *v = strchr(w, '=');
	if (!v || !v[1])
		return bb_error_set(e, EINVAL, "'%s': expected uid=, gid=, user=, group= or role=", w);
	size_t k = (size_t)(v++ - w);
	char *end;
	if ((k == 3 && !memcmp(w, "uid", 3)) || (k == 3 && !memcmp(w, "gid", 3))) {
		unsigned long id = strtoul(v, &end, 10);
		if (*end || id > 0xfffffffful)
			return bb_error_set(e, EINVAL, "'%s': not a number", w);
		r->kind = w[0] == 'u' ? W_UID : W_GID;
		r->id = (unsigned)id;
	} else if (k == 4 && !memcmp(w, "user", 4)) {
		struct passwd *p = getpwnam(v);
		if (!p)
			return bb_error_set(e, ENOENT, "'%s': no such user", w);
		r->kind = W_UID;
		r->id = p->pw_uid;
	} else if (k == 5 && !memcmp(w, "group", 5)) {
		struct group *g = getgrnam(v);
		if (!g)
			return bb_error_set(e, ENOENT, "'%s': no such group", w);
		r->kind = W_GID;
		r->id = g->gr_gid;
	} else if (k == 4 && !memcmp(w, "role", 4) && strlen(v) < sizeof(r->name)) {
		r->kind = W_ROLE;
		snprintf(r->name, sizeof(r->name), "%s", v);
	} else {
		return bb_error_set(e, EINVAL, "'%s': expected uid=, gid=, user=, group= or role=", w);
	}
	return 0;
}

/* One line, split in place: "allow WHO METHOD..." or "role CN NAME". */
static int parse_line(char *line, struct rule *r, struct bb_error *e)
{
	char *save, *verb = strtok_r(line, " \t", &save), *a = strtok_r(NULL, " \t", &save);
	char *rest = strtok_r(NULL, "", &save);
	if (!verb || !a || !rest || !rest[strspn(rest, " \t")])
		return bb_error_set(e, EINVAL, "expected 'allow WHO METHOD...' or 'role CN NAME'");
	memset(r, 0, sizeof(*r));
	if (!strcmp(verb, "role")) {
		rest += strspn(rest, " \t");
		if (strlen(a) >= sizeof(r->name) || strlen(rest) >= sizeof(r->role) ||
		    strpbrk(rest, " \t"))
			return bb_error_set(e, EINVAL, "role: expected 'role CN NAME'");
		r->is_role_map = true;
		snprintf(r->name, sizeof(r->name), "%s", a);
		snprintf(r->role, sizeof(r->role), "%s", rest);
		return 0;
	}
	if (strcmp(verb, "allow"))
		return bb_error_set(e, EINVAL, "'%s': expected allow or role", verb);
	if (parse_who(r, a, e))
		return -1;
	r->methods = rest;
	return 0;
}

int vm_policy_load(const char *path, struct bb_error *e)
{
	const char *from;
	char *text = config_load("volmgr-policy.conf", path, 1 << 20, NULL, &from, e);
	if (!text)
		return -1;
	size_t n = 0, lineno = 0;
	struct rule *tmp = calloc(VM_MAX_RULES, sizeof(*tmp));
	if (!tmp) {
		free(text);
		return bb_error_set(e, ENOMEM, "%s: out of memory", from);
	}
	for (char *line = text, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		lineno++;
		line += strspn(line, " \t");
		if (!*line || *line == '#')
			continue;
		if (n == VM_MAX_RULES || parse_line(line, &tmp[n], e)) {
			if (n == VM_MAX_RULES)
				bb_error_set(e, E2BIG, "more than %d rules", VM_MAX_RULES);
			bb_error_prefix(e, "%s: line %zu: ", from, lineno);
			free(tmp);
			free(text);
			return -1;
		}
		n++;
	}
	free(policy_text);
	policy_text = text;
	memcpy(rules, tmp, n * sizeof(*tmp));
	nrules = n;
	free(tmp);
	return 0;
}
