/*
 * clock — the project's one time source.
 *
 * Every duration obslab shows is the difference of two clock_now_ns() reads
 * (CLOCK_MONOTONIC, nanoseconds). Wall-clock time is needed only to label
 * exports: clock_anchor() pairs one monotonic read with one realtime read,
 * once, and clock_to_unix_ns() maps later monotonic stamps through it, so an
 * exported trace never jumps when the system clock is stepped.
 * No allocation; every function is safe to call from any thread.
 */
#ifndef OBSLAB_CLOCK_H
#define OBSLAB_CLOCK_H

#include <stdint.h>
#include <time.h>

#define CLOCK_NS_PER_US INT64_C(1000)
#define CLOCK_NS_PER_MS INT64_C(1000000)
#define CLOCK_NS_PER_S INT64_C(1000000000)

/* Monotonic nanoseconds since an arbitrary fixed point. */
static inline int64_t clock_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * CLOCK_NS_PER_S + ts.tv_nsec;
}

struct clock_anchor {
	int64_t mono_ns; /* clock_now_ns() at the anchor */
	int64_t unix_ns; /* CLOCK_REALTIME at the same moment */
};

/* Takes the anchor: the realtime read is bracketed by two monotonic reads
 * and paired with their midpoint. */
struct clock_anchor clock_anchor(void);

/* A monotonic stamp as Unix-epoch nanoseconds, through the anchor. */
static inline int64_t clock_to_unix_ns(const struct clock_anchor *a, int64_t mono_ns)
{
	return a->unix_ns + (mono_ns - a->mono_ns);
}

/* Waits until clock_now_ns() >= deadline_ns, to within a few microseconds:
 * sleeps while the deadline is far, then spins for the last stretch (a bare
 * nanosleep overshoots by tens of microseconds). Returns the time it returned. */
int64_t clock_wait_until(int64_t deadline_ns);

#endif
