#include "obslab/db.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "obslab/rng.h"

#define META_FORMAT "obslab"

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS obslab_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS users("
	" id INTEGER PRIMARY KEY, username TEXT UNIQUE, email TEXT UNIQUE);"
	"CREATE TABLE IF NOT EXISTS orders("
	" id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id),"
	" product_name TEXT, quantity INTEGER);";

static enum db_status fail(struct db_error *err, enum db_status status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum db_status fail(struct db_error *err, enum db_status status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return status;
}

static enum db_status status_of(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT: return DB_NOTADB;
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH: return DB_CANTOPEN;
	default: return DB_ERROR;
	}
}

static enum db_status sqlite_fail(struct db_error *err, sqlite3 *db, int rc, const char *what)
{
	const char *detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	return fail(err, status_of(rc), "%s: %s", what, detail);
}

/* Runs a query returning one text value into buf; "" if no row. */
static int query_text(sqlite3 *db, const char *sql, const char *param, char *buf, size_t cap)
{
	sqlite3_stmt *stmt;
	int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return rc;
	if (param)
		sqlite3_bind_text(stmt, 1, param, -1, SQLITE_STATIC);
	buf[0] = '\0';
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		const unsigned char *text = sqlite3_column_text(stmt, 0);
		snprintf(buf, cap, "%s", text ? (const char *)text : "");
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
	}
	sqlite3_finalize(stmt);
	return rc;
}

static int meta_get(sqlite3 *db, const char *key, char *buf, size_t cap)
{
	return query_text(db, "SELECT value FROM obslab_meta WHERE key = ?", key, buf, cap);
}

static int meta_set(sqlite3 *db, const char *key, const char *value)
{
	sqlite3_stmt *stmt;
	int rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO obslab_meta(key, value) VALUES (?, ?)",
	                            -1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * Decides, without writing, whether an existing file may be used: it must be
 * a SQLite database that is empty or carries obslab's stamp.
 */
static enum db_status inspect(const char *path, struct db_error *err)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		enum db_status st = fail(err, status_of(rc), "cannot open %s: %s", path,
		                         db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close_v2(db);
		return st;
	}
	char tables[16], stamp[32] = "", version[16] = "";
	rc = query_text(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'", NULL, tables,
	                sizeof tables);
	if (rc == SQLITE_OK)
		rc = query_text(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?",
		                "obslab_meta", stamp, sizeof stamp);
	if (rc == SQLITE_OK && stamp[0]) {
		rc = meta_get(db, "format", stamp, sizeof stamp);
		if (rc == SQLITE_OK)
			rc = meta_get(db, "schema_version", version, sizeof version);
	}
	enum db_status st = DB_OK;
	if (rc != SQLITE_OK) {
		st = status_of(rc) == DB_NOTADB
		             ? fail(err, DB_NOTADB, "%s is not a SQLite database (%s); pass --db with another path",
		                    path, sqlite3_errmsg(db))
		             : fail(err, status_of(rc), "cannot read %s: %s", path, sqlite3_errmsg(db));
	} else if (strcmp(tables, "0") != 0 && strcmp(stamp, META_FORMAT) != 0) {
		st = fail(err, DB_FOREIGN,
		          "%s is a SQLite database that obslab did not create; it was left untouched "
		          "(pass --db with a new path)", path);
	} else if (version[0] && strtol(version, NULL, 10) > DB_SCHEMA_VERSION) {
		st = fail(err, DB_TOO_NEW, "%s was written by a newer obslab (schema %s, this one reads %d)",
		          path, version, DB_SCHEMA_VERSION);
	}
	sqlite3_close_v2(db);
	return st;
}

enum db_status db_open(const char *path, sqlite3 **out, struct db_error *err)
{
	*out = NULL;
	bool in_memory = strcmp(path, ":memory:") == 0;
	struct stat st;
	if (!in_memory && stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return fail(err, DB_CANTOPEN, "%s is a directory; pass --db with a file path", path);
		enum db_status status = inspect(path, err);
		if (status != DB_OK)
			return status;
	} else if (!in_memory && errno != ENOENT) {
		return fail(err, DB_CANTOPEN, "cannot open %s: %s", path, strerror(errno));
	}

	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		enum db_status status = fail(err, status_of(rc), "cannot open %s: %s", path,
		                             db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close_v2(db);
		return status;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, 2000);

	char version[16];
	rc = sqlite3_exec(db, schema_sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = meta_get(db, "format", version, sizeof version);
	if (rc == SQLITE_OK && !version[0]) {
		char v[8];
		snprintf(v, sizeof v, "%d", DB_SCHEMA_VERSION);
		rc = meta_set(db, "format", META_FORMAT);
		if (rc == SQLITE_OK)
			rc = meta_set(db, "schema_version", v);
	}
	if (rc != SQLITE_OK) {
		enum db_status status = fail(err, status_of(rc), "cannot prepare %s: %s", path,
		                             sqlite3_errmsg(db));
		sqlite3_close_v2(db);
		return status;
	}
	*out = db;
	return DB_OK;
}

static uint64_t meta_u64(sqlite3 *db, const char *key)
{
	char buf[32];
	if (meta_get(db, key, buf, sizeof buf) != SQLITE_OK)
		return 0;
	return strtoull(buf, NULL, 10);
}

uint32_t db_seeded_users(sqlite3 *db)
{
	return (uint32_t)meta_u64(db, "users");
}

uint64_t db_seeded_seed(sqlite3 *db)
{
	return meta_u64(db, "seed");
}

/* A user's orders depend only on the seed and the user's id. */
static void user_rng(struct rng *r, uint64_t seed, uint32_t user_id)
{
	rng_seed(r, seed ^ ((uint64_t)user_id * UINT64_C(0x9e3779b97f4a7c15)));
}

static int insert_users(sqlite3 *db, uint32_t from, uint32_t to, uint64_t seed,
                        db_progress_fn *progress, void *ctx)
{
	sqlite3_stmt *user_stmt = NULL, *order_stmt = NULL;
	int rc = sqlite3_prepare_v2(db, "INSERT INTO users(id, username, email) VALUES (?, ?, ?)", -1,
	                            &user_stmt, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db,
		                        "INSERT INTO orders(user_id, product_name, quantity) VALUES (?, ?, ?)",
		                        -1, &order_stmt, NULL);
	for (uint32_t id = from; rc == SQLITE_OK && id <= to; id++) {
		char username[32], email[48];
		snprintf(username, sizeof username, "user_%02" PRIu32, id);
		snprintf(email, sizeof email, "user%02" PRIu32 "@example.com", id);
		sqlite3_bind_int64(user_stmt, 1, id);
		sqlite3_bind_text(user_stmt, 2, username, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(user_stmt, 3, email, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(user_stmt) == SQLITE_DONE ? sqlite3_reset(user_stmt) : sqlite3_errcode(db);

		struct rng r;
		user_rng(&r, seed, id);
		uint32_t n = rng_range(&r, DB_MIN_ORDERS_PER_USER, DB_MAX_ORDERS_PER_USER);
		for (uint32_t k = 0; rc == SQLITE_OK && k < n; k++) {
			uint32_t product = rng_range(&r, 0, (uint32_t)db_product_count - 1);
			sqlite3_bind_int64(order_stmt, 1, id);
			sqlite3_bind_text(order_stmt, 2, db_product_names[product], -1, SQLITE_STATIC);
			sqlite3_bind_int(order_stmt, 3, (int)rng_range(&r, 1, DB_MAX_QUANTITY));
			rc = sqlite3_step(order_stmt) == SQLITE_DONE ? sqlite3_reset(order_stmt)
			                                            : sqlite3_errcode(db);
		}
		if (progress && (id % 500 == 0 || id == to))
			progress(ctx, id - from + 1, to - from + 1);
	}
	sqlite3_finalize(user_stmt);
	sqlite3_finalize(order_stmt);
	return rc;
}

static int exec_u32(sqlite3 *db, const char *sql, uint32_t value)
{
	sqlite3_stmt *stmt;
	int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, value);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

enum db_status db_seed(sqlite3 *db, uint32_t users, uint64_t seed, db_progress_fn *progress,
                       void *ctx, struct db_error *err)
{
	uint32_t have = db_seeded_users(db);
	bool same_seed = have > 0 && db_seeded_seed(db) == seed;
	if (same_seed && have == users)
		return DB_OK;

	int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return sqlite_fail(err, db, rc, "cannot seed the database");
	if (!same_seed) {
		rc = sqlite3_exec(db, "DELETE FROM orders; DELETE FROM users;", NULL, NULL, NULL);
		have = 0;
	} else if (users < have) {
		rc = exec_u32(db, "DELETE FROM orders WHERE user_id > ?", users);
		if (rc == SQLITE_OK)
			rc = exec_u32(db, "DELETE FROM users WHERE id > ?", users);
	}
	if (rc == SQLITE_OK && users > have)
		rc = insert_users(db, have + 1, users, seed, progress, ctx);

	char buf[32];
	if (rc == SQLITE_OK) {
		snprintf(buf, sizeof buf, "%" PRIu32, users);
		rc = meta_set(db, "users", buf);
	}
	if (rc == SQLITE_OK) {
		snprintf(buf, sizeof buf, "%" PRIu64, seed);
		rc = meta_set(db, "seed", buf);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		enum db_status status = sqlite_fail(err, db, rc, "cannot seed the database");
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return status;
	}
	return DB_OK;
}

enum db_status db_set_index(sqlite3 *db, bool on, struct db_error *err)
{
	const char *sql = on ? "CREATE INDEX IF NOT EXISTS " DB_INDEX_NAME " ON orders(user_id)"
	                     : "DROP INDEX IF EXISTS " DB_INDEX_NAME;
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return sqlite_fail(err, db, rc, on ? "cannot create the index" : "cannot drop the index");
	return DB_OK;
}

bool db_has_index(sqlite3 *db)
{
	char name[64];
	return query_text(db, "SELECT name FROM sqlite_master WHERE type = 'index' AND name = ?",
	                  DB_INDEX_NAME, name, sizeof name) == SQLITE_OK &&
	       name[0] != '\0';
}
