/* error.h - how core says what went wrong, without printing it.
 *
 * A core function that can fail takes `struct bb_error *e` as its last
 * parameter, fills it and returns -1 (or NULL). The caller decides what
 * to do with it: an applet prints it once with bb_report() as
 * "applet: what failed: why", a daemon turns it into a JSON-RPC error
 * (code is an errno value it can map), a retry loop ignores it. e may be
 * NULL when the caller only needs the return value.
 *
 * Messages are "what failed: why" without the applet's name and without
 * a newline: "/dev/sda: open exclusively: Device or resource busy".
 */
#ifndef BB_ERROR_H
#define BB_ERROR_H

#include <stdbool.h>

#define BB_ERROR_MSG 512

struct bb_error {
	int code;               /* errno value (ENOENT, EBUSY, ...), EIO when unknown */
	char msg[BB_ERROR_MSG]; /* "" while nothing failed */
};

/* Fill e with code and the formatted message. Returns -1, so that a
 * failing function can `return bb_error_set(e, EINVAL, "...")`. */
int bb_error_set(struct bb_error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same with code = errno (EIO when errno is 0) and ": strerror(errno)"
 * appended. errno is left as it was. */
int bb_error_errno(struct bb_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Put context in front of a message already set: "sda2: " + msg. Returns -1. */
int bb_error_prefix(struct bb_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bb_error_clear(struct bb_error *e);
static inline bool bb_error_is_set(const struct bb_error *e) { return e && e->msg[0]; }

#endif
