/* store and analysis: assembly, orphans, bounds, and attribution that
 * partitions the root exactly; several producers' traces interleaved; HTTP
 * infos joined to their traces. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "obslab/analysis.h"
#include "obslab/ring.h"
#include "obslab/store.h"

static struct span_record span(uint32_t seq, uint64_t id, uint64_t parent, int64_t start, int64_t end)
{
	struct span_record r;
	memset(&r, 0, sizeof r);
	r.trace_seq = seq;
	r.span_id = id;
	r.parent_id = parent;
	r.start_ns = start;
	r.end_ns = end;
	r.kind = parent ? SPAN_KIND_CLIENT : SPAN_KIND_SERVER;
	if (!parent)
		r.u.root.trace_id[15] = (uint8_t)seq;
	return r;
}

static struct span_record query(uint32_t seq, uint64_t id, int64_t start, int64_t end, uint32_t net)
{
	struct span_record r = span(seq, id, 1, start, end);
	r.flags = SPAN_F_DB;
	r.u.db.net_wait_ns = net;
	return r;
}

static struct store *small_store(size_t traces, size_t spans)
{
	struct store *s = store_create((struct store_limits){ .max_traces = traces, .max_spans = spans });
	assert_non_null(s);
	return s;
}

static void assembles_children_first_arrivals(void **state)
{
	(void)state;
	struct store *s = small_store(8, 100);
	struct span_record recs[] = {
		query(1, 3, 300, 400, 0), query(1, 2, 100, 200, 0), span(1, 1, 0, 50, 500),
	};
	store_ingest(s, recs, 3);
	assert_int_equal(store_trace_count(s), 1);
	const struct trace *t = store_latest(s);
	assert_int_equal(t->nspans, 3);
	assert_int_equal(t->spans[0].span_id, 1); /* root first, then by start */
	assert_int_equal(t->spans[1].span_id, 2);
	assert_int_equal(t->spans[2].span_id, 3);
	assert_int_equal(t->trace_id[15], 1);
	store_destroy(s);
}

/* The order a trace is sorted into, checked record by record: by start,
 * the root first, an enclosing span before a span that starts with it. */
static void assert_sorted_by_start(const struct trace *t)
{
	assert_int_equal(t->spans[0].parent_id, 0);
	for (size_t i = 1; i < t->nspans; i++) {
		const struct span_record *a = &t->spans[i - 1], *b = &t->spans[i];
		assert_true(a->start_ns <= b->start_ns);
		if (a->start_ns == b->start_ns && b->parent_id != 0)
			assert_true(a->parent_id == 0 || a->end_ns >= b->end_ns);
	}
}

/* As the tracer delivers them: each span when it ends, so every parent
 * after its children; nested three deep, with spans that start together. */
static void sorts_nested_spans_as_they_end(void **state)
{
	(void)state;
	struct store *s = small_store(8, 1000);
	struct span_record recs[64];
	size_t n = 0;
	int64_t at = 100;
	for (uint64_t g = 0; g < 10; g++) {
		uint64_t group = 100 + g;
		int64_t group_start = at;
		for (uint64_t q = 0; q < 4; q++, at += 10)
			recs[n++] = span(1, 1000 + g * 10 + q, group, at, at + 10); /* leaves */
		recs[n++] = span(1, group, 2, group_start, at); /* starts with its first leaf */
	}
	recs[n++] = span(1, 2, 1, 100, at);  /* the group's parent, again sharing its start */
	recs[n++] = span(1, 1, 0, 50, at + 5); /* the root, last */
	store_ingest(s, recs, n);
	const struct trace *t = store_latest(s);
	assert_non_null(t);
	assert_int_equal(t->nspans, n);
	assert_sorted_by_start(t);
	assert_int_equal(t->spans[1].span_id, 2);   /* the outer one of equal starts first */
	assert_int_equal(t->spans[2].span_id, 100);
	assert_int_equal(t->spans[3].span_id, 1000);
	store_destroy(s);
}

/* A file's spans may come in any order: reversed, they need more moves
 * than the insertion sort allows itself, and are still sorted. */
static void sorts_spans_in_any_order(void **state)
{
	(void)state;
	enum { N = 300 };
	struct store *s = small_store(8, 1000);
	static struct span_record recs[N];
	for (size_t i = 0; i < N - 1; i++) {
		int64_t start = 1000 + 10 * (int64_t)(N - 2 - i); /* latest first */
		recs[i] = query(1, 2 + i, start, start + 5, 0);
	}
	recs[N - 1] = span(1, 1, 0, 0, 10 * N + 2000);
	store_ingest(s, recs, N);
	const struct trace *t = store_latest(s);
	assert_int_equal(t->nspans, N);
	assert_sorted_by_start(t);
	assert_int_equal(t->spans[1].span_id, N); /* the earliest query */
	assert_int_equal(t->spans[N - 1].span_id, 2);
	store_destroy(s);
}

static void a_lost_root_orphans_its_children(void **state)
{
	(void)state;
	struct store *s = small_store(8, 100);
	struct span_record recs[] = {
		query(1, 2, 100, 200, 0), query(1, 3, 300, 400, 0), /* root of trace 1 dropped */
		query(2, 5, 1100, 1200, 0), span(2, 4, 0, 1000, 1500),
	};
	store_ingest(s, recs, 4);
	assert_int_equal(store_trace_count(s), 1);
	assert_int_equal(store_spans_orphaned(s), 2);
	assert_int_equal(store_latest(s)->nspans, 2);
	store_destroy(s);
}

static void evicts_oldest_within_bounds(void **state)
{
	(void)state;
	struct store *s = small_store(3, 7);
	for (uint32_t seq = 1; seq <= 5; seq++) {
		int64_t base = seq * 1000;
		struct span_record recs[] = {
			query(seq, 2, base + 10, base + 20, 0), query(seq, 3, base + 30, base + 40, 0),
			span(seq, 1, 0, base, base + 100),
		};
		store_ingest(s, recs, 3);
		assert_true(store_spans_held(s) <= 7);
		assert_true(store_trace_count(s) <= 3);
	}
	/* 7 spans hold two 3-span traces */
	assert_int_equal(store_trace_count(s), 2);
	assert_int_equal(store_trace(s, 0)->spans[0].trace_seq, 4);
	assert_int_equal(store_latest(s)->spans[0].trace_seq, 5);
	assert_int_equal(store_traces_completed(s), 5);
	assert_int_equal(store_traces_evicted(s), 3);
	assert_null(store_find(s, 3));                 /* evicted */
	assert_int_equal(store_find(s, 4)->spans[0].trace_seq, 4);
	assert_int_equal(store_find(s, 5)->seq, 5);
	assert_null(store_find(s, 6));                 /* not yet */
	assert_null(store_find(s, 0));

	/* a trace larger than the whole budget is still kept, alone */
	struct span_record big[10];
	for (uint64_t i = 0; i < 9; i++)
		big[i] = query(6, i + 2, 10000 + (int64_t)i, 10001 + (int64_t)i, 0);
	big[9] = span(6, 1, 0, 9000, 20000);
	store_ingest(s, big, 10);
	assert_int_equal(store_trace_count(s), 1);
	assert_int_equal(store_latest(s)->nspans, 10);
	store_destroy(s);
}

static void attribution_partitions_the_root(void **state)
{
	(void)state;
	struct store *s = small_store(4, 100);
	/* root 0..1000; queries 100..300 (net 50) and 250..400 overlapping (net 20),
	 * 600..700 (net 100), one sticking out past the root 950..1100; an internal span. */
	struct span_record internal = span(1, 9, 1, 800, 900);
	internal.kind = SPAN_KIND_INTERNAL;
	struct span_record recs[] = {
		query(1, 2, 100, 300, 50), query(1, 3, 250, 400, 20), query(1, 4, 600, 700, 100),
		query(1, 5, 950, 1100, 0), internal, span(1, 1, 0, 0, 1000),
	};
	store_ingest(s, recs, 6);
	struct attribution a = analysis_attribution(store_latest(s));
	assert_int_equal(a.total_ns, 1000);
	assert_int_equal(a.queries, 4);
	/* covered: 100..400 (300) + 600..700 (100) + 950..1000 (50) = 450 */
	assert_int_equal(a.network_ns, 170);
	assert_int_equal(a.db_ns, 450 - 170);
	assert_int_equal(a.app_ns, 1000 - 450);
	assert_int_equal(a.app_ns + a.db_ns + a.network_ns, a.total_ns);
	store_destroy(s);
}

static void apportioned_figures_add_up(void **state)
{
	(void)state;
	/* 1/3 each: 33.3 + 33.3 + 33.3 would show 99.9 % */
	int64_t thirds[] = { 1, 1, 1 }, pct[3];
	analysis_apportion(thirds, 3, 1000, pct);
	assert_int_equal(pct[0] + pct[1] + pct[2], 1000);
	assert_true(pct[0] >= 333 && pct[0] <= 334);
	/* microseconds from nanoseconds: 1.4 + 1.4 + 1.2 us = 4 us, not 1 + 1 + 1 */
	int64_t ns[] = { 1400, 1400, 1200 }, us[3];
	analysis_apportion(ns, 3, 4, us);
	assert_int_equal(us[0] + us[1] + us[2], 4);
	assert_int_equal(us[2], 1);
	int64_t zeros[] = { 0, 0 }, z[2];
	analysis_apportion(zeros, 2, 1000, z);
	assert_int_equal(z[0] + z[1], 0);
}

static void medians(void **state)
{
	(void)state;
	int64_t odd[] = { 5, 1, 9, 3, 7 }, even[] = { 4, 1, 3, 2 };
	assert_int_equal(analysis_median(odd, 5), 5);
	assert_int_equal(analysis_median(even, 4), 2);
	assert_int_equal(analysis_median(NULL, 0), 0);
}

/* store_adopt keeps a file's records where they lie: the same traces as
 * store_ingest gives (orphans counted, a rootless tail left pending), the
 * block freed with the store even after its traces are evicted (ASan's
 * leak check tells). */
static void adopts_records_without_copying(void **state)
{
	(void)state;
	const struct span_record recs[] = {
		query(1, 3, 300, 400, 0), query(1, 2, 100, 200, 0), span(1, 1, 0, 50, 500), /* trace 1 */
		query(2, 2, 100, 200, 0),                                                 /* orphan: root lost */
		query(3, 2, 100, 200, 0), span(3, 1, 0, 50, 500),                         /* trace 3 */
		query(4, 2, 100, 200, 0),                                                 /* its root to come */
	};
	size_t n = sizeof recs / sizeof recs[0];
	struct span_record *block = malloc(sizeof recs);
	assert_non_null(block);
	memcpy(block, recs, sizeof recs);
	struct store *a = small_store(8, 100), *b = small_store(8, 100);
	store_adopt(a, block, n);
	store_ingest(b, recs, n);
	assert_int_equal(store_trace_count(a), 2);
	assert_int_equal(store_trace_count(b), 2);
	for (size_t i = 0; i < 2; i++) {
		const struct trace *x = store_trace(a, i), *y = store_trace(b, i);
		assert_int_equal(x->nspans, y->nspans);
		assert_memory_equal(x->spans, y->spans, x->nspans * sizeof *x->spans);
		assert_memory_equal(x->trace_id, y->trace_id, SPAN_TRACE_ID_LEN);
	}
	assert_ptr_equal(store_trace(a, 0)->spans, block); /* sorted in place, not copied */
	assert_int_equal(store_trace(a, 0)->spans[0].span_id, 1);
	assert_int_equal(store_spans_orphaned(a), 1);
	assert_int_equal(store_spans_received(a), n);
	const struct span_record root4 = span(4, 1, 0, 50, 500);
	store_ingest(a, &root4, 1); /* the pending tail completes as ever */
	assert_int_equal(store_trace_count(a), 3);
	assert_int_equal(store_latest(a)->nspans, 2);
	/* evicting the adopted traces frees nothing twice */
	struct span_record more[] = { span(5, 1, 0, 50, 500), span(6, 1, 0, 50, 500), span(7, 1, 0, 50, 500),
		                      span(8, 1, 0, 50, 500), span(9, 1, 0, 50, 500), span(10, 1, 0, 50, 500) };
	store_ingest(a, more, 6);
	assert_int_equal(store_trace_count(a), 8);
	assert_int_equal(store_traces_evicted(a), 1);
	store_destroy(a);
	store_destroy(b);
}

/* A producer's records as its ring carries them. */
static void push_all(struct ring *r, const struct span_record *recs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_true(ring_push(r, &recs[i]));
}

/* Three producers each run traces with the same trace_seqs (each its own
 * counter), their records interleaved between drains: every trace completes
 * with its own spans, and nothing is an orphan. */
static void interleaved_producers_all_complete(void **state)
{
	(void)state;
	enum { P = 3, TRACES = 4 };
	struct store *s = small_store(64, 1000);
	struct ring *rings[P];
	for (unsigned p = 0; p < P; p++)
		rings[p] = ring_create(64, sizeof(struct span_record));
	for (uint32_t seq = 1; seq <= TRACES; seq++) {
		/* Half of every producer's trace, a drain of all, then the rest. */
		for (unsigned p = 0; p < P; p++) {
			struct span_record q = query(seq, 2, 100 * p + 10, 100 * p + 20, 0);
			q.name = p; /* which producer's */
			push_all(rings[p], &q, 1);
		}
		for (unsigned p = P; p-- > 0;) /* drained in another order */
			store_drain_from(s, rings[p], p);
		for (unsigned p = 0; p < P; p++) {
			struct span_record rest[] = { query(seq, 3, 100 * p + 30, 100 * p + 40, 0),
				                      span(seq, 1, 0, 100 * p, 100 * p + 50) };
			rest[0].name = rest[1].name = p;
			rest[1].u.root.trace_id[0] = (uint8_t)(p + 1);
			push_all(rings[p], rest, 2);
		}
		for (unsigned p = 0; p < P; p++)
			store_drain_from(s, rings[p], p);
	}
	assert_int_equal(store_traces_completed(s), P * TRACES);
	assert_int_equal(store_spans_orphaned(s), 0);
	assert_int_equal(store_spans_received(s), P * TRACES * 3);
	for (size_t i = 0; i < store_trace_count(s); i++) {
		const struct trace *t = store_trace(s, i);
		assert_int_equal(t->nspans, 3);
		uint32_t p = t->spans[0].name;
		assert_int_equal(t->trace_id[0], p + 1);
		for (size_t k = 0; k < t->nspans; k++) { /* none of another producer's spans */
			assert_int_equal(t->spans[k].name, p);
			assert_int_equal(t->spans[k].trace_seq, t->spans[0].trace_seq);
		}
	}
	for (unsigned p = 0; p < P; p++)
		ring_destroy(rings[p]);
	store_destroy(s);
}

/* A lost root orphans its producer's spans only, counted for that producer;
 * store_drain is producer 0, as store_ingest is. */
static void orphans_counted_per_producer(void **state)
{
	(void)state;
	struct store *s = small_store(16, 1000);
	struct ring *r1 = ring_create(16, sizeof(struct span_record));
	struct ring *r2 = ring_create(16, sizeof(struct span_record));
	struct ring *r0 = ring_create(16, sizeof(struct span_record));
	struct span_record lost[] = { query(1, 2, 100, 200, 0), query(1, 3, 300, 400, 0) }; /* root dropped */
	struct span_record other[] = { query(1, 2, 100, 200, 0) };                           /* root to come */
	push_all(r1, lost, 2);
	push_all(r2, other, 1);
	store_drain_from(s, r1, 1);
	store_drain_from(s, r2, 2);
	struct span_record next1[] = { query(2, 5, 1100, 1200, 0), span(2, 4, 0, 1000, 1500) };
	struct span_record root2[] = { span(1, 1, 0, 50, 500) };
	push_all(r1, next1, 2);
	push_all(r2, root2, 1);
	store_drain_from(s, r1, 1);
	store_drain_from(s, r2, 2);
	assert_int_equal(store_trace_count(s), 2);
	assert_int_equal(store_spans_orphaned(s), 2);
	assert_int_equal(store_spans_orphaned_from(s, 1), 2);
	assert_int_equal(store_spans_orphaned_from(s, 2), 0);
	assert_int_equal(store_spans_orphaned_from(s, STORE_MAX_PRODUCERS), 0);

	/* Producer 0 by store_ingest and by store_drain: one pending trace. */
	struct span_record half[] = { query(7, 2, 10, 20, 0) };
	store_ingest(s, half, 1);
	struct span_record end[] = { span(7, 1, 0, 5, 50) };
	push_all(r0, end, 1);
	assert_int_equal(store_drain(s, r0), 1);
	assert_int_equal(store_latest(s)->nspans, 2);
	assert_int_equal(store_spans_orphaned_from(s, 0), 0);
	ring_destroy(r0);
	ring_destroy(r1);
	ring_destroy(r2);
	store_destroy(s);
}

/* struct http_info's first member is its trace id (httpinfo.h); the store
 * reads nothing else, so a stand-in of that shape serves here. */
struct http_stand_in {
	uint8_t trace_id[SPAN_TRACE_ID_LEN];
	int tag;
};

static struct http_info *http_for(uint8_t id15, int tag)
{
	struct http_stand_in *h = calloc(1, sizeof *h);
	assert_non_null(h);
	h->trace_id[15] = id15;
	h->tag = tag;
	return (struct http_info *)h;
}

static int http_tag(const struct trace *t)
{
	return t->http ? ((const struct http_stand_in *)(const void *)t->http)->tag : 0;
}

/* Before or after its trace completes, an info joins the trace with its id;
 * two traces of one id (a caller's trace, twice) take theirs in order. */
static void http_joins_its_trace_before_or_after(void **state)
{
	(void)state;
	struct store *s = small_store(8, 100);
	struct span_record t1[] = { query(1, 2, 100, 200, 0), span(1, 1, 0, 50, 500) };
	store_ingest(s, t1, 2);
	assert_null(store_latest(s)->http);
	store_attach_http(s, http_for(1, 10)); /* after */
	assert_int_equal(http_tag(store_latest(s)), 10);

	store_attach_http(s, http_for(2, 20)); /* before */
	assert_int_equal(store_http_pending(s), 1);
	struct span_record t2[] = { span(2, 1, 0, 50, 500) };
	store_ingest(s, t2, 1);
	assert_int_equal(http_tag(store_latest(s)), 20);
	assert_int_equal(store_http_pending(s), 0);

	/* trace_seq 3 and 4 both in trace id 3 */
	struct span_record t3[] = { span(3, 1, 0, 50, 500), span(4, 1, 0, 60, 600) };
	t3[1].u.root.trace_id[15] = 3;
	store_ingest(s, t3, 2);
	store_attach_http(s, http_for(3, 30));
	store_attach_http(s, http_for(3, 31));
	assert_int_equal(http_tag(store_trace(s, 2)), 30);
	assert_int_equal(http_tag(store_trace(s, 3)), 31);
	store_attach_http(s, http_for(3, 32)); /* a third waits for a third trace */
	assert_int_equal(store_http_pending(s), 1);
	assert_int_equal(store_http_unmatched(s), 0);
	store_destroy(s); /* frees the joined and the waiting (ASan, valgrind: no leak) */
}

/* Infos go with their traces' eviction; the waiting list is bounded, the
 * oldest freed and counted. */
static void http_evicted_with_its_trace_and_bounded_while_waiting(void **state)
{
	(void)state;
	struct store *s = small_store(2, 100);
	for (uint32_t seq = 1; seq <= 5; seq++) {
		struct span_record root = span(seq, 1, 0, 50, 500);
		store_ingest(s, &root, 1);
		store_attach_http(s, http_for((uint8_t)seq, (int)seq));
	}
	assert_int_equal(store_trace_count(s), 2);
	assert_int_equal(store_traces_evicted(s), 3); /* with their infos: a leak otherwise */
	assert_int_equal(http_tag(store_trace(s, 0)), 4);
	assert_int_equal(http_tag(store_trace(s, 1)), 5);

	store_attach_http(s, http_for(1, 100)); /* its trace is gone: it waits */
	assert_int_equal(store_http_pending(s), 1);
	for (int i = 0; i < STORE_HTTP_PENDING_MAX + 2; i++)
		store_attach_http(s, http_for(200, 1000 + i));
	assert_int_equal(store_http_pending(s), STORE_HTTP_PENDING_MAX);
	assert_int_equal(store_http_unmatched(s), 3);
	/* the oldest went first: of id 200, the earliest still waiting is 1002 */
	struct span_record late = span(6, 1, 0, 50, 500);
	late.u.root.trace_id[15] = 200;
	store_ingest(s, &late, 1);
	assert_int_equal(http_tag(store_latest(s)), 1002);
	assert_int_equal(store_http_pending(s), STORE_HTTP_PENDING_MAX - 1);
	store_attach_http(s, NULL); /* nothing to take */
	store_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(assembles_children_first_arrivals),
		cmocka_unit_test(sorts_nested_spans_as_they_end),
		cmocka_unit_test(sorts_spans_in_any_order),
		cmocka_unit_test(a_lost_root_orphans_its_children),
		cmocka_unit_test(evicts_oldest_within_bounds),
		cmocka_unit_test(attribution_partitions_the_root),
		cmocka_unit_test(apportioned_figures_add_up),
		cmocka_unit_test(medians),
		cmocka_unit_test(adopts_records_without_copying),
		cmocka_unit_test(interleaved_producers_all_complete),
		cmocka_unit_test(orphans_counted_per_producer),
		cmocka_unit_test(http_joins_its_trace_before_or_after),
		cmocka_unit_test(http_evicted_with_its_trace_and_bounded_while_waiting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
