/* records.c - spaceblock param, event and dp subcommands. */
#include "cli.h"

#include "hash.h"
#include "io.h"
#include "json.h"
#include "num.h"
#include "utf8.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Decimal, or hex after 0x, as the options take numbers (core/num.h). */
static int parse_u32(const char *what, const char *s, uint32_t *out)
{
	uint64_t v;
	if (num_u64(s, 0, UINT32_MAX, &v, NULL)) {
		bb_err("%s '%s' is not a number from 0 to 4294967295", what, s);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* All of fd (stdin, a pipe, a device) into memory, failing past max
 * bytes. from names it in messages. */
static int slurp(int fd, const char *from, struct sb_membuf *m, size_t max)
{
	uint8_t buf[65536];
	for (;;) {
		ssize_t r = read_full(fd, buf, sizeof(buf));
		if (r < 0) {
			bb_perr("reading %s", from);
			return -1;
		}
		if (m->len + (size_t)r > max) {
			bb_err("%s is longer than fits: at most %zu bytes", from, max);
			return -1;
		}
		if (r && sb_mem_writer(m, buf, (size_t)r)) {
			bb_err("out of memory");
			return -1;
		}
		if ((size_t)r < sizeof(buf))
			return 0;
	}
}

/* ---- param ------------------------------------------------------------------- */

int sb_cmd_param_set(struct sbcli *c)
{
	uint32_t id;
	if (parse_u32("parameter id", c->a.argv[0], &id))
		return 1;
	const char *arg = c->a.argc > 1 ? c->a.argv[1] : "-";
	struct sb_membuf m = { 0 };
	int rc = 1;
	if (!strcmp(arg, "-")) {
		if (slurp(0, "the value on stdin", &m, SB_PARAM_MAX))
			goto out;
	} else if (sb_mem_writer(&m, arg, strlen(arg))) {
		bb_err("out of memory");
		goto out;
	}
	rc = sb_param_put(&c->sb, id, m.p, m.len) ? sb_cli_store_error(c) : 0;
out:
	free(m.p);
	return rc;
}

static void json_value(struct jw *w, const uint8_t *p, size_t n)
{
	char hexbuf[2 * SB_PARAM_MAX + 1];
	jw_key(w, "value");
	jw_strn(w, (const char *)p, n);
	jw_kstr(w, "value_hex", hex(p, n, hexbuf));
}

void sb_cli_json_param(struct jw *w, const struct sb_param *p)
{
	jw_obj(w);
	jw_ku64(w, "id", p->id);
	jw_ku64(w, "generation", p->gen);
	jw_ku64(w, "length", p->len);
	json_value(w, p->value, p->len);
	jw_obj_end(w);
}

int sb_cmd_param_get(struct sbcli *c)
{
	uint32_t id;
	struct sb_param p;
	if (parse_u32("parameter id", c->a.argv[0], &id))
		return 1;
	if (sb_param_get(&c->sb, id, &p))
		return sb_cli_store_error(c);
	if (c->json) {
		struct jw w;
		jw_init(&w, stdout, true);
		sb_cli_json_param(&w, &p);
		jw_end(&w);
	} else if (fwrite(p.value, 1, p.len, stdout) != p.len) {
		bb_perr("writing stdout");
		return 1;
	}
	return 0;
}

void sb_cli_print_params(const struct sb_param *p, size_t n)
{
	printf("%-10s %5s %4s  %s\n", "ID", "GEN", "LEN", "VALUE");
	for (size_t i = 0; i < n; i++) {
		printf("%-10u %5u %4u  ", p[i].id, p[i].gen, p[i].len);
		sb_cli_print_escaped(p[i].value, p[i].len, 60);
		putchar('\n');
	}
}

int sb_cmd_param_list(struct sbcli *c)
{
	struct sb_param *p = calloc(c->sb.nparam, sizeof(*p));
	if (!p) {
		bb_err("out of memory");
		return 1;
	}
	size_t n = sb_param_list(&c->sb, p);
	if (c->json) {
		struct jw w;
		jw_init(&w, stdout, true);
		jw_arr(&w);
		for (size_t i = 0; i < n; i++)
			sb_cli_json_param(&w, &p[i]);
		jw_arr_end(&w);
		jw_end(&w);
	} else {
		sb_cli_print_params(p, n);
	}
	free(p);
	return 0;
}

/* ---- event ------------------------------------------------------------------- */

int sb_cmd_event_write(struct sbcli *c)
{
	struct sb_event e = { .severity = SB_INFO };
	const char *msg = c->a.argc ? c->a.argv[0] : "";
	size_t len = strlen(msg);
	if (len > SB_EVENT_MAX) {
		bb_err("message is %zu bytes; an event holds at most %u", len, SB_EVENT_MAX);
		return 1;
	}
	const char *sev = opt_str(&c->a, OPT_SEVERITY, "info");
	int s = sb_severity_parse(sev);
	if (s < 0) {
		bb_err("unknown severity '%s' (debug, info, warning, error, critical)", sev);
		return 1;
	}
	uint64_t code;
	if (opt_u64(&c->a, OPT_CODE, 0, 0, UINT32_MAX, &code) || sb_cli_timestamp(c, &e.timestamp))
		return 1;
	e.severity = (uint8_t)s;
	e.code = (uint32_t)code;
	e.len = (uint8_t)len;
	memcpy(e.payload, msg, len);
	return sb_event_write(&c->sb, &e) ? sb_cli_store_error(c) : 0;
}

static void json_event(struct jw *w, const struct sb_event *e)
{
	jw_obj(w);
	jw_ku64(w, "seq", e->seq);
	jw_ku64(w, "timestamp", e->timestamp);
	jw_kstr(w, "severity", sb_severity_name(e->severity));
	jw_ku64(w, "code", e->code);
	jw_key(w, "message");
	jw_strn(w, (const char *)e->payload, e->len);
	jw_obj_end(w);
}

static void print_event(const struct sb_event *e)
{
	printf("%-8llu %-12llu %-8s %-8u ", (unsigned long long)e->seq,
	       (unsigned long long)e->timestamp, sb_severity_name(e->severity), e->code);
	sb_cli_print_escaped(e->payload, e->len, 0);
	putchar('\n');
}

/* Events oldest first (the ring gives them newest first). */
void sb_cli_events(struct sbcli *c, struct jw *w, size_t max)
{
	struct sb_event *e = calloc(c->sb.nevent, sizeof(*e));
	size_t n = e ? sb_event_recent(&c->sb, e, max < c->sb.nevent ? max : c->sb.nevent) : 0;
	if (w)
		jw_arr(w);
	else
		printf("%-8s %-12s %-8s %-8s %s\n", "SEQ", "TIMESTAMP", "SEVERITY", "CODE",
		       "MESSAGE");
	for (size_t i = n; i-- > 0;) {
		if (w)
			json_event(w, &e[i]);
		else
			print_event(&e[i]);
	}
	if (w)
		jw_arr_end(w);
	free(e);
}

int sb_cmd_event_list(struct sbcli *c)
{
	uint64_t max;
	if (opt_u64(&c->a, OPT_COUNT, UINT32_MAX, 0, UINT64_MAX, &max))
		return 1;
	if (!c->json) {
		sb_cli_events(c, NULL, (size_t)max);
		return 0;
	}
	struct jw w;
	jw_init(&w, stdout, true);
	sb_cli_events(c, &w, (size_t)max);
	jw_end(&w);
	return 0;
}

int sb_cmd_event_count(struct sbcli *c)
{
	uint64_t n = sb_event_count(&c->sb);
	if (!c->json) {
		printf("%llu\n", (unsigned long long)n);
		return 0;
	}
	struct jw w;
	jw_init(&w, stdout, true);
	jw_obj(&w);
	jw_ku64(&w, "event_count", n);
	jw_obj_end(&w);
	jw_end(&w);
	return 0;
}

/* ---- dp ------------------------------------------------------------------------ */

static long fd_reader(void *ctx, void *buf, size_t len)
{
	return (long)read_full(*(int *)ctx, buf, len);
}

static int fd_writer(void *ctx, const void *buf, size_t len)
{
	return write_full(*(int *)ctx, buf, len);
}

/* A regular file streams with its size known; anything else (a pipe)
 * is read whole first, since the allocation needs the size. */
static int dp_write_fd(struct sbcli *c, int fd, const char *src, const char *name, uint16_t cls,
		       uint8_t prio, uint64_t created)
{
	struct stat st;
	struct sb_dp d;
	if (fstat(fd, &st)) {
		bb_perr("%s", src);
		return 1;
	}
	/* a pipe streams into the largest free run: never held in memory */
	uint64_t len = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : SB_LEN_UNKNOWN;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		bb_perr("reading %s", src);
		return 1;
	}
	return sb_dp_write(&c->sb, name, cls, prio, created, len, fd_reader, &fd, &d)
		       ? sb_cli_store_error(c)
		       : 0;
}

int sb_cmd_dp_write(struct sbcli *c)
{
	uint64_t cls, prio, created;
	if (opt_u64(&c->a, OPT_CLASS, 0, 0, UINT16_MAX, &cls) ||
	    opt_u64(&c->a, OPT_PRIORITY, 0, 0, UINT8_MAX, &prio) || sb_cli_timestamp(c, &created))
		return 1;
	const char *src = c->a.argc > 1 ? c->a.argv[1] : "-";
	bool from_stdin = !strcmp(src, "-");
	int fd = from_stdin ? 0 : open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		bb_perr("%s", src);
		return 1;
	}
	int rc = dp_write_fd(c, fd, from_stdin ? "stdin" : src, c->a.argv[0], (uint16_t)cls,
			     (uint8_t)prio, created);
	if (!from_stdin)
		close(fd);
	return rc;
}

/* To a file: written aside and renamed into place only when the CRC
 * matched. To stdout, or a device, FIFO or terminal named by -o (written
 * in place, never replaced): checked first, then sent (and checked
 * again). Never to the image itself. */
int sb_cmd_dp_read(struct sbcli *c)
{
	struct sb_dp d;
	if (sb_dp_find(&c->sb, c->a.argv[0], &d))
		return sb_cli_store_error(c);
	const char *out = opt_str(&c->a, OPT_OUTPUT, NULL);
	if (!out || !strcmp(out, "-")) {
		int fd = 1;
		if (sb_dp_read(&c->sb, &d, NULL, NULL) || sb_dp_read(&c->sb, &d, fd_writer, &fd))
			return sb_cli_store_error(c);
		return 0;
	}
	struct output o;
	if (output_open(&o, out, 0644, &c->disk.fd, 1)) {
		if (errno == EEXIST)
			bb_err("%s: the same file as %s: not written over the store", out, c->path);
		else
			bb_perr("%s", out);
		return 1;
	}
	if ((o.in_place && sb_dp_read(&c->sb, &d, NULL, NULL)) ||
	    sb_dp_read(&c->sb, &d, fd_writer, &o.fd)) {
		output_abort(&o);
		return sb_cli_store_error(c);
	}
	if (output_commit(&o)) {
		bb_perr("%s", out);
		return 1;
	}
	return 0;
}

void sb_cli_json_dp(struct jw *w, const struct sb_dp *d)
{
	jw_kstr(w, "name", d->name);
	jw_ku64(w, "class", d->dp_class);
	jw_ku64(w, "priority", d->priority);
	jw_ku64(w, "length", d->length);
	jw_ku64(w, "block_offset", d->block_offset);
	jw_ku64(w, "block_count", d->block_count);
	jw_ku64(w, "crc32c", d->data_crc);
	jw_ku64(w, "created", d->created);
	jw_ku64(w, "seq", d->seq);
}

void sb_cli_print_dp_header(void)
{
	printf("%-32s %5s %4s %12s %8s %8s %-10s\n", "NAME", "CLASS", "PRIO", "BYTES", "OFFSET",
	       "BLOCKS", "CRC32C");
}

void sb_cli_print_dp(const struct sb_dp *d)
{
	char name[4 * sizeof(d->name)];
	utf8_printable(d->name, strlen(d->name), name, sizeof(name));
	printf("%-32s %5u %4u %12llu %8u %8u 0x%08x", name, d->dp_class, d->priority,
	       (unsigned long long)d->length, d->block_offset, d->block_count, d->data_crc);
}

int sb_cmd_dp_list(struct sbcli *c)
{
	struct sb_dp *d = calloc(c->sb.ncat, sizeof(*d));
	if (!d) {
		bb_err("out of memory");
		return 1;
	}
	size_t n = sb_dp_list(&c->sb, d);
	struct jw w;
	if (c->json) {
		jw_init(&w, stdout, true);
		jw_arr(&w);
	} else {
		sb_cli_print_dp_header();
	}
	for (size_t i = 0; i < n; i++) {
		if (c->json) {
			jw_obj(&w);
			sb_cli_json_dp(&w, &d[i]);
			jw_obj_end(&w);
		} else {
			sb_cli_print_dp(&d[i]);
			putchar('\n');
		}
	}
	if (c->json) {
		jw_arr_end(&w);
		jw_end(&w);
	}
	free(d);
	return 0;
}

int sb_cmd_dp_delete(struct sbcli *c)
{
	return sb_dp_delete(&c->sb, c->a.argv[0]) ? sb_cli_store_error(c) : 0;
}
