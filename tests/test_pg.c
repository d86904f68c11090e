/* pg: the PostgreSQL layer against a real server — the schema created,
 * kept, or refused untouched when it is someone else's; the driver's lock;
 * readers; seeding identical to SQLite's; the index; statements, spans and
 * the pipeline; cancelling, time-outs, a lost connection and reconnecting;
 * unreachable servers and hostile connection strings. Each test has a
 * database of its own on the tests' cluster (OBSLAB_TEST_PG_ENV). */
#include <arpa/inet.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "fixture.h"
#include "pg_fixture.h"
#include "obslab/clock.h"
#include "obslab/db.h"
#include "obslab/labdb.h"
#include "obslab/pg.h"
#include "obslab/ring.h"
#include "obslab/sqlfp.h"
#include "obslab/strtab.h"
#include "obslab/tracer.h"

/* ---- schema ------------------------------------------------------------------- */

static void open_creates_the_schema_and_reopen_keeps_it(void **state)
{
	(void)state;
	char *ci = pg_fixture_new_database("create", false);
	struct pgdb *db = pg_fixture_open(ci);
	const struct labdb_info *in = pg_info(db);
	assert_int_equal(in->engine, LABDB_POSTGRESQL);
	assert_string_equal(in->system, "postgresql");
	PGconn *a = pg_fixture_connect(ci);
	char *dbname = pg_fixture_value(a, "SELECT current_database()");
	char say[160];
	snprintf(say, sizeof say, ", database %s", dbname);
	assert_string_equal(in->name_space, dbname);
	assert_true(in->server_port > 0);
	assert_true(in->server_address[0] == '/'); /* a Unix socket: its directory */
	assert_non_null(strstr(in->display, "PostgreSQL "));
	assert_non_null(strstr(in->display, say));
	free(dbname);
	assert_int_equal(pg_seeded_users(db), 0);
	pg_close(db);

	char *meta = pg_fixture_rows(a, "SELECT key, value FROM obslab_lab.meta ORDER BY key");
	assert_string_equal(meta, "application_id|obsl\nformat|obslab\nschema_version|1\n");
	free(meta);
	db = pg_fixture_open(ci); /* again: kept as it is */
	pg_close(db);
	char *tables = pg_fixture_rows(a, "SELECT relname FROM pg_class WHERE relnamespace = 'obslab_lab'::regnamespace"
	                            " AND relkind = 'r' ORDER BY relname");
	assert_string_equal(tables, "meta\norders\nusers\n");
	free(tables);

	/* A newer obslab's schema is refused. */
	pg_fixture_sql(a, "UPDATE obslab_lab.meta SET value = '99' WHERE key = 'schema_version'");
	struct obslab_error err;
	assert_int_equal(pg_open(ci, NULL, &db, &err), DB_TOO_NEW);
	assert_null(db);
	assert_non_null(strstr(err.msg, "newer obslab"));
	PQfinish(a);

	/* Over TCP, server.address is the host. */
	free(ci);
	ci = pg_fixture_new_database("create_tcp", true);
	db = pg_fixture_open(ci);
	assert_string_equal(pg_info(db)->server_address, "127.0.0.1");
	pg_close(db);
	free(ci);
}

/* A schema of the lab's name that obslab did not make: refused, and nothing
 * in the database changes (its tables and rows, read before and after). */
static void a_foreign_schema_is_refused_untouched(void **state)
{
	(void)state;
	static const char *const setups[] = {
		"CREATE SCHEMA obslab_lab; CREATE TABLE obslab_lab.users(x int); INSERT INTO obslab_lab.users VALUES (1), (2)",
		"CREATE SCHEMA obslab_lab; CREATE TABLE obslab_lab.meta(key text, value text);"
		" INSERT INTO obslab_lab.meta VALUES ('application_id', 'else'), ('schema_version', '1')",
		"CREATE SCHEMA obslab_lab; CREATE TABLE obslab_lab.meta(a int); INSERT INTO obslab_lab.meta VALUES (7)",
		"CREATE SCHEMA obslab_lab",
	};
	static const char dump[] =
		"SELECT c.relname || ':' || c.relkind::text || ':' || coalesce((SELECT string_agg(a.attname || ' ' || "
		"format_type(a.atttypid, a.atttypmod), ',' ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = c.oid "
		"AND a.attnum > 0), '') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
		"WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') ORDER BY 1";
	for (size_t i = 0; i < sizeof setups / sizeof setups[0]; i++) {
		char name[32];
		snprintf(name, sizeof name, "foreign%zu", i);
		char *ci = pg_fixture_new_database(name, false);
		PGconn *a = pg_fixture_connect(ci);
		pg_fixture_sql(a, "%s", setups[i]);
		char *before = pg_fixture_rows(a, dump);
		char *rows_before = i < 3 ? pg_fixture_rows(a, i == 0 ? "SELECT * FROM obslab_lab.users" : "SELECT * FROM obslab_lab.meta")
		                          : strdup("");
		struct pgdb *db = NULL;
		struct obslab_error err;
		assert_int_equal(pg_open(ci, NULL, &db, &err), DB_FOREIGN);
		assert_null(db);
		assert_non_null(strstr(err.msg, "schema obslab_lab on PostgreSQL "));
		assert_non_null(strstr(err.msg, ", database t_foreign"));
		assert_non_null(strstr(err.msg, "was not created by obslab; obslab changes nothing in it"));
		assert_int_equal(pg_open_reader(ci, NULL, &db, &err), DB_FOREIGN);
		char *after = pg_fixture_rows(a, dump);
		char *rows_after = i < 3 ? pg_fixture_rows(a, i == 0 ? "SELECT * FROM obslab_lab.users" : "SELECT * FROM obslab_lab.meta")
		                         : strdup("");
		assert_string_equal(before, after);
		assert_string_equal(rows_before, rows_after);
		free(before), free(after), free(rows_before), free(rows_after);
		PQfinish(a);
		free(ci);
	}
}

/* A role that may connect but not use the lab's schema: the refusal is one
 * line naming the server and the database, as every other refusal does. */
static void a_privilege_refusal_names_the_server_and_database(void **state)
{
	(void)state;
	char *ci = pg_fixture_new_database("nopriv", false);
	struct pgdb *db = pg_fixture_open_seeded(ci, 20, 1);
	pg_close(db);
	PGconn *a = pg_fixture_connect(ci);
	char *dbname = pg_fixture_value(a, "SELECT current_database()");
	pg_fixture_sql(a, "DROP ROLE IF EXISTS %s_r; CREATE ROLE %s_r LOGIN NOCREATEDB", dbname, dbname);
	char as_role[700];
	snprintf(as_role, sizeof as_role, "%s user=%s_r", ci, dbname);
	struct obslab_error err;
	enum db_status st = pg_open(as_role, NULL, &db, &err);
	assert_int_not_equal(st, DB_OK);
	assert_null(strchr(err.msg, '\n'));
	if (!strstr(err.msg, "permission denied") || !strstr(err.msg, "PostgreSQL 15") || !strstr(err.msg, dbname) ||
	    !strstr(err.msg, " at "))
		fail_msg("does not say what was refused where: %s", err.msg);
	printf("refused: %s\n", err.msg);
	pg_fixture_sql(a, "DROP ROLE %s_r", dbname);
	free(dbname);
	PQfinish(a);
	free(ci);
}

/* Another program's tables in public: seeding and the index leave them be. */
static void a_foreign_table_in_public_is_untouched(void **state)
{
	(void)state;
	char *ci = pg_fixture_new_database("public", false);
	PGconn *a = pg_fixture_connect(ci);
	pg_fixture_sql(a, "CREATE TABLE public.users(id int PRIMARY KEY, username text); INSERT INTO public.users VALUES (1, 'x');"
	       "CREATE TABLE public.orders(id int, user_id int); INSERT INTO public.orders VALUES (5, 1)");
	char *before = pg_fixture_rows(a, "SELECT * FROM public.users UNION ALL SELECT id, user_id::text FROM public.orders");
	struct pgdb *db = pg_fixture_open_seeded(ci, 50, 3);
	struct obslab_error err;
	assert_int_equal(pg_set_index(db, true, &err), DB_OK);
	assert_int_equal(pg_set_index(db, false, &err), DB_OK);
	assert_int_equal(pg_seed(db, 10, 4, NULL, NULL, &err), DB_OK);
	pg_close(db);
	char *after = pg_fixture_rows(a, "SELECT * FROM public.users UNION ALL SELECT id, user_id::text FROM public.orders");
	assert_string_equal(before, after);
	char *idx = pg_fixture_value(a, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'");
	assert_string_equal(idx, "1"); /* its primary key, nothing more */
	free(before), free(after), free(idx);
	PQfinish(a);
	free(ci);
}

static void a_second_driver_is_locked_out_and_readers_refuse_unseeded(void **state)
{
	(void)state;
	char *ci = pg_fixture_new_database("lock", false);
	struct obslab_error err;
	struct pgdb *reader = NULL;
	assert_int_equal(pg_open_reader(ci, NULL, &reader, &err), DB_CANTOPEN); /* no schema yet */
	assert_non_null(strstr(err.msg, "no lab"));
	struct pgdb *db = pg_fixture_open(ci);
	struct pgdb *second = NULL;
	assert_int_equal(pg_open(ci, NULL, &second, &err), DB_LOCKED);
	assert_null(second);
	assert_non_null(strstr(err.msg, "is driven by another obslab (PostgreSQL backend pid "));
	assert_null(strstr(err.msg, "pid unknown"));
	assert_int_equal(pg_open_reader(ci, NULL, &reader, &err), DB_CANTOPEN); /* not seeded */
	assert_int_equal(pg_seed(db, 20, 1, NULL, NULL, &err), DB_OK);
	assert_int_equal(pg_open_reader(ci, NULL, &reader, &err), DB_OK); /* no lock: beside the driver */
	struct pg_rows rows;
	assert_int_equal(pg_exec(reader, PG_STMT_USERS, 0, NULL, &rows, &err), DB_OK);
	assert_int_equal(rows.nrows, 20);
	assert_int_not_equal(pg_seed(reader, 30, 1, NULL, NULL, &err), DB_OK);
	assert_int_not_equal(pg_set_index(reader, true, &err), DB_OK);
	pg_close(reader);
	pg_close(db);
	db = pg_fixture_open(ci); /* the lock went with the first driver's session */
	pg_close(db);
	free(ci);
}

/* The driver's lock as pg_locks has it, from outside obslab: "1" while held. */
static char *lock_held(PGconn *admin)
{
	char sql[384];
	(void)snprintf(sql, sizeof sql,
	               "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
	               " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
	               " AND ((classid::int8 << 32) | objid::int8) = %" PRId64,
	               PG_LOCK_KEY);
	return pg_fixture_value(admin, sql);
}

/* pg_close lets go of the lock before it returns (pg_advisory_unlock, not
 * left to the server process's exit): a driver opened right after another
 * closed is never refused, and from outside the lock is free at once. */
static void closing_lets_go_of_the_lock_before_it_returns(void **state)
{
	(void)state;
	char *ci = pg_fixture_new_database("relock", false);
	PGconn *admin = pg_fixture_connect(ci);
	struct obslab_error err;
	for (int i = 0; i < 100; i++) {
		struct pgdb *db = NULL;
		int64_t t0 = clock_now_ns();
		if (pg_open(ci, NULL, &db, &err) != DB_OK)
			fail_msg("round %d: %s", i, err.msg);
		int64_t took = clock_now_ns() - t0;
		assert_true(took < PG_LOCK_WAIT_MS * CLOCK_NS_PER_MS); /* never the wait for a holder */
		char *held = lock_held(admin);
		assert_string_equal(held, "1");
		free(held);
		pg_close(db);
		held = lock_held(admin);
		if (strcmp(held, "0") != 0)
			fail_msg("round %d: the lock still held after pg_close", i);
		free(held);
	}
	PQfinish(admin);
	free(ci);
}

struct holder {
	PGconn *conn;
	int hold_ms;
};

static void *let_go_later(void *arg)
{
	struct holder *h = arg;
	nanosleep(&(struct timespec){ .tv_sec = h->hold_ms / 1000, .tv_nsec = h->hold_ms % 1000 * 1000000L }, NULL);
	PQfinish(h->conn); /* its session ends: the server lets the lock go */
	return NULL;
}

/* A holder that goes away within PG_LOCK_WAIT_MS (a driver whose process
 * ended, its server process not yet gone) is waited for: opened, not
 * refused; one that stays is refused after the wait, naming its pid. */
static void a_holder_going_away_is_waited_for(void **state)
{
	(void)state;
	char *ci = pg_fixture_new_database("lockwait", false);
	struct holder h = { pg_fixture_connect(ci), PG_LOCK_WAIT_MS / 3 };
	pg_fixture_sql(h.conn, "SELECT pg_advisory_lock(%" PRId64 ")", PG_LOCK_KEY);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, let_go_later, &h), 0);
	struct pgdb *db = NULL;
	struct obslab_error err;
	enum db_status st = pg_open(ci, NULL, &db, &err);
	assert_int_equal(pthread_join(t, NULL), 0);
	if (st != DB_OK)
		fail_msg("a holder that went away after %d ms: %s", h.hold_ms, err.msg);
	pg_close(db);

	PGconn *stays = pg_fixture_connect(ci);
	pg_fixture_sql(stays, "SELECT pg_advisory_lock(%" PRId64 ")", PG_LOCK_KEY);
	int64_t t0 = clock_now_ns();
	db = NULL;
	assert_int_equal(pg_open(ci, NULL, &db, &err), DB_LOCKED);
	assert_true(clock_now_ns() - t0 >= PG_LOCK_WAIT_MS * CLOCK_NS_PER_MS);
	assert_null(db);
	char pid[16];
	(void)snprintf(pid, sizeof pid, "pid %d)", PQbackendPID(stays));
	assert_non_null(strstr(err.msg, pid));
	PQfinish(stays);
	free(ci);
}

/* ---- seeding ------------------------------------------------------------------ */

/* SQLite's users and orders, as rows_text writes PostgreSQL's. */
static char *sqlite_rows(sqlite3 *s, const char *query)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(s, query, -1, &st, NULL), SQLITE_OK);
	size_t cap = 64, len = 0;
	char *out = malloc(cap);
	out[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int j = 0; j < sqlite3_column_count(st); j++) {
			const char *v = (const char *)sqlite3_column_text(st, j);
			v = v ? v : "NULL";
			size_t need = len + strlen(v) + 2;
			if (need >= cap) {
				cap = need * 2;
				out = realloc(out, cap);
			}
			len += (size_t)sprintf(out + len, "%s%c", v, j + 1 < sqlite3_column_count(st) ? '|' : '\n');
		}
	}
	sqlite3_finalize(st);
	return out;
}

static void same_as_sqlite(const char *ci, sqlite3 *s)
{
	PGconn *a = pg_fixture_connect(ci);
	static const char *const q[2][2] = {
		{ "SELECT id, username, email FROM obslab_lab.users ORDER BY id", "SELECT id, username, email FROM users ORDER BY id" },
		{ "SELECT id, user_id, product_name, quantity FROM obslab_lab.orders ORDER BY id",
		  "SELECT id, user_id, product_name, quantity FROM orders ORDER BY id" },
	};
	for (int i = 0; i < 2; i++) {
		char *p = pg_fixture_rows(a, q[i][0]), *l = sqlite_rows(s, q[i][1]);
		assert_true(strlen(p) > 0);
		assert_string_equal(p, l);
		free(p), free(l);
	}
	PQfinish(a);
}

static void seeds_what_sqlite_seeds_and_grows_cuts_reseeds_alike(void **state)
{
	(void)state;
	char *ci = pg_fixture_new_database("seed", false);
	struct pgdb *db = pg_fixture_open(ci);
	sqlite3 *s;
	struct obslab_error err;
	assert_int_equal(db_open(":memory:", &s, &err), DB_OK);
	static const struct { uint32_t users; uint64_t seed; } steps[] = {
		{ 20, 42 }, { 1000, 42 }, { 1000, 42 }, { 37, 42 }, { 120, 42 }, { 120, 7 }, { 5, 7 }, { 20, 42 },
	};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		assert_int_equal(pg_seed(db, steps[i].users, steps[i].seed, NULL, NULL, &err), DB_OK);
		assert_int_equal(db_seed(s, steps[i].users, steps[i].seed, NULL, NULL, &err), DB_OK);
		assert_int_equal(pg_seeded_users(db), steps[i].users);
		assert_int_equal(pg_seeded_seed(db), steps[i].seed);
		uint32_t users;
		bool index;
		assert_true(pg_read_state(db, &users, &index));
		assert_int_equal(users, steps[i].users);
		same_as_sqlite(ci, s);
	}
	/* Rows another program deleted: rebuilt, as SQLite's. */
	PGconn *a = pg_fixture_connect(ci);
	pg_fixture_sql(a, "DELETE FROM obslab_lab.orders WHERE user_id = 3; DELETE FROM obslab_lab.users WHERE id = 3");
	PQfinish(a);
	assert_int_equal(pg_seed(db, 20, 42, NULL, NULL, &err), DB_OK);
	same_as_sqlite(ci, s);
	sqlite3_close(s);
	pg_close(db);
	free(ci);
}

static void the_index_toggles_and_another_programs_serves(void **state)
{
	(void)state;
	char *ci = pg_fixture_new_database("index", false);
	struct pgdb *db = pg_fixture_open_seeded(ci, 1000, 1);
	struct obslab_error err;
	char name[64];
	assert_false(pg_index_serving(db, name, sizeof name));
	assert_string_equal(name, "");
	PGconn *a = pg_fixture_connect(ci);
	assert_int_equal(pg_set_index(db, true, &err), DB_OK);
	assert_true(pg_index_serving(db, name, sizeof name));
	assert_string_equal(name, DB_INDEX_NAME);
	char *plan = pg_fixture_rows(a, "EXPLAIN SELECT count(*) FROM obslab_lab.orders WHERE user_id = 5");
	assert_non_null(strstr(plan, DB_INDEX_NAME)); /* the planner uses it, as SQLite would */
	free(plan);
	uint32_t users;
	bool index;
	assert_true(pg_read_state(db, &users, &index));
	assert_true(index);
	assert_int_equal(pg_set_index(db, false, &err), DB_OK);
	assert_false(pg_index_serving(db, NULL, 0));

	/* Another program's index with user_id first serves; off leaves it. */
	pg_fixture_sql(a, "CREATE INDEX theirs ON obslab_lab.orders(user_id, quantity)");
	assert_true(pg_index_serving(db, name, sizeof name));
	assert_string_equal(name, "theirs");
	assert_int_equal(pg_set_index(db, true, &err), DB_OK); /* one serves: nothing added */
	char *n = pg_fixture_value(a, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'obslab_lab' AND tablename = 'orders'");
	assert_string_equal(n, "2"); /* the primary key and theirs */
	free(n);
	assert_int_equal(pg_set_index(db, false, &err), DB_OK);
	assert_true(pg_index_serving(db, name, sizeof name));
	assert_string_equal(name, "theirs");
	/* One that does not serve (user_id second, or partial) is not counted. */
	pg_fixture_sql(a, "DROP INDEX obslab_lab.theirs; CREATE INDEX other ON obslab_lab.orders(quantity, user_id);"
	       "CREATE INDEX part ON obslab_lab.orders(user_id) WHERE quantity > 3");
	assert_false(pg_index_serving(db, NULL, 0));
	PQfinish(a);
	pg_close(db);
	free(ci);
}


/* ---- connection strings ---------------------------------------------------- */

static void tells_connection_strings_from_paths(void **state)
{
	(void)state;
	assert_true(pg_is_conninfo("postgresql://u@h/db"));
	assert_true(pg_is_conninfo("postgres://h"));
	assert_true(pg_is_conninfo("host=/tmp port=5 dbname=lab"));
	assert_false(pg_is_conninfo("lab.db"));
	assert_false(pg_is_conninfo(":memory:"));
	assert_false(pg_is_conninfo("file:lab.db?mode=ro"));
	/* Shaped like keyword=value, whether libpq can read it or not: never a
	 * SQLite file named after it (with its password). */
	assert_true(pg_is_conninfo("a=b")); /* libpq refuses it: "invalid connection option" */
	assert_true(pg_is_conninfo("host=127.0.0.1 port=1 user=pw password='S3cretPw!xyz' dbname=pwdb garbage"));
	assert_true(pg_is_conninfo("host=127.0.0.1 password='S3cretPw!xyz dbname=pwdb")); /* unterminated quote */
	assert_true(pg_is_conninfo("host=127.0.0.1 dbname=postgres bogusopt=1"));
	assert_true(pg_is_conninfo("  dbname = lab"));
	assert_true(pg_is_conninfo("lab.db host=h")); /* a known keyword after a blank */
	assert_true(pg_is_conninfo("my lab.db\tpassword =x"));
	assert_false(pg_is_conninfo("my lab.db"));
	assert_false(pg_is_conninfo("my lab=1.db"));     /* "lab" is no libpq keyword */
	assert_false(pg_is_conninfo("./host=x.db"));     /* a path */
	assert_false(pg_is_conninfo("/tmp/dbname=x.db")); /* a path */
	assert_false(pg_is_conninfo("9x=1"));            /* no identifier */
	assert_false(pg_is_conninfo(""));
	assert_false(pg_is_conninfo(NULL));
	char path[600];
	fixture_path(path, sizeof path, "dbname=x");
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_false(pg_is_conninfo(path)); /* a file of that name: SQLite's */
}

static void masks_passwords(void **state)
{
	(void)state;
	static const struct { const char *in, *out; } cases[] = {
		{ "postgresql://ann:s3cret@db.example:5433/lab?sslmode=disable", "postgresql://ann@db.example:5433/lab?sslmode=disable" },
		{ "postgresql://ann:s3cret@h/lab?password=s3cret&application_name=x", "postgresql://ann@h/lab?application_name=x" },
		{ "postgres://h/lab?pass%77ord=s3cret", "postgres://h/lab" },
		{ "postgresql://h/lab", "postgresql://h/lab" },
		{ "host=h password=s3cret dbname=lab", "host=h dbname=lab" },
		{ "host=h password='s3 cret' user='a b'", "host=h user='a b'" },
		{ "host=h password=s3cret bogus=1", "(a connection string libpq cannot read)" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char buf[256];
		pg_conninfo_masked(cases[i].in, buf, sizeof buf);
		assert_string_equal(buf, cases[i].out);
		assert_null(strstr(buf, "s3"));
	}
	char tiny[8];
	pg_conninfo_masked("postgresql://ann:s3cret@h/lab", tiny, sizeof tiny);
	assert_int_equal(strlen(tiny), 7);
}

/* Refusals: one line each, the right status, never the password. */
static void bad_servers_and_hostile_strings_fail_clearly(void **state)
{
	(void)state;
	char refused[700], nouser[700], nodb[700], badhost[700], bad_percent[700], long_one[70000];
	const char *port = strstr(pg_fixture_admin(true), "port=");
	assert_non_null(port);
	snprintf(refused, sizeof refused, "postgresql://ann:s3cret@127.0.0.1:1/lab"); /* nobody listens on port 1 */
	snprintf(nouser, sizeof nouser, "%s user=nosuchrole password=s3cret", pg_fixture_admin(false));
	snprintf(nodb, sizeof nodb, "%s dbname=obslab_t_no_such_db", pg_fixture_admin(false));
	snprintf(badhost, sizeof badhost, "host=no-such-host.invalid password=s3cret");
	snprintf(bad_percent, sizeof bad_percent, "postgresql://ann:s3%%zzcret@h/lab");
	memset(long_one, 'x', sizeof long_one - 1);
	memcpy(long_one, "host=", 5);
	long_one[sizeof long_one - 1] = '\0';
	static const char garbage[] = "\x01\x02=\x7f password=s3cret '";
	const struct { const char *ci; enum db_status st; const char *says; } cases[] = {
		{ refused, DB_UNAVAILABLE, "127.0.0.1" },
		{ nouser, DB_CANTOPEN, "nosuchrole" },
		{ nodb, DB_CANTOPEN, "does not exist" },
		{ badhost, DB_CANTOPEN, "no-such-host.invalid" },
		{ bad_percent, DB_CANTOPEN, "percent" },
		{ "postgresql://%zz", DB_CANTOPEN, "percent" },
		{ long_one, DB_CANTOPEN, "" },
		{ garbage, DB_CANTOPEN, "" },
		{ "host=h port=notaport password=s3cret", DB_CANTOPEN, "" },
		/* libpq cannot read these: its reason, nothing else of the string */
		{ "host=127.0.0.1 port=1 user=pw password='s3cret' dbname=pwdb garbage", DB_CANTOPEN,
		  "cannot read the PostgreSQL connection string: missing \"=\" after \"garbage\"" },
		{ "host=127.0.0.1 port=1 user=pw password='s3cret dbname=pwdb", DB_CANTOPEN, "unterminated quoted string" },
		{ "host=127.0.0.1 dbname=postgres password=s3cret bogusopt=1", DB_CANTOPEN, "invalid connection option" },
		{ "password=s3cret host=h s3cret", DB_CANTOPEN, "after \"***\"" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct pgdb *db = (struct pgdb *)1;
		struct obslab_error err = { { 0 } };
		struct pg_options opt = { .connect_timeout_ms = 3000 };
		enum db_status st = pg_open(cases[i].ci, &opt, &db, &err);
		if (st != cases[i].st)
			fail_msg("case %zu: status %d, not %d: %s", i, st, cases[i].st, err.msg);
		assert_null(db);
		assert_true(err.msg[0]);
		assert_null(strchr(err.msg, '\n'));
		assert_null(strstr(err.msg, "s3cret"));
		assert_null(strstr(err.msg, "s3%zzcret"));
		assert_null(strstr(err.msg, "zzcret"));
		if (strstr(err.msg, cases[i].says) == NULL)
			fail_msg("case %zu: %s does not say %s", i, err.msg, cases[i].says);
	}
}

/* A port where nothing answers the handshake: the connect time-out ends it. */
static void a_silent_server_times_out_on_connect(void **state)
{
	(void)state;
	/* A listening socket that never accepts: the TCP handshake completes in
	 * the kernel, the server's answer never comes. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(fd, 1), 0);
	socklen_t len = sizeof sa;
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	char ci[128];
	snprintf(ci, sizeof ci, "host=127.0.0.1 port=%d user=obslab dbname=postgres", ntohs(sa.sin_port));
	struct pg_options opt = { .connect_timeout_ms = 500 };
	struct pgdb *db;
	struct obslab_error err;
	int64_t t0 = clock_now_ns();
	assert_int_equal(pg_open(ci, &opt, &db, &err), DB_UNAVAILABLE);
	int64_t took = clock_now_ns() - t0;
	assert_non_null(strstr(err.msg, "no answer within 500 ms"));
	assert_true(took >= 500 * CLOCK_NS_PER_MS); /* it waited the time-out, and came back */
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tells_connection_strings_from_paths),
		cmocka_unit_test(masks_passwords),
		cmocka_unit_test(open_creates_the_schema_and_reopen_keeps_it),
		cmocka_unit_test(a_foreign_schema_is_refused_untouched),
		cmocka_unit_test(a_foreign_table_in_public_is_untouched),
		cmocka_unit_test(a_second_driver_is_locked_out_and_readers_refuse_unseeded),
		cmocka_unit_test(a_privilege_refusal_names_the_server_and_database),
		cmocka_unit_test(closing_lets_go_of_the_lock_before_it_returns),
		cmocka_unit_test(a_holder_going_away_is_waited_for),
		cmocka_unit_test(seeds_what_sqlite_seeds_and_grows_cuts_reseeds_alike),
		cmocka_unit_test(the_index_toggles_and_another_programs_serves),
		cmocka_unit_test(bad_servers_and_hostile_strings_fail_clearly),
		cmocka_unit_test(a_silent_server_times_out_on_connect),
	};
	int failed = cmocka_run_group_tests(tests, pg_fixture_group_setup, NULL);
	fixture_cleanup();
	return failed;
}
