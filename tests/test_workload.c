/* workload: the real thread, the real rings, a consumer on this thread;
 * run under ThreadSanitizer by the test command. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "fixture.h"
#include "obslab/analysis.h"
#include "obslab/clock.h"
#include "obslab/db.h"
#include "obslab/labdb.h"
#include "obslab/log.h"
#include "obslab/ring.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/workload.h"

struct harness {
	struct strtab *names;
	struct ring *spans, *logs;
	struct store *store;
	struct workload *w;
	size_t logs_seen;
};

static void start(struct harness *h, const struct workload_config *cfg)
{
	memset(h, 0, sizeof *h);
	sqlite3 *db;
	struct obslab_error err;
	assert_int_equal(db_open(":memory:", &db, &err), DB_OK);
	h->names = strtab_create();
	h->spans = ring_create(1u << 14, sizeof(struct span_record));
	h->logs = ring_create(1u << 8, sizeof(struct log_record));
	h->store = store_create((struct store_limits){ .max_traces = 1024, .max_spans = 1u << 20 });
	h->w = workload_create(labdb_from_sqlite(db, ":memory:"), cfg, h->spans, h->logs, h->names);
	assert_non_null(h->w);
	assert_int_equal(workload_start(h->w), 0);
}

static void drain(struct harness *h)
{
	store_drain(h->store, h->spans);
	struct log_record recs[32];
	size_t n;
	while ((n = ring_pop(h->logs, recs, 32)) > 0)
		h->logs_seen += n;
}

static void finish(struct harness *h)
{
	workload_destroy(h->w);
	drain(h);
	store_destroy(h->store);
	ring_destroy(h->spans);
	ring_destroy(h->logs);
	strtab_destroy(h->names);
}

static void nap_ms(long ms)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = ms * 1000000L };
	nanosleep(&ts, NULL);
}

static void runs_k_requests_and_stops(void **state)
{
	(void)state;
	struct workload_config cfg = {
		.strategy = STRATEGY_NAIVE, .users = 20, .rtt_us = 0, .seed = 42,
		.pace_hz = 0, .max_requests = 25, .trace = true,
	};
	struct harness h;
	start(&h, &cfg);
	while (workload_phase(h.w) != WORKLOAD_DONE) {
		assert_int_not_equal(workload_phase(h.w), WORKLOAD_FAILED);
		drain(&h);
		nap_ms(1);
	}
	workload_join(h.w);
	drain(&h);
	assert_int_equal(workload_requests(h.w), 25);
	assert_int_equal(store_traces_completed(h.store), 25);
	assert_int_equal(ring_dropped(h.spans), 0);
	assert_int_equal(h.logs_seen, 25);
	size_t n;
	const struct request_sample *samples = workload_samples(h.w, &n);
	assert_int_equal(n, 25);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(samples[i].queries, 21);
		assert_true(samples[i].duration_ns > 0);
	}
	const struct trace *t = store_latest(h.store);
	assert_int_equal(analysis_attribution(t).queries, 21);
	assert_non_null(strstr(workload_last_result(h.w)->body, "\"total_users\":20"));
	finish(&h);
}

static void control_changes_reach_the_worker(void **state)
{
	(void)state;
	struct workload_config cfg = {
		.strategy = STRATEGY_NAIVE, .users = 20, .rtt_us = 0, .seed = 42,
		.pace_hz = 200, .max_requests = 0, .trace = true,
	};
	struct harness h;
	start(&h, &cfg);
	int64_t deadline = clock_now_ns() + 20 * CLOCK_NS_PER_S;
	/* Switch to optimized at 100 users with the index, and wait to see it. */
	workload_set_strategy(h.w, STRATEGY_OPTIMIZED);
	workload_set_users(h.w, 100);
	workload_set_index(h.w, true);
	workload_set_rtt_us(h.w, 50);
	bool seen = false;
	while (!seen && clock_now_ns() < deadline) {
		drain(&h);
		const struct trace *t = store_latest(h.store);
		if (t && t->spans[0].strategy == STRATEGY_OPTIMIZED && t->spans[0].u.root.users == 100 &&
		    (t->spans[0].flags & SPAN_F_INDEX)) {
			struct attribution a = analysis_attribution(t);
			seen = a.queries == 1 && a.network_ns >= 50 * CLOCK_NS_PER_US;
		}
		nap_ms(2);
	}
	assert_true(seen);
	assert_int_equal(workload_phase(h.w), WORKLOAD_RUNNING);
	finish(&h);
}

static void stop_is_prompt_at_a_slow_pace(void **state)
{
	(void)state;
	struct workload_config cfg = {
		.strategy = STRATEGY_OPTIMIZED, .users = 20, .seed = 42, .pace_hz = 1, .trace = true,
	};
	struct harness h;
	start(&h, &cfg);
	while (workload_requests(h.w) < 1)
		nap_ms(1);
	int64_t t0 = clock_now_ns();
	workload_stop(h.w); /* the worker is asleep for ~1 s: the stop must wake it */
	assert_true(clock_now_ns() - t0 < 500 * CLOCK_NS_PER_MS);
	finish(&h);
}

/* Changes wake the paced worker early, to show the new setting at once;
 * that must not leave a debt of periods behind. At 5 requests a second,
 * 20 changes in a second used to push the next request 4 s out. */
static void a_burst_of_changes_leaves_the_pace_as_it_was(void **state)
{
	(void)state;
	struct workload_config cfg = {
		.strategy = STRATEGY_OPTIMIZED, .users = 20, .seed = 42, .pace_hz = 5, .trace = true,
	};
	struct harness h;
	start(&h, &cfg);
	while (workload_requests(h.w) < 1)
		nap_ms(1);
	for (int i = 0; i < 20; i++) {
		workload_set_strategy(h.w, i % 2 ? STRATEGY_OPTIMIZED : STRATEGY_EAGER);
		nap_ms(50);
	}
	uint64_t before = workload_requests(h.w);
	nap_ms(750); /* seven or eight periods of 200 ms */
	nap_ms(750);
	uint64_t after = workload_requests(h.w);
	if (after - before < 4)
		fail_msg("%llu requests in 1.5 s at 5 a second after the burst", (unsigned long long)(after - before));
	finish(&h);
}

/* Naive at 20000 users without the index scans orders 20000 times: minutes.
 * A change of strategy must cut it short, and so must a stop. */
static void a_long_request_yields_to_a_change(void **state)
{
	(void)state;
	struct workload_config cfg = {
		.strategy = STRATEGY_NAIVE, .users = 20000, .seed = 42, .pace_hz = 0, .trace = true,
	};
	struct harness h;
	start(&h, &cfg);
	while (workload_phase(h.w) != WORKLOAD_RUNNING)
		nap_ms(5);
	nap_ms(100); /* well inside the first request */
	int64_t t0 = clock_now_ns();
	workload_set_strategy(h.w, STRATEGY_OPTIMIZED);
	const struct trace *t = NULL;
	while (clock_now_ns() - t0 < 5 * CLOCK_NS_PER_S) {
		drain(&h);
		t = store_latest(h.store);
		if (t && t->spans[0].strategy == STRATEGY_OPTIMIZED)
			break;
		nap_ms(2);
	}
	assert_non_null(t);
	assert_int_equal(t->spans[0].strategy, STRATEGY_OPTIMIZED);
	/* the voided naive request is recorded as cancelled, not as a result */
	const struct trace *first = store_trace(h.store, 0);
	assert_int_equal(first->spans[0].strategy, STRATEGY_NAIVE);
	assert_true(first->spans[0].flags & SPAN_F_CANCELLED);

	workload_set_strategy(h.w, STRATEGY_NAIVE);
	nap_ms(100);
	t0 = clock_now_ns();
	workload_stop(h.w);
	assert_true(clock_now_ns() - t0 < CLOCK_NS_PER_S);
	finish(&h);
}

static void pause_holds_the_worker(void **state)
{
	(void)state;
	struct workload_config cfg = {
		.strategy = STRATEGY_OPTIMIZED, .users = 20, .seed = 42, .pace_hz = 0, .trace = true,
	};
	struct harness h;
	start(&h, &cfg);
	while (workload_requests(h.w) < 3)
		nap_ms(1);
	workload_set_paused(h.w, true);
	nap_ms(50); /* the request in flight, if any, ends */
	uint64_t paused_at = workload_requests(h.w);
	nap_ms(200);
	assert_int_equal(workload_requests(h.w), paused_at);
	workload_set_paused(h.w, false);
	while (workload_requests(h.w) == paused_at)
		nap_ms(1);
	finish(&h);
}

static void a_failing_database_is_reported(void **state)
{
	(void)state;
	char path[300];
	fixture_path(path, sizeof path, "readonly.db");
	sqlite3 *db;
	struct obslab_error err;
	assert_int_equal(db_open(path, &db, &err), DB_OK);
	sqlite3_close(db);
	/* Reopen the stamped file read-only: seeding must fail, and say so. */
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	struct workload_config cfg = { .strategy = STRATEGY_NAIVE, .users = 20, .seed = 42, .max_requests = 1, .trace = true };
	struct harness h;
	memset(&h, 0, sizeof h);
	h.names = strtab_create();
	h.spans = ring_create(1024, sizeof(struct span_record));
	h.logs = ring_create(64, sizeof(struct log_record));
	h.store = store_create((struct store_limits){ .max_traces = 4, .max_spans = 4096 });
	h.w = workload_create(labdb_from_sqlite(db, path), &cfg, h.spans, h.logs, h.names);
	assert_int_equal(workload_start(h.w), 0);
	workload_join(h.w);
	assert_int_equal(workload_phase(h.w), WORKLOAD_FAILED);
	assert_non_null(strstr(workload_error(h.w), "seed"));
	finish(&h);
	fixture_cleanup();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(runs_k_requests_and_stops),
		cmocka_unit_test(control_changes_reach_the_worker),
		cmocka_unit_test(stop_is_prompt_at_a_slow_pace),
		cmocka_unit_test(a_burst_of_changes_leaves_the_pace_as_it_was),
		cmocka_unit_test(a_long_request_yields_to_a_change),
		cmocka_unit_test(pause_holds_the_worker),
		cmocka_unit_test(a_failing_database_is_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
