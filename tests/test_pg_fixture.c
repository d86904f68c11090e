/*
 * The test cluster (fixture "pg") as the PostgreSQL tests use it: the admin
 * conninfos reach the server over the Unix socket and over TCP, each new
 * database is a fresh one of its own, and pg_stat_statements is loaded with
 * its view in every new database.
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

static PGconn *connect_to(const char *conninfo)
{
	PGconn *conn = PQconnectdb(conninfo);
	if (PQstatus(conn) != CONNECTION_OK)
		fail_msg("%s: %s", conninfo, PQerrorMessage(conn));
	return conn;
}

/* The one value of a one-row query, malloc'd ("" for NULL). */
static char *one_value(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		fail_msg("%s: %s", sql, PQresultErrorMessage(res));
	char *v = strdup(PQgetisnull(res, 0, 0) ? "" : PQgetvalue(res, 0, 0));
	assert_non_null(v);
	PQclear(res);
	return v;
}

static void admin_over_socket_and_tcp(void **state)
{
	(void)state;
	PGconn *sock = connect_to(pg_fixture_admin(false));
	PGconn *tcp = connect_to(pg_fixture_admin(true));
	/* inet_server_addr() is NULL over a Unix socket, the address over TCP. */
	char *sock_addr = one_value(sock, "SELECT inet_server_addr()");
	char *tcp_addr = one_value(tcp, "SELECT host(inet_server_addr())");
	assert_string_equal(sock_addr, "");
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
	PGconn *conn = connect_to(pg_fixture_admin(false));
	char *preload = one_value(conn, "SHOW shared_preload_libraries");
	assert_non_null(strstr(preload, "pg_stat_statements"));
	char *fsync = one_value(conn, "SHOW fsync");
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
	PGconn *ca = connect_to(a), *cb = connect_to(b), *cc = connect_to(c);
	char *na = one_value(ca, "SELECT current_database()");
	char *nb = one_value(cb, "SELECT current_database()");
	char *nc = one_value(cc, "SELECT current_database()");
	assert_string_not_equal(na, nb);
	assert_string_not_equal(na, "postgres");
	assert_string_equal(PQdb(ca), na);
	assert_string_equal(PQdb(cc), nc);
	assert_non_null(strstr(nc, "smoke_over_tcp__drop"));
	char *tcp_addr = one_value(cc, "SELECT host(inet_server_addr())");
	assert_string_equal(tcp_addr, "127.0.0.1");

	/* A table made in one is not in the other: two databases, not one. */
	PGresult *res = PQexec(ca, "CREATE TABLE only_in_a(x int)");
	assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	char *in_b = one_value(cb, "SELECT count(*) FROM pg_class WHERE relname = 'only_in_a'");
	assert_string_equal(in_b, "0");
	/* Fresh: no table of the public schema; pg_stat_statements' view is there. */
	char *tables = one_value(cb, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'");
	assert_string_equal(tables, "0");
	char *pss = one_value(cb, "SELECT count(*) >= 0 FROM pg_stat_statements");
	assert_string_equal(pss, "t");

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
