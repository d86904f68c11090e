/*
 * waterfall — a trace laid out as rows: depth-first over the span tree,
 * runs of same-named siblings folded into group rows unless expanded, each
 * row with its depth, span and group size.
 */
#include "obslab/waterfall.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/duration.h"
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
	row->start_ns = s->start_ns;
	row->end_ns = s->end_ns;
	row->busy_ns = span_duration_ns(s);
}

void waterfall_build(struct waterfall *wf, const struct trace *t, const struct wf_folds *folds)
{
	wf->nrows = 0;
	if (!t || t->nspans == 0)
		return;
	size_t n = t->nspans;
	if (n > wf->stack_cap) {
		wf->stack_cap = n;
		wf->stack = xrealloc_array(wf->stack, n, sizeof *wf->stack);
	}
	spantree_build(&wf->tree, t);
	const struct spantree *tree = &wf->tree;

	/* Depth first, with an explicit stack of the next sibling to visit at
	 * each level (a trace from a file may be deep). */
	size_t top = 0;
	add_span_row(wf, t, 0, 0, true);
	if (tree->first_child[0] != SPANTREE_NONE)
		wf->stack[top++] = tree->first_child[0];
	while (top > 0) {
		uint32_t child = wf->stack[top - 1];
		if (child == SPANTREE_NONE) {
			top--;
			continue;
		}
		uint16_t depth = (uint16_t)(top > UINT16_MAX ? UINT16_MAX : top);
		uint32_t run = spantree_run(tree, t, child);
		if (run >= WATERFALL_MIN_GROUP) {
			uint32_t last = child;
			for (uint32_t k = 1; k < run; k++)
				last = tree->next_sibling[last];
			struct wf_row *g = add_row(wf);
			enum wf_fold fold = wf_folds_get(folds, t->spans[child].name);
			g->kind = WF_ROW_GROUP;
			g->depth = depth;
			g->span = child;
			g->count = run;
			g->last_sibling = tree->next_sibling[last] == SPANTREE_NONE;
			g->expanded = fold == WF_FOLD_OPEN || (fold == WF_FOLD_AUTO && run <= WATERFALL_AUTO_EXPAND);
			g->start_ns = t->spans[child].start_ns;
			g->end_ns = t->spans[child].end_ns;
			size_t gi = wf->nrows - 1;
			for (uint32_t c = child, k = 0; k < run; k++, c = tree->next_sibling[c]) {
				const struct span_record *s = &t->spans[c];
				if (s->end_ns > wf->rows[gi].end_ns)
					wf->rows[gi].end_ns = s->end_ns;
				wf->rows[gi].busy_ns = duration_add(wf->rows[gi].busy_ns, span_duration_ns(s));
				if (wf->rows[gi].expanded)
					add_span_row(wf, t, c, (uint16_t)(depth + 1), k + 1 == run);
			}
			/* Members' own children are not shown under a group. */
			wf->stack[top - 1] = tree->next_sibling[last];
			continue;
		}
		add_span_row(wf, t, child, depth, tree->next_sibling[child] == SPANTREE_NONE);
		wf->stack[top - 1] = tree->next_sibling[child];
		if (tree->first_child[child] != SPANTREE_NONE) {
			assert(top < wf->stack_cap); /* one entry a level, a level a span at most */
			wf->stack[top++] = tree->first_child[child];
		}
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
