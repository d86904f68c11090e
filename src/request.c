/* The lab's endpoint: the three strategies' queries, the users they return,
 * the response body, and the log record each request leaves. */
#include "obslab/request.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/clock.h"
#include "obslab/log.h"
#include "obslab/sqlfp.h"
#include "obslab/strtab.h"
#include "obslab/tracer.h"
#include "obslab/utf8.h"
#include "obslab/xalloc.h"

static const char users_sql[] = "SELECT id, username, email FROM users ORDER BY id";
static const char count_sql[] = "SELECT count(*) FROM orders WHERE user_id = ?";
static const char join_sql[] =
	"SELECT users.id, users.username, users.email, count(orders.id) AS order_count "
	"FROM users LEFT OUTER JOIN orders ON users.id = orders.user_id "
	"GROUP BY users.id ORDER BY users.id";

struct request_ctx {
	sqlite3 *db;
	struct tracer *tracer;
	struct strtab *names;
	struct ring *logs;
	bool index_on;
	uint32_t users;       /* in the database, as the caller last saw it */
	uint8_t root_flags;
	const _Atomic uint32_t *cancel;
	_Atomic uint32_t *progress; /* statements run so far, for other threads */
	uint32_t cancel_seen; /* *cancel when the request began, or was armed */
	bool armed;           /* request_ctx_arm recorded cancel_seen for the next request */
	bool running;         /* inside request_run: the progress handler may cancel */
	uint32_t root_name, serialize_name, count_fingerprint;
	uint8_t trace_id[16]; /* the next request's, when has_trace_id */
	bool has_trace_id;
	request_end_fn *on_end;
	void *on_end_arg;
	sqlite3_stmt *users_stmt, *count_stmt, *join_stmt;
	sqlite3_stmt *chunk_stmt; /* IN list of REQUEST_EAGER_CHUNK ids */
	sqlite3_stmt *tail_stmt;  /* IN list of tail_len ids, the last chunk */
	size_t tail_len;
};

static const char *const strategy_names[STRATEGY_COUNT] = {
	[STRATEGY_NAIVE] = "naive",
	[STRATEGY_OPTIMIZED] = "optimized",
	[STRATEGY_EAGER] = "eager",
};

const char *strategy_name(enum strategy s)
{
	return (unsigned)s < STRATEGY_COUNT ? strategy_names[s] : "?";
}

bool strategy_parse(const char *name, enum strategy *out)
{
	for (int s = 0; s < STRATEGY_COUNT; s++) {
		if (strcmp(name, strategy_names[s]) == 0) {
			*out = (enum strategy)s;
			return true;
		}
	}
	return false;
}

void request_result_free(struct request_result *res)
{
	free(res->users);
	free(res->text);
	cJSON_free(res->body);
	memset(res, 0, sizeof *res);
}

struct request_ctx *request_ctx_create(sqlite3 *db, struct tracer *tracer, struct strtab *names,
                                       struct ring *logs)
{
	struct request_ctx *ctx = xcalloc(1, sizeof *ctx);
	ctx->db = db;
	ctx->tracer = tracer;
	ctx->names = names;
	ctx->logs = logs;
	ctx->root_name = strtab_intern_cstr(names, REQUEST_SPAN_NAME);
	ctx->serialize_name = strtab_intern_cstr(names, REQUEST_SERIALIZE_SPAN_NAME);
	ctx->count_fingerprint = sqlfp_intern(names, count_sql, strlen(count_sql));
	return ctx;
}

void request_ctx_destroy(struct request_ctx *ctx)
{
	if (!ctx)
		return;
	sqlite3_finalize(ctx->users_stmt);
	sqlite3_finalize(ctx->count_stmt);
	sqlite3_finalize(ctx->join_stmt);
	sqlite3_finalize(ctx->chunk_stmt);
	sqlite3_finalize(ctx->tail_stmt);
	free(ctx);
}

void request_ctx_set_progress(struct request_ctx *ctx, _Atomic uint32_t *queries)
{
	ctx->progress = queries;
}

/* One more statement, counted where other threads can read it. */
static void count_query(struct request_ctx *ctx, struct request_result *res)
{
	res->queries++;
	if (ctx->progress)
		atomic_store_explicit(ctx->progress, res->queries, memory_order_relaxed);
}

void request_ctx_set_root_name(struct request_ctx *ctx, uint32_t name)
{
	ctx->root_name = name;
}

void request_ctx_set_trace_id(struct request_ctx *ctx, const uint8_t trace_id[16])
{
	ctx->has_trace_id = trace_id != NULL;
	if (trace_id)
		memcpy(ctx->trace_id, trace_id, sizeof ctx->trace_id);
}

void request_ctx_set_on_end(struct request_ctx *ctx, request_end_fn *fn, void *arg)
{
	ctx->on_end = fn;
	ctx->on_end_arg = arg;
}

void request_ctx_set_root_flags(struct request_ctx *ctx, uint8_t flags)
{
	ctx->root_flags = flags;
}

void request_ctx_set_index(struct request_ctx *ctx, bool on)
{
	ctx->index_on = on;
}

void request_ctx_set_users(struct request_ctx *ctx, uint32_t users)
{
	ctx->users = users;
}

static bool cancelled(const struct request_ctx *ctx)
{
	return ctx->cancel && atomic_load_explicit(ctx->cancel, memory_order_relaxed) != ctx->cancel_seen;
}

/* SQLite calls this every PROGRESS_STEPS VM steps: a nonzero return
 * interrupts the statement, so even a long full scan stops promptly. */
#define PROGRESS_STEPS 4096

static int on_progress(void *arg)
{
	const struct request_ctx *ctx = arg;
	return ctx->running && cancelled(ctx); /* never the caller's own statements */
}

void request_ctx_arm(struct request_ctx *ctx)
{
	if (ctx->cancel) {
		ctx->cancel_seen = atomic_load(ctx->cancel);
		ctx->armed = true;
	}
}

void request_ctx_set_cancel(struct request_ctx *ctx, const _Atomic uint32_t *counter)
{
	ctx->cancel = counter;
	sqlite3_progress_handler(ctx->db, counter ? PROGRESS_STEPS : 0, counter ? on_progress : NULL, ctx);
}

/* Prepares on first use and keeps the statement, as an ORM's cache does. */
static int prepared(struct request_ctx *ctx, sqlite3_stmt **slot, const char *sql)
{
	if (*slot)
		return SQLITE_OK;
	return sqlite3_prepare_v3(ctx->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
}

static int prepare_in_list(struct request_ctx *ctx, sqlite3_stmt **slot, size_t n)
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
	int rc = sqlite3_prepare_v3(ctx->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
	free(sql);
	return rc;
}

static struct user_row *push_user(struct request_result *res)
{
	if (res->nusers == res->cap) {
		size_t cap = res->cap ? res->cap * 2 : 64;
		res->users = xrealloc_array(res->users, cap, sizeof *res->users);
		res->cap = cap;
	}
	struct user_row *u = &res->users[res->nusers++];
	memset(u, 0, sizeof *u);
	return u;
}

/* A text column, whole, appended to the result's text as UTF-8: a byte
 * that begins no character (or a NUL inside the value) becomes U+FFFD.
 * Its offset. */
static size_t take_text(struct request_result *res, sqlite3_stmt *stmt, int col)
{
	const char *text = (const char *)sqlite3_column_text(stmt, col);
	size_t n = text ? (size_t)sqlite3_column_bytes(stmt, col) : 0;
	size_t at = res->text_len;
	if (res->text_cap - at < 3 * n + 1) { /* room for every byte replaced */
		res->text_cap = res->text_cap * 2 > at + 3 * n + 1 ? res->text_cap * 2 : at + 3 * n + 1;
		res->text = xrealloc(res->text, res->text_cap);
	}
	char *o = res->text + at;
	if (n == 0) {
		/* NULL or empty: "" */
	} else if (utf8_valid_len(text, n) == n) {
		memcpy(o, text, n);
		o += n;
	} else {
		for (size_t i = 0; i < n;) {
			size_t k = utf8_char_len(text + i, n - i);
			if (k) {
				memcpy(o, text + i, k);
				o += k;
				i += k;
			} else {
				memcpy(o, "\xef\xbf\xbd", 3);
				o += 3;
				i++;
			}
		}
	}
	*o++ = '\0';
	res->text_len = (size_t)(o - res->text);
	return at;
}

/* Runs a users query: id, username, email and, if with_count, order_count. */
static int fetch_users(struct request_ctx *ctx, sqlite3_stmt *stmt, bool with_count, struct request_result *res)
{
	int rc;
	count_query(ctx, res);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct user_row *u = push_user(res);
		u->id = sqlite3_column_int64(stmt, 0);
		u->username = take_text(res, stmt, 1);
		u->email = take_text(res, stmt, 2);
		if (with_count)
			u->order_count = sqlite3_column_int64(stmt, 3);
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int run_naive(struct request_ctx *ctx, struct request_result *res)
{
	int rc = prepared(ctx, &ctx->users_stmt, users_sql);
	if (rc == SQLITE_OK)
		rc = prepared(ctx, &ctx->count_stmt, count_sql);
	if (rc == SQLITE_OK)
		rc = fetch_users(ctx, ctx->users_stmt, false, res);
	/* The N+1 loop: one round trip per user. */
	for (size_t i = 0; rc == SQLITE_OK && i < res->nusers; i++) {
		if (cancelled(ctx)) {
			rc = SQLITE_INTERRUPT;
			break;
		}
		sqlite3_stmt *stmt = ctx->count_stmt;
		sqlite3_bind_int64(stmt, 1, res->users[i].id);
		count_query(ctx, res);
		rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			res->users[i].order_count = sqlite3_column_int64(stmt, 0);
			rc = SQLITE_OK;
		}
		sqlite3_reset(stmt);
	}
	return rc;
}

static int run_optimized(struct request_ctx *ctx, struct request_result *res)
{
	int rc = prepared(ctx, &ctx->join_stmt, join_sql);
	return rc == SQLITE_OK ? fetch_users(ctx, ctx->join_stmt, true, res) : rc;
}

/* Finds the user with this id among users[lo..hi), which are sorted by id. */
static struct user_row *find_user(struct request_result *res, size_t lo, size_t hi, int64_t id)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (res->users[mid].id < id)
			lo = mid + 1;
		else if (res->users[mid].id > id)
			hi = mid;
		else
			return &res->users[mid];
	}
	return NULL;
}

static int run_eager(struct request_ctx *ctx, struct request_result *res)
{
	int rc = prepared(ctx, &ctx->users_stmt, users_sql);
	if (rc == SQLITE_OK)
		rc = fetch_users(ctx, ctx->users_stmt, false, res);
	for (size_t first = 0; rc == SQLITE_OK && first < res->nusers; first += REQUEST_EAGER_CHUNK) {
		if (cancelled(ctx)) {
			rc = SQLITE_INTERRUPT;
			break;
		}
		size_t n = res->nusers - first < REQUEST_EAGER_CHUNK ? res->nusers - first : REQUEST_EAGER_CHUNK;
		sqlite3_stmt **slot = n == REQUEST_EAGER_CHUNK ? &ctx->chunk_stmt : &ctx->tail_stmt;
		if (!*slot || (slot == &ctx->tail_stmt && ctx->tail_len != n)) {
			rc = prepare_in_list(ctx, slot, n);
			if (slot == &ctx->tail_stmt)
				ctx->tail_len = rc == SQLITE_OK ? n : 0;
			if (rc != SQLITE_OK)
				break;
		}
		sqlite3_stmt *stmt = *slot;
		for (size_t i = 0; i < n; i++)
			sqlite3_bind_int64(stmt, (int)i + 1, res->users[first + i].id);
		count_query(ctx, res);
		while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
			struct user_row *u = find_user(res, first, first + n, sqlite3_column_int64(stmt, 0));
			if (u)
				u->order_count = sqlite3_column_int64(stmt, 1);
		}
		sqlite3_reset(stmt);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	return rc;
}

/* The response body, in the original endpoint's shape and key order. */
static char *build_body(enum strategy strategy, const struct request_result *res)
{
	cJSON *root = cJSON_CreateObject();
	char note[200];
	const char *note_key = strategy == STRATEGY_NAIVE ? "warning" : "info";
	switch (strategy) {
	case STRATEGY_NAIVE:
		snprintf(note, sizeof note,
		         "N+1 query problem: 1 query for the users + 1 query per user = %u queries",
		         res->queries);
		break;
	case STRATEGY_OPTIMIZED:
		snprintf(note, sizeof note, "Optimized: 1 query with LEFT JOIN and GROUP BY");
		break;
	case STRATEGY_EAGER:
	case STRATEGY_COUNT:
		snprintf(note, sizeof note,
		         "Eager loading: 1 query for the users + %u IN (...) queries of up to %d ids",
		         res->queries - 1, REQUEST_EAGER_CHUNK);
		break;
	}
	cJSON_AddStringToObject(root, "implementation", strategy_name(strategy));
	cJSON_AddStringToObject(root, note_key, note);
	cJSON_AddNumberToObject(root, "total_users", (double)res->nusers);
	cJSON *users = cJSON_AddArrayToObject(root, "users");
	for (size_t i = 0; i < res->nusers; i++) {
		const struct user_row *u = &res->users[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToArray(users, o);
		cJSON_AddNumberToObject(o, "id", (double)u->id);
		cJSON_AddStringToObject(o, "username", res->text + u->username);
		cJSON_AddStringToObject(o, "email", res->text + u->email);
		cJSON_AddNumberToObject(o, "order_count", (double)u->order_count);
	}
	char *body = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return body;
}

static void log_request(struct request_ctx *ctx, enum strategy strategy,
                        const struct request_result *res)
{
	if (!ctx->logs)
		return;
	char trace_id[2 * SPAN_TRACE_ID_LEN + 1] = "";
	if (tracer_enabled(ctx->tracer))
		tracer_trace_id_hex(ctx->tracer, trace_id);
	struct log_field fields[LOG_MAX_FIELDS];
	size_t n = 0;
	if (strategy == STRATEGY_NAIVE) {
		fields[n++] = log_str("fingerprint", ctx->count_fingerprint);
		fields[n++] = log_int("repeated", (int64_t)res->nusers);
	}
	fields[n++] = log_int("queries", res->queries);
	if (trace_id[0])
		fields[n++] = log_text("trace_id", trace_id);
	switch (strategy) {
	case STRATEGY_NAIVE:
		log_emit(ctx->logs, LOG_WARN, "N+1 query pattern detected", n, fields);
		break;
	case STRATEGY_OPTIMIZED:
		log_emit(ctx->logs, LOG_INFO, "Optimized query executed", n, fields);
		break;
	case STRATEGY_EAGER:
	case STRATEGY_COUNT:
		log_emit(ctx->logs, LOG_INFO, "Eager loading query executed", n, fields);
		break;
	}
}

enum db_status request_run(struct request_ctx *ctx, enum strategy strategy,
                           struct request_result *res, struct obslab_error *err)
{
	res->nusers = 0;
	res->text_len = 0;
	res->queries = 0;
	cJSON_free(res->body);
	res->body = NULL;
	res->body_len = 0;

	res->start_ns = clock_now_ns();
	if (ctx->cancel && !ctx->armed)
		ctx->cancel_seen = atomic_load_explicit(ctx->cancel, memory_order_relaxed);
	ctx->armed = false;
	ctx->running = true;
	uint32_t version = db_pager_version(ctx->db);
	struct span_record *root = tracer_begin_trace_in(ctx->tracer, ctx->root_name,
	                                                 ctx->has_trace_id ? ctx->trace_id : NULL);
	ctx->has_trace_id = false;
	int rc = SQLITE_OK;
	switch (strategy) {
	case STRATEGY_NAIVE: rc = run_naive(ctx, res); break;
	case STRATEGY_OPTIMIZED: rc = run_optimized(ctx, res); break;
	case STRATEGY_EAGER: rc = run_eager(ctx, res); break;
	case STRATEGY_COUNT: rc = SQLITE_MISUSE; break;
	}
	if (rc == SQLITE_OK) {
		tracer_begin(ctx->tracer, ctx->serialize_name, SPAN_KIND_INTERNAL);
		res->body = build_body(strategy, res);
		tracer_end(ctx->tracer);
		res->body_len = strlen(res->body);
	}
	if (root) {
		root->strategy = (uint8_t)strategy;
		/* Cut short, it read only some of the users: it was asked for these. */
		root->u.root.users = rc == SQLITE_OK ? (uint32_t)res->nusers : ctx->users;
		root->flags = (uint8_t)((ctx->index_on ? SPAN_F_INDEX : 0) | ctx->root_flags);
		if (rc != SQLITE_OK)
			root->flags |= (rc & 0xff) == SQLITE_INTERRUPT ? SPAN_F_CANCELLED : SPAN_F_ERROR;
		if (db_pager_version(ctx->db) != version)
			root->flags |= SPAN_F_DB_CHANGED;
	}
	enum db_status status = (rc & 0xff) == SQLITE_INTERRUPT ? DB_INTERRUPTED
	                        : rc == SQLITE_OK               ? DB_OK
	                        : (rc & 0xff) == SQLITE_CORRUPT ? DB_NOTADB
	                                                        : DB_ERROR;
	if (ctx->on_end)
		ctx->on_end(ctx->on_end_arg, status);
	tracer_end(ctx->tracer);
	res->end_ns = clock_now_ns();
	ctx->running = false;

	if (status == DB_INTERRUPTED)
		return DB_INTERRUPTED;
	if (status != DB_OK) {
		obslab_error_set(err, "the %s request failed: %s", strategy_name(strategy),
		         rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(ctx->db));
		return status;
	}
	log_request(ctx, strategy, res);
	return DB_OK;
}
