/*
 * intake_copy — a span, its scope and its resource copied from one
 * otel_set into another (see intake_copy.h): texts through otel_text
 * (short ones shared in the trace's arena), nested values through the
 * builder's stacks.
 */
#include "intake_copy.h"

#include <stdbool.h>
#include <string.h>

#include "assemble.h"
#include "obslab/otel.h"

/* Deeper values than any decoder accepts (jsonpull's JP_MAX_DEPTH is 512)
 * are not copied further. */
#define COPY_MAX_DEPTH 1024

/* What one span's copy needs. */
struct copy {
	struct otel_set *dst;
	const struct otel_set *src;
	struct intake_text_map *texts;
	uint64_t batch, owner;
};

/* A text of src in dst: the map remembers where the batch's texts went
 * (a batch's short texts share one offset each: a key repeated by every
 * span is found without hashing its bytes again). */
static struct otel_str copy_str(struct copy *c, struct otel_str s)
{
	if (!s.len)
		return (struct otel_str){ 0, 0 };
	__typeof__(c->texts->slot[0]) *e =
	        &c->texts->slot[((s.off ^ c->owner * 0xff51afd7ed558ccdull) * 0x9e3779b97f4a7c15ull) >> 54 &
	                        (INTAKE_TEXT_MAP - 1)];
	if (e->batch == c->batch && e->owner == c->owner && e->src.off == s.off && e->src.len == s.len)
		return e->dst;
	struct otel_str out = otel_text(c->dst, c->src->text + s.off, s.len);
	e->batch = c->batch;
	e->owner = c->owner;
	e->src = s;
	e->dst = out;
	return out;
}

static struct otel_value copy_value(struct copy *c, const struct otel_value *v, int depth)
{
	struct otel_set *dst = c->dst;
	const struct otel_set *src = c->src;
	struct otel_value out = *v;
	switch ((enum otel_value_type)v->type) {
	case OTEL_VALUE_STRING:
	case OTEL_VALUE_BYTES:
		out.u.s = copy_str(c, v->u.s);
		break;
	case OTEL_VALUE_ARRAY: {
		size_t mark = otel_value_mark(dst);
		if (depth < COPY_MAX_DEPTH)
			for (uint32_t k = 0; k < v->count; k++)
				otel_value_push(dst, copy_value(c, &src->values[v->u.first + k], depth + 1));
		out.u.first = otel_value_commit(dst, mark, &out.count);
		break;
	}
	case OTEL_VALUE_KVLIST: {
		size_t mark = otel_kv_mark(dst);
		if (depth < COPY_MAX_DEPTH)
			for (uint32_t k = 0; k < v->count; k++) {
				const struct otel_kv *kv = &src->kvs[v->u.first + k];
				struct otel_str key = copy_str(c, kv->key);
				otel_kv_push(dst, key, copy_value(c, &kv->value, depth + 1));
			}
		out.u.first = otel_kv_commit(dst, mark, &out.count);
		break;
	}
	case OTEL_VALUE_EMPTY:
	case OTEL_VALUE_BOOL:
	case OTEL_VALUE_INT:
	case OTEL_VALUE_DOUBLE:
		break;
	}
	return out;
}

static struct otel_attrs copy_attrs(struct copy *c, struct otel_attrs a)
{
	struct otel_attrs out = { .dropped = a.dropped };
	if (a.count == 0)
		return out;
	size_t mark = otel_kv_mark(c->dst);
	for (uint32_t k = 0; k < a.count; k++) {
		const struct otel_kv *kv = &c->src->kvs[a.first + k];
		struct otel_str key = copy_str(c, kv->key);
		otel_kv_push(c->dst, key, copy_value(c, &kv->value, 1));
	}
	out.first = otel_kv_commit(c->dst, mark, &out.count);
	return out;
}

/* ---- equal by content, across two sets ---- */

static bool str_eq(const struct otel_set *a, struct otel_str x, const struct otel_set *b, struct otel_str y)
{
	return x.len == y.len && (x.len == 0 || memcmp(a->text + x.off, b->text + y.off, x.len) == 0);
}

static bool value_eq(const struct otel_set *a, const struct otel_value *x, const struct otel_set *b,
                     const struct otel_value *y, int depth);

static bool kvs_eq(const struct otel_set *a, uint32_t xf, const struct otel_set *b, uint32_t yf, uint32_t n,
                   int depth)
{
	for (uint32_t k = 0; k < n; k++) {
		const struct otel_kv *p = &a->kvs[xf + k], *q = &b->kvs[yf + k];
		if (!str_eq(a, p->key, b, q->key) || !value_eq(a, &p->value, b, &q->value, depth + 1))
			return false;
	}
	return true;
}

static bool value_eq(const struct otel_set *a, const struct otel_value *x, const struct otel_set *b,
                     const struct otel_value *y, int depth)
{
	if (x->type != y->type || x->count != y->count || depth > COPY_MAX_DEPTH)
		return false;
	switch ((enum otel_value_type)x->type) {
	case OTEL_VALUE_STRING:
	case OTEL_VALUE_BYTES:
		return str_eq(a, x->u.s, b, y->u.s);
	case OTEL_VALUE_BOOL:
		return x->u.b == y->u.b;
	case OTEL_VALUE_INT:
		return x->u.i == y->u.i;
	case OTEL_VALUE_DOUBLE:
		return memcmp(&x->u.d, &y->u.d, sizeof x->u.d) == 0;
	case OTEL_VALUE_ARRAY:
		for (uint32_t k = 0; k < x->count; k++)
			if (!value_eq(a, &a->values[x->u.first + k], b, &b->values[y->u.first + k], depth + 1))
				return false;
		return true;
	case OTEL_VALUE_KVLIST:
		return kvs_eq(a, x->u.first, b, y->u.first, x->count, depth);
	case OTEL_VALUE_EMPTY:
		return true;
	}
	return false;
}

static bool attrs_eq(const struct otel_set *a, struct otel_attrs x, const struct otel_set *b, struct otel_attrs y)
{
	return x.count == y.count && x.dropped == y.dropped && kvs_eq(a, x.first, b, y.first, x.count, 0);
}

/* ---- scopes and resources ---- */

static uint32_t resource_in(struct copy *c, uint32_t index)
{
	struct otel_set *dst = c->dst;
	const struct otel_set *src = c->src;
	const struct otel_resource *r = &src->resources[index];
	size_t lo = dst->nresources > INTAKE_COPY_SCAN ? dst->nresources - INTAKE_COPY_SCAN : 0;
	for (size_t i = dst->nresources; i-- > lo;) {
		const struct otel_resource *d = &dst->resources[i];
		if (str_eq(dst, d->schema_url, src, r->schema_url) && attrs_eq(dst, d->attrs, src, r->attrs))
			return (uint32_t)i;
	}
	struct otel_resource copy = { .attrs = copy_attrs(c, r->attrs), .schema_url = copy_str(c, r->schema_url) };
	return otel_add_resource(dst, &copy);
}

static uint32_t scope_in(struct copy *c, uint32_t index)
{
	struct otel_set *dst = c->dst;
	const struct otel_set *src = c->src;
	if (index >= src->nscopes) /* no scope: a resource-less, scope-less span is kept as it came */
		return index;
	const struct otel_scope *s = &src->scopes[index];
	uint32_t res = s->resource < src->nresources ? resource_in(c, s->resource) : s->resource;
	size_t lo = dst->nscopes > INTAKE_COPY_SCAN ? dst->nscopes - INTAKE_COPY_SCAN : 0;
	for (size_t i = dst->nscopes; i-- > lo;) {
		const struct otel_scope *d = &dst->scopes[i];
		if (d->resource == res && str_eq(dst, d->name, src, s->name) && str_eq(dst, d->version, src, s->version) &&
		    str_eq(dst, d->schema_url, src, s->schema_url) && attrs_eq(dst, d->attrs, src, s->attrs))
			return (uint32_t)i;
	}
	struct otel_scope copy = {
		.resource = res,
		.name = copy_str(c, s->name),
		.version = copy_str(c, s->version),
		.attrs = copy_attrs(c, s->attrs),
		.schema_url = copy_str(c, s->schema_url),
	};
	return otel_add_scope(dst, &copy);
}

static uint32_t scope_mapped(struct copy *c, uint32_t index, struct intake_scope_map *m)
{
	for (uint32_t k = 0; k < m->n; k++)
		if (m->src[k] == index)
			return m->dst[k];
	uint32_t d = scope_in(c, index);
	if (m->n < INTAKE_COPY_MAP) {
		m->src[m->n] = index;
		m->dst[m->n++] = d;
	}
	return d;
}

uint32_t intake_copy_span(struct otel_set *dst, const struct otel_set *src, const struct otel_span *sp,
                          struct intake_scope_map *m, struct intake_text_map *texts, uint64_t batch)
{
	if (m->batch != batch) { /* the map is of another batch */
		m->batch = batch;
		m->n = 0;
	}
	struct copy c = { dst, src, texts, batch, m->owner };
	struct otel_span out = *sp;
	out.scope = scope_mapped(&c, sp->scope, m);
	out.name = copy_str(&c, sp->name);
	out.trace_state = copy_str(&c, sp->trace_state);
	out.status_message = copy_str(&c, sp->status_message);
	out.attrs = copy_attrs(&c, sp->attrs);
	out.marks &= (uint8_t)~ASSEMBLE_MARKS;
	if (sp->end_unix_ns < sp->start_unix_ns)
		out.marks |= OTEL_MARK_NEGATIVE;
	out.events_first = (uint32_t)dst->nevents;
	for (uint32_t k = 0; k < sp->nevents; k++) {
		const struct otel_event *ev = &src->events[sp->events_first + k];
		struct otel_event copy = { .time_unix_ns = ev->time_unix_ns,
			                   .name = copy_str(&c, ev->name),
			                   .attrs = copy_attrs(&c, ev->attrs) };
		otel_add_event(dst, &copy);
	}
	out.links_first = (uint32_t)dst->nlinks;
	for (uint32_t k = 0; k < sp->nlinks; k++) {
		const struct otel_link *l = &src->links[sp->links_first + k];
		struct otel_link copy = *l;
		copy.trace_state = copy_str(&c, l->trace_state);
		copy.attrs = copy_attrs(&c, l->attrs);
		otel_add_link(dst, &copy);
	}
	return otel_add_span(dst, &out);
}

/* ---- what a copy takes ---- */

static size_t kvs_cost(const struct otel_set *src, uint32_t first, uint32_t count, int depth);

static size_t value_cost(const struct otel_set *src, const struct otel_value *v, int depth)
{
	switch ((enum otel_value_type)v->type) {
	case OTEL_VALUE_STRING:
	case OTEL_VALUE_BYTES:
		return v->u.s.len;
	case OTEL_VALUE_ARRAY: {
		size_t c = (size_t)v->count * sizeof(struct otel_value);
		if (depth < COPY_MAX_DEPTH)
			for (uint32_t k = 0; k < v->count; k++)
				c += value_cost(src, &src->values[v->u.first + k], depth + 1);
		return c;
	}
	case OTEL_VALUE_KVLIST:
		return depth < COPY_MAX_DEPTH ? kvs_cost(src, v->u.first, v->count, depth + 1) : 0;
	case OTEL_VALUE_EMPTY:
	case OTEL_VALUE_BOOL:
	case OTEL_VALUE_INT:
	case OTEL_VALUE_DOUBLE:
		break;
	}
	return 0;
}

static size_t kvs_cost(const struct otel_set *src, uint32_t first, uint32_t count, int depth)
{
	size_t c = (size_t)count * sizeof(struct otel_kv);
	for (uint32_t k = 0; k < count; k++) {
		const struct otel_kv *kv = &src->kvs[first + k];
		c += kv->key.len + value_cost(src, &kv->value, depth);
	}
	return c;
}

size_t intake_copy_span_cost(const struct otel_set *src, const struct otel_span *sp)
{
	size_t c = sizeof *sp + sizeof(struct raw) + sp->name.len + sp->trace_state.len + sp->status_message.len +
	           kvs_cost(src, sp->attrs.first, sp->attrs.count, 0);
	for (uint32_t k = 0; k < sp->nevents; k++) {
		const struct otel_event *ev = &src->events[sp->events_first + k];
		c += sizeof *ev + ev->name.len + kvs_cost(src, ev->attrs.first, ev->attrs.count, 0);
	}
	for (uint32_t k = 0; k < sp->nlinks; k++) {
		const struct otel_link *ln = &src->links[sp->links_first + k];
		c += sizeof *ln + ln->trace_state.len + kvs_cost(src, ln->attrs.first, ln->attrs.count, 0);
	}
	return c;
}

size_t intake_copy_context_cost(const struct otel_set *src, const struct otel_span *sp)
{
	size_t c = 0;
	const struct otel_scope *sc = otel_span_scope(src, sp);
	const struct otel_resource *res = otel_span_resource(src, sp);
	if (sc)
		c += sizeof *sc + sc->name.len + sc->version.len + sc->schema_url.len +
		     kvs_cost(src, sc->attrs.first, sc->attrs.count, 0);
	if (res)
		c += sizeof *res + res->schema_url.len + kvs_cost(src, res->attrs.first, res->attrs.count, 0);
	return c;
}
