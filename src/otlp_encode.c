/*
 * otlp_encode — spans of otel_sets as an ExportTraceServiceRequest, and
 * the ExportTraceServiceResponse, in protobuf (protobuf-c packs the
 * messages, built in an arena that points into the sets' text) or in
 * OTLP/JSON (otlp_json.c). Every field as the set holds it: ids, flags
 * (when the sender gave them, 0 included), trace state, kind, times,
 * typed attributes nested as they came, events, links, dropped counts,
 * status, schema URLs.
 */
#include <stdint.h>
#include <string.h>

#include "obslab/otel.h"
#include "obslab/xalloc.h"
#include "otlp_internal.h"

struct enc {
	struct otlp_arena arena;
	const struct otel_set *set;
};

static void *take(struct enc *e, size_t size)
{
	return otlp_arena_alloc(&e->arena, size); /* no limit: never NULL (xalloc aborts) */
}

/* A pointer into the set's bytes, for protobuf-c, which only reads it. */
static ProtobufCBinaryData bytes(const void *p, size_t len)
{
	return (ProtobufCBinaryData){ .len = len, .data = (uint8_t *)(uintptr_t)p };
}

static ProtobufCBinaryData text(struct enc *e, struct otel_str s)
{
	return bytes(otel_text_of(e->set, s), s.len);
}

static ProtobufCBinaryData id64(struct enc *e, uint64_t v)
{
	uint8_t *b = take(e, 8);
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
	return bytes(b, 8);
}

static pb_kv **attrs(struct enc *e, struct otel_attrs a, size_t *n);

static pb_any_value *value(struct enc *e, const struct otel_value *v)
{
	pb_any_value *pv = take(e, sizeof *pv);
	opentelemetry__proto__common__v1__any_value__init(pv);
	switch ((enum otel_value_type)v->type) {
	case OTEL_VALUE_STRING:
		pv->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE;
		pv->string_value = text(e, v->u.s);
		break;
	case OTEL_VALUE_BOOL:
		pv->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE;
		pv->bool_value = v->u.b;
		break;
	case OTEL_VALUE_INT:
		pv->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE;
		pv->int_value = v->u.i;
		break;
	case OTEL_VALUE_DOUBLE:
		pv->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE;
		pv->double_value = v->u.d;
		break;
	case OTEL_VALUE_BYTES:
		pv->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BYTES_VALUE;
		pv->bytes_value = text(e, v->u.s);
		break;
	case OTEL_VALUE_ARRAY: {
		pb_array_value *av = take(e, sizeof *av);
		opentelemetry__proto__common__v1__array_value__init(av);
		av->n_values = v->count;
		av->values = take(e, v->count * sizeof *av->values);
		for (uint32_t i = 0; i < v->count; i++)
			av->values[i] = value(e, &e->set->values[v->u.first + i]);
		pv->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE;
		pv->array_value = av;
		break;
	}
	case OTEL_VALUE_KVLIST: {
		pb_kvlist *kl = take(e, sizeof *kl);
		opentelemetry__proto__common__v1__key_value_list__init(kl);
		kl->values = attrs(e, (struct otel_attrs){ v->u.first, v->count, 0 }, &kl->n_values);
		pv->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_KVLIST_VALUE;
		pv->kvlist_value = kl;
		break;
	}
	case OTEL_VALUE_EMPTY:
	default:
		break;
	}
	return pv;
}

static pb_kv **attrs(struct enc *e, struct otel_attrs a, size_t *n)
{
	*n = a.count;
	if (!a.count)
		return NULL;
	pb_kv **list = take(e, a.count * sizeof *list);
	for (uint32_t i = 0; i < a.count; i++) {
		const struct otel_kv *kv = &e->set->kvs[a.first + i];
		pb_kv *p = take(e, sizeof *p);
		opentelemetry__proto__common__v1__key_value__init(p);
		p->key = text(e, kv->key);
		p->value = otel_value_absent(&kv->value) ? NULL : value(e, &kv->value);
		list[i] = p;
	}
	return list;
}

static pb_span *span(struct enc *e, const struct otel_span *sp)
{
	pb_span *p = take(e, sizeof *p);
	opentelemetry__proto__trace__v1__span__init(p);
	p->trace_id = bytes(sp->trace_id, SPAN_TRACE_ID_LEN);
	p->span_id = id64(e, sp->span_id);
	p->trace_state = text(e, sp->trace_state);
	if (sp->parent_span_id || (sp->marks & OTEL_MARK_ZERO_PARENT))
		p->parent_span_id = id64(e, sp->parent_span_id);
	if (sp->has_flags) {
		p->has_flags_case = OPENTELEMETRY__PROTO__TRACE__V1__SPAN__HAS_FLAGS_FLAGS;
		p->flags = sp->flags;
	}
	p->name = text(e, sp->name);
	p->kind = (Opentelemetry__Proto__Trace__V1__Span__SpanKind)sp->kind;
	p->start_time_unix_nano = sp->start_unix_ns;
	p->end_time_unix_nano = sp->end_unix_ns;
	p->attributes = attrs(e, sp->attrs, &p->n_attributes);
	p->dropped_attributes_count = sp->attrs.dropped;
	p->n_events = sp->nevents;
	p->events = sp->nevents ? take(e, sp->nevents * sizeof *p->events) : NULL;
	for (uint32_t i = 0; i < sp->nevents; i++) {
		const struct otel_event *ev = &e->set->events[sp->events_first + i];
		pb_event *pe = take(e, sizeof *pe);
		opentelemetry__proto__trace__v1__span__event__init(pe);
		pe->time_unix_nano = ev->time_unix_ns;
		pe->name = text(e, ev->name);
		pe->attributes = attrs(e, ev->attrs, &pe->n_attributes);
		pe->dropped_attributes_count = ev->attrs.dropped;
		p->events[i] = pe;
	}
	p->dropped_events_count = sp->dropped_events;
	p->n_links = sp->nlinks;
	p->links = sp->nlinks ? take(e, sp->nlinks * sizeof *p->links) : NULL;
	for (uint32_t i = 0; i < sp->nlinks; i++) {
		const struct otel_link *l = &e->set->links[sp->links_first + i];
		pb_link *pl = take(e, sizeof *pl);
		opentelemetry__proto__trace__v1__span__link__init(pl);
		pl->trace_id = bytes(l->trace_id, SPAN_TRACE_ID_LEN);
		pl->span_id = id64(e, l->span_id);
		pl->trace_state = text(e, l->trace_state);
		pl->attributes = attrs(e, l->attrs, &pl->n_attributes);
		pl->dropped_attributes_count = l->attrs.dropped;
		pl->flags = l->flags;
		p->links[i] = pl;
	}
	p->dropped_links_count = sp->dropped_links;
	if (sp->status_code || sp->status_message.len) {
		pb_status *st = take(e, sizeof *st);
		opentelemetry__proto__trace__v1__status__init(st);
		st->code = (Opentelemetry__Proto__Trace__V1__Status__StatusCode)sp->status_code;
		st->message = text(e, sp->status_message);
		p->status = st;
	}
	return p;
}

static void pack(const ProtobufCMessage *m, struct otlp_buf *out)
{
	out->len = 0;
	size_t size = protobuf_c_message_get_packed_size(m);
	otlp_buf_reserve(out, size);
	out->len = protobuf_c_message_pack(m, (uint8_t *)out->data);
	out->data[out->len] = '\0';
}

static void pb_request_of(const struct otlp_span_ref *spans, size_t n, struct otlp_buf *out)
{
	struct enc e;
	otlp_arena_init(&e.arena, SIZE_MAX);
	struct otlp_grouping g;
	otlp_group(spans, n, &g);
	pb_request req;
	opentelemetry__proto__collector__trace__v1__export_trace_service_request__init(&req);
	req.n_resource_spans = g.nresources;
	req.resource_spans = take(&e, g.nresources * sizeof *req.resource_spans);
	for (size_t r = 0; r < g.nresources; r++) {
		const struct otlp_group_resource *gr = &g.resources[r];
		e.set = gr->set;
		const struct otel_resource *res = &e.set->resources[gr->resource];
		pb_resource_spans *rs = take(&e, sizeof *rs);
		opentelemetry__proto__trace__v1__resource_spans__init(rs);
		rs->resource = take(&e, sizeof *rs->resource);
		opentelemetry__proto__resource__v1__resource__init(rs->resource);
		rs->resource->attributes = attrs(&e, res->attrs, &rs->resource->n_attributes);
		rs->resource->dropped_attributes_count = res->attrs.dropped;
		rs->schema_url = text(&e, res->schema_url);
		rs->n_scope_spans = gr->nscopes;
		rs->scope_spans = take(&e, gr->nscopes * sizeof *rs->scope_spans);
		for (size_t s = 0; s < gr->nscopes; s++) {
			const struct otlp_group_scope *gs = &g.scopes[gr->first_scope + s];
			const struct otel_scope *sc = &e.set->scopes[gs->scope];
			pb_scope_spans *ss = take(&e, sizeof *ss);
			opentelemetry__proto__trace__v1__scope_spans__init(ss);
			ss->scope = take(&e, sizeof *ss->scope);
			opentelemetry__proto__common__v1__instrumentation_scope__init(ss->scope);
			ss->scope->name = text(&e, sc->name);
			ss->scope->version = text(&e, sc->version);
			ss->scope->attributes = attrs(&e, sc->attrs, &ss->scope->n_attributes);
			ss->scope->dropped_attributes_count = sc->attrs.dropped;
			ss->schema_url = text(&e, sc->schema_url);
			ss->n_spans = gs->nspans;
			ss->spans = take(&e, gs->nspans * sizeof *ss->spans);
			for (size_t k = 0; k < gs->nspans; k++)
				ss->spans[k] = span(&e, &e.set->spans[spans[g.order[gs->first_span + k]].span]);
			rs->scope_spans[s] = ss;
		}
		req.resource_spans[r] = rs;
	}
	pack(&req.base, out);
	otlp_grouping_free(&g);
	otlp_arena_free_all(&e.arena);
}

void otlp_encode_request(enum otlp_encoding enc, const struct otlp_span_ref *spans, size_t n, struct otlp_buf *out)
{
	if (enc == OTLP_JSON)
		otlp_json_encode_request(spans, n, out);
	else
		pb_request_of(spans, n, out);
}

void otlp_encode_response(enum otlp_encoding enc, size_t rejected, const char *message, struct otlp_buf *out)
{
	if (enc == OTLP_JSON) {
		otlp_json_encode_response(rejected, message, out);
		return;
	}
	pb_response resp;
	pb_partial_success ps;
	opentelemetry__proto__collector__trace__v1__export_trace_service_response__init(&resp);
	if (rejected) {
		opentelemetry__proto__collector__trace__v1__export_trace_partial_success__init(&ps);
		ps.rejected_spans = rejected > INT64_MAX ? INT64_MAX : (int64_t)rejected;
		ps.error_message = bytes(message ? message : "", message ? strlen(message) : 0);
		resp.partial_success = &ps;
	}
	pack(&resp.base, out);
}
