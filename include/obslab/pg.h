/*
 * pg — the lab's PostgreSQL database through libpq: connect (any libpq
 * connection string or URI, and the PG* environment variables), prove the
 * lab's schema is obslab's or create it, seed it exactly as db.c seeds a
 * SQLite file, toggle the index, and run the lab's prepared statements at
 * the one execution point that records each as a client span.
 *
 * Ownership: the lab lives in the schema PG_SCHEMA of the given database
 * and nowhere else; every statement names it (never search_path). obslab's
 * schema is one holding PG_SCHEMA.meta with application_id = "obsl"; a
 * schema of that name without it is refused (DB_FOREIGN) and nothing is
 * changed: creation is one transaction (schema, tables, stamp), so a
 * refusal or a failure leaves the database as it was. One obslab drives a
 * schema at a time: pg_open takes a session advisory lock (PG_LOCK_KEY),
 * and a second driver is refused (DB_LOCKED) once it has waited
 * PG_LOCK_WAIT_MS for the holder to let go (a driver that just ended: its
 * server process may outlive its client for a moment; from the server a
 * going and a live holder look alike, so any holder is waited for). pg_close
 * lets go of the lock (pg_advisory_unlock) before it returns, when the
 * connection is up. Readers (pg_open_reader) take none and run read-only
 * transactions.
 *
 * Time-outs: connecting gives up after connect_timeout_ms, every statement
 * after statement_timeout_ms (the client stops waiting and cancels it on the
 * server; SET statement_timeout as well). Nothing blocks longer on a dead
 * server: the socket has TCP keepalives and tcp_user_timeout. A lost
 * connection is DB_UNAVAILABLE; pg_reconnect tries once (bounded by the
 * connect time-out, and by the cancel counter) and re-prepares.
 *
 * Tracing: with a tracer attached (pg_trace_attach), every statement
 * pg_exec / pg_exec_pipelined runs while tracer_in_trace is a client span:
 * name = the statement's fingerprint (sqlfp; values are parameters, never
 * in the text), rows returned, db_system SPAN_DB_POSTGRESQL, and
 * u.db.net_wait_ns = the network share of that statement measured as
 * described at pg_rtt_ns. No simulated round trip is ever added.
 *
 * Threads: a struct pgdb belongs to one thread at a time (the workload's,
 * or one server worker's); the cancel counter may be bumped from any
 * thread. Errors fill err with one line; passwords never appear in it;
 * once connected, every refusal names the server and the database (the
 * display line); a lost connection's line starts with its cause.
 *
 * The session: pinned before any lab statement to an empty search_path
 * (as pg_dump does), whatever the connection string's options set, so the
 * lab's operators and functions resolve in pg_catalog only; SET
 * statement_timeout and lock_timeout from pg_options.
 */
#ifndef OBSLAB_PG_H
#define OBSLAB_PG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/db.h"
#include "obslab/error.h"

struct strtab;
struct tracer;
struct labdb_info;

#define PG_SCHEMA "obslab_lab"
#define PG_LOCK_KEY INT64_C(0x6f62736c6c616201) /* "obsllab\1" */
#define PG_CONNECT_TIMEOUT_MS 5000
#define PG_LOCK_WAIT_MS 1000 /* pg_open waits this long for the driver's lock to be let go */
#define PG_STATEMENT_TIMEOUT_MS 30000

#define PG_LOCK_RETRY_MS 1000 /* lock_timeout_ms < 0: each try waits this long for a lock */

struct pg_options {
	int connect_timeout_ms;   /* 0: PG_CONNECT_TIMEOUT_MS */
	int statement_timeout_ms; /* 0: PG_STATEMENT_TIMEOUT_MS (raised to lock_timeout_ms + 1 s when shorter) */
	/* How long a statement waits for a lock another session holds on the
	 * lab's tables (the lab's lock-wait; SET lock_timeout): then it fails
	 * (SQLSTATE 55P03) with "another session holds a lock on obslab_lab.T
	 * (waited S s)", DB_ERROR. 0: no lock time-out (the statement time-out
	 * ends the wait). Negative: waits as long as it takes (the explorer):
	 * pg_exec tries again every PG_LOCK_RETRY_MS until the cancel counter
	 * moves, as do statements outside a transaction. pg_open's wait for
	 * the driver's advisory lock is PG_LOCK_WAIT_MS, whatever this says. */
	int lock_timeout_ms;
};

struct pgdb;

/* Whether --db's value names PostgreSQL: a postgresql:// or postgres:// URI,
 * or, when no file of that name exists, anything shaped like a libpq
 * keyword=value string whether libpq can read it or not: it starts with an
 * identifier and '=' ("host=x ...", "dbname = lab garbage"), or holds one
 * of libpq's keywords and '=' after a blank ("lab.db host=x"). A string
 * libpq cannot read is then refused by pg_open with libpq's reason (its
 * password removed), never taken for a file name. A SQLite file whose name
 * has that shape is named with a path ("./a=b.db") or exists already.
 * Looks at the text and the file system only. */
bool pg_is_conninfo(const char *db_arg);

/* The value as it may be shown: any password removed. */
void pg_conninfo_masked(const char *db_arg, char *buf, size_t cap);

/* Connects, judges or creates PG_SCHEMA, takes the driver's lock. */
enum db_status pg_open(const char *conninfo, const struct pg_options *opt, struct pgdb **out,
                       struct obslab_error *err);
/* A read-only connection for one server worker or a watcher: obslab's
 * schema and seeded, or refused; no lock; never writes. */
enum db_status pg_open_reader(const char *conninfo, const struct pg_options *opt, struct pgdb **out,
                              struct obslab_error *err);
void pg_close(struct pgdb *db); /* NULL: nothing */

/* Where it runs: db.system.name "postgresql", db.namespace (the database),
 * server.address / server.port (a socket directory and its port for a Unix
 * socket), the server's version, and a display line with no password. */
const struct labdb_info *pg_info(const struct pgdb *db);

/* As db.h's functions of the same names, on PG_SCHEMA. */
enum db_status pg_seed(struct pgdb *db, uint32_t users, uint64_t seed, db_progress_fn *progress, void *ctx,
                       struct obslab_error *err);
enum db_status pg_set_index(struct pgdb *db, bool on, struct obslab_error *err);
bool pg_index_serving(struct pgdb *db, char *name, size_t cap);
bool pg_read_state(struct pgdb *db, uint32_t *users, bool *index);
uint32_t pg_seeded_users(struct pgdb *db);
uint64_t pg_seeded_seed(struct pgdb *db);

/* A counter another thread bumps to cut the running statement short (it is
 * cancelled on the server; the call returns DB_INTERRUPTED) and to stop a
 * reconnect; NULL: none. pg_arm records its value now: statements that
 * follow are cancelled once it differs. */
void pg_set_cancel(struct pgdb *db, const _Atomic uint32_t *counter);
void pg_arm(struct pgdb *db);

/* The lab's statements, prepared once per connection (again after a
 * reconnect) under these names. */
enum pg_stmt {
	PG_STMT_USERS,     /* SELECT id, username, email FROM users ORDER BY id */
	PG_STMT_COUNT,     /* SELECT count(*) FROM orders WHERE user_id = $1 */
	PG_STMT_JOIN,      /* users LEFT OUTER JOIN orders ... GROUP BY ... ORDER BY id */
	PG_STMT_COUNT_ANY, /* SELECT user_id, count(*) FROM orders WHERE user_id = ANY($1::int[]) GROUP BY user_id */
	PG_STMT_COUNT_,
};
const char *pg_stmt_sql(enum pg_stmt s);

/* One result, as libpq gives it (text format). Valid until the next call
 * on db; the caller never frees it. */
struct pg_rows {
	void *res; /* PGresult * */
	int nrows, ncols;
};
const char *pg_value(const struct pg_rows *r, int row, int col, size_t *len);

/* The one execution point: runs prepared statement s with nparams text
 * parameters, a span when traced. DB_OK, DB_INTERRUPTED (cancelled),
 * DB_UNAVAILABLE (connection lost or the server does not answer within the
 * statement time-out), DB_ERROR; err filled. */
enum db_status pg_exec(struct pgdb *db, enum pg_stmt s, int nparams, const char *const *values,
                       struct pg_rows *out, struct obslab_error *err);

/* libpq's pipeline mode: s run n times, parameters i*nparams.., one
 * pipeline with one sync at the end: no statement waits for an answer.
 * The statements go out a few dozen at a time, and the answers that have
 * come are read between (so neither side's buffers fill at scale, and the
 * answers are freed as read); on_result(arg, i, rows) per answer in order.
 * Each execution is a span from its send to its answer (the spans
 * overlap); its network share is as pg_exec's. */
typedef void pg_result_fn(void *arg, size_t i, const struct pg_rows *rows);
enum db_status pg_exec_pipelined(struct pgdb *db, enum pg_stmt s, size_t n, int nparams,
                                 const char *const *values, pg_result_fn *on_result, void *arg,
                                 struct obslab_error *err);

/* Tracing, as sqltrace does for SQLite; tracer and names are borrowed. */
void pg_trace_attach(struct pgdb *db, struct tracer *tracer, struct strtab *names);

/* The time the traced statements took since the last call, as
 * analysis_attribution counts it from their spans: query_ns the union of
 * their intervals (a pipeline's overlapping spans counted once), wait_ns
 * the union of their network shares; then starts again from zero (as
 * sqltrace_take_totals). */
void pg_take_totals(struct pgdb *db, int64_t *query_ns, int64_t *wait_ns);

/*
 * The round trip, measured: the median of the last PG_RTT_SAMPLES empty
 * statements (";") timed over this connection, refreshed by pg_measure_rtt
 * (the workload calls it between requests, outside any trace). A traced
 * statement's network share is min(round trip, its duration); its
 * database share the rest. 0 before the first measurement.
 */
#define PG_RTT_SAMPLES 16
int64_t pg_rtt_ns(const struct pgdb *db);
enum db_status pg_measure_rtt(struct pgdb *db, int samples, struct obslab_error *err);

/*
 * The server's own clock, when pg_stat_statements is loaded in the
 * database: the execution time of the lab's statements since the last
 * call (total_exec_time deltas of PG_SCHEMA's statements), and their calls.
 * False when the extension is not there (nothing is created for it).
 */
bool pg_server_exec(struct pgdb *db, int64_t *exec_ns, uint64_t *calls);

/* Whether the connection is up; DB_OK once it is again, or why not. */
bool pg_connected(const struct pgdb *db);
enum db_status pg_reconnect(struct pgdb *db, struct obslab_error *err);

#endif
