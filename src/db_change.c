/* db_change — what other connections did to the lab's database: PRAGMA
 * data_version, the version the connection last read under, and the users
 * and index as the database has them, whoever made the index (see db.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "obslab/db.h"

static bool query_i64(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *stmt;
	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return false;
	bool ok = sqlite3_step(stmt) == SQLITE_ROW;
	*out = ok ? sqlite3_column_int64(stmt, 0) : 0;
	sqlite3_finalize(stmt);
	return ok;
}

/* The indexes that serve "orders.user_id = ?": any whole (not partial)
 * index of orders whose first column is user_id in its default collation,
 * whatever its name; obslab's own comes first. */
static const char serving_sql[] =
	"SELECT il.name FROM pragma_index_list('orders') AS il, pragma_index_xinfo(il.name) AS ii"
	" WHERE ii.seqno = 0 AND ii.name = 'user_id' AND ii.coll = 'BINARY' AND il.partial = 0"
	" ORDER BY il.name <> '" DB_INDEX_NAME "', il.name LIMIT 1";

bool db_index_serving(sqlite3 *db, char *name, size_t cap)
{
	char buf[256] = "";
	sqlite3_stmt *stmt;
	if (sqlite3_prepare_v2(db, serving_sql, -1, &stmt, NULL) == SQLITE_OK) {
		if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0))
			snprintf(buf, sizeof buf, "%s", (const char *)sqlite3_column_text(stmt, 0));
		sqlite3_finalize(stmt);
	}
	bool serving = buf[0] != '\0';
	if (name && cap > 0)
		snprintf(name, cap, "%s", serving ? buf : "");
	return serving;
}

bool db_has_index(sqlite3 *db)
{
	return db_index_serving(db, NULL, 0);
}

bool db_data_version(sqlite3 *db, int64_t *out)
{
	return query_i64(db, "PRAGMA data_version", out);
}

uint32_t db_pager_version(sqlite3 *db)
{
	unsigned int v = 0;
	if (sqlite3_file_control(db, "main", SQLITE_FCNTL_DATA_VERSION, &v) != SQLITE_OK)
		return 0;
	return v;
}

bool db_read_state(sqlite3 *db, uint32_t *users, bool *index)
{
	int64_t n;
	if (!query_i64(db, "SELECT count(*) FROM users", &n))
		return false;
	*users = n < 0 ? 0 : n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	*index = db_has_index(db);
	return true;
}
