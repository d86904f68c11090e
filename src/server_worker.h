/*
 * server_worker — one libmicrohttpd pool thread's lab: its own read-only
 * SQLite connection, tracer, request_ctx and span, log and http rings, and
 * what it answers a routed request with (every request one trace, its
 * server span the root, in the caller's trace when the request carried a
 * valid traceparent). Each traced request's http_info is pushed on the http
 * ring just before its root span is pushed on the span ring: whoever pops a
 * root has its info already pushed (server_drain relies on it). Internal to
 * server.c.
 *
 * Threads: a worker is used by the pool thread that created it, and its
 * rings' consumer side by the thread that drains the server; it is
 * destroyed after the pool has stopped.
 */
#ifndef OBSLAB_SERVER_WORKER_H
#define OBSLAB_SERVER_WORKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/error.h"
#include "obslab/server.h"

struct ring;
struct strtab;

struct server_worker;

struct http_info;

/* Server-Timing's value: three durations and a trace id. */
#define SERVER_TIMING_MAX 256

/* What a request is answered with: body is static text, or owned (a
 * buffer the response takes and frees with cJSON_free). */
struct server_reply {
	unsigned status;
	const char *allow;
	const char *body;
	size_t len;
	char *owned; /* NULL, or body */
	char timing[SERVER_TIMING_MAX]; /* the Server-Timing header; "" with tracing off */
};

/* NULL with err filled if the reader connection cannot be opened. cancel:
 * bumped by another thread to cut running requests short. */
struct server_worker *server_worker_create(const struct server_config *cfg, struct strtab *names,
                                           const _Atomic uint32_t *cancel, struct obslab_error *err);
void server_worker_destroy(struct server_worker *w);

/* Runs the request the router decided on (or, stopping, refuses a lab
 * request with 503) and fills the reply. info holds the request's facts
 * (http_info_set_context done when its traceparent was valid: its
 * remote_parent_id is then nonzero and its trace_id the caller's); the
 * worker completes it (trace id, route, status) and, tracing, pushes a
 * copy on its http ring (a full ring drops and counts it). info is NULL
 * with tracing off (nothing would carry the facts). */
void server_worker_handle(struct server_worker *w, const struct server_decision *d, bool stopping,
                          struct http_info *info, struct server_reply *out);

struct ring *server_worker_spans(struct server_worker *w);
struct ring *server_worker_logs(struct server_worker *w);
struct ring *server_worker_http(struct server_worker *w); /* struct http_info records */

#endif
