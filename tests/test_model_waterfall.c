/* The waterfall's view in the model (model_waterfall.c), without a
 * terminal: zoom in and out as a stack, pan within the trace, the slowest
 * span found and unfolded, fold all / unfold all through the folds, and
 * the critical path of a naive request (its queries run one after another:
 * every span is on it). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "obslab/store.h"
#include "ui/model.h"

static void fake_drain(struct source *src, const struct source_sink *sink)
{
	(void)src;
	(void)sink;
}

static void fake_stop(struct source *src)
{
	(void)src;
}

static void fake_status(const struct source *src, const struct model *m, char *buf, size_t cap)
{
	(void)src;
	(void)m;
	snprintf(buf, cap, "test source");
}

static const struct source_ops ops = {
	.name = "test", .drain = fake_drain, .stop = fake_stop, .status = fake_status,
};

struct bench {
	struct lab lab;
	struct source src;
	struct model m;
};

/* A naive request over 20 users: root, users query, a group of 20 order
 * queries, its members, serialize. */
static struct bench *bench_open(void)
{
	struct bench *b = calloc(1, sizeof *b);
	assert_non_null(b);
	lab_open(&b->lab, ":memory:", 20, false);
	b->src = (struct source){ .ops = &ops, .store = b->lab.store, .names = b->lab.names };
	struct source_start start = { .settings = { .strategy = STRATEGY_NAIVE, .users = 20 } };
	struct findings_config fcfg = { .n1_min_count = 5, .n1_min_ns = 0 };
	model_init(&b->m, &b->src, &start, &fcfg, ".");
	lab_request(&b->lab, STRATEGY_NAIVE);
	model_tick(&b->m);
	return b;
}

static void bench_close(struct bench *b)
{
	model_free(&b->m);
	lab_close(&b->lab);
	free(b);
}

/* Pans one way until the view stops moving: how many steps that takes
 * depends on how short the zoomed span happened to be in this run (a step
 * is a quarter of the view). */
static void pan_to_edge(struct model *m, int dir)
{
	int64_t from, to, last_from = -1, last_to = -1;
	for (;;) {
		model_pan(m, dir);
		model_view_range(m, &from, &to);
		if (from == last_from && to == last_to)
			return;
		last_from = from;
		last_to = to;
	}
}

static void zoom_is_a_stack_and_pan_stays_within_the_trace(void **state)
{
	(void)state;
	struct bench *b = bench_open();
	struct model *m = &b->m;
	const struct trace *t = m->shown;
	int64_t len = t->spans[0].end_ns - t->spans[0].start_ns, from, to;
	model_view_range(m, &from, &to);
	assert_true(from == 0 && to == len);

	model_zoom_out(m); /* not zoomed: says so, changes nothing */
	assert_int_equal(m->view.zoom_depth, 0);
	assert_non_null(strstr(m->message, "not zoomed"));

	model_select(m, 2); /* the group of 20 */
	model_zoom_in(m);
	assert_int_equal(m->view.zoom_depth, 1);
	model_view_range(m, &from, &to);
	assert_true(from == m->wf.rows[2].start_ns - t->spans[0].start_ns);
	assert_true(to == m->wf.rows[2].end_ns - t->spans[0].start_ns);
	model_zoom_in(m); /* the same range again: refused */
	assert_int_equal(m->view.zoom_depth, 1);

	model_select(m, 3); /* its first member */
	model_take_changes(m);
	model_zoom_in(m);
	assert_int_equal(m->view.zoom_depth, 2);
	assert_true(model_take_changes(m) & MODEL_TRACE);
	int64_t a, z;
	model_view_range(m, &a, &z);
	assert_true(a >= from && z <= to && z - a < to - from);

	pan_to_edge(m, 1); /* pan right to the end: never past it */
	model_view_range(m, &a, &z);
	assert_true(z == len);
	pan_to_edge(m, -1);
	model_view_range(m, &a, &z);
	assert_true(a == 0);

	model_zoom_out(m);
	model_zoom_out(m);
	model_view_range(m, &from, &to);
	assert_true(from == 0 && to == len);
	bench_close(b);
}

/* A zoom is into one trace: showing another ([ ], Enter in the trace list,
 * following the newest) shows it whole, with no message of its own. */
static void zoom_is_dropped_when_another_trace_is_shown(void **state)
{
	(void)state;
	struct bench *b = bench_open();
	struct model *m = &b->m;
	lab_request(&b->lab, STRATEGY_NAIVE);
	model_tick(m); /* following: the second is shown */
	uint64_t second = m->shown_seq;
	model_select(m, 2);
	model_zoom_in(m);
	model_pan(m, 1);
	assert_int_equal(m->view.zoom_depth, 1);
	char before[sizeof m->message];
	snprintf(before, sizeof before, "%s", m->message);
	model_step(m, -1); /* [ */
	assert_true(m->shown_seq == second - 1);
	assert_int_equal(m->view.zoom_depth, 0);
	assert_string_equal(m->message, before); /* quietly */
	int64_t from, to;
	model_view_range(m, &from, &to);
	assert_true(from == 0 && to == m->shown->spans[0].end_ns - m->shown->spans[0].start_ns);

	model_select(m, 2); /* ] */
	model_zoom_in(m);
	model_step(m, 1);
	assert_true(m->shown_seq == second);
	assert_int_equal(m->view.zoom_depth, 0);

	model_select(m, 2); /* the trace list's Enter */
	model_zoom_in(m);
	model_show(m, second - 1);
	assert_int_equal(m->view.zoom_depth, 0);
	model_select(m, 2);
	model_zoom_in(m);
	model_show(m, second - 1); /* the same trace again (a refresh): the zoom stays */
	assert_int_equal(m->view.zoom_depth, 1);

	model_live(m); /* following the newest again */
	assert_int_equal(m->view.zoom_depth, 0);
	model_select(m, 2);
	model_zoom_in(m);
	assert_int_equal(m->view.zoom_depth, 1);
	lab_request(&b->lab, STRATEGY_NAIVE);
	model_tick(m); /* a newer trace completes and is followed */
	assert_true(m->shown_seq == second + 1);
	assert_int_equal(m->view.zoom_depth, 0);
	bench_close(b);
}

/* [ on the first trace and ] on the newest move nothing, and say so. */
static void stepping_past_the_ends_says_so(void **state)
{
	(void)state;
	struct bench *b = bench_open();
	struct model *m = &b->m;
	uint64_t first = m->shown_seq;
	model_step(m, -1);
	assert_true(m->shown_seq == first);
	assert_true(model_message_shown(m));
	assert_string_equal(m->message, "this is the first trace");
	model_step(m, 1);
	assert_true(m->shown_seq == first);
	assert_string_equal(m->message, "this is the newest trace");
	/* with a trace marked, the export prompt's choices are the whole line */
	char line[512];
	model_mark(m);
	model_message_clear(m);
	model_status_line(m, line, sizeof line);
	assert_non_null(strstr(line, "marked: trace"));
	m->export_prompt = true;
	model_status_line(m, line, sizeof line);
	assert_non_null(strstr(line, "n native"));
	assert_null(strstr(line, "marked: trace"));
	bench_close(b);
}

static void slowest_span_is_found_even_when_folded(void **state)
{
	(void)state;
	struct bench *b = bench_open();
	struct model *m = &b->m;
	const struct trace *t = m->shown;
	uint32_t slowest = 1;
	for (uint32_t i = 1; i < t->nspans; i++)
		if (span_duration_ns(&t->spans[i]) > span_duration_ns(&t->spans[slowest]))
			slowest = i;
	model_fold_all(m, true);
	assert_int_equal(m->wf.nrows, 4);
	model_select_slowest(m);
	const struct wf_row *row = model_selected_row(m);
	assert_non_null(row);
	assert_int_equal(row->kind, WF_ROW_SPAN);
	assert_int_equal(row->span, slowest);
	assert_non_null(strstr(m->message, "the longest but the root"));
	bench_close(b);
}

static void fold_all_and_unfold_all_go_through_the_folds(void **state)
{
	(void)state;
	struct bench *b = bench_open();
	struct model *m = &b->m;
	assert_int_equal(m->wf.nrows, 24);
	model_select(m, 10); /* a member: after folding, its group is selected */
	model_fold_all(m, true);
	assert_int_equal(m->wf.nrows, 4);
	assert_int_equal(m->selected, 2);
	assert_false(m->wf.rows[2].expanded);
	/* a fold, as Enter's: the next trace of the same shape keeps it */
	lab_request(&b->lab, STRATEGY_NAIVE);
	model_tick(m);
	assert_int_equal(m->wf.nrows, 4);
	model_fold_all(m, false);
	assert_int_equal(m->wf.nrows, 24);
	assert_true(m->wf.rows[2].expanded);
	bench_close(b);
}

static void critical_path_of_a_naive_request(void **state)
{
	(void)state;
	struct bench *b = bench_open();
	struct model *m = &b->m;
	assert_false(model_row_critical(m, &m->wf.rows[0]));
	model_toggle_critical(m);
	for (size_t i = 0; i < m->wf.nrows; i++)
		assert_true(model_row_critical(m, &m->wf.rows[i]));
	/* a new trace: computed again, for it */
	lab_request(&b->lab, STRATEGY_NAIVE);
	model_tick(m);
	assert_true(m->view.critpath_seq == m->shown->seq);
	assert_true(model_row_critical(m, &m->wf.rows[0]));
	model_toggle_critical(m);
	assert_false(model_row_critical(m, &m->wf.rows[0]));
	bench_close(b);
}

/* A child skewed past its root's end (the waterfall's end_ns beyond the
 * root's): the whole trace reaches it, and panning a zoom gets there. */
static void pan_reaches_a_child_skewed_past_the_root(void **state)
{
	(void)state;
	struct bench *b = bench_open();
	struct model *m = &b->m;
	const struct trace *t = m->shown;
	int64_t root = t->spans[0].end_ns - t->spans[0].start_ns, extra = root / 2 + 1, from, to;
	m->wf.end_ns = t->spans[0].end_ns + extra; /* as waterfall_build sets it for a skewed child */
	model_view_range(m, &from, &to);
	assert_true(from == 0 && to == root + extra);

	model_select(m, 3);
	model_zoom_in(m);
	assert_int_equal(m->view.zoom_depth, 1);
	pan_to_edge(m, 1);
	model_view_range(m, &from, &to);
	assert_true(to == root + extra && from > root - (to - from));
	bench_close(b);
}

/* Each key says what it did, or plainly why it did nothing: z, Z, the
 * pans, S and F before any trace, z on the root (the whole trace already),
 * z again on the span zoomed to. */
static void zoom_messages_say_what_happened(void **state)
{
	(void)state;
	struct bench *b = calloc(1, sizeof *b);
	assert_non_null(b);
	lab_open(&b->lab, ":memory:", 20, false);
	b->src = (struct source){ .ops = &ops, .store = b->lab.store, .names = b->lab.names };
	struct source_start start = { .settings = { .strategy = STRATEGY_NAIVE, .users = 20 } };
	struct findings_config fcfg = { .n1_min_count = 5, .n1_min_ns = 0 };
	struct model *m = &b->m;
	model_init(m, &b->src, &start, &fcfg, ".");
	model_tick(m);
	m->message[0] = '\0';
	model_zoom_in(m); /* no trace yet: no span selected */
	assert_non_null(strstr(m->message, "no span selected"));
	model_select_slowest(m);
	assert_non_null(strstr(m->message, "no trace shown"));
	model_fold_all(m, true);
	assert_non_null(strstr(m->message, "no trace shown"));

	lab_request(&b->lab, STRATEGY_NAIVE);
	model_tick(m);
	model_select(m, 0); /* the root: the whole trace already */
	model_zoom_in(m);
	assert_int_equal(m->view.zoom_depth, 0);
	assert_non_null(strstr(m->message, "not zoomed: the root spans the whole trace"));
	model_zoom_out(m);
	assert_non_null(strstr(m->message, "not zoomed in"));
	model_pan(m, 1);
	assert_non_null(strstr(m->message, "not zoomed in"));

	model_select(m, 1); /* the users query */
	model_zoom_in(m);
	assert_int_equal(m->view.zoom_depth, 1);
	assert_true(strncmp(m->message, "zoomed to SELECT users (", 24) == 0);
	assert_non_null(strstr(m->message, ", level 1): Z zooms out"));
	model_zoom_in(m); /* the same span again */
	assert_int_equal(m->view.zoom_depth, 1);
	assert_non_null(strstr(m->message, "already zoomed to SELECT users (Z zooms out)"));
	model_pan(m, -1); /* it starts after the root: room on the left */
	assert_true(strncmp(m->message, "panned left: +", 14) == 0);
	model_zoom_out(m);
	assert_int_equal(m->view.zoom_depth, 0);
	assert_true(strncmp(m->message, "zoomed out: the whole trace (", 29) == 0);
	bench_close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(zoom_is_a_stack_and_pan_stays_within_the_trace),
		cmocka_unit_test(slowest_span_is_found_even_when_folded),
		cmocka_unit_test(zoom_is_dropped_when_another_trace_is_shown),
		cmocka_unit_test(stepping_past_the_ends_says_so),
		cmocka_unit_test(fold_all_and_unfold_all_go_through_the_folds),
		cmocka_unit_test(critical_path_of_a_naive_request),
		cmocka_unit_test(pan_reaches_a_child_skewed_past_the_root),
		cmocka_unit_test(zoom_messages_say_what_happened),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	fixture_cleanup();
	return failed;
}
