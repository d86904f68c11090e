/*
 * The test cluster (fixture "pg") as the PostgreSQL tests use it: the admin
 * conninfos reach the server over the Unix socket and over TCP, each new
 * database is a fresh one of its own, and pg_stat_statements is loaded with
 * its view in every new database; the libpq helpers read rows as text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "pg_fixture.h"

static void admin_over_socket_and_tcp(void **state)
{
	(void)state;
	PGconn *sock = pg_fixture_connect(pg_fixture_admin(false));
	PGconn *tcp = pg_fixture_connect(pg_fixture_admin(true));
	/* inet_server_addr() is NULL over a Unix socket, the address over TCP. */
	char *sock_addr = pg_fixture_value(sock, "SELECT inet_server_addr() IS NULL");
	char *tcp_addr = pg_fixture_value(tcp, "SELECT host(inet_server_addr())");
	assert_string_equal(sock_addr, "t");
	assert_string_equal(tcp_addr, "127.0.0.1");
	assert_string_equal(PQuser(sock), "obslab");
	assert_string_equal(PQport(sock), PQport(tcp));
	assert_string_not_equal(PQport(sock), "5432");
	free(sock_addr);
	free(tcp_addr);
	PQfinish(sock);
	PQfinish(tcp);
}

static void pg_stat_statements_loaded(void **state)
{
	(void)state;
	PGconn *conn = pg_fixture_connect(pg_fixture_admin(false));
	char *preload = pg_fixture_value(conn, "SHOW shared_preload_libraries");
	assert_non_null(strstr(preload, "pg_stat_statements"));
	char *fsync = pg_fixture_value(conn, "SHOW fsync");
	assert_string_equal(fsync, "off");
	free(preload);
	free(fsync);
	PQfinish(conn);
}

static void new_databases_are_distinct_and_fresh(void **state)
{
	(void)state;
	char *a = pg_fixture_new_database("smoke", false);
	char *b = pg_fixture_new_database("smoke", false);
	char *c = pg_fixture_new_database("Smoke over TCP; DROP", true);
	assert_string_not_equal(a, b);
	PGconn *ca = pg_fixture_connect(a), *cb = pg_fixture_connect(b), *cc = pg_fixture_connect(c);
	char *na = pg_fixture_value(ca, "SELECT current_database()");
	char *nb = pg_fixture_value(cb, "SELECT current_database()");
	char *nc = pg_fixture_value(cc, "SELECT current_database()");
	assert_string_not_equal(na, nb);
	assert_string_not_equal(na, "postgres");
	assert_string_equal(PQdb(ca), na);
	assert_string_equal(PQdb(cc), nc);
	assert_non_null(strstr(nc, "smoke_over_tcp__drop"));
	char *tcp_addr = pg_fixture_value(cc, "SELECT host(inet_server_addr())");
	assert_string_equal(tcp_addr, "127.0.0.1");

	/* A table made in one is not in the other: two databases, not one. */
	PGresult *res = PQexec(ca, "CREATE TABLE only_in_a(x int)");
	assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	char *in_b = pg_fixture_value(cb, "SELECT count(*) FROM pg_class WHERE relname = 'only_in_a'");
	assert_string_equal(in_b, "0");
	/* Fresh: no table of the public schema; pg_stat_statements' view is there. */
	char *tables = pg_fixture_value(cb, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'");
	assert_string_equal(tables, "0");
	char *pss = pg_fixture_value(cb, "SELECT count(*) >= 0 FROM pg_stat_statements");
	assert_string_equal(pss, "t");

	/* Rows as one text, NULL named; a statement run printf-style. */
	pg_fixture_sql(ca, "CREATE TABLE t(a int, b text); INSERT INTO t VALUES (%d, NULL), (2, 'x')", 1);
	char *rows = pg_fixture_rows(ca, "SELECT a, b FROM t ORDER BY a");
	assert_string_equal(rows, "1|NULL\n2|x\n");
	free(rows);

	free(na), free(nb), free(nc), free(tcp_addr), free(in_b), free(tables), free(pss);
	PQfinish(ca), PQfinish(cb), PQfinish(cc);
	free(a), free(b), free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(admin_over_socket_and_tcp),
		cmocka_unit_test(pg_stat_statements_loaded),
		cmocka_unit_test(new_databases_are_distinct_and_fresh),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
