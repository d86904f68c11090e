/*
 * otel_json — the lossless span model's pieces (otel.h) written as
 * OTLP/JSON, as the protobuf JSON mapping has them: ids lowercase hex,
 * 64-bit integers and times as decimal strings, bytes as base64, doubles
 * as numbers (NaN, Infinity and -Infinity as those strings), enums as
 * integers. Fields at their default (a zero count, an empty string, an
 * empty list) are left out; absent means default to any OTLP reader.
 *
 * Output goes through a sink the caller owns (the writers pass their
 * atomicfile, the tests a memory buffer); these functions allocate
 * nothing and cannot fail: a sink remembers its own failures.
 * Used by the OTLP writer and the native writer's "otlp" objects, so both
 * write a span the same way; the plain forms are for Chrome's args.
 */
#ifndef OBSLAB_OTEL_JSON_H
#define OBSLAB_OTEL_JSON_H

#include <stddef.h>

#include "obslab/otel.h"

struct otel_json_out {
	void (*write)(void *ctx, const char *s, size_t len);
	void *ctx;
};

/* A JSON string of s[0..len) (len bytes, NULs included): quotes,
 * backslashes and control characters escaped, UTF-8 kept. */
void otel_json_string(const struct otel_json_out *o, const char *s, size_t len);
/* An AnyValue object: {"stringValue":...}, {"arrayValue":{"values":[...]}}, {} when empty. */
void otel_json_value(const struct otel_json_out *o, const struct otel_set *set, const struct otel_value *v);
/* A KeyValue list: [{"key":...,"value":{...}},...]. */
void otel_json_attrs(const struct otel_json_out *o, const struct otel_set *set, struct otel_attrs a);
/* The members of a Resource, without the braces: "attributes":[...]
 * and "droppedAttributesCount" when not 0. */
void otel_json_resource_members(const struct otel_json_out *o, const struct otel_set *set,
                                const struct otel_resource *r);
/* An InstrumentationScope object: name, version, attributes, dropped count. */
void otel_json_scope(const struct otel_json_out *o, const struct otel_set *set, const struct otel_scope *s);
/* A Span object with every field the model holds (marks excepted). */
void otel_json_span(const struct otel_json_out *o, const struct otel_set *set, const struct otel_span *sp);

/* A value as plain JSON (Chrome's args): strings, numbers (ints exact,
 * doubles; NaN and infinities as strings), booleans, bytes as a base64
 * string, arrays as arrays, key-value lists as objects, empty as null. */
void otel_json_plain_value(const struct otel_json_out *o, const struct otel_set *set, const struct otel_value *v);

#endif
