/* waterfall, query statistics and the log book: the view models the panes
 * draw, checked without a terminal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "obslab/analysis.h"
#include "obslab/error.h"
#include "obslab/logbook.h"
#include "obslab/snapshot.h"
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

/* ---- traces from other tools' files: no span is ever out of reach ---------------------- */

/* An OTLP/JSON document of spans given as (id, parent, name, start ms, end ms). */
struct fspan {
	unsigned id, parent;
	const char *name;
	double start_ms, end_ms;
};

struct ftrace {
	struct snapshot snap;
	struct store *store;
	const struct trace *t;
};

static void foreign_open(struct ftrace *f, const struct fspan *sp, size_t n)
{
	size_t cap = 256 + n * 256, used = 0;
	char *doc = test_malloc(cap);
	used += (size_t)snprintf(doc, cap, "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\","
	                         "\"value\":{\"stringValue\":\"svc\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"s\"},\"spans\":[");
	for (size_t i = 0; i < n; i++) {
		char parent[64] = "";
		if (sp[i].parent)
			snprintf(parent, sizeof parent, "\"parentSpanId\":\"%016x\",", sp[i].parent);
		used += (size_t)snprintf(doc + used, cap - used,
		                         "%s{\"traceId\":\"%032x\",\"spanId\":\"%016x\",%s\"name\":\"%s\",\"kind\":1,"
		                         "\"startTimeUnixNano\":\"%lld\",\"endTimeUnixNano\":\"%lld\"}",
		                         i ? "," : "", 0xabcu, sp[i].id, parent, sp[i].name,
		                         1772445600000000000LL + (long long)(sp[i].start_ms * 1e6),
		                         1772445600000000000LL + (long long)(sp[i].end_ms * 1e6));
		assert_true(used < cap);
	}
	used += (size_t)snprintf(doc + used, cap - used, "]}]}]}");
	assert_true(used < cap);
	struct obslab_error err;
	assert_true(snapshot_parse(doc, used, &f->snap, &err));
	test_free(doc);
	f->store = snapshot_store(&f->snap);
	assert_int_equal(store_trace_count(f->store), 1);
	f->t = store_trace(f->store, 0);
}

static void foreign_close(struct ftrace *f)
{
	store_destroy(f->store);
	snapshot_free(&f->snap);
}

static const char *row_name(const struct ftrace *f, const struct wf_row *row)
{
	return strtab_get(f->snap.names, f->t->spans[row->span].name);
}

/* Every span of the trace has a row of its own, or is counted by the folded
 * group that hides it. */
static void assert_every_span_reachable(const struct ftrace *f, const struct waterfall *wf)
{
	size_t shown = 0, hidden = 0;
	for (size_t i = 0; i < wf->nrows; i++) {
		if (wf->rows[i].kind == WF_ROW_SPAN)
			shown++;
		else if (!wf->rows[i].expanded)
			shown += wf->rows[i].count, hidden += wf->rows[i].hidden;
	}
	assert_int_equal(shown + hidden, f->t->nspans);
}

/* 10 RPC calls, each running one query (rpcloop): the group keeps the
 * queries under their calls when unfolded, and counts them when folded. */
static void group_members_keep_their_children(void **state)
{
	(void)state;
	struct fspan sp[21] = { { 1, 0, "GET /rpc", 0, 40 } };
	for (unsigned i = 0; i < 10; i++) {
		sp[1 + 2 * i] = (struct fspan){ 100 + i, 1, "GET /user", i * 3 + 0.1, i * 3 + 2.6 };
		sp[2 + 2 * i] = (struct fspan){ 200 + i, 100 + i, "SELECT users", i * 3 + 0.3, i * 3 + 1.8 };
	}
	struct ftrace f;
	foreign_open(&f, sp, 21);
	struct waterfall wf;
	waterfall_init(&wf);
	waterfall_build(&wf, f.t, NULL);
	/* root, group ×10, then each call with its query under it */
	assert_int_equal(wf.nrows, 1 + 1 + 20);
	assert_int_equal(wf.rows[1].kind, WF_ROW_GROUP);
	assert_int_equal(wf.rows[1].count, 10);
	assert_true(wf.rows[1].expanded);
	assert_int_equal(wf.rows[1].hidden, 0);
	assert_int_equal(wf.rows[1].busy_ns, 10 * 2500000);
	for (size_t k = 0; k < 10; k++) {
		const struct wf_row *call = &wf.rows[2 + 2 * k], *query = &wf.rows[3 + 2 * k];
		assert_int_equal(call->kind, WF_ROW_SPAN);
		assert_string_equal(row_name(&f, call), "GET /user");
		assert_int_equal(call->depth, 2);
		assert_int_equal(call->last_sibling, k == 9);
		assert_string_equal(row_name(&f, query), "SELECT users");
		assert_int_equal(query->depth, 3);
		assert_true(query->last_sibling);
		assert_int_equal(f.t->spans[query->span].parent_id, f.t->spans[call->span].span_id);
	}
	assert_every_span_reachable(&f, &wf);
	assert_int_equal(wf.end_ns, f.t->spans[0].end_ns);

	/* Folded: one row, saying the ten queries are under it. */
	struct wf_folds folds = { 0 };
	wf_folds_set(&folds, f.t->spans[wf.rows[1].span].name, WF_FOLD_CLOSED);
	waterfall_build(&wf, f.t, &folds);
	assert_int_equal(wf.nrows, 2);
	assert_false(wf.rows[1].expanded);
	assert_int_equal(wf.rows[1].hidden, 10);
	assert_every_span_reachable(&f, &wf);
	waterfall_free(&wf);
	foreign_close(&f);
}

/* Five orphans, each with its own missing parent (orphans5), and a folded
 * group whose members' subtrees are deep and hold a group of their own. */
static void orphans_under_grouped_placeholders_are_shown(void **state)
{
	(void)state;
	struct fspan sp[5];
	for (unsigned i = 0; i < 5; i++)
		sp[i] = (struct fspan){ 10 + i, 900 + i, "consume msg", i, i + 0.5 };
	struct ftrace f;
	foreign_open(&f, sp, 5);
	struct waterfall wf;
	waterfall_init(&wf);
	waterfall_build(&wf, f.t, NULL);
	/* missing root, group of 5 missing parents, each with its orphan */
	assert_int_equal(wf.nrows, 1 + 1 + 10);
	assert_int_equal(wf.rows[0].stand_in, WF_MISSING_ROOT);
	assert_int_equal(wf.rows[1].kind, WF_ROW_GROUP);
	assert_int_equal(wf.rows[1].stand_in, WF_MISSING_PARENT);
	size_t orphans = 0;
	for (size_t i = 2; i < wf.nrows; i++) {
		if (wf.rows[i].stand_in == WF_REAL) {
			assert_string_equal(row_name(&f, &wf.rows[i]), "consume msg");
			assert_int_equal(wf.rows[i].depth, 3);
			assert_int_equal(wf.rows[i - 1].stand_in, WF_MISSING_PARENT);
			orphans++;
		}
	}
	assert_int_equal(orphans, 5);
	assert_every_span_reachable(&f, &wf);
	waterfall_free(&wf);
	foreign_close(&f);

	/* 6 wrappers, each over connect → send with 5 queries at its end: 42 spans
	 * below the folded group, a group inside each unfolded member. */
	struct fspan deep[1 + 6 * 9];
	size_t n = 0;
	deep[n++] = (struct fspan){ 1, 0, "GET /deep", 0, 100 };
	for (unsigned i = 0; i < 6; i++) {
		double at = i * 10 + 1;
		deep[n++] = (struct fspan){ 100 + i, 1, "orders.findMany", at, at + 9 };
		deep[n++] = (struct fspan){ 200 + i, 100 + i, "pool.connect", at + 0.1, at + 8.9 };
		deep[n++] = (struct fspan){ 300 + i, 200 + i, "pg.send", at + 0.2, at + 8.8 };
		for (unsigned q = 0; q < 5; q++)
			deep[n++] = (struct fspan){ 1000 + 10 * i + q, 300 + i, "SELECT orders", at + 0.3 + q * 1.5,
			                            at + 1.5 + q * 1.5 };
	}
	foreign_open(&f, deep, n);
	waterfall_build(&wf, f.t, NULL);
	/* root, group ×6; per member: itself, connect, send, group ×5, 5 queries */
	assert_int_equal(wf.nrows, 2 + 6 * 9);
	assert_int_equal(wf.rows[5].kind, WF_ROW_GROUP);
	assert_int_equal(wf.rows[5].depth, 5);
	assert_int_equal(wf.rows[6].depth, 6);
	assert_every_span_reachable(&f, &wf);
	struct wf_folds folds = { 0 };
	wf_folds_set(&folds, f.t->spans[wf.rows[1].span].name, WF_FOLD_CLOSED);
	waterfall_build(&wf, f.t, &folds);
	assert_int_equal(wf.nrows, 2);
	assert_int_equal(wf.rows[1].hidden, 6 * 7);
	assert_every_span_reachable(&f, &wf);
	waterfall_free(&wf);
	foreign_close(&f);
}

/* Five 2-span parent loops (cycles5) and five orphans: the cut loops group
 * apart from the missing parents, each group named for what it holds. */
static void cycle_cuts_never_group_as_missing_parents(void **state)
{
	(void)state;
	struct fspan sp[15];
	size_t n = 0;
	for (unsigned i = 0; i < 5; i++) {
		sp[n++] = (struct fspan){ 10 + 2 * i, 11 + 2 * i, "job0", i, i + 0.5 };
		sp[n++] = (struct fspan){ 11 + 2 * i, 10 + 2 * i, "job1", i + 0.001, i + 0.499 };
	}
	for (unsigned i = 0; i < 5; i++)
		sp[n++] = (struct fspan){ 50 + i, 900 + i, "job0", 5 + i, 5.5 + i };
	struct ftrace f;
	foreign_open(&f, sp, n);
	struct waterfall wf;
	waterfall_init(&wf);
	waterfall_build(&wf, f.t, NULL);
	size_t cut_groups = 0, missing_groups = 0, cut_members = 0, missing_members = 0;
	for (size_t i = 0; i < wf.nrows; i++) {
		const struct wf_row *r = &wf.rows[i];
		if (r->kind == WF_ROW_GROUP) {
			assert_int_equal(r->count, 5);
			cut_groups += r->stand_in == WF_CYCLE_CUT;
			missing_groups += r->stand_in == WF_MISSING_PARENT;
		} else {
			cut_members += r->stand_in == WF_CYCLE_CUT;
			missing_members += r->stand_in == WF_MISSING_PARENT;
		}
	}
	assert_int_equal(cut_groups, 1);
	assert_int_equal(missing_groups, 1);
	assert_int_equal(cut_members, 5);
	assert_int_equal(missing_members, 5);
	assert_int_equal(wf.nrows, 1 + 2 + 5 * 3 + 5 * 2);
	assert_every_span_reachable(&f, &wf);
	waterfall_free(&wf);
	foreign_close(&f);
}

/* A child running past its root (bigskew): the axis covers it. */
static void the_time_axis_covers_a_child_past_its_root(void **state)
{
	(void)state;
	struct fspan sp[] = { { 1, 0, "GET /skew", 0, 10 }, { 2, 1, "SELECT x", 5, 25 }, { 3, 1, "GET other", 2, 32 } };
	struct ftrace f;
	foreign_open(&f, sp, 3);
	struct waterfall wf;
	waterfall_init(&wf);
	waterfall_build(&wf, f.t, NULL);
	assert_int_equal(wf.end_ns - f.t->spans[0].start_ns, 32000000);
	assert_int_equal(span_duration_ns(&f.t->spans[0]), 10000000); /* the root's stays the root's */
	waterfall_free(&wf);
	foreign_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(naive_20_is_an_expanded_staircase),
		cmocka_unit_test(big_loops_fold_by_default_small_runs_never_group),
		cmocka_unit_test(query_stats_per_fingerprint),
		cmocka_unit_test(logbook_folds_repeats),
		cmocka_unit_test(group_members_keep_their_children),
		cmocka_unit_test(orphans_under_grouped_placeholders_are_shown),
		cmocka_unit_test(cycle_cuts_never_group_as_missing_parents),
		cmocka_unit_test(the_time_axis_covers_a_child_past_its_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
