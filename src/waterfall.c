#include "obslab/waterfall.h"

#include <stdlib.h>
#include <string.h>

#include "obslab/store.h"

#define NONE UINT32_MAX

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		abort(); /* out of memory: the one error not handed back */
	return q;
}

void wf_folds_set(struct wf_folds *f, uint32_t name, enum wf_fold fold)
{
	for (size_t i = 0; i < f->n; i++) {
		if (f->entry[i].name == name) {
			f->entry[i].fold = fold;
			return;
		}
	}
	if (f->n == WATERFALL_MAX_FOLDS) /* forget the oldest choice */
		memmove(&f->entry[0], &f->entry[1], (--f->n) * sizeof f->entry[0]);
	f->entry[f->n].name = name;
	f->entry[f->n].fold = fold;
	f->n++;
}

enum wf_fold wf_folds_get(const struct wf_folds *f, uint32_t name)
{
	for (size_t i = 0; f && i < f->n; i++) {
		if (f->entry[i].name == name)
			return f->entry[i].fold;
	}
	return WF_FOLD_AUTO;
}

void waterfall_init(struct waterfall *wf)
{
	memset(wf, 0, sizeof *wf);
}

void waterfall_free(struct waterfall *wf)
{
	free(wf->rows);
	free(wf->first_child);
	free(wf->last_child);
	free(wf->next_sibling);
	free(wf->stack);
	free(wf->slot_key);
	free(wf->slot_val);
	waterfall_init(wf);
}

static void reserve(struct waterfall *wf, size_t n)
{
	if (n > wf->cap) {
		wf->cap = n;
		wf->first_child = xrealloc(wf->first_child, n * sizeof *wf->first_child);
		wf->last_child = xrealloc(wf->last_child, n * sizeof *wf->last_child);
		wf->next_sibling = xrealloc(wf->next_sibling, n * sizeof *wf->next_sibling);
		wf->stack = xrealloc(wf->stack, n * sizeof *wf->stack);
	}
	size_t slots = 16;
	while (slots < 2 * n)
		slots *= 2;
	if (slots > wf->nslots) {
		wf->nslots = slots;
		wf->slot_key = xrealloc(wf->slot_key, slots * sizeof *wf->slot_key);
		wf->slot_val = xrealloc(wf->slot_val, slots * sizeof *wf->slot_val);
	}
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	return x ^ (x >> 33);
}

/* span id -> index, in an open-addressed table (ids are random and nonzero). */
static void index_spans(struct waterfall *wf, const struct trace *t)
{
	size_t mask = wf->nslots - 1;
	memset(wf->slot_key, 0, wf->nslots * sizeof *wf->slot_key);
	for (size_t i = 0; i < t->nspans; i++) {
		size_t j = mix(t->spans[i].span_id) & mask;
		while (wf->slot_key[j] && wf->slot_key[j] != t->spans[i].span_id)
			j = (j + 1) & mask;
		wf->slot_key[j] = t->spans[i].span_id;
		wf->slot_val[j] = (uint32_t)i;
	}
}

static uint32_t lookup(const struct waterfall *wf, uint64_t id)
{
	size_t mask = wf->nslots - 1;
	for (size_t j = mix(id) & mask; id && wf->slot_key[j]; j = (j + 1) & mask) {
		if (wf->slot_key[j] == id)
			return wf->slot_val[j];
	}
	return NONE;
}

static struct wf_row *add_row(struct waterfall *wf)
{
	if (wf->nrows == wf->rows_cap) {
		wf->rows_cap = wf->rows_cap ? wf->rows_cap * 2 : 64;
		wf->rows = xrealloc(wf->rows, wf->rows_cap * sizeof *wf->rows);
	}
	struct wf_row *row = &wf->rows[wf->nrows++];
	memset(row, 0, sizeof *row);
	return row;
}

static bool same_kind(const struct span_record *a, const struct span_record *b)
{
	return a->name == b->name && a->kind == b->kind && (a->flags & SPAN_F_DB) == (b->flags & SPAN_F_DB);
}

/* How many siblings from child on share its name and kind. */
static uint32_t run_length(const struct waterfall *wf, const struct trace *t, uint32_t child)
{
	uint32_t n = 1;
	for (uint32_t c = wf->next_sibling[child]; c != NONE && same_kind(&t->spans[child], &t->spans[c]);
	     c = wf->next_sibling[c])
		n++;
	return n;
}

static void add_span_row(struct waterfall *wf, const struct trace *t, uint32_t span, uint16_t depth,
                         bool last)
{
	struct wf_row *row = add_row(wf);
	const struct span_record *s = &t->spans[span];
	row->kind = WF_ROW_SPAN;
	row->depth = depth;
	row->span = span;
	row->count = 1;
	row->last_sibling = last;
	row->start_ns = s->start_ns;
	row->end_ns = s->end_ns;
	row->busy_ns = s->end_ns - s->start_ns;
}

void waterfall_build(struct waterfall *wf, const struct trace *t, const struct wf_folds *folds)
{
	wf->nrows = 0;
	if (!t || t->nspans == 0)
		return;
	size_t n = t->nspans;
	reserve(wf, n);
	index_spans(wf, t);
	for (size_t i = 0; i < n; i++)
		wf->first_child[i] = wf->last_child[i] = wf->next_sibling[i] = NONE;
	/* Spans are in start order, so appending keeps every child list in order.
	 * A span whose parent is not in the trace hangs from the root. */
	for (uint32_t i = 1; i < n; i++) {
		uint32_t p = lookup(wf, t->spans[i].parent_id);
		if (p == NONE || p == i)
			p = 0;
		if (wf->last_child[p] == NONE)
			wf->first_child[p] = i;
		else
			wf->next_sibling[wf->last_child[p]] = i;
		wf->last_child[p] = i;
	}

	/* Depth first, with an explicit stack of the next sibling to visit at
	 * each level (a trace from a file may be deep). */
	size_t top = 0;
	add_span_row(wf, t, 0, 0, true);
	if (wf->first_child[0] != NONE)
		wf->stack[top++] = wf->first_child[0];
	while (top > 0) {
		uint32_t child = wf->stack[top - 1];
		if (child == NONE) {
			top--;
			continue;
		}
		uint16_t depth = (uint16_t)(top > UINT16_MAX ? UINT16_MAX : top);
		uint32_t run = run_length(wf, t, child);
		if (run >= WATERFALL_MIN_GROUP) {
			uint32_t last = child;
			for (uint32_t k = 1; k < run; k++)
				last = wf->next_sibling[last];
			struct wf_row *g = add_row(wf);
			enum wf_fold fold = wf_folds_get(folds, t->spans[child].name);
			g->kind = WF_ROW_GROUP;
			g->depth = depth;
			g->span = child;
			g->count = run;
			g->last_sibling = wf->next_sibling[last] == NONE;
			g->expanded = fold == WF_FOLD_OPEN || (fold == WF_FOLD_AUTO && run <= WATERFALL_AUTO_EXPAND);
			g->start_ns = t->spans[child].start_ns;
			g->end_ns = t->spans[child].end_ns;
			size_t gi = wf->nrows - 1;
			for (uint32_t c = child, k = 0; k < run; k++, c = wf->next_sibling[c]) {
				const struct span_record *s = &t->spans[c];
				if (s->end_ns > wf->rows[gi].end_ns)
					wf->rows[gi].end_ns = s->end_ns;
				wf->rows[gi].busy_ns += s->end_ns - s->start_ns;
				if (wf->rows[gi].expanded)
					add_span_row(wf, t, c, (uint16_t)(depth + 1), k + 1 == run);
			}
			/* Members' own children are not shown under a group. */
			wf->stack[top - 1] = wf->next_sibling[last];
			continue;
		}
		add_span_row(wf, t, child, depth, wf->next_sibling[child] == NONE);
		wf->stack[top - 1] = wf->next_sibling[child];
		if (wf->first_child[child] != NONE)
			wf->stack[top++] = wf->first_child[child];
	}
}

size_t waterfall_find_span(const struct waterfall *wf, uint32_t span_index)
{
	for (size_t i = 0; i < wf->nrows; i++) {
		if (wf->rows[i].span == span_index)
			return i;
	}
	return wf->nrows;
}
