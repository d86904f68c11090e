/*
 * snapshot_foreign — the numbering of a store's otel_sets and a foreign
 * trace's spans grouped per resource and scope, and keys a list repeats
 * (snapshot_foreign.h).
 */
#define _GNU_SOURCE /* qsort_r */
#include "obslab/snapshot_foreign.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/otel.h"
#include "obslab/store.h"
#include "obslab/xalloc.h"

size_t otel_bases_find(const struct otel_bases *b, const struct otel_set *set)
{
	size_t i = 0;
	while (i < b->n && b->set[i] != set)
		i++;
	return i;
}

void otel_bases_collect(struct otel_bases *b, const struct store *store)
{
	*b = (struct otel_bases){ 0 };
	for (size_t i = 0; i < store_trace_count(store); i++) {
		const struct otel_set *set = store_trace(store, i)->otel;
		if (!set || otel_bases_find(b, set) < b->n)
			continue;
		b->set = xrealloc_array(b->set, b->n + 1, sizeof *b->set);
		b->resource_base = xrealloc_array(b->resource_base, b->n + 1, sizeof *b->resource_base);
		b->scope_base = xrealloc_array(b->scope_base, b->n + 1, sizeof *b->scope_base);
		b->set[b->n] = set;
		b->resource_base[b->n] = b->nresources;
		b->scope_base[b->n] = b->nscopes;
		b->nresources += set->nresources;
		b->nscopes += set->nscopes;
		b->n++;
	}
}

void otel_bases_free(struct otel_bases *b)
{
	free(b->set);
	free(b->resource_base);
	free(b->scope_base);
	*b = (struct otel_bases){ 0 };
}

struct entry {
	uint32_t resource_rank, scope_rank, detail;
};

static int by_group_then_file(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;
	if (a->resource_rank != b->resource_rank)
		return a->resource_rank < b->resource_rank ? -1 : 1;
	if (a->scope_rank != b->scope_rank)
		return a->scope_rank < b->scope_rank ? -1 : 1;
	return (a->detail > b->detail) - (a->detail < b->detail);
}

static int by_detail(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;
	return (a->detail > b->detail) - (a->detail < b->detail);
}

/* A rank per key in order of first sight: open addressing over cap slots
 * (a power of two above twice the keys), key + 1 stored, 0 empty. */
static uint32_t rank_of(uint64_t *slots, uint32_t *ranks, size_t cap, uint32_t key, uint32_t *next)
{
	size_t i = (key * 0x9e3779b97f4a7c15ull) >> 20 & (cap - 1);
	for (;; i = (i + 1) & (cap - 1)) {
		if (slots[i] == (uint64_t)key + 1)
			return ranks[i];
		if (!slots[i]) {
			slots[i] = (uint64_t)key + 1;
			ranks[i] = (*next)++;
			return ranks[i];
		}
	}
}

uint32_t *snapshot_foreign_order(const struct trace *t, size_t *n)
{
	*n = 0;
	if (!t->otel)
		return NULL;
	struct entry *e = xmalloc_array(t->nspans ? t->nspans : 1, sizeof *e);
	for (size_t k = 0; k < t->nspans; k++) {
		const struct otel_span *sp = otel_span_of(t->otel, &t->spans[k]);
		if (sp)
			e[(*n)++].detail = t->spans[k].u.foreign.detail;
	}
	if (*n == 0) {
		free(e);
		return NULL;
	}
	qsort(e, *n, sizeof *e, by_detail);
	size_t cap = 16;
	while (cap < 2 * *n)
		cap *= 2;
	uint64_t *slots = xcalloc(2 * cap, sizeof *slots);
	uint32_t *ranks = xmalloc_array(2 * cap, sizeof *ranks);
	uint32_t next_scope = 0, next_resource = 0;
	for (size_t i = 0; i < *n; i++) {
		const struct otel_span *sp = &t->otel->spans[e[i].detail];
		const struct otel_scope *sc = otel_span_scope(t->otel, sp);
		e[i].scope_rank = rank_of(slots, ranks, cap, sp->scope, &next_scope);
		e[i].resource_rank =
		    rank_of(slots + cap, ranks + cap, cap, sc ? sc->resource : UINT32_MAX - 1, &next_resource);
	}
	free(slots);
	free(ranks);
	qsort(e, *n, sizeof *e, by_group_then_file);
	uint32_t *order = xmalloc_array(*n, sizeof *order);
	for (size_t i = 0; i < *n; i++)
		order[i] = e[i].detail;
	free(e);
	return order;
}

/* ---- keys a list repeats -------------------------------------------------------- */

struct key_order {
	const struct otel_set *set;
	const struct otel_kv *kvs;
};

static int by_key_then_index(const void *pa, const void *pb, void *ctx)
{
	const struct key_order *o = ctx;
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	struct otel_str x = o->kvs[a].key, y = o->kvs[b].key;
	size_t n = x.len < y.len ? x.len : y.len;
	int c = memcmp(otel_text_of(o->set, x), otel_text_of(o->set, y), n);
	if (c || x.len != y.len)
		return c ? c : x.len < y.len ? -1 : 1;
	return (a > b) - (a < b);
}

static bool same_key(const struct key_order *o, uint32_t a, uint32_t b)
{
	struct otel_str x = o->kvs[a].key, y = o->kvs[b].key;
	return x.len == y.len && !memcmp(otel_text_of(o->set, x), otel_text_of(o->set, y), x.len);
}

uint32_t *snapshot_key_occurrences(const struct otel_set *set, struct otel_attrs a)
{
	if (a.count < 2)
		return NULL;
	struct key_order o = { set, &set->kvs[a.first] };
	uint32_t *idx = xmalloc_array(a.count, sizeof *idx);
	for (uint32_t i = 0; i < a.count; i++)
		idx[i] = i;
	qsort_r(idx, a.count, sizeof *idx, by_key_then_index, &o);
	uint32_t *occ = xmalloc_array(a.count, sizeof *occ);
	bool any = false;
	for (uint32_t i = 0; i < a.count; i++) {
		bool same = i > 0 && same_key(&o, idx[i - 1], idx[i]);
		occ[idx[i]] = same ? occ[idx[i - 1]] + 1 : 1;
		any |= same;
	}
	free(idx);
	if (!any) {
		free(occ);
		return NULL;
	}
	return occ;
}
