/* numbers: sums of durations saturate instead of wrapping, and no figure
 * goes below zero, whatever the spans say: the duration helpers, the
 * histogram, attribution, query statistics, findings and the window with
 * the most extreme values a span record can hold. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "obslab/analysis.h"
#include "obslab/duration.h"
#include "obslab/findings.h"
#include "obslab/histogram.h"
#include "obslab/span.h"
#include "obslab/sqlfp.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/recent.h"

#define T62 (INT64_C(1) << 62)

static void duration_helpers_saturate_and_never_go_negative(void **state)
{
	(void)state;
	assert_int_equal(duration_add(1, 2), 3);
	assert_int_equal(duration_add(INT64_MAX, 1), INT64_MAX);
	assert_int_equal(duration_add(T62, T62), INT64_MAX);
	assert_int_equal(duration_add(INT64_MAX, INT64_MAX), INT64_MAX);
	assert_int_equal(duration_add(-5, 3), 3);
	assert_int_equal(duration_add(INT64_MIN, INT64_MIN), 0);
	assert_int_equal(duration_sub(10, 3), 7);
	assert_int_equal(duration_sub(3, 10), 0);
	assert_int_equal(duration_sub(INT64_MAX, INT64_MIN), INT64_MAX);
	assert_int_equal(duration_sub(INT64_MIN, INT64_MAX), 0);
	assert_int_equal(duration_mul(7, 6), 42);
	assert_int_equal(duration_mul(T62, 2), INT64_MAX);
	assert_int_equal(duration_mul(T62, UINT64_MAX), INT64_MAX);
	assert_int_equal(duration_mul(0, UINT64_MAX), 0);
	assert_int_equal(duration_mul(-9, 3), 0);
	assert_int_equal(duration_between(5, 12), 7);
	assert_int_equal(duration_between(12, 5), 0);
	assert_int_equal(duration_between(INT64_MIN, INT64_MAX), INT64_MAX);
	assert_int_equal(duration_between(-1, INT64_MAX), INT64_MAX);
	struct span_record s = { .start_ns = INT64_MIN, .end_ns = INT64_MAX };
	assert_int_equal(span_duration_ns(&s), INT64_MAX);
	s = (struct span_record){ .start_ns = 900, .end_ns = 100 };
	assert_int_equal(span_duration_ns(&s), 0);
}

static void histogram_sums_saturate(void **state)
{
	(void)state;
	struct histogram *h = test_malloc(sizeof *h), *g = test_malloc(sizeof *g);
	histogram_init(h);
	for (int i = 0; i < 3; i++)
		histogram_record(h, INT64_MAX);
	histogram_record(h, INT64_MIN); /* counts as 0 */
	assert_int_equal(h->count, 4);
	assert_int_equal(h->sum, INT64_MAX);
	assert_int_equal(h->min, 0);
	assert_int_equal(h->max, INT64_MAX);
	assert_int_equal(histogram_percentile(h, 100), INT64_MAX);
	assert_true(histogram_percentile(h, 50) >= 0);
	assert_true(histogram_percentile(h, 1) >= 0);
	histogram_init(g);
	histogram_record(g, T62);
	histogram_record(g, T62);
	histogram_merge(g, h);
	assert_int_equal(g->count, 6);
	assert_int_equal(g->sum, INT64_MAX);
	histogram_merge(g, g);
	assert_int_equal(g->sum, INT64_MAX);
	assert_int_equal(g->count, 12);
	test_free(h);
	test_free(g);
}

/* ---- traces built by hand, as a store holds them ------------------------------- */

static struct span_record rec(uint64_t id, uint64_t parent, int64_t start, int64_t end, uint32_t net, uint32_t name)
{
	struct span_record r;
	memset(&r, 0, sizeof r);
	r.span_id = id;
	r.parent_id = parent;
	r.start_ns = start;
	r.end_ns = end;
	r.trace_seq = 1;
	r.name = name;
	if (parent) {
		r.flags = SPAN_F_DB;
		r.u.db.net_wait_ns = net;
		r.u.db.fullscan_steps = 100;
		r.u.db.rows = 1;
	}
	return r;
}

static struct store *store_of(struct span_record *spans, size_t n)
{
	struct store *s = store_create((struct store_limits){ 4, 1000, 0 });
	assert_non_null(s);
	store_ingest(s, spans, n);
	assert_non_null(store_latest(s));
	return s;
}

static void assert_attribution_sane(struct attribution a)
{
	assert_true(a.total_ns >= 0 && a.app_ns >= 0 && a.db_ns >= 0 && a.network_ns >= 0);
	assert_int_equal(duration_add(duration_add(a.app_ns, a.db_ns), a.network_ns), a.total_ns);
}

static void attribution_of_extreme_spans(void **state)
{
	(void)state;
	/* The widest span a record can hold, with children covering it all. */
	struct span_record wide[] = {
		rec(2, 1, INT64_MIN, INT64_MAX, UINT32_MAX, 7), rec(3, 1, INT64_MIN, INT64_MAX, UINT32_MAX, 7),
		rec(1, 0, INT64_MIN, INT64_MAX, 0, 1),
	};
	struct store *s = store_of(wide, 3);
	struct attribution a = analysis_attribution(store_latest(s));
	assert_attribution_sane(a);
	assert_int_equal(a.total_ns, INT64_MAX);
	struct query_stat q[4];
	assert_int_equal(analysis_query_stats(store_latest(s), q, 4), 1);
	assert_int_equal(q[0].total_ns, INT64_MAX); /* two of INT64_MAX: saturated, not wrapped */
	assert_true(q[0].mean_ns >= 0 && q[0].network_ns >= 0);
	store_destroy(s);

	/* A wait longer than its span (no reader lets one in; the sums guard anyway). */
	struct span_record waits[] = { rec(2, 1, 100, 200, 4000000000u, 7), rec(1, 0, 0, 1000, 0, 1) };
	s = store_of(waits, 2);
	a = analysis_attribution(store_latest(s));
	assert_attribution_sane(a);
	assert_int_equal(a.network_ns, 100);
	assert_int_equal(a.db_ns, 0);
	store_destroy(s);
}

static void findings_never_negative(void **state)
{
	(void)state;
	struct strtab *names = strtab_create();
	uint32_t users = sqlfp_intern(names, "SELECT id FROM users", 20);
	const char *sql = "SELECT count(*) FROM orders WHERE user_id = 1";
	uint32_t orders = sqlfp_intern(names, sql, strlen(sql));
	struct findings_config cfg = { .n1_min_count = 5 };
	struct findings f;
	findings_init(&f);

	/* Five sequential queries of 3 x 2^60 ns each after a first one, in a
	 * root as wide as a record allows: their cost and the N+1 saving (4 x
	 * the median) are past INT64_MAX. */
	int64_t len = INT64_C(3) << 60, t0 = INT64_MIN + 2;
	struct span_record big[7];
	big[0] = rec(2, 1, t0 - 1, t0, 0, users);
	for (int i = 0; i < 5; i++, t0 += len)
		big[1 + i] = rec((uint64_t)(3 + i), 1, t0, t0 + len, UINT32_MAX, orders);
	big[6] = rec(1, 0, INT64_MIN, INT64_MAX, 0, 1);
	struct store *s = store_of(big, 7);
	findings_detect(&f, store_latest(s), &cfg, names);
	assert_int_equal(f.n, 2);
	for (size_t i = 0; i < f.n; i++) {
		assert_true(f.item[i].cost_ns >= 0);
		assert_true(f.item[i].saving_ns >= 0);
		assert_true(f.item[i].median_ns >= 0);
	}
	assert_int_equal(f.item[0].kind, FINDING_N_PLUS_ONE);
	assert_int_equal(f.item[0].saving_ns, INT64_MAX);
	store_destroy(s);

	/* Waits longer than their spans: a full scan's saving is never below 0. */
	struct span_record waits[7];
	waits[0] = rec(2, 1, 0, 10, 0, users);
	for (int i = 0; i < 5; i++)
		waits[1 + i] = rec((uint64_t)(3 + i), 1, 100 + i * 100, 150 + i * 100, 4000000000u, orders);
	waits[6] = rec(1, 0, 0, 1000, 0, 1);
	s = store_of(waits, 7);
	findings_detect(&f, store_latest(s), &cfg, names);
	assert_int_equal(f.n, 2);
	assert_int_equal(f.item[1].kind, FINDING_FULL_SCAN_LOOP);
	assert_int_equal(f.item[1].saving_ns, 0);
	store_destroy(s);
	findings_free(&f);
	strtab_destroy(names);
}

static void window_sums_saturate(void **state)
{
	(void)state;
	struct recent_stats *w = test_malloc(sizeof *w);
	recent_init(w, 0);
	struct span_record spans[] = { rec(2, 1, 0, T62, UINT32_MAX, 7), rec(1, 0, 0, T62, 0, 1) };
	struct store *s = store_of(spans, 2);
	for (int i = 0; i < 10; i++)
		recent_add(w, store_latest(s), 0);
	struct recent_attribution a = recent_attribution(w, 0);
	assert_int_equal(a.requests, 10);
	assert_int_equal(a.total_ns, INT64_MAX);
	assert_int_equal(a.db_ns, INT64_MAX);
	assert_true(a.app_ns >= 0 && a.network_ns >= 0 && a.span_ns >= 0);
	struct query_stat q[RECENT_MAX_FINGERPRINTS];
	assert_int_equal(recent_query_stats(w, 0, q, RECENT_MAX_FINGERPRINTS), 1);
	assert_int_equal(q[0].calls, 10);
	assert_int_equal(q[0].total_ns, INT64_MAX);
	assert_true(q[0].mean_ns >= q[0].min_ns && q[0].mean_ns <= q[0].max_ns);
	assert_int_equal(q[0].p50_ns, T62);
	assert_true(q[0].share >= 0);
	store_destroy(s);
	test_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(duration_helpers_saturate_and_never_go_negative),
		cmocka_unit_test(histogram_sums_saturate),
		cmocka_unit_test(attribution_of_extreme_spans),
		cmocka_unit_test(findings_never_negative),
		cmocka_unit_test(window_sums_saturate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
