/* pgstat on the tests' cluster: the workload's samples and log records
 * carry the server's clock when pg_stat_statements is in the database
 * (its calls the request's queries, its record naming the request's
 * trace), and say it is not loaded when the extension was dropped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pg_fixture.h"
#include "obslab/labdb.h"
#include "obslab/log.h"
#include "obslab/pg.h"
#include "obslab/pgstat.h"
#include "obslab/ring.h"
#include "obslab/span.h"
#include "obslab/strtab.h"
#include "obslab/workload.h"

#define REQUESTS 4

struct ran {
	struct request_sample samples[REQUESTS];
	size_t nsamples;
	int clock;
	size_t known, unknown, not_loaded, matched; /* log records; matched: naming a root span's trace */
};

static void run_lab(const char *conninfo, enum strategy s, struct ran *out)
{
	memset(out, 0, sizeof *out);
	struct labdb *db;
	struct obslab_error err;
	assert_int_equal(labdb_open(conninfo, NULL, &db, &err), DB_OK);
	struct strtab *names = strtab_create();
	struct ring *spans = ring_create(1u << 12, sizeof(struct span_record));
	struct ring *logs = ring_create(1u << 10, sizeof(struct log_record));
	struct workload_config cfg = { .strategy = s, .users = 20, .seed = 1, .max_requests = REQUESTS, .trace = true };
	struct workload *w = workload_create(db, &cfg, spans, logs, names);
	assert_int_equal(workload_start(w), 0);
	workload_join(w);
	assert_int_equal(workload_phase(w), WORKLOAD_DONE);
	const struct request_sample *smp = workload_samples(w, &out->nsamples);
	assert_int_equal(out->nsamples, REQUESTS);
	memcpy(out->samples, smp, sizeof out->samples);
	out->clock = workload_server_clock(w);

	uint8_t roots[REQUESTS][SPAN_TRACE_ID_LEN];
	size_t nroots = 0;
	struct span_record sp;
	while (ring_pop(spans, &sp, 1) == 1)
		if (sp.parent_id == 0 && nroots < REQUESTS)
			memcpy(roots[nroots++], sp.u.root.trace_id, SPAN_TRACE_ID_LEN);
	assert_int_equal(nroots, REQUESTS);
	struct log_record rec;
	while (ring_pop(logs, &rec, 1) == 1) {
		enum pgstat_state st;
		uint8_t id[SPAN_TRACE_ID_LEN];
		int64_t ns;
		uint32_t n;
		if (!pgstat_from_log(&rec, &st, id, &ns, &n))
			continue;
		out->known += st == PGSTAT_KNOWN;
		out->unknown += st == PGSTAT_UNKNOWN;
		out->not_loaded += st == PGSTAT_NOT_LOADED;
		for (size_t i = 0; i < nroots; i++)
			out->matched += st == PGSTAT_KNOWN && memcmp(roots[i], id, SPAN_TRACE_ID_LEN) == 0;
	}
	workload_destroy(w);
	ring_destroy(spans);
	ring_destroy(logs);
	strtab_destroy(names);
}

static void samples_carry_the_servers_clock(void **state)
{
	(void)state;
	char *ci = pg_fixture_new_database("pgstat_on", false);
	PGconn *a = pg_fixture_connect(ci);
	char *loaded = pg_fixture_value(a, "SELECT current_setting('shared_preload_libraries')");
	bool preloaded = strstr(loaded, "pg_stat_statements") != NULL;
	free(loaded);
	PQfinish(a);
	if (!preloaded)
		fail_msg("pg_stat_statements is not in the tests' cluster's shared_preload_libraries");
	static const struct { enum strategy s; uint32_t queries; } each[] = {
		{ STRATEGY_NAIVE, 21 }, { STRATEGY_OPTIMIZED, 1 }, { STRATEGY_EAGER, 2 }, { STRATEGY_PIPELINED, 21 },
	};
	for (size_t k = 0; k < sizeof each / sizeof each[0]; k++) {
		struct ran r;
		run_lab(ci, each[k].s, &r);
		assert_int_equal(r.clock, PGSTAT_KNOWN);
		for (size_t i = 0; i < r.nsamples; i++) {
			assert_int_equal(r.samples[i].queries, each[k].queries);
			assert_true(r.samples[i].server_loaded);
			assert_true(r.samples[i].server_known);
			assert_true(r.samples[i].server_exec_ns > 0);
			/* the server's execution is part of what the client waited */
			assert_true(r.samples[i].server_exec_ns <= r.samples[i].duration_ns);
		}
		assert_int_equal(r.known, REQUESTS);
		assert_int_equal(r.matched, REQUESTS); /* each names its request's trace */
		assert_int_equal(r.unknown + r.not_loaded, 0);
	}
	free(ci);
}

/* Another connection running the lab's statements during a request (as
 * serve's readers do): the counted calls differ, so unknown, never a
 * figure that holds someone else's execution. */
static void other_calls_make_it_unknown(void **state)
{
	(void)state;
	char *ci = pg_fixture_new_database("pgstat_busy", false);
	struct pgdb *db = pg_fixture_open_seeded(ci, 20, 1);
	struct pgdb *reader;
	struct obslab_error err;
	assert_int_equal(pg_open_reader(ci, NULL, &reader, &err), DB_OK);
	struct pg_rows rows;
	(void)pgstat_read(db, 0); /* primes */
	assert_int_equal(pg_exec(db, PG_STMT_JOIN, 0, NULL, &rows, &err), DB_OK);
	struct pgstat_reading got = pgstat_read(db, 1);
	assert_int_equal(got.state, PGSTAT_KNOWN); /* its own call alone */
	assert_int_equal(got.calls, 1);
	assert_int_equal(pg_exec(reader, PG_STMT_JOIN, 0, NULL, &rows, &err), DB_OK);
	assert_int_equal(pg_exec(reader, PG_STMT_JOIN, 0, NULL, &rows, &err), DB_OK);
	assert_int_equal(pg_exec(db, PG_STMT_JOIN, 0, NULL, &rows, &err), DB_OK);
	got = pgstat_read(db, 1);
	assert_int_equal(got.state, PGSTAT_UNKNOWN);
	assert_int_equal(got.calls, 3);
	assert_int_equal(got.exec_ns, 0);
	pg_close(reader);
	pg_close(db);
	free(ci);
}

static void dropped_extension_says_not_loaded(void **state)
{
	(void)state;
	char *ci = pg_fixture_new_database("pgstat_off", false);
	PGconn *a = pg_fixture_connect(ci);
	pg_fixture_sql(a, "DROP EXTENSION IF EXISTS pg_stat_statements");
	PQfinish(a);
	struct ran r;
	run_lab(ci, STRATEGY_NAIVE, &r);
	assert_int_equal(r.clock, PGSTAT_NOT_LOADED);
	for (size_t i = 0; i < r.nsamples; i++) {
		assert_false(r.samples[i].server_loaded);
		assert_false(r.samples[i].server_known);
		assert_int_equal(r.samples[i].server_exec_ns, 0);
	}
	assert_int_equal(r.not_loaded, 1); /* said once, not per request */
	assert_int_equal(r.known + r.unknown, 0);
	free(ci);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(samples_carry_the_servers_clock),
		cmocka_unit_test(other_calls_make_it_unknown),
		cmocka_unit_test(dropped_extension_says_not_loaded),
	};
	return cmocka_run_group_tests(tests, pg_fixture_group_setup, NULL);
}
