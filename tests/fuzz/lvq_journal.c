/* lvq's readers of what it did not write itself, or that a crash cut:
 * any bytes as the journal (JSON lines), as a plan file, and as the
 * output of `lvm fullreport`. A plan that is accepted must rebuild to the
 * same hash; the history must stay consistent. */
#include "../../applets/lvq/lvq.h"
#include "error.h"
#include "json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct bb_error e = { 0 };
	struct lvq_history h;
	if (!lvq_journal_parse(text, size, &h, &e)) {
		for (size_t i = 0; i < h.n; i++) {
			const struct lvq_txn *t = &h.t[i];
			if (t->nok > t->nsteps || t->last_started >= (long)t->nsteps)
				abort();
			if (t->plan && (t->plan->n != t->nsteps || strcmp(t->plan->hash, t->plan_hash)))
				abort();
		}
		struct lvq_resolved res;
		if (h.n)
			lvq_history_resolved(&h, h.t[h.n - 1].request_hash, &res);
		lvq_history_free(&h);
	}
	char err[64];
	struct json *j = json_parse(text, size, JSON_DEFAULT_DEPTH, err, sizeof(err));
	if (j) {
		struct lvq_plan p;
		if (!lvq_plan_from_json(j, &p, &e)) {
			char hash[65];
			memcpy(hash, p.hash, sizeof(hash));
			lvq_plan_hash(&p);
			if (strcmp(hash, p.hash))
				abort();
			lvq_plan_free(&p);
		}
		json_free(j);
	}
	struct lvq_state st;
	if (!lvq_state_parse(text, size, &st, &e)) {
		for (size_t i = 0; i < st.nvg; i++)
			if (st.vg[i].free_count > st.vg[i].extent_count)
				abort();
		lvq_state_free(&st);
	}
	return 0;
}
