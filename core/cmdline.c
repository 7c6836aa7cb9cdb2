/* cmdline.c - kernel command line parsing, shared by init and sysvol. */
#include "cmdline.h"
#include "io.h"
#include "num.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int cmdline_parse(struct cmdline *c, const char *text, const char **why)
{
	memset(c, 0, sizeof(*c));
	c->buf = strdup(text);
	if (!c->buf) {
		*why = "out of memory";
		return -1;
	}
	char *p = c->buf;
	while (1) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			return 0;
		if (c->n == CMDLINE_MAX_ARGS) {
			*why = "too many words";
			return -1;
		}
		/* Copy the word onto itself without quotes; the kernel allows
		 * quotes around the value or the whole word. */
		char *word = p, *o = p, *eq = NULL;
		bool quoted = false;
		for (; *p && (quoted || (*p != ' ' && *p != '\t' && *p != '\n')); p++) {
			if (*p == '"') {
				quoted = !quoted;
				continue;
			}
			if (*p == '=' && !eq) /* as the kernel: the first =, quoted or not */
				eq = o;
			*o++ = *p;
		}
		if (quoted) {
			*why = "unterminated quote";
			return -1;
		}
		char *next = *p ? p + 1 : p;
		*o = 0;
		c->arg[c->n].key = word;
		c->arg[c->n].val = NULL;
		if (eq) {
			*eq = 0;
			c->arg[c->n].val = eq + 1;
		}
		c->n++;
		p = next;
	}
}

int cmdline_read(struct cmdline *c, const char *path, const char **why)
{
	char *text = read_file(path ? path : "/proc/cmdline", 1 << 16, NULL);
	if (!text) {
		memset(c, 0, sizeof(*c));
		*why = strerror(errno);
		return -1;
	}
	int rc = cmdline_parse(c, text, why);
	free(text);
	return rc;
}

void cmdline_free(struct cmdline *c)
{
	free(c->buf);
	c->buf = NULL;
	c->n = 0;
}

const char *cmdline_get(const struct cmdline *c, const char *key)
{
	const char *v = NULL;
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->arg[i].key, key) && c->arg[i].val)
			v = c->arg[i].val;
	return v;
}

bool cmdline_has(const struct cmdline *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->arg[i].key, key))
			return true;
	return false;
}

int cmdline_u64(const struct cmdline *c, const char *key, uint64_t def, uint64_t min,
		uint64_t max, uint64_t *out)
{
	const char *v = cmdline_get(c, key);
	if (!v) {
		*out = def;
		return 0;
	}
	return num_u64(v, min, max, out, NULL);
}
