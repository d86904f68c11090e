/*
 * db — the lab's SQLite database: open, prove it is obslab's, create the
 * schema, seed it deterministically, toggle the orders.user_id index.
 *
 * db_open never writes to a file it did not create or stamp: an existing file
 * is first inspected read-only, and a database with tables but no obslab
 * stamp (someone else's app) is refused untouched. Seeding is idempotent and
 * incremental: the same seed and users is a no-op, a new scale adds or
 * removes users at the tail, a new seed rebuilds. Every user's orders derive
 * from (seed, user id) alone, so user 7 has the same orders at any scale.
 * The caller owns the sqlite3 handle (sqlite3_close_v2). Errors fill err
 * with one line a user can act on.
 */
#ifndef OBSLAB_DB_H
#define OBSLAB_DB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum db_status {
	DB_OK = 0,
	DB_CANTOPEN,  /* path unreadable, unwritable or missing directory */
	DB_NOTADB,    /* the file is not a SQLite database, or is corrupt */
	DB_FOREIGN,   /* a SQLite database, but not obslab's */
	DB_TOO_NEW,   /* obslab's, from a newer schema version */
	DB_ERROR,     /* anything else SQLite reported */
	DB_INTERRUPTED, /* cancelled on request (request_run only) */
};

#define DB_DEFAULT_PATH "observability_lab.db"
#define DB_SCHEMA_VERSION 1
#define DB_INDEX_NAME "idx_orders_user_id"
#define DB_MIN_ORDERS_PER_USER 2
#define DB_MAX_ORDERS_PER_USER 5
#define DB_MAX_QUANTITY 5

struct db_error {
	char msg[320];
};

/* Opens or creates path (":memory:" works) and ensures the schema. */
enum db_status db_open(const char *path, sqlite3 **out, struct db_error *err);

/* Called every few hundred users while seeding; may be NULL. */
typedef void db_progress_fn(void *ctx, uint32_t done, uint32_t total);

/* Makes the database hold exactly users users for seed. */
enum db_status db_seed(sqlite3 *db, uint32_t users, uint64_t seed, db_progress_fn *progress,
                       void *ctx, struct db_error *err);

enum db_status db_set_index(sqlite3 *db, bool on, struct db_error *err);
bool db_has_index(sqlite3 *db);

/* The users and seed the stamp records; 0 for a database not yet seeded. */
uint32_t db_seeded_users(sqlite3 *db);
uint64_t db_seeded_seed(sqlite3 *db);

/* The catalogue of product names, from assets/products.txt at build time. */
extern const char *const db_product_names[];
extern const size_t db_product_count;

#endif
