/*
 * comparison — measured requests grouped by (users, strategy), each cell an
 * attribution series, and the rows the comparison table prints: medians,
 * the median share of time in the database, speedup against naive.
 */
#include "obslab/comparison.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/analysis.h"
#include "obslab/duration.h"
#include "obslab/span.h"
#include "obslab/store.h"
#include "obslab/xalloc.h"

void comparison_init(struct comparison *c)
{
	memset(c, 0, sizeof *c);
}

void comparison_clear(struct comparison *c)
{
	for (size_t i = 0; i < c->ncells; i++)
		attribution_series_free(&c->cell[i].requests);
	comparison_init(c);
}

static struct comparison_cell *cell_for(struct comparison *c, uint32_t users, enum strategy s)
{
	for (size_t i = 0; i < c->ncells; i++)
		if (c->cell[i].users == users && c->cell[i].strategy == s)
			return &c->cell[i];
	if (c->ncells == COMPARISON_MAX_CELLS)
		return NULL;
	struct comparison_cell *cell = &c->cell[c->ncells++];
	memset(cell, 0, sizeof *cell);
	cell->users = users;
	cell->strategy = s;
	return cell;
}

void comparison_add(struct comparison *c, const struct trace *t)
{
	if (!t || t->nspans == 0)
		return;
	const struct span_record *root = &t->spans[0];
	if (!(root->flags & SPAN_F_MEASURED) || (root->flags & (SPAN_F_CANCELLED | SPAN_F_ERROR)) ||
	    root->strategy >= STRATEGY_COUNT)
		return;
	struct comparison_cell *cell = cell_for(c, root->u.root.users, (enum strategy)root->strategy);
	if (!cell)
		return;
	attribution_series_add(&cell->requests, analysis_attribution(t));
}

/* The median of each request's own share of time in database calls, in
 * parts per billion: a median of shares, never above 1, where the medians
 * of database and network time, taken apart, may add up to more than the
 * median total. */
static double median_db_share(const struct attribution_series *s)
{
	int64_t *ppb = xmalloc_array(s->n, sizeof *ppb);
	for (size_t i = 0; i < s->n; i++) {
		int64_t waited = duration_add(s->db[i], s->network[i]);
		ppb[i] = s->total[i] > 0 ? (int64_t)llround(1e9 * (double)waited / (double)s->total[i]) : 0;
	}
	int64_t m = analysis_median(ppb, s->n);
	free(ppb);
	return (double)m / 1e9;
}

static int by_users_then_strategy(const void *a, const void *b)
{
	const struct comparison_row *x = a, *y = b;
	if (x->users != y->users)
		return x->users < y->users ? -1 : 1;
	return (int)x->strategy - (int)y->strategy;
}

size_t comparison_rows(const struct comparison *c, struct comparison_row *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < c->ncells && n < cap; i++) {
		const struct comparison_cell *cell = &c->cell[i];
		if (cell->requests.n == 0)
			continue;
		struct attribution m = attribution_series_medians(&cell->requests);
		struct comparison_row *r = &out[n++];
		r->users = cell->users;
		r->strategy = cell->strategy;
		r->requests = cell->requests.n;
		r->queries_per_request = m.queries;
		r->median_total_ns = m.total_ns;
		r->median_db_ns = m.db_ns;
		r->median_network_ns = m.network_ns;
		r->median_app_ns = m.app_ns;
		r->db_share = median_db_share(&cell->requests);
		r->speedup_vs_naive = 0.0;
	}
	qsort(out, n, sizeof *out, by_users_then_strategy);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			if (out[j].users == out[i].users && out[j].strategy == STRATEGY_NAIVE && out[i].median_total_ns > 0)
				out[i].speedup_vs_naive = (double)out[j].median_total_ns / (double)out[i].median_total_ns;
		}
	}
	return n;
}

const char *comparison_scaling(enum strategy s)
{
	switch (s) {
	case STRATEGY_NAIVE: return "N + 1";
	case STRATEGY_OPTIMIZED: return "1";
	case STRATEGY_EAGER: return "1 + N/500";
	case STRATEGY_COUNT: break;
	}
	return "?";
}
