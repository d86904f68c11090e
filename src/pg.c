/*
 * pg — connecting to PostgreSQL (see pg.h): connecting within a deadline,
 * judging or creating the lab's schema, the driver's advisory lock, where
 * the lab runs (labdb_info), and reconnecting.
 */
#include "obslab/pg.h"

#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/clock.h"
#include "obslab/labdb.h"
#include "obslab/xalloc.h"
#include "pg_internal.h"

/* ---- connecting ------------------------------------------------------------ */

static void fill_info(struct pgdb *db)
{
	struct labdb_info *in = &db->info;
	memset(in, 0, sizeof *in);
	in->engine = LABDB_POSTGRESQL;
	in->system = "postgresql";
	(void)snprintf(in->name_space, sizeof in->name_space, "%s", PQdb(db->conn) ? PQdb(db->conn) : "");
	(void)snprintf(in->server_address, sizeof in->server_address, "%s", PQhost(db->conn) ? PQhost(db->conn) : "");
	const char *port = PQport(db->conn);
	in->server_port = port && *port ? atoi(port) : 5432;
	int v = PQserverVersion(db->conn);
	if (v >= 100000)
		(void)snprintf(in->server_version, sizeof in->server_version, "%d.%d", v / 10000, v % 10000);
	else
		(void)snprintf(in->server_version, sizeof in->server_version, "%d.%d.%d", v / 10000, v / 100 % 100, v % 100);
	bool v6 = strchr(in->server_address, ':') != NULL;
	int n = snprintf(in->display, sizeof in->display, "PostgreSQL %s at %s%s%s:%d, database %s", in->server_version,
	                 v6 ? "[" : "", in->server_address, v6 ? "]" : "", in->server_port, in->name_space);
	if (n < 0 || (size_t)n >= sizeof in->display) /* cut to fit: the line is for people */
		in->display[sizeof in->display - 1] = '\0';
}

static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* libpq's connection, by its asynchronous calls, within the connect
 * time-out and the cancel counter. */
static enum db_status connect_within(struct pgdb *db, struct obslab_error *err)
{
	char *perr = NULL;
	PQconninfoOption *parsed = PQconninfoParse(db->conninfo, &perr);
	bool readable = parsed != NULL;
	PQconninfoFree(parsed);
	if (!readable) { /* libpq cannot read it: its reason, without the password */
		char msg[400];
		(void)snprintf(msg, sizeof msg, "%s", perr ? perr : "out of memory");
		PQfreemem(perr);
		msg[strcspn(msg, "\r\n")] = '\0';
		pg_scrub_password(db->conninfo, msg, sizeof msg);
		return pg_fail(err, DB_CANTOPEN, "cannot read the PostgreSQL connection string: %s", msg);
	}
	PQfreemem(perr);
	char user_timeout[16];
	(void)snprintf(user_timeout, sizeof user_timeout, "%d", db->connect_timeout_ms * 2);
	/* Ours first: what the caller's string says wins (dbname is expanded in place). */
	const char *const keys[] = { "application_name", "keepalives", "keepalives_idle", "keepalives_interval",
		                     "keepalives_count", "tcp_user_timeout", "dbname", NULL };
	const char *const values[] = { "obslab", "1", "10", "5", "3", user_timeout, db->conninfo, NULL };
	PGconn *conn = PQconnectStartParams(keys, values, 1);
	if (!conn)
		return pg_fail(err, DB_ERROR, "cannot connect to %s: out of memory", db->shown);
	db->conn = conn;
	PQsetNoticeProcessor(conn, ignore_notice, NULL); /* never onto a terminal the explorer draws */
	int64_t deadline = clock_now_ns() + (int64_t)db->connect_timeout_ms * CLOCK_NS_PER_MS;
	bool started_bad = PQstatus(conn) == CONNECTION_BAD; /* the string itself */
	PostgresPollingStatusType ps = started_bad ? PGRES_POLLING_FAILED : PGRES_POLLING_WRITING;
	while (ps != PGRES_POLLING_OK) {
		if (ps == PGRES_POLLING_FAILED) {
			char msg[400];
			pg_message(conn, NULL, msg, sizeof msg);
			pg_scrub_password(db->conninfo, msg, sizeof msg);
			/* The server refused (authentication, no such database), or
			 * the string or the host name is wrong: a user must change
			 * something. Otherwise no server answered: unavailable. */
			bool fix_it = started_bad || strstr(msg, "FATAL") || strstr(msg, "could not translate host name");
			return pg_fail(err, fix_it ? DB_CANTOPEN : DB_UNAVAILABLE, "cannot connect to PostgreSQL (%s): %s",
			               db->shown, msg);
		}
		if (pg_cancelled(db))
			return pg_fail(err, DB_INTERRUPTED, "connecting to %s was cancelled", db->shown);
		int64_t left = deadline - clock_now_ns();
		if (left <= 0)
			return pg_fail(err, DB_UNAVAILABLE, "cannot connect to PostgreSQL (%s): no answer within %d ms", db->shown,
			               db->connect_timeout_ms);
		int ms = left / CLOCK_NS_PER_MS < PG_POLL_SLICE_MS ? (int)(left / CLOCK_NS_PER_MS) + 1 : PG_POLL_SLICE_MS;
		struct pollfd p = { .fd = PQsocket(conn), .events = ps == PGRES_POLLING_READING ? POLLIN : POLLOUT };
		int ready = p.fd >= 0 ? poll(&p, 1, ms) : 0;
		if (ready != 0 || p.fd < 0)
			ps = PQconnectPoll(conn);
	}
	if (PQsetnonblocking(conn, 1) != 0)
		return pg_fail(err, DB_ERROR, "cannot use %s without blocking", db->shown);
	fill_info(db);
	return DB_OK;
}

/* ---- the lab's schema -------------------------------------------------------- */

static const char create_sql[] =
	"BEGIN;"
	"CREATE SCHEMA " PG_SCHEMA ";"
	"CREATE TABLE " PG_Q("meta") "(key text PRIMARY KEY, value text NOT NULL);"
	"CREATE TABLE " PG_Q("users") "(id integer PRIMARY KEY, username text UNIQUE, email text UNIQUE);"
	"CREATE TABLE " PG_Q("orders") "(id integer PRIMARY KEY, user_id integer REFERENCES " PG_Q("users") "(id),"
	" product_name text, quantity integer);"
	"INSERT INTO " PG_Q("meta") "(key, value) VALUES ('application_id', '" PG_APPLICATION_ID "'),"
	" ('format', '" PG_FORMAT "'), ('schema_version', '1');"
	"COMMIT";

_Static_assert(DB_SCHEMA_VERSION == 1, "create_sql stamps schema version 1");

/* What PG_SCHEMA is in this database: absent, obslab's (its version in
 * *version), or someone else's. */
enum verdict { SCHEMA_ABSENT, SCHEMA_OURS, SCHEMA_FOREIGN };

static enum db_status read_verdict(struct pgdb *db, enum verdict *v, long *version, struct obslab_error *err)
{
	char buf[16];
	enum db_status st = pg_scalar(db, "SELECT to_regnamespace('" PG_SCHEMA "') IS NOT NULL", 0, NULL, buf, sizeof buf,
	                              err);
	if (st != DB_OK)
		return st;
	if (strcmp(buf, "t") != 0) {
		*v = SCHEMA_ABSENT;
		return DB_OK;
	}
	*v = SCHEMA_FOREIGN;
	st = pg_scalar(db, "SELECT to_regclass('" PG_Q("meta") "') IS NOT NULL", 0, NULL, buf, sizeof buf, err);
	if (st != DB_OK || strcmp(buf, "t") != 0)
		return st;
	/* A table of that name that is not obslab's may fail to answer this: foreign. */
	struct obslab_error ignored;
	char id[16];
	if (pg_meta_get(db, "application_id", id, sizeof id, &ignored) != DB_OK) {
		if (PQstatus(db->conn) != CONNECTION_OK)
			return pg_fail(err, DB_UNAVAILABLE, "lost the connection to %s", db->info.display);
		return DB_OK;
	}
	if (strcmp(id, PG_APPLICATION_ID) != 0)
		return DB_OK;
	if ((st = pg_meta_get(db, "schema_version", buf, sizeof buf, err)) != DB_OK)
		return st;
	*v = SCHEMA_OURS;
	*version = strtol(buf, NULL, 10);
	return DB_OK;
}

/* The driver's lock, waiting up to PG_LOCK_WAIT_MS for a holder to let go
 * (a driver that just ended: its server process can outlive its client for
 * a moment), or who holds it. */
static enum db_status take_lock(struct pgdb *db, struct obslab_error *err)
{
	char key[24], buf[24];
	(void)snprintf(key, sizeof key, "%" PRId64, PG_LOCK_KEY);
	const char *const params[] = { key };
	int64_t until = clock_now_ns() + (int64_t)PG_LOCK_WAIT_MS * CLOCK_NS_PER_MS;
	for (;;) {
		enum db_status st = pg_scalar(db, "SELECT pg_try_advisory_lock($1::int8)", 1, params, buf, sizeof buf, err);
		if (st != DB_OK)
			return st;
		if (strcmp(buf, "t") == 0) {
			db->locked = true;
			return DB_OK;
		}
		if (clock_now_ns() >= until || pg_cancelled(db))
			break;
		(void)poll(NULL, 0, PG_POLL_SLICE_MS);
	}
	char hi[16], lo[16];
	(void)snprintf(hi, sizeof hi, "%" PRIu64, (uint64_t)PG_LOCK_KEY >> 32);
	(void)snprintf(lo, sizeof lo, "%" PRIu64, (uint64_t)PG_LOCK_KEY & 0xffffffffu);
	const char *const where[] = { hi, lo };
	struct obslab_error ignored;
	if (pg_scalar(db,
	              "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
	              " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
	              " AND classid::int8 = $1::int8 AND objid::int8 = $2::int8 AND objsubid = 1 LIMIT 1",
	              2, where, buf, sizeof buf, &ignored) != DB_OK || !buf[0])
		(void)snprintf(buf, sizeof buf, "unknown");
	return pg_fail(err, DB_LOCKED, "schema " PG_SCHEMA " on %s is driven by another obslab (PostgreSQL backend pid %s)",
	               db->info.display, buf);
}

/* Connects, sets the session up, judges (and for a driver creates) the
 * schema, takes the lock and prepares: what pg_open and pg_reconnect do. */
static enum db_status establish(struct pgdb *db, struct obslab_error *err)
{
	enum db_status st = connect_within(db, err);
	bool connected = st == DB_OK;
	/* The session pinned before any lab statement, as pg_dump pins its
	 * own: no search_path, whatever the connection string's options say,
	 * so operators and functions (=, count, ANY) resolve in pg_catalog
	 * only, never in a schema someone put first; relations are named with
	 * their schema. Then the time-outs. */
	char set[160];
	(void)snprintf(set, sizeof set,
	               "SELECT pg_catalog.set_config('search_path', '', false);"
	               " SET statement_timeout = %d; SET lock_timeout = %d",
	               db->statement_timeout_ms,
	               db->lock_timeout_ms > 0 ? db->lock_timeout_ms : db->lock_timeout_ms < 0 ? PG_LOCK_RETRY_MS : 0);
	if (st == DB_OK)
		st = pg_command(db, set, 0, NULL, err);
	if (st == DB_OK && db->reader)
		st = pg_command(db, "SET default_transaction_read_only = on", 0, NULL, err);
	if (st == DB_OK && !db->reader)
		st = take_lock(db, err);
	enum verdict v = SCHEMA_ABSENT;
	long version = 0;
	if (st == DB_OK)
		st = read_verdict(db, &v, &version, err);
	const char *dbname = db->info.display; /* names the server and the database */
	if (st != DB_OK)
		;
	else if (v == SCHEMA_FOREIGN)
		st = pg_fail(err, DB_FOREIGN,
		             "schema " PG_SCHEMA " on %s was not created by obslab; obslab changes nothing in it", dbname);
	else if (v == SCHEMA_OURS && version > DB_SCHEMA_VERSION)
		st = pg_fail(err, DB_TOO_NEW,
		             "schema " PG_SCHEMA " on %s was written by a newer obslab (schema %ld, this one reads %d)",
		             dbname, version, DB_SCHEMA_VERSION);
	else if (v == SCHEMA_ABSENT && db->reader)
		st = pg_fail(err, DB_CANTOPEN, "%s holds no lab yet (no schema " PG_SCHEMA "): nothing to read", dbname);
	else if (v == SCHEMA_ABSENT) {
		st = pg_command(db, create_sql, 0, NULL, err);
		if (st != DB_OK) {
			(void)pg_command(db, "ROLLBACK", 0, NULL, NULL);
			char why[OBSLAB_ERROR_MAX - 96];
			int n = snprintf(why, sizeof why, "%s", err ? err->msg : "");
			if (n < 0 || (size_t)n >= sizeof why)
				why[sizeof why - 1] = '\0';
			st = pg_fail(err, st, "cannot create schema " PG_SCHEMA " on %s: %s", dbname, why);
		}
	}
	if (st == DB_OK && db->reader && pg_seeded_users(db) == 0)
		st = pg_fail(err, DB_CANTOPEN, "schema " PG_SCHEMA " on %s holds no lab yet: nothing to read", dbname);
	if (st == DB_OK)
		st = pg_prepare_all(db, err);
	if (st != DB_OK && connected && err && !strstr(err->msg, db->info.display)) {
		/* a refusal once connected (a privilege, say) names where, as the others do */
		char why[OBSLAB_ERROR_MAX];
		(void)snprintf(why, sizeof why, "%s", err->msg);
		(void)pg_fail(err, st, "%s: %s", db->info.display, why);
	}
	return st;
}

/* Lets go of the driver's lock now, so a driver opened the moment this
 * returns finds it free (PQfinish only asks the server process to end; the
 * lock goes when it has). Only on an idle connection (a transaction is
 * rolled back first), within PG_LOCK_WAIT_MS: a server that does not answer
 * lets go when the session ends. */
static void let_go_of_lock(struct pgdb *db)
{
	PGconn *conn = db->conn;
	bool held = db->locked;
	db->locked = false;
	if (!held || !pg_connected(db) || PQpipelineStatus(conn) != PQ_PIPELINE_OFF)
		return;
	PGTransactionStatusType ts = PQtransactionStatus(conn);
	if (ts != PQTRANS_IDLE && ts != PQTRANS_INTRANS && ts != PQTRANS_INERROR)
		return; /* a statement still running */
	char sql[96];
	(void)snprintf(sql, sizeof sql, "%sSELECT pg_advisory_unlock(%" PRId64 ")", ts == PQTRANS_IDLE ? "" : "ROLLBACK;",
	               PG_LOCK_KEY);
	if (!PQsendQuery(conn, sql))
		return;
	int64_t deadline = clock_now_ns() + (int64_t)PG_LOCK_WAIT_MS * CLOCK_NS_PER_MS;
	for (;;) {
		int flushed = PQflush(conn);
		if (flushed < 0 || !PQconsumeInput(conn))
			return;
		if (flushed == 0 && !PQisBusy(conn)) {
			PGresult *r = PQgetResult(conn);
			if (!r)
				return; /* every result read: the server has let go */
			PQclear(r);
			continue;
		}
		if (clock_now_ns() >= deadline)
			return;
		struct pollfd p = { .fd = PQsocket(conn), .events = (short)(POLLIN | (flushed ? POLLOUT : 0)) };
		if (p.fd < 0 || poll(&p, 1, PG_POLL_SLICE_MS) < 0)
			return;
	}
}

static void drop_connection(struct pgdb *db)
{
	PQclear(db->last);
	db->last = NULL;
	let_go_of_lock(db);
	PQfinish(db->conn); /* ends the session (and with it any lock still held) */
	db->conn = NULL;
	db->prepared = false;
}

static enum db_status open_as(const char *conninfo, const struct pg_options *opt, bool reader, struct pgdb **out,
                              struct obslab_error *err)
{
	*out = NULL;
	if (!conninfo)
		return pg_fail(err, DB_CANTOPEN, "no PostgreSQL connection string");
	struct pgdb *db = xcalloc(1, sizeof *db);
	db->conninfo = xmalloc(strlen(conninfo) + 1);
	memcpy(db->conninfo, conninfo, strlen(conninfo) + 1);
	pg_conninfo_masked(conninfo, db->shown, sizeof db->shown);
	db->connect_timeout_ms = opt && opt->connect_timeout_ms > 0 ? opt->connect_timeout_ms : PG_CONNECT_TIMEOUT_MS;
	db->statement_timeout_ms = opt && opt->statement_timeout_ms > 0 ? opt->statement_timeout_ms : PG_STATEMENT_TIMEOUT_MS;
	db->lock_timeout_ms = opt ? opt->lock_timeout_ms : 0;
	if (db->lock_timeout_ms > 0 && db->statement_timeout_ms < db->lock_timeout_ms + 1000)
		db->statement_timeout_ms = db->lock_timeout_ms + 1000; /* the lock's wait ends first */
	db->reader = reader;
	(void)snprintf(db->info.display, sizeof db->info.display, "PostgreSQL (%s)", db->shown);
	enum db_status st = establish(db, err);
	if (st != DB_OK) {
		pg_close(db);
		return st;
	}
	*out = db;
	return DB_OK;
}

enum db_status pg_open(const char *conninfo, const struct pg_options *opt, struct pgdb **out, struct obslab_error *err)
{
	return open_as(conninfo, opt, false, out, err);
}

enum db_status pg_open_reader(const char *conninfo, const struct pg_options *opt, struct pgdb **out,
                              struct obslab_error *err)
{
	return open_as(conninfo, opt, true, out, err);
}

void pg_close(struct pgdb *db)
{
	if (!db)
		return;
	drop_connection(db);
	free(db->conninfo);
	free(db);
}

const struct labdb_info *pg_info(const struct pgdb *db)
{
	return &db->info;
}

bool pg_connected(const struct pgdb *db)
{
	return db && db->conn && PQstatus(db->conn) == CONNECTION_OK;
}

enum db_status pg_reconnect(struct pgdb *db, struct obslab_error *err)
{
	drop_connection(db);
	enum db_status st = establish(db, err);
	if (st != DB_OK)
		drop_connection(db);
	return st;
}
