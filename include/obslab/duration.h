/*
 * duration — nanosecond arithmetic that cannot overflow, and never goes
 * below zero: every sum of durations in obslab goes through duration_add.
 *
 * A duration is an int64_t count of nanoseconds in [0, DURATION_MAX].
 * Inputs below zero count as 0 (a negative duration cannot be true); a
 * result past DURATION_MAX is DURATION_MAX, so a sum of hostile figures is
 * a huge figure, never a wrapped negative one (and never undefined
 * behaviour). The snapshot reader refuses times past DURATION_MAX_TIME_NS,
 * so figures from files stay well inside the range. Pure, any thread.
 */
#ifndef OBSLAB_DURATION_H
#define OBSLAB_DURATION_H

#include <stdint.h>

#define DURATION_MAX INT64_MAX
/* Timestamps and durations obslab accepts from a file: 2^62 ns after 1970
 * (the year 2116), far enough for any clock, with room to add two. */
#define DURATION_MAX_TIME_NS (INT64_C(1) << 62)

/* v as a duration: at least 0. */
static inline int64_t duration_clamp(int64_t v)
{
	return v < 0 ? 0 : v;
}

/* a + b, saturating at DURATION_MAX. */
static inline int64_t duration_add(int64_t a, int64_t b)
{
	int64_t sum;
	if (__builtin_add_overflow(duration_clamp(a), duration_clamp(b), &sum))
		return DURATION_MAX;
	return sum;
}

/* a - b, at least 0: the part of a that b does not take. */
static inline int64_t duration_sub(int64_t a, int64_t b)
{
	a = duration_clamp(a);
	b = duration_clamp(b);
	return a > b ? a - b : 0;
}

/* d * n, saturating at DURATION_MAX. */
static inline int64_t duration_mul(int64_t d, uint64_t n)
{
	int64_t product;
	if (n > (uint64_t)INT64_MAX || __builtin_mul_overflow(duration_clamp(d), (int64_t)n, &product))
		return duration_clamp(d) == 0 || n == 0 ? 0 : DURATION_MAX;
	return product;
}

/* From start to end: 0 if end is before start, DURATION_MAX if the distance
 * does not fit. */
static inline int64_t duration_between(int64_t start, int64_t end)
{
	if (end <= start)
		return 0;
	uint64_t d = (uint64_t)end - (uint64_t)start;
	return d > (uint64_t)DURATION_MAX ? DURATION_MAX : (int64_t)d;
}

/* The wall-clock length of intervals added in order of their starts, the
 * time at least one of them was open: overlapping intervals (a pipeline's
 * statements, concurrent calls) count once; back-to-back ones add up to
 * their summed durations exactly. Start from (struct duration_union){ 0 }.
 * An interval that starts before the previous one is taken as starting
 * where the current stretch does (add in order of starts). */
struct duration_union {
	int64_t total, start, end;
	int started;
};

static inline void duration_union_add(struct duration_union *u, int64_t lo, int64_t hi)
{
	if (hi < lo)
		hi = lo;
	if (!u->started || lo > u->end) {
		if (u->started)
			u->total = duration_add(u->total, duration_between(u->start, u->end));
		u->start = lo;
		u->end = hi;
		u->started = 1;
	} else if (hi > u->end) {
		u->end = hi;
	}
}

static inline int64_t duration_union_total(const struct duration_union *u)
{
	return u->started ? duration_add(u->total, duration_between(u->start, u->end)) : 0;
}

#endif
