/* analysis_overlap — query statistics over many traces made wall-clock:
 * each trace's overlapping calls of one fingerprint (a pipeline's) counted
 * once (analysis.h: analysis_queries_wall_clock). */
#include "obslab/analysis.h"

#include <stdlib.h>

#include "obslab/duration.h"
#include "obslab/store.h"
#include "obslab/xalloc.h"

static int by_fingerprint(const void *a, const void *b)
{
	const struct query_stat *x = a, *y = b;
	return (x->fingerprint > y->fingerprint) - (x->fingerprint < y->fingerprint);
}

void analysis_queries_wall_clock(const struct store *store, struct query_stat *q, size_t n)
{
	size_t traces = store ? store_trace_count(store) : 0, most = 1;
	if (n == 0 || traces == 0)
		return;
	for (size_t i = 0; i < traces; i++)
		if (store_trace(store, i)->nspans > most)
			most = store_trace(store, i)->nspans;
	qsort(q, n, sizeof *q, by_fingerprint);
	struct query_stat *one = xmalloc_array(most, sizeof *one);
	for (size_t i = 0; i < traces; i++) {
		size_t k = analysis_query_stats(store_trace(store, i), one, most);
		for (size_t j = 0; j < k && j < most; j++) {
			if (one[j].summed_ns <= one[j].total_ns)
				continue;
			struct query_stat key = { .fingerprint = one[j].fingerprint };
			struct query_stat *at = bsearch(&key, q, n, sizeof *q, by_fingerprint);
			if (at)
				at->total_ns = duration_sub(at->total_ns, one[j].summed_ns - one[j].total_ns);
		}
	}
	free(one);
	analysis_sort_queries(q, n);
}
