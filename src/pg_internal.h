/*
 * pg_internal — what pg.c, pg_seed.c and pg_exec.c share: the connection's
 * state and the waiting that every statement goes through (a socket polled
 * in short slices, the cancel counter and a deadline checked between them).
 * Not a public header.
 */
#ifndef OBSLAB_PG_INTERNAL_H
#define OBSLAB_PG_INTERNAL_H

#include <libpq-fe.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "obslab/labdb.h"
#include "obslab/pg.h"

#define PG_POLL_SLICE_MS 20
#define PG_APPLICATION_ID "obsl"
#define PG_FORMAT "obslab"
#define PG_Q(name) PG_SCHEMA "." name /* a name in the lab's schema */

struct pgdb {
	PGconn *conn;
	char *conninfo; /* the caller's, for reconnecting: may hold a password, never shown */
	char shown[256]; /* the conninfo as messages name it (pg_conninfo_masked) */
	int connect_timeout_ms, statement_timeout_ms;
	int lock_timeout_ms; /* pg_options' (negative: retried, PG_LOCK_RETRY_MS a try) */
	bool in_lookup;      /* pg_result_fail is asking who holds a lock */
	bool reader;   /* pg_open_reader: read-only, no lock */
	bool prepared; /* the lab's statements are prepared on conn */
	bool locked;   /* this session holds the driver's lock (pg.c) */
	struct labdb_info info;
	const _Atomic uint32_t *cancel;
	uint32_t armed;
	PGresult *last; /* pg_exec's answer, until the next call */
	/* tracing (pg_exec.c) */
	struct tracer *tracer;
	struct strtab *names;
	uint32_t fingerprint[PG_STMT_COUNT_];
	int64_t rtt[PG_RTT_SAMPLES];
	int nrtt, rtt_next;
	int64_t rtt_ns;
	/* pg_take_totals: the union of the statements' intervals, and of their
	 * network shares, since the last take (added in order of their starts) */
	struct pg_union {
		int64_t lo, hi, sum;
	} query_union, wait_union;
	/* pg_server_exec's last reading */
	bool server_primed;
	double server_exec_ms;
	uint64_t server_calls;
};

enum db_status pg_fail(struct obslab_error *err, enum db_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The cancel counter moved since pg_arm. */
bool pg_cancelled(const struct pgdb *db);

/* One line for a failed result or connection: the server's primary message
 * (or libpq's first line), trailing space and newlines cut. */
void pg_message(const PGconn *conn, const PGresult *res, char *buf, size_t cap);

/* Flushes what was sent and waits until a result can be read without
 * blocking: DB_OK; DB_INTERRUPTED (the counter moved: the statement was
 * cancelled and its answers drained); DB_UNAVAILABLE (the deadline passed,
 * or the connection was lost). err filled when not DB_OK. */
enum db_status pg_await(struct pgdb *db, int64_t deadline_ns, struct obslab_error *err);

/* Sends sql (text parameters) and waits for its one result: the PGresult
 * (the caller PQclears it) with *st DB_OK, or NULL with *st and err set
 * (a failed statement: DB_ERROR with the server's message). Bounded by the
 * statement time-out; for the module's own statements (seeding, catalogue). */
PGresult *pg_query(struct pgdb *db, const char *sql, int nparams, const char *const *values, enum db_status *st,
                   struct obslab_error *err);
/* The same for a statement that returns no rows, or one value. */
enum db_status pg_command(struct pgdb *db, const char *sql, int nparams, const char *const *values,
                          struct obslab_error *err);
/* The first value of the first row into buf ("" if none); DB_OK or why not. */
enum db_status pg_scalar(struct pgdb *db, const char *sql, int nparams, const char *const *values, char *buf,
                         size_t cap, struct obslab_error *err);

/* A failed result (or send, res NULL): DB_UNAVAILABLE for a lost
 * connection, the statement time-out or a server going away, else
 * DB_ERROR; err has the server's primary message. */
enum db_status pg_result_fail(struct pgdb *db, const PGresult *res, struct obslab_error *err);

/* Whether a failed result is another session's lock outlasting the lock
 * time-out (SQLSTATE 55P03). */
bool pg_lock_refused(const PGresult *res);

/* The end of the statement time-out from now. */
int64_t pg_statement_deadline(const struct pgdb *db);

/* pg_conninfo.c: any text in msg that could be conninfo's password (a
 * URI's user info, a password key's value, as written and as libpq read
 * it) replaced by "***". */
void pg_scrub_password(const char *conninfo, char *msg, size_t cap);

/* pg_exec.c: the lab's statements on a fresh connection. */
enum db_status pg_prepare_all(struct pgdb *db, struct obslab_error *err);
/* pg_seed.c: the stamp's value for key into buf; DB_OK. */
enum db_status pg_meta_get(struct pgdb *db, const char *key, char *buf, size_t cap, struct obslab_error *err);

#endif
