/* The lab's statements on SQLite (request_backend.h): prepared once and
 * kept, as an ORM's statement cache does; a progress handler that cuts a
 * long statement short when the request is cancelled; eager's IN lists of
 * REQUEST_EAGER_CHUNK ids. The tracing is sqltrace's, on the connection. */
#include <stdlib.h>
#include <string.h>

#include "obslab/xalloc.h"
#include "request_backend.h"

static const char users_sql[] = "SELECT id, username, email FROM users ORDER BY id";
static const char count_sql[] = "SELECT count(*) FROM orders WHERE user_id = ?";
static const char join_sql[] =
	"SELECT users.id, users.username, users.email, count(orders.id) AS order_count "
	"FROM users LEFT OUTER JOIN orders ON users.id = orders.user_id "
	"GROUP BY users.id ORDER BY users.id";

/* SQLite calls the progress handler every PROGRESS_STEPS VM steps: a
 * nonzero return interrupts the statement, so even a long full scan stops
 * promptly. */
#define PROGRESS_STEPS 4096

struct sqlite_backend {
	struct request_backend base;
	sqlite3 *db;
	int rc; /* the last failure's SQLite code */
	sqlite3_stmt *users_stmt, *count_stmt, *join_stmt;
	sqlite3_stmt *chunk_stmt; /* IN list of REQUEST_EAGER_CHUNK ids */
	sqlite3_stmt *tail_stmt;  /* IN list of tail_len ids, the last chunk */
	size_t tail_len;
};

static struct sqlite_backend *of(struct request_backend *b)
{
	return (struct sqlite_backend *)b;
}

/* The status of a SQLite code, remembering a failure's for errmsg. */
static enum db_status status_of(struct sqlite_backend *s, int rc)
{
	if (rc == SQLITE_OK)
		return DB_OK;
	s->rc = rc;
	return (rc & 0xff) == SQLITE_INTERRUPT ? DB_INTERRUPTED
	       : (rc & 0xff) == SQLITE_CORRUPT ? DB_NOTADB
	                                       : DB_ERROR;
}

/* Prepares on first use and keeps the statement. */
static int prepared(struct sqlite_backend *s, sqlite3_stmt **slot, const char *sql)
{
	if (*slot)
		return SQLITE_OK;
	return sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
}

static int prepare_in_list(struct sqlite_backend *s, sqlite3_stmt **slot, size_t n)
{
	static const char head[] = "SELECT user_id, count(*) FROM orders WHERE user_id IN (";
	static const char tail[] = ") GROUP BY user_id";
	size_t cap = sizeof head + 3 * n + sizeof tail;
	char *sql = xmalloc(cap);
	char *p = sql + sizeof head - 1;
	memcpy(sql, head, sizeof head - 1);
	for (size_t i = 0; i < n; i++) {
		if (i)
			*p++ = ',', *p++ = ' ';
		*p++ = '?';
	}
	memcpy(p, tail, sizeof tail);
	sqlite3_finalize(*slot);
	*slot = NULL;
	int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
	free(sql);
	return rc;
}

static size_t take_text(struct request_result *res, sqlite3_stmt *stmt, int col)
{
	const char *text = (const char *)sqlite3_column_text(stmt, col);
	return request_take_text(res, text, text ? (size_t)sqlite3_column_bytes(stmt, col) : 0);
}

static enum db_status sqlite_users(struct request_backend *b, bool with_counts, struct request_result *res)
{
	struct sqlite_backend *s = of(b);
	sqlite3_stmt **slot = with_counts ? &s->join_stmt : &s->users_stmt;
	int rc = prepared(s, slot, with_counts ? join_sql : users_sql);
	if (rc != SQLITE_OK)
		return status_of(s, rc);
	sqlite3_stmt *stmt = *slot;
	request_count_query(b->ctx, res);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct user_row *u = request_push_user(res);
		u->id = sqlite3_column_int64(stmt, 0);
		u->username = take_text(res, stmt, 1);
		u->email = take_text(res, stmt, 2);
		if (with_counts)
			u->order_count = sqlite3_column_int64(stmt, 3);
	}
	sqlite3_reset(stmt);
	return status_of(s, rc == SQLITE_DONE ? SQLITE_OK : rc);
}

static enum db_status sqlite_prepare(struct request_backend *b, enum strategy strategy)
{
	struct sqlite_backend *s = of(b);
	int rc = SQLITE_OK;
	switch (strategy) {
	case STRATEGY_NAIVE:
		rc = prepared(s, &s->users_stmt, users_sql);
		if (rc == SQLITE_OK)
			rc = prepared(s, &s->count_stmt, count_sql);
		break;
	case STRATEGY_OPTIMIZED: rc = prepared(s, &s->join_stmt, join_sql); break;
	case STRATEGY_EAGER: rc = prepared(s, &s->users_stmt, users_sql); break;
	case STRATEGY_PIPELINED:
	case STRATEGY_COUNT: rc = SQLITE_MISUSE; break;
	}
	return status_of(s, rc);
}

static enum db_status sqlite_count(struct request_backend *b, struct request_result *res, size_t i)
{
	struct sqlite_backend *s = of(b);
	int rc = prepared(s, &s->count_stmt, count_sql);
	if (rc != SQLITE_OK)
		return status_of(s, rc);
	sqlite3_stmt *stmt = s->count_stmt;
	sqlite3_bind_int64(stmt, 1, res->users[i].id);
	request_count_query(b->ctx, res);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		res->users[i].order_count = sqlite3_column_int64(stmt, 0);
		rc = SQLITE_OK;
	}
	sqlite3_reset(stmt);
	return status_of(s, rc);
}

static enum db_status sqlite_count_chunk(struct request_backend *b, struct request_result *res, size_t first,
                                         size_t n)
{
	struct sqlite_backend *s = of(b);
	sqlite3_stmt **slot = n == REQUEST_EAGER_CHUNK ? &s->chunk_stmt : &s->tail_stmt;
	int rc;
	if (!*slot || (slot == &s->tail_stmt && s->tail_len != n)) {
		rc = prepare_in_list(s, slot, n);
		if (slot == &s->tail_stmt)
			s->tail_len = rc == SQLITE_OK ? n : 0;
		if (rc != SQLITE_OK)
			return status_of(s, rc);
	}
	sqlite3_stmt *stmt = *slot;
	for (size_t i = 0; i < n; i++)
		sqlite3_bind_int64(stmt, (int)i + 1, res->users[first + i].id);
	request_count_query(b->ctx, res);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct user_row *u = request_find_user(res, first, first + n, sqlite3_column_int64(stmt, 0));
		if (u)
			u->order_count = sqlite3_column_int64(stmt, 1);
	}
	sqlite3_reset(stmt);
	return status_of(s, rc == SQLITE_DONE ? SQLITE_OK : rc);
}

static const char *sqlite_errmsg(struct request_backend *b)
{
	struct sqlite_backend *s = of(b);
	return s->rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(s->db);
}

static void sqlite_set_cancel(struct request_backend *b, const _Atomic uint32_t *counter,
                              request_interrupt_fn *interrupt, void *arg)
{
	struct sqlite_backend *s = of(b);
	sqlite3_progress_handler(s->db, counter ? PROGRESS_STEPS : 0, counter ? interrupt : NULL, arg);
}

static void sqlite_arm(struct request_backend *b)
{
	(void)b; /* the progress handler asks the context, which recorded the counter */
}

static uint32_t sqlite_version(struct request_backend *b)
{
	return db_pager_version(of(b)->db);
}

static void sqlite_destroy(struct request_backend *b)
{
	struct sqlite_backend *s = of(b);
	sqlite3_finalize(s->users_stmt);
	sqlite3_finalize(s->count_stmt);
	sqlite3_finalize(s->join_stmt);
	sqlite3_finalize(s->chunk_stmt);
	sqlite3_finalize(s->tail_stmt);
	free(s);
}

static const struct request_backend_ops sqlite_ops = {
	.destroy = sqlite_destroy,
	.prepare = sqlite_prepare,
	.users = sqlite_users,
	.count = sqlite_count,
	.count_chunk = sqlite_count_chunk,
	.count_pipelined = NULL, /* an embedded database has no round trips to overlap */
	.errmsg = sqlite_errmsg,
	.set_cancel = sqlite_set_cancel,
	.arm = sqlite_arm,
	.version = sqlite_version,
};

struct request_backend *request_backend_sqlite(sqlite3 *db)
{
	struct sqlite_backend *s = xcalloc(1, sizeof *s);
	s->base.ops = &sqlite_ops;
	s->base.count_sql = count_sql;
	s->db = db;
	return &s->base;
}

struct request_ctx *request_ctx_create_sqlite(sqlite3 *db, struct tracer *tracer, struct strtab *names,
                                              struct ring *logs)
{
	return request_ctx_create_backend(request_backend_sqlite(db), tracer, names, logs);
}
