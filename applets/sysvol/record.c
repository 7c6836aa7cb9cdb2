/* record.c - the text of sysvol's records, read back at the next boot
 * and by volmgr from files anyone with root may have edited: parsed
 * strictly, never half-read. Pure: no files here (degraded.c has them).
 *
 * The degraded record, one "key=value" a line ('#' comments, unknown keys
 * skipped):
 *   state=degraded|split   since=2026-12-06T16:50:00Z
 *   missing=SERIAL         present=SERIAL
 * The members file, a line per disk: "SERIAL btrfs_devid=N".
 */
#include "boot.h"

#include <stdio.h>
#include <string.h>

static int copy_value(char *dst, size_t len, const char *v, size_t n, const char **why)
{
	if (!n || n >= len)
		return *why = "a value is empty or too long", -1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x21 || v[i] == 0x7f)
			return *why = "a value holds a blank or control character", -1;
	memcpy(dst, v, n);
	dst[n] = 0;
	return 0;
}

int svb_record_parse(const char *text, struct svb_record *r, const char **why)
{
	memset(r, 0, sizeof(*r));
	for (const char *l = text; *l;) {
		size_t n = strcspn(l, "\n");
		const char *eq = memchr(l, '=', n);
		if (*l != '#' && eq) {
			size_t k = (size_t)(eq - l), vn = n - k - 1;
			struct {
				const char *key;
				char *dst;
				size_t len;
			} f[] = { { "since", r->since, sizeof(r->since) },
				  { "missing", r->missing, sizeof(r->missing) },
				  { "present", r->present, sizeof(r->present) } };
			for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
				if (strlen(f[i].key) == k && !memcmp(l, f[i].key, k) &&
				    copy_value(f[i].dst, f[i].len, eq + 1, vn, why))
					return -1;
		}
		l += n + (l[n] == '\n');
	}
	if (!r->since[0] || !r->missing[0])
		return *why = "since= or missing= is absent", -1;
	return 0;
}

int svb_record_format(const struct svb_record *r, const char *state, char *buf, size_t len)
{
	int n = snprintf(buf, len,
			 "# sysvol: the node runs with a mirror member missing or split off\n"
			 "state=%s\nsince=%s\nmissing=%s\npresent=%s\n",
			 state, r->since, r->missing, r->present[0] ? r->present : "unknown");
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int svb_members_serial(const char *text, uint64_t devid, char *out, size_t len)
{
	char want[40];
	snprintf(want, sizeof(want), "btrfs_devid=%llu", (unsigned long long)devid);
	for (const char *l = text; *l;) {
		size_t n = strcspn(l, "\n"), s = strcspn(l, " \t\n");
		const char *rest = l + s;
		rest += strspn(rest, " \t");
		size_t wl = strlen(want);
		if (*l != '#' && s && s < len && (size_t)(rest - l) + wl == n && !memcmp(rest, want, wl)) {
			memcpy(out, l, s);
			out[s] = 0;
			return 0;
		}
		l += n + (l[n] == '\n');
	}
	return -1;
}
