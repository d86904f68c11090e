/*
 * pg_fixture — the test cluster for cmocka tests that use PostgreSQL: the
 * ctest fixture "pg" (tests/pg_cluster.sh) starts it and writes its env file,
 * named by $OBSLAB_TEST_PG_ENV (obslab_pg_test() in tests/CMakeLists.txt).
 *
 * pg_fixture_admin: the superuser obslab's conninfo for the database
 * postgres, over the Unix socket or (tcp) 127.0.0.1; a static string.
 * pg_fixture_new_database: CREATE DATABASE with a name of its own (from
 * name, the process and a counter) and returns its conninfo, malloc'd (the
 * caller frees it). Each test its own database: nothing is shared.
 * Without the env file, or when the cluster does not answer, both fail the
 * running test with a message saying why (never a silent pass). Not
 * thread-safe: call from the test's thread.
 *
 * Looking at a database from outside obslab, with plain libpq (each fails
 * the running test on error): pg_fixture_connect; pg_fixture_sql runs
 * statements (printf-style); pg_fixture_rows gives every row as one text
 * ("a|b\n..."; NULL as "NULL"), pg_fixture_value the first row's, both
 * malloc'd. And obslab's own connection: pg_fixture_open (pg_open),
 * pg_fixture_open_seeded (then pg_seed); the caller pg_closes them.
 */
#ifndef OBSLAB_TEST_PG_FIXTURE_H
#define OBSLAB_TEST_PG_FIXTURE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

struct pgdb;

const char *pg_fixture_admin(bool tcp);
char *pg_fixture_new_database(const char *name, bool tcp);
/* A cmocka group setup: fails the run, saying why, without the cluster. */
int pg_fixture_group_setup(void **state);

PGconn *pg_fixture_connect(const char *conninfo);
void pg_fixture_sql(PGconn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *pg_fixture_rows(PGconn *c, const char *query);
char *pg_fixture_value(PGconn *c, const char *query);
struct pgdb *pg_fixture_open(const char *conninfo);
struct pgdb *pg_fixture_open_seeded(const char *conninfo, uint32_t users, uint64_t seed);

#endif
