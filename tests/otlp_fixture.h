/* What the OTLP codec's tests share: a set with every kind of field, the
 * comparison of two sets span by span, and a wire-format writer for hand-made
 * (hostile) protobuf bodies. Header-only: each test includes it once. */
#ifndef OBSLAB_TEST_OTLP_FIXTURE_H
#define OBSLAB_TEST_OTLP_FIXTURE_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/otel.h"
#include "obslab/otlp.h"

static inline struct otel_str T(struct otel_set *set, const char *s)
{
	return otel_text(set, s, strlen(s));
}

static inline struct otel_value V_str(struct otel_set *set, const char *s, size_t len)
{
	return (struct otel_value){ .type = OTEL_VALUE_STRING, .u.s = otel_text(set, s, len) };
}

/* Every kind of field: two resources, three scopes, three spans (a root with everything, a child whose
 * flags are 0 but present, one with a parent id of eight zero bytes that ends before it starts), in the
 * order a request groups them: span 0 in scope 0 and span 1 in scope 2 (resource 0), span 2 in scope 1
 * (resource 1). */
static inline struct otel_set *rich_set(void)
{
	struct otel_set *set = otel_set_create();
	size_t m = otel_kv_mark(set);
	otel_kv_push(set, T(set, "service.name"), V_str(set, "svc-a", 5));
	otel_kv_push(set, T(set, "host.cores"), (struct otel_value){ .type = OTEL_VALUE_INT, .u.i = 8 });
	struct otel_resource r0 = { .schema_url = T(set, "https://opentelemetry.io/schemas/1.26.0") };
	r0.attrs.first = otel_kv_commit(set, m, &r0.attrs.count);
	r0.attrs.dropped = 2;
	uint32_t res0 = otel_add_resource(set, &r0);
	m = otel_kv_mark(set);
	otel_kv_push(set, T(set, "service.name"), V_str(set, "svc-b", 5));
	struct otel_resource r1 = { 0 };
	r1.attrs.first = otel_kv_commit(set, m, &r1.attrs.count);
	uint32_t res1 = otel_add_resource(set, &r1);

	m = otel_kv_mark(set);
	otel_kv_push(set, T(set, "lib.flag"), (struct otel_value){ .type = OTEL_VALUE_BOOL, .u.b = true });
	struct otel_scope s0 = { .resource = res0, .name = T(set, "lib"), .version = T(set, "1.2.3"),
		                 .schema_url = T(set, "https://example.com/scope") };
	s0.attrs.first = otel_kv_commit(set, m, &s0.attrs.count);
	s0.attrs.dropped = 1;
	uint32_t sc0 = otel_add_scope(set, &s0);
	uint32_t sc1 = otel_add_scope(set, &(struct otel_scope){ .resource = res1, .name = T(set, "other") });
	uint32_t sc2 = otel_add_scope(set, &(struct otel_scope){ .resource = res0, .name = T(set, "second") });

	/* span 0: attributes of every type, nested */
	m = otel_kv_mark(set);
	otel_kv_push(set, T(set, "str"), V_str(set, "a\0b\xc3\xa9", 5)); /* a NUL and an é */
	otel_kv_push(set, T(set, "empty.str"), V_str(set, "", 0));
	otel_kv_push(set, T(set, "bool"), (struct otel_value){ .type = OTEL_VALUE_BOOL, .u.b = false });
	otel_kv_push(set, T(set, "int"), (struct otel_value){ .type = OTEL_VALUE_INT, .u.i = INT64_MIN });
	otel_kv_push(set, T(set, "nan"), (struct otel_value){ .type = OTEL_VALUE_DOUBLE, .u.d = NAN });
	otel_kv_push(set, T(set, "inf"), (struct otel_value){ .type = OTEL_VALUE_DOUBLE, .u.d = -INFINITY });
	otel_kv_push(set, T(set, "dbl"), (struct otel_value){ .type = OTEL_VALUE_DOUBLE, .u.d = 0.1 });
	otel_kv_push(set, T(set, "bytes"),
	             (struct otel_value){ .type = OTEL_VALUE_BYTES, .u.s = otel_text(set, "\x00\xff\x80", 3) });
	size_t arr = otel_value_mark(set);
	otel_value_push(set, (struct otel_value){ .type = OTEL_VALUE_INT, .u.i = 1 });
	otel_value_push(set, V_str(set, "x", 1));
	size_t inner = otel_value_mark(set);
	otel_value_push(set, (struct otel_value){ .type = OTEL_VALUE_BOOL, .u.b = true });
	uint32_t n;
	uint32_t first = otel_value_commit(set, inner, &n);
	otel_value_push(set, (struct otel_value){ .type = OTEL_VALUE_ARRAY, .count = n, .u.first = first });
	otel_value_push(set, (struct otel_value){ .type = OTEL_VALUE_EMPTY });
	first = otel_value_commit(set, arr, &n);
	otel_kv_push(set, T(set, "array"), (struct otel_value){ .type = OTEL_VALUE_ARRAY, .count = n, .u.first = first });
	size_t kl = otel_kv_mark(set);
	otel_kv_push(set, T(set, "in"), (struct otel_value){ .type = OTEL_VALUE_DOUBLE, .u.d = 2.5 });
	size_t deeper = otel_kv_mark(set);
	otel_kv_push(set, T(set, "x"), V_str(set, "y", 1));
	first = otel_kv_commit(set, deeper, &n);
	otel_kv_push(set, T(set, "deep"), (struct otel_value){ .type = OTEL_VALUE_KVLIST, .count = n, .u.first = first });
	first = otel_kv_commit(set, kl, &n);
	otel_kv_push(set, T(set, "kvlist"), (struct otel_value){ .type = OTEL_VALUE_KVLIST, .count = n, .u.first = first });
	otel_kv_push(set, T(set, "no.value"), (struct otel_value){ .type = OTEL_VALUE_EMPTY, .count = OTEL_VALUE_ABSENT });
	otel_kv_push(set, T(set, "empty.value"), (struct otel_value){ .type = OTEL_VALUE_EMPTY });
	struct otel_span sp0 = { .scope = sc0, .span_id = 0x0102030405060708ull, .kind = 2, .status_code = 2,
		                 .has_flags = true, .flags = 0x301, .name = T(set, "GET /users"),
		                 .trace_state = T(set, "vendor=a,other=b"), .status_message = T(set, "boom"),
		                 .start_unix_ns = 1700000000000000000ull, .end_unix_ns = 1700000000123456789ull,
		                 .dropped_events = 4, .dropped_links = 5 };
	for (int i = 0; i < SPAN_TRACE_ID_LEN; i++)
		sp0.trace_id[i] = (uint8_t)(0xa0 + i);
	sp0.attrs.first = otel_kv_commit(set, m, &sp0.attrs.count);
	sp0.attrs.dropped = 3;
	sp0.events_first = (uint32_t)set->nevents;
	m = otel_kv_mark(set);
	otel_kv_push(set, T(set, "exception.type"), V_str(set, "E", 1));
	struct otel_event ev = { .time_unix_ns = 1700000000000000100ull, .name = T(set, "exception") };
	ev.attrs.first = otel_kv_commit(set, m, &ev.attrs.count);
	ev.attrs.dropped = 7;
	otel_add_event(set, &ev);
	otel_add_event(set, &(struct otel_event){ .time_unix_ns = 1700000000000000200ull, .name = T(set, "plain") });
	sp0.nevents = 2;
	sp0.links_first = (uint32_t)set->nlinks;
	m = otel_kv_mark(set);
	otel_kv_push(set, T(set, "link.attr"), (struct otel_value){ .type = OTEL_VALUE_INT, .u.i = 42 });
	struct otel_link ln = { .span_id = 0xfedcba9876543210ull, .trace_state = T(set, "k=v"), .flags = 1 };
	memset(ln.trace_id, 0x11, SPAN_TRACE_ID_LEN);
	ln.attrs.first = otel_kv_commit(set, m, &ln.attrs.count);
	ln.attrs.dropped = 6;
	otel_add_link(set, &ln);
	sp0.nlinks = 1;
	otel_add_span(set, &sp0);

	struct otel_span sp1 = { .scope = sc2, .span_id = 0x1111111111111111ull, .parent_span_id = sp0.span_id,
		                 .kind = 3, .status_code = 1, .has_flags = true, .flags = 0, .name = T(set, "SELECT"),
		                 .start_unix_ns = 1700000000000000010ull, .end_unix_ns = 1700000000000000020ull };
	memcpy(sp1.trace_id, sp0.trace_id, SPAN_TRACE_ID_LEN);
	sp1.events_first = (uint32_t)set->nevents;
	sp1.links_first = (uint32_t)set->nlinks;
	otel_add_span(set, &sp1);

	struct otel_span sp2 = { .scope = sc1, .span_id = 0x2222222222222222ull,
		                 .marks = OTEL_MARK_ZERO_PARENT | OTEL_MARK_NEGATIVE, .name = T(set, "backwards"),
		                 .start_unix_ns = 1700000000000000500ull, .end_unix_ns = 1700000000000000400ull };
	memcpy(sp2.trace_id, sp0.trace_id, SPAN_TRACE_ID_LEN);
	sp2.events_first = (uint32_t)set->nevents;
	sp2.links_first = (uint32_t)set->nlinks;
	otel_add_span(set, &sp2);
	return set;
}

/* ---- comparison ------------------------------------------------------------------------------ */

static inline int str_eq(const struct otel_set *a, struct otel_str x, const struct otel_set *b, struct otel_str y)
{
	return x.len == y.len && memcmp(otel_text_of(a, x), otel_text_of(b, y), x.len) == 0;
}

static inline int attrs_eq(const struct otel_set *a, struct otel_attrs x, const struct otel_set *b, struct otel_attrs y);

static inline int value_eq(const struct otel_set *a, const struct otel_value *x, const struct otel_set *b,
                    const struct otel_value *y)
{
	if (x->type != y->type)
		return 0;
	switch ((enum otel_value_type)x->type) {
	case OTEL_VALUE_EMPTY:
		return otel_value_absent(x) == otel_value_absent(y);
	case OTEL_VALUE_STRING:
	case OTEL_VALUE_BYTES:
		return str_eq(a, x->u.s, b, y->u.s);
	case OTEL_VALUE_BOOL:
		return x->u.b == y->u.b;
	case OTEL_VALUE_INT:
		return x->u.i == y->u.i;
	case OTEL_VALUE_DOUBLE:
		return (isnan(x->u.d) && isnan(y->u.d)) || memcmp(&x->u.d, &y->u.d, sizeof(double)) == 0;
	case OTEL_VALUE_ARRAY:
		if (x->count != y->count)
			return 0;
		for (uint32_t i = 0; i < x->count; i++)
			if (!value_eq(a, &a->values[x->u.first + i], b, &b->values[y->u.first + i]))
				return 0;
		return 1;
	case OTEL_VALUE_KVLIST:
		return attrs_eq(a, (struct otel_attrs){ x->u.first, x->count, 0 }, b, (struct otel_attrs){ y->u.first, y->count, 0 });
	}
	return 0;
}

static inline int attrs_eq(const struct otel_set *a, struct otel_attrs x, const struct otel_set *b, struct otel_attrs y)
{
	if (x.count != y.count || x.dropped != y.dropped)
		return 0;
	for (uint32_t i = 0; i < x.count; i++) {
		const struct otel_kv *p = &a->kvs[x.first + i], *q = &b->kvs[y.first + i];
		if (!str_eq(a, p->key, b, q->key) || !value_eq(a, &p->value, b, &q->value))
			return 0;
	}
	return 1;
}

/* Which field of span i differs (NULL: none), resource and scope included. */
static inline const char *span_diff(const struct otel_set *a, uint32_t i, const struct otel_set *b, uint32_t j)
{
	const struct otel_span *x = &a->spans[i], *y = &b->spans[j];
	const uint8_t kept = OTEL_MARK_ZERO_PARENT | OTEL_MARK_NEGATIVE;
	if (memcmp(x->trace_id, y->trace_id, SPAN_TRACE_ID_LEN) || x->span_id != y->span_id)
		return "ids";
	if (x->parent_span_id != y->parent_span_id || (x->marks & kept) != (y->marks & kept))
		return "parent or marks";
	if (x->kind != y->kind || x->status_code != y->status_code || !str_eq(a, x->status_message, b, y->status_message))
		return "kind or status";
	if (x->has_flags != y->has_flags || x->flags != y->flags)
		return "flags";
	if (!str_eq(a, x->name, b, y->name) || !str_eq(a, x->trace_state, b, y->trace_state))
		return "name or trace state";
	if (x->start_unix_ns != y->start_unix_ns || x->end_unix_ns != y->end_unix_ns)
		return "times";
	if (!attrs_eq(a, x->attrs, b, y->attrs))
		return "attributes";
	if (x->nevents != y->nevents || x->dropped_events != y->dropped_events)
		return "event count";
	for (uint32_t e = 0; e < x->nevents; e++) {
		const struct otel_event *p = &a->events[x->events_first + e], *q = &b->events[y->events_first + e];
		if (p->time_unix_ns != q->time_unix_ns || !str_eq(a, p->name, b, q->name) || !attrs_eq(a, p->attrs, b, q->attrs))
			return "events";
	}
	if (x->nlinks != y->nlinks || x->dropped_links != y->dropped_links)
		return "link count";
	for (uint32_t l = 0; l < x->nlinks; l++) {
		const struct otel_link *p = &a->links[x->links_first + l], *q = &b->links[y->links_first + l];
		if (memcmp(p->trace_id, q->trace_id, SPAN_TRACE_ID_LEN) || p->span_id != q->span_id || p->flags != q->flags ||
		    !str_eq(a, p->trace_state, b, q->trace_state) || !attrs_eq(a, p->attrs, b, q->attrs))
			return "links";
	}
	const struct otel_scope *sx = otel_span_scope(a, x), *sy = otel_span_scope(b, y);
	if (!str_eq(a, sx->name, b, sy->name) || !str_eq(a, sx->version, b, sy->version) ||
	    !str_eq(a, sx->schema_url, b, sy->schema_url) || !attrs_eq(a, sx->attrs, b, sy->attrs))
		return "scope";
	const struct otel_resource *rx = otel_span_resource(a, x), *ry = otel_span_resource(b, y);
	if (!str_eq(a, rx->schema_url, b, ry->schema_url) || !attrs_eq(a, rx->attrs, b, ry->attrs))
		return "resource";
	return NULL;
}

/* ---- hand-made protobuf ---------------------------------------------------------------------- */

struct wire {
	uint8_t *p;
	size_t len, cap;
};

static inline void w_bytes(struct wire *w, const void *s, size_t n)
{
	if (w->len + n > w->cap) {
		w->cap = (w->len + n) * 2 + 64;
		w->p = realloc(w->p, w->cap);
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

static inline void w_varint(struct wire *w, uint64_t v)
{
	uint8_t b[10];
	size_t n = 0;
	do {
		b[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	w_bytes(w, b, n);
}

/* field: a length-delimited field holding s[0..n) */
static inline void w_len(struct wire *w, unsigned field, const void *s, size_t n)
{
	w_varint(w, (uint64_t)field << 3 | 2);
	w_varint(w, n);
	w_bytes(w, s, n);
}

static inline void w_msg(struct wire *w, unsigned field, const struct wire *sub)
{
	w_len(w, field, sub->p, sub->len);
}

static inline void w_fixed64(struct wire *w, unsigned field, uint64_t v)
{
	w_varint(w, (uint64_t)field << 3 | 1);
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	w_bytes(w, b, 8);
}

/* A request of one resource, one scope and the given Span messages. */
static inline struct wire request_of(const struct wire *spans, size_t n)
{
	struct wire ss = { 0 }, rs = { 0 }, req = { 0 };
	for (size_t i = 0; i < n; i++)
		w_msg(&ss, 2, &spans[i]);
	w_msg(&rs, 2, &ss);
	w_msg(&req, 1, &rs);
	free(ss.p);
	free(rs.p);
	return req;
}

/* A valid span's ids and times, then whatever the test adds. */
static inline struct wire span_base(uint8_t tag)
{
	struct wire s = { 0 };
	uint8_t tid[16], sid[8];
	memset(tid, tag, sizeof tid);
	memset(sid, tag, sizeof sid);
	w_len(&s, 1, tid, 16);
	w_len(&s, 2, sid, 8);
	w_len(&s, 5, "op", 2);
	w_fixed64(&s, 7, 1700000000000000000ull);
	w_fixed64(&s, 8, 1700000000000001000ull);
	return s;
}

#endif
