/*
 * server — the lab's endpoints served over HTTP (libmicrohttpd), every
 * request traced as it runs: GET /users/analytics (naive),
 * /users/analytics/optimized, /users/analytics/eager, /health and /; and
 * on PostgreSQL /users/analytics/pipelined.
 *
 * Threads. libmicrohttpd runs a pool of threads (two per core); each pool
 * thread that serves a request gets a worker of its own on its first
 * request: a read-only SQLite connection to the lab's database, a
 * request_ctx, a tracer, and its own span and log rings. On PostgreSQL a
 * worker whose connection is lost (any failure that leaves it down) answers
 * 503 (SERVER_BODY_RECONNECTING) and tries to reconnect at its next request
 * (at most every SERVER_RECONNECT_MS), saying "connection to the database
 * lost; reconnecting" and "reconnected to the database" in the log once
 * each; a statement that failed on a live connection renews the session
 * at the next request. A pool thread whose worker cannot be made (the
 * database is down at its first request) answers 503 too and tries again
 * as often; /users/analytics/pipelined runs there only (404,
 * SERVER_BODY_NO_PIPELINE, on SQLite). Its slot is claimed
 * with an atomic counter, so the hot path takes no lock and never waits for
 * the consumer: a full ring drops and counts (server_dropped). Every request
 * is one trace whose root is the server span (kind SERVER). The consumer is
 * the one thread that calls server_drain (main in `obslab serve`): it moves
 * every worker's spans into its store as producer 1 + worker
 * (store_drain_from; producer 0 is the lab's own workload) and hands it the
 * log records. The string table is shared: workers intern into it.
 *
 * Trace context and HTTP facts. A request with exactly one valid W3C
 * traceparent header (tracectx.h) is served in the caller's trace, its root
 * the child of the caller's span (http_info.remote_parent_id; several
 * tracestate fields are one list joined with ','); several traceparent
 * fields, or a malformed one, are ignored: a fresh trace. The sampled flag
 * is kept, not obeyed: the lab records every request. Each traced request's
 * http_info (method, path, route, status, server address and port as bound,
 * client address, user agent, protocol version, the caller's context)
 * reaches the consumer on the worker's http ring, pushed just before its
 * root, and server_drain attaches it (store_attach_http) before ingesting
 * the batch holding that root. Every traced response carries Server-Timing
 * (app, db, net and the trace id; httpinfo.h; on PostgreSQL total first and
 * net measured, "measured round trip"), from the request's own root
 * and statements: the figures analysis_attribution finds in its trace. With
 * tracing off there are no spans, no info and no Server-Timing. The response
 * carries no traceparent: W3C Trace Context lets a server send one, but
 * OpenTelemetry's SDKs do not, and Server-Timing already names the trace.
 *
 * Limits: a connection time-out (idle clients), deadlines for a whole
 * request and for sending its answer, the longest-waiting connection shut
 * near the connection limit (server_guard.h: slow clients), a
 * per-connection memory limit (libmicrohttpd answers oversized request
 * headers itself) and a URL size limit (414). Unknown paths are 404, other
 * methods 405 with Allow, each with a small JSON body as FastAPI writes it;
 * an HTTP/1.1 request without exactly one Host, or a method that is not a
 * token, is 400. %00 in a path is not decoded (a NUL would cut it short);
 * an absolute-form target is routed as its path. Once quiesced, every
 * request is answered 503 "server stopping" with Connection: close.
 * The pool: two threads per core, four at least.
 *
 * Ownership: server_start returns a server the caller stops with
 * server_stop (which frees it); names and the store are borrowed. Errors:
 * server_start fills err with one line (the address in use, a database the
 * readers cannot open...). The router (server_route) and the address
 * parser are pure functions, for any thread.
 */
#ifndef OBSLAB_SERVER_H
#define OBSLAB_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/error.h"
#include "obslab/request.h"
#include "obslab/session.h"

struct store;
struct strtab;

#define SERVER_DEFAULT_HOST "127.0.0.1"
#define SERVER_DEFAULT_PORT 8000
#define SERVER_HOST_MAX 256             /* a host name or address literal, bytes */
#define SERVER_DEFAULT_TIMEOUT_S 10     /* an idle or slow connection is closed after this */
#define SERVER_MAX_TIMEOUT_S 3600
#define SERVER_DEFAULT_CONNECTIONS 1000 /* open at once; more are refused */
#define SERVER_CONNECTION_MEMORY (32u * 1024u) /* per connection: request line and headers */
#define SERVER_MAX_URL 8192             /* bytes of request target; longer is 414 */
#define SERVER_STOP_GRACE_MS 2000       /* requests in flight get this long to finish */
#define SERVER_SPAN_RING (1u << 16)     /* span records per worker */
#define SERVER_LOG_RING (1u << 8)       /* log records per worker */
#define SERVER_HTTP_RING (1u << 10)     /* http_info records per worker (one per traced request) */
#define SERVER_RECONNECT_MS 250         /* a worker's reconnecting attempts, at most one this often */

/* ---- routing (pure) -------------------------------------------------------------- */

enum server_route {
	SERVER_ROUTE_NONE,      /* no such path: 404 */
	SERVER_ROUTE_ROOT,      /* GET /: the endpoints */
	SERVER_ROUTE_HEALTH,    /* GET /health */
	SERVER_ROUTE_NAIVE,     /* GET /users/analytics */
	SERVER_ROUTE_OPTIMIZED, /* GET /users/analytics/optimized */
	SERVER_ROUTE_EAGER,     /* GET /users/analytics/eager */
	SERVER_ROUTE_PIPELINED, /* GET /users/analytics/pipelined: PostgreSQL only (404 on SQLite) */
	SERVER_ROUTE_COUNT,
};

/* What the router decided for a method and a path (the path without its
 * query string, as libmicrohttpd gives it). */
struct server_decision {
	unsigned status;          /* 200, 404, 405 */
	enum server_route route;  /* SERVER_ROUTE_NONE when the path matched none */
	const char *template;     /* http.route: "/health"...; NULL without a route */
	const char *method;       /* OpenTelemetry's: "GET"... or "_OTHER" for a method it does not know */
	const char *allow;        /* 405: the Allow header's value; else NULL */
	const char *error_body;   /* 404/405: {"detail":"..."}; else NULL */
	bool head;                /* HEAD: the headers of GET, no body */
};

#define SERVER_ALLOW "GET, HEAD"
#define SERVER_BODY_NOT_FOUND "{\"detail\":\"Not Found\"}"
#define SERVER_BODY_NOT_ALLOWED "{\"detail\":\"Method Not Allowed\"}"
#define SERVER_BODY_URI_TOO_LONG "{\"detail\":\"URI Too Long\"}"
#define SERVER_BODY_ERROR "{\"detail\":\"Internal Server Error\"}"
#define SERVER_BODY_UNAVAILABLE "{\"detail\":\"Service Unavailable\"}"
#define SERVER_BODY_STOPPING "{\"detail\":\"server stopping\"}"
#define SERVER_BODY_BAD_REQUEST "{\"detail\":\"Bad Request\"}"
#define SERVER_BODY_NO_PIPELINE                                                                                    \
	"{\"detail\":\"Not Found: the pipelined implementation needs PostgreSQL; this server's lab runs on SQLite\"}"
#define SERVER_BODY_RECONNECTING                                                                                   \
	"{\"detail\":\"Service Unavailable: the connection to the database was lost; reconnecting\"}"

void server_route(const char *method, const char *path, struct server_decision *out);

/* The strategy a route runs, or false for the routes that run none. */
bool server_route_strategy(enum server_route route, enum strategy *out);

/* The server span's name, as OpenTelemetry's HTTP conventions say:
 * "{method} {route}" ("GET /health"), "{method}" without a route ("GET"),
 * and "HTTP" for a method it does not know. Written into buf (cap bytes). */
void server_span_name(const struct server_decision *d, char *buf, size_t cap);

/* The body of GET / (a JSON listing of the endpoints) and of GET /health. */
const char *server_root_body(void);
const char *server_health_body(void);

/* "HOST:PORT", "[V6]:PORT" or ":PORT" (the default host): host into host
 * (without brackets), port into *port (0: any free port). False with err
 * filled (one line) for anything else. */
bool server_parse_listen(const char *text, char host[SERVER_HOST_MAX], uint16_t *port, struct obslab_error *err);

/* The warning a server listening on every interface ("0.0.0.0:8000",
 * "[::]:8000") gives, without "obslab: ", into buf: "listening on all
 * interfaces (0.0.0.0): anyone who can reach this machine can call it".
 * False (buf untouched) for any other authority. */
bool server_all_interfaces(const char *authority, char *buf, size_t cap);

/* ---- the daemon -------------------------------------------------------------- */

struct server_config {
	const char *host;          /* an address or name to bind; NULL: SERVER_DEFAULT_HOST */
	uint16_t port;             /* 0: any free port (server_port says which) */
	const char *db_path;       /* the lab's database file, opened and seeded by its driver */
	uint32_t users;            /* the lab's settings, recorded on each request's root span */
	bool index;
	uint32_t rtt_us;           /* simulated round trip per query */
	bool trace;                /* false: the same requests, no spans */
	unsigned threads;          /* pool threads; 0: two per core, four at least */
	unsigned timeout_s;        /* 0: SERVER_DEFAULT_TIMEOUT_S */
	unsigned max_connections;  /* 0: SERVER_DEFAULT_CONNECTIONS */
	size_t max_url;            /* 0: SERVER_MAX_URL */
	int listen_fd;             /* > 0: server_listen's socket, taken (host and port unused); 0: bound here */
};

struct server;

/* A listening socket on host (NULL: SERVER_DEFAULT_HOST) and port, resolved
 * and bound, for server_config.listen_fd: bound before anything else is made
 * (the lab's database), so a port in use leaves nothing behind. -1 with err
 * filled (one line) if it cannot. */
int server_listen(const char *host, uint16_t port, struct obslab_error *err);

/* Binds (or takes cfg->listen_fd, closed on failure too) and starts
 * serving; NULL with err filled if it cannot. */
struct server *server_start(const struct server_config *cfg, struct strtab *names, struct obslab_error *err);

/* The port bound, and the address as a URL's authority ("127.0.0.1:8000",
 * "[::1]:8000"). */
uint16_t server_port(const struct server *s);
void server_authority(const struct server *s, char *buf, size_t cap);

/* Consumer side: moves every worker's spans into store and their log
 * records to on_log (may be NULL). Returns the spans moved. */
size_t server_drain(struct server *s, struct store *store, session_log_fn *on_log, void *ctx);

/* Workers started so far, and the span records worker i (or all, for
 * SERVER_ALL_WORKERS) dropped because its ring was full. Any thread. */
#define SERVER_ALL_WORKERS UINT32_MAX
unsigned server_workers(const struct server *s);
uint64_t server_dropped(const struct server *s, unsigned worker);
/* HTTP infos that never reached the store: dropped by a worker's full http
 * ring, or still on it (their root never came). The consumer's thread. */
uint64_t server_http_lost(const struct server *s);
/* Requests answered so far, and requests being handled now. Any thread. */
uint64_t server_requests(const struct server *s);
unsigned server_in_flight(const struct server *s);

/* Stops accepting connections (requests on open ones still run). */
void server_quiesce(struct server *s);
/* Cancels the lab requests running now: they answer 503. */
void server_cancel(struct server *s);
/* Closes every connection, joins the pool, frees. Call server_drain once
 * more before it to keep the last spans: it frees the rings. NULL: no-op. */
void server_stop(struct server *s);

#endif
