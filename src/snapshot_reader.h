/*
 * snapshot_reader — what the snapshot reader's three files share (not a
 * public interface): the reader's state, and each file's entry.
 *   snapshot_read.c      the entry points: the file, UTF-8, the document
 *   snapshot_spans.c     spans from native and OTLP/JSON, field by field;
 *                        foreign spans' records derived from their details
 *   otel_json_read.c     OTLP/JSON values (otel_json_scalar.c: int64, double,
 *                        bytes), resources, scopes and spans into
 *                        the lossless model (otel.h), r->out->otel
 *   snapshot_http.c      a served trace's "http" object, its root's remote parent
 *   snapshot_assemble.c  traces grouped and assembled tolerantly (orphans
 *                        under placeholders, skew, duplicates, cycles
 *                        marked; any depth) and laid out for store_ingest
 *                        (one trace's assembly: assemble.h, struct raw)
 *
 * Threads: a struct reader lives in one snapshot_parse call, on the
 * caller's thread; nothing here is static.
 */
#ifndef OBSLAB_SNAPSHOT_READER_H
#define OBSLAB_SNAPSHOT_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "assemble.h"
#include "obslab/jsonpull.h"
#include "obslab/snapshot.h"
#include "obslab/span.h"

#define NAME_MAX_BYTES 1024

/* A span as read, before its trace is checked and assembled. */
struct span_fields;

struct reader {
	struct snapshot *out;
	const struct jp *jp; /* when the parser has failed, its message is the one to give */
	struct raw *spans;
	size_t n, cap;
	struct obslab_error *err;
	struct span_fields *fields; /* snapshot_spans.c's scratch, reused span after span; NULL until used */
	/* NULL (files): an OTLP/JSON span that cannot be kept refuses the whole
	 * document. Else (the receiver's OTLP/JSON bodies): such a span, in a
	 * body that is still well-formed JSON, is passed over and counted here
	 * (its line the first refusal's), as protobuf bodies refuse spans. */
	struct otlp_decode_result *refused;
};

/* Records a refusal in one line (unless the parser already failed, whose
 * message then stands) and returns false. */
bool reader_fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* An OTLP/JSON member name in either of protobuf's JSON spellings: a
 * snake_case one (the proto's field name, "parent_span_id") is rewritten
 * in buf (cap bytes) as lowerCamelCase ("parentSpanId") and *key, *len
 * point there; any other name is left as it is. */
static inline void reader_camel(const char **key, size_t *len, char *buf, size_t cap)
{
	if (*len >= cap || !__builtin_memchr(*key, '_', *len))
		return;
	size_t n = 0;
	for (size_t i = 0; i < *len; i++) {
		char c = (*key)[i];
		if (c == '_' && n > 0 && i + 1 < *len && (*key)[i + 1] >= 'a' && (*key)[i + 1] <= 'z')
			buf[n++] = (char)((*key)[++i] - 'a' + 'A');
		else
			buf[n++] = c;
	}
	*key = buf;
	*len = n;
}

/* "WHERE.FIELD[I]" into buf (cap > 0 bytes), as snprintf would write it
 * (cut at cap - 1 bytes): FIELD NULL leaves out ".FIELD", I < 0 "[I]".
 * The readers name where each value is this way for their messages; built
 * for every value read, so without printf. */
static inline const char *reader_path(char *buf, size_t cap, const char *where, const char *field, int i)
{
	char tail[80];
	size_t t = 0;
	if (field) {
		size_t f = __builtin_strlen(field);
		if (f > sizeof tail - 16)
			f = sizeof tail - 16;
		tail[t++] = '.';
		__builtin_memcpy(tail + t, field, f);
		t += f;
	}
	if (i >= 0) {
		char digits[12];
		size_t d = 0;
		unsigned v = (unsigned)i;
		do
			digits[d++] = (char)('0' + v % 10);
		while ((v /= 10) != 0);
		tail[t++] = '[';
		while (d)
			tail[t++] = digits[--d];
		tail[t++] = ']';
	}
	size_t w = __builtin_strlen(where), n = 0;
	size_t take = w < cap - 1 ? w : cap - 1;
	__builtin_memcpy(buf, where, take);
	n = take;
	take = t < cap - 1 - n ? t : cap - 1 - n;
	__builtin_memcpy(buf + n, tail, take);
	buf[n + take] = '\0';
	return buf;
}

/* snapshot_spans.c */
bool reader_native_trace(struct reader *r, struct jp *jp, int index);
/* The settings object; false (refused, in one line) for a value of the wrong
 * type or out of range. */
bool reader_native_settings(struct reader *r, struct jp *jp, struct snapshot_meta *meta);
/* A whole number in [0, max]; anything else is refused in one line naming
 * where and field (where may be NULL), what it must be (rule, may be NULL)
 * and the value found. max == DURATION_MAX_TIME_NS reads a time. */
bool reader_whole(struct reader *r, struct jp *jp, int64_t max, int64_t *out, const char *where, const char *field,
                  const char *rule);
bool reader_otlp(struct reader *r, struct jp *jp);
/* Native version 2's top-level "resources" (scopes false) or "scopes". */
bool reader_native_resources(struct reader *r, struct jp *jp, bool scopes);
/* Every foreign span's record from its otel_span (after the whole file). */
void reader_derive_foreign(struct reader *r);
/* A foreign span whose otel_span (index detail) was just read, as a raw
 * span: ids and times from the file, the rest derived later. */
void reader_add_foreign(struct reader *r, uint32_t detail);
/* A value of the wrong type or out of its set, just passed over from at:
 * "where: field must be MUST, got VALUE" (where may be NULL). */
bool reader_wrong_value(struct reader *r, struct jp *jp, const char *at, const char *where, const char *field,
                        const char *must);
bool reader_take_string(struct jp *jp, char *buf, size_t cap);
/* n bytes from 2n hex digits (either case); false if s is not exactly that. */
bool reader_hex_bytes(const char *s, uint8_t *out, size_t n);
/* Whether b[0..n) is all zero bytes (an id that names nothing). */
bool reader_all_zero(const uint8_t *b, size_t n);

/* otel_json_read.c: each reads one JSON value into r->out->otel (created
 * on first use by reader_otel), refusing in one line naming where. */
struct otel_set;
struct otel_attrs;
struct otel_str;
struct otel_set *reader_otel(struct reader *r);
bool otel_json_read_attrs(struct reader *r, struct jp *jp, struct otel_attrs *out, const char *where);
/* A Resource object into resources[index] (a native file's also has schemaUrl). */
bool otel_json_read_resource(struct reader *r, struct jp *jp, uint32_t index, const char *where);
/* An InstrumentationScope into scopes[index]; native: also "resource" and "schemaUrl". */
bool otel_json_read_scope(struct reader *r, struct jp *jp, uint32_t index, const char *where, bool native);
/* A Span object as a new otel_span of scope; its index in *index. */
bool otel_json_read_span(struct reader *r, struct jp *jp, uint32_t scope, const char *where, uint32_t *index);

/* otel_json_scalar.c: AnyValue's int64, double and bytes. */
bool otel_json_parse_i64(const char *s, size_t len, int64_t *out);
bool otel_json_take_i64(struct reader *r, struct jp *jp, int64_t *out, const char *where, const char *field);
bool otel_json_take_double(struct reader *r, struct jp *jp, double *out, const char *where, const char *field);
bool otel_json_take_bytes(struct reader *r, struct jp *jp, struct otel_str *out, const char *where, const char *field);

/* snapshot_http.c: a trace's "http" object into a new malloc'd *out
 * (which must be NULL: "http" twice is refused; set even when the object
 * is refused: the caller frees it). reader_served_root gives h (if any)
 * the trace's id, and makes the lab span of r->spans[first..] whose parent
 * is h's remote parent (when no span there has that id) the trace's root
 * again. reader_keep_http keeps h (if any) in r->out->http when ok, frees
 * it otherwise, and returns ok. */
struct http_info;
bool reader_native_http(struct reader *r, struct jp *jp, struct http_info **out, const char *where);
void reader_served_root(struct reader *r, size_t first, struct http_info *h, const uint8_t id[SPAN_TRACE_ID_LEN]);
bool reader_keep_http(struct reader *r, struct http_info *h, bool ok);

/* snapshot_database.c: a native file's settings.database into
 * meta->database (has_database set), and a database span's "system"
 * ("sqlite" or "postgresql") as enum span_db_system; anything else is
 * refused in one line. */
bool reader_native_database(struct reader *r, struct jp *jp, struct snapshot_meta *meta);
bool reader_span_db_system(struct reader *r, struct jp *jp, const char *where, uint8_t *out);

/* snapshot_assemble.c */
bool reader_assemble(struct reader *r);

#endif
