/*
 * analysis_series — many requests' attributions side by side, one array per
 * part, and their medians (analysis.h): what a comparison's cell, a report
 * and a run keep.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/analysis.h"
#include "obslab/xalloc.h"

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int64_t analysis_median(int64_t *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, cmp_i64);
	return v[(n - 1) / 2];
}

void attribution_series_add(struct attribution_series *s, struct attribution a)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->total = xrealloc_array(s->total, s->cap, sizeof *s->total);
		s->app = xrealloc_array(s->app, s->cap, sizeof *s->app);
		s->db = xrealloc_array(s->db, s->cap, sizeof *s->db);
		s->network = xrealloc_array(s->network, s->cap, sizeof *s->network);
		s->calls = xrealloc_array(s->calls, s->cap, sizeof *s->calls);
		s->queries = xrealloc_array(s->queries, s->cap, sizeof *s->queries);
	}
	assert(s->n < s->cap);
	s->total[s->n] = a.total_ns;
	s->app[s->n] = a.app_ns;
	s->db[s->n] = a.db_ns;
	s->network[s->n] = a.network_ns;
	s->calls[s->n] = a.calls_ns;
	s->queries[s->n] = a.queries;
	s->kind = a.kind;
	s->n++;
}

void attribution_series_free(struct attribution_series *s)
{
	free(s->total);
	free(s->app);
	free(s->db);
	free(s->network);
	free(s->calls);
	free(s->queries);
	memset(s, 0, sizeof *s);
}

/* The median of a copy: the series keeps its arrival order. */
static int64_t median_of_copy(const int64_t *v, size_t n, int64_t *scratch)
{
	if (n)
		memcpy(scratch, v, n * sizeof *scratch);
	return analysis_median(scratch, n);
}

struct attribution attribution_series_medians(const struct attribution_series *s)
{
	int64_t *scratch = xmalloc_array(s->n, sizeof *scratch);
	struct attribution m = {
		.total_ns = median_of_copy(s->total, s->n, scratch),
		.app_ns = median_of_copy(s->app, s->n, scratch),
		.db_ns = median_of_copy(s->db, s->n, scratch),
		.network_ns = median_of_copy(s->network, s->n, scratch),
		.calls_ns = median_of_copy(s->calls, s->n, scratch),
		.queries = (uint32_t)median_of_copy(s->queries, s->n, scratch),
		.kind = s->kind,
	};
	free(scratch);
	return m;
}
