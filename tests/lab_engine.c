/* lab_engine — the lab wired on SQLite or on PostgreSQL for the tests that
 * run on both engines (lab_engine.h). */
#include "lab_engine.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "obslab/db.h"
#include "obslab/log.h"
#include "obslab/ring.h"
#include "obslab/sqltrace.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "pg_fixture.h"
#include "request_backend.h"

static void wire(struct lab *lab)
{
	lab->names = strtab_create();
	lab->spans = ring_create(1u << 18, sizeof(struct span_record));
	lab->logs = ring_create(1u << 8, sizeof(struct log_record));
	lab->store = store_create((struct store_limits){ .max_traces = 64, .max_spans = 1u << 22 });
	tracer_init(&lab->tracer, lab->spans);
}

void lab_open_engine(struct lab *lab, enum labdb_engine engine, const struct lab_options *opt)
{
	memset(lab, 0, sizeof *lab);
	uint64_t seed = opt->seed ? opt->seed : 42;
	struct obslab_error err;
	wire(lab);
	if (engine == LABDB_SQLITE) {
		if (db_open(":memory:", &lab->db, &err) != DB_OK)
			fail_msg("db_open: %s", err.msg);
		if (db_seed(lab->db, opt->users, seed, NULL, NULL, &err) != DB_OK ||
		    db_set_index(lab->db, opt->index, &err) != DB_OK)
			fail_msg("seeding SQLite: %s", err.msg);
		lab->sqltrace = sqltrace_attach(lab->db, &lab->tracer, lab->names);
		sqltrace_set_rtt_us(lab->sqltrace, 0);
		lab->ctx = request_ctx_create_sqlite(lab->db, &lab->tracer, lab->names, lab->logs);
	} else {
		lab->conninfo = opt->conninfo ? strdup(opt->conninfo)
		                              : pg_fixture_new_database(opt->name ? opt->name : "lab", opt->tcp);
		assert_non_null(lab->conninfo);
		if (pg_open(lab->conninfo, &opt->pg, &lab->pg, &err) != DB_OK)
			fail_msg("pg_open(%s): %s", lab->conninfo, err.msg);
		if (pg_seed(lab->pg, opt->users, seed, NULL, NULL, &err) != DB_OK ||
		    pg_set_index(lab->pg, opt->index, &err) != DB_OK)
			fail_msg("seeding PostgreSQL: %s", err.msg);
		if (pg_measure_rtt(lab->pg, PG_RTT_SAMPLES, &err) != DB_OK)
			fail_msg("measuring the round trip: %s", err.msg);
		pg_trace_attach(lab->pg, &lab->tracer, lab->names);
		lab->ctx = request_ctx_create_backend(request_backend_pg(lab->pg), &lab->tracer, lab->names, lab->logs);
	}
	assert_non_null(lab->ctx);
	request_ctx_set_index(lab->ctx, opt->index);
}

enum labdb_engine lab_engine(const struct lab *lab)
{
	return lab->pg ? LABDB_POSTGRESQL : LABDB_SQLITE;
}

void lab_set_index(struct lab *lab, bool on)
{
	struct obslab_error err;
	enum db_status st = lab->pg ? pg_set_index(lab->pg, on, &err) : db_set_index(lab->db, on, &err);
	if (st != DB_OK)
		fail_msg("the index %s: %s", on ? "on" : "off", err.msg);
	request_ctx_set_index(lab->ctx, on);
}
