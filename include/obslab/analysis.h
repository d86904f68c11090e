/*
 * analysis — pure functions over stored traces: where a request's time went.
 *
 * Attribution partitions the root span's duration exactly:
 *   network = the simulated round trips waited inside query spans, each
 *             at the start of its span ([start, start + wait), clipped to
 *             the span), their union: concurrent waits count once,
 *   database = the time covered by query spans (their interval union,
 *              clipped to the root, so overlaps count once) minus network,
 *   app = the rest of the root: time no query span covers.
 * app + database + network == root duration, to the nanosecond.
 *
 * Query statistics group a trace's database spans by fingerprint.
 * No state, any thread; analysis_query_stats allocates scratch space and
 * frees it before returning.
 */
#ifndef OBSLAB_ANALYSIS_H
#define OBSLAB_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

struct trace;

struct attribution {
	int64_t total_ns;
	int64_t app_ns;
	int64_t db_ns;
	int64_t network_ns;
	uint32_t queries; /* database spans in the trace */
};

/* The trace's spans must be sorted by start (as the store keeps them). */
struct attribution analysis_attribution(const struct trace *t);

/* Many requests' attributions side by side, one array per part, for their
 * medians (what a comparison's cell, a report and a run keep). Zero it to
 * start; it owns its arrays: attribution_series_free frees and empties. */
struct attribution_series {
	size_t n, cap;
	int64_t *total, *app, *db, *network, *queries;
};

void attribution_series_add(struct attribution_series *s, struct attribution a);
void attribution_series_free(struct attribution_series *s);
/* Each part's median over the series, as analysis_median takes it; the
 * series keeps its order. All 0 when it is empty. */
struct attribution attribution_series_medians(const struct attribution_series *s);

/* One fingerprint's queries within one trace. Percentiles are exact
 * (nearest rank over the trace's own durations). */
struct query_stat {
	uint32_t fingerprint; /* strtab id */
	uint32_t calls;
	int64_t total_ns, mean_ns, min_ns, max_ns, p50_ns, p95_ns, p99_ns;
	uint64_t rows;
	uint64_t fullscan_steps;
	int64_t network_ns;
	double share; /* total_ns / the root's duration */
};

/* Sorts query statistics the way every list shows them: most total time
 * first, ties by fingerprint. */
void analysis_sort_queries(struct query_stat *q, size_t n);

/* Fills out[0..cap) with t's fingerprints, most total time first; returns
 * how many fingerprints the trace has (which may exceed cap). */
size_t analysis_query_stats(const struct trace *t, struct query_stat *out, size_t cap);

/* Rounds parts for display so the rounded figures still add up: units[i]
 * is parts[i]'s share of total_units (largest remainder method), and
 * units[0..n) sums to total_units exactly. Used for milliseconds (units of
 * 1 µs) and percentages (units of 0.1 %). Parts must be >= 0. */
void analysis_apportion(const int64_t *parts, size_t n, int64_t total_units, int64_t *units);

/* The median of v[0..n) (the lower middle for even n); sorts v in place. 0 if n == 0. */
int64_t analysis_median(int64_t *v, size_t n);

#endif
