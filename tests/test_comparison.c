/* comparison: the lab's comparison table — which traces count, the median
 * request per (users, strategy) cell (its parts add up), the row order,
 * speedups, and the cell bound — on constructed traces with known
 * attribution, and on real ones. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "obslab/comparison.h"
#include "obslab/span.h"
#include "obslab/store.h"
#include "obslab/strtab.h"

/* A measured trace: a root of total_ns, then `queries` back-to-back query
 * spans of query_ns each (net_ns of it the simulated round trip), starting
 * 10 ns in. Attribution is then exact: db = queries * (query_ns - net_ns),
 * network = queries * net_ns, app = total_ns - queries * query_ns. */
struct made {
	struct span_record spans[64];
	struct trace trace;
};

static const struct trace *make(struct made *m, enum strategy s, uint32_t users, int64_t total_ns,
                                uint32_t queries, int64_t query_ns, uint32_t net_ns, uint8_t extra_flags)
{
	assert_true(queries < 64);
	memset(m, 0, sizeof *m);
	struct span_record *root = &m->spans[0];
	root->span_id = 1;
	root->start_ns = 1000;
	root->end_ns = 1000 + total_ns;
	root->kind = SPAN_KIND_SERVER;
	root->flags = (uint8_t)(SPAN_F_MEASURED | extra_flags);
	root->strategy = (uint8_t)s;
	root->u.root.users = users;
	for (uint32_t i = 0; i < queries; i++) {
		struct span_record *q = &m->spans[1 + i];
		q->span_id = 2 + i;
		q->parent_id = 1;
		q->start_ns = 1010 + (int64_t)i * query_ns;
		q->end_ns = q->start_ns + query_ns;
		q->kind = SPAN_KIND_CLIENT;
		q->flags = SPAN_F_DB;
		q->name = 1;
		q->u.db.net_wait_ns = net_ns;
	}
	m->trace = (struct trace){ .seq = 1, .spans = m->spans, .nspans = 1 + queries };
	return &m->trace;
}

static void add(struct comparison *c, enum strategy s, uint32_t users, int64_t total_ns, uint32_t queries,
                int64_t query_ns, uint32_t net_ns)
{
	struct made m;
	comparison_add(c, make(&m, s, users, total_ns, queries, query_ns, net_ns, 0));
}

/* Medians taken apart need not add up: here the median database time and
 * the median network time are each 90 of a median total of 100. A row is
 * one request's, the median by total (the second of the two 100s, the lower
 * middle): database 0 + network 90 + app 10, and its share 0.9, never 1.8. */
static void db_share_is_the_median_requests(void **state)
{
	(void)state;
	struct comparison *c = test_malloc(sizeof *c);
	comparison_init(c);
	add(c, STRATEGY_NAIVE, 20, 100, 1, 90, 0);    /* db 90, network 0: 0.9 */
	add(c, STRATEGY_NAIVE, 20, 100, 1, 90, 90);   /* db 0, network 90: 0.9 */
	add(c, STRATEGY_NAIVE, 20, 1000, 1, 990, 495); /* db 495, network 495: 0.99 */
	struct comparison_row r[1];
	assert_int_equal(comparison_rows(c, r, 1), 1);
	assert_int_equal(r[0].median_total_ns, 100);
	assert_int_equal(r[0].median_db_ns, 0);
	assert_int_equal(r[0].median_network_ns, 90);
	assert_int_equal(r[0].median_app_ns, 10);
	assert_true(r[0].db_share == 0.9);
	comparison_clear(c);
	test_free(c);
}

/* The report: naive's medians taken apart were database 119.6 ms
 * and network 344.8 ms of a median total of 458.7 ms, a share of 1.0124.
 * Five requests where that happens: each part's median comes from another
 * request than the total's. A row's parts add up to its total, and its
 * share is at most 1. */
static void parts_add_up_to_the_total_and_no_share_exceeds_one(void **state)
{
	(void)state;
	struct comparison *c = test_malloc(sizeof *c);
	comparison_init(c);
	/* total, one query's time, its network wait (one query each, so db =
	 * query - wait, network = wait, app = total - query) */
	static const int64_t req[5][3] = {
		{ 458700, 400000, 344800 }, /* the median total: db 55.2, network 344.8 */
		{ 470000, 465000, 345500 }, /* db 119.5 */
		{ 430000, 425000, 300000 }, /* db 125.0 */
		{ 500000, 495000, 350000 }, /* db 145.0 */
		{ 420000, 415000, 400000 }, /* db 15.0 */
	};
	for (size_t i = 0; i < 5; i++)
		add(c, STRATEGY_NAIVE, 1000, req[i][0], 1, req[i][1], (uint32_t)req[i][2]);
	struct comparison_row r[1];
	assert_int_equal(comparison_rows(c, r, 1), 1);
	assert_int_equal(r[0].median_total_ns, 458700);
	assert_int_equal(r[0].median_db_ns + r[0].median_network_ns + r[0].median_app_ns, r[0].median_total_ns);
	assert_int_equal(r[0].median_network_ns, 344800);
	assert_int_equal(r[0].median_db_ns, 55200);
	assert_true(r[0].db_share <= 1.0);
	assert_true(r[0].db_share == 400000.0 / 458700.0);

	/* And whatever the requests: pseudo-random cells of 1 to 9 requests. */
	comparison_clear(c);
	uint64_t x = 88172645463325252u;
	for (uint32_t cell = 0; cell < COMPARISON_MAX_CELLS; cell++) {
		uint32_t n = 1 + cell % 9;
		for (uint32_t k = 0; k < n; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			int64_t total = 1000 + (int64_t)(x % 1000000);
			int64_t query = (int64_t)((x >> 20) % (uint64_t)total);
			uint32_t wait = (uint32_t)((x >> 40) % (uint64_t)(query + 1));
			add(c, (enum strategy)(cell % STRATEGY_COUNT), 20 + cell / STRATEGY_COUNT, total, 1, query, wait);
		}
	}
	struct comparison_row *all = test_calloc(COMPARISON_MAX_CELLS, sizeof *all);
	assert_int_equal(comparison_rows(c, all, COMPARISON_MAX_CELLS), COMPARISON_MAX_CELLS);
	for (size_t i = 0; i < COMPARISON_MAX_CELLS; i++) {
		const struct comparison_row *w = &all[i];
		if (w->median_db_ns + w->median_network_ns + w->median_app_ns != w->median_total_ns)
			fail_msg("row %zu: %lld + %lld + %lld != %lld", i, (long long)w->median_db_ns,
			         (long long)w->median_network_ns, (long long)w->median_app_ns, (long long)w->median_total_ns);
		if (!(w->db_share >= 0.0 && w->db_share <= 1.0))
			fail_msg("row %zu: share %f", i, w->db_share);
	}
	test_free(all);
	comparison_clear(c);
	test_free(c);
}

static void medians_per_cell_and_speedup_against_naive(void **state)
{
	(void)state;
	struct comparison *c = test_malloc(sizeof *c);
	comparison_init(c);
	/* naive at 20 users: totals 3000, 1000, 2000 (median 2000), 21 queries */
	add(c, STRATEGY_NAIVE, 20, 3000, 21, 50, 20);
	add(c, STRATEGY_NAIVE, 20, 1000, 21, 40, 10);
	add(c, STRATEGY_NAIVE, 20, 2000, 21, 45, 15);
	/* optimized: an even count takes the lower middle, 400 */
	add(c, STRATEGY_OPTIMIZED, 20, 500, 1, 300, 100);
	add(c, STRATEGY_OPTIMIZED, 20, 400, 1, 200, 50);
	add(c, STRATEGY_OPTIMIZED, 20, 300, 1, 100, 20);
	add(c, STRATEGY_OPTIMIZED, 20, 600, 1, 350, 150);

	struct comparison_row r[4];
	memset(r, 0xAB, sizeof r);
	assert_int_equal(comparison_rows(c, r, 4), 2);
	assert_int_equal(r[0].users, 20);
	assert_int_equal(r[0].strategy, STRATEGY_NAIVE);
	assert_int_equal(r[0].requests, 3);
	assert_int_equal(r[0].queries_per_request, 21);
	assert_int_equal(r[0].median_total_ns, 2000);
	assert_int_equal(r[0].median_network_ns, 21 * 15);      /* the median request's (2000) */
	assert_int_equal(r[0].median_db_ns, 21 * (45 - 15));
	assert_int_equal(r[0].median_app_ns, 2000 - 21 * 45);
	assert_true(r[0].speedup_vs_naive == 1.0);
	double share = (double)(r[0].median_db_ns + r[0].median_network_ns) / 2000.0;
	assert_true(r[0].db_share == share);

	assert_int_equal(r[1].strategy, STRATEGY_OPTIMIZED);
	assert_int_equal(r[1].requests, 4);
	assert_int_equal(r[1].queries_per_request, 1);
	assert_int_equal(r[1].median_total_ns, 400);
	assert_int_equal(r[1].median_network_ns, 50);
	assert_int_equal(r[1].median_db_ns, 150);
	assert_int_equal(r[1].median_app_ns, 200);
	assert_true(r[1].speedup_vs_naive == 2000.0 / 400.0);
	assert_true(r[1].db_share == 200.0 / 400.0);

	/* The medians work on copies: asking again gives the same table. */
	struct comparison_row again[4];
	assert_int_equal(comparison_rows(c, again, 4), 2);
	assert_int_equal(again[1].median_total_ns, 400);
	assert_int_equal(again[0].median_app_ns, r[0].median_app_ns);
	comparison_clear(c);
	test_free(c);
}

static void only_measured_finished_roots_count(void **state)
{
	(void)state;
	struct comparison *c = test_malloc(sizeof *c);
	comparison_init(c);
	struct made m;
	comparison_add(c, NULL);
	struct trace empty = { .seq = 1 };
	comparison_add(c, &empty);
	const struct trace *t = make(&m, STRATEGY_NAIVE, 20, 1000, 3, 10, 1, 0);
	m.spans[0].flags &= (uint8_t)~SPAN_F_MEASURED; /* the explorer's own requests */
	comparison_add(c, t);
	comparison_add(c, make(&m, STRATEGY_NAIVE, 20, 1000, 3, 10, 1, SPAN_F_CANCELLED));
	comparison_add(c, make(&m, STRATEGY_NAIVE, 20, 1000, 3, 10, 1, SPAN_F_ERROR));
	comparison_add(c, make(&m, STRATEGY_COUNT, 20, 1000, 3, 10, 1, 0)); /* no such strategy */
	comparison_add(c, make(&m, (enum strategy)200, 20, 1000, 3, 10, 1, 0));
	struct comparison_row r[2];
	assert_int_equal(comparison_rows(c, r, 2), 0);

	/* and the one that counts, among them */
	comparison_add(c, make(&m, STRATEGY_EAGER, 20, 1000, 3, 10, 1, SPAN_F_INDEX));
	assert_int_equal(comparison_rows(c, r, 2), 1);
	assert_int_equal(r[0].strategy, STRATEGY_EAGER);
	assert_int_equal(r[0].requests, 1);
	assert_int_equal(r[0].queries_per_request, 3);
	comparison_clear(c);
	test_free(c);
}

static void rows_by_users_then_strategy_speedup_only_beside_naive(void **state)
{
	(void)state;
	struct comparison *c = test_malloc(sizeof *c);
	comparison_init(c);
	/* arrival order scrambled on purpose */
	add(c, STRATEGY_EAGER, 1000, 500, 3, 10, 0);
	add(c, STRATEGY_OPTIMIZED, 100, 400, 1, 10, 0); /* no naive at 100 users */
	add(c, STRATEGY_NAIVE, 1000, 8000, 50, 10, 0);
	add(c, STRATEGY_OPTIMIZED, 20, 100, 1, 10, 0);
	add(c, STRATEGY_NAIVE, 20, 300, 21, 10, 0);
	add(c, STRATEGY_OPTIMIZED, 1000, 250, 1, 10, 0);
	struct comparison_row r[8];
	assert_int_equal(comparison_rows(c, r, 8), 6);
	const struct { uint32_t users; enum strategy s; double speedup; } want[] = {
		{ 20, STRATEGY_NAIVE, 1.0 },       { 20, STRATEGY_OPTIMIZED, 3.0 },
		{ 100, STRATEGY_OPTIMIZED, 0.0 },  { 1000, STRATEGY_NAIVE, 1.0 },
		{ 1000, STRATEGY_OPTIMIZED, 32.0 }, { 1000, STRATEGY_EAGER, 16.0 },
	};
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(r[i].users, want[i].users);
		assert_int_equal(r[i].strategy, want[i].s);
		if (r[i].speedup_vs_naive != want[i].speedup)
			fail_msg("row %zu: speedup %f, want %f", i, r[i].speedup_vs_naive, want[i].speedup);
	}
	/* A smaller cap is honoured: nothing written past it. */
	struct comparison_row few[3];
	memset(few, 0x5A, sizeof few);
	unsigned char guard[sizeof few[2]];
	memcpy(guard, &few[2], sizeof guard);
	assert_int_equal(comparison_rows(c, few, 2), 2);
	assert_memory_equal(&few[2], guard, sizeof guard);
	assert_int_equal(comparison_rows(c, few, 0), 0);
	comparison_clear(c);
	test_free(c);
}

static void zero_length_requests_give_zero_ratios(void **state)
{
	(void)state;
	struct comparison *c = test_malloc(sizeof *c);
	comparison_init(c);
	add(c, STRATEGY_NAIVE, 20, 1000, 2, 10, 0);
	add(c, STRATEGY_OPTIMIZED, 20, 0, 0, 0, 0); /* a root of no duration */
	struct comparison_row r[2];
	assert_int_equal(comparison_rows(c, r, 2), 2);
	assert_int_equal(r[1].median_total_ns, 0);
	assert_true(r[1].db_share == 0.0);
	assert_true(r[1].speedup_vs_naive == 0.0); /* not infinity, not NaN */
	comparison_clear(c);
	test_free(c);
}

static void cells_grow_are_bounded_and_clear_empties(void **state)
{
	(void)state;
	struct comparison *c = test_malloc(sizeof *c);
	comparison_init(c);
	/* one cell past its first allocation: totals 1..101, median 51 */
	for (int64_t i = 101; i >= 1; i--)
		add(c, STRATEGY_NAIVE, 20, i * 100, 1, 10, 0);
	struct comparison_row *r = test_calloc(COMPARISON_MAX_CELLS + 1, sizeof *r);
	assert_int_equal(comparison_rows(c, r, COMPARISON_MAX_CELLS + 1), 1);
	assert_int_equal(r[0].requests, 101);
	assert_int_equal(r[0].median_total_ns, 5100);

	/* More (users, strategy) cells than fit: the extra ones are dropped,
	 * the ones held keep counting. */
	for (uint32_t u = 1; u <= COMPARISON_MAX_CELLS + 5; u++)
		add(c, STRATEGY_OPTIMIZED, 1000 + u, 100, 1, 10, 0);
	add(c, STRATEGY_NAIVE, 20, 10200, 1, 10, 0);
	assert_int_equal(comparison_rows(c, r, COMPARISON_MAX_CELLS + 1), COMPARISON_MAX_CELLS);
	assert_int_equal(r[0].users, 20);
	assert_int_equal(r[0].requests, 102);
	assert_int_equal(r[COMPARISON_MAX_CELLS - 1].users, 1000 + COMPARISON_MAX_CELLS - 1);

	comparison_clear(c);
	assert_int_equal(comparison_rows(c, r, COMPARISON_MAX_CELLS + 1), 0);
	add(c, STRATEGY_EAGER, 7, 100, 1, 10, 0); /* usable again after a clear */
	assert_int_equal(comparison_rows(c, r, 1), 1);
	assert_int_equal(r[0].users, 7);
	assert_int_equal(r[0].requests, 1);
	comparison_clear(c);
	comparison_clear(c); /* twice is harmless */
	test_free(r);
	test_free(c);
}

/* Real requests through the lab, flagged as a plan would flag them. */
static void real_requests_naive_n_plus_one_against_one_query(void **state)
{
	(void)state;
	struct lab lab;
	lab_open(&lab, ":memory:", 20, false);
	struct comparison *c = test_malloc(sizeof *c);
	comparison_init(c);
	struct span_record copy[64];
	for (int round = 0; round < 3; round++) {
		for (enum strategy s = STRATEGY_NAIVE; s < STRATEGY_SQLITE_COUNT; s++) {
			lab_request(&lab, s);
			const struct trace *t = store_latest(lab.store);
			assert_true(t->nspans <= 64);
			memcpy(copy, t->spans, t->nspans * sizeof *copy);
			copy[0].flags |= SPAN_F_MEASURED;
			struct trace measured = *t;
			measured.spans = copy;
			comparison_add(c, &measured);
			comparison_add(c, t); /* unflagged: ignored */
		}
	}
	struct comparison_row r[4];
	assert_int_equal(comparison_rows(c, r, 4), 3);
	assert_int_equal(r[0].strategy, STRATEGY_NAIVE);
	assert_int_equal(r[0].queries_per_request, 21); /* N + 1 */
	assert_int_equal(r[1].strategy, STRATEGY_OPTIMIZED);
	assert_int_equal(r[1].queries_per_request, 1);
	assert_int_equal(r[2].strategy, STRATEGY_EAGER);
	assert_int_equal(r[2].queries_per_request, 2); /* 1 + N/500, rounded up */
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(r[i].users, 20);
		assert_int_equal(r[i].requests, 3);
		assert_true(r[i].median_total_ns > 0);
		assert_true(r[i].db_share > 0.0 && r[i].db_share < 1.0);
		assert_true(r[i].speedup_vs_naive > 0.0);
	}
	assert_true(r[0].speedup_vs_naive == 1.0);
	comparison_clear(c);
	test_free(c);
	lab_close(&lab);
}

static void scaling_names_each_strategy(void **state)
{
	(void)state;
	assert_string_equal(comparison_scaling(STRATEGY_NAIVE), "N + 1");
	assert_string_equal(comparison_scaling(STRATEGY_OPTIMIZED), "1");
	assert_string_equal(comparison_scaling(STRATEGY_EAGER), "1 + N/500");
	assert_string_equal(comparison_scaling(STRATEGY_COUNT), "?");
	assert_string_equal(comparison_scaling((enum strategy)99), "?");
}

/* The review's eager row: database 1.989 ms by the client's clock less the
 * round trip measured between requests, 2.009 ms by the server's: the
 * difference, -0.020 ms, is kept signed but never printed bare; a positive
 * one prints as measured. */
static void db_minus_server_below_zero_is_marked_not_bare(void **state)
{
	(void)state;
	struct comparison *c = test_malloc(sizeof *c);
	comparison_init(c);
	struct made m;
	const struct trace *t = make(&m, STRATEGY_EAGER, 1000, 2500000, 3, 700000, 36333, 0);
	m.trace.trace_id[0] = 7;
	comparison_add(c, t);
	comparison_add_server(c, m.trace.trace_id, 2009000);
	struct comparison_row r[1];
	assert_int_equal(comparison_rows(c, r, 1), 1);
	assert_true(r[0].server_known);
	assert_int_equal(r[0].median_db_ns, 3 * (700000 - 36333)); /* 1.991001 ms */
	struct comparison_remainder rest = comparison_server_remainder(1.989, r[0].median_server_ns);
	assert_true(rest.negative);
	assert_true(rest.ms > -0.0201 && rest.ms < -0.0199);
	assert_string_equal(rest.cell, "<0 *");
	assert_null(strchr(rest.cell, '-'));
	rest = comparison_server_remainder(2.5, r[0].median_server_ns);
	assert_false(rest.negative);
	assert_string_equal(rest.cell, "0.491 ms");
	rest = comparison_server_remainder(2.009, r[0].median_server_ns); /* equal: 0, never "-0.000" */
	assert_false(rest.negative);
	assert_string_equal(rest.cell, "0.000 ms");
	rest = comparison_server_remainder(2.0089999, r[0].median_server_ns); /* below by less than a microsecond */
	assert_false(rest.negative);
	assert_string_equal(rest.cell, "0.000 ms");
	comparison_clear(c);
	test_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(medians_per_cell_and_speedup_against_naive),
		cmocka_unit_test(db_share_is_the_median_requests),
		cmocka_unit_test(parts_add_up_to_the_total_and_no_share_exceeds_one),
		cmocka_unit_test(only_measured_finished_roots_count),
		cmocka_unit_test(rows_by_users_then_strategy_speedup_only_beside_naive),
		cmocka_unit_test(zero_length_requests_give_zero_ratios),
		cmocka_unit_test(cells_grow_are_bounded_and_clear_empties),
		cmocka_unit_test(real_requests_naive_n_plus_one_against_one_query),
		cmocka_unit_test(scaling_names_each_strategy),
		cmocka_unit_test(db_minus_server_below_zero_is_marked_not_bare),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	fixture_cleanup();
	return rc;
}
