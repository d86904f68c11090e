/* The lab's endpoint: the strategies (written once over request_backend.h:
 * request_sqlite.c, request_pg.c), the users they return, the response
 * body, and the log record each request leaves. */
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
#include "request_backend.h"

struct request_ctx {
	struct request_backend *backend;
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
};

static const char *const strategy_names[STRATEGY_COUNT] = {
	[STRATEGY_NAIVE] = "naive",
	[STRATEGY_OPTIMIZED] = "optimized",
	[STRATEGY_EAGER] = "eager",
	[STRATEGY_PIPELINED] = "pipelined",
};

const char *strategy_name(enum strategy s)
{
	return (unsigned)s < STRATEGY_COUNT ? strategy_names[s] : "?";
}

unsigned strategy_count(enum labdb_engine engine)
{
	return engine == LABDB_POSTGRESQL ? STRATEGY_COUNT : STRATEGY_SQLITE_COUNT;
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

struct request_ctx *request_ctx_create_backend(struct request_backend *b, struct tracer *tracer,
                                               struct strtab *names, struct ring *logs)
{
	struct request_ctx *ctx = xcalloc(1, sizeof *ctx);
	ctx->backend = b;
	b->ctx = ctx;
	ctx->tracer = tracer;
	ctx->names = names;
	ctx->logs = logs;
	ctx->root_name = strtab_intern_cstr(names, REQUEST_SPAN_NAME);
	ctx->serialize_name = strtab_intern_cstr(names, REQUEST_SERIALIZE_SPAN_NAME);
	ctx->count_fingerprint = sqlfp_intern(names, b->count_sql, strlen(b->count_sql));
	return ctx;
}

void request_ctx_destroy(struct request_ctx *ctx)
{
	if (!ctx)
		return;
	ctx->backend->ops->destroy(ctx->backend);
	free(ctx);
}

void request_ctx_set_progress(struct request_ctx *ctx, _Atomic uint32_t *queries)
{
	ctx->progress = queries;
}

void request_count_query(struct request_ctx *ctx, struct request_result *res)
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

/* Asked by the engine during a long statement: nonzero cuts it short. */
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
		ctx->backend->ops->arm(ctx->backend);
	}
}

void request_ctx_set_cancel(struct request_ctx *ctx, const _Atomic uint32_t *counter)
{
	ctx->cancel = counter;
	ctx->backend->ops->set_cancel(ctx->backend, counter, on_progress, ctx);
}

struct user_row *request_push_user(struct request_result *res)
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

/* A text value, whole, appended to the result's text as UTF-8: a byte
 * that begins no character (or a NUL inside the value) becomes U+FFFD.
 * Its offset. */
size_t request_take_text(struct request_result *res, const char *text, size_t n)
{
	if (!text)
		n = 0;
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

struct user_row *request_find_user(struct request_result *res, size_t lo, size_t hi, int64_t id)
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

/* ---- the strategies, over the backend -------------------------------------- */

/* The users, then one count query per user: the N+1 loop, one round trip
 * per user. */
static enum db_status run_naive(struct request_ctx *ctx, struct request_result *res)
{
	const struct request_backend_ops *ops = ctx->backend->ops;
	enum db_status st = ops->users(ctx->backend, false, res);
	for (size_t i = 0; st == DB_OK && i < res->nusers; i++) {
		if (cancelled(ctx))
			return DB_INTERRUPTED;
		st = ops->count(ctx->backend, res, i);
	}
	return st;
}

static enum db_status run_optimized(struct request_ctx *ctx, struct request_result *res)
{
	return ctx->backend->ops->users(ctx->backend, true, res);
}

/* The users, then the counts of REQUEST_EAGER_CHUNK users a query. */
static enum db_status run_eager(struct request_ctx *ctx, struct request_result *res)
{
	const struct request_backend_ops *ops = ctx->backend->ops;
	enum db_status st = ops->users(ctx->backend, false, res);
	for (size_t first = 0; st == DB_OK && first < res->nusers; first += REQUEST_EAGER_CHUNK) {
		if (cancelled(ctx))
			return DB_INTERRUPTED;
		size_t n = res->nusers - first < REQUEST_EAGER_CHUNK ? res->nusers - first : REQUEST_EAGER_CHUNK;
		st = ops->count_chunk(ctx->backend, res, first, n);
	}
	return st;
}

/* Naive's 1 + N queries, the N count queries sent in one pipeline. */
static enum db_status run_pipelined(struct request_ctx *ctx, struct request_result *res)
{
	const struct request_backend_ops *ops = ctx->backend->ops;
	enum db_status st = ops->users(ctx->backend, false, res);
	if (st != DB_OK || res->nusers == 0)
		return st;
	if (cancelled(ctx))
		return DB_INTERRUPTED;
	return ops->count_pipelined(ctx->backend, res);
}

/* The response body, in the original endpoint's shape and key order. */
static char *build_body(enum strategy strategy, const struct request_result *res)
{
	cJSON *root = cJSON_CreateObject();
	char note[200];
	const char *note_key = strategy == STRATEGY_NAIVE || strategy == STRATEGY_PIPELINED ? "warning" : "info";
	switch (strategy) {
	case STRATEGY_NAIVE:
		snprintf(note, sizeof note,
		         "N+1 query problem: 1 query for the users + 1 query per user = %u queries",
		         res->queries);
		break;
	case STRATEGY_OPTIMIZED:
		snprintf(note, sizeof note, "Optimized: 1 query with LEFT JOIN and GROUP BY");
		break;
	case STRATEGY_PIPELINED:
		snprintf(note, sizeof note,
		         "N+1 queries in one pipeline: 1 query for the users + 1 query per user, sent "
		         "without waiting for each answer = %u queries",
		         res->queries);
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
	if (strategy == STRATEGY_NAIVE || strategy == STRATEGY_PIPELINED) {
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
	case STRATEGY_PIPELINED:
		log_emit(ctx->logs, LOG_WARN, "N+1 query pattern sent in one pipeline", n, fields);
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

bool request_ctx_can_run(const struct request_ctx *ctx, enum strategy strategy)
{
	if ((unsigned)strategy >= STRATEGY_COUNT)
		return false;
	return strategy != STRATEGY_PIPELINED || ctx->backend->ops->count_pipelined != NULL;
}

static enum db_status run_strategy(struct request_ctx *ctx, enum strategy strategy, struct request_result *res)
{
	const struct request_backend_ops *ops = ctx->backend->ops;
	enum db_status st = ops->prepare ? ops->prepare(ctx->backend, strategy) : DB_OK;
	if (st != DB_OK)
		return st;
	switch (strategy) {
	case STRATEGY_NAIVE: return run_naive(ctx, res);
	case STRATEGY_OPTIMIZED: return run_optimized(ctx, res);
	case STRATEGY_EAGER: return run_eager(ctx, res);
	case STRATEGY_PIPELINED: return run_pipelined(ctx, res);
	case STRATEGY_COUNT: break;
	}
	return DB_ERROR;
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
	if (!request_ctx_can_run(ctx, strategy)) {
		/* refused before anything runs: no trace */
		res->start_ns = res->end_ns = clock_now_ns();
		if (strategy == STRATEGY_PIPELINED)
			obslab_error_set(err, "%s", REQUEST_PIPELINED_REFUSAL);
		else
			obslab_error_set(err, "no such strategy (%d)", (int)strategy);
		return DB_ERROR;
	}

	res->start_ns = clock_now_ns();
	if (ctx->cancel && !ctx->armed) {
		ctx->cancel_seen = atomic_load_explicit(ctx->cancel, memory_order_relaxed);
		ctx->backend->ops->arm(ctx->backend);
	}
	ctx->armed = false;
	ctx->running = true;
	const struct request_backend_ops *ops = ctx->backend->ops;
	uint32_t version = ops->version ? ops->version(ctx->backend) : 0;
	struct span_record *root = tracer_begin_trace_in(ctx->tracer, ctx->root_name,
	                                                 ctx->has_trace_id ? ctx->trace_id : NULL);
	ctx->has_trace_id = false;
	enum db_status status = run_strategy(ctx, strategy, res);
	if (status == DB_OK) {
		tracer_begin(ctx->tracer, ctx->serialize_name, SPAN_KIND_INTERNAL);
		res->body = build_body(strategy, res);
		tracer_end(ctx->tracer);
		res->body_len = strlen(res->body);
	}
	if (root) {
		root->strategy = (uint8_t)strategy;
		/* Cut short, it read only some of the users: it was asked for these. */
		root->u.root.users = status == DB_OK ? (uint32_t)res->nusers : ctx->users;
		root->flags = (uint8_t)((ctx->index_on ? SPAN_F_INDEX : 0) | ctx->root_flags);
		if (status != DB_OK)
			root->flags |= status == DB_INTERRUPTED ? SPAN_F_CANCELLED : SPAN_F_ERROR;
		if (ops->version && ops->version(ctx->backend) != version)
			root->flags |= SPAN_F_DB_CHANGED;
	}
	if (ctx->on_end)
		ctx->on_end(ctx->on_end_arg, status);
	tracer_end(ctx->tracer);
	res->end_ns = clock_now_ns();
	ctx->running = false;

	if (status == DB_INTERRUPTED)
		return DB_INTERRUPTED;
	if (status != DB_OK) {
		obslab_error_set(err, "the %s request failed: %s", strategy_name(strategy),
		                 ops->errmsg(ctx->backend));
		return status;
	}
	log_request(ctx, strategy, res);
	return DB_OK;
}
