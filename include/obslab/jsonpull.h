/*
 * jsonpull — a JSON pull parser: one pass over a buffer, no tree, no
 * allocation but one scratch buffer for strings that hold escapes.
 *
 * The caller walks the document as it expects it: jp_object/jp_key to step
 * through an object's members, jp_array/jp_item through an array's values,
 * jp_string/jp_integer/... to read a value, jp_skip for anything it does not
 * want. A string is returned as a slice of the input when it has no escape,
 * else decoded into the scratch buffer; either way it is valid until the
 * next call. The first error sticks: every later call fails, and jp_error
 * says what and where. Nesting deeper than JP_MAX_DEPTH is an error, so no
 * input can exhaust the stack. The input is not copied and must outlive the
 * parser; it should be valid UTF-8 (the caller checks).
 *
 * Threads: a struct jp belongs to one thread; there is no global state, so
 * parsers on different threads do not meet.
 */
#ifndef OBSLAB_JSONPULL_H
#define OBSLAB_JSONPULL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JP_MAX_DEPTH 512

enum jp_type { JP_NONE, JP_OBJECT, JP_ARRAY, JP_STRING, JP_NUMBER, JP_TRUE, JP_FALSE, JP_NULL };

struct jp {
	const char *start, *p, *end;
	int depth;
	bool failed, truncated;
	char error[160];
	char *scratch;
	size_t scratch_cap;
	bool need_comma; /* inside the current container, after its first member */
};

void jp_init(struct jp *jp, const char *buf, size_t len);
void jp_free(struct jp *jp);

/* The next value's type, without consuming it (JP_NONE at the end or after an error). */
enum jp_type jp_peek(struct jp *jp);

/* Objects: jp_object enters one ('{'); each jp_key returns the next member's
 * name (false at the closing '}', which it consumes, or on error). */
bool jp_object(struct jp *jp);
bool jp_key(struct jp *jp, const char **key, size_t *len);
/* Arrays: jp_array enters one; each jp_item is true while a value follows. */
bool jp_array(struct jp *jp);
bool jp_item(struct jp *jp);

bool jp_string(struct jp *jp, const char **s, size_t *len);
/* A whole number written as a number or a decimal string, in [0, max]. */
bool jp_whole(struct jp *jp, int64_t max, int64_t *out);
/* The same, unsigned: up to 2^64 - 1 (a seed). */
bool jp_whole_u64(struct jp *jp, uint64_t max, uint64_t *out);
bool jp_double(struct jp *jp, double *out);
bool jp_bool(struct jp *jp, bool *out);
bool jp_skip(struct jp *jp);

/* After the top-level value: only white space may follow. */
bool jp_finish(struct jp *jp);

/* Makes the parser fail with a message of the caller's (a type mismatch). */
bool jp_fail(struct jp *jp, const char *message);

/* Inline: with a literal name, its length is known where it is called
 * (a reader compares every key of every span). */
static inline bool jp_key_is(const char *key, size_t len, const char *name)
{
	return __builtin_strlen(name) == len && __builtin_memcmp(key, name, len) == 0;
}

#endif
