/*
 * labdb — the lab's database, whichever engine runs it: SQLite (a file, or
 * :memory:, db.h) or PostgreSQL (a libpq connection string or URI, pg.h).
 * What a trace, the status bar and every export say about where the lab
 * ran is a labdb_info.
 */
#ifndef OBSLAB_LABDB_H
#define OBSLAB_LABDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/db.h"
#include "obslab/error.h"
#include "obslab/pg.h"

enum labdb_engine {
	LABDB_SQLITE,
	LABDB_POSTGRESQL,
};

/* Where the lab's statements run, by OpenTelemetry's database and server
 * attribute names. Plain data; strings are NUL-terminated, cut to fit. */
struct labdb_info {
	enum labdb_engine engine;
	const char *system;       /* db.system.name: "sqlite" or "postgresql" */
	char name_space[128];     /* db.namespace: the database's name (PostgreSQL), the file (SQLite) */
	char server_address[256]; /* server.address: host, or the Unix socket's directory; "" for SQLite */
	int server_port;          /* server.port; 0 for SQLite */
	char server_version[32];  /* "15.8", or SQLite's library version */
	char display[320];        /* one line for people, no password:
	                           * "PostgreSQL 15.8 at /tmp/s:5432, database lab" */
};

/*
 * The connection (area labdb implements; opening, seeding and the index
 * dispatch to db.h or pg.h). A labdb belongs to one thread at a time.
 */
struct labdb;
struct pgdb;
typedef struct sqlite3 sqlite3;

enum labdb_engine labdb_engine(const struct labdb *db);
sqlite3 *labdb_sqlite(struct labdb *db); /* NULL for PostgreSQL */
struct pgdb *labdb_pg(struct labdb *db); /* NULL for SQLite */
const struct labdb_info *labdb_info(const struct labdb *db);

/*
 * Opening by --db's value: a libpq connection string or URI (pg_is_conninfo;
 * "postgresql://" alone is the PG* environment's) is PostgreSQL, anything
 * else a SQLite path as db.h reads it. The caller owns what labdb_open*
 * give (labdb_close); the dispatchers below do as db.h's and pg.h's
 * functions of the same names. PostgreSQL has no data version
 * (labdb_data_version is false): the workload reads the users and the
 * index (labdb_read_state) between requests at most once a second
 * instead, so another program's change shows within about a second. On
 * PostgreSQL a lab whose statements cannot be prepared on opening (its
 * schema changed by another program) is refused with LABDB_DAMAGED_FMT.
 */
struct labdb_options {
	struct db_wait *wait; /* SQLite: another connection's lock, as db_open_wait; NULL: DB_LOCK_WAIT_MS */
	bool watch;           /* read-only (db_open_watch; pg_open_reader): never seeds or toggles */
	struct pg_options pg; /* PostgreSQL's time-outs; zeros: pg.h's defaults, and the
	                       * lock time-out from wait's limit (forever: -1) */
};

/* Whether db_arg names PostgreSQL (pg_is_conninfo). */
bool labdb_arg_is_postgresql(const char *db_arg);
/* db_path_names_file for a SQLite path; false for PostgreSQL (no file). */
bool labdb_arg_names_file(const char *db_arg, const char *path);
/* db_arg as it may be shown: a connection string without its password,
 * a path as given. */
void labdb_arg_display(const char *db_arg, char *buf, size_t cap);

enum db_status labdb_open(const char *db_arg, const struct labdb_options *opt, struct labdb **out,
                          struct obslab_error *err);
/* A read-only connection for one server worker (db_open_reader on SQLite,
 * pg_open_reader on PostgreSQL); NULL with err filled. */
struct labdb *labdb_open_reader(const char *db_arg, const struct pg_options *pg, struct obslab_error *err);
void labdb_close(struct labdb *db); /* NULL: nothing */
/* A labdb over a SQLite connection the caller opened (tests; db_arg is what
 * labdb_info names): it owns the handle from now on (db_close at labdb_close). */
struct labdb *labdb_from_sqlite(sqlite3 *handle, const char *db_arg);

enum db_status labdb_seed(struct labdb *db, uint32_t users, uint64_t seed, db_progress_fn *progress, void *ctx,
                          struct obslab_error *err);
enum db_status labdb_set_index(struct labdb *db, bool on, struct obslab_error *err);
bool labdb_index_serving(struct labdb *db, char *name, size_t cap);
bool labdb_read_state(struct labdb *db, uint32_t *users, bool *index);
uint32_t labdb_seeded_users(struct labdb *db);
uint64_t labdb_seeded_seed(struct labdb *db);
/* PostgreSQL: the lab's own statements failed on a live connection (a
 * column or table of PG_SCHEMA dropped or altered by another program):
 * err becomes LABDB_DAMAGED_FMT's one line around what it said. */
#define LABDB_DAMAGED_FMT                                                                                          \
	PG_SCHEMA " was changed by another program (%s): drop it (DROP SCHEMA " PG_SCHEMA " CASCADE) and obslab "   \
	"creates it again"
void labdb_explain_damage(struct obslab_error *err);

/* SQLite's PRAGMA data_version; false on PostgreSQL (not available: the
 * workload reads the users and the index there at most once a second). */
bool labdb_data_version(struct labdb *db, int64_t *out);
/* Whether another connection's changes can be seen (a SQLite file). */
bool labdb_detects_changes(struct labdb *db);

#endif
