/*
 * server_worker — a pool thread's own lab (see server_worker.h): the reader
 * connection, its instrumentation, and the answer to each routed request
 * as one trace, with its HTTP facts and its Server-Timing.
 */
#include "server_worker.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/clock.h"
#include "obslab/db.h"
#include "obslab/httpinfo.h"
#include "obslab/labdb.h"
#include "obslab/log.h"
#include "obslab/pg.h"
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
	struct labdb *db;
	struct strtab *names;
	struct tracer tracer;
	struct sqltrace *sqltrace;
	struct request_ctx *ctx;
	struct ring *spans, *logs, *http;
	struct http_info *info; /* the request running now's */
	struct request_result result;
	int64_t reconnect_at; /* PostgreSQL: the last attempt to get a lost connection back */
	bool lost;            /* PostgreSQL: the connection is lost (said once in the log) */
	bool renew;           /* PostgreSQL: a statement failed: start a fresh session */
	int64_t data_version; /* PRAGMA data_version when the state was last read */
	bool state_read;
	size_t nnames;
	struct {
		char text[NAME_MAX_LEN];
		uint32_t id;
	} name_cache[NAME_CACHE];
};

static void on_request_end(void *arg, enum db_status status);

struct server_worker *server_worker_create(const struct server_config *cfg, struct strtab *names,
                                           const _Atomic uint32_t *cancel, struct obslab_error *err)
{
	struct labdb *db = labdb_open_reader(cfg->db_path, NULL, err);
	if (!db)
		return NULL;
	struct server_worker *w = xcalloc(1, sizeof *w);
	w->db = db;
	w->names = names;
	w->spans = ring_create(SERVER_SPAN_RING, sizeof(struct span_record));
	w->logs = ring_create(SERVER_LOG_RING, sizeof(struct log_record));
	w->http = ring_create(SERVER_HTTP_RING, sizeof(struct http_info));
	tracer_init(&w->tracer, cfg->trace ? w->spans : NULL);
	struct pgdb *pg = labdb_pg(db);
	if (pg) { /* its round trips are real: nothing simulated */
		pg_trace_attach(pg, &w->tracer, names);
		pg_set_cancel(pg, cancel);
		struct obslab_error ignored; /* without it the network part shows 0; a lost connection shows later */
		(void)pg_measure_rtt(pg, PG_RTT_SAMPLES, &ignored);
	} else {
		w->sqltrace = sqltrace_attach(labdb_sqlite(db), &w->tracer, names);
		sqltrace_set_rtt_us(w->sqltrace, cfg->rtt_us);
	}
	w->ctx = request_ctx_create(db, &w->tracer, names, w->logs);
	request_ctx_set_cancel(w->ctx, cancel);
	request_ctx_set_users(w->ctx, cfg->users);
	request_ctx_set_index(w->ctx, cfg->index);
	request_ctx_set_on_end(w->ctx, on_request_end, w);
	return w;
}

void server_worker_destroy(struct server_worker *w)
{
	if (!w)
		return;
	request_ctx_destroy(w->ctx);
	if (w->sqltrace)
		sqltrace_detach(w->sqltrace);
	request_result_free(&w->result);
	labdb_close(w->db);
	ring_destroy(w->spans);
	ring_destroy(w->logs);
	ring_destroy(w->http);
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

struct ring *server_worker_http(struct server_worker *w)
{
	return w->http;
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
	if (!labdb_data_version(w->db, &version) || (w->state_read && version == w->data_version))
		return;
	if (!labdb_read_state(w->db, &users, &index))
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

/* The request's info, complete, onto the http ring: called just before its
 * root span ends, so it is pushed before the root. */
static void push_info(struct server_worker *w, unsigned status)
{
	struct http_info *info = w->info;
	if (!info || !tracer_enabled(&w->tracer))
		return;
	memcpy(info->trace_id, w->tracer.trace_id, sizeof info->trace_id); /* the trace's, fresh or the caller's */
	info->status_code = (uint16_t)status;
	(void)ring_push(w->http, info); /* full: dropped and counted (ring_dropped) */
}

static enum db_status failure_status(const struct server_worker *w, enum db_status status);

static void on_request_end(void *arg, enum db_status status)
{
	status = failure_status(arg, status);
	push_info(arg, status == DB_OK ? 200 : status == DB_INTERRUPTED || status == DB_UNAVAILABLE ? 503 : 500);
}

/* The caller's trace id when the request carried a valid traceparent. */
static const uint8_t *caller_trace(const struct http_info *info)
{
	return info && info->remote_parent_id ? info->trace_id : NULL;
}

/* Server-Timing from the trace just ended: its root's stamps (the tracer's
 * bottom frame keeps the record it pushed until the next trace begins) and
 * the request's statements as sqltrace or pg_exec summed them, the figures
 * analysis_attribution finds in the record. On PostgreSQL the network part
 * is measured (the round trip, pg.h) and the union of a pipeline's
 * overlapping statements counts once; the root's own duration comes first
 * as total. */
static void timing(struct server_worker *w, struct server_reply *out)
{
	int64_t query_ns = 0, wait_ns = 0;
	struct pgdb *pg = labdb_pg(w->db);
	if (w->sqltrace)
		sqltrace_take_totals(w->sqltrace, &query_ns, &wait_ns);
	else if (pg)
		pg_take_totals(pg, &query_ns, &wait_ns);
	out->timing[0] = '\0';
	if (!tracer_enabled(&w->tracer))
		return;
	const struct span_record *root = &w->tracer.stack[0];
	int64_t total = span_duration_ns(root);
	if (!pg) { /* on SQLite the network part is the simulated round trips waited */
		server_timing_format(out->timing, sizeof out->timing, total - query_ns, query_ns - wait_ns, wait_ns,
		                     "simulated", w->tracer.trace_id);
		return;
	}
	int n = snprintf(out->timing, sizeof out->timing, "total;dur=%lld.%03lld, ", (long long)(total / 1000000),
	                 (long long)(total / 1000 % 1000));
	if (n < 0 || (size_t)n >= sizeof out->timing)
		return;
	server_timing_format(out->timing + n, sizeof out->timing - (size_t)n, total - query_ns, query_ns - wait_ns,
	                     wait_ns, "measured round trip", w->tracer.trace_id);
}

/* A trace of one server span: a request that runs no lab work. */
static void one_span(struct server_worker *w, uint32_t name, unsigned status)
{
	struct span_record *root = tracer_begin_trace_in(&w->tracer, name, caller_trace(w->info));
	if (root) {
		root->u.root.users = 0;
		if (status >= 500)
			root->flags |= SPAN_F_ERROR;
	}
	push_info(w, status);
	tracer_end(&w->tracer);
}

/* PostgreSQL: the connection was lost (or must be renewed): said once
 * until it is back. */
static void note_lost(struct server_worker *w, const char *why)
{
	if (w->lost)
		return;
	w->lost = true;
	struct log_field field = log_text("error", why);
	log_emit(w->logs, LOG_WARN, "connection to the database lost; reconnecting", 1, &field);
}

enum connection { CONNECTION_UP, CONNECTION_WAIT, CONNECTION_FAILED };

/* PostgreSQL: the connection up, or got back (one attempt, at most every
 * SERVER_RECONNECT_MS, bounded by the connect time-out). A connection that
 * looks up but whose last statement failed for another reason is renewed
 * too: a fresh session has its statements prepared again and no pipeline
 * or transaction left behind. CONNECTION_FAILED: the server answered but
 * the lab's schema cannot be used (err says why); a server that is down,
 * shutting down or starting up (DB_UNAVAILABLE, DB_CANTOPEN) is waited for. */
static enum connection connection_up(struct server_worker *w, struct obslab_error *err)
{
	struct pgdb *pg = labdb_pg(w->db);
	if (!pg || (pg_connected(pg) && !w->renew))
		return CONNECTION_UP;
	if (!pg_connected(pg))
		note_lost(w, "the connection is closed");
	int64_t now = clock_now_ns();
	if (w->reconnect_at && now - w->reconnect_at < SERVER_RECONNECT_MS * CLOCK_NS_PER_MS)
		return w->renew && pg_connected(pg) ? CONNECTION_UP : CONNECTION_WAIT;
	w->reconnect_at = now;
	enum db_status st = pg_reconnect(pg, err);
	if (st != DB_OK)
		return st == DB_ERROR || st == DB_FOREIGN || st == DB_TOO_NEW ? CONNECTION_FAILED : CONNECTION_WAIT;
	w->reconnect_at = 0;
	w->renew = false;
	struct obslab_error ignored;
	(void)pg_measure_rtt(pg, PG_RTT_SAMPLES, &ignored);
	if (w->lost) {
		w->lost = false;
		log_emit(w->logs, LOG_INFO, "reconnected to the database", 0, NULL);
	}
	return CONNECTION_UP;
}

/* A failed request's status as the reply sees it: on PostgreSQL any
 * failure that left the connection down is the server's unavailability
 * (503, reconnecting), whatever the statement said; another failure on a
 * live connection renews the session at the next request. */
static enum db_status failure_status(const struct server_worker *w, enum db_status status)
{
	struct pgdb *pg = labdb_pg(w->db);
	if (!pg || status == DB_OK || status == DB_INTERRUPTED)
		return status;
	return pg_connected(pg) ? status : DB_UNAVAILABLE;
}

static enum db_status judge_failure(struct server_worker *w, enum db_status status)
{
	status = failure_status(w, status);
	if (labdb_pg(w->db) && status != DB_OK && status != DB_INTERRUPTED && status != DB_UNAVAILABLE)
		w->renew = true;
	return status;
}

/* The lab's request, as the caller's trace's child when it has one. */
static void run_lab(struct server_worker *w, uint32_t name, enum strategy strategy, struct server_reply *out)
{
	if (strategy == STRATEGY_PIPELINED && !labdb_pg(w->db)) {
		reply_static(out, 404, SERVER_BODY_NO_PIPELINE);
		one_span(w, name, 404);
		return;
	}
	struct obslab_error err;
	enum connection up = connection_up(w, &err);
	if (up != CONNECTION_UP) {
		if (up == CONNECTION_FAILED) {
			struct log_field field = log_text("error", err.msg);
			log_emit(w->logs, LOG_ERROR, "request failed", 1, &field);
		}
		reply_static(out, up == CONNECTION_WAIT ? 503 : 500,
		             up == CONNECTION_WAIT ? SERVER_BODY_RECONNECTING : SERVER_BODY_ERROR);
		one_span(w, name, up == CONNECTION_WAIT ? 503 : 500);
		return;
	}
	follow_database(w);
	request_ctx_set_root_name(w->ctx, name);
	request_ctx_set_trace_id(w->ctx, caller_trace(w->info));
	enum db_status status = judge_failure(w, request_run(w->ctx, strategy, &w->result, &err));
	if (status == DB_OK) {
		out->status = 200;
		out->body = out->owned = w->result.body; /* the response frees it (cJSON_free) */
		out->len = w->result.body_len;
		w->result.body = NULL;
		w->result.body_len = 0;
	} else if (status == DB_INTERRUPTED) {
		reply_static(out, 503, SERVER_BODY_UNAVAILABLE);
	} else if (status == DB_UNAVAILABLE) { /* the next request reconnects */
		note_lost(w, err.msg);
		reply_static(out, 503, SERVER_BODY_RECONNECTING);
	} else {
		const char *cause = strstr(err.msg, " request failed: "); /* the cause first: the log cuts long text */
		struct log_field f[2] = { log_text("error", cause ? cause + strlen(" request failed: ") : err.msg) };
		size_t n = 1;
		char trace_id[2 * SPAN_TRACE_ID_LEN + 1];
		if (tracer_enabled(&w->tracer)) {
			tracer_trace_id_hex(&w->tracer, trace_id);
			f[n++] = log_text("trace_id", trace_id);
		}
		log_emit(w->logs, LOG_ERROR, "request failed", n, f);
		reply_static(out, 500, SERVER_BODY_ERROR);
	}
}

void server_worker_handle(struct server_worker *w, const struct server_decision *d, bool stopping,
                          struct http_info *info, struct server_reply *out)
{
	char name[NAME_MAX_LEN];
	server_span_name(d, name, sizeof name);
	uint32_t id = name_id(w, name);
	memset(out, 0, sizeof *out);
	out->allow = d->allow;
	if (info)
		info->route = d->template;
	w->info = info;
	int64_t ignored_ns;
	if (w->sqltrace)
		sqltrace_take_totals(w->sqltrace, &ignored_ns, &ignored_ns); /* this request's statements only */
	else if (labdb_pg(w->db))
		pg_take_totals(labdb_pg(w->db), &ignored_ns, &ignored_ns);
	enum strategy strategy;
	if (stopping) { /* the stop began: nothing new starts */
		reply_static(out, 503, SERVER_BODY_STOPPING);
		one_span(w, id, 503);
	} else if (d->status != 200) {
		reply_static(out, d->status, d->error_body);
		one_span(w, id, d->status);
	} else if (!server_route_strategy(d->route, &strategy)) {
		reply_static(out, 200, d->route == SERVER_ROUTE_ROOT ? server_root_body() : server_health_body());
		one_span(w, id, 200);
	} else {
		run_lab(w, id, strategy, out);
	}
	timing(w, out);
	w->info = NULL;
}
