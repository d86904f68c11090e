/*
 * Span cost: begin + end + ring push, against the two clock reads a span
 * needs, measured in alternating rounds; the ring is drained by another
 * thread every millisecond, as the UI drains it every frame.
 * Ring throughput: records per second from one thread to another. The
 * consumer drains in batches on a timer, as the UI does each frame (here
 * every 50 µs, 660 times more often); a consumer that polls without pause
 * is measured too, for contrast: it pulls each slot's cache line across
 * cores while the producer is still writing next to it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "obslab/clock.h"
#include "obslab/ring.h"
#include "obslab/span.h"
#include "obslab/tracer.h"

#define ROUNDS 9

struct consumer {
	struct ring *ring;
	_Atomic bool done;
	long nap_ns; /* 0: spin */
	uint64_t received;
};

static void *consume(void *arg)
{
	struct consumer *c = arg;
	static struct span_record batch[1024];
	const struct timespec nap = { 0, c->nap_ns };
	for (;;) {
		bool done = atomic_load(&c->done);
		size_t n;
		while ((n = ring_pop(c->ring, batch, 1024)) > 0)
			c->received += n;
		if (done)
			return NULL;
		if (c->nap_ns)
			nanosleep(&nap, NULL);
	}
}

int bench_span_cost(void);
int bench_span_cost(void)
{
	size_t spans = bench_size(1000000, 10000);
	struct ring *ring = ring_create(1u << 17, sizeof(struct span_record));
	struct consumer c = { .ring = ring, .nap_ns = 1000000 };
	pthread_t t;
	pthread_create(&t, NULL, consume, &c);
	struct tracer tracer;
	tracer_init(&tracer, ring);
	double clocks[ROUNDS], cost[ROUNDS];
	volatile int64_t sink = 0;
	for (int r = 0; r < ROUNDS; r++) {
		int64_t t0 = clock_now_ns();
		for (size_t i = 0; i < spans; i++)
			sink += clock_now_ns() - clock_now_ns();
		int64_t t1 = clock_now_ns();
		tracer_begin_trace(&tracer, 1);
		for (size_t i = 0; i < spans; i++) {
			tracer_begin(&tracer, 2, SPAN_KIND_INTERNAL);
			tracer_end(&tracer);
		}
		tracer_end(&tracer);
		int64_t t2 = clock_now_ns();
		clocks[r] = (double)(t1 - t0) / (double)spans;
		cost[r] = (double)(t2 - t1) / (double)spans;
		struct timespec settle = { 0, 3000000 }; /* let the consumer catch up */
		nanosleep(&settle, NULL);
	}
	atomic_store(&c.done, true);
	pthread_join(t, NULL);
	(void)sink;
	double clock = bench_median(clocks, ROUNDS), span = bench_median(cost, ROUNDS);
	bench_row("1. span: begin + end + ring push", span, "ns", "two clock_gettime reads", span / clock,
	          "<= 1.50", span / clock <= 1.5);
	bench_note("two clock reads: %.1f ns; spans dropped: %llu of %llu", clock,
	           (unsigned long long)ring_dropped(ring), (unsigned long long)(ROUNDS * (spans + 1)));
	ring_destroy(ring);
	return 0;
}

struct producer {
	struct ring *ring;
	size_t n;
	int64_t ns;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	struct span_record rec;
	memset(&rec, 0, sizeof rec);
	rec.flags = SPAN_F_DB;
	int64_t t0 = clock_now_ns();
	for (size_t i = 0; i < p->n; i++) {
		rec.span_id = i + 1;
		rec.start_ns = (int64_t)i;
		rec.end_ns = (int64_t)i + 100;
		(void)ring_push(p->ring, &rec);
	}
	p->ns = clock_now_ns() - t0;
	return NULL;
}

static double throughput(long nap_ns, uint64_t *dropped, uint64_t *sent)
{
	double rates[5];
	for (int r = 0; r < 5; r++) {
		struct ring *ring = ring_create(1u << 17, sizeof(struct span_record));
		struct consumer c = { .ring = ring, .nap_ns = nap_ns };
		struct producer p = { .ring = ring, .n = bench_size(20000000, 100000) };
		pthread_t tc, tp;
		pthread_create(&tc, NULL, consume, &c);
		int64_t t0 = clock_now_ns();
		pthread_create(&tp, NULL, produce, &p);
		pthread_join(tp, NULL);
		atomic_store(&c.done, true);
		pthread_join(tc, NULL);
		int64_t ns = clock_now_ns() - t0;
		rates[r] = (double)c.received / ((double)ns / 1e9) / 1e6;
		*dropped += ring_dropped(ring);
		*sent += p.n;
		ring_destroy(ring);
	}
	return bench_median(rates, 5);
}

int bench_ring_throughput(void);
int bench_ring_throughput(void)
{
	uint64_t dropped = 0, sent = 0, spin_dropped = 0, spin_sent = 0;
	double rate = throughput(50000, &dropped, &sent);
	double spin = throughput(0, &spin_dropped, &spin_sent);
	bench_row("2. ring: 64-byte records, thread to thread", rate, "M/s", "target 50 M/s", rate / 50, ">= 50 M/s",
	          rate >= 50);
	bench_note("consumer draining every 50 us: dropped %llu of %llu (only in rounds where the consumer",
	           (unsigned long long)dropped, (unsigned long long)sent);
	bench_note("thread lost its core: the producer never waits); a consumer polling without pause: %.1f M/s",
	           spin);
	return 0;
}
