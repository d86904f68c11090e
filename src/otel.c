/*
 * otel — the lossless span model's storage: growable arrays addressed by
 * index, one text arena with short strings shared, and the scratch stacks
 * nested lists are built on.
 */
#include "obslab/otel.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/strtab.h"
#include "obslab/xalloc.h"

#define SHORT_MAX 64 /* strings up to this long are stored once */

struct otel_set *otel_set_create(void)
{
	struct otel_set *set = xcalloc(1, sizeof *set);
	/* Offset 0 holds a NUL, so the empty string and a real one never share 0 by accident. */
	set->text_cap = 512; /* small: a received trace has a set of its own (intake.h) */
	set->text = xmalloc(set->text_cap);
	set->text[0] = '\0';
	set->text_len = 1;
	return set;
}

void otel_set_destroy(struct otel_set *set)
{
	if (!set)
		return;
	free(set->resources);
	free(set->scopes);
	free(set->spans);
	free(set->events);
	free(set->links);
	free(set->kvs);
	free(set->values);
	free(set->text);
	free(set->kv_stack);
	free(set->value_stack);
	free(set->short_slots);
	free(set);
}

size_t otel_set_bytes(const struct otel_set *set)
{
	return set->cap_resources * sizeof *set->resources + set->cap_scopes * sizeof *set->scopes +
	       set->cap_spans * sizeof *set->spans + set->cap_events * sizeof *set->events +
	       set->cap_links * sizeof *set->links + set->cap_kvs * sizeof *set->kvs +
	       set->cap_values * sizeof *set->values + set->text_cap + set->short_cap * sizeof *set->short_slots +
	       set->kv_cap * sizeof *set->kv_stack + set->value_cap * sizeof *set->value_stack;
}

/* Room for one more item in a growable array; false (and the set full) at the limit. */
static bool grow(struct otel_set *set, void **v, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return true;
	if (n >= OTEL_MAX_ITEMS) {
		set->full = true;
		return false;
	}
	size_t want = *cap ? *cap * 2 : 16; /* small: a received trace has a set of its own */
	if (want > OTEL_MAX_ITEMS)
		want = OTEL_MAX_ITEMS;
	*v = xrealloc_array(*v, want, size);
	*cap = want;
	return true;
}

/* ---- text ---------------------------------------------------------------------- */

static struct otel_str append_text(struct otel_set *set, const char *s, size_t len)
{
	if (len > UINT32_MAX || set->text_len > (SIZE_MAX >> 2) - len) {
		set->full = true;
		return (struct otel_str){ 0, 0 };
	}
	if (set->text_len + len + 1 > set->text_cap) {
		size_t cap = set->text_cap;
		while (cap < set->text_len + len + 1)
			cap *= 2;
		set->text = xrealloc(set->text, cap);
		set->text_cap = cap;
	}
	struct otel_str out = { set->text_len, (uint32_t)len };
	memcpy(set->text + set->text_len, s, len);
	set->text[set->text_len + len] = '\0';
	set->text_len += len + 1;
	return out;
}

static void short_insert(uint64_t *slots, size_t cap, uint64_t h, uint64_t entry)
{
	for (size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1))
		if (!slots[i]) {
			slots[i] = entry;
			return;
		}
}

static uint64_t short_hash(const char *s, size_t len)
{
	return strtab_hash(s, len);
}

struct otel_str otel_text(struct otel_set *set, const char *s, size_t len)
{
	if (len == 0)
		return (struct otel_str){ 0, 0 };
	if (len > SHORT_MAX)
		return append_text(set, s, len);
	uint64_t h = short_hash(s, len);
	if (set->short_cap) {
		for (size_t i = h & (set->short_cap - 1); set->short_slots[i]; i = (i + 1) & (set->short_cap - 1)) {
			uint64_t e = set->short_slots[i];
			uint64_t off = e >> 8;
			if ((e & 0xff) == len && memcmp(set->text + off, s, len) == 0)
				return (struct otel_str){ off, (uint32_t)len };
		}
	}
	struct otel_str out = append_text(set, s, len);
	if (out.len == 0)
		return out;
	if ((set->nshort + 1) * 2 > set->short_cap) {
		size_t cap = set->short_cap ? set->short_cap * 2 : 128;
		uint64_t *slots = xcalloc(cap, sizeof *slots);
		for (size_t i = 0; i < set->short_cap; i++)
			if (set->short_slots[i]) {
				uint64_t e = set->short_slots[i];
				short_insert(slots, cap, short_hash(set->text + (e >> 8), e & 0xff), e);
			}
		free(set->short_slots);
		set->short_slots = slots;
		set->short_cap = cap;
	}
	short_insert(set->short_slots, set->short_cap, h, out.off << 8 | len);
	set->nshort++;
	return out;
}

/* ---- lists ----------------------------------------------------------------------- */

size_t otel_kv_mark(const struct otel_set *set)
{
	return set->kv_top;
}

void otel_kv_push(struct otel_set *set, struct otel_str key, struct otel_value value)
{
	if (!grow(set, (void **)&set->kv_stack, set->kv_top, &set->kv_cap, sizeof *set->kv_stack))
		return;
	set->kv_stack[set->kv_top++] = (struct otel_kv){ key, value };
}

uint32_t otel_kv_commit(struct otel_set *set, size_t mark, uint32_t *count)
{
	size_t n = set->kv_top - mark;
	uint32_t first = (uint32_t)set->nkvs;
	*count = 0;
	if (n == 0)
		return first;
	if (n > OTEL_MAX_ITEMS - set->nkvs) {
		set->full = true;
		set->kv_top = mark;
		return first;
	}
	if (set->nkvs + n > set->cap_kvs) {
		size_t cap = set->cap_kvs ? set->cap_kvs : 64;
		while (cap < set->nkvs + n)
			cap *= 2;
		set->kvs = xrealloc_array(set->kvs, cap, sizeof *set->kvs);
		set->cap_kvs = cap;
	}
	memcpy(set->kvs + set->nkvs, set->kv_stack + mark, n * sizeof *set->kvs);
	set->nkvs += n;
	set->kv_top = mark;
	*count = (uint32_t)n;
	return first;
}

size_t otel_value_mark(const struct otel_set *set)
{
	return set->value_top;
}

void otel_value_push(struct otel_set *set, struct otel_value value)
{
	if (!grow(set, (void **)&set->value_stack, set->value_top, &set->value_cap, sizeof *set->value_stack))
		return;
	set->value_stack[set->value_top++] = value;
}

uint32_t otel_value_commit(struct otel_set *set, size_t mark, uint32_t *count)
{
	size_t n = set->value_top - mark;
	uint32_t first = (uint32_t)set->nvalues;
	*count = 0;
	if (n == 0)
		return first;
	if (n > OTEL_MAX_ITEMS - set->nvalues) {
		set->full = true;
		set->value_top = mark;
		return first;
	}
	if (set->nvalues + n > set->cap_values) {
		size_t cap = set->cap_values ? set->cap_values : 64;
		while (cap < set->nvalues + n)
			cap *= 2;
		set->values = xrealloc_array(set->values, cap, sizeof *set->values);
		set->cap_values = cap;
	}
	memcpy(set->values + set->nvalues, set->value_stack + mark, n * sizeof *set->values);
	set->nvalues += n;
	set->value_top = mark;
	*count = (uint32_t)n;
	return first;
}

/* ---- items -------------------------------------------------------------------------- */

#define ADD(set, array, n, cap, item)                                                              \
	do {                                                                                       \
		if (!grow(set, (void **)&(set)->array, (set)->n, &(set)->cap, sizeof *(set)->array)) \
			return 0;                                                                  \
		(set)->array[(set)->n] = *(item);                                                  \
		return (uint32_t)(set)->n++;                                                        \
	} while (0)

uint32_t otel_add_resource(struct otel_set *set, const struct otel_resource *r)
{
	ADD(set, resources, nresources, cap_resources, r);
}

uint32_t otel_add_scope(struct otel_set *set, const struct otel_scope *s)
{
	ADD(set, scopes, nscopes, cap_scopes, s);
}

uint32_t otel_add_event(struct otel_set *set, const struct otel_event *e)
{
	ADD(set, events, nevents, cap_events, e);
}

uint32_t otel_add_link(struct otel_set *set, const struct otel_link *l)
{
	ADD(set, links, nlinks, cap_links, l);
}

uint32_t otel_add_span(struct otel_set *set, const struct otel_span *sp)
{
	ADD(set, spans, nspans, cap_spans, sp);
}

/* ---- reading ------------------------------------------------------------------------- */

const struct otel_span *otel_span_of(const struct otel_set *set, const struct span_record *rec)
{
	if (!set || !(rec->flags & SPAN_F_FOREIGN) || rec->u.foreign.detail >= set->nspans)
		return NULL;
	return &set->spans[rec->u.foreign.detail];
}

const struct otel_scope *otel_span_scope(const struct otel_set *set, const struct otel_span *sp)
{
	return sp->scope < set->nscopes ? &set->scopes[sp->scope] : NULL;
}

const struct otel_resource *otel_span_resource(const struct otel_set *set, const struct otel_span *sp)
{
	const struct otel_scope *sc = otel_span_scope(set, sp);
	return sc && sc->resource < set->nresources ? &set->resources[sc->resource] : NULL;
}

const struct otel_value *otel_attrs_find(const struct otel_set *set, struct otel_attrs a, const char *key)
{
	size_t klen = strlen(key);
	for (uint32_t i = 0; i < a.count; i++) {
		const struct otel_kv *kv = &set->kvs[a.first + i];
		if (kv->key.len == klen && memcmp(otel_text_of(set, kv->key), key, klen) == 0)
			return &kv->value;
	}
	return NULL;
}

const char *otel_attrs_string(const struct otel_set *set, struct otel_attrs a, const char *key)
{
	const struct otel_value *v = otel_attrs_find(set, a, key);
	return v && v->type == OTEL_VALUE_STRING ? otel_text_of(set, v->u.s) : NULL;
}

const char *otel_service_name(const struct otel_set *set, const struct otel_span *sp)
{
	const struct otel_resource *r = otel_span_resource(set, sp);
	return r ? otel_attrs_string(set, r->attrs, "service.name") : NULL;
}

const char *otel_kind_name(uint8_t kind)
{
	static const char *const names[] = { "unspecified", "internal", "server", "client", "producer", "consumer" };
	return kind < sizeof names / sizeof *names ? names[kind] : "unknown";
}

const char *otel_status_name(uint8_t code)
{
	return code == 1 ? "ok" : code == 2 ? "error" : "unset";
}

/* ---- display ----------------------------------------------------------------------- */

struct out {
	char *buf;
	size_t cap, len;
	bool cut;
};

/* A double as the shortest text that reads back to the same double
 * (0.1, 5e-324), as the OTLP writer writes it; NaN, Infinity, -Infinity
 * as protobuf's JSON mapping spells them. */
static void otel_double_text(double d, char *buf, size_t cap)
{
	if (isnan(d)) {
		snprintf(buf, cap, "NaN");
		return;
	}
	if (isinf(d)) {
		snprintf(buf, cap, "%s", d < 0 ? "-Infinity" : "Infinity");
		return;
	}
	for (int digits = 1; digits < 17; digits++) { /* 17 always reads back */
		snprintf(buf, cap, "%.*g", digits, d);
		if (strtod(buf, NULL) == d)
			return;
	}
	snprintf(buf, cap, "%.17g", d);
}

static void emit(struct out *o, const char *s, size_t n)
{
	if (o->cut)
		return;
	/* Keep room for "…" (3 bytes) and the NUL. */
	if (o->len + n + 4 > o->cap) {
		size_t room = o->cap > o->len + 4 ? o->cap - o->len - 4 : 0;
		/* Never cut inside a UTF-8 sequence. */
		while (room > 0 && room < n && ((unsigned char)s[room] & 0xc0) == 0x80)
			room--;
		memcpy(o->buf + o->len, s, room);
		o->len += room;
		if (o->cap >= o->len + 4) {
			memcpy(o->buf + o->len, "\xe2\x80\xa6", 3);
			o->len += 3;
		}
		o->cut = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void emits(struct out *o, const char *s)
{
	emit(o, s, strlen(s));
}

static void format_value(const struct otel_set *set, const struct otel_value *v, struct out *o, int depth)
{
	char num[64];
	switch (v->type) {
	case OTEL_VALUE_EMPTY:
		emits(o, "(empty)");
		break;
	case OTEL_VALUE_STRING:
		emits(o, "\"");
		emit(o, otel_text_of(set, v->u.s), v->u.s.len);
		emits(o, "\"");
		break;
	case OTEL_VALUE_BOOL:
		emits(o, v->u.b ? "true" : "false");
		break;
	case OTEL_VALUE_INT:
		snprintf(num, sizeof num, "%" PRId64, v->u.i);
		emits(o, num);
		break;
	case OTEL_VALUE_DOUBLE:
		otel_double_text(v->u.d, num, sizeof num);
		emits(o, num);
		break;
	case OTEL_VALUE_BYTES: {
		const unsigned char *b = (const unsigned char *)otel_text_of(set, v->u.s);
		emits(o, "0x");
		for (uint32_t i = 0; i < v->u.s.len && !o->cut; i++) {
			snprintf(num, sizeof num, "%02x", b[i]);
			emit(o, num, 2);
		}
		break;
	}
	case OTEL_VALUE_ARRAY:
		emits(o, "[");
		for (uint32_t i = 0; i < v->count && !o->cut; i++) {
			if (i)
				emits(o, ", ");
			if (depth >= 8)
				emits(o, "…");
			else
				format_value(set, &set->values[v->u.first + i], o, depth + 1);
		}
		emits(o, "]");
		break;
	case OTEL_VALUE_KVLIST:
		emits(o, "{");
		for (uint32_t i = 0; i < v->count && !o->cut; i++) {
			const struct otel_kv *kv = &set->kvs[v->u.first + i];
			if (i)
				emits(o, ", ");
			emit(o, otel_text_of(set, kv->key), kv->key.len);
			emits(o, ": ");
			if (depth >= 8)
				emits(o, "…");
			else
				format_value(set, &kv->value, o, depth + 1);
		}
		emits(o, "}");
		break;
	default:
		emits(o, "?");
	}
}

void otel_value_format(const struct otel_set *set, const struct otel_value *v, char *buf, size_t cap)
{
	if (cap == 0)
		return;
	struct out o = { buf, cap, 0, false };
	if (cap < 8) {
		buf[0] = '\0';
		return;
	}
	format_value(set, v, &o, 0);
	buf[o.len] = '\0';
}
