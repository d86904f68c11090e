/*
 * tracediff — two span trees aligned by the path of names (see
 * tracediff.h). Each pair of matched parents has its children cut into
 * runs of one key; the runs of both sides are sorted by (key, position),
 * paired in order per key, and merged back in A's order with B's own runs
 * where B has them. The aligned entries go on an explicit stack, so a
 * matched span's children follow its row (depth first) without recursion.
 */
#include "obslab/tracediff.h"

#include <stdlib.h>
#include <string.h>

#include "obslab/span.h"
#include "obslab/store.h"
#include "obslab/waterfall.h"
#include "obslab/xalloc.h"

/* A run of siblings with one key on each side (an aligned entry), or, while
 * children are cut, a run on one side. */
struct tracediff_item {
	uint64_t key;
	uint32_t first[2], count[2], below[2];
	int64_t ns[2];
	uint32_t pos, match; /* while aligning: place in its list, the other list's match or NONE */
	uint16_t depth;
	bool group;
};

void tracediff_init(struct tracediff *d)
{
	memset(d, 0, sizeof *d);
	spantree_init(&d->tree[0]);
	spantree_init(&d->tree[1]);
}

void tracediff_free(struct tracediff *d)
{
	free(d->rows);
	free(d->stack);
	free(d->items[0]);
	free(d->items[1]);
	free(d->size[0]);
	free(d->size[1]);
	free(d->order);
	spantree_free(&d->tree[0]);
	spantree_free(&d->tree[1]);
	tracediff_init(d);
}

static uint64_t key_of(const struct span_record *s)
{
	return (uint64_t)s->name << 1 | (s->flags & SPAN_F_DB ? 1u : 0u);
}

static void push(struct tracediff *d, const struct tracediff_item *e, size_t *n)
{
	if (*n == d->stack_cap) {
		d->stack_cap = d->stack_cap ? 2 * d->stack_cap : 64;
		d->stack = xrealloc_array(d->stack, d->stack_cap, sizeof *d->stack);
	}
	d->stack[(*n)++] = *e;
}

/* Cuts the children of parent (a span index of side `side`, or NONE) into
 * runs of one key, in start order; returns how many. */
static size_t cut_runs(struct tracediff *d, int side, const struct trace *t, uint32_t parent)
{
	size_t n = 0;
	if (parent == TRACEDIFF_NONE)
		return 0;
	const struct spantree *tree = &d->tree[side];
	for (uint32_t c = tree->first_child[parent]; c != SPANTREE_NONE;) {
		if (n == d->items_cap[side]) {
			d->items_cap[side] = d->items_cap[side] ? 2 * d->items_cap[side] : 64;
			/* twice: the upper half is unsort's scratch */
			d->items[side] = xrealloc_array(d->items[side], 2 * d->items_cap[side], sizeof *d->items[side]);
		}
		struct tracediff_item *it = &d->items[side][n];
		memset(it, 0, sizeof *it);
		it->key = key_of(&t->spans[c]);
		it->first[side] = c;
		it->first[!side] = TRACEDIFF_NONE;
		it->pos = (uint32_t)n;
		it->match = TRACEDIFF_NONE;
		while (c != SPANTREE_NONE && key_of(&t->spans[c]) == it->key) {
			it->count[side]++;
			it->below[side] += d->size[side][c] - 1;
			it->ns[side] += span_duration_ns(&t->spans[c]);
			c = tree->next_sibling[c];
		}
		n++;
	}
	return n;
}

static int by_key_then_pos(const void *x, const void *y)
{
	const struct tracediff_item *a = x, *b = y;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* Puts items sorted by key back in their places (pos), through the
 * scratch half of their array. */
static void unsort(struct tracediff_item *items, size_t n)
{
	if (!n)
		return; /* items may be NULL */
	struct tracediff_item *spare = items + n;
	for (size_t i = 0; i < n; i++)
		spare[items[i].pos] = items[i];
	memcpy(items, spare, n * sizeof *items);
}

/* Pairs the k-th run of a key in A with the k-th in B. */
static void match_runs(struct tracediff_item *ia, size_t na, struct tracediff_item *ib, size_t nb)
{
	if (!na || !nb)
		return; /* nothing to pair (and either may be NULL) */
	qsort(ia, na, sizeof *ia, by_key_then_pos);
	qsort(ib, nb, sizeof *ib, by_key_then_pos);
	for (size_t i = 0, j = 0; i < na && j < nb;) {
		if (ia[i].key < ib[j].key) {
			i++;
		} else if (ia[i].key > ib[j].key) {
			j++;
		} else {
			ia[i].match = ib[j].pos;
			ib[j].match = ia[i].pos;
			i++, j++;
		}
	}
	unsort(ia, na);
	unsort(ib, nb);
}

/* The aligned entries of one run (both sides, or one): a group entry, or
 * one entry per span, the k-th of A with the k-th of B. */
static void emit_run(struct tracediff *d, size_t *n, const struct tracediff_item *a, const struct tracediff_item *b,
                     uint16_t depth)
{
	uint32_t ca = a ? a->count[0] : 0, cb = b ? b->count[1] : 0;
	struct tracediff_item e = { .depth = depth, .first = { TRACEDIFF_NONE, TRACEDIFF_NONE },
	                            .match = TRACEDIFF_NONE };
	if (ca >= WATERFALL_MIN_GROUP || cb >= WATERFALL_MIN_GROUP) {
		e.group = true;
		if (a)
			e.first[0] = a->first[0], e.count[0] = ca, e.ns[0] = a->ns[0], e.below[0] = a->below[0];
		if (b)
			e.first[1] = b->first[1], e.count[1] = cb, e.ns[1] = b->ns[1], e.below[1] = b->below[1];
		push(d, &e, n);
		return;
	}
	uint32_t sa = a ? a->first[0] : SPANTREE_NONE, sb = b ? b->first[1] : SPANTREE_NONE;
	for (uint32_t k = 0; k < ca || k < cb; k++) {
		e.first[0] = k < ca ? sa : TRACEDIFF_NONE;
		e.first[1] = k < cb ? sb : TRACEDIFF_NONE;
		e.count[0] = k < ca, e.count[1] = k < cb;
		push(d, &e, n);
		if (k < ca)
			sa = d->tree[0].next_sibling[sa];
		if (k < cb)
			sb = d->tree[1].next_sibling[sb];
	}
}

/* Pushes the aligned children of (pa, pb) so that they pop in order: A's
 * order, B's unmatched runs where B has them. */
static void push_children(struct tracediff *d, size_t *n, const struct trace *ta, uint32_t pa,
                          const struct trace *tb, uint32_t pb, uint16_t depth)
{
	size_t na = cut_runs(d, 0, ta, pa), nb = cut_runs(d, 1, tb, pb);
	struct tracediff_item *ia = d->items[0], *ib = d->items[1];
	match_runs(ia, na, ib, nb);
	size_t from = *n, j = 0;
	for (size_t i = 0; i < na; i++) {
		if (ia[i].match == TRACEDIFF_NONE) {
			emit_run(d, n, &ia[i], NULL, depth);
			continue;
		}
		for (; j < ia[i].match; j++) {
			if (ib[j].match == TRACEDIFF_NONE)
				emit_run(d, n, NULL, &ib[j], depth);
		}
		if (j == ia[i].match)
			j++; /* (a match behind j crossed another: it goes with its A run all the same) */
		emit_run(d, n, &ia[i], &ib[ia[i].match], depth);
	}
	for (; j < nb; j++) {
		if (ib[j].match == TRACEDIFF_NONE)
			emit_run(d, n, NULL, &ib[j], depth);
	}
	for (size_t lo = from, hi = *n; lo + 1 < hi; lo++, hi--) { /* pop in order */
		struct tracediff_item tmp = d->stack[lo];
		d->stack[lo] = d->stack[hi - 1];
		d->stack[hi - 1] = tmp;
	}
}

static void add_row(struct tracediff *d, const struct tracediff_item *e)
{
	if (d->nrows == d->rows_cap) {
		d->rows_cap = d->rows_cap ? 2 * d->rows_cap : 64;
		d->rows = xrealloc_array(d->rows, d->rows_cap, sizeof *d->rows);
	}
	struct tracediff_row *r = &d->rows[d->nrows++];
	r->status = e->count[0] && e->count[1] ? TRACEDIFF_BOTH : e->count[0] ? TRACEDIFF_MISSING : TRACEDIFF_ADDED;
	r->group = e->group;
	r->depth = e->depth;
	r->span_a = e->first[0];
	r->span_b = e->first[1];
	r->count_a = e->count[0];
	r->count_b = e->count[1];
	r->ns_a = e->ns[0];
	r->ns_b = e->ns[1];
	r->below_a = e->below[0];
	r->below_b = e->below[1];
	size_t na = (size_t)e->count[0] + e->below[0], nb = (size_t)e->count[1] + e->below[1];
	if (!e->group)
		na = e->count[0], nb = e->count[1]; /* what is below comes in rows of its own */
	if (na > nb)
		d->missing += na - nb;
	else
		d->added += nb - na;
}

/* size[i]: the spans of i's subtree (itself included), for the spans the
 * root reaches; a preorder walk, then its reverse adds each to its parent. */
static void subtree_sizes(struct tracediff *d, int side, const struct trace *t)
{
	size_t n = t ? t->nspans : 0;
	if (n > d->size_cap[side]) {
		d->size_cap[side] = n;
		d->size[side] = xrealloc_array(d->size[side], n, sizeof *d->size[side]);
	}
	if (n > d->order_cap) {
		d->order_cap = n;
		d->order = xrealloc_array(d->order, n, sizeof *d->order);
	}
	if (!n)
		return;
	const struct spantree *tree = &d->tree[side];
	uint32_t *size = d->size[side];
	size_t walked = 0;
	d->order[walked++] = 0; /* each span's children after it */
	for (size_t i = 0; i < walked; i++) {
		size[d->order[i]] = 1;
		for (uint32_t c = tree->first_child[d->order[i]]; c != SPANTREE_NONE; c = tree->next_sibling[c])
			d->order[walked++] = c;
	}
	for (size_t i = walked; i-- > 1;) {
		uint32_t s = d->order[i], p = spantree_find(tree, t->spans[s].parent_id);
		size[p == SPANTREE_NONE || p == s ? 0 : p] += size[s];
	}
}

void tracediff_build(struct tracediff *d, const struct trace *a, const struct trace *b)
{
	d->nrows = d->missing = d->added = 0;
	if (a && !a->nspans)
		a = NULL;
	if (b && !b->nspans)
		b = NULL;
	spantree_build(&d->tree[0], a);
	spantree_build(&d->tree[1], b);
	subtree_sizes(d, 0, a);
	subtree_sizes(d, 1, b);
	/* The roots, as the one child of a parent both sides share. */
	struct tracediff_item ra = { .first = { 0, TRACEDIFF_NONE }, .count = { 1, 0 }, .match = TRACEDIFF_NONE };
	struct tracediff_item rb = { .first = { TRACEDIFF_NONE, 0 }, .count = { 0, 1 }, .match = TRACEDIFF_NONE };
	size_t n = 0;
	if (a && b && key_of(&a->spans[0]) == key_of(&b->spans[0])) {
		emit_run(d, &n, &ra, &rb, 0);
	} else {
		if (b)
			emit_run(d, &n, NULL, &rb, 0);
		if (a)
			emit_run(d, &n, &ra, NULL, 0); /* popped first: A's root, then B's */
	}
	while (n > 0) {
		struct tracediff_item e = d->stack[--n];
		if (!e.group) {
			e.ns[0] = e.count[0] ? span_duration_ns(&a->spans[e.first[0]]) : 0;
			e.ns[1] = e.count[1] ? span_duration_ns(&b->spans[e.first[1]]) : 0;
		}
		add_row(d, &e);
		if (!e.group)
			push_children(d, &n, a, e.count[0] ? e.first[0] : TRACEDIFF_NONE, b,
			              e.count[1] ? e.first[1] : TRACEDIFF_NONE,
			              e.depth == UINT16_MAX ? UINT16_MAX : (uint16_t)(e.depth + 1));
	}
}
