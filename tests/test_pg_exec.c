/* pg_exec: the lab's statements on PostgreSQL — rows as SQLite gives them,
 * one client span per statement inside a trace (named by fingerprint,
 * network share within its duration), the pipeline's answers in order with
 * overlapping spans, the round trip measured, a statement cancelled from
 * another thread or cut by the time-out, a lost connection and
 * reconnecting, and the server's clock from pg_stat_statements. */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "fixture.h"
#include "obslab/clock.h"
#include "obslab/db.h"
#include "obslab/pg.h"
#include "obslab/ring.h"
#include "obslab/sqlfp.h"
#include "obslab/strtab.h"
#include "obslab/tracer.h"
#include "pg_fixture.h"

struct traced {
	struct strtab *names;
	struct ring *ring;
	struct tracer tracer;
	struct span_record spans[4096];
	size_t n;
};

static void traced_init(struct traced *t, struct pgdb *db)
{
	t->names = strtab_create();
	t->ring = ring_create(1u << 14, sizeof(struct span_record));
	tracer_init(&t->tracer, t->ring);
	pg_trace_attach(db, &t->tracer, t->names);
	t->n = 0;
}

static void traced_drain(struct traced *t)
{
	t->n = ring_pop(t->ring, t->spans, sizeof t->spans / sizeof t->spans[0]);
}

static void traced_free(struct traced *t)
{
	ring_destroy(t->ring);
	strtab_destroy(t->names);
}

static uint32_t fingerprint(struct traced *t, enum pg_stmt s)
{
	const char *q = pg_stmt_sql(s);
	return sqlfp_intern_dialect(t->names, q, strlen(q), SQLFP_POSTGRESQL);
}

static void statements_return_sqlites_rows_and_become_spans(void **state)
{
	(void)state;
	char *ci = pg_fixture_new_database("exec", false);
	struct pgdb *db = pg_fixture_open_seeded(ci, 20, 42);
	sqlite3 *s;
	struct obslab_error err;
	assert_int_equal(db_open(":memory:", &s, &err), DB_OK);
	assert_int_equal(db_seed(s, 20, 42, NULL, NULL, &err), DB_OK);
	struct traced t;
	traced_init(&t, db);
	assert_int_equal(pg_rtt_ns(db), 0);
	assert_int_equal(pg_measure_rtt(db, 8, &err), DB_OK);
	assert_true(pg_rtt_ns(db) > 0);

	struct pg_rows rows;
	assert_int_equal(pg_exec(db, PG_STMT_USERS, 0, NULL, &rows, &err), DB_OK); /* outside a trace: no span */
	traced_drain(&t);
	assert_int_equal(t.n, 0);

	assert_non_null(tracer_begin_trace(&t.tracer, strtab_intern_cstr(t.names, "GET /users/analytics")));
	assert_int_equal(pg_exec(db, PG_STMT_USERS, 0, NULL, &rows, &err), DB_OK);
	assert_int_equal(rows.nrows, 20);
	assert_int_equal(rows.ncols, 3);
	size_t len;
	assert_string_equal(pg_value(&rows, 6, 1, &len), "user_07");
	assert_int_equal(len, 7);
	assert_string_equal(pg_value(&rows, 6, 2, NULL), "user07@example.com");
	assert_null(pg_value(&rows, 20, 0, NULL));
	assert_null(pg_value(&rows, -1, 0, NULL));
	for (int id = 1; id <= 20; id++) {
		char v[16], q[80];
		snprintf(v, sizeof v, "%d", id);
		const char *const p[] = { v };
		assert_int_equal(pg_exec(db, PG_STMT_COUNT, 1, p, &rows, &err), DB_OK);
		snprintf(q, sizeof q, "SELECT count(*) FROM orders WHERE user_id = %d", id);
		assert_int_equal(strtoll(pg_value(&rows, 0, 0, NULL), NULL, 10), fixture_scalar(s, q));
	}
	assert_int_equal(pg_exec(db, PG_STMT_JOIN, 0, NULL, &rows, &err), DB_OK);
	assert_int_equal(rows.nrows, 20);
	for (int i = 0; i < 20; i++) { /* the same order and counts as SQLite's */
		char q[80];
		snprintf(q, sizeof q, "SELECT count(*) FROM orders WHERE user_id = %d", i + 1);
		assert_int_equal(strtoll(pg_value(&rows, i, 0, NULL), NULL, 10), i + 1);
		assert_int_equal(strtoll(pg_value(&rows, i, 3, NULL), NULL, 10), fixture_scalar(s, q));
	}
	const char *const any[] = { "{1,2,3,99}" };
	assert_int_equal(pg_exec(db, PG_STMT_COUNT_ANY, 1, any, &rows, &err), DB_OK);
	assert_int_equal(rows.nrows, 3);
	const char *const bad[] = { "not a number" };
	assert_int_equal(pg_exec(db, PG_STMT_COUNT, 1, bad, &rows, &err), DB_ERROR);
	assert_non_null(strstr(err.msg, "invalid input syntax"));
	assert_int_equal(pg_exec(db, PG_STMT_COUNT, 0, NULL, &rows, &err), DB_ERROR); /* wrong parameter count */
	tracer_end(&t.tracer);

	traced_drain(&t);
	assert_int_equal(t.n, 1 + 1 + 20 + 1 + 1 + 1); /* root, users, 20 counts, join, any, the failed one */
	size_t db_spans = 0;
	for (size_t i = 0; i < t.n; i++) {
		const struct span_record *sp = &t.spans[i];
		if (!(sp->flags & SPAN_F_DB))
			continue;
		db_spans++;
		assert_int_equal(sp->kind, SPAN_KIND_CLIENT);
		assert_int_equal(sp->db_system, SPAN_DB_POSTGRESQL);
		assert_true(sp->u.db.net_wait_ns <= span_duration_ns(sp));
		assert_true(sp->u.db.net_wait_ns > 0);
		assert_int_equal(sp->u.db.fullscan_steps, 0);
		assert_int_equal(sp->u.db.vm_steps, 0);
		assert_null(strstr(strtab_get(t.names, sp->name), "user07")); /* values never in a name */
	}
	assert_int_equal(db_spans, t.n - 1);
	assert_int_equal(t.spans[0].name, fingerprint(&t, PG_STMT_USERS));
	assert_int_equal(t.spans[0].u.db.rows, 20);
	assert_int_equal(t.spans[1].name, fingerprint(&t, PG_STMT_COUNT));
	assert_string_equal(strtab_get(t.names, t.spans[1].name), "SELECT count(*) FROM obslab_lab.orders WHERE user_id = ?");
	assert_int_equal(t.spans[1].u.db.rows, 1);
	assert_int_equal(t.spans[21].name, fingerprint(&t, PG_STMT_JOIN));
	assert_int_equal(t.spans[22].name, fingerprint(&t, PG_STMT_COUNT_ANY));
	assert_true(sqlfp_takes_list(strtab_get(t.names, t.spans[22].name)));
	assert_true(t.spans[23].flags & SPAN_F_ERROR);
	traced_free(&t);
	sqlite3_close(s);
	pg_close(db);
	free(ci);
}

struct pipe_seen {
	size_t next;
	bool in_order;
	long total;
};

static void on_count(void *arg, size_t i, const struct pg_rows *rows)
{
	struct pipe_seen *p = arg;
	p->in_order = p->in_order && i == p->next;
	p->next = i + 1;
	p->total += strtol(pg_value(rows, 0, 0, NULL), NULL, 10);
}

static void the_pipeline_answers_in_order_with_overlapping_spans(void **state)
{
	(void)state;
	char *ci = pg_fixture_new_database("pipe", true);
	struct pgdb *db = pg_fixture_open_seeded(ci, 200, 9);
	struct traced t;
	traced_init(&t, db);
	struct obslab_error err;
	assert_int_equal(pg_measure_rtt(db, 4, &err), DB_OK);
	char ids[200][8];
	const char *values[200];
	for (int i = 0; i < 200; i++) {
		snprintf(ids[i], sizeof ids[i], "%d", i + 1);
		values[i] = ids[i];
	}
	assert_non_null(tracer_begin_trace(&t.tracer, strtab_intern_cstr(t.names, "GET /users/analytics")));
	struct pipe_seen seen = { 0, true, 0 };
	assert_int_equal(pg_exec_pipelined(db, PG_STMT_COUNT, 200, 1, values, on_count, &seen, &err), DB_OK);
	tracer_end(&t.tracer);
	assert_int_equal(seen.next, 200);
	assert_true(seen.in_order);
	PGconn *a = pg_fixture_connect(ci);
	char *total = pg_fixture_value(a, "SELECT count(*) FROM obslab_lab.orders");
	assert_int_equal(seen.total, strtol(total, NULL, 10));
	free(total);
	PQfinish(a);
	traced_drain(&t);
	assert_int_equal(t.n, 201);
	size_t overlaps = 0;
	for (size_t i = 1; i < 200; i++) {
		assert_true(t.spans[i].flags & SPAN_F_DB);
		assert_true(t.spans[i].start_ns >= t.spans[i - 1].start_ns);
		assert_true(t.spans[i].u.db.net_wait_ns <= span_duration_ns(&t.spans[i]));
		overlaps += t.spans[i].start_ns < t.spans[i - 1].end_ns;
	}
	assert_true(overlaps > 100); /* sent before the answers came back */

	/* A failing statement in the pipeline; then the connection is as before. */
	const char *bad[3] = { "1", "x", "3" };
	seen = (struct pipe_seen){ 0, true, 0 };
	assert_int_equal(pg_exec_pipelined(db, PG_STMT_COUNT, 3, 1, bad, on_count, &seen, &err), DB_ERROR);
	assert_int_equal(seen.next, 1);
	struct pg_rows rows;
	assert_int_equal(pg_exec(db, PG_STMT_USERS, 0, NULL, &rows, &err), DB_OK);
	assert_int_equal(rows.nrows, 200);
	assert_int_equal(pg_exec_pipelined(db, PG_STMT_COUNT, 0, 1, values, on_count, &seen, &err), DB_OK);
	traced_free(&t);
	pg_close(db);
	free(ci);
}

struct bump {
	_Atomic uint32_t *counter;
	int after_ms;
};

static void *bump_later(void *arg)
{
	struct bump *b = arg;
	struct timespec ts = { b->after_ms / 1000, (long)(b->after_ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
	atomic_fetch_add(b->counter, 1);
	return NULL;
}

static void count_answers(void *arg, size_t i, const struct pg_rows *rows)
{
	(void)i;
	(void)rows;
	(*(size_t *)arg)++;
}

/* A statement stuck behind another session's lock: cancelled from another
 * thread, then cut by a short statement time-out; the connection serves on. */
static void a_stuck_statement_is_cancelled_or_timed_out(void **state)
{
	(void)state;
	char *ci = pg_fixture_new_database("cancel", false);
	struct pgdb *db = pg_fixture_open_seeded(ci, 20, 1);
	_Atomic uint32_t counter = 0;
	pg_set_cancel(db, &counter);
	PGconn *a = pg_fixture_connect(ci);
	pg_fixture_sql(a, "BEGIN; LOCK TABLE obslab_lab.orders IN ACCESS EXCLUSIVE MODE");
	struct bump b = { &counter, 200 };
	pthread_t th;
	pthread_create(&th, NULL, bump_later, &b);
	struct pg_rows rows;
	struct obslab_error err;
	const char *const one[] = { "1" };
	assert_int_equal(pg_exec(db, PG_STMT_COUNT, 1, one, &rows, &err), DB_INTERRUPTED);
	pthread_join(th, NULL);
	assert_true(pg_connected(db));
	assert_int_equal(pg_exec(db, PG_STMT_COUNT, 1, one, &rows, &err), DB_INTERRUPTED); /* until armed again */
	pg_arm(db);
	assert_int_equal(pg_exec(db, PG_STMT_USERS, 0, NULL, &rows, &err), DB_OK); /* users is not locked */
	/* The pipeline too: its statements wait behind the lock, the cancel ends them. */
	const char *const many[4] = { "1", "2", "3", "4" };
	size_t seen = 0;
	pthread_create(&th, NULL, bump_later, &b);
	assert_int_equal(pg_exec_pipelined(db, PG_STMT_COUNT, 4, 1, many, count_answers, &seen, &err), DB_INTERRUPTED);
	pthread_join(th, NULL);
	assert_int_equal(seen, 0);
	pg_arm(db);
	assert_int_equal(pg_exec(db, PG_STMT_USERS, 0, NULL, &rows, &err), DB_OK);
	pg_close(db);
	pg_fixture_sql(a, "ROLLBACK");

	struct pg_options opt = { .statement_timeout_ms = 300 };
	assert_int_equal(pg_open(ci, &opt, &db, &err), DB_OK);
	pg_fixture_sql(a, "BEGIN; LOCK TABLE obslab_lab.orders IN ACCESS EXCLUSIVE MODE");
	assert_int_equal(pg_exec(db, PG_STMT_COUNT, 1, one, &rows, &err), DB_UNAVAILABLE);
	assert_non_null(strstr(err.msg, "time-out"));
	pg_fixture_sql(a, "ROLLBACK");
	assert_int_equal(pg_exec(db, PG_STMT_COUNT, 1, one, &rows, &err), DB_OK);
	pg_close(db);

	/* The lab's lock-wait as the lock time-out: 300 ms, then a line naming
	 * the table; negative (the explorer): tried again until the counter moves. */
	opt = (struct pg_options){ .lock_timeout_ms = 300 };
	assert_int_equal(pg_open(ci, &opt, &db, &err), DB_OK);
	pg_fixture_sql(a, "BEGIN; LOCK TABLE obslab_lab.orders IN ACCESS EXCLUSIVE MODE");
	assert_int_equal(pg_exec(db, PG_STMT_COUNT, 1, one, &rows, &err), DB_ERROR);
	if (!strstr(err.msg, "another session holds a lock on obslab_lab.orders (waited 0.3 s"))
		fail_msg("does not name the lock: %s", err.msg);
	assert_int_equal(pg_exec(db, PG_STMT_USERS, 0, NULL, &rows, &err), DB_OK); /* the connection serves on */
	pg_close(db);
	pg_fixture_sql(a, "ROLLBACK");
	opt = (struct pg_options){ .lock_timeout_ms = -1 };
	assert_int_equal(pg_open(ci, &opt, &db, &err), DB_OK);
	pg_fixture_sql(a, "BEGIN; LOCK TABLE obslab_lab.orders IN ACCESS EXCLUSIVE MODE");
	pg_set_cancel(db, &counter);
	b.after_ms = 2500; /* more than two of its PG_LOCK_RETRY_MS tries */
	pthread_create(&th, NULL, bump_later, &b);
	int64_t t0 = clock_now_ns();
	assert_int_equal(pg_exec(db, PG_STMT_COUNT, 1, one, &rows, &err), DB_INTERRUPTED);
	assert_true(clock_now_ns() - t0 >= 2 * PG_LOCK_RETRY_MS * CLOCK_NS_PER_MS); /* waited through its tries */
	pthread_join(th, NULL);
	pg_fixture_sql(a, "ROLLBACK");
	pg_arm(db);
	assert_int_equal(pg_exec(db, PG_STMT_COUNT, 1, one, &rows, &err), DB_OK);
	pg_close(db);
	PQfinish(a);
	free(ci);
}

static void a_lost_connection_is_unavailable_then_reconnects(void **state)
{
	(void)state;
	char *ci = pg_fixture_new_database("lost", false);
	struct pgdb *db = pg_fixture_open_seeded(ci, 20, 1);
	struct obslab_error err;
	struct pg_rows rows;
	PGconn *a = pg_fixture_connect(ci);
	char *dbname = pg_fixture_value(a, "SELECT current_database()"), query[256];
	PQfinish(a);
	a = pg_fixture_connect(pg_fixture_admin(false));
	snprintf(query, sizeof query, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
	         " WHERE datname = '%s' AND application_name = 'obslab'", dbname);
	free(dbname);
	char *killed = pg_fixture_value(a, query);
	assert_string_equal(killed, "1");
	free(killed);
	assert_int_equal(pg_exec(db, PG_STMT_USERS, 0, NULL, &rows, &err), DB_UNAVAILABLE);
	assert_false(pg_connected(db));
	assert_int_equal(pg_exec(db, PG_STMT_USERS, 0, NULL, &rows, &err), DB_UNAVAILABLE);
	assert_int_equal(pg_reconnect(db, &err), DB_OK);
	assert_true(pg_connected(db));
	assert_int_equal(pg_exec(db, PG_STMT_USERS, 0, NULL, &rows, &err), DB_OK); /* prepared again */
	assert_int_equal(rows.nrows, 20);
	struct pgdb *second;
	assert_int_equal(pg_open(ci, NULL, &second, &err), DB_LOCKED); /* the lock taken again */
	PQfinish(a);
	pg_close(db);
	free(ci);
}

/* The server's own clock, only where pg_stat_statements is there; obslab
 * never creates the extension (the test does, in its own database). */
static void the_servers_clock_when_pg_stat_statements_is_there(void **state)
{
	(void)state;
	char *ci = pg_fixture_new_database("pgss", false);
	struct pgdb *db = pg_fixture_open_seeded(ci, 20, 1);
	int64_t ns;
	uint64_t calls;
	PGconn *a = pg_fixture_connect(ci);
	/* The tests' cluster puts the extension in template1; a database
	 * without it (dropped here) gives no server clock. */
	pg_fixture_sql(a, "DROP EXTENSION IF EXISTS pg_stat_statements");
	assert_false(pg_server_exec(db, &ns, &calls));
	char *loaded = pg_fixture_value(a, "SELECT current_setting('shared_preload_libraries')");
	bool preloaded = strstr(loaded, "pg_stat_statements") != NULL;
	free(loaded);
	pg_fixture_sql(a, "CREATE EXTENSION pg_stat_statements");
	PQfinish(a);
	if (!preloaded) {
		assert_false(pg_server_exec(db, &ns, &calls));
		printf("SKIP: pg_stat_statements is not in shared_preload_libraries on the tests' cluster\n");
		pg_close(db);
		free(ci);
		return;
	}
	assert_true(pg_server_exec(db, &ns, &calls)); /* primes */
	struct pg_rows rows;
	struct obslab_error err;
	for (int i = 0; i < 5; i++)
		assert_int_equal(pg_exec(db, PG_STMT_JOIN, 0, NULL, &rows, &err), DB_OK);
	assert_true(pg_server_exec(db, &ns, &calls));
	assert_int_equal(calls, 5);
	assert_true(ns > 0);
	pg_close(db);
	free(ci);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(statements_return_sqlites_rows_and_become_spans),
		cmocka_unit_test(the_pipeline_answers_in_order_with_overlapping_spans),
		cmocka_unit_test(a_stuck_statement_is_cancelled_or_timed_out),
		cmocka_unit_test(a_lost_connection_is_unavailable_then_reconnects),
		cmocka_unit_test(the_servers_clock_when_pg_stat_statements_is_there),
	};
	int failed = cmocka_run_group_tests(tests, pg_fixture_group_setup, NULL);
	fixture_cleanup();
	return failed;
}
