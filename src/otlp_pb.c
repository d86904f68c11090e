/*
 * otlp_pb — an OTLP/HTTP protobuf body (ExportTraceServiceRequest) into
 * the lossless span model (otel.h), with the C protoc-c generated from
 * proto/. Three steps:
 *  1. a pass over the wire format, guided by the generated descriptors,
 *     that only measures nesting: protobuf-c unpacks submessages by
 *     recursion without a limit, so a body nested past OTLP_MAX_DEPTH is
 *     refused before it is unpacked (no stack overflow on any body);
 *  2. protobuf-c's unpack, from a bounded arena (otlp.c): a body that
 *     would take more than OTLP_ARENA_FACTOR times its length is refused;
 *  3. a copy into the set, span by span, each span checked first (ids,
 *     enums, times, UTF-8) and refused alone if it cannot be kept.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "obslab/duration.h"
#include "obslab/otel.h"
#include "obslab/utf8.h"
#include "otlp_internal.h"

/* ---- 1. nesting ---------------------------------------------------------------------------- */

enum scan { SCAN_OK, SCAN_BAD, SCAN_DEEP };

static bool varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 64 && *p < end; shift += 7) {
		uint8_t c = *(*p)++;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*out = v;
			return true;
		}
	}
	return false;
}

/* The fields of one message of type d in p[0..len): its submessages
 * scanned in turn, depth levels below the request. Recursion is bounded
 * by OTLP_MAX_DEPTH; malformed wire data is left to protobuf-c to refuse
 * (SCAN_BAD only says the scan stopped there). */
static enum scan scan(const uint8_t *p, size_t len, const ProtobufCMessageDescriptor *d, unsigned depth)
{
	if (depth > OTLP_MAX_DEPTH)
		return SCAN_DEEP;
	const uint8_t *end = p + len;
	while (p < end) {
		uint64_t tag, n;
		if (!varint(&p, end, &tag))
			return SCAN_BAD;
		switch (tag & 7) {
		case 0:
			if (!varint(&p, end, &n))
				return SCAN_BAD;
			break;
		case 1:
			if (end - p < 8)
				return SCAN_BAD;
			p += 8;
			break;
		case 5:
			if (end - p < 4)
				return SCAN_BAD;
			p += 4;
			break;
		case 2: {
			if (!varint(&p, end, &n) || n > (uint64_t)(end - p))
				return SCAN_BAD;
			const ProtobufCFieldDescriptor *f =
			        tag >> 3 <= UINT32_MAX ? protobuf_c_message_descriptor_get_field(d, (unsigned)(tag >> 3)) : NULL;
			if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
				enum scan s = scan(p, (size_t)n, f->descriptor, depth + 1);
				if (s != SCAN_OK)
					return s;
			}
			p += n;
			break;
		}
		default: /* groups (3, 4) and 6, 7: not in OTLP */
			return SCAN_BAD;
		}
	}
	return SCAN_OK;
}

/* ---- 3. checks ------------------------------------------------------------------------------- */

/* UTF-8 as proto3 has it: U+0000 included (utf8.h's "valid" leaves it out). */
static bool text_ok(ProtobufCBinaryData b)
{
	const char *s = (const char *)b.data;
	size_t i = 0;
	while (i < b.len) {
		i += utf8_valid_len(s + i, b.len - i);
		if (i < b.len && s[i] != '\0')
			return false;
		if (i < b.len)
			i++;
	}
	return true;
}

static bool value_ok(const pb_any_value *v);

static bool attrs_ok(pb_kv *const *kvs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!text_ok(kvs[i]->key) || (kvs[i]->value && !value_ok(kvs[i]->value)))
			return false;
	return true;
}

/* Recursion: nesting was bounded before the unpack. */
static bool value_ok(const pb_any_value *v)
{
	switch ((int)v->value_case) { /* an int: protobuf-c adds a sizing enumerator */
	case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE:
		return text_ok(v->string_value);
	case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE:
		for (size_t i = 0; i < v->array_value->n_values; i++)
			if (!value_ok(v->array_value->values[i]))
				return false;
		return true;
	case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_KVLIST_VALUE:
		return attrs_ok(v->kvlist_value->values, v->kvlist_value->n_values);
	case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE__NOT_SET:
	case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE:
	case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE:
	case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE:
	case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BYTES_VALUE:
	default:
		return true;
	}
}

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* Why the span cannot be kept, in buf; false when it can. */
static bool span_refused(const pb_span *s, char *buf, size_t cap)
{
	if (s->trace_id.len != SPAN_TRACE_ID_LEN || all_zero(s->trace_id.data, SPAN_TRACE_ID_LEN))
		snprintf(buf, cap, "the trace id must be 16 bytes, not all zero (it is %zu bytes%s)", s->trace_id.len,
		         s->trace_id.len == SPAN_TRACE_ID_LEN ? ", all zero" : "");
	else if (s->span_id.len != 8 || all_zero(s->span_id.data, 8))
		snprintf(buf, cap, "the span id must be 8 bytes, not all zero (it is %zu bytes%s)", s->span_id.len,
		         s->span_id.len == 8 ? ", all zero" : "");
	else if (s->parent_span_id.len != 0 && s->parent_span_id.len != 8)
		snprintf(buf, cap, "the parent span id must be empty or 8 bytes (it is %zu bytes)", s->parent_span_id.len);
	else if ((unsigned)s->kind > 5)
		snprintf(buf, cap, "kind %d is not an OTLP SpanKind (0 to 5)", (int)s->kind);
	else if (s->status && (unsigned)s->status->code > 2)
		snprintf(buf, cap, "status code %d is not an OTLP StatusCode (0 to 2)", (int)s->status->code);
	else if (s->start_time_unix_nano > (uint64_t)DURATION_MAX_TIME_NS ||
	         s->end_time_unix_nano > (uint64_t)DURATION_MAX_TIME_NS)
		snprintf(buf, cap, "a time past 2^62 ns (the year 2116)");
	else if (!text_ok(s->name) || !text_ok(s->trace_state) || (s->status && !text_ok(s->status->message)) ||
	         !attrs_ok(s->attributes, s->n_attributes))
		snprintf(buf, cap, "text that is not UTF-8 (its name, trace state, status or an attribute)");
	else {
		for (size_t i = 0; i < s->n_events; i++) {
			if (s->events[i]->time_unix_nano > (uint64_t)DURATION_MAX_TIME_NS) {
				snprintf(buf, cap, "event %zu: a time past 2^62 ns (the year 2116)", i);
				return true;
			}
			if (!text_ok(s->events[i]->name) || !attrs_ok(s->events[i]->attributes, s->events[i]->n_attributes)) {
				snprintf(buf, cap, "event %zu: text that is not UTF-8", i);
				return true;
			}
		}
		for (size_t i = 0; i < s->n_links; i++) {
			const pb_link *l = s->links[i];
			if ((l->trace_id.len != 0 && l->trace_id.len != SPAN_TRACE_ID_LEN) ||
			    (l->span_id.len != 0 && l->span_id.len != 8)) {
				snprintf(buf, cap, "link %zu: ids of %zu and %zu bytes (16 and 8, or none)", i, l->trace_id.len,
				         l->span_id.len);
				return true;
			}
			if (!text_ok(l->trace_state) || !attrs_ok(l->attributes, l->n_attributes)) {
				snprintf(buf, cap, "link %zu: text that is not UTF-8", i);
				return true;
			}
		}
		return false;
	}
	return true;
}

/* ---- 3. the copy ----------------------------------------------------------------------------- */

static struct otel_str text(struct otel_set *set, ProtobufCBinaryData b)
{
	return otel_text(set, (const char *)b.data, b.len);
}

static uint64_t u64_of(const uint8_t *b, size_t len)
{
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++)
		v = v << 8 | b[i];
	return v;
}

static struct otel_attrs copy_attrs(struct otel_set *set, pb_kv *const *kvs, size_t n, uint32_t dropped);

static struct otel_value copy_value(struct otel_set *set, const pb_any_value *v)
{
	struct otel_value out = { .type = OTEL_VALUE_EMPTY };
	switch ((int)v->value_case) { /* an int: protobuf-c adds a sizing enumerator */
	case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE:
		out.type = OTEL_VALUE_STRING;
		out.u.s = text(set, v->string_value);
		break;
	case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE:
		out.type = OTEL_VALUE_BOOL;
		out.u.b = v->bool_value != 0;
		break;
	case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE:
		out.type = OTEL_VALUE_INT;
		out.u.i = v->int_value;
		break;
	case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE:
		out.type = OTEL_VALUE_DOUBLE;
		out.u.d = v->double_value;
		break;
	case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BYTES_VALUE:
		out.type = OTEL_VALUE_BYTES;
		out.u.s = text(set, v->bytes_value);
		break;
	case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE: {
		size_t mark = otel_value_mark(set);
		for (size_t i = 0; i < v->array_value->n_values; i++)
			otel_value_push(set, copy_value(set, v->array_value->values[i]));
		out.type = OTEL_VALUE_ARRAY;
		out.u.first = otel_value_commit(set, mark, &out.count);
		break;
	}
	case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_KVLIST_VALUE: {
		struct otel_attrs a = copy_attrs(set, v->kvlist_value->values, v->kvlist_value->n_values, 0);
		out.type = OTEL_VALUE_KVLIST;
		out.u.first = a.first;
		out.count = a.count;
		break;
	}
	case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE__NOT_SET:
	default:
		break;
	}
	return out;
}

static struct otel_attrs copy_attrs(struct otel_set *set, pb_kv *const *kvs, size_t n, uint32_t dropped)
{
	size_t mark = otel_kv_mark(set);
	for (size_t i = 0; i < n; i++) {
		struct otel_value v = { .type = OTEL_VALUE_EMPTY, .count = OTEL_VALUE_ABSENT }; /* no value field */
		if (kvs[i]->value)
			v = copy_value(set, kvs[i]->value);
		otel_kv_push(set, text(set, kvs[i]->key), v);
	}
	struct otel_attrs a = { .dropped = dropped };
	a.first = otel_kv_commit(set, mark, &a.count);
	return a;
}

static void copy_span(struct otel_set *set, const pb_span *s, uint32_t scope)
{
	struct otel_span sp = { .scope = scope };
	memcpy(sp.trace_id, s->trace_id.data, SPAN_TRACE_ID_LEN);
	sp.span_id = u64_of(s->span_id.data, 8);
	if (s->parent_span_id.len == 8) {
		sp.parent_span_id = u64_of(s->parent_span_id.data, 8);
		if (!sp.parent_span_id) /* eight zero bytes, kept apart from none */
			sp.marks |= OTEL_MARK_ZERO_PARENT;
	}
	sp.kind = (uint8_t)s->kind;
	sp.has_flags = s->has_flags_case == OPENTELEMETRY__PROTO__TRACE__V1__SPAN__HAS_FLAGS_FLAGS;
	sp.flags = sp.has_flags ? s->flags : 0;
	sp.name = text(set, s->name);
	sp.trace_state = text(set, s->trace_state);
	if (s->status) {
		sp.status_code = (uint8_t)s->status->code;
		sp.status_message = text(set, s->status->message);
	}
	sp.start_unix_ns = s->start_time_unix_nano;
	sp.end_unix_ns = s->end_time_unix_nano;
	if (sp.end_unix_ns < sp.start_unix_ns) /* kept as sent, and marked (as the file reader does) */
		sp.marks |= OTEL_MARK_NEGATIVE;
	sp.attrs = copy_attrs(set, s->attributes, s->n_attributes, s->dropped_attributes_count);
	sp.events_first = (uint32_t)set->nevents;
	for (size_t i = 0; i < s->n_events; i++) {
		const pb_event *e = s->events[i];
		struct otel_event ev = { .time_unix_ns = e->time_unix_nano, .name = text(set, e->name) };
		ev.attrs = copy_attrs(set, e->attributes, e->n_attributes, e->dropped_attributes_count);
		otel_add_event(set, &ev);
	}
	sp.nevents = (uint32_t)s->n_events;
	sp.dropped_events = s->dropped_events_count;
	sp.links_first = (uint32_t)set->nlinks;
	for (size_t i = 0; i < s->n_links; i++) {
		const pb_link *l = s->links[i];
		struct otel_link ln = { .flags = l->flags, .trace_state = text(set, l->trace_state) };
		if (l->trace_id.len == SPAN_TRACE_ID_LEN)
			memcpy(ln.trace_id, l->trace_id.data, SPAN_TRACE_ID_LEN);
		ln.span_id = u64_of(l->span_id.data, l->span_id.len);
		ln.attrs = copy_attrs(set, l->attributes, l->n_attributes, l->dropped_attributes_count);
		otel_add_link(set, &ln);
	}
	sp.nlinks = (uint32_t)s->n_links;
	sp.dropped_links = s->dropped_links_count;
	otel_add_span(set, &sp);
}

/* Whether a resource's or scope's text is UTF-8. */
static bool resource_ok(const pb_resource_spans *rs)
{
	return text_ok(rs->schema_url) &&
	       (!rs->resource || attrs_ok(rs->resource->attributes, rs->resource->n_attributes));
}

static bool scope_ok(const pb_scope_spans *ss)
{
	const pb_scope *sc = ss->scope;
	return text_ok(ss->schema_url) &&
	       (!sc || (text_ok(sc->name) && text_ok(sc->version) && attrs_ok(sc->attributes, sc->n_attributes)));
}

static void copy_request(struct otel_set *set, const pb_request *req, struct otlp_decode_result *res)
{
	for (size_t r = 0; r < req->n_resource_spans; r++) {
		const pb_resource_spans *rs = req->resource_spans[r];
		bool rok = resource_ok(rs);
		uint32_t resource = 0;
		if (rok) {
			struct otel_resource or = { .schema_url = text(set, rs->schema_url) };
			if (rs->resource)
				or.attrs = copy_attrs(set, rs->resource->attributes, rs->resource->n_attributes,
				                      rs->resource->dropped_attributes_count);
			resource = otel_add_resource(set, &or);
		}
		for (size_t s = 0; s < rs->n_scope_spans; s++) {
			const pb_scope_spans *ss = rs->scope_spans[s];
			bool sok = rok && scope_ok(ss);
			uint32_t scope = 0;
			if (sok) {
				struct otel_scope os = { .resource = resource, .schema_url = text(set, ss->schema_url) };
				if (ss->scope) {
					os.name = text(set, ss->scope->name);
					os.version = text(set, ss->scope->version);
					os.attrs = copy_attrs(set, ss->scope->attributes, ss->scope->n_attributes,
					                      ss->scope->dropped_attributes_count);
				}
				scope = otel_add_scope(set, &os);
			}
			for (size_t k = 0; k < ss->n_spans; k++) {
				char why[120];
				if (!rok)
					otlp_reject(res, "resourceSpans[%zu]: resource text that is not UTF-8", r);
				else if (!sok)
					otlp_reject(res, "resourceSpans[%zu].scopeSpans[%zu]: scope text that is not UTF-8", r, s);
				else if (span_refused(ss->spans[k], why, sizeof why))
					otlp_reject(res, "resourceSpans[%zu].scopeSpans[%zu].spans[%zu]: %s", r, s, k, why);
				else {
					copy_span(set, ss->spans[k], scope);
					res->spans++;
				}
			}
		}
	}
}

bool otlp_pb_decode(const void *body, size_t len, struct otel_set *out, struct otlp_decode_result *res,
                    struct obslab_error *err)
{
	if (len == 0)
		return true; /* every field at its default: a request of no spans */
	enum scan s = scan(body, len, &opentelemetry__proto__collector__trace__v1__export_trace_service_request__descriptor, 1);
	if (s == SCAN_DEEP)
		return obslab_error_set(err, "not an OTLP request obslab reads: messages nested more than %d deep",
		                        OTLP_MAX_DEPTH);
	if (s == SCAN_BAD)
		return obslab_error_set(err, "not a protobuf ExportTraceServiceRequest: the message is cut short or "
		                             "malformed (%zu bytes)", len);
	struct otlp_arena arena;
	size_t limit = len > (SIZE_MAX - 65536) / OTLP_ARENA_FACTOR ? SIZE_MAX : len * OTLP_ARENA_FACTOR + 65536;
	otlp_arena_init(&arena, limit);
	pb_request *req = opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(
	        &arena.allocator, len, body);
	bool ok = req != NULL;
	if (!ok && arena.over)
		obslab_error_set(err, "a protobuf request that takes more than %d times its %zu bytes to unpack: refused",
		                 OTLP_ARENA_FACTOR, len);
	else if (!ok)
		obslab_error_set(err, "not a protobuf ExportTraceServiceRequest (%zu bytes): a field of the wrong type "
		                      "or cut short", len);
	else
		copy_request(out, req, res);
	otlp_arena_free_all(&arena);
	if (ok && otel_full(out))
		return obslab_error_set(err, "more than %" PRIu32 " spans, attributes, events or links in one request",
		                        (uint32_t)OTEL_MAX_ITEMS);
	return ok;
}
