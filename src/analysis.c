#include "obslab/analysis.h"

#include <stdlib.h>

#include "obslab/span.h"
#include "obslab/store.h"

struct attribution analysis_attribution(const struct trace *t)
{
	struct attribution a = { 0 };
	if (!t || t->nspans == 0)
		return a;
	const struct span_record *root = &t->spans[0];
	a.total_ns = span_duration_ns(root);

	/* Spans are sorted by start, so one sweep merges the query intervals. */
	int64_t covered = 0, run_start = 0, run_end = 0;
	for (size_t i = 1; i < t->nspans; i++) {
		const struct span_record *s = &t->spans[i];
		if (!(s->flags & SPAN_F_DB))
			continue;
		a.queries++;
		a.network_ns += s->u.db.net_wait_ns;
		int64_t lo = s->start_ns < root->start_ns ? root->start_ns : s->start_ns;
		int64_t hi = s->end_ns > root->end_ns ? root->end_ns : s->end_ns;
		if (hi <= lo)
			continue;
		if (lo > run_end) {
			covered += run_end - run_start;
			run_start = lo;
			run_end = hi;
		} else if (hi > run_end) {
			run_end = hi;
		}
	}
	covered += run_end - run_start;
	if (a.network_ns > covered)
		a.network_ns = covered; /* waits lie inside spans; guard the partition anyway */
	a.db_ns = covered - a.network_ns;
	a.app_ns = a.total_ns - covered;
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
