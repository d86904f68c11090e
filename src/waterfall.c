/*
 * waterfall — a trace laid out as rows: depth-first over the span tree,
 * runs of same-named siblings folded into group rows unless expanded (an
 * expanded group's members with their subtrees; a folded one counting the
 * spans it hides), each row with its depth, span and group size.
 */
#include "obslab/waterfall.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/duration.h"
#include "obslab/otel.h"
#include "obslab/span.h"
#include "obslab/store.h"
#include "obslab/xalloc.h"

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
	spantree_init(&wf->tree);
}

void waterfall_free(struct waterfall *wf)
{
	free(wf->rows);
	free(wf->stack);
	free(wf->walk);
	spantree_free(&wf->tree);
	waterfall_init(wf);
}

static struct wf_row *add_row(struct waterfall *wf)
{
	if (wf->nrows == wf->rows_cap) {
		wf->rows_cap = wf->rows_cap ? wf->rows_cap * 2 : 64;
		wf->rows = xrealloc_array(wf->rows, wf->rows_cap, sizeof *wf->rows);
	}
	struct wf_row *row = &wf->rows[wf->nrows++];
	memset(row, 0, sizeof *row);
	return row;
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
	row->stand_in = waterfall_stand_in(t, &wf->tree, span);
	row->start_ns = s->start_ns;
	row->end_ns = s->end_ns;
	row->busy_ns = row->summed_ns = span_duration_ns(s);
}

enum wf_stand_in waterfall_stand_in(const struct trace *t, const struct spantree *tree, uint32_t span)
{
	const struct span_record *s = &t->spans[span];
	if (!(s->flags & SPAN_F_PLACEHOLDER))
		return WF_REAL;
	if (span == 0 && s->parent_id == 0)
		return WF_MISSING_ROOT;
	/* A cut loop's earliest span hangs under it, marked as in a cycle. */
	for (uint32_t c = tree->first_child[span]; c != SPANTREE_NONE; c = tree->next_sibling[c]) {
		const struct otel_span *sp = otel_span_of(t->otel, &t->spans[c]);
		if (sp && (sp->marks & OTEL_MARK_CYCLE))
			return WF_CYCLE_CUT;
	}
	return WF_MISSING_PARENT;
}

/* From sibling on, how many consecutive siblings are one group: the same
 * query (name, kind, database flag, as spantree_run) standing for the same
 * thing, so "missing parent ×5" never holds a cut cycle. */
static uint32_t group_run(const struct waterfall *wf, const struct trace *t, uint32_t sibling)
{
	const struct spantree *tree = &wf->tree;
	const struct span_record *a = &t->spans[sibling];
	enum wf_stand_in what = waterfall_stand_in(t, tree, sibling);
	uint32_t n = 1;
	for (uint32_t c = tree->next_sibling[sibling]; c != SPANTREE_NONE; c = tree->next_sibling[c], n++) {
		const struct span_record *b = &t->spans[c];
		if (a->name != b->name || a->kind != b->kind || (a->flags & SPAN_F_DB) != (b->flags & SPAN_F_DB) ||
		    (a->flags & SPAN_F_PLACEHOLDER) != (b->flags & SPAN_F_PLACEHOLDER) ||
		    waterfall_stand_in(t, tree, c) != what)
			break;
	}
	return n;
}

/* Spans under the run of count siblings from first (not counting them). */
static uint32_t descendants(struct waterfall *wf, uint32_t first, uint32_t count)
{
	const struct spantree *tree = &wf->tree;
	uint32_t n = 0;
	size_t top = 0;
	for (uint32_t c = first, k = 0; k < count; k++, c = tree->next_sibling[c]) {
		if (tree->first_child[c] == SPANTREE_NONE)
			continue;
		wf->walk[top++] = tree->first_child[c];
		while (top > 0) { /* each entry: a span, then its later siblings */
			uint32_t x = wf->walk[--top];
			n++;
			if (tree->next_sibling[x] != SPANTREE_NONE)
				wf->walk[top++] = tree->next_sibling[x];
			if (tree->first_child[x] != SPANTREE_NONE)
				wf->walk[top++] = tree->first_child[x];
			assert(top <= wf->walk_cap);
		}
	}
	return n;
}

static void push(struct waterfall *wf, size_t *top, uint32_t next, uint32_t left)
{
	assert(*top < wf->stack_cap);
	wf->stack[(*top)++] = (struct wf_frame){ next, left };
}

/* A group row for the run of count siblings from child at depth; its
 * members' frame is pushed when it is expanded. */
static void add_group(struct waterfall *wf, const struct trace *t, const struct wf_folds *folds, size_t *top,
                      uint32_t child, uint32_t count, uint16_t depth, bool last)
{
	const struct spantree *tree = &wf->tree;
	enum wf_fold fold = wf_folds_get(folds, t->spans[child].name);
	struct wf_row *g = add_row(wf);
	g->kind = WF_ROW_GROUP;
	g->depth = depth;
	g->span = child;
	g->count = count;
	g->last_sibling = last;
	g->stand_in = waterfall_stand_in(t, tree, child);
	g->expanded = fold == WF_FOLD_OPEN || (fold == WF_FOLD_AUTO && count <= WATERFALL_AUTO_EXPAND);
	g->start_ns = t->spans[child].start_ns;
	g->end_ns = t->spans[child].end_ns;
	struct duration_union busy = { 0 }; /* siblings come in order of their starts */
	for (uint32_t c = child, k = 0; k < count; k++, c = tree->next_sibling[c]) {
		const struct span_record *s = &t->spans[c];
		if (s->end_ns > g->end_ns)
			g->end_ns = s->end_ns;
		g->summed_ns = duration_add(g->summed_ns, span_duration_ns(s));
		duration_union_add(&busy, s->start_ns, s->end_ns);
	}
	g->busy_ns = duration_union_total(&busy);
	if (g->expanded)
		push(wf, top, child, count);
	else
		g->hidden = descendants(wf, child, count);
}

void waterfall_build(struct waterfall *wf, const struct trace *t, const struct wf_folds *folds)
{
	wf->nrows = 0;
	wf->end_ns = 0;
	if (!t || t->nspans == 0)
		return;
	size_t n = t->nspans;
	/* A frame per level and one per expanded group on the path: 2n at most. */
	if (2 * n + 2 > wf->stack_cap) {
		wf->stack_cap = 2 * n + 2;
		wf->stack = xrealloc_array(wf->stack, wf->stack_cap, sizeof *wf->stack);
	}
	if (n > wf->walk_cap) {
		wf->walk_cap = n;
		wf->walk = xrealloc_array(wf->walk, n, sizeof *wf->walk);
	}
	spantree_build(&wf->tree, t);
	const struct spantree *tree = &wf->tree;
	wf->end_ns = t->spans[0].end_ns;
	for (size_t i = 0; i < n; i++) {
		if (t->spans[i].end_ns > wf->end_ns)
			wf->end_ns = t->spans[i].end_ns;
	}

	/* Depth first, with an explicit stack of frames (a trace from a file
	 * may be deep): the next sibling to visit at each level, or the next
	 * member of an expanded group. A row's depth is the stack's height. */
	size_t top = 0;
	add_span_row(wf, t, 0, 0, true);
	if (tree->first_child[0] != SPANTREE_NONE)
		push(wf, &top, tree->first_child[0], UINT32_MAX);
	while (top > 0) {
		struct wf_frame *f = &wf->stack[top - 1];
		uint32_t child = f->next;
		if (child == SPANTREE_NONE || f->left == 0) {
			top--;
			continue;
		}
		uint16_t depth = (uint16_t)(top > UINT16_MAX ? UINT16_MAX : top);
		bool member = f->left != UINT32_MAX;
		uint32_t run = member ? 1 : group_run(wf, t, child);
		if (run >= WATERFALL_MIN_GROUP) {
			uint32_t last = child;
			for (uint32_t k = 1; k < run; k++)
				last = tree->next_sibling[last];
			f->next = tree->next_sibling[last];
			add_group(wf, t, folds, &top, child, run, depth, f->next == SPANTREE_NONE);
			continue;
		}
		f->next = tree->next_sibling[child];
		if (member)
			f->left--;
		add_span_row(wf, t, child, depth, member ? f->left == 0 : f->next == SPANTREE_NONE);
		if (tree->first_child[child] != SPANTREE_NONE)
			push(wf, &top, tree->first_child[child], UINT32_MAX);
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
