/*
 * analysis — pure functions over stored traces: where a request's time went.
 *
 * Attribution partitions the root span's duration exactly:
 *   network = the simulated round trips waited inside query spans,
 *   database = the time covered by query spans (their interval union,
 *              clipped to the root, so overlaps count once) minus network,
 *   app = the rest of the root: time no query span covers.
 * app + database + network == root duration, to the nanosecond.
 * No allocation, no state; any thread.
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

/* The median of v[0..n) (the lower middle for even n); sorts v in place. 0 if n == 0. */
int64_t analysis_median(int64_t *v, size_t n);

#endif
