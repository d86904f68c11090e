/* analysis: histogram precision, attribution on constructed traces,
 * findings on real ones, and the rolling window. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "obslab/analysis.h"
#include "obslab/findings.h"
#include "obslab/histogram.h"
#include "obslab/rng.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/recent.h"

/* ---- histogram ------------------------------------------------------------ */

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void percentiles_within_the_stated_error(void **state)
{
	(void)state;
	enum { N = 20000 };
	static int64_t v[N];
	struct histogram *h = test_malloc(sizeof *h);
	struct rng r;
	rng_seed(&r, 7);
	for (int dist = 0; dist < 3; dist++) {
		histogram_init(h);
		for (int i = 0; i < N; i++) {
			uint64_t x = rng_next(&r);
			/* uniform µs, log-uniform ns..s, and a bimodal mix */
			v[i] = dist == 0 ? (int64_t)(x % 1000000)
			     : dist == 1 ? (int64_t)(1ull << (x % 31)) + (int64_t)(x >> 40) % 1000
			                 : (x & 1 ? 200000 + (int64_t)(x >> 50) : 5000000 + (int64_t)(x >> 44));
			histogram_record(h, v[i]);
		}
		qsort(v, N, sizeof *v, cmp);
		const double ps[] = { 1, 25, 50, 90, 95, 99, 99.9, 100 };
		for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
			size_t rank = (size_t)(ps[k] / 100.0 * N + 0.999999999);
			int64_t exact = v[(rank ? rank : 1) - 1];
			int64_t got = histogram_percentile(h, ps[k]);
			double err = exact ? (double)llabs(got - exact) / (double)exact : (double)got;
			if (err > HISTOGRAM_RELATIVE_ERROR + 1e-9)
				fail_msg("dist %d p%.1f: exact %lld, histogram %lld (error %.4f)", dist, ps[k],
				         (long long)exact, (long long)got, err);
		}
		assert_int_equal(h->count, N);
		assert_int_equal(h->min, v[0]);
		assert_int_equal(h->max, v[N - 1]);
	}
	/* merging two halves equals recording all */
	struct histogram *a = test_malloc(sizeof *a), *b = test_malloc(sizeof *b);
	histogram_init(a);
	histogram_init(b);
	for (int i = 0; i < N; i++)
		histogram_record(i % 2 ? a : b, v[i]);
	histogram_merge(a, b);
	assert_memory_equal(a->buckets, h->buckets, sizeof h->buckets);
	assert_int_equal(a->sum, h->sum);
	test_free(a);
	test_free(b);
	test_free(h);
	struct histogram empty;
	histogram_init(&empty);
	assert_int_equal(histogram_percentile(&empty, 50), 0);
}

/* ---- attribution on constructed traces --------------------------------------- */

static struct span_record rec(uint64_t id, uint64_t parent, int64_t start, int64_t end, uint32_t net, bool db)
{
	struct span_record r;
	memset(&r, 0, sizeof r);
	r.span_id = id;
	r.parent_id = parent;
	r.start_ns = start;
	r.end_ns = end;
	r.trace_seq = 1;
	if (db) {
		r.flags = SPAN_F_DB;
		r.u.db.net_wait_ns = net;
	}
	return r;
}

static struct attribution attribute(struct span_record *spans, size_t n)
{
	struct store *s = store_create((struct store_limits){ 4, 1000 });
	store_ingest(s, spans, n);
	struct attribution a = analysis_attribution(store_latest(s));
	store_destroy(s);
	assert_int_equal(a.app_ns + a.db_ns + a.network_ns, a.total_ns);
	return a;
}

static void attribution_of_nested_gapped_and_covering_children(void **state)
{
	(void)state;
	/* nested: a query inside an internal span inside the root; a query
	 * nested in a query (a trigger) counts once */
	struct span_record nested[] = {
		rec(3, 2, 200, 300, 10, true), rec(4, 3, 220, 280, 0, true), rec(2, 1, 100, 500, 0, false),
		rec(1, 0, 0, 1000, 0, false),
	};
	struct attribution a = attribute(nested, 4);
	assert_int_equal(a.db_ns + a.network_ns, 100);
	assert_int_equal(a.network_ns, 10);
	assert_int_equal(a.app_ns, 900);

	/* gapped: queries with app time between them */
	struct span_record gapped[] = {
		rec(2, 1, 10, 20, 5, true), rec(3, 1, 40, 50, 5, true), rec(4, 1, 90, 100, 0, true),
		rec(1, 0, 0, 120, 0, false),
	};
	a = attribute(gapped, 4);
	assert_int_equal(a.db_ns, 20);
	assert_int_equal(a.network_ns, 10);
	assert_int_equal(a.app_ns, 90);

	/* covering: queries fill the whole request, overlapping: no app time */
	struct span_record covering[] = {
		rec(2, 1, 0, 60, 30, true), rec(3, 1, 50, 100, 0, true), rec(1, 0, 0, 100, 0, false),
	};
	a = attribute(covering, 3);
	assert_int_equal(a.app_ns, 0);
	assert_int_equal(a.db_ns, 70);
	assert_int_equal(a.network_ns, 30);

	/* concurrent: two queries side by side, each waiting 800 of its 900:
	 * the waits overlap too, so 800 network and 100 database, not 900 and 0 */
	struct span_record concurrent[] = {
		rec(2, 1, 100, 1000, 800, true), rec(3, 1, 100, 1000, 800, true), rec(1, 0, 0, 1100, 0, false),
	};
	a = attribute(concurrent, 3);
	assert_int_equal(a.network_ns, 800);
	assert_int_equal(a.db_ns, 100);
	assert_int_equal(a.app_ns, 200);

	/* a root alone is all app */
	struct span_record alone[] = { rec(1, 0, 5, 25, 0, false) };
	a = attribute(alone, 1);
	assert_int_equal(a.app_ns, 20);
	assert_int_equal(a.queries, 0);
}

/* ---- findings on real traces --------------------------------------------------- */

static const struct findings_config defaults = { .n1_min_count = FINDINGS_DEFAULT_N1_MIN_COUNT, .n1_min_ns = 0 };

static void detect(struct lab *lab, enum strategy s, struct findings *f, const struct findings_config *cfg)
{
	lab_request(lab, s);
	findings_detect(f, store_latest(lab->store), cfg, lab->names);
}

static void n_plus_one_found_for_naive_only(void **state)
{
	(void)state;
	struct lab lab;
	struct findings f;
	findings_init(&f);
	lab_open(&lab, ":memory:", 20, true);
	detect(&lab, STRATEGY_NAIVE, &f, &defaults);
	assert_int_equal(f.n, 1); /* the index is on: no full scan */
	const struct finding *x = &f.item[0];
	assert_int_equal(x->kind, FINDING_N_PLUS_ONE);
	assert_int_equal(x->count, 20);
	assert_string_equal(strtab_get(lab.names, x->fingerprint), "SELECT count(*) FROM orders WHERE user_id = ?");
	const struct trace *t = store_latest(lab.store);
	/* the evidence is exactly the 20 count queries, and the source the users query */
	assert_string_equal(strtab_get(lab.names, t->spans[x->source].name),
	                    "SELECT id, username, email FROM users ORDER BY id");
	int64_t cost = 0;
	for (uint32_t k = 0; k < x->count; k++) {
		uint32_t i = f.evidence[x->evidence + k];
		assert_int_equal(i, 2 + k);
		assert_int_equal(t->spans[i].name, x->fingerprint);
		cost += span_duration_ns(&t->spans[i]);
	}
	assert_int_equal(x->cost_ns, cost);
	assert_int_equal(x->saving_ns, 19 * x->median_ns);
	assert_ptr_equal(findings_for_span(&f, FINDING_N_PLUS_ONE, 7), x);
	assert_null(findings_for_span(&f, FINDING_N_PLUS_ONE, 1));

	detect(&lab, STRATEGY_OPTIMIZED, &f, &defaults);
	assert_int_equal(f.n, 0);
	detect(&lab, STRATEGY_EAGER, &f, &defaults);
	assert_int_equal(f.n, 0);
	lab_close(&lab);
	findings_free(&f);
}

static void thresholds_hold_back_small_loops(void **state)
{
	(void)state;
	struct lab lab;
	struct findings f;
	findings_init(&f);
	lab_open(&lab, ":memory:", 4, true); /* 4 repeats: under Sentry's 5 */
	detect(&lab, STRATEGY_NAIVE, &f, &defaults);
	assert_int_equal(f.n, 0);
	lab_close(&lab);
	lab_open(&lab, ":memory:", 5, true);
	detect(&lab, STRATEGY_NAIVE, &f, &defaults);
	assert_int_equal(f.n, 1);
	/* a time threshold no in-process loop reaches: Sentry's 50 ms */
	struct findings_config sentry = { .n1_min_count = 5, .n1_min_ns = 50 * 1000000 };
	detect(&lab, STRATEGY_NAIVE, &f, &sentry);
	assert_int_equal(f.n, 0);
	lab_close(&lab);
	findings_free(&f);
}

static void full_scan_in_a_loop_follows_the_index(void **state)
{
	(void)state;
	struct lab lab;
	struct findings f;
	findings_init(&f);
	lab_open(&lab, ":memory:", 20, false);
	detect(&lab, STRATEGY_NAIVE, &f, &defaults);
	const struct finding *scan = NULL;
	for (size_t i = 0; i < f.n; i++)
		if (f.item[i].kind == FINDING_FULL_SCAN_LOOP)
			scan = &f.item[i];
	assert_non_null(scan);
	assert_string_equal(scan->index_hint, "orders(user_id)");
	assert_int_equal(scan->count, 20);
	assert_true(scan->scanned_rows >= 20 * 40); /* every query read all ~70 orders */
	assert_true(scan->saving_ns > 0 && scan->saving_ns <= scan->cost_ns);
	assert_non_null(findings_for_fingerprint(&f, FINDING_N_PLUS_ONE, scan->fingerprint));

	struct obslab_error err;
	assert_int_equal(db_set_index(lab.db, true, &err), DB_OK);
	detect(&lab, STRATEGY_NAIVE, &f, &defaults);
	assert_null(findings_for_fingerprint(&f, FINDING_FULL_SCAN_LOOP, scan->fingerprint));
	assert_int_equal(f.n, 1);
	lab_close(&lab);
	findings_free(&f);
}

/* ---- the window ------------------------------------------------------------------ */

static void window_sums_and_forgets(void **state)
{
	(void)state;
	struct lab lab;
	lab_open(&lab, ":memory:", 20, true);
	struct recent_stats *w = test_malloc(sizeof *w);
	int64_t t0 = 1000 * CLOCK_NS_PER_S;
	recent_init(w, t0);
	int64_t total = 0;
	for (int i = 0; i < 10; i++) {
		lab_request(&lab, STRATEGY_NAIVE);
		const struct trace *t = store_latest(lab.store);
		recent_add(w, t, t0 + i * CLOCK_NS_PER_S);
		total += span_duration_ns(&t->spans[0]);
	}
	struct recent_attribution a = recent_attribution(w, t0 + 10 * CLOCK_NS_PER_S);
	assert_int_equal(a.requests, 10);
	assert_int_equal(a.total_ns, total);
	assert_int_equal(a.app_ns + a.db_ns + a.network_ns, a.total_ns);
	struct query_stat q[4];
	assert_int_equal(recent_query_stats(w, t0 + 10 * CLOCK_NS_PER_S, q, 4), 2);
	/* Rows are sorted by measured time, which the 200 count queries usually
	 * but not always win: find each row by its fingerprint. */
	const struct query_stat *count = strstr(strtab_get(lab.names, q[0].fingerprint), "count") ? &q[0] : &q[1];
	const struct query_stat *users = count == &q[0] ? &q[1] : &q[0];
	assert_non_null(strstr(strtab_get(lab.names, count->fingerprint), "count"));
	assert_null(strstr(strtab_get(lab.names, users->fingerprint), "count"));
	assert_int_equal(count->calls, 200);
	assert_int_equal(count->rows, 200);
	assert_int_equal(users->calls, 10);
	assert_int_equal(users->rows, 200);
	assert_true(count->p50_ns <= count->p95_ns && count->p95_ns <= count->p99_ns && count->p99_ns <= count->max_ns);
	assert_true(count->share > 0 && count->share < 1);
	assert_true(q[0].total_ns >= q[1].total_ns); /* the order every list shows */
	/* a minute later the window is empty again */
	a = recent_attribution(w, t0 + 80 * CLOCK_NS_PER_S);
	assert_int_equal(a.requests, 0);
	assert_int_equal(recent_query_stats(w, t0 + 80 * CLOCK_NS_PER_S, q, 4), 0);
	/* and a reset forgets at once */
	lab_request(&lab, STRATEGY_OPTIMIZED);
	recent_add(w, store_latest(lab.store), t0 + 81 * CLOCK_NS_PER_S);
	recent_reset(w, t0 + 82 * CLOCK_NS_PER_S);
	assert_int_equal(recent_attribution(w, t0 + 82 * CLOCK_NS_PER_S).requests, 0);
	test_free(w);
	lab_close(&lab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(percentiles_within_the_stated_error),
		cmocka_unit_test(attribution_of_nested_gapped_and_covering_children),
		cmocka_unit_test(n_plus_one_found_for_naive_only),
		cmocka_unit_test(thresholds_hold_back_small_loops),
		cmocka_unit_test(full_scan_in_a_loop_follows_the_index),
		cmocka_unit_test(window_sums_and_forgets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
