/*
 * httpinfo — a served request's HTTP exchange, as it rides beside its
 * trace (store.h's trace->http), and what it becomes: OpenTelemetry's HTTP
 * server attributes on the trace's root, and the response's Server-Timing
 * header.
 *
 * A struct http_info is plain memory with no pointers to free: the server
 * fills one per request (http_info_init, then the fields; the text fields
 * through http_info_set_text), and the store frees it with free() when it
 * is malloc'd and attached (store_attach_http). trace_id is its FIRST
 * member: the store matches an info to its trace by those 16 bytes. route
 * points to static text (a route the server knows) or is NULL (no route:
 * a 404). Text from the request is hostile: http_info_set_text keeps it
 * within its field, cut between UTF-8 characters, bytes that are not UTF-8
 * (and NUL) replaced by U+FFFD, and a value that did not fit ends with "…"
 * and sets its bit in truncated, so the attribute says it was cut.
 *
 * Threads: pure functions on caller-owned memory, any thread.
 */
#ifndef OBSLAB_HTTPINFO_H
#define OBSLAB_HTTPINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/tracectx.h"

struct attr;

#define HTTP_INFO_METHOD_CAP 16
#define HTTP_INFO_PROTOCOL_CAP 16
#define HTTP_INFO_PATH_CAP 256
#define HTTP_INFO_ADDRESS_CAP 64 /* an IPv6 address with a zone fits */
#define HTTP_INFO_USER_AGENT_CAP 256
#define HTTP_INFO_TRACESTATE_CAP (TRACECTX_STATE_MAX + 1)
#define HTTP_INFO_TRUNCATION_MARK "\xe2\x80\xa6" /* "…": the end of a value that was cut */
#define HTTP_INFO_ATTRS_MAX 12 /* http_info_attributes gives at most this many */

/* The text fields: http_info_set_text's field, and their bits in truncated. */
enum http_info_text {
	HTTP_TEXT_METHOD,
	HTTP_TEXT_PROTOCOL, /* "1.1": network.protocol.version */
	HTTP_TEXT_PATH,
	HTTP_TEXT_CLIENT_ADDRESS,
	HTTP_TEXT_SERVER_ADDRESS,
	HTTP_TEXT_USER_AGENT,
	HTTP_TEXT_TRACESTATE,
	HTTP_TEXT_COUNT
};

struct http_info {
	uint8_t trace_id[16];      /* FIRST: the trace it belongs to */
	uint64_t remote_parent_id; /* the caller's span (traceparent's parent-id); 0: none */
	uint8_t trace_flags;       /* traceparent's flags as received (0 without one) */
	uint16_t status_code;      /* 0: no response was sent */
	uint16_t server_port;      /* 0: unknown */
	char method[HTTP_INFO_METHOD_CAP];
	char protocol[HTTP_INFO_PROTOCOL_CAP];
	const char *route; /* static text, or NULL: no route matched */
	char path[HTTP_INFO_PATH_CAP];
	char client_address[HTTP_INFO_ADDRESS_CAP];
	char server_address[HTTP_INFO_ADDRESS_CAP];
	char user_agent[HTTP_INFO_USER_AGENT_CAP];
	char tracestate[HTTP_INFO_TRACESTATE_CAP]; /* as tracectx_parse_state kept it; "" for none */
	uint8_t truncated;                         /* 1 << enum http_info_text: the value was cut */
};

void http_info_init(struct http_info *h);

/* Whether the request ran the lab's endpoint (its route is /users/analytics
 * or below it): only such a served root carries the lab's attributes
 * (obslab.strategy, obslab.users, obslab.index); /health, / and errors do
 * not. False for NULL. */
bool http_info_ran_lab(const struct http_info *h);

/* The field's buffer and its size (NULL and 0 for a field out of range). */
char *http_info_text(struct http_info *h, enum http_info_text field, size_t *cap);
/* The field's text, read only ("" for a field out of range). */
const char *http_info_get_text(const struct http_info *h, enum http_info_text field);
/* The field's name in files ("method", "client_address", ...; the native
 * snapshot's "http" object), NULL for a field out of range. */
const char *http_info_text_name(enum http_info_text field);

/* value[0..len) into field, as the header above says. value may be NULL
 * (the field is then empty). */
void http_info_set_text(struct http_info *h, enum http_info_text field, const char *value, size_t len);

/* What a trace context gives: the caller's trace id (the served trace's
 * own), its span as remote_parent_id, its flags and tracestate. */
void http_info_set_context(struct http_info *h, const struct tracectx *ctx);

/* OpenTelemetry's HTTP server attributes (http.request.method, and
 * http.request.method_original when the method is not one HTTP defines,
 * url.scheme, url.path, http.route, http.response.status_code,
 * server.address, server.port, client.address, user_agent.original,
 * network.protocol.version), each only when known; strings point into h
 * or static text, so h must outlive out. Returns how many (at most cap,
 * at most HTTP_INFO_ATTRS_MAX). */
size_t http_info_attributes(const struct http_info *h, struct attr *out, size_t cap);

/* The Server-Timing header value (W3C Server Timing):
 * app;dur=1.234, db;dur=0.5, net;dur=0;desc="simulated", trace;desc="<32 hex>"
 * (net's desc, when net_desc is not NULL, says how it was obtained: on
 * SQLite the lab's round trips are waited, not measured on a wire,
 * "simulated"; on PostgreSQL "measured round trip"),
 * durations in milliseconds with three decimals (negative ones as 0),
 * rounded so that the three add up exactly to their total rounded to the
 * microsecond (largest remainder).
 * Returns the length it needs (as snprintf); the value is whole only when
 * that is below cap, cut short (and terminated) otherwise. */
size_t server_timing_format(char *buf, size_t cap, int64_t app_ns, int64_t db_ns, int64_t net_ns,
                            const char *net_desc, const uint8_t trace_id[16]);

#endif
