/*
 * pg_seed — the lab's data in PostgreSQL (see pg.h): seeding from seeddata
 * exactly as db.c seeds SQLite (the same ids, users and orders), in bulk
 * through COPY; the index toggle on orders.user_id; the stamp's figures.
 */
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/clock.h"
#include "obslab/seeddata.h"
#include "pg_internal.h"

enum db_status pg_meta_get(struct pgdb *db, const char *key, char *buf, size_t cap, struct obslab_error *err)
{
	const char *const params[] = { key };
	return pg_scalar(db, "SELECT value FROM " PG_Q("meta") " WHERE key = $1", 1, params, buf, cap, err);
}

static enum db_status meta_set(struct pgdb *db, const char *key, const char *value, struct obslab_error *err)
{
	const char *const params[] = { key, value };
	return pg_command(db,
	                  "INSERT INTO " PG_Q("meta") "(key, value) VALUES ($1, $2)"
	                  " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
	                  2, params, err);
}

static uint64_t meta_u64(struct pgdb *db, const char *key)
{
	char buf[32];
	struct obslab_error ignored;
	if (pg_meta_get(db, key, buf, sizeof buf, &ignored) != DB_OK)
		return 0;
	return strtoull(buf, NULL, 10);
}

uint32_t pg_seeded_users(struct pgdb *db)
{
	uint64_t n = meta_u64(db, "users");
	return n > UINT32_MAX ? 0 : (uint32_t)n;
}

uint64_t pg_seeded_seed(struct pgdb *db)
{
	return meta_u64(db, "seed");
}

/* ---- COPY ------------------------------------------------------------------ */

#define COPY_CHUNK (64 * 1024)

struct copy {
	struct pgdb *db;
	char buf[COPY_CHUNK];
	size_t len;
	enum db_status st;
	struct obslab_error *err;
};

/* Hands the buffered rows to libpq, waiting (within the statement
 * time-out) while the socket is full. */
static void copy_flush(struct copy *c)
{
	int64_t deadline = pg_statement_deadline(c->db);
	while (c->st == DB_OK && c->len > 0) {
		int rc = PQputCopyData(c->db->conn, c->buf, (int)c->len);
		if (rc == 1) {
			c->len = 0;
			break;
		}
		if (rc < 0) {
			char msg[256];
			pg_message(c->db->conn, NULL, msg, sizeof msg);
			c->st = pg_fail(c->err, DB_UNAVAILABLE, "cannot seed %s: %s", c->db->info.display, msg);
		} else if (clock_now_ns() >= deadline) {
			c->st = pg_fail(c->err, DB_UNAVAILABLE, "%s stopped taking the seed data", c->db->info.display);
		} else {
			struct pollfd p = { .fd = PQsocket(c->db->conn), .events = POLLOUT | POLLIN };
			(void)poll(&p, 1, PG_POLL_SLICE_MS);
			(void)PQconsumeInput(c->db->conn);
		}
	}
}

/* A text field as COPY's text format reads it. */
static void copy_field(struct copy *c, const char *s, bool last)
{
	if (c->len + 2 * strlen(s) + 2 > sizeof c->buf)
		copy_flush(c);
	for (; *s && c->len + 3 < sizeof c->buf; s++) {
		char e = *s == '\\' ? '\\' : *s == '\t' ? 't' : *s == '\n' ? 'n' : *s == '\r' ? 'r' : 0;
		if (e) {
			c->buf[c->len++] = '\\';
			c->buf[c->len++] = e;
		} else {
			c->buf[c->len++] = *s;
		}
	}
	c->buf[c->len++] = last ? '\n' : '\t';
}

static void copy_u64(struct copy *c, uint64_t v, bool last)
{
	char num[24];
	(void)snprintf(num, sizeof num, "%" PRIu64, v);
	copy_field(c, num, last);
}

/* Starts COPY ... FROM STDIN. */
static enum db_status copy_begin(struct copy *c, const char *sql)
{
	if (!PQsendQuery(c->db->conn, sql))
		return pg_fail(c->err, DB_UNAVAILABLE, "lost the connection to %s", c->db->info.display);
	enum db_status st = pg_await(c->db, pg_statement_deadline(c->db), c->err);
	if (st != DB_OK)
		return st;
	PGresult *r = PQgetResult(c->db->conn);
	bool ok = r && PQresultStatus(r) == PGRES_COPY_IN;
	if (!ok) {
		char msg[256];
		pg_message(c->db->conn, r, msg, sizeof msg);
		st = pg_fail(c->err, DB_ERROR, "cannot seed %s: %s", c->db->info.display, msg);
	}
	PQclear(r);
	if (!ok) { /* read up to the end of that statement */
		while (pg_await(c->db, pg_statement_deadline(c->db), NULL) == DB_OK && (r = PQgetResult(c->db->conn)))
			PQclear(r);
	}
	return st;
}

/* Ends the COPY (or aborts it after a failure) and reads its result. */
static enum db_status copy_end(struct copy *c)
{
	copy_flush(c);
	int rc;
	while ((rc = PQputCopyEnd(c->db->conn, c->st == DB_OK ? NULL : "obslab stopped seeding")) == 0) {
		struct pollfd p = { .fd = PQsocket(c->db->conn), .events = POLLOUT };
		(void)poll(&p, 1, PG_POLL_SLICE_MS);
	}
	enum db_status st = c->st;
	PGresult *r;
	while (pg_await(c->db, pg_statement_deadline(c->db), st == DB_OK ? c->err : NULL) == DB_OK &&
	       (r = PQgetResult(c->db->conn))) {
		if (st == DB_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
			char msg[256];
			pg_message(c->db->conn, r, msg, sizeof msg);
			st = pg_fail(c->err, DB_ERROR, "cannot seed %s: %s", c->db->info.display, msg);
		}
		PQclear(r);
	}
	if (rc < 0 && st == DB_OK)
		st = pg_fail(c->err, DB_UNAVAILABLE, "lost the connection to %s", c->db->info.display);
	if (st == DB_OK && !pg_connected(c->db))
		st = pg_fail(c->err, DB_UNAVAILABLE, "lost the connection to %s", c->db->info.display);
	return st;
}

/* Users from..to and their orders, the orders numbered from first_order:
 * the rows db.c inserts one by one, as two COPYs. */
static enum db_status copy_users(struct pgdb *db, uint32_t from, uint32_t to, uint64_t seed, uint64_t first_order,
                                 db_progress_fn *progress, void *ctx, struct obslab_error *err)
{
	struct copy *c = calloc(1, sizeof *c);
	if (!c)
		return pg_fail(err, DB_ERROR, "out of memory");
	c->db = db;
	c->err = err;
	enum db_status st = copy_begin(c, "COPY " PG_Q("users") "(id, username, email) FROM STDIN");
	struct seeddata_user u;
	for (uint32_t id = from; st == DB_OK && c->st == DB_OK && id <= to; id++) {
		seeddata_user(seed, id, &u);
		copy_u64(c, id, false);
		copy_field(c, u.username, false);
		copy_field(c, u.email, true);
	}
	if (st == DB_OK)
		st = copy_end(c);
	if (st == DB_OK)
		st = copy_begin(c, "COPY " PG_Q("orders") "(id, user_id, product_name, quantity) FROM STDIN");
	uint64_t order = first_order;
	for (uint32_t id = from; st == DB_OK && c->st == DB_OK && id <= to; id++) {
		seeddata_user(seed, id, &u);
		for (uint32_t k = 0; k < u.norders; k++) {
			copy_u64(c, order++, false);
			copy_u64(c, id, false);
			copy_field(c, u.orders[k].product, false);
			copy_u64(c, u.orders[k].quantity, true);
		}
		if (progress && (id % 500 == 0 || id == to))
			progress(ctx, id - from + 1, to - from + 1);
	}
	if (st == DB_OK)
		st = copy_end(c);
	free(c);
	return st;
}

/* The users table's size when it holds ids 1..N, as seeding leaves it;
 * false when another program left gaps (or it cannot be read). */
static bool contiguous_users(struct pgdb *db, uint32_t *n)
{
	char buf[48];
	unsigned long long count, max;
	struct obslab_error ignored;
	if (pg_scalar(db, "SELECT count(*) || ' ' || coalesce(max(id), 0) FROM " PG_Q("users"), 0, NULL, buf, sizeof buf,
	              &ignored) != DB_OK ||
	    sscanf(buf, "%llu %llu", &count, &max) != 2 || count != max || count > UINT32_MAX)
		return false;
	*n = (uint32_t)count;
	return true;
}

/* Whether the orders table holds exactly the orders of users 1..n for
 * seed, judged by the figures seeddata_totals gives (one scan), as db_seed. */
static bool orders_as_seeded(struct pgdb *db, uint64_t seed, uint32_t n)
{
	struct seeddata_totals want;
	seeddata_totals(seed, n, &want);
	char buf[128];
	struct obslab_error ignored;
	return pg_scalar(db, SEEDDATA_TOTALS_SQL(PG_Q("orders"), "octet_length(product_name)"), 0, NULL, buf, sizeof buf,
	                 &ignored) == DB_OK &&
	       seeddata_totals_match(buf, &want);
}

enum db_status pg_seed(struct pgdb *db, uint32_t users, uint64_t seed, db_progress_fn *progress, void *ctx,
                       struct obslab_error *err)
{
	if (db->reader)
		return pg_fail(err, DB_ERROR, "a reader does not seed");
	/* As db_seed: the tables, not the stamp, say what is there (users
	 * 1..N, their orders judged by seeddata_totals' figures). Growing
	 * appends at the tail (the orders numbered on from the last one, as
	 * SQLite numbers them). Anything else (a cut, a new seed, tables
	 * another program changed or emptied) empties both tables and copies
	 * users 1..users again: a user's rows derive from (seed, id) alone, so
	 * a cut leaves exactly the rows it keeps, without one foreign-key
	 * check per deleted user (orders.user_id has no index by default). */
	uint32_t have = 0;
	bool same_seed = pg_seeded_users(db) > 0 && pg_seeded_seed(db) == seed && contiguous_users(db, &have) &&
	                 orders_as_seeded(db, seed, have);
	if (same_seed && have == users)
		return DB_OK;
	bool grow = same_seed && users > have;
	enum db_status st = pg_command(db, "BEGIN", 0, NULL, err);
	if (st == DB_OK && !grow) {
		st = pg_command(db, "TRUNCATE " PG_Q("orders") ", " PG_Q("users"), 0, NULL, err);
		have = 0;
	}
	char buf[32] = "0";
	if (st == DB_OK && users > have)
		st = pg_scalar(db, "SELECT coalesce(max(id), 0) FROM " PG_Q("orders"), 0, NULL, buf, sizeof buf, err);
	if (st == DB_OK && users > have)
		st = copy_users(db, have + 1, users, seed, strtoull(buf, NULL, 10) + 1, progress, ctx, err);
	if (st == DB_OK) {
		(void)snprintf(buf, sizeof buf, "%" PRIu32, users);
		st = meta_set(db, "users", buf, err);
	}
	if (st == DB_OK) {
		(void)snprintf(buf, sizeof buf, "%" PRIu64, seed);
		st = meta_set(db, "seed", buf, err);
	}
	if (st == DB_OK)
		st = pg_command(db, "COMMIT", 0, NULL, err);
	if (st != DB_OK) {
		(void)pg_command(db, "ROLLBACK", 0, NULL, NULL);
		return st;
	}
	/* Fresh statistics, so the planner picks the index as SQLite would. */
	return pg_command(db, "ANALYZE " PG_Q("users") ", " PG_Q("orders"), 0, NULL, err);
}

/* ---- the index -------------------------------------------------------------- */

bool pg_index_serving(struct pgdb *db, char *name, size_t cap)
{
	char buf[128];
	struct obslab_error ignored;
	/* A whole, valid b-tree index of orders whose first column is user_id. */
	enum db_status st = pg_scalar(
		db,
		"SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam"
		" WHERE i.indrelid = '" PG_Q("orders") "'::regclass AND a.amname = 'btree'"
		" AND i.indkey[0] = (SELECT attnum FROM pg_attribute WHERE attrelid = '" PG_Q("orders") "'::regclass"
		" AND attname = 'user_id' AND NOT attisdropped)"
		" AND i.indpred IS NULL AND i.indexprs IS NULL AND i.indisvalid AND i.indisready"
		" ORDER BY c.relname <> '" DB_INDEX_NAME "', c.relname LIMIT 1",
		0, NULL, buf, sizeof buf, &ignored);
	if (st != DB_OK)
		buf[0] = '\0';
	if (name && cap > 0)
		(void)snprintf(name, cap, "%s", buf);
	return buf[0] != '\0';
}

enum db_status pg_set_index(struct pgdb *db, bool on, struct obslab_error *err)
{
	if (db->reader)
		return pg_fail(err, DB_ERROR, "a reader does not change the index");
	/* On: none is added where one serves already. Off: only obslab's own
	 * is dropped; another program's is not obslab's to drop. */
	if (on && pg_index_serving(db, NULL, 0))
		return DB_OK;
	const char *sql = on ? "CREATE INDEX IF NOT EXISTS " DB_INDEX_NAME " ON " PG_Q("orders") "(user_id)"
	                     : "DROP INDEX IF EXISTS " PG_Q(DB_INDEX_NAME);
	enum db_status st = pg_command(db, sql, 0, NULL, err);
	if (st != DB_OK) {
		char why[OBSLAB_ERROR_MAX - 64];
		int n = snprintf(why, sizeof why, "%s", err ? err->msg : "");
		if (n < 0 || (size_t)n >= sizeof why)
			why[sizeof why - 1] = '\0';
		return pg_fail(err, st, on ? "cannot create the index: %s" : "cannot drop the index: %s", why);
	}
	return pg_command(db, "ANALYZE " PG_Q("orders"), 0, NULL, err);
}

bool pg_read_state(struct pgdb *db, uint32_t *users, bool *index)
{
	char buf[24];
	struct obslab_error ignored;
	if (pg_scalar(db, "SELECT count(*) FROM " PG_Q("users"), 0, NULL, buf, sizeof buf, &ignored) != DB_OK)
		return false;
	unsigned long long n = strtoull(buf, NULL, 10);
	*users = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	*index = pg_index_serving(db, NULL, 0);
	return true;
}
