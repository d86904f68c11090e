/*
 * histogram — log-linear buckets: recording, merging and percentiles in
 * fixed memory, exact for small values and within a bounded relative
 * error above (histogram.h).
 */
#include "obslab/histogram.h"

#include <assert.h>
#include <string.h>

#include "obslab/duration.h"

#define SUB_COUNT (1 << HISTOGRAM_SUB_BITS) /* 64 buckets per power of two */
#define MAX_VALUE ((INT64_C(1) << HISTOGRAM_MAX_BITS) - 1)

void histogram_init(struct histogram *h)
{
	memset(h, 0, sizeof *h);
}

static int floor_log2(uint64_t v)
{
	return 63 - __builtin_clzll(v | 1);
}

/* Values below 2 * SUB_COUNT map to themselves; above, the shift b keeps
 * the value's top HISTOGRAM_SUB_BITS + 1 bits: index = b * 64 + (v >> b). */
static uint32_t index_of(int64_t value)
{
	uint64_t v = (uint64_t)(value < 0 ? 0 : value > MAX_VALUE ? MAX_VALUE : value);
	int shift = floor_log2(v) - HISTOGRAM_SUB_BITS;
	if (shift < 0)
		shift = 0;
	uint32_t index = (uint32_t)(((uint64_t)shift << HISTOGRAM_SUB_BITS) + (v >> shift));
	assert(index < HISTOGRAM_BUCKETS);
	return index;
}

/* The lowest value and width of the values a bucket holds. */
static void bucket_range(uint32_t index, int64_t *low, int64_t *width)
{
	assert(index < HISTOGRAM_BUCKETS);
	uint32_t shift = index >> HISTOGRAM_SUB_BITS;
	if (shift == 0) {
		*low = index;
		*width = 1;
		return;
	}
	shift--; /* indices 64..127 of each shift above 0 belong to the shift below */
	uint64_t top = (index & (SUB_COUNT - 1)) + SUB_COUNT;
	*low = (int64_t)(top << shift);
	*width = INT64_C(1) << shift;
}

void histogram_record(struct histogram *h, int64_t value)
{
	if (value < 0)
		value = 0;
	if (h->count == 0 || value < h->min)
		h->min = value;
	if (h->count == 0 || value > h->max)
		h->max = value;
	h->count++;
	h->sum = duration_add(h->sum, value);
	uint32_t *b = &h->buckets[index_of(value)];
	if (*b < UINT32_MAX)
		(*b)++;
}

void histogram_merge(struct histogram *into, const struct histogram *from)
{
	if (from->count == 0)
		return;
	if (into->count == 0 || from->min < into->min)
		into->min = from->min;
	if (into->count == 0 || from->max > into->max)
		into->max = from->max;
	into->count += from->count;
	into->sum = duration_add(into->sum, from->sum);
	for (uint32_t i = 0; i < HISTOGRAM_BUCKETS; i++) {
		uint64_t sum = (uint64_t)into->buckets[i] + from->buckets[i];
		into->buckets[i] = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
	}
}

int64_t histogram_percentile(const struct histogram *h, double p)
{
	if (h->count == 0)
		return 0;
	uint64_t rank = (uint64_t)(p / 100.0 * (double)h->count + 0.999999999);
	if (rank < 1)
		rank = 1;
	if (rank >= h->count)
		return h->max;
	uint64_t seen = 0;
	for (uint32_t i = 0; i < HISTOGRAM_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= rank) {
			int64_t low, width;
			bucket_range(i, &low, &width);
			int64_t mid = low + (width - 1) / 2;
			return mid < h->min ? h->min : mid > h->max ? h->max : mid;
		}
	}
	return h->max;
}
