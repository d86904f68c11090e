/*
 * comparison — measured requests grouped by (users, strategy), each cell an
 * attribution series, and the rows the comparison table prints: each cell's
 * median request (by total) with its parts and its share of time in the
 * database, speedup against naive.
 */
#include "obslab/comparison.h"

#include <math.h>
#include <stdio.h>
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
	for (size_t i = 0; i < c->ncells; i++) {
		attribution_series_free(&c->cell[i].requests);
		free(c->cell[i].trace_ids);
	}
	free(c->server);
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
	if (cell->requests.n == cell->trace_ids_cap) {
		cell->trace_ids_cap = cell->trace_ids_cap ? 2 * cell->trace_ids_cap : 16;
		cell->trace_ids = xrealloc_array(cell->trace_ids, cell->trace_ids_cap, sizeof cell->trace_ids[0]);
	}
	memcpy(cell->trace_ids[cell->requests.n], t->trace_id, SPAN_TRACE_ID_LEN);
	attribution_series_add(&cell->requests, analysis_attribution(t));
}

void comparison_add_server(struct comparison *c, const uint8_t trace_id[SPAN_TRACE_ID_LEN], int64_t exec_ns)
{
	if (c->nserver == c->server_cap) {
		c->server_cap = c->server_cap ? 2 * c->server_cap : 64;
		c->server = xrealloc_array(c->server, c->server_cap, sizeof c->server[0]);
	}
	struct comparison_server *e = &c->server[c->nserver++];
	memcpy(e->trace_id, trace_id, SPAN_TRACE_ID_LEN);
	e->exec_ns = exec_ns;
}

/* The server's clock for a trace, newest first (a trace id names one request). */
static bool server_for(const struct comparison *c, const uint8_t trace_id[SPAN_TRACE_ID_LEN], int64_t *ns)
{
	for (size_t i = c->nserver; i-- > 0;)
		if (memcmp(c->server[i].trace_id, trace_id, SPAN_TRACE_ID_LEN) == 0) {
			*ns = c->server[i].exec_ns;
			return true;
		}
	return false;
}

struct by_total {
	int64_t total;
	size_t index;
};

static int by_total_then_arrival(const void *a, const void *b)
{
	const struct by_total *x = a, *y = b;
	if (x->total != y->total)
		return x->total < y->total ? -1 : 1;
	return (x->index > y->index) - (x->index < y->index);
}

/* The cell's median request: the one whose total is the median total (the
 * lower middle for an even count, as analysis_median takes it; among equal
 * totals, the earliest). Its index in the series. */
static size_t median_request(const struct attribution_series *s)
{
	struct by_total *order = xmalloc_array(s->n, sizeof *order);
	for (size_t i = 0; i < s->n; i++)
		order[i] = (struct by_total){ s->total[i], i };
	qsort(order, s->n, sizeof *order, by_total_then_arrival);
	size_t median = order[(s->n - 1) / 2].index;
	free(order);
	return median;
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
		/* Every figure of a row from one request, so its parts add up to its
		 * total and no share exceeds it: medians of parts taken apart need not. */
		const struct attribution_series *s = &cell->requests;
		size_t k = median_request(s);
		struct comparison_row *r = &out[n++];
		r->users = cell->users;
		r->strategy = cell->strategy;
		r->requests = s->n;
		r->queries_per_request = (uint32_t)s->queries[k];
		r->median_total_ns = s->total[k];
		r->median_db_ns = s->db[k];
		r->median_network_ns = s->network[k];
		r->median_app_ns = s->app[k];
		int64_t waited = duration_add(s->db[k], s->network[k]);
		r->db_share = s->total[k] > 0 ? (double)waited / (double)s->total[k] : 0.0;
		r->speedup_vs_naive = 0.0;
		r->median_server_ns = 0;
		r->server_known = server_for(c, cell->trace_ids[k], &r->median_server_ns);
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
	case STRATEGY_PIPELINED: return "N + 1, 1 wait";
	case STRATEGY_COUNT: break;
	}
	return "?";
}

struct comparison_remainder comparison_server_remainder(double db_ms, int64_t server_ns)
{
	struct comparison_remainder r = { 0 };
	r.ms = round((db_ms - (double)server_ns / 1e6) * 1e3) / 1e3;
	if (r.ms == 0)
		r.ms = 0; /* no "-0.000" */
	r.negative = r.ms < 0;
	if (r.negative)
		snprintf(r.cell, sizeof r.cell, "<0 *");
	else
		snprintf(r.cell, sizeof r.cell, "%.3f ms", r.ms);
	return r;
}
