/*
 * histogram — durations in fixed memory, HdrHistogram-style log-linear
 * buckets.
 *
 * Values below 128 ns are counted exactly; above, each power of two is cut
 * into 64 equal buckets, so a recorded value is known to within 1/64 of
 * itself and a reported percentile (the bucket's midpoint) is within 1/128
 * (0.8 %) of the true value. Range: 0 to 2^40 ns (about 18 minutes); longer
 * values are counted in the top bucket. Exact min, max, count and sum are
 * kept alongside. 2,304 buckets of 4 bytes: 9 KiB, whatever is recorded.
 * A histogram is plain data: no allocation, copy it freely; one thread.
 */
#ifndef OBSLAB_HISTOGRAM_H
#define OBSLAB_HISTOGRAM_H

#include <stdint.h>

#define HISTOGRAM_SUB_BITS 6
#define HISTOGRAM_MAX_BITS 40
#define HISTOGRAM_BUCKETS ((HISTOGRAM_MAX_BITS - HISTOGRAM_SUB_BITS + 2) << HISTOGRAM_SUB_BITS)
/* A reported value is within this fraction of the true one. */
#define HISTOGRAM_RELATIVE_ERROR (1.0 / 128)

struct histogram {
	uint64_t count;
	int64_t sum, min, max;
	uint32_t buckets[HISTOGRAM_BUCKETS];
};

void histogram_init(struct histogram *h);
void histogram_record(struct histogram *h, int64_t value); /* negative counts as 0 */
void histogram_merge(struct histogram *into, const struct histogram *from);

/* The value at percentile p (0 < p <= 100): the smallest recorded value with
 * at least p % of the values at or below it, to within the stated error
 * (exact for the min and max). 0 when empty. */
int64_t histogram_percentile(const struct histogram *h, double p);

#endif
