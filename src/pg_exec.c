/*
 * pg_exec — the one place the lab's statements run on PostgreSQL (see
 * pg.h): prepared once per connection, sent with text parameters, waited
 * for through pg_await (cancel counter, statement time-out), one client
 * span each while a trace is open; libpq's pipeline mode for the pipelined
 * strategy; the round trip measured with empty statements; the server's
 * own execution time from pg_stat_statements.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/clock.h"
#include "obslab/sqlfp.h"
#include "obslab/strtab.h"
#include "obslab/tracer.h"
#include "obslab/xalloc.h"
#include "pg_internal.h"

#define OID_INT4 23
#define OID_INT4_ARRAY 1007
/* A pipeline's statements are handed to the server this many at a time,
 * the answers that have come taken between. */
#define PIPE_BATCH 32

struct stmt_def {
	const char *name, *sql;
	int nparams;
	Oid type;
};

static const struct stmt_def stmts[PG_STMT_COUNT_] = {
	[PG_STMT_USERS] = { "obslab_users", "SELECT id, username, email FROM " PG_Q("users") " ORDER BY id", 0, 0 },
	[PG_STMT_COUNT] = { "obslab_count", "SELECT count(*) FROM " PG_Q("orders") " WHERE user_id = $1", 1, OID_INT4 },
	[PG_STMT_JOIN] = { "obslab_join",
	                   "SELECT users.id, users.username, users.email, count(orders.id) AS order_count"
	                   " FROM " PG_Q("users") " LEFT OUTER JOIN " PG_Q("orders") " ON users.id = orders.user_id"
	                   " GROUP BY users.id ORDER BY users.id",
	                   0, 0 },
	[PG_STMT_COUNT_ANY] = { "obslab_count_any",
	                        "SELECT user_id, count(*) FROM " PG_Q("orders") " WHERE user_id = ANY($1) GROUP BY user_id",
	                        1, OID_INT4_ARRAY },
};

const char *pg_stmt_sql(enum pg_stmt s)
{
	return (unsigned)s < PG_STMT_COUNT_ ? stmts[s].sql : "";
}

enum db_status pg_prepare_all(struct pgdb *db, struct obslab_error *err)
{
	for (int i = 0; i < PG_STMT_COUNT_; i++) {
		const struct stmt_def *d = &stmts[i];
		if (!PQsendPrepare(db->conn, d->name, d->sql, d->nparams, d->nparams ? &d->type : NULL))
			return pg_fail(err, DB_UNAVAILABLE, "lost the connection to %s", db->info.display);
		enum db_status st = DB_OK;
		PGresult *r;
		while ((st = pg_await(db, pg_statement_deadline(db), err)) == DB_OK && (r = PQgetResult(db->conn))) {
			if (PQresultStatus(r) != PGRES_COMMAND_OK && pg_lock_refused(r) && db->lock_timeout_ms < 0 &&
			    !pg_cancelled(db)) {
				st = DB_LOCKED; /* waited for as long as it takes: prepared again */
			} else if (PQresultStatus(r) != PGRES_COMMAND_OK && st == DB_OK && pg_lock_refused(r)) {
				st = pg_result_fail(db, r, err); /* another session's lock, named */
			} else if (PQresultStatus(r) != PGRES_COMMAND_OK && st == DB_OK) {
				char msg[256];
				pg_message(db->conn, r, msg, sizeof msg);
				st = pg_fail(err, DB_ERROR, "cannot prepare the lab's statements on %s: %s", db->info.display, msg);
			}
			PQclear(r);
			if (st != DB_OK)
				break;
		}
		if (st == DB_LOCKED) {
			while (pg_await(db, pg_statement_deadline(db), NULL) == DB_OK && (r = PQgetResult(db->conn)))
				PQclear(r);
			i--;
			continue;
		}
		if (st != DB_OK)
			return st;
	}
	db->prepared = true;
	return DB_OK;
}

const char *pg_value(const struct pg_rows *r, int row, int col, size_t *len)
{
	if (!r || !r->res || row < 0 || col < 0 || row >= r->nrows || col >= r->ncols) {
		if (len)
			*len = 0;
		return NULL;
	}
	if (len)
		*len = (size_t)PQgetlength(r->res, row, col);
	return PQgetvalue(r->res, row, col);
}

void pg_trace_attach(struct pgdb *db, struct tracer *tracer, struct strtab *names)
{
	db->tracer = tracer;
	db->names = names;
	for (int i = 0; i < PG_STMT_COUNT_; i++)
		db->fingerprint[i] = names ? sqlfp_intern_dialect(names, stmts[i].sql, strlen(stmts[i].sql), SQLFP_POSTGRESQL)
		                           : STRTAB_NONE;
}

/* [lo, hi) into a union of intervals added in order of their starts. */
static void union_add(struct pg_union *u, int64_t lo, int64_t hi)
{
	if (hi <= lo)
		return;
	if (u->hi > u->lo && lo <= u->hi) {
		if (hi > u->hi)
			u->hi = hi;
		return;
	}
	u->sum += u->hi - u->lo;
	u->lo = lo;
	u->hi = hi;
}

static int64_t union_take(struct pg_union *u)
{
	int64_t total = u->sum + (u->hi - u->lo);
	*u = (struct pg_union){ 0 };
	return total;
}

void pg_take_totals(struct pgdb *db, int64_t *query_ns, int64_t *wait_ns)
{
	*query_ns = union_take(&db->query_union);
	*wait_ns = union_take(&db->wait_union);
}

/* The statement's span, from its send to its answer. */
static void record(struct pgdb *db, enum pg_stmt s, int64_t start, int64_t end, const PGresult *r, bool failed)
{
	struct tracer *t = db->tracer;
	if (!t || !tracer_enabled(t) || !tracer_in_trace(t))
		return;
	struct span_record rec;
	tracer_open_leaf(t, &rec, db->fingerprint[s], SPAN_KIND_CLIENT, start);
	rec.flags = (uint8_t)(SPAN_F_DB | (failed ? SPAN_F_ERROR : 0));
	rec.db_system = SPAN_DB_POSTGRESQL;
	int n = r ? PQntuples(r) : 0;
	rec.u.db.rows = n > 0 ? (uint32_t)n : 0;
	int64_t took = end > start ? end - start : 0;
	int64_t net = db->rtt_ns < took ? db->rtt_ns : took;
	rec.u.db.net_wait_ns = net > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)net;
	union_add(&db->query_union, start, end);
	union_add(&db->wait_union, start, start + (int64_t)rec.u.db.net_wait_ns);
	(void)tracer_close_leaf_at(t, &rec, end);
}

static bool result_ok(const PGresult *r)
{
	return r && (PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK);
}

static enum db_status ready(struct pgdb *db, struct obslab_error *err)
{
	PQclear(db->last);
	db->last = NULL;
	if (!pg_connected(db))
		return pg_fail(err, DB_UNAVAILABLE, "not connected to %s", db->info.display);
	if (pg_cancelled(db))
		return pg_fail(err, DB_INTERRUPTED, "cancelled");
	return db->prepared ? DB_OK : pg_prepare_all(db, err);
}

enum db_status pg_exec(struct pgdb *db, enum pg_stmt s, int nparams, const char *const *values, struct pg_rows *out,
                       struct obslab_error *err)
{
	*out = (struct pg_rows){ 0 };
	if ((unsigned)s >= PG_STMT_COUNT_ || nparams != stmts[s].nparams)
		return pg_fail(err, DB_ERROR, "statement %d takes %d parameters", (int)s,
		               (unsigned)s < PG_STMT_COUNT_ ? stmts[s].nparams : 0);
	enum db_status st = ready(db, err);
	if (st != DB_OK)
		return st;
	int64_t start = clock_now_ns(), end;
	PGresult *r;
	for (;;) { /* once; again while another session's lock is waited for as long as it takes */
		if (!PQsendQueryPrepared(db->conn, stmts[s].name, nparams, values, NULL, NULL, 0))
			return pg_result_fail(db, NULL, err);
		st = pg_await(db, pg_statement_deadline(db), err);
		end = clock_now_ns();
		r = st == DB_OK ? PQgetResult(db->conn) : NULL;
		if (st != DB_OK || result_ok(r) || db->lock_timeout_ms >= 0 || !pg_lock_refused(r) || pg_cancelled(db))
			break;
		PQclear(r);
		PGresult *more;
		while (pg_await(db, pg_statement_deadline(db), NULL) == DB_OK && (more = PQgetResult(db->conn)))
			PQclear(more);
	}
	if (st == DB_OK && !result_ok(r))
		st = pg_result_fail(db, r, err);
	record(db, s, start, end, r, st != DB_OK);
	/* The end of this statement's answers (ReadyForQuery). */
	PGresult *more;
	while (pg_connected(db) && pg_await(db, pg_statement_deadline(db), NULL) == DB_OK && (more = PQgetResult(db->conn)))
		PQclear(more);
	if (st != DB_OK) {
		PQclear(r);
		return st;
	}
	db->last = r;
	out->res = r;
	out->nrows = PQntuples(r);
	out->ncols = PQnfields(r);
	return DB_OK;
}

/* A pipeline's progress: what was sent, what was answered. */
struct pipe {
	struct pgdb *db;
	enum pg_stmt s;
	size_t n, sent, taken;
	int64_t *sent_at;
	pg_result_fn *on_result;
	void *arg;
	bool failed;
	struct obslab_error *err;
};

/* One query's answer, in order: its span, the caller's rows, freed. */
static enum db_status take_answer(struct pipe *p, PGresult *r)
{
	struct pgdb *db = p->db;
	enum db_status st = DB_OK;
	int64_t end = clock_now_ns();
	bool ok = result_ok(r);
	record(db, p->s, p->sent_at[p->taken], end, r, !ok);
	if (ok) {
		struct pg_rows rows = { r, PQntuples(r), PQnfields(r) };
		p->on_result(p->arg, p->taken, &rows);
	} else {
		st = PQresultStatus(r) == PGRES_PIPELINE_ABORTED ? pg_fail(p->err, DB_ERROR, "the pipeline was aborted")
		                                                  : pg_result_fail(db, r, p->err);
		p->failed = true;
	}
	p->taken++;
	PQclear(r);
	return st;
}

/* Whatever answers have arrived, taken without waiting (PQisBusy false),
 * while statements are still being sent. */
static enum db_status take_ready(struct pipe *p)
{
	PGconn *conn = p->db->conn;
	if (!PQconsumeInput(conn))
		return pg_result_fail(p->db, NULL, p->err);
	while (p->taken < p->sent && !p->failed && !PQisBusy(conn)) {
		PGresult *r = PQgetResult(conn);
		if (!r)
			continue; /* the end of one query's results: the next one's follow */
		enum db_status st = take_answer(p, r);
		if (st != DB_OK)
			return st;
	}
	return DB_OK;
}

/* Hands what is queued to the server, taking answers meanwhile (a server
 * whose answers are not read stops reading); stops early, leaving the rest
 * to the read phase, when the counter moves or the deadline passes. */
static enum db_status flush_taking(struct pipe *p, int64_t deadline)
{
	PGconn *conn = p->db->conn;
	for (;;) {
		int flushed = PQflush(conn);
		if (flushed < 0)
			return pg_result_fail(p->db, NULL, p->err);
		enum db_status st = take_ready(p);
		if (st != DB_OK || flushed == 0 || pg_cancelled(p->db) || clock_now_ns() >= deadline)
			return st;
		struct pollfd pfd = { .fd = PQsocket(conn), .events = POLLIN | POLLOUT };
		if (pfd.fd < 0 || (poll(&pfd, 1, PG_POLL_SLICE_MS) < 0 && errno != EINTR))
			return pg_result_fail(p->db, NULL, p->err);
	}
}

enum db_status pg_exec_pipelined(struct pgdb *db, enum pg_stmt s, size_t n, int nparams, const char *const *values,
                                 pg_result_fn *on_result, void *arg, struct obslab_error *err)
{
	if ((unsigned)s >= PG_STMT_COUNT_ || nparams != stmts[s].nparams)
		return pg_fail(err, DB_ERROR, "statement %d takes %d parameters", (int)s,
		               (unsigned)s < PG_STMT_COUNT_ ? stmts[s].nparams : 0);
	enum db_status st = ready(db, err);
	if (st != DB_OK || n == 0)
		return st;
	if (!PQenterPipelineMode(db->conn))
		return pg_result_fail(db, NULL, err);
	struct pipe p = { .db = db, .s = s, .n = n, .sent_at = xmalloc_array(n, sizeof(int64_t)),
		          .on_result = on_result, .arg = arg, .err = err };
	/* Sending: PIPE_BATCH statements at a time, each handed to the server
	 * before the next batch, the answers that have come taken between
	 * batches. Never waits for an answer: one pipeline, one sync at the
	 * end, one round trip's worth of waiting. */
	int64_t deadline = pg_statement_deadline(db);
	while (st == DB_OK && p.sent < n && !pg_cancelled(db) && clock_now_ns() < deadline) {
		size_t end = p.sent + PIPE_BATCH < n ? p.sent + PIPE_BATCH : n;
		for (; p.sent < end; p.sent++) {
			p.sent_at[p.sent] = clock_now_ns();
			if (!PQsendQueryPrepared(db->conn, stmts[s].name, nparams, values + p.sent * (size_t)nparams, NULL,
			                         NULL, 0)) {
				st = pg_result_fail(db, NULL, err);
				break;
			}
		}
		if (st == DB_OK)
			st = flush_taking(&p, deadline);
	}
	bool unavailable = st == DB_UNAVAILABLE;
	if (!unavailable && !PQpipelineSync(db->conn) && st == DB_OK)
		st = pg_result_fail(db, NULL, err);
	/* The rest of the answers, in order: each query's result, then a NULL; then the sync's. */
	bool synced = false;
	while (st == DB_OK && !synced) {
		st = pg_await(db, pg_statement_deadline(db), err);
		if (st != DB_OK)
			break;
		PGresult *r = PQgetResult(db->conn);
		if (!r)
			continue; /* the end of one query's results */
		if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
			synced = true;
			PQclear(r);
		} else if (p.taken < p.sent) {
			st = take_answer(&p, r);
		} else {
			PQclear(r);
		}
	}
	free(p.sent_at);
	if (st == DB_OK && p.taken < n)
		st = pg_cancelled(db) ? pg_fail(err, DB_INTERRUPTED, "cancelled")
		     : clock_now_ns() >= deadline
		             ? pg_fail(err, DB_UNAVAILABLE, "%s did not take the pipeline's statements within the statement time-out (%d ms)",
		                       db->info.display, db->statement_timeout_ms)
		             : pg_fail(err, DB_ERROR, "missing answers");
	/* After a failure: read up to the sync (pg_await has drained after a cancel). */
	PGresult *r;
	while (!synced && !unavailable && pg_connected(db) && PQpipelineStatus(db->conn) != PQ_PIPELINE_OFF &&
	       pg_await(db, pg_statement_deadline(db), NULL) == DB_OK) {
		if ((r = PQgetResult(db->conn)) == NULL)
			continue;
		synced = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
		PQclear(r);
	}
	if (pg_connected(db) && PQpipelineStatus(db->conn) != PQ_PIPELINE_OFF && !PQexitPipelineMode(db->conn))
		PQreset(db->conn); /* not back to normal mode: start afresh (re-prepared on next use) */
	return st;
}

/* ---- the round trip and the server's clock ------------------------------------ */

int64_t pg_rtt_ns(const struct pgdb *db)
{
	return db->rtt_ns;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

enum db_status pg_measure_rtt(struct pgdb *db, int samples, struct obslab_error *err)
{
	enum db_status st = ready(db, err);
	for (int k = 0; st == DB_OK && k < samples; k++) {
		int64_t t0 = clock_now_ns();
		if (!PQsendQuery(db->conn, ";"))
			return pg_result_fail(db, NULL, err);
		st = pg_await(db, pg_statement_deadline(db), err);
		int64_t t1 = clock_now_ns();
		PGresult *r = st == DB_OK ? PQgetResult(db->conn) : NULL;
		bool ok = r && PQresultStatus(r) == PGRES_EMPTY_QUERY;
		if (st == DB_OK && !ok)
			st = pg_result_fail(db, r, err);
		PQclear(r);
		while (pg_connected(db) && pg_await(db, pg_statement_deadline(db), NULL) == DB_OK && (r = PQgetResult(db->conn)))
			PQclear(r);
		if (st != DB_OK)
			break;
		db->rtt[db->rtt_next] = t1 - t0;
		db->rtt_next = (db->rtt_next + 1) % PG_RTT_SAMPLES;
		if (db->nrtt < PG_RTT_SAMPLES)
			db->nrtt++;
	}
	if (db->nrtt > 0) {
		int64_t sorted[PG_RTT_SAMPLES];
		memcpy(sorted, db->rtt, (size_t)db->nrtt * sizeof sorted[0]);
		qsort(sorted, (size_t)db->nrtt, sizeof sorted[0], cmp_i64);
		db->rtt_ns = db->nrtt % 2 ? sorted[db->nrtt / 2] : (sorted[db->nrtt / 2 - 1] + sorted[db->nrtt / 2]) / 2;
	}
	return st;
}

bool pg_server_exec(struct pgdb *db, int64_t *exec_ns, uint64_t *calls)
{
	*exec_ns = 0;
	*calls = 0;
	struct obslab_error ignored;
	char schema[128];
	/* The view lives where CREATE EXTENSION put it; nothing is created here. */
	if (pg_scalar(db,
	              "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
	              " WHERE e.extname = 'pg_stat_statements'",
	              0, NULL, schema, sizeof schema, &ignored) != DB_OK ||
	    !schema[0])
		return false;
	char *quoted = PQescapeIdentifier(db->conn, schema, strlen(schema));
	if (!quoted)
		return false;
	char sql[512];
	int len = snprintf(sql, sizeof sql,
	                   "SELECT coalesce(sum(total_exec_time), 0), coalesce(sum(calls), 0) FROM %s.pg_stat_statements"
	                   " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
	                   " AND query IN ($1, $2, $3, $4)",
	                   quoted);
	PQfreemem(quoted);
	if (len < 0 || (size_t)len >= sizeof sql)
		return false;
	const char *const texts[] = { stmts[0].sql, stmts[1].sql, stmts[2].sql, stmts[3].sql };
	enum db_status st;
	PGresult *r = pg_query(db, sql, 4, texts, &st, &ignored);
	if (!r || PQntuples(r) != 1) { /* the library not loaded: the view answers with an error */
		PQclear(r);
		return false;
	}
	double ms = strtod(PQgetvalue(r, 0, 0), NULL);
	uint64_t n = strtoull(PQgetvalue(r, 0, 1), NULL, 10);
	PQclear(r);
	if (db->server_primed && ms >= db->server_exec_ms && n >= db->server_calls) {
		*exec_ns = (int64_t)((ms - db->server_exec_ms) * (double)CLOCK_NS_PER_MS);
		*calls = n - db->server_calls;
	}
	db->server_primed = true;
	db->server_exec_ms = ms;
	db->server_calls = n;
	return true;
}
