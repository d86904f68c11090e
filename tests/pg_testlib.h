/*
 * pg_testlib — what the PostgreSQL tests share: the tests' cluster read
 * from the env file OBSLAB_TEST_PG_ENV names (pg_test_load_env exits
 * non-zero without it: never a silent pass), a fresh database per test,
 * plain libpq helpers to look at a database from outside obslab, and
 * pg_open / pg_seed that fail the test on error.
 */
#ifndef OBSLAB_TEST_PG_TESTLIB_H
#define OBSLAB_TEST_PG_TESTLIB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pgdb;

extern char admin_socket[512], admin_tcp[512]; /* the cluster's conninfo: Unix socket, TCP */

void pg_test_load_env(void);
PGconn *admin_connect(const char *conninfo);
void sql(PGconn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Every row ("a|b\n..."), malloc'd; scalar: the first row's text. */
char *rows_text(PGconn *c, const char *query);
char *scalar(PGconn *c, const char *query);
/* Drops and creates database obslab_t_NAME; its conninfo in out. */
void new_database(const char *name, bool tcp, char *out, size_t cap);
struct pgdb *open_ok(const char *conninfo);
struct pgdb *open_seeded(const char *conninfo, uint32_t users, uint64_t seed);

#endif
