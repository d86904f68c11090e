/* waterfall, query statistics and the log book: the view models the panes
 * draw, checked without a terminal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "obslab/analysis.h"
#include "obslab/logbook.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/waterfall.h"

static void naive_20_is_an_expanded_staircase(void **state)
{
	(void)state;
	struct lab lab;
	lab_open(&lab, ":memory:", 20, false);
	lab_request(&lab, STRATEGY_NAIVE);
	const struct trace *t = store_latest(lab.store);
	struct waterfall wf;
	waterfall_init(&wf);
	waterfall_build(&wf, t, NULL);
	/* root, users query, group ×20, 20 members, serialize */
	assert_int_equal(wf.nrows, 1 + 1 + 1 + 20 + 1);
	assert_int_equal(wf.rows[0].kind, WF_ROW_SPAN);
	assert_int_equal(wf.rows[0].depth, 0);
	assert_int_equal(wf.rows[1].depth, 1);
	const struct wf_row *g = &wf.rows[2];
	assert_int_equal(g->kind, WF_ROW_GROUP);
	assert_int_equal(g->count, 20);
	assert_true(g->expanded);
	assert_int_equal(g->start_ns, t->spans[2].start_ns);
	assert_int_equal(g->end_ns, t->spans[21].end_ns);
	for (size_t i = 3; i < 23; i++) {
		assert_int_equal(wf.rows[i].depth, 2);
		assert_int_equal(wf.rows[i].span, i - 1);
		assert_true(wf.rows[i].start_ns >= wf.rows[i - 1].start_ns); /* the staircase */
	}
	assert_true(wf.rows[22].last_sibling);
	assert_true(wf.rows[23].last_sibling);
	assert_string_equal(strtab_get(lab.names, t->spans[wf.rows[23].span].name), "serialize response");

	/* Folded by choice: one row stands for the twenty. */
	struct wf_folds folds = { 0 };
	wf_folds_set(&folds, t->spans[2].name, WF_FOLD_CLOSED);
	waterfall_build(&wf, t, &folds);
	assert_int_equal(wf.nrows, 4);
	assert_false(wf.rows[2].expanded);
	assert_int_equal(waterfall_find_span(&wf, 22), 3);
	waterfall_free(&wf);
	lab_close(&lab);
}

static void big_loops_fold_by_default_small_runs_never_group(void **state)
{
	(void)state;
	struct lab lab;
	lab_open(&lab, ":memory:", 1000, true);
	lab_request(&lab, STRATEGY_NAIVE);
	struct waterfall wf;
	waterfall_init(&wf);
	waterfall_build(&wf, store_latest(lab.store), NULL);
	assert_int_equal(wf.nrows, 4);
	assert_int_equal(wf.rows[2].count, 1000);
	assert_false(wf.rows[2].expanded);
	lab_request(&lab, STRATEGY_EAGER); /* two different queries: no group */
	waterfall_build(&wf, store_latest(lab.store), NULL);
	assert_int_equal(wf.nrows, 1 + 3 + 1);
	for (size_t i = 0; i < wf.nrows; i++)
		assert_int_equal(wf.rows[i].kind, WF_ROW_SPAN);
	waterfall_build(&wf, NULL, NULL);
	assert_int_equal(wf.nrows, 0);
	waterfall_free(&wf);
	lab_close(&lab);
}

static void query_stats_per_fingerprint(void **state)
{
	(void)state;
	struct lab lab;
	lab_open(&lab, ":memory:", 20, false);
	lab_request(&lab, STRATEGY_NAIVE);
	const struct trace *t = store_latest(lab.store);
	struct query_stat q[8];
	assert_int_equal(analysis_query_stats(t, q, 8), 2);
	const struct query_stat *count = strstr(strtab_get(lab.names, q[0].fingerprint), "count") ? &q[0] : &q[1];
	const struct query_stat *users = count == &q[0] ? &q[1] : &q[0];
	assert_int_equal(count->calls, 20);
	assert_int_equal(count->rows, 20);
	assert_int_equal(users->calls, 1);
	assert_int_equal(users->rows, 20);
	assert_true(q[0].total_ns >= q[1].total_ns);
	assert_true(count->min_ns <= count->p50_ns && count->p50_ns <= count->p95_ns &&
	            count->p95_ns <= count->p99_ns && count->p99_ns <= count->max_ns);
	assert_int_equal(count->mean_ns, count->total_ns / 20);
	int64_t sum = 0;
	for (size_t i = 2; i < 22; i++)
		sum += span_duration_ns(&t->spans[i]);
	assert_int_equal(count->total_ns, sum);
	assert_true(count->share > 0.0 && count->share < 1.0);
	/* a cap of one keeps the largest */
	struct query_stat top;
	assert_int_equal(analysis_query_stats(t, &top, 1), 2);
	assert_int_equal(top.fingerprint, q[0].fingerprint);
	lab_close(&lab);
}

static void logbook_folds_repeats(void **state)
{
	(void)state;
	struct strtab *names = strtab_create();
	uint32_t fp = strtab_intern_cstr(names, "SELECT count(*) FROM orders WHERE user_id = ?");
	struct logbook *lb = test_malloc(sizeof *lb);
	logbook_init(lb);
	for (int i = 0; i < 37; i++) {
		struct log_record r = { .time_ns = i, .message = "N+1 query pattern detected", .level = LOG_WARN, .nfields = 2 };
		r.fields[0] = log_str("fingerprint", fp);
		r.fields[1] = log_text("trace_id", i % 2 ? "aaaa" : "bbbb"); /* differs every time */
		logbook_add_record(lb, &r, names);
	}
	assert_int_equal(logbook_count(lb), 1);
	assert_int_equal(logbook_get(lb, 0)->repeat, 37);
	assert_int_equal(logbook_get(lb, 0)->time_ns, 36);
	assert_null(strstr(logbook_get(lb, 0)->text, "trace_id"));
	assert_non_null(strstr(logbook_get(lb, 0)->text, "fingerprint=\"SELECT count(*)"));
	logbook_add(lb, LOG_INFO, 40, "strategy: optimized");
	assert_int_equal(logbook_count(lb), 2);
	for (int i = 0; i < LOGBOOK_MAX + 10; i++) {
		char text[32];
		snprintf(text, sizeof text, "line %d", i);
		logbook_add(lb, LOG_INFO, i, text);
	}
	assert_int_equal(logbook_count(lb), LOGBOOK_MAX);
	assert_string_equal(logbook_get(lb, LOGBOOK_MAX - 1)->text, "line 265");
	test_free(lb);
	strtab_destroy(names);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(naive_20_is_an_expanded_staircase),
		cmocka_unit_test(big_loops_fold_by_default_small_runs_never_group),
		cmocka_unit_test(query_stats_per_fingerprint),
		cmocka_unit_test(logbook_folds_repeats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
