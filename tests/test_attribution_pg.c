/* attribution of the lab's PostgreSQL traces (ATTRIBUTION_PG): the kind
 * comes from the database spans' db_system, the labels say how each figure
 * was obtained, and a pipeline's overlapping spans still add up. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "obslab/analysis.h"
#include "obslab/request.h"
#include "obslab/rng.h"
#include "obslab/span.h"
#include "obslab/store.h"

#define RTT 200 /* ns: the measured round trip these traces were made with */

static struct span_record root(int64_t start, int64_t end, enum strategy s)
{
	struct span_record r;
	memset(&r, 0, sizeof r);
	r.span_id = 1;
	r.start_ns = start;
	r.end_ns = end;
	r.trace_seq = 1;
	r.kind = SPAN_KIND_SERVER;
	r.strategy = (uint8_t)s;
	return r;
}

/* A query span as pg_exec records it: its network share min(RTT, duration). */
static struct span_record query(uint64_t id, int64_t start, int64_t end, enum span_db_system system)
{
	struct span_record r;
	memset(&r, 0, sizeof r);
	r.span_id = id;
	r.parent_id = 1;
	r.start_ns = start;
	r.end_ns = end;
	r.trace_seq = 1;
	r.kind = SPAN_KIND_CLIENT;
	r.flags = SPAN_F_DB;
	r.db_system = (uint8_t)system;
	r.u.db.net_wait_ns = end - start < RTT ? (uint32_t)(end - start) : RTT;
	return r;
}

/* The attribution of spans[0..n) (root first, the rest in start order), as
 * the store hands the trace over (a trace completes with its root: the
 * children go in first); checks that the parts add up. */
static struct attribution attribute(struct span_record *spans, size_t n)
{
	struct store *s = store_create((struct store_limits){ 4, 1000, 0 });
	if (n > 1)
		store_ingest(s, spans + 1, n - 1);
	store_ingest(s, spans, 1);
	struct attribution a = analysis_attribution(store_latest(s));
	store_destroy(s);
	assert_int_equal(a.app_ns + a.db_ns + a.network_ns, a.total_ns);
	assert_int_equal(a.calls_ns, 0);
	assert_true(a.app_ns >= 0 && a.db_ns >= 0 && a.network_ns >= 0);
	return a;
}

/* Naive on PostgreSQL: 21 queries one after another, each waiting its round
 * trip: network is 21 round trips, measured, and labelled so. */
static void naive_on_postgresql_is_measured(void **state)
{
	(void)state;
	struct span_record spans[22];
	spans[0] = root(0, 20000, STRATEGY_NAIVE);
	for (int i = 0; i < 21; i++)
		spans[1 + i] = query((uint64_t)(2 + i), 100 + 900 * i, 100 + 900 * i + 500, SPAN_DB_POSTGRESQL);
	struct attribution a = attribute(spans, 22);
	assert_int_equal(a.kind, ATTRIBUTION_PG);
	assert_int_equal(a.queries, 21);
	assert_int_equal(a.network_ns, 21 * RTT);
	assert_int_equal(a.db_ns, 21 * (500 - RTT));
	assert_int_equal(a.app_ns, 20000 - 21 * 500);
	assert_string_equal(attribution_label_network(&a), "network (measured round trip)");
	assert_string_equal(attribution_label_db(&a), "database (client time − measured round trip)");
	assert_string_equal(attribution_label_app(&a), "app");
	assert_null(attribution_label_calls(&a));
}

/* Pipelined: the users query, then 20 count queries sent 10 ns apart, each
 * answered 1000 ns after its send: their spans overlap. Time is counted
 * once: network is the union of the waits (the users' round trip and
 * [500, 890)), database the rest of the queries' union, app the remainder. */
static void pipelined_overlapping_spans_add_up(void **state)
{
	(void)state;
	struct span_record spans[22];
	spans[0] = root(0, 5000, STRATEGY_PIPELINED);
	spans[1] = query(2, 100, 400, SPAN_DB_POSTGRESQL);
	for (int i = 0; i < 20; i++)
		spans[2 + i] = query((uint64_t)(3 + i), 500 + 10 * i, 1500 + 10 * i, SPAN_DB_POSTGRESQL);
	struct attribution a = attribute(spans, 22);
	assert_int_equal(a.kind, ATTRIBUTION_PG);
	assert_int_equal(a.queries, 21);
	assert_int_equal(a.network_ns, RTT + (890 - 500));
	assert_int_equal(a.db_ns, (400 - 100) + (1690 - 500) - a.network_ns);
	assert_int_equal(a.app_ns, 5000 - (400 - 100) - (1690 - 500));
	/* within the measured round trips: never more than one per query, and
	 * here far less than naive's 21 */
	assert_true(a.network_ns <= (int64_t)a.queries * RTT);
	assert_true(a.network_ns < 21 * RTT / 2);
}

/* Random overlapping queries, some ending past the root: the parts always add
 * up, the network never exceeds the time the queries cover nor one round
 * trip per query. */
static void random_overlaps_always_add_up(void **state)
{
	(void)state;
	struct rng r;
	rng_seed(&r, 17);
	struct span_record spans[40];
	for (int round = 0; round < 500; round++) {
		size_t n = 1 + rng_next(&r) % 39;
		spans[0] = root(1000, 1000 + 1 + (int64_t)(rng_next(&r) % 20000), STRATEGY_PIPELINED);
		int64_t at = 1000;
		for (size_t i = 1; i < n; i++) {
			at += (int64_t)(rng_next(&r) % 700);
			spans[i] = query(1 + i, at, at + (int64_t)(rng_next(&r) % 3000), SPAN_DB_POSTGRESQL);
		}
		struct attribution a = attribute(spans, n);
		assert_int_equal(a.kind, n > 1 ? ATTRIBUTION_PG : ATTRIBUTION_LAB);
		assert_true(a.network_ns <= (int64_t)a.queries * RTT);
		assert_true(a.network_ns <= a.total_ns - a.app_ns);
	}
}

/* SQLite's traces keep their kind and labels, even when the root's strategy
 * byte (shared with db_system) reads 1; a series keeps PostgreSQL's kind. */
static void sqlite_keeps_the_simulated_labels(void **state)
{
	(void)state;
	struct span_record spans[] = {
		root(0, 1000, STRATEGY_OPTIMIZED), /* strategy 1 == SPAN_DB_POSTGRESQL's value */
		query(2, 100, 600, SPAN_DB_SQLITE),
	};
	struct attribution a = attribute(spans, 2);
	assert_int_equal(a.kind, ATTRIBUTION_LAB);
	assert_string_equal(attribution_label_network(&a), "network (simulated)");
	assert_string_equal(attribution_label_db(&a), "database");

	struct attribution_series s = { 0 };
	spans[1].db_system = SPAN_DB_POSTGRESQL;
	for (int i = 0; i < 3; i++)
		attribution_series_add(&s, attribute(spans, 2));
	struct attribution m = attribution_series_medians(&s);
	assert_int_equal(m.kind, ATTRIBUTION_PG);
	assert_int_equal(m.network_ns, RTT);
	assert_string_equal(attribution_label_network(&m), "network (measured round trip)");
	attribution_series_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(naive_on_postgresql_is_measured),
		cmocka_unit_test(pipelined_overlapping_spans_add_up),
		cmocka_unit_test(random_overlaps_always_add_up),
		cmocka_unit_test(sqlite_keeps_the_simulated_labels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
