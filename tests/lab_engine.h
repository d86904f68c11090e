/*
 * lab_engine — a lab (fixture.h) on either engine, for the tests that make
 * the same assertions on SQLite and on PostgreSQL: seeded with the same
 * generator (the same users, orders and bodies for a seed), the index set,
 * tracing on, a request context over it. SQLite: an in-memory database
 * (sqltrace, no simulated round trip). PostgreSQL: a fresh database of the
 * tests' cluster (pg_fixture.h) named after name, over its Unix socket or
 * (tcp) 127.0.0.1, traced by pg_exec; lab->conninfo says where.
 * lab_close (fixture.h) closes either. Fails the running test on error.
 */
#ifndef OBSLAB_TEST_LAB_ENGINE_H
#define OBSLAB_TEST_LAB_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "fixture.h"
#include "obslab/labdb.h"
#include "obslab/pg.h"

struct lab_options {
	const char *name; /* PostgreSQL: the database's name (made unique) */
	uint32_t users;
	uint64_t seed;    /* 0: 42, as lab_open */
	bool index;
	bool tcp;         /* PostgreSQL: over 127.0.0.1 instead of the socket */
	struct pg_options pg; /* PostgreSQL's time-outs; zero: pg.h's defaults */
	const char *conninfo; /* PostgreSQL: this database instead of a fresh one (seeded again) */
};

void lab_open_engine(struct lab *lab, enum labdb_engine engine, const struct lab_options *opt);
enum labdb_engine lab_engine(const struct lab *lab);
/* The index on or off, in the database and on the roots that follow. */
void lab_set_index(struct lab *lab, bool on);

#endif
