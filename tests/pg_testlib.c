/* pg_testlib — what the PostgreSQL tests share: the tests' cluster (read
 * from OBSLAB_TEST_PG_ENV; without it a test fails loudly), a fresh
 * database per test, and plain libpq helpers to look at a database from
 * outside obslab. */
#include "pg_testlib.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "obslab/db.h"
#include "obslab/pg.h"

char admin_socket[512], admin_tcp[512];

/* NAME='value' or NAME=value lines of the env file. */
void pg_test_load_env(void)
{
	const char *path = getenv("OBSLAB_TEST_PG_ENV");
	FILE *f = path ? fopen(path, "r") : NULL;
	if (!f) {
		fprintf(stderr, "test_pg: no PostgreSQL for the tests: OBSLAB_TEST_PG_ENV=%s cannot be read\n",
		        path ? path : "(unset)");
		exit(1);
	}
	char line[1024];
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		char *v = eq + 1;
		size_t n = strlen(v);
		if (n >= 2 && v[0] == '\'' && v[n - 1] == '\'') {
			v[n - 1] = '\0';
			v++;
		}
		if (strcmp(line, "OBSLAB_TEST_PG") == 0)
			snprintf(admin_socket, sizeof admin_socket, "%s", v);
		else if (strcmp(line, "OBSLAB_TEST_PG_TCP") == 0)
			snprintf(admin_tcp, sizeof admin_tcp, "%s", v);
	}
	fclose(f);
	if (!admin_socket[0] || !admin_tcp[0]) {
		fprintf(stderr, "test_pg: %s has no OBSLAB_TEST_PG or OBSLAB_TEST_PG_TCP\n", path);
		exit(1);
	}
}

PGconn *admin_connect(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("cannot connect to %s: %s", conninfo, PQerrorMessage(c));
	return c;
}

void sql(PGconn *c, const char *fmt, ...)
{
	char text[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	PGresult *r = PQexec(c, text);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", text, PQerrorMessage(c));
	PQclear(r);
}

/* Every row of a query as one text ("a|b\n..."), malloc'd. */
char *rows_text(PGconn *c, const char *query)
{
	PGresult *r = PQexec(c, query);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", query, PQerrorMessage(c));
	size_t cap = 64, len = 0;
	char *out = malloc(cap);
	out[0] = '\0';
	for (int i = 0; i < PQntuples(r); i++) {
		for (int j = 0; j < PQnfields(r); j++) {
			const char *v = PQgetisnull(r, i, j) ? "NULL" : PQgetvalue(r, i, j);
			size_t need = len + strlen(v) + 2;
			if (need >= cap) {
				cap = need * 2;
				out = realloc(out, cap);
			}
			len += (size_t)sprintf(out + len, "%s%c", v, j + 1 < PQnfields(r) ? '|' : '\n');
		}
	}
	PQclear(r);
	return out;
}

char *scalar(PGconn *c, const char *query)
{
	char *s = rows_text(c, query);
	s[strcspn(s, "\n")] = '\0';
	return s;
}

/* A fresh, empty database for one test; its conninfo (the admin's with
 * dbname changed) in out. */
void new_database(const char *name, bool tcp, char *out, size_t cap)
{
	PGconn *a = admin_connect(admin_socket);
	sql(a, "DROP DATABASE IF EXISTS obslab_t_%s WITH (FORCE)", name);
	sql(a, "CREATE DATABASE obslab_t_%s", name);
	PQfinish(a);
	snprintf(out, cap, "%s dbname=obslab_t_%s", tcp ? admin_tcp : admin_socket, name);
}

struct pgdb *open_ok(const char *conninfo)
{
	struct pgdb *db = NULL;
	struct obslab_error err;
	enum db_status st = pg_open(conninfo, NULL, &db, &err);
	if (st != DB_OK)
		fail_msg("pg_open(%s): %d %s", conninfo, st, err.msg);
	return db;
}

struct pgdb *open_seeded(const char *conninfo, uint32_t users, uint64_t seed)
{
	struct pgdb *db = open_ok(conninfo);
	struct obslab_error err;
	if (pg_seed(db, users, seed, NULL, NULL, &err) != DB_OK)
		fail_msg("pg_seed: %s", err.msg);
	return db;
}

