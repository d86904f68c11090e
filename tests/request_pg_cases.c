/* request on PostgreSQL only (linked into test_request_pg): bodies
 * byte-identical to SQLite's for the same seed, the users and counts as the
 * database has them, eager's and pipelined's spans, the pipeline's
 * overlapping spans against naive's staircase (figures printed, no time
 * asserted), a connection lost mid-request, and the index changing the
 * plan but not the body. */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "lab_engine.h"
#include "pg_fixture.h"
#include "request_cases.h"
#include "obslab/log.h"
#include "obslab/store.h"
#include "obslab/strtab.h"

static char *body_of(struct lab *lab, enum strategy s)
{
	lab_request(lab, s);
	return strdup(lab->result.body);
}

/* The same seed gives the same bodies, byte for byte, on both engines, for
 * every strategy SQLite runs; pipelined's users and counts are naive's. The
 * users and counts are the database's own (a JOIN read from outside). */
static void bodies_are_sqlites_byte_for_byte(void **state)
{
	(void)state;
	const uint32_t sizes[] = { 20, 1000 };
	const uint64_t seeds[] = { 42, 7 };
	for (size_t z = 0; z < 2; z++) {
		for (size_t k = 0; k < 2; k++) {
			struct lab_options o = { .name = "bodies", .users = sizes[z], .seed = seeds[k] };
			struct lab lite, pg;
			lab_open_engine(&lite, LABDB_SQLITE, &o);
			lab_open_engine(&pg, LABDB_POSTGRESQL, &o);
			for (int s = 0; s < STRATEGY_SQLITE_COUNT; s++) {
				char *a = body_of(&lite, (enum strategy)s), *b = body_of(&pg, (enum strategy)s);
				if (strcmp(a, b) != 0)
					fail_msg("%u users, seed %llu, %s: the bodies differ", sizes[z],
					         (unsigned long long)seeds[k], strategy_name((enum strategy)s));
				free(a), free(b);
			}
			char *naive = body_of(&pg, STRATEGY_NAIVE), *piped = body_of(&pg, STRATEGY_PIPELINED);
			assert_string_equal(strstr(naive, "\"total_users\""), strstr(piped, "\"total_users\""));
			assert_true(strncmp(piped, "{\"implementation\":\"pipelined\"", 29) == 0);
			free(naive), free(piped);

			PGconn *c = pg_fixture_connect(pg.conninfo);
			char *want = pg_fixture_rows(c, "SELECT u.id, u.username, u.email, count(o.id) FROM obslab_lab.users u"
			                                " LEFT JOIN obslab_lab.orders o ON o.user_id = u.id GROUP BY u.id ORDER BY u.id");
			PQfinish(c);
			lab_request(&pg, STRATEGY_EAGER);
			size_t len = 0, cap = 64 + pg.result.nusers * 96;
			char *got = malloc(cap);
			assert_non_null(got);
			for (size_t i = 0; i < pg.result.nusers; i++) {
				const struct user_row *u = &pg.result.users[i];
				int n = snprintf(got + len, cap - len, "%lld|%s|%s|%lld\n", (long long)u->id,
				                 pg.result.text + u->username, pg.result.text + u->email, (long long)u->order_count);
				assert_true(n > 0 && (size_t)n < cap - len);
				len += (size_t)n;
			}
			got[len] = '\0';
			assert_string_equal(got, want);
			free(got), free(want);
			lab_close(&lite);
			lab_close(&pg);
		}
	}
}

/* Every statement is one span with db_system PostgreSQL, named by its
 * fingerprint, with the rows it returned; eager's array parameter and
 * pipelined's counts too. */
static void each_statement_is_one_span_with_its_rows(void **state)
{
	(void)state;
	struct lab lab;
	lab_open_engine(&lab, LABDB_POSTGRESQL, &(struct lab_options){ .name = "spans", .users = 20 });
	const struct { enum strategy s; uint32_t spans; } cases[] = {
		{ STRATEGY_NAIVE, 21 }, { STRATEGY_OPTIMIZED, 1 }, { STRATEGY_EAGER, 2 }, { STRATEGY_PIPELINED, 21 },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		lab_request(&lab, cases[c].s);
		const struct trace *t = store_latest(lab.store);
		assert_int_equal(t->spans[0].strategy, cases[c].s);
		uint32_t db = 0;
		for (size_t i = 1; i < t->nspans; i++) {
			const struct span_record *sp = &t->spans[i];
			if (!(sp->flags & SPAN_F_DB))
				continue;
			db++;
			assert_int_equal(sp->db_system, SPAN_DB_POSTGRESQL);
			assert_int_equal(sp->kind, SPAN_KIND_CLIENT);
			assert_int_equal(sp->parent_id, t->spans[0].span_id);
			const char *name = strtab_get(lab.names, sp->name);
			if (db == 1 && cases[c].s != STRATEGY_OPTIMIZED) {
				assert_string_equal(name, request_fp(LABDB_POSTGRESQL, REQUEST_FP_USERS));
				assert_int_equal(sp->u.db.rows, 20);
			} else if (cases[c].s == STRATEGY_OPTIMIZED) {
				assert_string_equal(name, request_fp(LABDB_POSTGRESQL, REQUEST_FP_JOIN));
				assert_int_equal(sp->u.db.rows, 20);
			} else if (cases[c].s == STRATEGY_EAGER) {
				assert_non_null(strstr(name, "FROM obslab_lab.orders WHERE user_id = ANY"));
				assert_null(strstr(name, "1,2")); /* the ids are a parameter, never in the text */
				assert_int_equal(sp->u.db.rows, 20); /* every user has orders */
			} else {
				assert_string_equal(name, request_fp(LABDB_POSTGRESQL, REQUEST_FP_COUNT));
				assert_int_equal(sp->u.db.rows, 1);
			}
		}
		assert_int_equal(db, cases[c].spans);
	}
	lab_close(&lab);
}

/* The shortest of a few requests' root durations. */
static int64_t best_of(struct lab *lab, enum strategy s, int runs)
{
	int64_t best = INT64_MAX;
	for (int r = 0; r < runs; r++) {
		lab_request(lab, s);
		int64_t d = span_duration_ns(&store_latest(lab->store)->spans[0]);
		best = d < best ? d : best;
	}
	return best;
}

/* Pipelined's count spans overlap (each sent before the previous answer
 * came): at least half start before the previous one ends, where naive's
 * never do. Its time against naive's on the same data is printed (a
 * measurement, not an assertion: the machine is shared). */
static void pipelined_spans_overlap_and_its_time_is_reported(void **state)
{
	(void)state;
	for (int tcp = 0; tcp < 2; tcp++) {
		struct lab lab;
		lab_open_engine(&lab, LABDB_POSTGRESQL,
		                &(struct lab_options){ .name = "pipe", .users = 1000, .index = true, .tcp = tcp });
		int64_t naive = best_of(&lab, STRATEGY_NAIVE, 3), piped = best_of(&lab, STRATEGY_PIPELINED, 3);
		const struct trace *t = store_latest(lab.store);
		size_t overlapping = 0, counts = 0;
		for (size_t i = 3; i < t->nspans; i++) {
			if (!(t->spans[i].flags & SPAN_F_DB))
				continue;
			counts++;
			overlapping += t->spans[i].start_ns < t->spans[i - 1].end_ns;
		}
		assert_int_equal(counts, 999);
		if (overlapping * 2 < counts)
			fail_msg("only %zu of %zu pipelined spans overlap the previous one", overlapping, counts);
		printf("MEASURED (%s, 1000 users, index on, best of 3): naive %.2f ms, pipelined %.2f ms (%.1fx);"
		       " %zu of %zu pipelined count spans overlap; round trip %.1f us\n",
		       tcp ? "TCP 127.0.0.1" : "Unix socket", (double)naive / 1e6, (double)piped / 1e6,
		       (double)naive / (double)piped, overlapping, counts, (double)pg_rtt_ns(lab.pg) / 1e3);
		lab_close(&lab);
	}
}

static void terminate(void *arg)
{
	PGconn *admin = ((void **)arg)[0];
	const char *query = ((void **)arg)[1];
	PQclear(PQexec(admin, query)); /* checked after the request, on the test's thread */
}

/* The server ends the lab's connection while a naive request over 10 000
 * users runs (pg_terminate_backend from an admin connection): the request
 * returns DB_UNAVAILABLE with one line, its root flagged error; then the
 * lab reconnects and runs again. */
static void a_connection_lost_mid_request_is_an_error_trace(void **state)
{
	(void)state;
	struct lab lab;
	lab_open_engine(&lab, LABDB_POSTGRESQL, &(struct lab_options){ .name = "lost_mid", .users = 10000 });
	PGconn *c = pg_fixture_connect(lab.conninfo);
	char *dbname = pg_fixture_value(c, "SELECT current_database()");
	PQfinish(c);
	PGconn *admin = pg_fixture_connect(pg_fixture_admin(false));
	char query[256];
	snprintf(query, sizeof query, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
	         " WHERE datname = '%s' AND application_name = 'obslab'", dbname);
	_Atomic uint32_t progress;
	_Atomic int done;
	atomic_init(&progress, 0);
	atomic_init(&done, 0);
	request_ctx_set_progress(lab.ctx, &progress);
	void *args[2] = { admin, query };
	struct request_act a = { .progress = &progress, .done = &done, .after = 200, .act = terminate, .arg = args };
	request_act_start(&a);
	struct obslab_error err = { "" };
	enum db_status st = request_run(lab.ctx, STRATEGY_NAIVE, &lab.result, &err);
	atomic_store(&done, 1);
	assert_true(request_act_join(&a));
	assert_int_equal(st, DB_UNAVAILABLE);
	assert_true(err.msg[0]);
	assert_null(strchr(err.msg, '\n'));
	assert_true(lab.result.queries >= 200 && lab.result.queries < 10001);
	store_drain(lab.store, lab.spans);
	const struct trace *t = store_latest(lab.store);
	assert_non_null(t);
	assert_true(t->spans[0].flags & SPAN_F_ERROR);
	assert_false(pg_connected(lab.pg));
	printf("lost mid-request after %u statements: %s\n", lab.result.queries, err.msg);
	/* The server's reason, not only where it ran, and early enough that a
	 * log's error field (log_text, cut to LOG_TEXT_MAX) keeps it. */
	struct log_field logged = log_text("error", err.msg);
	if (!strstr(logged.v.text, "terminating connection due to administrator command"))
		fail_msg("the logged error does not name the cause: %s", logged.v.text);

	assert_int_equal(pg_reconnect(lab.pg, &err), DB_OK);
	lab_request(&lab, STRATEGY_OPTIMIZED);
	assert_int_equal(lab.result.nusers, 10000);
	PQfinish(admin);
	free(dbname);
	lab_close(&lab);
}

/* The index changes PostgreSQL's plan for the count (EXPLAIN from outside)
 * and not a byte of the body. */
static void the_index_changes_the_plan_not_the_body(void **state)
{
	(void)state;
	struct lab lab;
	lab_open_engine(&lab, LABDB_POSTGRESQL, &(struct lab_options){ .name = "plan", .users = 1000 });
	PGconn *c = pg_fixture_connect(lab.conninfo);
	static const char explain[] = "EXPLAIN SELECT count(*) FROM obslab_lab.orders WHERE user_id = 5";
	char *off_plan = pg_fixture_rows(c, explain);
	char *off = body_of(&lab, STRATEGY_NAIVE);
	assert_false(store_latest(lab.store)->spans[0].flags & SPAN_F_INDEX);
	lab_set_index(&lab, true);
	char *on_plan = pg_fixture_rows(c, explain);
	char *on = body_of(&lab, STRATEGY_NAIVE);
	assert_true(store_latest(lab.store)->spans[0].flags & SPAN_F_INDEX);
	if (!strstr(off_plan, "Seq Scan") || strstr(off_plan, "Index"))
		fail_msg("without the index, not a sequential scan:\n%s", off_plan);
	if (!strstr(on_plan, "Index") || strstr(on_plan, "Seq Scan"))
		fail_msg("with the index, not an index scan:\n%s", on_plan);
	assert_string_equal(off, on);
	lab_set_index(&lab, false);
	char *again = pg_fixture_rows(c, explain);
	assert_string_equal(again, off_plan);
	free(off_plan), free(on_plan), free(again), free(off), free(on);
	PQfinish(c);
	lab_close(&lab);
}

const struct CMUnitTest request_pg_cases[] = {
	cmocka_unit_test(bodies_are_sqlites_byte_for_byte),
	cmocka_unit_test(each_statement_is_one_span_with_its_rows),
	cmocka_unit_test(pipelined_spans_overlap_and_its_time_is_reported),
	cmocka_unit_test(a_connection_lost_mid_request_is_an_error_trace),
	cmocka_unit_test(the_index_changes_the_plan_not_the_body),
};
const size_t request_pg_ncases = sizeof request_pg_cases / sizeof request_pg_cases[0];
