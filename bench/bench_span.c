/*
 * bench_span — what recording one span costs, against what it must cost.
 *
 * A span needs two clock reads (begin, end). The target (DESIGN.md) is a
 * whole span — begin, end, ring push — within 1.5x of those two reads. Both
 * are measured here, interleaved in rounds, and printed as a ratio; the
 * consumer drains the ring on another thread as the UI would.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "obslab/clock.h"
#include "obslab/ring.h"
#include "obslab/span.h"
#include "obslab/tracer.h"

#define ROUNDS 7
#define SPANS_PER_ROUND 2000000

static _Atomic bool done;

static void *consumer(void *arg)
{
	struct ring *ring = arg;
	struct span_record batch[256];
	while (!atomic_load_explicit(&done, memory_order_relaxed))
		(void)ring_pop(ring, batch, 256);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(void)
{
	struct ring *ring = ring_create(1u << 16, sizeof(struct span_record));
	struct tracer tracer;
	tracer_init(&tracer, ring);
	pthread_t t;
	pthread_create(&t, NULL, consumer, ring);

	double clock_ns[ROUNDS], span_ns[ROUNDS];
	volatile int64_t sink = 0;
	for (int r = 0; r < ROUNDS; r++) {
		int64_t t0 = clock_now_ns();
		for (int i = 0; i < SPANS_PER_ROUND; i++)
			sink += clock_now_ns() - clock_now_ns();
		int64_t t1 = clock_now_ns();
		tracer_begin_trace(&tracer, 1);
		for (int i = 0; i < SPANS_PER_ROUND; i++) {
			tracer_begin(&tracer, 2, SPAN_KIND_INTERNAL);
			tracer_end(&tracer);
		}
		tracer_end(&tracer);
		int64_t t2 = clock_now_ns();
		clock_ns[r] = (double)(t1 - t0) / SPANS_PER_ROUND;
		span_ns[r] = (double)(t2 - t1) / SPANS_PER_ROUND;
	}
	atomic_store(&done, true);
	pthread_join(t, NULL);
	qsort(clock_ns, ROUNDS, sizeof *clock_ns, cmp_double);
	qsort(span_ns, ROUNDS, sizeof *span_ns, cmp_double);
	double c = clock_ns[ROUNDS / 2], s = span_ns[ROUNDS / 2];
	printf("%-34s %10s %10s\n", "measure (median of 7 rounds)", "ns", "ratio");
	printf("%-34s %10.1f %10s\n", "two clock reads (reference)", c, "1.00");
	printf("%-34s %10.1f %10.2f   target <= 1.50\n", "span: begin + end + ring push", s, s / c);
	printf("%-34s %10llu\n", "records dropped (ring full)", (unsigned long long)ring_dropped(ring));
	(void)sink;
	ring_destroy(ring);
	return 0;
}
