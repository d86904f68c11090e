/* db_change — what other connections did to the lab's database: PRAGMA
 * data_version, the version the connection last read under, and the users
 * and index as the database has them (see db.h). */
#include <stdint.h>
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
