/*
 * request_backend — what request.c's strategies need from a database
 * engine, and nothing more: the users (with their counts, for the JOIN),
 * one user's count, the counts of a chunk of users, the counts of every
 * user in one pipeline (NULL when the engine cannot), the last error, and
 * the cancel plumbing. request_sqlite.c runs them on SQLite, request_pg.c
 * on PostgreSQL (pg.h). Each operation is one statement (pipelined: n
 * statements sent together); the strategies count them, the engine's own
 * tracing (sqltrace, pg_exec) makes their spans.
 *
 * A backend belongs to its request_ctx (destroyed with it) and borrows its
 * connection. Operations return DB_OK, DB_INTERRUPTED (cancelled), or an
 * error (DB_ERROR, DB_NOTADB, DB_UNAVAILABLE) whose text errmsg gives.
 */
#ifndef OBSLAB_REQUEST_BACKEND_H
#define OBSLAB_REQUEST_BACKEND_H

#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/db.h"
#include "obslab/request.h"

struct pgdb;
struct request_backend;

/* Asked by the engine while a statement runs (SQLite's progress handler):
 * nonzero cuts the statement short. */
typedef int request_interrupt_fn(void *arg);

struct request_backend_ops {
	void (*destroy)(struct request_backend *b);
	/* Readies the statements the strategy starts with (SQLite prepares them
	 * on first use, as an ORM's cache does); NULL: nothing to do. */
	enum db_status (*prepare)(struct request_backend *b, enum strategy strategy);
	/* Each operation below calls request_count_query(b->ctx, res) as it
	 * sends a statement (pipelined: once per statement).
	 *
	 * Appends the users in id order to res: with_counts, the LEFT JOIN
	 * with each one's order count; else id, username, email. */
	enum db_status (*users)(struct request_backend *b, bool with_counts, struct request_result *res);
	/* res->users[i]'s order count. */
	enum db_status (*count)(struct request_backend *b, struct request_result *res, size_t i);
	/* The counts of res->users[first .. first + n), n <= REQUEST_EAGER_CHUNK,
	 * in one statement. */
	enum db_status (*count_chunk)(struct request_backend *b, struct request_result *res, size_t first, size_t n);
	/* Every user's count by one count statement each, all sent before the
	 * first answer is read. NULL: the engine cannot. */
	enum db_status (*count_pipelined)(struct request_backend *b, struct request_result *res);
	/* The last failure's text, one line. */
	const char *(*errmsg)(struct request_backend *b);
	/* The cancel counter (NULL: none); interrupt(arg) is asked during long
	 * statements where the engine can ask. */
	void (*set_cancel)(struct request_backend *b, const _Atomic uint32_t *counter,
	                   request_interrupt_fn *interrupt, void *arg);
	/* Records the counter now: statements that follow are cancelled once it
	 * differs (the engine's own check, where it has one). */
	void (*arm)(struct request_backend *b);
	/* A number that changes when another connection committed since the
	 * last look (db_pager_version); NULL: not known. */
	uint32_t (*version)(struct request_backend *b);
};

struct request_backend {
	const struct request_backend_ops *ops;
	struct request_ctx *ctx; /* set by request_ctx_create_backend */
	const char *count_sql; /* the count statement's text, for the naive log line's fingerprint */
};

struct request_backend *request_backend_sqlite(sqlite3 *db);
struct request_backend *request_backend_pg(struct pgdb *db);

/* Shared by the backends (request.c): one more statement counted (where
 * other threads can read it, request_ctx_set_progress); a new user row in res, zeroed; a text
 * value appended to res's text as UTF-8 (NULL: ""), its offset; the user
 * with this id among users[lo..hi) (sorted by id), or NULL. */
void request_count_query(struct request_ctx *ctx, struct request_result *res);
struct user_row *request_push_user(struct request_result *res);
size_t request_take_text(struct request_result *res, const char *text, size_t n);
struct user_row *request_find_user(struct request_result *res, size_t lo, size_t hi, int64_t id);

/* A context over a backend (request.c); request_ctx_create_sqlite and
 * request_ctx_create call it. */
struct request_ctx *request_ctx_create_backend(struct request_backend *b, struct tracer *tracer,
                                               struct strtab *names, struct ring *logs);

#endif
