/* log.c - messages on stderr, always prefixed with the applet's name so
 * that an operator reading a boot log knows which tool said what. */
#include "bb.h"
#include "error.h"
#include "utf8.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *bb_name = "blockbox";
int bb_verbose;

/* The first error reported, for --json's error object (bb_first_error). */
static char first_error[1024];

static void vsay(const char *prefix, const char *fmt, va_list ap, int errnum, bool error)
{
	/* One fprintf per line, so lines from threads do not interleave.
	 * Messages quote names from disks and command lines: any control
	 * character in them is shown escaped, never obeyed by the terminal. */
	char msg[1024], shown[1024];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	utf8_printable(msg, strlen(msg), shown, sizeof(shown));
	if (errnum)
		fprintf(stderr, "%s: %s%s: %s\n", bb_name, prefix, shown, strerror(errnum));
	else
		fprintf(stderr, "%s: %s%s\n", bb_name, prefix, shown);
	if (error && !first_error[0])
		snprintf(first_error, sizeof(first_error), "%s%s%s", msg, errnum ? ": " : "",
			 errnum ? strerror(errnum) : "");
}

const char *bb_first_error(void) { return first_error; }

void bb_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay("", fmt, ap, 0, true);
	va_end(ap);
}

void bb_perr(const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	vsay("", fmt, ap, e ? e : EIO, true);
	va_end(ap);
	errno = e;
}

void bb_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay("warning: ", fmt, ap, 0, false);
	va_end(ap);
}

void bb_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay("", fmt, ap, 0, false);
	va_end(ap);
}

void bb_debug(const char *fmt, ...)
{
	if (bb_verbose < 2)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsay("debug: ", fmt, ap, 0, false);
	va_end(ap);
}

void bb_report(const struct bb_error *e)
{
	bb_err("%s", bb_error_is_set(e) ? e->msg : "failed (no reason recorded)");
}
