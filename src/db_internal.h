/*
 * db_internal — what db.c and db_seed.c share: one text value read, the
 * stamp's keys read and written (SQLite result codes), and a failed call
 * as a db_status with SQLite's message. Not a public header.
 */
#ifndef OBSLAB_DB_INTERNAL_H
#define OBSLAB_DB_INTERNAL_H

#include <stddef.h>

#include "obslab/db.h"

/* One text value of sql (bound to param when not NULL) into buf; "" if no row. */
int db_query_text(sqlite3 *db, const char *sql, const char *param, char *buf, size_t cap);
int db_meta_get(sqlite3 *db, const char *key, char *buf, size_t cap);
int db_meta_set(sqlite3 *db, const char *key, const char *value);
enum db_status db_sqlite_fail(struct obslab_error *err, sqlite3 *db, int rc, const char *what);

#endif
