/*
 * otel_json_write — the span model's pieces as OTLP/JSON (otel_json.h):
 * typed AnyValues (arrays and key-value lists nested as the file had
 * them; the reader's JSON depth limit bounds the recursion), KeyValue
 * lists, resources, scopes and whole spans with their events, links and
 * status. Also the plain JSON form of a value, for Chrome's args.
 */
#include "obslab/otel_json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static void put(const struct otel_json_out *o, const char *s)
{
	o->write(o->ctx, s, strlen(s));
}

static void putn(const struct otel_json_out *o, const char *s, size_t n)
{
	o->write(o->ctx, s, n);
}

void otel_json_string(const struct otel_json_out *o, const char *s, size_t len)
{
	put(o, "\"");
	size_t run = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		putn(o, s + run, i - run);
		char esc[8];
		if (c == '"' || c == '\\')
			snprintf(esc, sizeof esc, "\\%c", c);
		else if (c == '\n')
			snprintf(esc, sizeof esc, "\\n");
		else if (c == '\t')
			snprintf(esc, sizeof esc, "\\t");
		else
			snprintf(esc, sizeof esc, "\\u%04x", c);
		put(o, esc);
		run = i + 1;
	}
	putn(o, s + run, len - run);
	put(o, "\"");
}

static void str(const struct otel_json_out *o, const struct otel_set *set, struct otel_str s)
{
	otel_json_string(o, otel_text_of(set, s), s.len);
}

static void base64(const struct otel_json_out *o, const unsigned char *b, size_t n)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char quad[4];
	put(o, "\"");
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)b[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)b[i + 1] << 8;
		if (i + 2 < n)
			v |= b[i + 2];
		quad[0] = digits[v >> 18 & 63];
		quad[1] = digits[v >> 12 & 63];
		quad[2] = i + 1 < n ? digits[v >> 6 & 63] : '=';
		quad[3] = i + 2 < n ? digits[v & 63] : '=';
		putn(o, quad, 4);
	}
	put(o, "\"");
}

/* A double as protobuf's JSON has it: a number, or "NaN"/"Infinity"/"-Infinity". */
static void number(const struct otel_json_out *o, double d)
{
	char buf[40];
	if (isnan(d))
		put(o, "\"NaN\"");
	else if (isinf(d))
		put(o, d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
	else {
		snprintf(buf, sizeof buf, "%.17g", d);
		put(o, buf);
	}
}

static void u64_string(const struct otel_json_out *o, uint64_t v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "\"%" PRIu64 "\"", v);
	put(o, buf);
}

static void span_id(const struct otel_json_out *o, uint64_t id)
{
	char buf[24];
	snprintf(buf, sizeof buf, "\"%016" PRIx64 "\"", id);
	put(o, buf);
}

static void trace_id(const struct otel_json_out *o, const uint8_t id[SPAN_TRACE_ID_LEN])
{
	char hex[2 * SPAN_TRACE_ID_LEN + 1];
	span_trace_id_hex(id, hex);
	put(o, "\"");
	put(o, hex);
	put(o, "\"");
}

/* ,"key":n when n is not 0 */
static void count_member(const struct otel_json_out *o, const char *key, uint64_t n)
{
	char buf[64];
	if (!n)
		return;
	snprintf(buf, sizeof buf, ",\"%s\":%" PRIu64, key, n);
	put(o, buf);
}

/* ,"key":"text" when the text is not empty */
static void str_member(const struct otel_json_out *o, const struct otel_set *set, const char *key, struct otel_str s)
{
	if (!s.len)
		return;
	put(o, ",\"");
	put(o, key);
	put(o, "\":");
	str(o, set, s);
}

void otel_json_value(const struct otel_json_out *o, const struct otel_set *set, const struct otel_value *v)
{
	char buf[40];
	switch ((enum otel_value_type)v->type) {
	case OTEL_VALUE_EMPTY:
		put(o, "{}");
		break;
	case OTEL_VALUE_STRING:
		put(o, "{\"stringValue\":");
		str(o, set, v->u.s);
		put(o, "}");
		break;
	case OTEL_VALUE_BOOL:
		put(o, v->u.b ? "{\"boolValue\":true}" : "{\"boolValue\":false}");
		break;
	case OTEL_VALUE_INT:
		snprintf(buf, sizeof buf, "{\"intValue\":\"%" PRId64 "\"}", v->u.i);
		put(o, buf);
		break;
	case OTEL_VALUE_DOUBLE:
		put(o, "{\"doubleValue\":");
		number(o, v->u.d);
		put(o, "}");
		break;
	case OTEL_VALUE_BYTES:
		put(o, "{\"bytesValue\":");
		base64(o, (const unsigned char *)otel_text_of(set, v->u.s), v->u.s.len);
		put(o, "}");
		break;
	case OTEL_VALUE_ARRAY:
		put(o, "{\"arrayValue\":{\"values\":[");
		for (uint32_t i = 0; i < v->count; i++) {
			if (i)
				put(o, ",");
			otel_json_value(o, set, &set->values[v->u.first + i]);
		}
		put(o, "]}}");
		break;
	case OTEL_VALUE_KVLIST:
		put(o, "{\"kvlistValue\":{\"values\":");
		otel_json_attrs(o, set, (struct otel_attrs){ v->u.first, v->count, 0 });
		put(o, "}}");
		break;
	default:
		put(o, "{}");
	}
}

void otel_json_attrs(const struct otel_json_out *o, const struct otel_set *set, struct otel_attrs a)
{
	put(o, "[");
	for (uint32_t i = 0; i < a.count; i++) {
		const struct otel_kv *kv = &set->kvs[a.first + i];
		put(o, i ? ",{\"key\":" : "{\"key\":");
		str(o, set, kv->key);
		if (!otel_value_absent(&kv->value)) { /* the file had no "value" member */
			put(o, ",\"value\":");
			otel_json_value(o, set, &kv->value);
		}
		put(o, "}");
	}
	put(o, "]");
}

void otel_json_resource_members(const struct otel_json_out *o, const struct otel_set *set,
                                const struct otel_resource *r)
{
	put(o, "\"attributes\":");
	otel_json_attrs(o, set, r->attrs);
	count_member(o, "droppedAttributesCount", r->attrs.dropped);
}

void otel_json_scope(const struct otel_json_out *o, const struct otel_set *set, const struct otel_scope *s)
{
	put(o, "{\"name\":");
	str(o, set, s->name);
	str_member(o, set, "version", s->version);
	put(o, ",\"attributes\":");
	otel_json_attrs(o, set, s->attrs);
	count_member(o, "droppedAttributesCount", s->attrs.dropped);
	put(o, "}");
}

static void event(const struct otel_json_out *o, const struct otel_set *set, const struct otel_event *e)
{
	put(o, "{\"timeUnixNano\":");
	u64_string(o, e->time_unix_ns);
	put(o, ",\"name\":");
	str(o, set, e->name);
	put(o, ",\"attributes\":");
	otel_json_attrs(o, set, e->attrs);
	count_member(o, "droppedAttributesCount", e->attrs.dropped);
	put(o, "}");
}

static void link(const struct otel_json_out *o, const struct otel_set *set, const struct otel_link *l)
{
	put(o, "{\"traceId\":");
	trace_id(o, l->trace_id);
	put(o, ",\"spanId\":");
	span_id(o, l->span_id);
	str_member(o, set, "traceState", l->trace_state);
	put(o, ",\"attributes\":");
	otel_json_attrs(o, set, l->attrs);
	count_member(o, "droppedAttributesCount", l->attrs.dropped);
	count_member(o, "flags", l->flags);
	put(o, "}");
}

void otel_json_span(const struct otel_json_out *o, const struct otel_set *set, const struct otel_span *sp)
{
	char buf[64];
	put(o, "{\"traceId\":");
	trace_id(o, sp->trace_id);
	put(o, ",\"spanId\":");
	span_id(o, sp->span_id);
	str_member(o, set, "traceState", sp->trace_state);
	if (sp->parent_span_id || (sp->marks & OTEL_MARK_ZERO_PARENT)) { /* zeros as the file wrote them */
		put(o, ",\"parentSpanId\":");
		span_id(o, sp->parent_span_id);
	}
	if (sp->has_flags) {
		snprintf(buf, sizeof buf, ",\"flags\":%" PRIu32, sp->flags);
		put(o, buf);
	}
	put(o, ",\"name\":");
	str(o, set, sp->name);
	snprintf(buf, sizeof buf, ",\"kind\":%u,\"startTimeUnixNano\":", sp->kind);
	put(o, buf);
	u64_string(o, sp->start_unix_ns);
	put(o, ",\"endTimeUnixNano\":");
	u64_string(o, sp->end_unix_ns);
	put(o, ",\"attributes\":");
	otel_json_attrs(o, set, sp->attrs);
	count_member(o, "droppedAttributesCount", sp->attrs.dropped);
	if (sp->nevents) {
		put(o, ",\"events\":[");
		for (uint32_t i = 0; i < sp->nevents; i++) {
			if (i)
				put(o, ",");
			event(o, set, &set->events[sp->events_first + i]);
		}
		put(o, "]");
	}
	count_member(o, "droppedEventsCount", sp->dropped_events);
	if (sp->nlinks) {
		put(o, ",\"links\":[");
		for (uint32_t i = 0; i < sp->nlinks; i++) {
			if (i)
				put(o, ",");
			link(o, set, &set->links[sp->links_first + i]);
		}
		put(o, "]");
	}
	count_member(o, "droppedLinksCount", sp->dropped_links);
	put(o, ",\"status\":{");
	if (sp->status_message.len) {
		put(o, "\"message\":");
		str(o, set, sp->status_message);
	}
	if (sp->status_code) {
		snprintf(buf, sizeof buf, "%s\"code\":%u", sp->status_message.len ? "," : "", sp->status_code);
		put(o, buf);
	}
	put(o, "}}");
}

void otel_json_plain_value(const struct otel_json_out *o, const struct otel_set *set, const struct otel_value *v)
{
	char buf[40];
	switch ((enum otel_value_type)v->type) {
	case OTEL_VALUE_STRING:
		str(o, set, v->u.s);
		break;
	case OTEL_VALUE_BOOL:
		put(o, v->u.b ? "true" : "false");
		break;
	case OTEL_VALUE_INT:
		snprintf(buf, sizeof buf, "%" PRId64, v->u.i);
		put(o, buf);
		break;
	case OTEL_VALUE_DOUBLE:
		number(o, v->u.d);
		break;
	case OTEL_VALUE_BYTES:
		base64(o, (const unsigned char *)otel_text_of(set, v->u.s), v->u.s.len);
		break;
	case OTEL_VALUE_ARRAY:
		put(o, "[");
		for (uint32_t i = 0; i < v->count; i++) {
			if (i)
				put(o, ",");
			otel_json_plain_value(o, set, &set->values[v->u.first + i]);
		}
		put(o, "]");
		break;
	case OTEL_VALUE_KVLIST:
		put(o, "{");
		for (uint32_t i = 0; i < v->count; i++) {
			const struct otel_kv *kv = &set->kvs[v->u.first + i];
			if (i)
				put(o, ",");
			str(o, set, kv->key);
			put(o, ":");
			otel_json_plain_value(o, set, &kv->value);
		}
		put(o, "}");
		break;
	case OTEL_VALUE_EMPTY:
	default:
		put(o, "null");
	}
}
