/*
 * error — the setter of struct obslab_error, the one type every engine
 * function uses to say why an operation failed (see error.h).
 */
#include "obslab/error.h"

#include <stdarg.h>
#include <stdio.h>

bool obslab_error_vset(struct obslab_error *err, const char *fmt, va_list ap)
{
	if (err)
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	return false;
}

bool obslab_error_set(struct obslab_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	obslab_error_vset(err, fmt, ap);
	va_end(ap);
	return false;
}
