/*
 * critpath — Jaeger's critical path over a trace's span tree (see
 * critpath.h): children clipped to their parents, then walked back from the
 * root's end. Each span's children are sorted by clipped end, latest first,
 * with a cursor that only moves forward: the point a span is revisited at
 * only ever moves back in time, so the walk is O(n log n) even under a
 * parent of 10 000 queries, and iterative for deep traces.
 */
#include "obslab/critpath.h"

#include <stdlib.h>
#include <string.h>

#include "obslab/span.h"
#include "obslab/store.h"
#include "obslab/xalloc.h"

#define NONE SPANTREE_NONE

void critpath_init(struct critpath *cp)
{
	memset(cp, 0, sizeof *cp);
	spantree_init(&cp->tree);
}

void critpath_free(struct critpath *cp)
{
	free(cp->on_path);
	free(cp->sections);
	free(cp->parent);
	free(cp->children);
	free(cp->first);
	free(cp->cursor);
	free(cp->clip_start);
	free(cp->clip_end);
	spantree_free(&cp->tree);
	critpath_init(cp);
}

static void reserve(struct critpath *cp, size_t n)
{
	if (n <= cp->cap)
		return;
	cp->cap = n;
	cp->on_path = xrealloc_array(cp->on_path, n, sizeof *cp->on_path);
	cp->parent = xrealloc_array(cp->parent, n, sizeof *cp->parent);
	cp->children = xrealloc_array(cp->children, n, sizeof *cp->children);
	cp->first = xrealloc_array(cp->first, n + 1, sizeof *cp->first);
	cp->cursor = xrealloc_array(cp->cursor, n, sizeof *cp->cursor);
	cp->clip_start = xrealloc_array(cp->clip_start, n, sizeof *cp->clip_start);
	cp->clip_end = xrealloc_array(cp->clip_end, n, sizeof *cp->clip_end);
}

static void add_section(struct critpath *cp, uint32_t span, int64_t start, int64_t end)
{
	if (end <= start)
		return;
	if (cp->nsections == cp->sections_cap) {
		cp->sections_cap = cp->sections_cap ? cp->sections_cap * 2 : 64;
		cp->sections = xrealloc_array(cp->sections, cp->sections_cap, sizeof *cp->sections);
	}
	cp->sections[cp->nsections++] = (struct critpath_section){ span, start, end };
}

static int by_parent_then_latest_end(const void *a, const void *b)
{
	const struct critpath_child *x = a, *y = b;
	if (x->parent != y->parent)
		return x->parent < y->parent ? -1 : 1;
	if (x->end_ns != y->end_ns)
		return x->end_ns > y->end_ns ? -1 : 1;
	/* the same end: the later start waited less on the others */
	if (x->start_ns != y->start_ns)
		return x->start_ns > y->start_ns ? -1 : 1;
	return x->span < y->span ? -1 : x->span > y->span;
}

/* Parents, and each span's range clipped to its parent's (top down; a span
 * wholly outside its parent's range, and its subtree, gets parent NONE). */
static void clip_tree(struct critpath *cp, const struct trace *t)
{
	const struct spantree *tree = &cp->tree;
	size_t n = t->nspans;
	for (size_t i = 0; i < n; i++)
		cp->parent[i] = NONE;
	cp->clip_start[0] = t->spans[0].start_ns;
	cp->clip_end[0] = t->spans[0].end_ns > t->spans[0].start_ns ? t->spans[0].end_ns : t->spans[0].start_ns;
	/* depth first with an explicit stack (cursor as scratch) */
	size_t top = 0;
	cp->cursor[top++] = 0;
	while (top > 0) {
		uint32_t p = cp->cursor[--top];
		for (uint32_t c = tree->first_child[p]; c != NONE; c = tree->next_sibling[c]) {
			int64_t s = t->spans[c].start_ns, e = t->spans[c].end_ns;
			if (s < cp->clip_start[p])
				s = cp->clip_start[p];
			if (e > cp->clip_end[p])
				e = cp->clip_end[p];
			if (e < s || s >= cp->clip_end[p])
				continue; /* outside its parent: not waited on */
			cp->clip_start[c] = s;
			cp->clip_end[c] = e;
			cp->parent[c] = p;
			if (top < n)
				cp->cursor[top++] = c;
		}
	}
}

void critpath_compute(struct critpath *cp, const struct trace *t)
{
	cp->nsections = 0;
	cp->nspans_on_path = 0;
	if (!t || t->nspans == 0)
		return;
	size_t n = t->nspans;
	reserve(cp, n);
	memset(cp->on_path, 0, n * sizeof *cp->on_path);
	spantree_build(&cp->tree, t);
	clip_tree(cp, t);

	/* Children grouped by parent, latest clipped end first. */
	size_t m = 0;
	for (uint32_t i = 1; i < n; i++)
		if (cp->parent[i] != NONE)
			cp->children[m++] = (struct critpath_child){ cp->parent[i], i, cp->clip_start[i], cp->clip_end[i] };
	qsort(cp->children, m, sizeof *cp->children, by_parent_then_latest_end);
	for (size_t i = 0; i <= n; i++)
		cp->first[i] = (uint32_t)m;
	for (size_t k = m; k-- > 0;)
		cp->first[cp->children[k].parent] = (uint32_t)k;
	for (size_t i = 0; i < n; i++)
		cp->cursor[i] = cp->first[i];

	/* The walk: `cur` is waited on up to `point`. */
	uint32_t cur = 0;
	int64_t point = cp->clip_end[0];
	for (;;) {
		if (!cp->on_path[cur]) {
			cp->on_path[cur] = true;
			cp->nspans_on_path++;
		}
		/* The child that ended last at or before the point; one that ends
		 * later, or has no length there, never will be (the point only
		 * moves back). */
		uint32_t chosen = NONE;
		for (uint32_t k = cp->cursor[cur]; k < m && cp->children[k].parent == cur; k++) {
			uint32_t c = cp->children[k].span;
			cp->cursor[cur] = k + 1;
			if (cp->clip_end[c] <= point && cp->clip_start[c] < point) {
				chosen = c;
				break;
			}
		}
		if (chosen != NONE) {
			add_section(cp, cur, cp->clip_end[chosen], point);
			cur = chosen;
			point = cp->clip_end[chosen];
			continue;
		}
		add_section(cp, cur, cp->clip_start[cur], point);
		if (cur == 0)
			break;
		point = cp->clip_start[cur];
		cur = cp->parent[cur];
	}
}
