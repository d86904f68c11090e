/* sqltrace: the simulated round trip, the statement counters, rows, and
 * what is left untraced. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "fixture.h"
#include "obslab/analysis.h"
#include "obslab/clock.h"
#include "obslab/ring.h"
#include "obslab/sqltrace.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/tracer.h"

static void round_trip_is_waited_and_recorded(void **state)
{
	(void)state;
	const uint32_t rtt_us = 200;
	struct lab lab;
	lab_open(&lab, ":memory:", 20, true);
	sqltrace_set_rtt_us(lab.sqltrace, rtt_us);
	assert_int_equal(sqltrace_rtt_us(lab.sqltrace), rtt_us);
	/* Accurate to a few microseconds: the typical overshoot is small. But the
	 * wait sleeps before it spins, and on a loaded machine (the tests share
	 * their cores) a whole round of wake-ups can come late; so a round of
	 * three requests is tried up to ten times, and one must be accurate. A
	 * wait that is wrong by design (a bare nanosleep overshoots by tens of
	 * microseconds, every time) fails all ten. Every wait, in every round,
	 * must be at least the round trip and lie inside its span. */
	int64_t best = INT64_MAX;
	for (int round = 0; round < 10 && best >= 20 * 1000; round++) {
		int64_t over[64];
		size_t n = 0;
		for (int r = 0; r < 3; r++) {
			lab_request(&lab, STRATEGY_NAIVE);
			const struct trace *t = store_latest(lab.store);
			for (size_t i = 0; i < t->nspans; i++) {
				const struct span_record *s = &t->spans[i];
				if (!(s->flags & SPAN_F_DB))
					continue;
				int64_t waited = s->u.db.net_wait_ns;
				assert_true(waited >= (int64_t)rtt_us * 1000); /* never short */
				assert_true(span_duration_ns(s) >= waited);    /* inside the span */
				if (n < 64)
					over[n++] = waited - (int64_t)rtt_us * 1000;
			}
		}
		assert_int_equal(n, 63);
		int64_t median_over = analysis_median(over, n);
		if (median_over < best)
			best = median_over;
	}
	if (best >= 20 * 1000)
		fail_msg("the round trip overshot by a median of %lld ns in the best of ten rounds", (long long)best);
	/* Attribution sees it as network time. */
	struct attribution a = analysis_attribution(store_latest(lab.store));
	assert_true(a.network_ns >= 21 * (int64_t)rtt_us * 1000);
	assert_int_equal(a.app_ns + a.db_ns + a.network_ns, a.total_ns);
	lab_close(&lab);
}

static void counters_reveal_the_missing_index_per_run(void **state)
{
	(void)state;
	struct lab lab;
	lab_open(&lab, ":memory:", 20, false);
	lab_request(&lab, STRATEGY_NAIVE);
	lab_request(&lab, STRATEGY_NAIVE);
	const struct trace *a = store_trace(lab.store, 0), *b = store_trace(lab.store, 1);
	/* spans[2] is the first count query: a full scan of orders without the index */
	assert_true(a->spans[2].u.db.fullscan_steps > 20);
	assert_true(a->spans[2].u.db.vm_steps > 0);
	/* reset each run: the second request reports the same, not double */
	assert_int_equal(b->spans[2].u.db.fullscan_steps, a->spans[2].u.db.fullscan_steps);
	assert_int_equal(b->spans[5].u.db.vm_steps, a->spans[5].u.db.vm_steps);

	struct obslab_error err;
	assert_int_equal(db_set_index(lab.db, true, &err), DB_OK);
	lab_request(&lab, STRATEGY_NAIVE);
	const struct trace *c = store_latest(lab.store);
	assert_int_equal(c->spans[2].u.db.fullscan_steps, 0);
	assert_true(c->spans[2].u.db.vm_steps < a->spans[2].u.db.vm_steps);
	/* the users query walks the whole table either way */
	assert_true(c->spans[1].u.db.fullscan_steps >= 19);
	lab_close(&lab);
}

static void statements_outside_a_request_are_not_traced(void **state)
{
	(void)state;
	struct lab lab;
	lab_open(&lab, ":memory:", 20, false);
	sqltrace_set_rtt_us(lab.sqltrace, 50000);
	int64_t t0 = clock_now_ns();
	assert_int_equal(sqlite3_exec(lab.db, "SELECT count(*) FROM orders; SELECT 1;", NULL, NULL, NULL),
	                 SQLITE_OK);
	assert_true(clock_now_ns() - t0 < 50 * CLOCK_NS_PER_MS); /* no round trip either */
	assert_int_equal(store_drain(lab.store, lab.spans), 0);
	assert_int_equal(ring_pushed(lab.spans), 0);
	lab_close(&lab);
}

static void tracing_off_still_pays_the_round_trip(void **state)
{
	(void)state;
	struct lab lab;
	lab_open(&lab, ":memory:", 20, false);
	/* Re-wire the same connection with a disabled tracer. */
	request_ctx_destroy(lab.ctx);
	sqltrace_detach(lab.sqltrace);
	tracer_init(&lab.tracer, NULL);
	lab.sqltrace = sqltrace_attach(lab.db, &lab.tracer, lab.names);
	lab.ctx = request_ctx_create_sqlite(lab.db, &lab.tracer, lab.names, NULL);
	sqltrace_set_rtt_us(lab.sqltrace, 1000);
	lab_request(&lab, STRATEGY_NAIVE);
	assert_int_equal(lab.result.queries, 21);
	assert_true(lab.result.end_ns - lab.result.start_ns >= 21 * CLOCK_NS_PER_MS);
	assert_int_equal(ring_pushed(lab.spans), 0);
	lab_close(&lab);
}

static int64_t realtime_julian_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return INT64_C(210866760000000) + (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The VFS clock SQLite reads for the spans: Julian-day milliseconds that
 * never go back, that keep pace with CLOCK_MONOTONIC over a sleep, and that
 * tell the wall time (what date('now') shows in the lab). */
static void vfs_clock_keeps_to_the_monotonic_clock(void **state)
{
	(void)state;
	sqlite3_int64 first, prev, now;
	int64_t wall_before = realtime_julian_ms();
	assert_int_equal(sqltrace_vfs_time(NULL, &first), SQLITE_OK);
	int64_t wall_after = realtime_julian_ms();
	assert_true(first >= wall_before - 2 && first <= wall_after + 2);
	prev = first;
	for (int i = 0; i < 100000; i++) {
		sqltrace_vfs_time(NULL, &now);
		assert_true(now >= prev);
		prev = now;
	}
	for (int round = 0; round < 3; round++) {
		sqlite3_int64 a, b;
		int64_t m0 = clock_now_ns();
		sqltrace_vfs_time(NULL, &a);
		int64_t m1 = clock_now_ns();
		struct timespec nap = { 0, 30 * 1000000 };
		nanosleep(&nap, NULL);
		int64_t m2 = clock_now_ns();
		sqltrace_vfs_time(NULL, &b);
		int64_t m3 = clock_now_ns();
		/* b - a is whole milliseconds of a span between m2 - m1 and m3 - m0 */
		assert_true((b - a) * CLOCK_NS_PER_MS > m2 - m1 - CLOCK_NS_PER_MS);
		assert_true((b - a) * CLOCK_NS_PER_MS < m3 - m0 + CLOCK_NS_PER_MS);
	}
}

/* Checks a naive trace's statement spans: each inside the root, in order,
 * none overlapping the next (the statements ran one after another). */
static void assert_statement_spans_true(const struct trace *t, size_t queries)
{
	const struct span_record *root = &t->spans[0];
	size_t n = 0;
	const struct span_record *prev = NULL;
	for (size_t i = 1; i < t->nspans; i++) {
		const struct span_record *s = &t->spans[i];
		if (!(s->flags & SPAN_F_DB))
			continue;
		n++;
		assert_true(s->start_ns <= s->end_ns);
		assert_true(s->start_ns >= root->start_ns && s->end_ns <= root->end_ns);
		if (prev)
			assert_true(prev->end_ns <= s->start_ns);
		prev = s;
	}
	assert_int_equal(n, queries);
}

/* On the lab's connections (db_open: the guard VFS), the spans are stamped
 * with the times SQLite reads as each statement starts and ends: the hook
 * reads no clock of its own. On a connection with another VFS it does, and
 * the spans are as true. */
static void spans_take_sqlite_statement_stamps(void **state)
{
	(void)state;
	struct lab lab;
	lab_open(&lab, ":memory:", 20, true);
	assert_true(sqltrace_uses_vfs_stamps(lab.sqltrace));
	for (int r = 0; r < 3; r++) {
		lab_request(&lab, STRATEGY_NAIVE);
		assert_statement_spans_true(store_latest(lab.store), 21);
	}
	lab_close(&lab);

	/* the default VFS: its clock is SQLite's own. The same seeded file,
	 * opened again without the lab's VFS. */
	char path[300];
	fixture_path(path, sizeof path, "plain.db");
	struct lab plain;
	lab_open(&plain, path, 20, true);
	request_ctx_destroy(plain.ctx);
	sqltrace_detach(plain.sqltrace);
	sqlite3_close_v2(plain.db);
	assert_int_equal(sqlite3_open_v2(path, &plain.db, SQLITE_OPEN_READWRITE, "unix"), SQLITE_OK);
	plain.sqltrace = sqltrace_attach(plain.db, &plain.tracer, plain.names);
	plain.ctx = request_ctx_create_sqlite(plain.db, &plain.tracer, plain.names, NULL);
	assert_false(sqltrace_uses_vfs_stamps(plain.sqltrace));
	lab_request(&plain, STRATEGY_NAIVE);
	assert_statement_spans_true(store_latest(plain.store), 21);
	lab_close(&plain);
	fixture_cleanup();
}

/* tracer_begin_trace_in: the caller's trace id on the root and every
 * child the store assembles, a fresh span id, the root still parent 0;
 * the next plain trace gets a fresh id again; an all-zero id is none. */
static void a_trace_in_the_callers_trace(void **state)
{
	(void)state;
	static const uint8_t caller[SPAN_TRACE_ID_LEN] = { 0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
							   0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36 };
	static const uint8_t zero[SPAN_TRACE_ID_LEN] = { 0 };
	struct ring *ring = ring_create(64, sizeof(struct span_record));
	struct store *store = store_create((struct store_limits){ 8, 1024, 0 });
	struct tracer t;
	tracer_init(&t, ring);
	struct span_record *root = tracer_begin_trace_in(&t, 1, caller);
	assert_non_null(root);
	assert_memory_equal(root->u.root.trace_id, caller, SPAN_TRACE_ID_LEN);
	assert_int_equal(root->parent_id, 0);
	assert_true(root->span_id != 0 && root->span_id != 0x00f067aa0ba902b7u);
	assert_int_equal(root->kind, SPAN_KIND_SERVER);
	uint64_t root_id = root->span_id;
	char hex[33];
	tracer_trace_id_hex(&t, hex);
	assert_string_equal(hex, "4bf92f3577b34da6a3ce929d0e0e4736");
	assert_non_null(tracer_begin(&t, 2, SPAN_KIND_INTERNAL));
	tracer_end(&t);
	tracer_end(&t);
	assert_int_equal(store_drain(store, ring), 2);
	const struct trace *tr = store_latest(store);
	assert_non_null(tr);
	assert_memory_equal(tr->trace_id, caller, SPAN_TRACE_ID_LEN);
	assert_true(tr->spans[0].span_id == root_id);
	assert_true(tr->spans[1].parent_id == root_id);
	assert_null(tr->http);

	root = tracer_begin_trace(&t, 1);
	assert_memory_not_equal(root->u.root.trace_id, caller, SPAN_TRACE_ID_LEN);
	tracer_end(&t);
	root = tracer_begin_trace_in(&t, 1, zero);
	assert_memory_not_equal(root->u.root.trace_id, zero, SPAN_TRACE_ID_LEN);
	tracer_end(&t);
	root = tracer_begin_trace_in(&t, 1, NULL);
	assert_memory_not_equal(root->u.root.trace_id, zero, SPAN_TRACE_ID_LEN);
	tracer_end(&t);
	assert_int_equal(store_drain(store, ring), 3);
	assert_int_equal(store_traces_completed(store), 4);

	/* tracing off: NULL, depth still counted */
	struct tracer off;
	tracer_init(&off, NULL);
	assert_null(tracer_begin_trace_in(&off, 1, caller));
	assert_true(tracer_in_trace(&off));
	tracer_end(&off);
	store_destroy(store);
	ring_destroy(ring);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip_is_waited_and_recorded),
		cmocka_unit_test(counters_reveal_the_missing_index_per_run),
		cmocka_unit_test(statements_outside_a_request_are_not_traced),
		cmocka_unit_test(tracing_off_still_pays_the_round_trip),
		cmocka_unit_test(vfs_clock_keeps_to_the_monotonic_clock),
		cmocka_unit_test(spans_take_sqlite_statement_stamps),
		cmocka_unit_test(a_trace_in_the_callers_trace),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
