/*
 * request — the lab's endpoint, GET /users/analytics: every user with their
 * order count, computed by one of four strategies, as one trace.
 *
 *   naive      1 query for the users, then 1 count query per user (1 + N)
 *   optimized  1 LEFT JOIN ... GROUP BY query
 *   eager      the users, then counts for IN (...) chunks of 500 ids
 *              (SQLAlchemy's selectinload): 1 + ceil(N / 500); on
 *              PostgreSQL = ANY($1::int[]) with one array per chunk
 *   pipelined  naive's 1 + N queries, the N count queries sent in libpq's
 *              pipeline mode without waiting for each answer: PostgreSQL
 *              only (SQLite has no round trips; request_run refuses it)
 *
 * All return the same users and counts, and the same response body shape
 * as the original web app, on either engine. The handler has no tracing
 * code of its own beyond the request's root span and its serialization
 * span: the queries are traced by the engine's execution point (sqltrace on
 * a SQLite connection, pg_exec on PostgreSQL). A request_ctx owns its
 * prepared statements (SQLite's; PostgreSQL's belong to the pgdb); it
 * borrows the connection, tracer, string table and log ring, and belongs to
 * the thread that runs the requests.
 */
#ifndef OBSLAB_REQUEST_H
#define OBSLAB_REQUEST_H

#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/db.h"
#include "obslab/labdb.h"

struct labdb;
struct ring;
struct strtab;
struct tracer;

enum strategy {
	STRATEGY_NAIVE,
	STRATEGY_OPTIMIZED,
	STRATEGY_EAGER,
	STRATEGY_PIPELINED, /* PostgreSQL only */
	STRATEGY_COUNT,
};

/* The strategies SQLite runs: the first three (pipelined needs a server). */
#define STRATEGY_SQLITE_COUNT 3

#define REQUEST_ROUTE "/users/analytics"
#define REQUEST_SPAN_NAME "GET " REQUEST_ROUTE
#define REQUEST_SERIALIZE_SPAN_NAME "serialize response"
#define REQUEST_EAGER_CHUNK 500

const char *strategy_name(enum strategy s); /* "naive", "optimized", "eager", "pipelined" */
bool strategy_parse(const char *name, enum strategy *out);
/* How many strategies an engine runs, from STRATEGY_NAIVE on: every list,
 * comparison and sweep iterates strategy_count(engine) (SQLite: 3). */
unsigned strategy_count(enum labdb_engine engine);

/* The one line a pipelined request on SQLite is refused with. */
#define REQUEST_PIPELINED_REFUSAL \
	"the pipelined strategy needs PostgreSQL (libpq's pipeline mode); --db postgresql://…"

/* A user as the database holds them: username and email whole, whatever
 * their length, as offsets of NUL-terminated UTF-8 in the result's text
 * (bytes that are not UTF-8 in the database become U+FFFD). */
struct user_row {
	int64_t id;
	size_t username, email; /* request_result.text + offset */
	int64_t order_count;
};

/* What one request produced. Reused across requests; request_result_free
 * releases it. */
struct request_result {
	struct user_row *users;
	size_t nusers, cap;
	char *text;            /* the users' usernames and emails */
	size_t text_len, text_cap;
	uint32_t queries;      /* statements the strategy ran */
	int64_t start_ns, end_ns;
	char *body;            /* the JSON response body */
	size_t body_len;
};

void request_result_free(struct request_result *res);

struct request_ctx;

/* logs may be NULL. Never returns NULL (xalloc.h). request_ctx_create runs
 * the lab's database whichever its engine (labdb.h); _sqlite on a SQLite
 * connection as such. */
struct request_ctx *request_ctx_create(struct labdb *db, struct tracer *tracer, struct strtab *names,
                                       struct ring *logs);
struct request_ctx *request_ctx_create_sqlite(sqlite3 *db, struct tracer *tracer, struct strtab *names,
                                              struct ring *logs);
void request_ctx_destroy(struct request_ctx *ctx);

/* A counter that another thread bumps to cancel the running request: a
 * request stops at its next statement (or within a few thousand SQLite VM
 * steps of a long one) once the counter differs from its value at the
 * request's start, and request_run returns DB_INTERRUPTED. */
void request_ctx_set_cancel(struct request_ctx *ctx, const _Atomic uint32_t *counter);
/* Records the counter now, for the next request_run: call it before the
 * caller checks its own stop and settings, so that a cancel that comes
 * between that check and the request still cancels the request. */
void request_ctx_arm(struct request_ctx *ctx);

/* A counter the request keeps at the statements it has run so far (any
 * thread may read it; the request only stores). NULL: none. */
void request_ctx_set_progress(struct request_ctx *ctx, _Atomic uint32_t *queries);

/* The root span's name for the requests that follow (a strtab id; the
 * server names it after its route); REQUEST_SPAN_NAME until set. */
void request_ctx_set_root_name(struct request_ctx *ctx, uint32_t name);

/* The next request_run only: its trace is the caller's trace_id
 * (tracer_begin_trace_in; an incoming traceparent's), not a fresh one.
 * NULL: a fresh one (as without a call). */
void request_ctx_set_trace_id(struct request_ctx *ctx, const uint8_t trace_id[16]);

/* Called by request_run as the request's root span is about to end (its
 * spans but the root pushed, the tracer's trace id the request's) with the
 * status request_run will return: obslab serve hands its request's HTTP
 * facts to the consumer before the root, so the consumer has them when the
 * trace completes. NULL: none. */
typedef void request_end_fn(void *arg, enum db_status status);
void request_ctx_set_on_end(struct request_ctx *ctx, request_end_fn *fn, void *arg);

/* Flags (enum span_flag) added to the root span of the requests that follow. */
void request_ctx_set_root_flags(struct request_ctx *ctx, uint8_t flags);

/* The settings the requests run under, as the database has them, recorded
 * on each root span: whether orders.user_id is indexed, and the users (a
 * request that completes records the users it read; a cancelled one, these).
 * A request during which the connection read a changed database (another
 * connection committed) is flagged SPAN_F_DB_CHANGED. */
void request_ctx_set_index(struct request_ctx *ctx, bool on);
void request_ctx_set_users(struct request_ctx *ctx, uint32_t users);

/* Whether the context's engine runs the strategy (pipelined: PostgreSQL). */
bool request_ctx_can_run(const struct request_ctx *ctx, enum strategy strategy);

/* Runs one request. DB_OK, DB_INTERRUPTED, or an error with err filled:
 * DB_UNAVAILABLE when PostgreSQL's connection is lost (the root span is
 * SPAN_F_ERROR; DB_INTERRUPTED's SPAN_F_CANCELLED). A strategy the engine
 * cannot run is refused before anything runs (DB_ERROR, no trace; for
 * pipelined on SQLite, REQUEST_PIPELINED_REFUSAL). */
enum db_status request_run(struct request_ctx *ctx, enum strategy strategy,
                           struct request_result *res, struct obslab_error *err);

#endif
