/*
 * db — the lab's SQLite database: open, prove it is obslab's, create the
 * schema, seed it deterministically, toggle the orders.user_id index, and
 * wait out other connections' locks.
 *
 * db_open never writes to a file that is not obslab's. It decides on the
 * file SQLite itself resolves --db to (a path, a symlink's target, a file:
 * URI with its parameters), looking at it read-only first, and creates
 * nothing before the decision: no database, no -journal, no -wal. obslab's
 * are a path where nothing exists yet (created), a database with nothing in
 * it and no other program's application_id or user_version (a 0-byte file
 * is one), and a database carrying obslab's stamp (in WAL mode too).
 * Refused untouched: every other database (tables, views or triggers
 * without the stamp; WAL mode without the stamp, no -wal or -shm made),
 * anything not a regular file (devices, FIFOs, directories), and a URI that
 * picks its own VFS.
 *
 * WAL: a lab file this process drives goes to WAL mode when the first
 * reader is opened on it (db_open_reader: obslab serve's workers), so the
 * readers and the driver do not block each other; its -wal and -shm lie
 * beside it meanwhile. Without readers it stays in rollback mode, where
 * other programs' locks are waited out as before. db_close of the driver
 * puts it back in rollback mode when no other connection has it open (the
 * file at rest as before, -wal and -shm removed by SQLite); if one has, it
 * stays in WAL mode, which obslab opens as its own (driven or watched). Every connection db.c
 * opens goes through its VFS, whose clock gives sqltrace its stamps.
 *
 * One obslab drives a lab database at a time: db_open takes an exclusive
 * lock on the file (db_lock.h: an flock, gone when the process is) before
 * writing anything, and a second driver is refused untouched (DB_LOCKED)
 * with the holder's pid in err. db_open_watch opens it read-only instead,
 * without the lock: it never writes, seeds or toggles the index, and works
 * while another obslab drives. :memory: needs no lock.
 *
 * Another connection may still change a database (the sqlite3 shell, or a
 * watched lab's driver): db_data_version is PRAGMA data_version (it moves
 * when another connection commits), db_pager_version the version the
 * connection last read under (it moves when a statement saw a change);
 * both cost no more than a header read.
 *
 * Seeding is idempotent and incremental: the same seed and users is a no-op,
 * a new scale adds or removes users at the tail, a new seed rebuilds. Every
 * user's orders derive from (seed, user id) alone, so user 7 has the same
 * orders at any scale. The caller owns the sqlite3 handle (db_close;
 * a reader's or watcher's may be closed with sqlite3_close_v2 too). Errors fill err with one line a user can act on.
 *
 * Threads: a sqlite3 handle is used by one thread at a time (the workload
 * thread owns the lab's, each server worker its reader); the open functions
 * may run on several threads at once; db_wait_since may be called from any
 * thread.
 */
#ifndef OBSLAB_DB_H
#define OBSLAB_DB_H

#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/error.h"

enum db_status {
	DB_OK = 0,
	DB_CANTOPEN,  /* path unreadable, unwritable or missing directory */
	DB_NOTADB,    /* the file is not a SQLite database, or is corrupt */
	DB_FOREIGN,   /* a SQLite database, but not obslab's */
	DB_TOO_NEW,   /* obslab's, from a newer schema version */
	DB_ERROR,     /* anything else SQLite reported */
	DB_INTERRUPTED, /* cancelled on request (request_run only) */
	DB_LOCKED,    /* another obslab drives it: err names the holder's pid */
	DB_UNAVAILABLE, /* the server cannot be reached, or stopped answering (PostgreSQL) */
};

#define DB_DEFAULT_PATH "observability_lab.db"
#define DB_SCHEMA_VERSION 1
#define DB_INDEX_NAME "idx_orders_user_id"
#define DB_MIN_ORDERS_PER_USER 2
#define DB_MAX_ORDERS_PER_USER 5
#define DB_MAX_QUANTITY 5
/* obslab's mark in the header's application_id: "obsl". */
#define DB_APPLICATION_ID 0x6f62736c
/* How long a headless command waits for another connection's lock. */
#define DB_LOCK_WAIT_MS 30000
#define DB_WAIT_FOREVER INT64_MAX

/*
 * Waiting for locks. A connection given a db_wait (db_wait_attach) waits
 * while another connection holds the lock it needs, instead of failing:
 * it gives up (the statement fails with SQLITE_BUSY, gave_up set) after
 * limit_ns, or as soon as *stop is true. since_ns tells any thread that a
 * wait is under way; the thread that owns the connection ends it with
 * db_wait_end once a statement went through. on_begin runs on the waiting
 * thread when a wait begins. The db_wait must outlive the attachment.
 */
struct db_wait {
	int64_t limit_ns;           /* DB_WAIT_FOREVER: never gives up */
	const _Atomic bool *stop;   /* may be NULL */
	void (*on_begin)(void *ctx);
	void *ctx;
	_Atomic int64_t since_ns;   /* clock_now_ns() when the wait began; 0: none */
	bool gave_up;
};

void db_wait_init(struct db_wait *w, int64_t limit_ns, const _Atomic bool *stop);
/* A limit given in ms as the settings give it: 0 is DB_LOCK_WAIT_MS, a
 * negative one DB_WAIT_FOREVER. */
int64_t db_wait_limit_ns(int64_t ms);
void db_wait_attach(sqlite3 *db, struct db_wait *w);
/* 0, or when the wait under way began. Any thread. */
int64_t db_wait_since(const struct db_wait *w);
/* True (and how long it lasted) if a wait had begun; clears it. */
bool db_wait_end(struct db_wait *w, int64_t *waited_ns);

/* Opens or creates path (":memory:" works) and ensures the schema; waits
 * DB_LOCK_WAIT_MS at most for another connection's lock. */
enum db_status db_open(const char *path, sqlite3 **out, struct obslab_error *err);
/* The same, waiting as wait says (NULL: as db_open). The handle returned
 * keeps a plain DB_LOCK_WAIT_MS busy timeout, not wait. */
enum db_status db_open_wait(const char *path, struct db_wait *wait, sqlite3 **out, struct obslab_error *err);

/* Opens path read-only to watch a lab: obslab's and seeded, or refused
 * (a path where nothing exists is DB_CANTOPEN). Never writes, never locks;
 * the handle keeps a plain DB_LOCK_WAIT_MS busy timeout. */
enum db_status db_open_watch(const char *path, struct db_wait *wait, sqlite3 **out, struct obslab_error *err);

/* A read-only connection for one server worker to a lab database this
 * process drives (opened with db_open*): judged as a watcher's (refused if
 * not obslab's, or not seeded), never seeds, never locks; through the lab's
 * VFS, so sqltrace stamps its statements as the driver's. The first puts
 * the driven lab in WAL mode (waiting out the driver's statement). A plain
 * DB_LOCK_WAIT_MS busy timeout. NULL with err set on refusal, and for a
 * database in memory (a reader needs a file). Close with db_close. */
sqlite3 *db_open_reader(const char *path, struct obslab_error *err);

/* Closes a connection db_open* gave (NULL: nothing); a driver's WAL lab
 * goes back to rollback mode first when no other connection has it open. */
void db_close(sqlite3 *db);

/* Whether --db names a database with no file to watch, as SQLite reads
 * it: ":memory:", a file: URI whose file is ":memory:" or empty, or one with
 * mode=memory. Looks at the text alone. */
bool db_path_in_memory(const char *path);
/* Whether path names the file --db's value opens (a file: URI's path
 * decoded as SQLite decodes it), or one of its side files (-wal, -shm,
 * -journal), by any spelling (atomicfile_same): a command never writes a
 * record or a log over its own database. False
 * for a database in memory. Looks only. */
bool db_path_names_file(const char *db_arg, const char *path);

/* PRAGMA data_version: false if it could not be read (the database is
 * locked past the busy timeout, or gone). */
bool db_data_version(sqlite3 *db, int64_t *out);
/* The data version the connection's last statement read under (no I/O). */
uint32_t db_pager_version(sqlite3 *db);
/* The users and the index as the database has them now, whatever its stamp
 * says; false if they could not be read. */
bool db_read_state(sqlite3 *db, uint32_t *users, bool *index);

/* Called every few hundred users while seeding; may be NULL. */
typedef void db_progress_fn(void *ctx, uint32_t done, uint32_t total);

/* Makes the database hold exactly users users for seed. A users table that
 * is not the stamp's (rows deleted or added by another program) is
 * rebuilt. */
enum db_status db_seed(sqlite3 *db, uint32_t users, uint64_t seed, db_progress_fn *progress,
                       void *ctx, struct obslab_error *err);

/* The index on orders.user_id is on when any index serves "user_id = ?"
 * (a whole index of orders with user_id first, in its default collation),
 * obslab's DB_INDEX_NAME or one another program made. On where one serves
 * is a no-op; off drops obslab's own only, so the index may still be on
 * after it (db_index_serving names the one that serves). */
enum db_status db_set_index(sqlite3 *db, bool on, struct obslab_error *err);
bool db_has_index(sqlite3 *db);
/* Whether an index serves orders.user_id, and which (obslab's first) in
 * name ("" if none; name may be NULL). */
bool db_index_serving(sqlite3 *db, char *name, size_t cap);

/* The users and seed the stamp records; 0 for a database not yet seeded. */
uint32_t db_seeded_users(sqlite3 *db);
uint64_t db_seeded_seed(sqlite3 *db);

/* The catalogue of product names, from assets/products.txt at build time. */
extern const char *const db_product_names[];
extern const size_t db_product_count;

#endif
