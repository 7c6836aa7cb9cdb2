/* volmops_formats fuzz target: any bytes as volmgr's topology templates
 * (a file a user may replace), as a scrub record read back from the
 * state directory, and as sysvol's degraded-boot record. */
#include "../../applets/volmgr/storage.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	struct vmo_topology t[VMO_TOPO_MAX];
	size_t n;
	if (vmo_topologies_parse(text, t, VMO_TOPO_MAX, &n, NULL) == 0) {
		if (n == 0 || n > VMO_TOPO_MAX)
			abort();
		struct vmo_disk d[3] = { { "a", 1ull << 33, VMO_TIER_SSD },
					 { "b", 1ull << 36, VMO_TIER_HDD },
					 { "c", 1ull << 30, VMO_TIER_HDD } };
		for (size_t i = 0; i < n; i++) {
			struct vmo_feasible f;
			if (!t[i].name[0] || !t[i].nrules || t[i].nrules > VMO_TOPO_MAX_RULES)
				abort();
			vmo_topology_check(&t[i], d, 3, true, &f);
			if (f.npicked > 3 || !memchr(f.reason, 0, sizeof(f.reason)))
				abort();
		}
	}
	struct vmo_scrub_record r;
	if (vmo_scrub_record_parse(text, size, &r, NULL) == 0 &&
	    (!memchr(r.fsid, 0, sizeof(r.fsid)) || !memchr(r.state, 0, sizeof(r.state))))
		abort();
	struct vmo_health h = { 0 };
	vmo_health_sysvol(text, &h);
	if (h.n != 1 || strchr(h.f[0].reason, '\n'))
		abort();
	free(text);
	return 0;
}
