/*
 * server_worker — a pool thread's own lab (see server_worker.h): the reader
 * connection, its instrumentation, and the answer to each routed request
 * as one trace.
 */
#include "server_worker.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/db.h"
#include "obslab/log.h"
#include "obslab/request.h"
#include "obslab/ring.h"
#include "obslab/span.h"
#include "obslab/sqltrace.h"
#include "obslab/strtab.h"
#include "obslab/tracer.h"
#include "obslab/xalloc.h"

/* Span names seen by this worker, interned once each. */
#define NAME_CACHE 32
#define NAME_MAX_LEN 48

struct server_worker {
	sqlite3 *db;
	struct strtab *names;
	struct tracer tracer;
	struct sqltrace *sqltrace;
	struct request_ctx *ctx;
	struct ring *spans, *logs;
	struct request_result result;
	int64_t data_version; /* PRAGMA data_version when the state was last read */
	bool state_read;
	size_t nnames;
	struct {
		char text[NAME_MAX_LEN];
		uint32_t id;
	} name_cache[NAME_CACHE];
};

sqlite3 *server_worker_open_reader(const char *path, struct obslab_error *err)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	if (rc != SQLITE_OK) {
		obslab_error_set(err, "cannot open %s for the server's workers: %s", path,
		                 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close_v2(db);
		return NULL;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, DB_LOCK_WAIT_MS);
	return db;
}

struct server_worker *server_worker_create(const struct server_config *cfg, struct strtab *names,
                                           const _Atomic uint32_t *cancel, struct obslab_error *err)
{
	sqlite3 *db = server_worker_open_reader(cfg->db_path, err);
	if (!db)
		return NULL;
	struct server_worker *w = xcalloc(1, sizeof *w);
	w->db = db;
	w->names = names;
	w->spans = ring_create(SERVER_SPAN_RING, sizeof(struct span_record));
	w->logs = ring_create(SERVER_LOG_RING, sizeof(struct log_record));
	tracer_init(&w->tracer, cfg->trace ? w->spans : NULL);
	w->sqltrace = sqltrace_attach(db, &w->tracer, names);
	sqltrace_set_rtt_us(w->sqltrace, cfg->rtt_us);
	w->ctx = request_ctx_create(db, &w->tracer, names, w->logs);
	request_ctx_set_cancel(w->ctx, cancel);
	request_ctx_set_users(w->ctx, cfg->users);
	request_ctx_set_index(w->ctx, cfg->index);
	return w;
}

void server_worker_destroy(struct server_worker *w)
{
	if (!w)
		return;
	request_ctx_destroy(w->ctx);
	sqltrace_detach(w->sqltrace);
	request_result_free(&w->result);
	sqlite3_close_v2(w->db);
	ring_destroy(w->spans);
	ring_destroy(w->logs);
	free(w);
}

struct ring *server_worker_spans(struct server_worker *w)
{
	return w->spans;
}

struct ring *server_worker_logs(struct server_worker *w)
{
	return w->logs;
}

/* The strtab id of a span name, interned on first sight. */
static uint32_t name_id(struct server_worker *w, const char *name)
{
	for (size_t i = 0; i < w->nnames; i++)
		if (strcmp(w->name_cache[i].text, name) == 0)
			return w->name_cache[i].id;
	uint32_t id = strtab_intern_cstr(w->names, name);
	if (w->nnames < NAME_CACHE && strlen(name) < NAME_MAX_LEN) {
		strcpy(w->name_cache[w->nnames].text, name);
		w->name_cache[w->nnames++].id = id;
	}
	return id;
}

/* Before a request: the database's users and index as they are now, so a
 * change the lab's driver made (i, a reseed) is on the next served trace.
 * Read again only when another connection committed (a header read). */
static void follow_database(struct server_worker *w)
{
	int64_t version;
	uint32_t users;
	bool index;
	if (!db_data_version(w->db, &version) || (w->state_read && version == w->data_version))
		return;
	if (!db_read_state(w->db, &users, &index))
		return;
	w->data_version = version;
	w->state_read = true;
	request_ctx_set_users(w->ctx, users);
	request_ctx_set_index(w->ctx, index);
}

static void reply_static(struct server_reply *out, unsigned status, const char *body)
{
	out->status = status;
	out->body = body;
	out->len = strlen(body);
	out->owned = NULL;
}

/* A trace of one server span: a request that runs no lab work. */
static void one_span(struct server_worker *w, uint32_t name, unsigned status)
{
	struct span_record *root = tracer_begin_trace(&w->tracer, name);
	if (root) {
		root->u.root.users = 0;
		if (status >= 500)
			root->flags |= SPAN_F_ERROR;
	}
	tracer_end(&w->tracer);
}

void server_worker_handle(struct server_worker *w, const struct server_decision *d, bool stopping,
                          struct server_reply *out)
{
	char name[NAME_MAX_LEN];
	server_span_name(d, name, sizeof name);
	uint32_t id = name_id(w, name);
	memset(out, 0, sizeof *out);
	out->allow = d->allow;
	enum strategy strategy;
	if (d->status != 200) {
		reply_static(out, d->status, d->error_body);
		one_span(w, id, d->status);
		return;
	}
	if (!server_route_strategy(d->route, &strategy)) {
		reply_static(out, 200, d->route == SERVER_ROUTE_ROOT ? server_root_body() : server_health_body());
		one_span(w, id, 200);
		return;
	}
	if (stopping) {
		reply_static(out, 503, SERVER_BODY_UNAVAILABLE);
		one_span(w, id, 503);
		return;
	}
	follow_database(w);
	request_ctx_set_root_name(w->ctx, id);
	struct obslab_error err;
	enum db_status status = request_run(w->ctx, strategy, &w->result, &err);
	if (status == DB_OK) {
		out->status = 200;
		out->body = out->owned = w->result.body; /* the response frees it (cJSON_free) */
		out->len = w->result.body_len;
		w->result.body = NULL;
		w->result.body_len = 0;
	} else if (status == DB_INTERRUPTED) {
		reply_static(out, 503, SERVER_BODY_UNAVAILABLE);
	} else {
		struct log_field field = log_text("error", err.msg);
		log_emit(w->logs, LOG_ERROR, "request failed", 1, &field);
		reply_static(out, 500, SERVER_BODY_ERROR);
	}
}
