/*
 * error — "an operation failed, here is why": the one error type.
 *
 * A function that can fail for a reason the user can act on (a file that
 * cannot be read, a database that is not obslab's, a bad option) takes a
 * struct obslab_error * and, when it fails, fills msg with one line saying
 * what failed and why, then returns its own status (false, NULL, an enum).
 * Read msg only after a failure. The caller owns the struct, usually on
 * its stack; it holds no pointers and needs no freeing. Out of memory is
 * not reported here: it aborts (xalloc.h). The policy as a whole is in
 * docs/architecture.md ("Errors"). Plain data: one thread at a time.
 */
#ifndef OBSLAB_ERROR_H
#define OBSLAB_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

#define OBSLAB_ERROR_MAX 512

struct obslab_error {
	char msg[OBSLAB_ERROR_MAX]; /* one line, NUL-terminated, cut to fit */
};

/* Formats msg (printf-style); err may be NULL. Returns false, so a failing
 * path can end with `return obslab_error_set(err, ...);`. */
bool obslab_error_set(struct obslab_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool obslab_error_vset(struct obslab_error *err, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#endif
