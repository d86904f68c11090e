/*
 * labdb — the lab's database, whichever engine runs it: SQLite (a file, or
 * :memory:, db.h) or PostgreSQL (a libpq connection string or URI, pg.h).
 * What a trace, the status bar and every export say about where the lab
 * ran is a labdb_info.
 */
#ifndef OBSLAB_LABDB_H
#define OBSLAB_LABDB_H

#include <stdbool.h>
#include <stdint.h>

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

#endif
