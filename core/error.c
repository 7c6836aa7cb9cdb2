/* error.c - filling a struct bb_error; printing it is the applet's job
 * (bb_report in log.c). */
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void vset(struct bb_error *e, int code, const char *fmt, va_list ap)
{
	e->code = code ? code : EIO;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

int bb_error_set(struct bb_error *e, int code, const char *fmt, ...)
{
	if (!e)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vset(e, code, fmt, ap);
	va_end(ap);
	return -1;
}

int bb_error_errno(struct bb_error *e, const char *fmt, ...)
{
	int saved = errno;
	if (!e)
		return -1;
	int code = saved ? saved : EIO;
	va_list ap;
	va_start(ap, fmt);
	vset(e, code, fmt, ap);
	va_end(ap);
	size_t n = strlen(e->msg);
	snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(code));
	errno = saved;
	return -1;
}

int bb_error_prefix(struct bb_error *e, const char *fmt, ...)
{
	if (!e)
		return -1;
	char head[BB_ERROR_MSG], old[BB_ERROR_MSG];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	if (old[0])
		snprintf(e->msg, sizeof(e->msg), "%s: %s", head, old);
	else
		memcpy(e->msg, head, sizeof(e->msg));
	if (!e->code)
		e->code = EIO;
	return -1;
}

void bb_error_clear(struct bb_error *e)
{
	if (e) {
		e->code = 0;
		e->msg[0] = 0;
	}
}
