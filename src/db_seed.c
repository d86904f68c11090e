/* db_seed — the lab's rows in a SQLite database (see db.h): what is there
 * judged against the seed (users 1..N contiguous, their orders' figures as
 * seeddata_totals gives them), kept, grown, cut at the tail or rebuilt. */
#include "obslab/db.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "db_internal.h"
#include "obslab/seeddata.h"

static uint64_t meta_u64(sqlite3 *db, const char *key)
{
	char buf[32];
	if (db_meta_get(db, key, buf, sizeof buf) != SQLITE_OK)
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
		struct seeddata_user u;
		seeddata_user(seed, id, &u);
		sqlite3_bind_int64(user_stmt, 1, id);
		sqlite3_bind_text(user_stmt, 2, u.username, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(user_stmt, 3, u.email, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(user_stmt) == SQLITE_DONE ? sqlite3_reset(user_stmt) : sqlite3_errcode(db);

		for (uint32_t k = 0; rc == SQLITE_OK && k < u.norders; k++) {
			sqlite3_bind_int64(order_stmt, 1, id);
			sqlite3_bind_text(order_stmt, 2, u.orders[k].product, -1, SQLITE_STATIC);
			sqlite3_bind_int(order_stmt, 3, (int)u.orders[k].quantity);
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

/* The users table's size when it holds ids 1..N, as seeding leaves it;
 * false when another program left gaps (or it cannot be read). */
static bool contiguous_users(sqlite3 *db, uint32_t *n)
{
	char buf[48];
	unsigned long long count, max;
	if (db_query_text(db, "SELECT count(*) || ' ' || coalesce(max(id), 0) FROM users", NULL, buf, sizeof buf) != SQLITE_OK ||
	    sscanf(buf, "%llu %llu", &count, &max) != 2 || count != max || count > UINT32_MAX)
		return false;
	*n = (uint32_t)count;
	return true;
}

/* Whether the orders table holds exactly the orders of users 1..n for
 * seed, judged by the figures seeddata_totals gives (one scan). */
static bool orders_as_seeded(sqlite3 *db, uint64_t seed, uint32_t n)
{
	struct seeddata_totals want;
	seeddata_totals(seed, n, &want);
	char buf[128];
	return db_query_text(db, SEEDDATA_TOTALS_SQL("orders", "length(CAST(product_name AS BLOB))"), NULL, buf,
	                     sizeof buf) == SQLITE_OK &&
	       seeddata_totals_match(buf, &want);
}

enum db_status db_seed(sqlite3 *db, uint32_t users, uint64_t seed, db_progress_fn *progress,
                       void *ctx, struct obslab_error *err)
{
	/* The tables, not the stamp, say what is there: another program may
	 * have deleted users or emptied or changed orders. Ids 1..N of the
	 * same seed with their orders as seeded are kept, or grown or cut at
	 * the tail; anything else is rebuilt. */
	uint32_t have = 0;
	bool same_seed = db_seeded_users(db) > 0 && db_seeded_seed(db) == seed && contiguous_users(db, &have) &&
	                 orders_as_seeded(db, seed, have);
	if (same_seed && have == users)
		return DB_OK;

	int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return db_sqlite_fail(err, db, rc, "cannot seed the database");
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
		rc = db_meta_set(db, "users", buf);
	}
	if (rc == SQLITE_OK) {
		snprintf(buf, sizeof buf, "%" PRIu64, seed);
		rc = db_meta_set(db, "seed", buf);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		enum db_status status = db_sqlite_fail(err, db, rc, "cannot seed the database");
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return status;
	}
	return DB_OK;
}
