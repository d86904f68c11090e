/*
 * pg_fixture — the test cluster's conninfos from $OBSLAB_TEST_PG_ENV, a
 * fresh database per call (libpq, CREATE DATABASE as obslab), and plain
 * libpq helpers to look at a database from outside obslab.
 */
#include "pg_fixture.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "obslab/db.h"
#include "obslab/error.h"
#include "obslab/pg.h"

static char admin_socket[512], admin_tcp[512];
static bool loaded;
static unsigned serial;

/* The value of KEY in a line KEY='value' or KEY=value; false when absent. */
static bool env_value(const char *line, const char *key, char *out, size_t cap)
{
	size_t klen = strlen(key);
	if (strncmp(line, key, klen) != 0 || line[klen] != '=')
		return false;
	const char *v = line + klen + 1;
	size_t len = strcspn(v, "\r\n");
	if (len >= 2 && v[0] == '\'' && v[len - 1] == '\'') {
		v++;
		len -= 2;
	}
	if (len == 0 || len >= cap)
		return false;
	memcpy(out, v, len);
	out[len] = '\0';
	return true;
}

static void load_env(void)
{
	if (loaded)
		return;
	const char *path = getenv("OBSLAB_TEST_PG_ENV");
	if (!path || !*path)
		fail_msg("OBSLAB_TEST_PG_ENV is not set: run this test through ctest (fixture pg), or "
		         "start a cluster with tools/pgcluster start DIR and set OBSLAB_TEST_PG_ENV=DIR/env");
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("%s: no test cluster's env file (did pg_cluster_start run?)", path);
	char line[1024];
	bool sock = false, tcp = false;
	while (fgets(line, sizeof line, f)) {
		/* OBSLAB_TEST_PG_TCP first: OBSLAB_TEST_PG is its prefix. */
		if (env_value(line, "OBSLAB_TEST_PG_TCP", admin_tcp, sizeof admin_tcp))
			tcp = true;
		else if (env_value(line, "OBSLAB_TEST_PG", admin_socket, sizeof admin_socket))
			sock = true;
	}
	fclose(f);
	if (!sock || !tcp)
		fail_msg("%s: not a test cluster's env file (no OBSLAB_TEST_PG or OBSLAB_TEST_PG_TCP)", path);
	loaded = true;
}

const char *pg_fixture_admin(bool tcp)
{
	load_env();
	return tcp ? admin_tcp : admin_socket;
}

/* admin's conninfo with dbname replaced by db. */
static char *conninfo_for(const char *admin, const char *db)
{
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(admin, &err);
	if (!opts) {
		fail_msg("%s: %s", admin, err ? err : "not a conninfo");
	}
	char out[1024];
	size_t used = 0;
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val || strcmp(o->keyword, "dbname") == 0)
			continue;
		int n = snprintf(out + used, sizeof out - used, "%s=%s ", o->keyword, o->val);
		assert_true(n > 0 && (size_t)n < sizeof out - used);
		used += (size_t)n;
	}
	PQconninfoFree(opts);
	int n = snprintf(out + used, sizeof out - used, "dbname=%s", db);
	assert_true(n > 0 && (size_t)n < sizeof out - used);
	char *copy = strdup(out);
	assert_non_null(copy);
	return copy;
}

char *pg_fixture_new_database(const char *name, bool tcp)
{
	const char *admin = pg_fixture_admin(tcp);
	PGconn *conn = PQconnectdb(admin);
	if (PQstatus(conn) != CONNECTION_OK) {
		char msg[512];
		snprintf(msg, sizeof msg, "%s", PQerrorMessage(conn));
		msg[strcspn(msg, "\n")] = '\0';
		PQfinish(conn);
		fail_msg("the test cluster (%s) does not answer: %s", admin, msg);
	}
	/* A name of its own: letters, digits and _ from name, the process, a counter. */
	char base[31];
	size_t b = 0;
	for (const char *p = name; *p && b < sizeof base - 1; p++) {
		char c = *p;
		base[b++] = (char)((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c
		                   : (c >= 'A' && c <= 'Z')                        ? c - 'A' + 'a'
		                                                                   : '_');
	}
	base[b] = '\0';
	char db[64], sql[128];
	for (int tries = 0;; tries++) {
		int n = snprintf(db, sizeof db, "t_%s_%ld_%u", base, (long)getpid(), ++serial);
		assert_true(n > 0 && (size_t)n < sizeof db);
		snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", db);
		PGresult *res = PQexec(conn, sql);
		bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		bool taken = state && strcmp(state, "42P04") == 0; /* duplicate_database */
		char msg[512];
		snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(res));
		msg[strcspn(msg, "\n")] = '\0';
		PQclear(res);
		if (ok)
			break;
		if (!taken || tries >= 100) {
			PQfinish(conn);
			fail_msg("%s: %s", sql, msg);
		}
	}
	PQfinish(conn);
	return conninfo_for(admin, db);
}

/* ---- looking from outside obslab ---------------------------------------------- */

PGconn *pg_fixture_connect(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("cannot connect to %s: %s", conninfo, PQerrorMessage(c));
	return c;
}

void pg_fixture_sql(PGconn *c, const char *fmt, ...)
{
	char text[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof text);
	PGresult *r = PQexec(c, text);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", text, PQerrorMessage(c));
	PQclear(r);
}

char *pg_fixture_rows(PGconn *c, const char *query)
{
	PGresult *r = PQexec(c, query);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", query, PQerrorMessage(c));
	size_t cap = 64, len = 0;
	char *out = malloc(cap);
	assert_non_null(out);
	out[0] = '\0';
	for (int i = 0; i < PQntuples(r); i++) {
		for (int j = 0; j < PQnfields(r); j++) {
			const char *v = PQgetisnull(r, i, j) ? "NULL" : PQgetvalue(r, i, j);
			size_t vlen = strlen(v);
			if (len + vlen + 2 > cap) {
				cap = (len + vlen + 2) * 2;
				out = realloc(out, cap);
				assert_non_null(out);
			}
			memcpy(out + len, v, vlen);
			len += vlen;
			out[len++] = j + 1 < PQnfields(r) ? '|' : '\n';
			out[len] = '\0';
		}
	}
	PQclear(r);
	return out;
}

char *pg_fixture_value(PGconn *c, const char *query)
{
	char *s = pg_fixture_rows(c, query);
	s[strcspn(s, "\n")] = '\0';
	return s;
}

struct pgdb *pg_fixture_open(const char *conninfo)
{
	struct pgdb *db = NULL;
	struct obslab_error err;
	enum db_status st = pg_open(conninfo, NULL, &db, &err);
	if (st != DB_OK)
		fail_msg("pg_open(%s): %d %s", conninfo, st, err.msg);
	return db;
}

struct pgdb *pg_fixture_open_seeded(const char *conninfo, uint32_t users, uint64_t seed)
{
	struct pgdb *db = pg_fixture_open(conninfo);
	struct obslab_error err;
	if (pg_seed(db, users, seed, NULL, NULL, &err) != DB_OK)
		fail_msg("pg_seed: %s", err.msg);
	return db;
}

int pg_fixture_group_setup(void **state)
{
	(void)state;
	(void)pg_fixture_admin(false); /* the env file, or the run fails saying why */
	return 0;
}
