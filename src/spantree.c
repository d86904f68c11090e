/*
 * spantree — the parent/child index of one trace: span ids hashed to
 * indices, then first-child/next-sibling links in start order, with
 * arrays kept and reused across builds.
 */
#include "obslab/spantree.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/span.h"
#include "obslab/store.h"
#include "obslab/xalloc.h"

void spantree_init(struct spantree *tree)
{
	memset(tree, 0, sizeof *tree);
}

void spantree_free(struct spantree *tree)
{
	free(tree->first_child);
	free(tree->last_child);
	free(tree->next_sibling);
	free(tree->slot_key);
	free(tree->slot_val);
	spantree_init(tree);
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	return x ^ (x >> 33);
}

static void reserve(struct spantree *tree, size_t n)
{
	if (n > tree->cap) {
		tree->cap = n;
		tree->first_child = xrealloc_array(tree->first_child, n, sizeof *tree->first_child);
		tree->last_child = xrealloc_array(tree->last_child, n, sizeof *tree->last_child);
		tree->next_sibling = xrealloc_array(tree->next_sibling, n, sizeof *tree->next_sibling);
	}
	size_t slots = 16;
	while (slots < 2 * n)
		slots *= 2;
	if (slots > tree->nslots) {
		tree->nslots = slots;
		tree->slot_key = xrealloc_array(tree->slot_key, slots, sizeof *tree->slot_key);
		tree->slot_val = xrealloc_array(tree->slot_val, slots, sizeof *tree->slot_val);
	}
}

uint32_t spantree_find(const struct spantree *tree, uint64_t span_id)
{
	size_t mask = tree->nslots - 1;
	for (size_t j = mix(span_id) & mask; span_id && tree->nslots && tree->slot_key[j]; j = (j + 1) & mask) {
		if (tree->slot_key[j] == span_id)
			return tree->slot_val[j];
	}
	return SPANTREE_NONE;
}

void spantree_build(struct spantree *tree, const struct trace *t)
{
	size_t n = t ? t->nspans : 0;
	reserve(tree, n);
	size_t mask = tree->nslots - 1;
	assert((tree->nslots & mask) == 0 && tree->nslots >= 2 * n); /* a probe ends */
	memset(tree->slot_key, 0, tree->nslots * sizeof *tree->slot_key);
	for (size_t i = 0; i < n; i++) {
		uint64_t id = t->spans[i].span_id;
		size_t j = mix(id) & mask;
		while (tree->slot_key[j] && tree->slot_key[j] != id)
			j = (j + 1) & mask;
		tree->slot_key[j] = id;
		tree->slot_val[j] = (uint32_t)i;
		tree->first_child[i] = tree->last_child[i] = tree->next_sibling[i] = SPANTREE_NONE;
	}
	for (uint32_t i = 1; i < n; i++) {
		uint32_t p = spantree_find(tree, t->spans[i].parent_id);
		if (p == SPANTREE_NONE || p == i)
			p = 0;
		assert(p < n);
		if (tree->last_child[p] == SPANTREE_NONE)
			tree->first_child[p] = i;
		else
			tree->next_sibling[tree->last_child[p]] = i;
		tree->last_child[p] = i;
	}
}

static int same_query(const struct span_record *a, const struct span_record *b)
{
	return a->name == b->name && a->kind == b->kind && (a->flags & SPAN_F_DB) == (b->flags & SPAN_F_DB);
}

uint32_t spantree_run(const struct spantree *tree, const struct trace *t, uint32_t sibling)
{
	uint32_t n = 1;
	for (uint32_t c = tree->next_sibling[sibling]; c != SPANTREE_NONE && same_query(&t->spans[sibling], &t->spans[c]);
	     c = tree->next_sibling[c])
		n++;
	return n;
}
