/* store and analysis: assembly, orphans, bounds, and attribution that
 * partitions the root exactly. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "obslab/analysis.h"
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
