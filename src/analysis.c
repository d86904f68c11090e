/*
 * analysis — attribution of a request's time (one sweep over the spans,
 * merging query intervals), per-fingerprint query statistics of one trace,
 * display rounding that keeps sums, medians, and the attribution series
 * that keep many requests' parts side by side (analysis.h has the rules).
 */
#include "obslab/analysis.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/duration.h"
#include "obslab/span.h"
#include "obslab/store.h"
#include "obslab/xalloc.h"

/* The length of a union of intervals added in order of their starts. */
struct run {
	int64_t total, start, end;
};

static void run_add(struct run *r, int64_t lo, int64_t hi)
{
	if (lo > r->end) {
		r->total = duration_add(r->total, duration_between(r->start, r->end));
		r->start = lo;
		r->end = hi;
	} else if (hi > r->end) {
		r->end = hi;
	}
}

static int64_t run_total(const struct run *r)
{
	return duration_add(r->total, duration_between(r->start, r->end));
}

struct attribution analysis_attribution(const struct trace *t)
{
	struct attribution a = { 0 };
	if (!t || t->nspans == 0)
		return a;
	const struct span_record *root = &t->spans[0];
	a.total_ns = span_duration_ns(root);

	/* Spans are sorted by start, so one sweep merges the query intervals,
	 * and their waits: a query waits for its round trip first (the lab's
	 * bars draw it so), [start, start + wait), so waits start in order too. */
	struct run query = { 0 }, wait = { 0 };
	for (size_t i = 1; i < t->nspans; i++) {
		const struct span_record *s = &t->spans[i];
		if (!(s->flags & SPAN_F_DB))
			continue;
		a.queries++;
		int64_t lo = s->start_ns < root->start_ns ? root->start_ns : s->start_ns;
		int64_t hi = s->end_ns > root->end_ns ? root->end_ns : s->end_ns;
		if (hi <= lo)
			continue;
		run_add(&query, lo, hi);
		int64_t wait_end = duration_add(s->start_ns, (int64_t)s->u.db.net_wait_ns);
		if (wait_end > hi)
			wait_end = hi;
		if (wait_end > lo)
			run_add(&wait, lo, wait_end);
	}
	int64_t covered = run_total(&query);
	a.network_ns = run_total(&wait); /* inside covered: each wait lies in its query */
	a.db_ns = duration_sub(covered, a.network_ns);
	a.app_ns = duration_sub(a.total_ns, covered);
	return a;
}

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
		s->queries = xrealloc_array(s->queries, s->cap, sizeof *s->queries);
	}
	assert(s->n < s->cap);
	s->total[s->n] = a.total_ns;
	s->app[s->n] = a.app_ns;
	s->db[s->n] = a.db_ns;
	s->network[s->n] = a.network_ns;
	s->queries[s->n] = a.queries;
	s->n++;
}

void attribution_series_free(struct attribution_series *s)
{
	free(s->total);
	free(s->app);
	free(s->db);
	free(s->network);
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
		.queries = (uint32_t)median_of_copy(s->queries, s->n, scratch),
	};
	free(scratch);
	return m;
}

struct db_call {
	uint32_t name;
	int64_t duration_ns;
	const struct span_record *span;
};

static int by_name_then_duration(const void *a, const void *b)
{
	const struct db_call *x = a, *y = b;
	if (x->name != y->name)
		return x->name < y->name ? -1 : 1;
	return (x->duration_ns > y->duration_ns) - (x->duration_ns < y->duration_ns);
}

static int by_total_desc(const void *a, const void *b)
{
	const struct query_stat *x = a, *y = b;
	if (x->total_ns != y->total_ns)
		return x->total_ns > y->total_ns ? -1 : 1;
	return (x->fingerprint > y->fingerprint) - (x->fingerprint < y->fingerprint);
}

void analysis_sort_queries(struct query_stat *q, size_t n)
{
	qsort(q, n, sizeof *q, by_total_desc);
}

/* Nearest rank: the smallest value with at least p% of values at or below it. */
static int64_t percentile(const struct db_call *sorted, size_t n, unsigned p)
{
	size_t rank = (n * p + 99) / 100;
	return sorted[rank ? rank - 1 : 0].duration_ns;
}

size_t analysis_query_stats(const struct trace *t, struct query_stat *out, size_t cap)
{
	if (!t || t->nspans == 0)
		return 0;
	struct db_call *calls = xmalloc_array(t->nspans, sizeof *calls);
	size_t n = 0;
	for (size_t i = 0; i < t->nspans; i++) {
		const struct span_record *s = &t->spans[i];
		if (s->flags & SPAN_F_DB)
			calls[n++] = (struct db_call){ .name = s->name, .duration_ns = span_duration_ns(s), .span = s };
	}
	qsort(calls, n, sizeof *calls, by_name_then_duration);

	int64_t root_ns = span_duration_ns(&t->spans[0]);
	size_t groups = 0, kept = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && calls[j].name == calls[i].name)
			j++;
		groups++;
		struct query_stat q = {
			.fingerprint = calls[i].name,
			.calls = (uint32_t)(j - i),
			.min_ns = calls[i].duration_ns,
			.max_ns = calls[j - 1].duration_ns,
			.p50_ns = percentile(&calls[i], j - i, 50),
			.p95_ns = percentile(&calls[i], j - i, 95),
			.p99_ns = percentile(&calls[i], j - i, 99),
		};
		for (size_t k = i; k < j; k++) {
			q.total_ns = duration_add(q.total_ns, calls[k].duration_ns);
			q.rows += calls[k].span->u.db.rows;
			q.fullscan_steps += calls[k].span->u.db.fullscan_steps;
			q.network_ns = duration_add(q.network_ns, calls[k].span->u.db.net_wait_ns);
		}
		q.mean_ns = q.total_ns / (int64_t)q.calls;
		q.share = root_ns > 0 ? (double)q.total_ns / (double)root_ns : 0.0;
		/* Keep the cap largest by total time. */
		if (kept < cap) {
			out[kept++] = q;
		} else if (cap > 0) {
			analysis_sort_queries(out, kept);
			if (q.total_ns > out[kept - 1].total_ns)
				out[kept - 1] = q;
		}
		i = j;
	}
	analysis_sort_queries(out, kept);
	free(calls);
	return groups;
}

void analysis_apportion(const int64_t *parts, size_t n, int64_t total_units, int64_t *units)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += (double)parts[i];
	int64_t given = 0;
	double rest[16] = { 0 };
	for (size_t i = 0; i < n; i++) {
		double exact = sum > 0 ? (double)parts[i] / sum * (double)total_units : 0;
		units[i] = (int64_t)exact;
		if (i < 16)
			rest[i] = exact - (double)units[i];
		given += units[i];
	}
	/* Hand the units lost to flooring to the largest remainders. */
	while (sum > 0 && given < total_units) {
		size_t best = 0;
		for (size_t i = 1; i < n && i < 16; i++)
			if (rest[i] > rest[best])
				best = i;
		units[best]++;
		rest[best] = -1;
		given++;
	}
}
