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
 */
#ifndef OBSLAB_TEST_PG_FIXTURE_H
#define OBSLAB_TEST_PG_FIXTURE_H

#include <stdbool.h>

const char *pg_fixture_admin(bool tcp);
char *pg_fixture_new_database(const char *name, bool tcp);

#endif
