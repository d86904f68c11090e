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
#include "obslab/otel.h"
#include "obslab/rng.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/recent.h"
#include "obslab/waterfall.h"

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
	struct store *s = store_create((struct store_limits){ 4, 1000, 0 });
	store_ingest(s, spans, n);
	struct attribution a = analysis_attribution(store_latest(s));
	store_destroy(s);
	assert_int_equal(a.app_ns + a.db_ns + a.network_ns, a.total_ns);
	assert_int_equal(a.kind, ATTRIBUTION_LAB);
	assert_int_equal(a.calls_ns, 0);
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

/* ---- attribution on foreign traces -------------------------------------------- */

/* checkout (two resources of one service.name: two hosts) calls the
 * database twice (overlapping) and inventory over HTTP; inventory queries
 * its own database inside that call.
 *   0 ---------------------------------------------- 1000  checkout POST /checkout (server)
 *     100 --- 300                                          checkout db SELECT (client, db)
 *          250 --- 350                                     checkout db UPDATE (client, db), second host
 *                      400 ------------- 800               checkout GET /stock (client, HTTP)
 *                        420 ---------- 780                inventory GET /stock (server)
 *                            500 -- 600                    inventory db SELECT (client, db)
 *                              550 - 590                   inventory internal work */
static void build_checkout(struct foreign *f, struct strtab *names)
{
	foreign_init(f, names);
	uint32_t checkout = foreign_resource(f, "checkout"), inventory = foreign_resource(f, "inventory");
	uint32_t checkout2 = foreign_resource(f, "checkout");
	foreign_span(f, checkout, 1, 0, SPAN_KIND_SERVER, "POST /checkout", NULL, 0, 1000);
	foreign_span(f, checkout, 2, 1, SPAN_KIND_CLIENT, "SELECT shop.orders", "SELECT * FROM orders WHERE id = ?",
	             100, 300);
	foreign_span(f, checkout2, 3, 1, SPAN_KIND_CLIENT, "UPDATE shop.carts", "UPDATE carts SET n = ?", 250, 350);
	foreign_span(f, checkout, 4, 1, SPAN_KIND_CLIENT, "GET /stock", NULL, 400, 800);
	foreign_span(f, inventory, 5, 4, SPAN_KIND_SERVER, "GET /stock", NULL, 420, 780);
	foreign_span(f, inventory, 6, 5, SPAN_KIND_CLIENT, "SELECT stock", "SELECT n FROM stock WHERE sku = ?", 500,
	             600);
	foreign_span(f, inventory, 7, 5, SPAN_KIND_INTERNAL, "reserve", NULL, 550, 590);
}

static void foreign_attribution_is_own_database_and_calls(void **state)
{
	(void)state;
	struct strtab *names = strtab_create();
	struct foreign *f = test_malloc(sizeof *f);
	build_checkout(f, names);
	assert_true(analysis_trace_foreign(&f->trace));
	struct attribution a = analysis_attribution(&f->trace);
	assert_int_equal(a.kind, ATTRIBUTION_FOREIGN);
	assert_int_equal(a.total_ns, 1000);
	/* database: [100, 350) and [500, 600), the downstream's query included */
	assert_int_equal(a.db_ns, 350);
	/* calls: the HTTP call's [400, 800) less the database inside it */
	assert_int_equal(a.calls_ns, 300);
	assert_int_equal(a.app_ns, 350);
	assert_int_equal(a.network_ns, 0); /* never simulated, never guessed */
	assert_int_equal(a.app_ns + a.db_ns + a.network_ns + a.calls_ns, a.total_ns);
	assert_int_equal(a.queries, 3);
	assert_int_equal(a.calls, 1);
	assert_string_equal(attribution_label_app(&a), "own");
	assert_string_equal(attribution_label_db(&a), "database incl. network");
	assert_null(attribution_label_network(&a));
	assert_string_equal(attribution_label_calls(&a), "calls");

	/* a lab attribution keeps its labels */
	struct attribution lab = { .kind = ATTRIBUTION_LAB };
	assert_string_equal(attribution_label_network(&lab), "network (simulated)");
	assert_null(attribution_label_calls(&lab));

	/* children outside the root (clock skew) are clipped: still exact */
	f->spans[3].end_ns = 1200;
	f->spans[4].end_ns = 1100;
	a = analysis_attribution(&f->trace);
	assert_int_equal(a.app_ns + a.db_ns + a.calls_ns, 1000);
	assert_int_equal(a.calls_ns, 500); /* [400, 1000) less [500, 600) */

	/* a series of foreign attributions keeps its kind and its calls */
	struct attribution_series series = { 0 };
	attribution_series_add(&series, a);
	struct attribution m = attribution_series_medians(&series);
	assert_int_equal(m.kind, ATTRIBUTION_FOREIGN);
	assert_int_equal(m.calls_ns, 500);
	attribution_series_free(&series);
	foreign_free(f);
	test_free(f);
	strtab_destroy(names);
}

static void attribution_per_service(void **state)
{
	(void)state;
	struct strtab *names = strtab_create();
	struct foreign *f = test_malloc(sizeof *f);
	build_checkout(f, names);
	size_t n = 0;
	struct service_attribution *sv = analysis_services(&f->trace, &n);
	assert_int_equal(n, 2); /* two resources named checkout are one service */
	assert_string_equal(sv[0].service, "checkout");
	assert_string_equal(sv[1].service, "inventory");
	assert_int_equal(sv[0].spans, 4);
	assert_int_equal(sv[1].spans, 3);
	/* checkout: open all along; its own queries [100, 350), its call [400, 800) */
	assert_int_equal(sv[0].a.total_ns, 1000);
	assert_int_equal(sv[0].a.db_ns, 250);
	assert_int_equal(sv[0].a.calls_ns, 400);
	assert_int_equal(sv[0].a.app_ns, 350);
	/* inventory: open [420, 780), its query [500, 600) */
	assert_int_equal(sv[1].a.total_ns, 360);
	assert_int_equal(sv[1].a.db_ns, 100);
	assert_int_equal(sv[1].a.calls_ns, 0);
	assert_int_equal(sv[1].a.app_ns, 260);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(sv[i].a.kind, ATTRIBUTION_FOREIGN);
		assert_int_equal(sv[i].a.app_ns + sv[i].a.db_ns + sv[i].a.calls_ns + sv[i].a.network_ns, sv[i].a.total_ns);
	}
	free(sv);

	/* a service whose resource has no service.name is one service, NULL */
	struct otel_resource bare;
	memset(&bare, 0, sizeof bare);
	struct otel_scope bare_scope;
	memset(&bare_scope, 0, sizeof bare_scope);
	bare_scope.resource = otel_add_resource(f->set, &bare);
	uint32_t anon = otel_add_scope(f->set, &bare_scope);
	foreign_span(f, anon, 8, 7, SPAN_KIND_INTERNAL, "cache", NULL, 560, 570);
	sv = analysis_services(&f->trace, &n);
	assert_int_equal(n, 3);
	assert_null(sv[2].service);
	assert_int_equal(sv[2].a.total_ns, 10);
	free(sv);

	/* a lab trace has no services */
	struct span_record alone[] = { rec(1, 0, 5, 25, 0, false) };
	struct trace lab = { .seq = 1, .spans = alone, .nspans = 1 };
	assert_null(analysis_services(&lab, &n));
	assert_int_equal(n, 0);
	assert_false(analysis_trace_foreign(&lab));
	foreign_free(f);
	test_free(f);
	strtab_destroy(names);
}

/* Query statistics of foreign database spans: rows only where the file
 * gave them; the grouping over any set of calls is the trace's. */
static void foreign_query_rows_only_when_known(void **state)
{
	(void)state;
	struct strtab *names = strtab_create();
	struct foreign *f = test_malloc(sizeof *f);
	build_checkout(f, names);
	f->spans[1].u.foreign.rows = 7; /* not known: a reader never sets it so, but the bit decides */
	f->spans[5].u.foreign.rows = 3;
	f->spans[5].u.foreign.known = SPAN_KNOWN_ROWS;
	struct query_stat q[8];
	assert_int_equal(analysis_query_stats(&f->trace, q, 8), 3);
	for (size_t i = 0; i < 3; i++) {
		const char *sql = strtab_get(names, q[i].fingerprint);
		if (strstr(sql, "stock")) {
			assert_int_equal(q[i].rows_known, 1);
			assert_int_equal(q[i].rows, 3);
		} else {
			assert_int_equal(q[i].rows_known, 0);
			assert_int_equal(q[i].rows, 0);
		}
		assert_int_equal(q[i].network_ns, 0);
	}
	/* the same calls grouped as a set: equal figures, and a cap keeps the heaviest */
	struct query_call calls[3];
	size_t n = 0;
	for (size_t i = 0; i < f->trace.nspans; i++)
		if (f->spans[i].flags & SPAN_F_DB)
			calls[n++] = analysis_call_of(&f->spans[i]);
	analysis_calls_sort(calls, n);
	assert_int_equal(analysis_calls_group(calls, n, 0, NULL, 0), 3);
	struct query_stat top;
	assert_int_equal(analysis_calls_group(calls, n, 1000, &top, 1), 3);
	assert_int_equal(top.fingerprint, q[0].fingerprint);
	assert_int_equal(top.total_ns, 200);
	assert_true(top.share > 0.199 && top.share < 0.201);
	foreign_free(f);
	test_free(f);
	strtab_destroy(names);
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

/* ---- overlapping calls: a pipeline's ---------------------------------------------- */

/* A pipelined request: one users query (10..100), then ten count queries
 * sent at 100, 110, ... 190 whose answers all come by 900. Every total is
 * the calls' wall-clock time (800), not their summed durations (7 550);
 * the mean stays per call (755). */
static void overlapping_calls_count_once(void **state)
{
	(void)state;
	struct strtab *names = strtab_create();
	uint32_t users = strtab_intern_cstr(names, "SELECT id, name FROM users");
	uint32_t count = strtab_intern_cstr(names, "SELECT count(*) FROM orders WHERE user_id = ?");
	struct span_record sp[12];
	sp[0] = rec(2, 1, 10, 100, 5, true);
	sp[0].name = users;
	for (int i = 0; i < 10; i++) {
		sp[1 + i] = rec(3 + (uint64_t)i, 1, 100 + i * 10, 900, 5, true);
		sp[1 + i].name = count;
		sp[1 + i].u.db.fullscan_steps = 70;
	}
	sp[11] = rec(1, 0, 0, 1000, 0, false); /* the root ends the trace, as the lab's does */
	struct store *s = store_create((struct store_limits){ 4, 1000, 0 });
	store_ingest(s, sp, 12);
	const struct trace *t = store_latest(s);

	struct query_stat q[4];
	assert_int_equal(analysis_query_stats(t, q, 4), 2);
	assert_int_equal(q[0].fingerprint, count);
	assert_int_equal(q[0].calls, 10);
	assert_int_equal(q[0].total_ns, 800);
	assert_int_equal(q[0].summed_ns, 7550);
	assert_int_equal(q[0].mean_ns, 755);
	assert_true(q[0].share > 0.799 && q[0].share < 0.801);
	assert_int_equal(q[1].total_ns, 90); /* one call: its duration */
	assert_int_equal(q[1].summed_ns, 90);

	struct waterfall wf;
	waterfall_init(&wf);
	struct wf_folds folds = { 0 };
	wf_folds_set(&folds, count, WF_FOLD_CLOSED);
	waterfall_build(&wf, t, &folds);
	assert_int_equal(wf.nrows, 3);
	assert_int_equal(wf.rows[2].kind, WF_ROW_GROUP);
	assert_int_equal(wf.rows[2].busy_ns, 800);
	assert_int_equal(wf.rows[2].summed_ns, 7550);
	waterfall_free(&wf);

	struct findings f;
	findings_init(&f);
	findings_detect(&f, t, &defaults, names);
	const struct finding *scan = findings_for_fingerprint(&f, FINDING_FULL_SCAN_LOOP, count);
	assert_non_null(scan);
	assert_int_equal(scan->cost_ns, 800);
	assert_true(scan->saving_ns <= scan->cost_ns);
	findings_free(&f);

	/* the report's statistics over a store's traces: the same wall clock */
	struct query_call calls[11];
	size_t ncalls = 0;
	for (size_t i = 0; i < t->nspans; i++)
		if (t->spans[i].flags & SPAN_F_DB)
			calls[ncalls++] = analysis_call_of(&t->spans[i]);
	analysis_calls_sort(calls, ncalls);
	assert_int_equal(analysis_calls_group(calls, ncalls, 0, q, 4), 2);
	assert_int_equal(q[0].total_ns, 7550); /* summed, before */
	analysis_queries_wall_clock(s, q, 2);
	assert_int_equal(q[0].fingerprint, count);
	assert_int_equal(q[0].total_ns, 800);
	assert_int_equal(q[0].summed_ns, 7550);
	assert_int_equal(q[1].total_ns, 90);

	struct recent_stats *w = test_malloc(sizeof *w);
	recent_init(w, 0);
	recent_add(w, t, 0);
	recent_add(w, t, 0); /* two requests: their wall-clock times add up */
	assert_int_equal(recent_query_stats(w, 0, q, 4), 2);
	assert_int_equal(q[0].total_ns, 1600);
	assert_int_equal(q[0].summed_ns, 15100);
	assert_int_equal(q[0].calls, 20);
	test_free(w);
	store_destroy(s);
	strtab_destroy(names);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(percentiles_within_the_stated_error),
		cmocka_unit_test(attribution_of_nested_gapped_and_covering_children),
		cmocka_unit_test(foreign_attribution_is_own_database_and_calls),
		cmocka_unit_test(attribution_per_service),
		cmocka_unit_test(foreign_query_rows_only_when_known),
		cmocka_unit_test(n_plus_one_found_for_naive_only),
		cmocka_unit_test(thresholds_hold_back_small_loops),
		cmocka_unit_test(full_scan_in_a_loop_follows_the_index),
		cmocka_unit_test(window_sums_and_forgets),
		cmocka_unit_test(overlapping_calls_count_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
