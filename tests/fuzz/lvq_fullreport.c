/* lvq's reader of `lvm fullreport`: any bytes as its output. Text that
 * is not strict JSON is accepted only when it is LVM 2.03.16's one known
 * defect: the last comma of the text, after a row's '}', followed by
 * nothing but the command log's ']' and the document's '}' (blanks
 * between), and the text without that comma is strict JSON whose last
 * member is "log", a non-empty list of objects. What is accepted keeps
 * the state's own rules (free extents within the VG, named PVs, VGs and
 * LVs, one entry per PV). */
#include "../../applets/lvq/lvq.h"
#include "error.h"
#include "json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Only blanks, then want, from *i on: advances *i past it. */
static bool expect(const char *t, size_t len, size_t *i, char want)
{
	while (*i < len && blank(t[*i]))
		(*i)++;
	if (*i >= len || t[*i] != want)
		return false;
	(*i)++;
	return true;
}

static void check_defect(const char *t, size_t len)
{
	const char *c = NULL;
	for (size_t i = 0; i < len; i++)
		if (t[i] == ',')
			c = t + i;
	if (!c)
		abort();
	size_t i = (size_t)(c - t) + 1;
	if (!expect(t, len, &i, ']') || !expect(t, len, &i, '}'))
		abort();
	while (i < len && blank(t[i]))
		i++;
	if (i != len)
		abort();
	const char *b = c;
	while (b > t && blank(b[-1]))
		b--;
	if (b == t || b[-1] != '}')
		abort();
	char *fixed = malloc(len);
	char err[64];
	memcpy(fixed, t, len);
	fixed[c - t] = ' ';
	struct json *j = json_parse(fixed, len, JSON_DEFAULT_DEPTH, err, sizeof(err));
	free(fixed);
	if (!j || j->type != JSON_OBJECT || !j->obj.n)
		abort();
	const struct json_member *m = &j->obj.m[j->obj.n - 1];
	if (m->keylen != 3 || memcmp(m->key, "log", 3) || m->val.type != JSON_ARRAY || !m->val.arr.n)
		abort();
	for (size_t k = 0; k < m->val.arr.n; k++)
		if (m->val.arr.v[k].type != JSON_OBJECT)
			abort();
	json_free(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct bb_error e = { 0 };
	struct lvq_state st;
	if (lvq_state_parse(text, size, &st, &e))
		return 0;
	char err[64];
	struct json *j = json_parse(text, size, JSON_DEFAULT_DEPTH, err, sizeof(err));
	if (j)
		json_free(j);
	else
		check_defect(text, size);
	for (size_t i = 0; i < st.nvg; i++)
		if (st.vg[i].free_count > st.vg[i].extent_count || !st.vg[i].name[0])
			abort();
	for (size_t i = 0; i < st.npv; i++) {
		if (!st.pv[i].name[0])
			abort();
		for (size_t k = 0; k < i; k++)
			if (!strcmp(st.pv[i].name, st.pv[k].name))
				abort();
	}
	for (size_t i = 0; i < st.nlv; i++)
		if (!st.lv[i].name[0])
			abort();
	lvq_state_free(&st);
	return 0;
}
