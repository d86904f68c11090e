/* OTLP/JSON read into the lossless model (otel.h), field by field with the
 * pull parser: AnyValue of every kind, KeyValue lists, resources, scopes,
 * spans with their events, links and status. Nothing is added and nothing
 * read is dropped; a value of the wrong type or out of its range is refused
 * in one line naming where it is. Nesting is bounded by the parser's depth
 * (JP_MAX_DEPTH), so the recursion through arrays and key-value lists is
 * too. Used for OTLP files and for the "otlp" object of a native file's
 * foreign span alike. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/duration.h"
#include "obslab/otel.h"
#include "obslab/xalloc.h"
#include "snapshot_reader.h"

struct otel_set *reader_otel(struct reader *r)
{
	if (!r->out->otel)
		r->out->otel = otel_set_create();
	return r->out->otel;
}

/* "where.field" into buf, for the messages of a nested value. */
static const char *sub(char *buf, size_t cap, const char *where, const char *field)
{
	return reader_path(buf, cap, where, field, -1); /* cut: the message still names the start */
}

static const char *item(char *buf, size_t cap, const char *where, const char *field, int i)
{
	return reader_path(buf, cap, where, field, i);
}

/* A string value into the arena; refused if it is not a string. */
static bool take_str(struct reader *r, struct jp *jp, struct otel_str *out, const char *where, const char *field)
{
	jp_peek(jp);
	const char *at = jp->p;
	const char *s;
	size_t len;
	if (jp_peek(jp) != JP_STRING) {
		jp_skip(jp);
		return reader_wrong_value(r, jp, at, where, field, "a string");
	}
	if (!jp_string(jp, &s, &len))
		return false;
	*out = otel_text(reader_otel(r), s, len);
	return true;
}

static bool take_u32(struct reader *r, struct jp *jp, uint32_t *out, const char *where, const char *field,
                     const char *rule)
{
	int64_t v;
	if (!reader_whole(r, jp, UINT32_MAX, &v, where, field, rule))
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool read_kvlist(struct reader *r, struct jp *jp, struct otel_attrs *out, const char *where);

/* An AnyValue object: at most one of its fields set ({} is the empty value). */
static bool read_value(struct reader *r, struct jp *jp, struct otel_value *v, const char *where)
{
	jp_peek(jp);
	const char *at = jp->p;
	*v = (struct otel_value){ .type = OTEL_VALUE_EMPTY };
	if (jp_peek(jp) != JP_OBJECT) {
		jp_skip(jp);
		return reader_wrong_value(r, jp, at, NULL, where, "an AnyValue object");
	}
	char w[200];
	const char *key;
	size_t len;
	jp_object(jp);
	while (jp_key(jp, &key, &len)) {
		char ck[64]; /* snake_case names too (protobuf's JSON mapping) */
		reader_camel(&key, &len, ck, sizeof ck);
		bool ok = true;
		if (v->type != OTEL_VALUE_EMPTY && len > 5 && memcmp(key + len - 5, "Value", 5) == 0) {
			jp_skip(jp); /* a oneof: one value, one type */
			return reader_fail(r, "%s: an AnyValue with two values set (the second is \"%.*s\"); it holds one", where,
			                   (int)(len > 40 ? 40 : len), key);
		}
		if (jp_key_is(key, len, "stringValue")) {
			v->type = OTEL_VALUE_STRING;
			ok = take_str(r, jp, &v->u.s, where, "stringValue");
		} else if (jp_key_is(key, len, "boolValue")) {
			v->type = OTEL_VALUE_BOOL;
			jp_peek(jp);
			const char *b = jp->p;
			ok = jp_bool(jp, &v->u.b) || reader_wrong_value(r, jp, b, where, "boolValue", "true or false");
		} else if (jp_key_is(key, len, "intValue")) {
			v->type = OTEL_VALUE_INT;
			ok = otel_json_take_i64(r, jp, &v->u.i, where, "intValue");
		} else if (jp_key_is(key, len, "doubleValue")) {
			v->type = OTEL_VALUE_DOUBLE;
			ok = otel_json_take_double(r, jp, &v->u.d, where, "doubleValue");
		} else if (jp_key_is(key, len, "bytesValue")) {
			v->type = OTEL_VALUE_BYTES;
			ok = otel_json_take_bytes(r, jp, &v->u.s, where, "bytesValue");
		} else if (jp_key_is(key, len, "arrayValue") || jp_key_is(key, len, "kvlistValue")) {
			bool array = key[0] == 'a';
			sub(w, sizeof w, where, array ? "arrayValue" : "kvlistValue");
			if (jp_peek(jp) != JP_OBJECT) {
				const char *b = jp->p;
				jp_skip(jp);
				return reader_wrong_value(r, jp, b, NULL, w, "an object");
			}
			struct otel_set *set = reader_otel(r);
			size_t mark = array ? otel_value_mark(set) : 0;
			struct otel_attrs list = { 0 };
			uint32_t count = 0, first = array ? (uint32_t)set->nvalues : (uint32_t)set->nkvs;
			const char *k2;
			size_t len2;
			jp_object(jp);
			while (ok && jp_key(jp, &k2, &len2)) {
				char ck2[64]; /* snake_case names too (protobuf's JSON mapping) */
				reader_camel(&k2, &len2, ck2, sizeof ck2);
				if (!jp_key_is(k2, len2, "values")) {
					jp_skip(jp);
				} else if (!array) {
					ok = read_kvlist(r, jp, &list, w);
					first = list.first;
					count = list.count;
				} else if (jp_peek(jp) != JP_ARRAY) {
					const char *b = jp->p;
					jp_skip(jp);
					ok = reader_wrong_value(r, jp, b, w, "values", "an array");
				} else {
					jp_array(jp);
					char wi[200];
					for (int i = 0; ok && jp_item(jp); i++) {
						struct otel_value iv;
						ok = read_value(r, jp, &iv, item(wi, sizeof wi, w, "values", i));
						if (ok)
							otel_value_push(set, iv);
					}
					if (ok)
						first = otel_value_commit(set, mark, &count);
				}
			}
			if (!ok || jp->failed)
				return false;
			v->type = array ? OTEL_VALUE_ARRAY : OTEL_VALUE_KVLIST;
			v->count = count;
			v->u.first = first;
		} else {
			jp_skip(jp);
		}
		if (!ok)
			return false;
	}
	return !jp->failed;
}

/* A KeyValue array: [{"key": ..., "value": AnyValue}, ...]. */
static bool read_kvlist(struct reader *r, struct jp *jp, struct otel_attrs *out, const char *where)
{
	struct otel_set *set = reader_otel(r);
	jp_peek(jp);
	const char *at = jp->p;
	if (jp_peek(jp) != JP_ARRAY) {
		jp_skip(jp);
		return reader_wrong_value(r, jp, at, NULL, where, "an array of {\"key\", \"value\"}");
	}
	size_t mark = otel_kv_mark(set);
	char w[200];
	jp_array(jp);
	for (int i = 0; jp_item(jp); i++) {
		reader_path(w, sizeof w, where, NULL, i);
		jp_peek(jp);
		const char *b = jp->p;
		if (jp_peek(jp) != JP_OBJECT) {
			jp_skip(jp);
			set->kv_top = mark;
			return reader_wrong_value(r, jp, b, NULL, w, "an object {\"key\", \"value\"}");
		}
		struct otel_str key = { 0, 0 };
		struct otel_value value = { .type = OTEL_VALUE_EMPTY };
		bool has_key = false, has_value = false, ok = true;
		const char *k;
		size_t len;
		jp_object(jp);
		while (ok && jp_key(jp, &k, &len)) {
			char ck[64]; /* snake_case names too (protobuf's JSON mapping) */
			reader_camel(&k, &len, ck, sizeof ck);
			if (jp_key_is(k, len, "key")) {
				ok = take_str(r, jp, &key, w, "key");
				has_key = true;
			} else if (jp_key_is(k, len, "value")) {
				char wv[220];
				ok = read_value(r, jp, &value, sub(wv, sizeof wv, w, "value"));
				has_value = true;
			} else {
				jp_skip(jp);
			}
		}
		if (!ok || jp->failed) {
			set->kv_top = mark;
			return false;
		}
		if (!has_key) {
			set->kv_top = mark;
			return reader_fail(r, "%s: a KeyValue needs a key (string)", w);
		}
		if (!has_value) /* written back without "value" (otel.h) */
			value.count = OTEL_VALUE_ABSENT;
		otel_kv_push(set, key, value);
	}
	if (jp->failed) {
		set->kv_top = mark;
		return false;
	}
	out->first = otel_kv_commit(set, mark, &out->count);
	return true;
}

bool otel_json_read_attrs(struct reader *r, struct jp *jp, struct otel_attrs *out, const char *where)
{
	return read_kvlist(r, jp, out, where);
}

bool otel_json_read_resource(struct reader *r, struct jp *jp, uint32_t index, const char *where)
{
	struct otel_set *set = reader_otel(r);
	jp_peek(jp);
	const char *at = jp->p;
	if (jp_peek(jp) != JP_OBJECT) {
		jp_skip(jp);
		return reader_wrong_value(r, jp, at, NULL, where, "an object");
	}
	char w[200];
	const char *key;
	size_t len;
	jp_object(jp);
	while (jp_key(jp, &key, &len)) {
		char ck[64]; /* snake_case names too (protobuf's JSON mapping) */
		reader_camel(&key, &len, ck, sizeof ck);
		struct otel_resource *res = &set->resources[index];
		bool ok = true;
		if (jp_key_is(key, len, "attributes")) {
			struct otel_attrs a = { 0 };
			ok = read_kvlist(r, jp, &a, sub(w, sizeof w, where, "attributes"));
			a.dropped = set->resources[index].attrs.dropped;
			set->resources[index].attrs = a;
		} else if (jp_key_is(key, len, "droppedAttributesCount")) {
			ok = take_u32(r, jp, &res->attrs.dropped, where, "droppedAttributesCount", "a count");
		} else if (jp_key_is(key, len, "schemaUrl")) { /* native files keep it here */
			ok = take_str(r, jp, &res->schema_url, where, "schemaUrl");
		} else {
			jp_skip(jp);
		}
		if (!ok)
			return false;
	}
	return !jp->failed;
}

bool otel_json_read_scope(struct reader *r, struct jp *jp, uint32_t index, const char *where, bool native)
{
	struct otel_set *set = reader_otel(r);
	jp_peek(jp);
	const char *at = jp->p;
	if (jp_peek(jp) != JP_OBJECT) {
		jp_skip(jp);
		return reader_wrong_value(r, jp, at, NULL, where, "an object");
	}
	char w[200];
	const char *key;
	size_t len;
	jp_object(jp);
	while (jp_key(jp, &key, &len)) {
		char ck[64]; /* snake_case names too (protobuf's JSON mapping) */
		reader_camel(&key, &len, ck, sizeof ck);
		struct otel_scope *sc = &set->scopes[index];
		bool ok = true;
		if (jp_key_is(key, len, "name"))
			ok = take_str(r, jp, &sc->name, where, "name");
		else if (jp_key_is(key, len, "version"))
			ok = take_str(r, jp, &sc->version, where, "version");
		else if (jp_key_is(key, len, "attributes")) {
			struct otel_attrs a = { 0 };
			ok = read_kvlist(r, jp, &a, sub(w, sizeof w, where, "attributes"));
			a.dropped = set->scopes[index].attrs.dropped;
			set->scopes[index].attrs = a;
		} else if (jp_key_is(key, len, "droppedAttributesCount"))
			ok = take_u32(r, jp, &sc->attrs.dropped, where, "droppedAttributesCount", "a count");
		else if (native && jp_key_is(key, len, "schemaUrl"))
			ok = take_str(r, jp, &sc->schema_url, where, "schemaUrl");
		else if (native && jp_key_is(key, len, "resource")) {
			uint32_t res = 0;
			ok = take_u32(r, jp, &res, where, "resource", "an index into \"resources\"");
			if (ok && res >= set->nresources)
				return reader_fail(r, "%s: resource %" PRIu32 " is not in \"resources\" (%zu)", where, res,
				                   set->nresources);
			set->scopes[index].resource = res;
		} else
			jp_skip(jp);
		if (!ok)
			return false;
	}
	return !jp->failed;
}

/* An id of n bytes in hex; "" (or absent) is all zero. */
static bool take_id(struct reader *r, struct jp *jp, uint8_t *out, size_t n, const char *where, const char *field)
{
	jp_peek(jp);
	const char *at = jp->p, *s;
	size_t len;
	char buf[40];
	if (jp_peek(jp) == JP_STRING) {
		if (!jp_string(jp, &s, &len))
			return false;
		if (len == 0) {
			memset(out, 0, n);
			return true;
		}
		if (len == 2 * n) {
			memcpy(buf, s, len);
			buf[len] = '\0';
			if (reader_hex_bytes(buf, out, n))
				return true;
		}
	} else {
		jp_skip(jp);
	}
	char must[48];
	snprintf(must, sizeof must, "%zu hex digits", 2 * n);
	return reader_wrong_value(r, jp, at, where, field, must);
}

static uint64_t u64_of(const uint8_t b[8])
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* An enum as its number or its protobuf name ("SPAN_KIND_SERVER"). */
static bool take_enum(struct reader *r, struct jp *jp, const char *const *names, int64_t max, uint8_t *out,
                      const char *where, const char *field, const char *must)
{
	jp_peek(jp);
	const char *at = jp->p;
	if (jp_peek(jp) == JP_STRING) {
		const char *s;
		size_t len;
		if (!jp_string(jp, &s, &len))
			return false;
		for (int64_t i = 0; i <= max; i++)
			if (jp_key_is(s, len, names[i])) {
				*out = (uint8_t)i;
				return true;
			}
		int64_t v;
		/* a number in a string */
		if (otel_json_parse_i64(s, len, &v) && v >= 0 && v <= max) {
			*out = (uint8_t)v;
			return true;
		}
		return reader_wrong_value(r, jp, at, where, field, must);
	}
	int64_t v;
	if (jp_whole(jp, max, &v)) { /* anything else is skipped by jp_whole */
		*out = (uint8_t)v;
		return true;
	}
	return reader_wrong_value(r, jp, at, where, field, must);
}

static const char *const kind_names[] = { "SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER",
	                                  "SPAN_KIND_CLIENT",      "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER" };
static const char *const status_names[] = { "STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR" };

static bool read_status(struct reader *r, struct jp *jp, struct otel_span *sp, const char *where)
{
	jp_peek(jp);
	const char *at = jp->p;
	if (jp_peek(jp) != JP_OBJECT) {
		jp_skip(jp);
		return reader_wrong_value(r, jp, at, where, "status", "an object");
	}
	const char *key;
	size_t len;
	jp_object(jp);
	while (jp_key(jp, &key, &len)) {
		char ck[64]; /* snake_case names too (protobuf's JSON mapping) */
		reader_camel(&key, &len, ck, sizeof ck);
		bool ok = true;
		if (jp_key_is(key, len, "code"))
			ok = take_enum(r, jp, status_names, 2, &sp->status_code, where, "status.code",
			               "a status (0 unset, 1 ok, 2 error), a whole number from 0 to 2");
		else if (jp_key_is(key, len, "message"))
			ok = take_str(r, jp, &sp->status_message, where, "status.message");
		else
			jp_skip(jp);
		if (!ok)
			return false;
	}
	return !jp->failed;
}

static bool read_event(struct reader *r, struct jp *jp, const char *where)
{
	struct otel_event ev = { 0 };
	char w[200];
	const char *key;
	size_t len;
	jp_peek(jp);
	const char *at = jp->p;
	if (jp_peek(jp) != JP_OBJECT) {
		jp_skip(jp);
		return reader_wrong_value(r, jp, at, NULL, where, "an object");
	}
	jp_object(jp);
	while (jp_key(jp, &key, &len)) {
		char ck[64]; /* snake_case names too (protobuf's JSON mapping) */
		reader_camel(&key, &len, ck, sizeof ck);
		bool ok = true;
		int64_t t;
		if (jp_key_is(key, len, "timeUnixNano")) {
			ok = reader_whole(r, jp, DURATION_MAX_TIME_NS, &t, where, "timeUnixNano", "nanoseconds since 1970");
			ev.time_unix_ns = (uint64_t)t;
		} else if (jp_key_is(key, len, "name"))
			ok = take_str(r, jp, &ev.name, where, "name");
		else if (jp_key_is(key, len, "attributes")) {
			uint32_t dropped = ev.attrs.dropped;
			ok = read_kvlist(r, jp, &ev.attrs, sub(w, sizeof w, where, "attributes"));
			ev.attrs.dropped = dropped;
		} else if (jp_key_is(key, len, "droppedAttributesCount"))
			ok = take_u32(r, jp, &ev.attrs.dropped, where, "droppedAttributesCount", "a count");
		else
			jp_skip(jp);
		if (!ok)
			return false;
	}
	if (jp->failed)
		return false;
	otel_add_event(reader_otel(r), &ev);
	return true;
}

static bool read_link(struct reader *r, struct jp *jp, const char *where)
{
	struct otel_link l = { 0 };
	uint8_t id[8] = { 0 };
	char w[200];
	const char *key;
	size_t len;
	jp_peek(jp);
	const char *at = jp->p;
	if (jp_peek(jp) != JP_OBJECT) {
		jp_skip(jp);
		return reader_wrong_value(r, jp, at, NULL, where, "an object");
	}
	jp_object(jp);
	while (jp_key(jp, &key, &len)) {
		char ck[64]; /* snake_case names too (protobuf's JSON mapping) */
		reader_camel(&key, &len, ck, sizeof ck);
		bool ok = true;
		if (jp_key_is(key, len, "traceId"))
			ok = take_id(r, jp, l.trace_id, SPAN_TRACE_ID_LEN, where, "traceId");
		else if (jp_key_is(key, len, "spanId")) {
			ok = take_id(r, jp, id, 8, where, "spanId");
			l.span_id = u64_of(id);
		} else if (jp_key_is(key, len, "traceState"))
			ok = take_str(r, jp, &l.trace_state, where, "traceState");
		else if (jp_key_is(key, len, "flags"))
			ok = take_u32(r, jp, &l.flags, where, "flags", "trace flags");
		else if (jp_key_is(key, len, "attributes")) {
			uint32_t dropped = l.attrs.dropped;
			ok = read_kvlist(r, jp, &l.attrs, sub(w, sizeof w, where, "attributes"));
			l.attrs.dropped = dropped;
		} else if (jp_key_is(key, len, "droppedAttributesCount"))
			ok = take_u32(r, jp, &l.attrs.dropped, where, "droppedAttributesCount", "a count");
		else
			jp_skip(jp);
		if (!ok)
			return false;
	}
	if (jp->failed)
		return false;
	otel_add_link(reader_otel(r), &l);
	return true;
}

/* events or links: an array of objects, each added in order (a span's are
 * contiguous: spans are read one at a time). */
static bool read_list(struct reader *r, struct jp *jp, const char *where, const char *field,
                      bool (*one)(struct reader *, struct jp *, const char *))
{
	jp_peek(jp);
	const char *at = jp->p;
	if (jp_peek(jp) != JP_ARRAY) {
		jp_skip(jp);
		return reader_wrong_value(r, jp, at, where, field, "an array");
	}
	char w[200];
	jp_array(jp);
	for (int i = 0; jp_item(jp); i++)
		if (!one(r, jp, item(w, sizeof w, where, field, i)))
			return false;
	return !jp->failed;
}

bool otel_json_read_span(struct reader *r, struct jp *jp, uint32_t scope, const char *where, uint32_t *index)
{
	struct otel_set *set = reader_otel(r);
	struct otel_span sp = { .scope = scope };
	sp.events_first = (uint32_t)set->nevents;
	sp.links_first = (uint32_t)set->nlinks;
	bool has_trace = false, has_span = false, has_start = false, has_end = false;
	jp_peek(jp);
	const char *at = jp->p;
	if (jp_peek(jp) != JP_OBJECT) {
		jp_skip(jp);
		return reader_wrong_value(r, jp, at, NULL, where, "a span object");
	}
	char w[200];
	uint8_t id[8];
	const char *key;
	size_t len;
	jp_object(jp);
	while (jp_key(jp, &key, &len)) {
		char ck[64]; /* snake_case names too (protobuf's JSON mapping) */
		reader_camel(&key, &len, ck, sizeof ck);
		bool ok = true;
		int64_t t;
		if (jp_key_is(key, len, "traceId")) {
			ok = take_id(r, jp, sp.trace_id, SPAN_TRACE_ID_LEN, where, "traceId");
			has_trace = true;
		} else if (jp_key_is(key, len, "spanId")) {
			ok = take_id(r, jp, id, 8, where, "spanId");
			sp.span_id = u64_of(id);
			has_span = true;
		} else if (jp_key_is(key, len, "parentSpanId")) {
			if (jp_peek(jp) == JP_NULL) {
				jp_skip(jp);
			} else {
				jp_peek(jp);
				const char *quote = jp->p; /* "" or 16 zeros */
				ok = take_id(r, jp, id, 8, where, "parentSpanId");
				sp.parent_span_id = u64_of(id);
				if (ok && !sp.parent_span_id && quote[0] == '"' && quote[1] != '"')
					sp.marks |= OTEL_MARK_ZERO_PARENT;
			}
		} else if (jp_key_is(key, len, "traceState")) {
			ok = take_str(r, jp, &sp.trace_state, where, "traceState");
		} else if (jp_key_is(key, len, "flags")) {
			ok = take_u32(r, jp, &sp.flags, where, "flags", "trace flags");
			sp.has_flags = true;
		} else if (jp_key_is(key, len, "name")) {
			ok = take_str(r, jp, &sp.name, where, "name");
		} else if (jp_key_is(key, len, "kind")) {
			ok = take_enum(r, jp, kind_names, 5, &sp.kind, where, "kind", "a number from 0 to 5");
		} else if (jp_key_is(key, len, "startTimeUnixNano") || jp_key_is(key, len, "endTimeUnixNano")) {
			bool start = key[0] == 's';
			ok = reader_whole(r, jp, DURATION_MAX_TIME_NS, &t, where, start ? "startTimeUnixNano" : "endTimeUnixNano",
			                  "nanoseconds since 1970");
			*(start ? &sp.start_unix_ns : &sp.end_unix_ns) = (uint64_t)t;
			*(start ? &has_start : &has_end) = true;
		} else if (jp_key_is(key, len, "attributes")) {
			uint32_t dropped = sp.attrs.dropped;
			ok = read_kvlist(r, jp, &sp.attrs, sub(w, sizeof w, where, "attributes"));
			sp.attrs.dropped = dropped;
		} else if (jp_key_is(key, len, "droppedAttributesCount")) {
			ok = take_u32(r, jp, &sp.attrs.dropped, where, "droppedAttributesCount", "a count");
		} else if (jp_key_is(key, len, "events")) {
			if (set->nevents != sp.events_first + sp.nevents)
				return reader_fail(r, "%s: \"events\" given twice", where);
			ok = read_list(r, jp, where, "events", read_event);
			sp.nevents = (uint32_t)set->nevents - sp.events_first;
		} else if (jp_key_is(key, len, "droppedEventsCount")) {
			ok = take_u32(r, jp, &sp.dropped_events, where, "droppedEventsCount", "a count");
		} else if (jp_key_is(key, len, "links")) {
			if (set->nlinks != sp.links_first + sp.nlinks)
				return reader_fail(r, "%s: \"links\" given twice", where);
			ok = read_list(r, jp, where, "links", read_link);
			sp.nlinks = (uint32_t)set->nlinks - sp.links_first;
		} else if (jp_key_is(key, len, "droppedLinksCount")) {
			ok = take_u32(r, jp, &sp.dropped_links, where, "droppedLinksCount", "a count");
		} else if (jp_key_is(key, len, "status")) {
			ok = read_status(r, jp, &sp, where);
		} else {
			jp_skip(jp);
		}
		if (!ok)
			return false;
	}
	if (jp->failed)
		return false;
	if (!has_trace || reader_all_zero(sp.trace_id, SPAN_TRACE_ID_LEN))
		return reader_fail(r, "%s: the trace id must be 32 hex digits, not all zero", where);
	if (!has_span || sp.span_id == 0)
		return reader_fail(r, "%s: the span id must be 16 hex digits, not all zero", where);
	if (!has_start || !has_end)
		return reader_fail(r, "%s: a span needs its start and end times (nanoseconds since 1970)", where);
	/* A span that ends before it starts (a clock step) is kept as the file
	 * says, and marked; its record ends where it starts (reader_spans). */
	if (sp.end_unix_ns < sp.start_unix_ns)
		sp.marks |= OTEL_MARK_NEGATIVE;
	*index = otel_add_span(set, &sp);
	if (otel_full(set))
		return reader_fail(r, "%s: more than %" PRIu32 " spans, attributes, events or links, or 2^63 bytes of text",
		                   where, (uint32_t)OTEL_MAX_ITEMS);
	return true;
}
