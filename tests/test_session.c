/* session: a live lab end to end — start, drain spans and log records,
 * wait for the workload's end, stop — and the databases it refuses, a
 * locked one it fails on, and stopping what never started. Built twice:
 * test_session on SQLite (:memory:), and with SESSION_TEST_PG
 * test_session_pg, the end-to-end cases on a fresh PostgreSQL database of
 * the tests' cluster, plus its spans' db_system and the measured
 * attribution adding up. The refused files and the file lock are SQLite's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "fixture.h"
#include "obslab/analysis.h"
#include "obslab/labdb.h"
#ifdef SESSION_TEST_PG
#include "pg_fixture.h"
#endif
#include "obslab/clock.h"
#include "obslab/log.h"
#include "obslab/pgstat.h"
#include "obslab/session.h"
#include "obslab/span.h"
#include "obslab/store.h"
#include "obslab/strtab.h"

static const struct store_limits limits = { .max_traces = 64, .max_spans = 1u << 20 };

#ifdef SESSION_TEST_PG
static const enum labdb_engine engine = LABDB_POSTGRESQL;
#else
static const enum labdb_engine engine = LABDB_SQLITE;
#endif

/* Where this build's lab runs: :memory:, or a fresh PostgreSQL database
 * (malloc'd conninfo, kept for the run). */
static const char *lab_db(const char *name)
{
#ifdef SESSION_TEST_PG
	static char *made[16];
	static size_t n;
	assert_true(n < 16);
	return made[n++] = pg_fixture_new_database(name, false);
#else
	(void)name;
	return ":memory:";
#endif
}

static struct workload_config config(enum strategy s, uint32_t users, uint64_t requests)
{
	return (struct workload_config){ .strategy = s, .users = users, .rtt_us = 0, .seed = 42, .pace_hz = 0,
	                                 .max_requests = requests, .trace = true };
}

struct logs {
	size_t n, warn;
	size_t server_clock; /* PostgreSQL: each request's pg_stat_statements reading (pgstat.h), counted apart */
	const struct session *s;
	uint32_t fingerprint; /* of the first record that had one */
	char trace_ids[16][LOG_TEXT_MAX];
};

static void on_log(void *ctx, const struct log_record *rec)
{
	struct logs *l = ctx;
	assert_non_null(rec->message);
	assert_true(rec->nfields <= LOG_MAX_FIELDS);
	if (strcmp(rec->message, PGSTAT_MSG_KNOWN) == 0) {
		l->server_clock++;
		return;
	}
	for (uint32_t i = 0; i < rec->nfields; i++) {
		if (strcmp(rec->fields[i].key, "fingerprint") == 0 && !l->fingerprint)
			l->fingerprint = rec->fields[i].v.str;
		if (strcmp(rec->fields[i].key, "trace_id") == 0 && l->n < 16)
			snprintf(l->trace_ids[l->n], sizeof l->trace_ids[0], "%s", rec->fields[i].v.text);
	}
	l->warn += rec->level == LOG_WARN;
	l->n++;
}

static void on_tick(void *ctx)
{
	(*(size_t *)ctx)++;
}

static void a_run_to_its_end_delivers_every_trace_and_log(void **state)
{
	(void)state;
	struct session s;
	struct obslab_error err = { "stale" };
	struct workload_config cfg = config(STRATEGY_NAIVE, 20, 5);
	assert_int_equal(session_start(&s, lab_db("to_its_end"), &cfg, limits, &err), DB_OK);
	assert_int_equal(s.db_info.engine, engine);
	assert_non_null(s.names);
	assert_non_null(s.store);
	assert_non_null(s.workload);
	struct logs logs = { .s = &s };
	size_t ticks = 0;
	session_wait(&s, on_log, &logs, on_tick, &ticks);
	assert_int_equal(workload_phase(s.workload), WORKLOAD_DONE);
	assert_int_equal(workload_requests(s.workload), 5);
	assert_string_equal(workload_error(s.workload), "");

	/* everything was drained: each request's trace and its log line */
	assert_int_equal(store_traces_completed(s.store), 5);
	assert_int_equal(store_trace_count(s.store), 5);
	assert_int_equal(store_spans_received(s.store), 5 * (1 + 1 + 20 + 1));
	assert_int_equal(store_spans_orphaned(s.store), 0);
	assert_int_equal(session_drain(&s, on_log, &logs), 0);
	assert_int_equal(logs.n, 5);
	assert_int_equal(logs.warn, 5); /* naive: "N+1 query pattern detected" */
	assert_int_equal(logs.server_clock, engine == LABDB_POSTGRESQL ? 5 : 0); /* the tests' cluster has it */
	assert_string_equal(strtab_get(s.names, logs.fingerprint),
	                    engine == LABDB_POSTGRESQL ? "SELECT count(*) FROM obslab_lab.orders WHERE user_id = ?"
	                                               : "SELECT count(*) FROM orders WHERE user_id = ?");
	for (size_t i = 0; i < 5; i++) {
		const struct trace *t = store_trace(s.store, i);
		char hex[2 * SPAN_TRACE_ID_LEN + 1];
		span_trace_id_hex(t->trace_id, hex);
		assert_string_equal(logs.trace_ids[i], hex); /* the log line names its trace */
		assert_int_equal(t->nspans, 23);
		assert_int_equal(t->spans[0].u.root.users, 20);
		for (size_t k = 1; k < t->nspans; k++) {
			if (t->spans[k].flags & SPAN_F_DB)
				assert_int_equal(t->spans[k].db_system,
				                 engine == LABDB_POSTGRESQL ? SPAN_DB_POSTGRESQL : SPAN_DB_SQLITE);
		}
	}
	session_stop(&s);
	assert_null(s.store);
	assert_null(s.workload);
}

static void a_plan_ends_by_itself_without_a_log_callback(void **state)
{
	(void)state;
	struct session s;
	struct obslab_error err;
	struct plan plan = { .users = { 10 }, .nscales = 1, .requests = 2 };
	struct workload_config cfg = config(STRATEGY_NAIVE, 10, 0);
	cfg.plan = &plan;
	assert_int_equal(session_start(&s, lab_db("plan"), &cfg, limits, &err), DB_OK);
	session_wait(&s, NULL, NULL, NULL, NULL);
	assert_int_equal(workload_phase(s.workload), WORKLOAD_DONE);
	uint32_t done, total;
	bool running;
	workload_plan_progress(s.workload, &done, &total, &running);
	unsigned n = strategy_count(engine);
	assert_int_equal(done, 2 * n);
	assert_false(running);
	/* rounds of naive, optimized, eager (and pipelined on PostgreSQL), every
	 * root flagged as measured */
	assert_int_equal(store_trace_count(s.store), 2 * n);
	for (size_t i = 0; i < store_trace_count(s.store); i++) {
		const struct span_record *root = &store_trace(s.store, i)->spans[0];
		assert_true(root->flags & SPAN_F_MEASURED);
		assert_int_equal(root->strategy, i % n);
	}
	session_stop(&s);
}

/* An endless workload: the consumer drains while it runs, and stop ends it. */
static void drains_while_running_then_stops(void **state)
{
	(void)state;
	struct session s;
	struct obslab_error err;
	struct workload_config cfg = config(STRATEGY_OPTIMIZED, 20, 0);
	cfg.pace_hz = 200;
	assert_int_equal(session_start(&s, lab_db("drains"), &cfg, limits, &err), DB_OK);
	struct logs logs = { .s = &s };
	size_t moved = 0;
	const struct timespec nap = { .tv_sec = 0, .tv_nsec = 2000000 };
	for (int i = 0; i < 10000 && store_traces_completed(s.store) < 3; i++) {
		moved += session_drain(&s, on_log, &logs);
		nanosleep(&nap, NULL);
	}
	assert_true(store_traces_completed(s.store) >= 3);
	assert_int_equal(moved, store_spans_received(s.store));
	assert_int_equal(workload_phase(s.workload), WORKLOAD_RUNNING);
	assert_true(logs.n >= 3);
	assert_int_equal(logs.warn, 0); /* optimized logs at INFO */
	session_stop(&s);
	assert_null(s.spans);
	assert_int_equal(session_drain(&s, NULL, NULL), 0); /* a stopped session has nothing to drain */
}

#ifndef SESSION_TEST_PG
static void refused_databases_are_left_untouched(void **state)
{
	(void)state;
	struct session s;
	struct obslab_error err;
	struct workload_config cfg = config(STRATEGY_NAIVE, 5, 1);
	char path[512];

	/* someone else's database */
	fixture_path(path, sizeof path, "foreign.db");
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE invoices(id INTEGER PRIMARY KEY, total REAL);"
	                                  "INSERT INTO invoices VALUES (1, 9.5);",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	uint64_t before = file_checksum(path);
	memset(&err, 0, sizeof err);
	assert_int_equal(session_start(&s, path, &cfg, limits, &err), DB_FOREIGN);
	assert_non_null(strstr(err.msg, path));
	assert_null(strchr(err.msg, '\n'));
	assert_null(s.workload);
	assert_null(s.store);
	session_stop(&s); /* safe on a session that failed to start */
	assert_int_equal(file_checksum(path), before);

	/* not a database at all */
	fixture_path(path, sizeof path, "notes.txt");
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 200; i++)
		fputs("these are not the pages you are looking for\n", f);
	fclose(f);
	before = file_checksum(path);
	memset(&err, 0, sizeof err);
	assert_int_equal(session_start(&s, path, &cfg, limits, &err), DB_NOTADB);
	assert_non_null(strstr(err.msg, path));
	session_stop(&s);
	assert_int_equal(file_checksum(path), before);

	/* obslab's, from a newer schema */
	fixture_path(path, sizeof path, "newer.db");
	assert_int_equal(db_open(path, &db, &err), DB_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE obslab_meta SET value = '99' WHERE key = 'schema_version'", NULL, NULL,
	                              NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_close_v2(db);
	before = file_checksum(path);
	memset(&err, 0, sizeof err);
	assert_int_equal(session_start(&s, path, &cfg, limits, &err), DB_TOO_NEW);
	assert_non_null(strstr(err.msg, "99"));
	session_stop(&s);
	assert_int_equal(file_checksum(path), before);

	/* a directory, and a path under a directory that does not exist */
	memset(&err, 0, sizeof err);
	assert_int_equal(session_start(&s, fixture_dir(), &cfg, limits, &err), DB_CANTOPEN);
	assert_true(err.msg[0] != '\0');
	session_stop(&s);
	fixture_path(path, sizeof path, "no/such/dir/lab.db");
	memset(&err, 0, sizeof err);
	assert_int_equal(session_start(&s, path, &cfg, limits, &err), DB_CANTOPEN);
	assert_true(err.msg[0] != '\0');
	session_stop(&s);

	/* a zeroed session stops too, twice */
	memset(&s, 0, sizeof s);
	session_stop(&s);
	session_stop(&s);
}

/* Another connection holds the write lock. Held past the wait the
 * configuration allows, session_start gives up with a message naming the
 * lock; released while it waits, the session starts and runs to its end. */
struct release {
	sqlite3 *holder;
	unsigned delay_ms;
};

static void *release_later(void *arg)
{
	const struct release *r = arg;
	struct timespec ts = { .tv_sec = r->delay_ms / 1000, .tv_nsec = (long)(r->delay_ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
	assert_int_equal(sqlite3_exec(r->holder, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	return NULL;
}

static void a_lock_is_waited_for_then_given_up(void **state)
{
	(void)state;
	char path[512];
	fixture_path(path, sizeof path, "locked.db");
	sqlite3 *db;
	struct obslab_error err;
	assert_int_equal(db_open(path, &db, &err), DB_OK); /* stamped, not seeded */
	sqlite3_close_v2(db);
	sqlite3 *holder;
	assert_int_equal(sqlite3_open(path, &holder), SQLITE_OK);
	assert_int_equal(sqlite3_exec(holder, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);

	struct session s;
	struct workload_config cfg = config(STRATEGY_NAIVE, 5, 3);
	cfg.lock_wait_ms = 300;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_not_equal(session_start(&s, path, &cfg, limits, &err), DB_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double waited_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	assert_true(waited_ms >= 250); /* it waited, and did not wait for ever */
	assert_non_null(strstr(err.msg, "lock"));
	session_stop(&s);

	/* Released while session_start waits: the run goes on to its end. */
	cfg.lock_wait_ms = 20000;
	struct release r = { .holder = holder, .delay_ms = 300 };
	pthread_t releaser;
	assert_int_equal(pthread_create(&releaser, NULL, release_later, &r), 0);
	assert_int_equal(session_start(&s, path, &cfg, limits, &err), DB_OK);
	pthread_join(releaser, NULL);
	session_wait(&s, NULL, NULL, NULL, NULL);
	assert_int_equal(workload_phase(s.workload), WORKLOAD_DONE);
	assert_int_equal(store_traces_completed(s.store), 3);
	session_stop(&s);
	sqlite3_close(holder);
}

#endif

#ifdef SESSION_TEST_PG
void measured_attribution_adds_up_within_the_round_trips(void **state); /* session_pg_case.c */
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_run_to_its_end_delivers_every_trace_and_log),
		cmocka_unit_test(a_plan_ends_by_itself_without_a_log_callback),
		cmocka_unit_test(drains_while_running_then_stops),
#ifndef SESSION_TEST_PG
		cmocka_unit_test(refused_databases_are_left_untouched),
		cmocka_unit_test(a_lock_is_waited_for_then_given_up),
#else
		cmocka_unit_test(measured_attribution_adds_up_within_the_round_trips),
#endif
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	fixture_cleanup();
	return rc;
}
