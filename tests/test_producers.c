/* Many producers (threads, run under TSan too): four threads, each with its
 * own tracer and SPSC ring, record small traces while one consumer drains
 * every ring into one store with store_drain_from. Names are interned by all
 * of them in one shared string table. With rings large enough nothing is
 * lost; with small ones drops are counted per ring and every span is
 * accounted for: in a completed trace, an orphan, or its producer's last
 * trace still pending. */
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "obslab/ring.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/tracer.h"

#define PRODUCERS 4
#define TRACES 2000
#define SPANS_PER_TRACE 3

struct producer {
	unsigned index;
	struct strtab *names;
	struct ring *ring;
	_Atomic unsigned *started; /* producers past their first HEADSTART traces */
	_Atomic unsigned *done;
};

#define HEADSTART 100

static void *producer_main(void *arg)
{
	struct producer *p = arg;
	char root_name[32];
	snprintf(root_name, sizeof root_name, "GET /producer/%u", p->index);
	/* Overlapping names, interned at once by every producer. */
	uint32_t root = strtab_intern_cstr(p->names, root_name);
	uint32_t query = strtab_intern_cstr(p->names, "SELECT count(*) FROM orders WHERE user_id = ?");
	uint32_t step = strtab_intern_cstr(p->names, "serialize");
	struct tracer t;
	tracer_init(&t, p->ring);
	for (unsigned i = 0; i < TRACES; i++) {
		tracer_begin_trace(&t, root);
		tracer_begin(&t, query, SPAN_KIND_CLIENT);
		tracer_end(&t);
		tracer_begin(&t, step, SPAN_KIND_INTERNAL);
		tracer_end(&t);
		tracer_end(&t);
		if (i + 1 == HEADSTART)
			atomic_fetch_add(p->started, 1);
	}
	atomic_fetch_add(p->done, 1);
	return NULL;
}

/* Per producer: traces and spans completed, checked as they complete. */
struct tally {
	const struct strtab *names;
	uint64_t traces[PRODUCERS], spans[PRODUCERS];
	uint64_t bad;
};

static void observe(void *ctx, const struct trace *t)
{
	struct tally *tally = ctx;
	unsigned k;
	/* A trace may miss a child whose record was dropped, never gain one. */
	if (t->nspans > SPANS_PER_TRACE || sscanf(strtab_get(tally->names, t->spans[0].name), "GET /producer/%u", &k) != 1 ||
	    k >= PRODUCERS) {
		tally->bad++;
		return;
	}
	/* Every span of it from the same producer's same trace. */
	for (size_t i = 1; i < t->nspans; i++)
		if (t->spans[i].parent_id != t->spans[0].span_id || t->spans[i].trace_seq != t->spans[0].trace_seq)
			tally->bad++;
	for (size_t i = 1; i < t->nspans; i++)
		if (strcmp(strtab_get(tally->names, t->spans[i].name), "SELECT count(*) FROM orders WHERE user_id = ?") != 0 &&
		    strcmp(strtab_get(tally->names, t->spans[i].name), "serialize") != 0)
			tally->bad++;
	tally->traces[k]++;
	tally->spans[k] += t->nspans;
}

/* Runs the producers against rings of ring_cap records; the consumer waits
 * until each producer has a head start of HEADSTART traces when told to. */
static void run(size_t ring_cap, bool head_start, struct ring *rings[PRODUCERS], struct store *store,
                struct tally *tally)
{
	struct strtab *names = strtab_create();
	tally->names = names;
	store_set_observer(store, observe, tally);
	_Atomic unsigned started = 0, done = 0;
	struct producer args[PRODUCERS];
	pthread_t threads[PRODUCERS];
	for (unsigned p = 0; p < PRODUCERS; p++) {
		rings[p] = ring_create(ring_cap, sizeof(struct span_record));
		args[p] = (struct producer){ .index = p, .names = names, .ring = rings[p], .started = &started,
			                     .done = &done };
		assert_int_equal(pthread_create(&threads[p], NULL, producer_main, &args[p]), 0);
	}
	while (head_start && atomic_load(&started) < PRODUCERS)
		sched_yield();
	while (atomic_load(&done) < PRODUCERS)
		for (unsigned p = 0; p < PRODUCERS; p++)
			store_drain_from(store, rings[p], 1 + p); /* producer 0 is the lab's own */
	for (unsigned p = 0; p < PRODUCERS; p++) {
		pthread_join(threads[p], NULL);
		store_drain_from(store, rings[p], 1 + p); /* what was pushed after the last pass */
	}
	assert_int_equal(tally->bad, 0);
	/* One table: every producer's root name is there, the shared names once. */
	assert_int_equal(strtab_count(names), 1 + PRODUCERS + 2);
	store_set_observer(store, NULL, NULL);
	strtab_destroy(names);
}

static void four_producers_lose_nothing_with_rings_large_enough(void **state)
{
	(void)state;
	struct ring *rings[PRODUCERS];
	struct tally tally = { 0 };
	struct store *store = store_create((struct store_limits){ .max_traces = 256, .max_spans = 4096 });
	/* A ring holds every span its producer records: none can be dropped. */
	run(8192, false, rings, store, &tally);
	assert_int_equal(store_traces_completed(store), PRODUCERS * TRACES);
	assert_int_equal(store_spans_orphaned(store), 0);
	assert_int_equal(store_spans_received(store), PRODUCERS * TRACES * SPANS_PER_TRACE);
	for (unsigned p = 0; p < PRODUCERS; p++) {
		assert_int_equal(ring_dropped(rings[p]), 0);
		assert_int_equal(tally.traces[p], TRACES);
		assert_int_equal(tally.spans[p], TRACES * SPANS_PER_TRACE);
		assert_int_equal(store_spans_orphaned_from(store, 1 + p), 0);
		ring_destroy(rings[p]);
	}
	assert_int_equal(store_trace_count(store), 256); /* bounded as ever */
	store_destroy(store);
}

static void drops_are_counted_per_ring_and_every_span_accounted_for(void **state)
{
	(void)state;
	struct ring *rings[PRODUCERS];
	struct tally tally = { 0 };
	struct store *store = store_create((struct store_limits){ .max_traces = 64, .max_spans = 1024 });
	/* 16 records a ring, and the consumer waits until every producer has
	 * recorded HEADSTART traces: each ring has dropped by then. */
	run(16, true, rings, store, &tally);
	uint64_t pushed_all = 0;
	for (unsigned p = 0; p < PRODUCERS; p++) {
		uint64_t pushed = ring_pushed(rings[p]), dropped = ring_dropped(rings[p]);
		assert_int_equal(pushed + dropped, TRACES * SPANS_PER_TRACE);
		assert_true(dropped >= HEADSTART * SPANS_PER_TRACE - 16);
		/* Completed, orphaned, or the last trace's spans still pending. */
		uint64_t seen = tally.spans[p] + store_spans_orphaned_from(store, 1 + p);
		assert_true(seen <= pushed && pushed - seen < SPANS_PER_TRACE);
		assert_true(tally.traces[p] < TRACES);
		pushed_all += pushed;
		ring_destroy(rings[p]);
	}
	assert_int_equal(store_spans_received(store), pushed_all);
	assert_int_equal(store_spans_orphaned_from(store, 0), 0);
	store_destroy(store);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(four_producers_lose_nothing_with_rings_large_enough),
		cmocka_unit_test(drops_are_counted_per_ring_and_every_span_accounted_for),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
