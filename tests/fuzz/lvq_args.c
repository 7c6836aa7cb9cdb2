/* lvq's command line values: any bytes as --lv, --pv, --vg and a size.
 * What is accepted must be free of shell metacharacters, carry names LVM
 * accepts and absolute mount points, and a size must convert to extents
 * without overflow (whole extents covering every byte). */
#include "../../applets/lvq/lvq.h"
#include "error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

static void check_lv(const struct lvq_lv_req *l)
{
	const char *why;
	if (lvq_name_check(l->name, true, &why) || !lvq_shell_safe(l->mount))
		abort();
	if (l->mount[0] && (l->mount[0] != '/' || l->fs == LVQ_FS_SWAP || l->fs == LVQ_FS_NONE))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lvq_req r;
	char s[2048];
	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	struct bb_error e = { 0 };
	memset(&r, 0, sizeof(r));
	if (!lvq_parse_lv(s, &r, &e)) {
		if (r.nlv != 1 || !lvq_shell_safe(s))
			abort();
		check_lv(&r.lv[0]);
	} else if (r.nlv)
		abort();
	if (!lvq_parse_pv(s, &r, &e)) {
		for (size_t i = 0; i < r.npv; i++)
			if (r.pv[i][0] != '/' || strstr(r.pv[i], "/../") || !lvq_shell_safe(r.pv[i]))
				abort();
	} else if (r.npv)
		abort();
	if (!lvq_parse_vg(s, &r, &e)) {
		const char *why;
		if (lvq_name_check(r.vg, false, &why) || (r.pe_size & (r.pe_size - 1)) ||
		    r.pe_size < 4096)
			abort();
	}
	struct lvq_size sz;
	const char *why;
	if (!lvq_size_parse(s, &sz, &why)) {
		uint64_t ext;
		for (uint64_t pe = 4096; pe; pe <<= 9) {
			if (lvq_size_extents(&sz, pe, UINT64_MAX, UINT64_MAX, 7, &ext, &why)) {
				if (sz.kind != LVQ_SZ_PCT_PVS) /* 7 extents can come to none */
					abort();
				continue;
			}
			if (sz.kind == LVQ_SZ_BYTES &&
			    ((u128)ext * pe < sz.v || (u128)(ext - 1) * pe >= sz.v))
				abort();
		}
		char back[64];
		struct lvq_size again;
		/* the normal form parses back to the same size */
		if (lvq_size_parse(lvq_size_fmt(&sz, back, sizeof(back)), &again, &why) ||
		    again.kind != sz.kind || again.v != sz.v)
			abort();
	}
	return 0;
}
