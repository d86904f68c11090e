/* session on PostgreSQL (linked into test_session_pg): a plan of every
 * strategy over 2000 users without the index, run by a session; each
 * trace's attribution is the PostgreSQL kind and adds up (app + database +
 * network = the root's duration, to the nanosecond), its queries are the
 * strategy's, and its network part is within the round trips the lab
 * measured: at most queries × the round trip its statements carry (each
 * statement's network share is the round trip measured on its connection
 * between requests, or its whole time if shorter), while naive's database
 * part stays the larger (a count scanning ~7000 orders without the index
 * costs the server more than a round trip: a network part that took whole
 * statement times would fail here). The round trip measured from outside
 * (64 empty statements on the test's own connection, before and after) is
 * printed beside it, not asserted: on a shared 2-core machine the two
 * medians, taken at different moments, can differ several times over. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "pg_fixture.h"
#include "obslab/analysis.h"
#include "obslab/clock.h"
#include "obslab/session.h"
#include "obslab/span.h"
#include "obslab/store.h"


void measured_attribution_adds_up_within_the_round_trips(void **state);

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The median of n empty statements' round trips over a connection of our own. */
static int64_t outside_rtt_ns(const char *conninfo, int n)
{
	PGconn *c = pg_fixture_connect(conninfo);
	int64_t t[64];
	assert_true(n <= 64);
	for (int i = 0; i < n; i++) {
		int64_t t0 = clock_now_ns();
		PQclear(PQexec(c, ";"));
		t[i] = clock_now_ns() - t0;
	}
	PQfinish(c);
	qsort(t, (size_t)n, sizeof t[0], cmp_i64);
	return t[n / 2];
}

void measured_attribution_adds_up_within_the_round_trips(void **state)
{
	(void)state;
	char *ci = pg_fixture_new_database("attribution", false);
	int64_t rtt = outside_rtt_ns(ci, 64);
	struct plan plan = { .users = { 2000 }, .nscales = 1, .requests = 2 };
	struct workload_config cfg = { .strategy = STRATEGY_NAIVE, .users = 2000, .seed = 42, .trace = true, .plan = &plan };
	struct session s;
	struct obslab_error err;
	if (session_start(&s, ci, &cfg, (struct store_limits){ .max_traces = 64, .max_spans = 1u << 20 }, &err) != DB_OK)
		fail_msg("session_start: %s", err.msg);
	assert_int_equal(s.db_info.engine, LABDB_POSTGRESQL);
	session_wait(&s, NULL, NULL, NULL, NULL);
	assert_int_equal(workload_phase(s.workload), WORKLOAD_DONE);
	int64_t after = outside_rtt_ns(ci, 64);
	rtt = after > rtt ? after : rtt;
	const uint32_t queries[STRATEGY_COUNT] = { 2001, 1, 5, 2001 }; /* eager: 1 + 4 chunks of 500 */
	assert_int_equal(store_trace_count(s.store), 2 * STRATEGY_COUNT);
	for (size_t i = 0; i < store_trace_count(s.store); i++) {
		const struct trace *t = store_trace(s.store, i);
		enum strategy st = (enum strategy)t->spans[0].strategy;
		struct attribution a = analysis_attribution(t);
		assert_int_equal(a.kind, ATTRIBUTION_PG);
		assert_int_equal(a.total_ns, span_duration_ns(&t->spans[0]));
		assert_int_equal(a.app_ns + a.db_ns + a.network_ns + a.calls_ns, a.total_ns);
		assert_true(a.app_ns >= 0 && a.db_ns >= 0 && a.network_ns >= 0);
		assert_int_equal(a.queries, queries[st]);
		for (size_t k = 1; k < t->nspans; k++) {
			if (t->spans[k].flags & SPAN_F_DB)
				assert_int_equal(t->spans[k].db_system, SPAN_DB_POSTGRESQL);
		}
		int64_t lab_rtt = 0; /* the round trip the request's statements carry */
		for (size_t k = 1; k < t->nspans; k++) {
			const struct span_record *q = &t->spans[k];
			if (!(q->flags & SPAN_F_DB))
				continue;
			assert_true((int64_t)q->u.db.net_wait_ns <= span_duration_ns(q));
			if ((int64_t)q->u.db.net_wait_ns > lab_rtt)
				lab_rtt = q->u.db.net_wait_ns;
		}
		assert_true(lab_rtt > 0);
		double bound = (double)a.queries * (double)lab_rtt;
		printf("MEASURED %-9s total %8.2f ms = app %7.2f + database %8.2f + network %7.2f ms"
		       " (bound %.2f ms: %u queries x %.1f us measured by the lab; from outside %.1f us)\n",
		       strategy_name(st), (double)a.total_ns / 1e6, (double)a.app_ns / 1e6, (double)a.db_ns / 1e6,
		       (double)a.network_ns / 1e6, bound / 1e6, a.queries, (double)lab_rtt / 1e3, (double)rtt / 1e3);
		if ((double)a.network_ns > bound)
			fail_msg("%s: network %lld ns over %u queries x %lld ns", strategy_name(st), (long long)a.network_ns,
			         a.queries, (long long)lab_rtt);
		if (st == STRATEGY_NAIVE)
			assert_true(a.db_ns > a.network_ns); /* the server's scans are the database's */
	}
	session_stop(&s);
	free(ci);
}
