/*
 * pg_wait — how every statement obslab sends to PostgreSQL is waited for:
 * the socket polled in short slices, the cancel counter and the deadline
 * checked between them, a cancelled or timed-out statement cancelled on the
 * server and its answers drained; and the one-line messages made of what
 * the server said.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "obslab/clock.h"
#include "pg_internal.h"

enum db_status pg_fail(struct obslab_error *err, enum db_status st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	obslab_error_vset(err, fmt, ap);
	va_end(ap);
	return st;
}

bool pg_cancelled(const struct pgdb *db)
{
	return db->cancel && atomic_load_explicit(db->cancel, memory_order_relaxed) != db->armed;
}

void pg_set_cancel(struct pgdb *db, const _Atomic uint32_t *counter)
{
	db->cancel = counter;
	pg_arm(db);
}

void pg_arm(struct pgdb *db)
{
	db->armed = db->cancel ? atomic_load_explicit(db->cancel, memory_order_relaxed) : 0;
}

int64_t pg_statement_deadline(const struct pgdb *db)
{
	return clock_now_ns() + (int64_t)db->statement_timeout_ms * CLOCK_NS_PER_MS;
}

/* The first line of text, without the "ERROR:  " / "FATAL:  " severity
 * libpq puts before a server's message, trailing blanks cut. */
static void first_line(const char *text, char *buf, size_t cap)
{
	if (cap == 0)
		return;
	if (!text)
		text = "";
	if (strncmp(text, "ERROR:  ", 8) == 0 || strncmp(text, "FATAL:  ", 8) == 0)
		text += 8;
	size_t n = strcspn(text, "\r\n");
	while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t'))
		n--;
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, text, n);
	buf[n] = '\0';
}

void pg_message(const PGconn *conn, const PGresult *res, char *buf, size_t cap)
{
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (primary && *primary)
		first_line(primary, buf, cap);
	else if (res && *PQresultErrorMessage(res))
		first_line(PQresultErrorMessage(res), buf, cap);
	else
		first_line(conn ? PQerrorMessage(conn) : "no connection", buf, cap);
	if (!buf[0])
		(void)snprintf(buf, cap, "the server gave no reason");
}

/* One poll of the socket: for reading, and for writing while output is
 * still queued. False if the socket is gone. */
static bool wait_socket(PGconn *conn, bool want_write, int timeout_ms)
{
	int fd = PQsocket(conn);
	if (fd < 0)
		return false;
	struct pollfd p = { .fd = fd, .events = (short)(POLLIN | (want_write ? POLLOUT : 0)) };
	int rc = poll(&p, 1, timeout_ms);
	return rc >= 0 || errno == EINTR;
}

static int slice_ms(int64_t deadline_ns)
{
	int64_t left = deadline_ns - clock_now_ns();
	if (left <= 0)
		return 0;
	int64_t ms = (left + CLOCK_NS_PER_MS - 1) / CLOCK_NS_PER_MS;
	return ms < PG_POLL_SLICE_MS ? (int)ms : PG_POLL_SLICE_MS;
}

/* Reads and throws away whatever answers are still coming (a cancelled
 * statement's, a pipeline's up to its sync), for at most the connect
 * time-out; false if the connection could not be brought back to idle. */
static bool drain(struct pgdb *db)
{
	PGconn *conn = db->conn;
	int64_t deadline = clock_now_ns() + (int64_t)db->connect_timeout_ms * CLOCK_NS_PER_MS;
	for (;;) {
		while (PQflush(conn) == 0 && PQconsumeInput(conn) && !PQisBusy(conn) && clock_now_ns() < deadline) {
			PGresult *r = PQgetResult(conn);
			if (!r) {
				if (PQpipelineStatus(conn) == PQ_PIPELINE_OFF || PQexitPipelineMode(conn))
					return PQtransactionStatus(conn) == PQTRANS_IDLE ||
					       PQtransactionStatus(conn) == PQTRANS_INTRANS ||
					       PQtransactionStatus(conn) == PQTRANS_INERROR;
				continue; /* a pipeline: the next query's results follow */
			}
			PQclear(r);
		}
		if (PQstatus(conn) != CONNECTION_OK || clock_now_ns() >= deadline)
			return false;
		if (!wait_socket(conn, true, slice_ms(deadline)))
			return false;
	}
}

/* Asks the server to stop the running statement (a connection of its own,
 * as libpq's PQcancel makes), then drains. */
static bool cancel_and_drain(struct pgdb *db)
{
	PGcancel *c = PQgetCancel(db->conn);
	if (c) {
		char ignored[256];
		(void)PQcancel(c, ignored, (int)sizeof ignored);
		PQfreeCancel(c);
	}
	return drain(db);
}

static enum db_status lost(struct pgdb *db, struct obslab_error *err)
{
	char msg[256];
	pg_message(db->conn, NULL, msg, sizeof msg);
	return pg_fail(err, DB_UNAVAILABLE, "%s; lost the connection to %s", msg, db->info.display);
}

enum db_status pg_await(struct pgdb *db, int64_t deadline_ns, struct obslab_error *err)
{
	PGconn *conn = db->conn;
	if (!conn || PQstatus(conn) != CONNECTION_OK)
		return lost(db, err);
	for (;;) {
		int flushed = PQflush(conn); /* 0: all sent, 1: more queued, -1: failed */
		if (flushed < 0 || !PQconsumeInput(conn))
			return lost(db, err);
		if (flushed == 0 && !PQisBusy(conn))
			return DB_OK;
		if (pg_cancelled(db)) {
			if (!cancel_and_drain(db))
				PQreset(conn); /* back to a known state; pg_connected tells */
			return pg_fail(err, DB_INTERRUPTED, "cancelled");
		}
		if (clock_now_ns() >= deadline_ns) {
			bool back = cancel_and_drain(db);
			return pg_fail(err, DB_UNAVAILABLE, "%s did not answer within the statement time-out (%d ms)%s",
			               db->info.display, db->statement_timeout_ms, back ? "; the statement was cancelled" : "");
		}
		if (!wait_socket(conn, flushed == 1, slice_ms(deadline_ns)))
			return lost(db, err);
	}
}

bool pg_lock_refused(const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	return state && strcmp(state, "55P03") == 0; /* lock_not_available: lock_timeout */
}

/* Another session's lock outlasted the lock time-out: which of the lab's
 * tables it holds (the strongest lock another backend was granted there),
 * asked once the failed statement's answers are read; outside a pipeline. */
static enum db_status lock_held(struct pgdb *db, struct obslab_error *err)
{
	char table[128] = "";
	PGconn *conn = db->conn;
	if (!db->in_lookup && PQpipelineStatus(conn) == PQ_PIPELINE_OFF) {
		PGresult *r;
		while (pg_await(db, pg_statement_deadline(db), NULL) == DB_OK && (r = PQgetResult(conn)))
			PQclear(r);
		db->in_lookup = true;
		struct obslab_error ignored;
		(void)pg_scalar(db,
		                "SELECT c.relname FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_class c ON c.oid = l.relation"
		                " WHERE l.granted AND l.pid <> pg_catalog.pg_backend_pid()"
		                " AND c.relnamespace = '" PG_SCHEMA "'::pg_catalog.regnamespace"
		                " ORDER BY l.mode = 'AccessExclusiveLock' DESC, c.relkind <> 'r', c.relname LIMIT 1",
		                0, NULL, table, sizeof table, &ignored);
		db->in_lookup = false;
	}
	int ms = db->lock_timeout_ms > 0 ? db->lock_timeout_ms : PG_LOCK_RETRY_MS;
	return pg_fail(err, DB_ERROR, "another session holds a lock on " PG_SCHEMA "%s%s (waited %g s; %s)",
	               table[0] ? "." : "", table, ms / 1000.0, db->info.display);
}

enum db_status pg_result_fail(struct pgdb *db, const PGresult *res, struct obslab_error *err)
{
	char msg[320];
	pg_message(db->conn, res, msg, sizeof msg);
	if (PQstatus(db->conn) != CONNECTION_OK) /* the reason first: a log field may cut the rest */
		return pg_fail(err, DB_UNAVAILABLE, "%s; lost the connection to %s", msg, db->info.display);
	if (pg_lock_refused(res))
		return lock_held(db, err);
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (state && strcmp(state, "57014") == 0) /* query_canceled: the server's statement_timeout */
		return pg_fail(err, DB_UNAVAILABLE, "%s: %s (statement time-out %d ms)", db->info.display, msg,
		               db->statement_timeout_ms);
	if (state && strncmp(state, "57P", 3) == 0) /* admin shutdown, crash: the server is going away */
		return pg_fail(err, DB_UNAVAILABLE, "%s (%s)", msg, db->info.display);
	return pg_fail(err, DB_ERROR, "%s", msg);
}

/* One try of pg_query; *st DB_LOCKED: to be tried again (a lock waited for
 * as long as it takes, outside a transaction). */
static PGresult *query_once(struct pgdb *db, const char *sql, int nparams, const char *const *values,
                            enum db_status *st, struct obslab_error *err)
{
	if (!db->conn || PQstatus(db->conn) != CONNECTION_OK) {
		*st = lost(db, err);
		return NULL;
	}
	int sent = nparams > 0 ? PQsendQueryParams(db->conn, sql, nparams, NULL, values, NULL, NULL, 0)
	                       : PQsendQuery(db->conn, sql);
	if (!sent) {
		*st = pg_result_fail(db, NULL, err);
		return NULL;
	}
	/* Several statements in one string give several results: the first
	 * failure, else the last one. */
	PGresult *kept = NULL;
	for (;;) {
		if ((*st = pg_await(db, pg_statement_deadline(db), err)) != DB_OK) {
			PQclear(kept);
			return NULL;
		}
		PGresult *r = PQgetResult(db->conn);
		if (!r)
			break;
		bool kept_failed = kept && PQresultStatus(kept) != PGRES_COMMAND_OK && PQresultStatus(kept) != PGRES_TUPLES_OK &&
		                   PQresultStatus(kept) != PGRES_EMPTY_QUERY;
		if (kept_failed) {
			PQclear(r);
		} else {
			PQclear(kept);
			kept = r;
		}
	}
	if (!kept) {
		*st = pg_result_fail(db, NULL, err);
		return NULL;
	}
	ExecStatusType s = PQresultStatus(kept);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && s != PGRES_EMPTY_QUERY && db->lock_timeout_ms < 0 &&
	    pg_lock_refused(kept) && PQtransactionStatus(db->conn) == PQTRANS_IDLE && !pg_cancelled(db)) {
		PQclear(kept); /* waiting as long as it takes: again (nothing was done) */
		*st = DB_LOCKED;
		return NULL;
	}
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && s != PGRES_EMPTY_QUERY) {
		*st = pg_result_fail(db, kept, err);
		PQclear(kept);
		return NULL;
	}
	*st = DB_OK;
	return kept;
}

PGresult *pg_query(struct pgdb *db, const char *sql, int nparams, const char *const *values, enum db_status *st,
                   struct obslab_error *err)
{
	PGresult *r;
	while ((r = query_once(db, sql, nparams, values, st, err)) == NULL && *st == DB_LOCKED)
		;
	return r;
}

enum db_status pg_command(struct pgdb *db, const char *sql, int nparams, const char *const *values,
                          struct obslab_error *err)
{
	enum db_status st;
	PQclear(pg_query(db, sql, nparams, values, &st, err));
	return st;
}

enum db_status pg_scalar(struct pgdb *db, const char *sql, int nparams, const char *const *values, char *buf,
                         size_t cap, struct obslab_error *err)
{
	enum db_status st;
	PGresult *r = pg_query(db, sql, nparams, values, &st, err);
	if (cap > 0)
		buf[0] = '\0';
	if (r && PQntuples(r) > 0 && PQnfields(r) > 0 && !PQgetisnull(r, 0, 0))
		(void)snprintf(buf, cap, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return st;
}
