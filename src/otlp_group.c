/*
 * otlp_group — span references grouped for a request (otlp_internal.h):
 * one ResourceSpans per (set, resource), one ScopeSpans per (set, scope),
 * each in order of first appearance, the spans in the order given. Two
 * hash maps and counting; linear in the spans.
 */
#include <stdlib.h>

#include "obslab/otel.h"
#include "obslab/xalloc.h"
#include "otlp_internal.h"

struct slot {
	const struct otel_set *set;
	uint32_t index;
	uint32_t group_plus1; /* 0: empty */
};

struct map {
	struct slot *slots;
	size_t cap, n;
};

static size_t hash(const struct otel_set *set, uint32_t index, size_t cap)
{
	uint64_t h = (uint64_t)(uintptr_t)set ^ ((uint64_t)index * 0x9e3779b97f4a7c15ull);
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return (size_t)h & (cap - 1);
}

/* The group of (set, index), made next (*n) if new; *fresh says which. */
static uint32_t map_get(struct map *m, const struct otel_set *set, uint32_t index, size_t *n, bool *fresh)
{
	if ((m->n + 1) * 2 > m->cap) {
		struct map grown = { .cap = m->cap ? m->cap * 2 : 64, .n = m->n };
		grown.slots = xcalloc(grown.cap, sizeof *grown.slots);
		for (size_t i = 0; i < m->cap; i++)
			if (m->slots[i].group_plus1) {
				size_t s = hash(m->slots[i].set, m->slots[i].index, grown.cap);
				while (grown.slots[s].group_plus1)
					s = (s + 1) & (grown.cap - 1);
				grown.slots[s] = m->slots[i];
			}
		free(m->slots);
		*m = grown;
	}
	size_t s = hash(set, index, m->cap);
	for (; m->slots[s].group_plus1; s = (s + 1) & (m->cap - 1))
		if (m->slots[s].set == set && m->slots[s].index == index) {
			*fresh = false;
			return m->slots[s].group_plus1 - 1;
		}
	m->slots[s] = (struct slot){ set, index, (uint32_t)(*n + 1) };
	m->n++;
	*fresh = true;
	return (uint32_t)(*n)++;
}

void otlp_group(const struct otlp_span_ref *spans, size_t n, struct otlp_grouping *g)
{
	*g = (struct otlp_grouping){ 0 };
	struct map rmap = { 0 }, smap = { 0 };
	uint32_t *scope_of = xmalloc_array(n, sizeof *scope_of); /* each span's scope group, as first seen */
	struct first_seen {
		uint32_t scope, resource_group;
		size_t nspans;
	} *seen = xmalloc_array(n, sizeof *seen);
	g->resources = xmalloc_array(n, sizeof *g->resources);
	for (size_t i = 0; i < n; i++) {
		const struct otel_set *set = spans[i].set;
		uint32_t scope = set->spans[spans[i].span].scope;
		bool fresh;
		uint32_t sg = map_get(&smap, set, scope, &g->nscopes, &fresh);
		if (fresh) {
			uint32_t resource = set->scopes[scope].resource;
			bool rfresh;
			uint32_t rg = map_get(&rmap, set, resource, &g->nresources, &rfresh);
			if (rfresh)
				g->resources[rg] = (struct otlp_group_resource){ .set = set, .resource = resource };
			g->resources[rg].nscopes++;
			seen[sg] = (struct first_seen){ .scope = scope, .resource_group = rg };
		}
		seen[sg].nspans++;
		scope_of[i] = sg;
	}
	/* Scope groups laid out by resource group, each in order of first sight. */
	size_t at = 0;
	for (size_t r = 0; r < g->nresources; r++) {
		g->resources[r].first_scope = at;
		at += g->resources[r].nscopes;
		g->resources[r].nscopes = 0; /* counted again as they are placed */
	}
	size_t *pos = xmalloc_array(g->nscopes ? g->nscopes : 1, sizeof *pos);
	g->scopes = xmalloc_array(g->nscopes ? g->nscopes : 1, sizeof *g->scopes);
	for (size_t sg = 0; sg < g->nscopes; sg++) {
		struct otlp_group_resource *gr = &g->resources[seen[sg].resource_group];
		pos[sg] = gr->first_scope + gr->nscopes++;
		g->scopes[pos[sg]] = (struct otlp_group_scope){ .scope = seen[sg].scope, .nspans = seen[sg].nspans };
	}
	at = 0;
	for (size_t s = 0; s < g->nscopes; s++) {
		g->scopes[s].first_span = at;
		at += g->scopes[s].nspans;
		g->scopes[s].nspans = 0;
	}
	g->order = xmalloc_array(n ? n : 1, sizeof *g->order);
	for (size_t i = 0; i < n; i++) {
		struct otlp_group_scope *gs = &g->scopes[pos[scope_of[i]]];
		g->order[gs->first_span + gs->nspans++] = i;
	}
	free(pos);
	free(seen);
	free(scope_of);
	free(rmap.slots);
	free(smap.slots);
}

void otlp_grouping_free(struct otlp_grouping *g)
{
	free(g->resources);
	free(g->scopes);
	free(g->order);
	*g = (struct otlp_grouping){ 0 };
}
