/*
 * server — the HTTP daemon (libmicrohttpd): the listening socket, the pool,
 * the limits, each request routed and answered by its thread's worker, the
 * workers drained by the consumer, and the stop (see server.h).
 */
#include "obslab/server.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "obslab/clock.h"
#include "obslab/db.h"
#include "obslab/labdb.h"
#include "obslab/httpinfo.h"
#include "obslab/log.h"
#include "obslab/ring.h"
#include "obslab/store.h"
#include "obslab/tracectx.h"
#include "obslab/xalloc.h"
#include "httpd.h"
#include "server_worker.h"

/* Producer 0 is the lab's own workload: workers are 1 + index. */
#define SERVER_MAX_WORKERS (STORE_MAX_PRODUCERS - 1)
#define LOG_DRAIN_BATCH 64
#define SPAN_DRAIN_BATCH 128 /* at most 128 roots: their infos fit the store's waiting list */

struct server {
	struct httpd http; /* the daemon, its pool and connection deadlines (httpd.h) */
	struct server_config cfg;
	struct strtab *names;
	char authority[SERVER_HOST_MAX + 16];
	char bound[INET6_ADDRSTRLEN]; /* the address bound: server.address */
	uint16_t port;
	size_t max_url;
	pthread_key_t key; /* a pool thread's worker */
	_Atomic unsigned nclaimed;
	_Atomic(struct server_worker *) workers[SERVER_MAX_WORKERS];
	_Atomic uint32_t cancel;
	_Atomic bool stopping, quiesced;
	_Atomic unsigned in_flight;
	_Atomic uint64_t requests;
	uint64_t http_popped[SERVER_MAX_WORKERS]; /* the consumer's: infos taken from each http ring */
};

/* What a request's *req_cls holds: the URI log callback's verdict, then
 * that the request was counted in flight. */
static const char uri_too_long, counted, counted_too_long;
/* A pool thread whose worker could not be made: it answers 503. */
static const char no_worker;

/* A request line came (httpd.c told the guard): too long is 414. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	(void)c;
	const struct server *s = cls;
	return strlen(uri) > s->max_url ? (void *)(uintptr_t)&uri_too_long : NULL;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe)
{
	(void)toe;
	(void)c;
	struct server *s = cls;
	if (*req_cls == &counted || *req_cls == &counted_too_long)
		atomic_fetch_sub(&s->in_flight, 1);
	*req_cls = NULL;
}

/* When this pool thread last failed to make its worker (the database was
 * down): it tries again at most every SERVER_RECONNECT_MS. */
static _Thread_local int64_t worker_failed_at;

/* The calling pool thread's worker, made on its first request; a thread
 * whose worker could not be made (the database unavailable) answers 503
 * and tries again later, so every pool thread gets its worker once the
 * database is back. Its slot is claimed once it is made. */
static struct server_worker *worker_of_thread(struct server *s)
{
	void *mine = pthread_getspecific(s->key);
	if (mine)
		return mine == &no_worker ? NULL : mine;
	int64_t now = clock_now_ns();
	if (worker_failed_at && now - worker_failed_at < SERVER_RECONNECT_MS * CLOCK_NS_PER_MS)
		return NULL;
	if (atomic_load(&s->nclaimed) >= SERVER_MAX_WORKERS) {
		pthread_setspecific(s->key, (void *)(uintptr_t)&no_worker);
		return NULL;
	}
	struct obslab_error err;
	struct server_worker *w = server_worker_create(&s->cfg, s->names, &s->cancel, &err);
	if (!w) {
		worker_failed_at = now ? now : 1;
		return NULL;
	}
	worker_failed_at = 0;
	unsigned i = atomic_fetch_add(&s->nclaimed, 1);
	if (i >= SERVER_MAX_WORKERS) {
		server_worker_destroy(w);
		pthread_setspecific(s->key, (void *)(uintptr_t)&no_worker);
		return NULL;
	}
	atomic_store_explicit(&s->workers[i], w, memory_order_release);
	pthread_setspecific(s->key, w);
	return w;
}

/* The trace context headers as the request has them: several traceparent
 * fields make it invalid (W3C Trace Context: "multiple traceparent
 * headers" are ignored), several tracestate fields are one list joined
 * with ',' in their order (RFC 9110). Every header fits the connection's
 * memory, so the joined list fits state. */
struct context_headers {
	unsigned nhost; /* Host fields (RFC 9112 3.2: an HTTP/1.1 request has exactly one) */
	unsigned nparent;
	const char *parent;
	char state[SERVER_CONNECTION_MEMORY];
	size_t nstate;
	bool has_state;
};

static enum MHD_Result on_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct context_headers *h = cls;
	if (!key || !value)
		return MHD_YES;
	if (strcasecmp(key, "host") == 0) {
		h->nhost++;
	} else if (strcasecmp(key, "traceparent") == 0) {
		h->nparent++;
		h->parent = value;
	} else if (strcasecmp(key, "tracestate") == 0) {
		size_t n = strlen(value), sep = h->has_state ? 1 : 0;
		if (h->nstate + sep + n < sizeof h->state) {
			if (sep)
				h->state[h->nstate++] = ',';
			memcpy(h->state + h->nstate, value, n);
			h->nstate += n;
			h->state[h->nstate] = '\0';
			h->has_state = true;
		}
	}
	return MHD_YES;
}

/* The client's address as text. A pool thread's connections mostly come
 * from one address (keep-alive, a load balancer, loopback), so the last
 * address formatted is kept per thread: inet_ntop's sprintf is not redone
 * for every request. */
static const char *client_text(const struct sockaddr *sa)
{
	static _Thread_local struct {
		sa_family_t family;
		unsigned char addr[16];
		char text[INET6_ADDRSTRLEN];
	} last;
	const void *addr = NULL;
	size_t len = 0;
	if (sa && sa->sa_family == AF_INET6) {
		addr = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		len = 16;
	} else if (sa && sa->sa_family == AF_INET) {
		addr = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		len = 4;
	}
	if (!addr)
		return "";
	if (last.family == sa->sa_family && memcmp(last.addr, addr, len) == 0)
		return last.text;
	if (!inet_ntop(sa->sa_family, addr, last.text, sizeof last.text)) {
		last.family = 0;
		return "";
	}
	last.family = sa->sa_family;
	memcpy(last.addr, addr, len);
	return last.text;
}

/* How many Host fields the request has: all a request needs of its
 * headers when tracing is off. */
static enum MHD_Result on_host(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	(void)value;
	if (key && strcasecmp(key, "host") == 0)
		(*(unsigned *)cls)++;
	return MHD_YES;
}

static unsigned count_hosts(struct MHD_Connection *c)
{
	unsigned n = 0;
	MHD_get_connection_values(c, MHD_HEADER_KIND, on_host, &n);
	return n;
}

/* The request's HTTP facts, for its span and its record (httpinfo.h).
 * Returns how many Host fields the request has. */
static unsigned request_facts(const struct server *s, struct MHD_Connection *c, const char *url, const char *method,
                          const char *version, struct http_info *info)
{
	http_info_init(info);
	http_info_set_text(info, HTTP_TEXT_METHOD, method, method ? strlen(method) : 0);
	if (version && strncmp(version, "HTTP/", 5) == 0)
		version += 5;
	http_info_set_text(info, HTTP_TEXT_PROTOCOL, version, version ? strlen(version) : 0);
	http_info_set_text(info, HTTP_TEXT_PATH, url, url ? strlen(url) : 0);
	http_info_set_text(info, HTTP_TEXT_SERVER_ADDRESS, s->bound, strlen(s->bound));
	info->server_port = s->port;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const char *client = client_text(ci ? ci->client_addr : NULL);
	http_info_set_text(info, HTTP_TEXT_CLIENT_ADDRESS, client, strlen(client));
	const char *ua = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT);
	if (ua)
		http_info_set_text(info, HTTP_TEXT_USER_AGENT, ua, strlen(ua));

	static _Thread_local struct context_headers headers; /* 32 kB: each pool thread's own */
	struct context_headers *h = &headers;
	h->nhost = 0;
	h->nparent = 0;
	h->parent = NULL;
	h->nstate = 0;
	h->has_state = false;
	h->state[0] = '\0';
	MHD_get_connection_values(c, MHD_HEADER_KIND, on_header, h);
	struct tracectx ctx;
	if (h->nparent == 1 && tracectx_parse_parent(h->parent, &ctx)) {
		if (h->has_state)
			tracectx_parse_state(h->state, &ctx);
		http_info_set_context(info, &ctx);
	}
	return h->nhost;
}

/* The path of a request target in absolute form ("http://host/health",
 * which RFC 9112 3.2.2 says a server MUST accept): routed and recorded as
 * its path. Any other target as it is. */
static const char *target_path(const char *url)
{
	const char *rest = NULL;
	if (strncasecmp(url, "http://", 7) == 0)
		rest = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		rest = url + 8;
	if (!rest)
		return url;
	const char *slash = strchr(rest, '/');
	return slash ? slash : "/";
}

/* A method is a token (RFC 9110 5.6.2): no control bytes, spaces or separators. */
static bool method_is_token(const char *m)
{
	if (!*m)
		return false;
	for (; *m; m++) {
		unsigned char ch = (unsigned char)*m;
		if (ch <= ' ' || ch >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", ch))
			return false;
	}
	return true;
}

/* RFC 9112 3.2: an HTTP/1.1 request without a Host field, or any request
 * with several, is a bad request. */
static bool host_fields_ok(const char *version, unsigned nhost)
{
	bool http11 = version && strncmp(version, "HTTP/1.", 7) == 0 && strcmp(version, "HTTP/1.0") != 0;
	return nhost == 1 || (nhost == 0 && !http11);
}

static void free_body(void *body)
{
	cJSON_free(body);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_size, void **req_cls)
{
	(void)upload_data;
	struct server *s = cls;
	/* First call: the headers are in. The request is answered once its
	 * body (none is expected; any is read and discarded) is: answering on
	 * the first call would cost the connection its keep-alive. */
	if (*req_cls != &counted && *req_cls != &counted_too_long) {
		*req_cls = (void *)(uintptr_t)(*req_cls == &uri_too_long ? &counted_too_long : &counted);
		atomic_fetch_add(&s->in_flight, 1);
		return MHD_YES;
	}
	if (*upload_size > 0) {
		*upload_size = 0;
		return MHD_YES;
	}
	bool too_long = *req_cls == &counted_too_long;
	guard_handling(httpd_conn(c));

	const char *path = target_path(url);
	struct server_decision d;
	server_route(method, path, &d);
	/* With tracing off nothing would read the facts: only the Host fields
	 * are counted. */
	struct http_info info;
	unsigned nhost = s->cfg.trace ? request_facts(s, c, path, method, version, &info) : count_hosts(c);
	if (too_long || !method_is_token(method) || !host_fields_ok(version, nhost)) {
		d.status = too_long ? 414 : 400;
		d.route = SERVER_ROUTE_NONE;
		d.template = NULL;
		d.allow = NULL;
		d.error_body = too_long ? SERVER_BODY_URI_TOO_LONG : SERVER_BODY_BAD_REQUEST;
	}
	/* Once the stop began, nothing new starts: every request is 503 at once. */
	bool stopping = atomic_load(&s->quiesced) || atomic_load(&s->stopping);
	struct server_reply r = { 0 };
	struct server_worker *w = worker_of_thread(s);
	if (w) {
		server_worker_handle(w, &d, stopping, s->cfg.trace ? &info : NULL, &r);
	} else {
		r.status = 503;
		r.body = labdb_arg_is_postgresql(s->cfg.db_path) ? SERVER_BODY_RECONNECTING : SERVER_BODY_UNAVAILABLE;
		r.len = strlen(r.body);
	}
	struct MHD_Response *resp =
		r.owned ? MHD_create_response_from_buffer_with_free_callback(r.len, r.owned, free_body)
		        : MHD_create_response_from_buffer(r.len, (void *)(uintptr_t)r.body, MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		if (r.owned)
			cJSON_free(r.owned);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	if (r.allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r.allow);
	if (r.timing[0])
		MHD_add_response_header(resp, "Server-Timing", r.timing);
	if (atomic_load(&s->quiesced))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result ret = MHD_queue_response(c, r.status, resp);
	MHD_destroy_response(resp);
	guard_answering(httpd_conn(c));
	atomic_fetch_add(&s->requests, 1);
	return ret;
}

/* A listening socket on host:port: bound here, so a failure says why
 * (the address in use, not an address of this machine). SO_REUSEADDR only
 * lets a restart bind while old connections linger in TIME_WAIT; without
 * SO_REUSEPORT a second server on the same port is refused. */
int server_listen(const char *host, uint16_t port, struct obslab_error *err)
{
	if (!host)
		host = SERVER_DEFAULT_HOST;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL;
	char service[8];
	snprintf(service, sizeof service, "%u", (unsigned)port);
	int rc = getaddrinfo(host, service, &hints, &res);
	if (rc != 0) {
		obslab_error_set(err, "cannot listen on %s: %s", host, gai_strerror(rc));
		return -1;
	}
	int fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
	int one = 1;
	bool v6 = res->ai_family == AF_INET6;
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (v6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	}
	if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		obslab_error_set(err, "cannot listen on %s%s%s:%u: %s", v6 ? "[" : "", host, v6 ? "]" : "",
		                 (unsigned)port, strerror(e));
		return -1;
	}
	freeaddrinfo(res);
	return fd;
}

struct server *server_start(const struct server_config *cfg, struct strtab *names, struct obslab_error *err)
{
	/* The readers must open before anything listens: say so now, not per request. */
	struct labdb *probe = labdb_open_reader(cfg->db_path, NULL, err);
	if (!probe) {
		if (cfg->listen_fd > 0)
			close(cfg->listen_fd);
		return NULL;
	}
	labdb_close(probe);

	struct server *s = xcalloc(1, sizeof *s);
	s->cfg = *cfg;
	s->names = names;
	s->max_url = cfg->max_url ? cfg->max_url : SERVER_MAX_URL;
	if (pthread_key_create(&s->key, NULL) != 0) {
		obslab_error_set(err, "cannot start the server: %s", strerror(errno));
		if (cfg->listen_fd > 0)
			close(cfg->listen_fd);
		free(s);
		return NULL;
	}
	int fd = cfg->listen_fd > 0 ? cfg->listen_fd : server_listen(cfg->host, cfg->port, err);
	if (fd < 0) {
		pthread_key_delete(s->key);
		free(s);
		return NULL;
	}
	struct httpd_bound b;
	httpd_describe(fd, &b);
	snprintf(s->authority, sizeof s->authority, "%s", b.authority);
	snprintf(s->bound, sizeof s->bound, "%s", b.address);
	s->port = b.port;
	struct httpd_config hc = {
		.fd = fd,
		.threads = httpd_pool_size(cfg->threads, SERVER_MAX_WORKERS),
		.timeout_s = cfg->timeout_s ? cfg->timeout_s : (unsigned)SERVER_DEFAULT_TIMEOUT_S,
		.max_connections = cfg->max_connections ? cfg->max_connections : (unsigned)SERVER_DEFAULT_CONNECTIONS,
		.connection_memory = SERVER_CONNECTION_MEMORY,
		.on_request = on_request,
		.on_uri = on_uri,
		.on_completed = on_completed,
		.cls = s,
	};
	if (!httpd_start(&s->http, &hc)) {
		pthread_key_delete(s->key);
		obslab_error_set(err, "cannot start the HTTP server on %s (libmicrohttpd refused its settings)",
		                 s->authority);
		free(s);
		return NULL;
	}
	return s;
}

uint16_t server_port(const struct server *s)
{
	return s->port;
}

void server_authority(const struct server *s, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s", s->authority);
}

static unsigned workers_claimed(const struct server *s)
{
	unsigned n = atomic_load(&s->nclaimed);
	return n < SERVER_MAX_WORKERS ? n : SERVER_MAX_WORKERS;
}

/* Worker i's spans into the store as producer 1 + i, each batch's http
 * infos attached before the batch: a worker pushes a request's info just
 * before its root, so the infos of the roots in a batch are on the http
 * ring by the time the batch was popped, and they are taken one per root,
 * in order. The store then joins each to its trace as the trace completes,
 * before anything can evict it. An info whose root was dropped waits in the
 * store's bounded list (and, never matched, is counted there). */
static size_t drain_worker(struct server *s, struct store *store, struct server_worker *w, unsigned i)
{
	struct span_record batch[SPAN_DRAIN_BATCH];
	size_t total = 0, n;
	while ((n = ring_pop(server_worker_spans(w), batch, SPAN_DRAIN_BATCH)) > 0) {
		size_t roots = 0;
		for (size_t k = 0; k < n; k++)
			roots += batch[k].parent_id == 0;
		for (; roots > 0; roots--) {
			struct http_info *info = xmalloc(sizeof *info);
			if (ring_pop(server_worker_http(w), info, 1) != 1) {
				free(info);
				break;
			}
			s->http_popped[i]++;
			store_attach_http(store, info);
		}
		store_ingest_from(store, batch, n, 1 + i);
		total += n;
	}
	return total;
}

size_t server_drain(struct server *s, struct store *store, session_log_fn *on_log, void *ctx)
{
	size_t moved = 0;
	unsigned n = workers_claimed(s);
	for (unsigned i = 0; i < n; i++) {
		struct server_worker *w = atomic_load_explicit(&s->workers[i], memory_order_acquire);
		if (!w)
			continue; /* claimed, not made yet (or failed) */
		moved += drain_worker(s, store, w, i);
		struct log_record batch[LOG_DRAIN_BATCH];
		size_t k;
		while ((k = ring_pop(server_worker_logs(w), batch, LOG_DRAIN_BATCH)) > 0)
			for (size_t j = 0; on_log && j < k; j++)
				on_log(ctx, &batch[j]);
	}
	return moved;
}

unsigned server_workers(const struct server *s)
{
	unsigned made = 0, n = workers_claimed(s);
	for (unsigned i = 0; i < n; i++)
		made += atomic_load_explicit(&s->workers[i], memory_order_acquire) != NULL;
	return made;
}

uint64_t server_dropped(const struct server *s, unsigned worker)
{
	uint64_t dropped = 0;
	unsigned n = workers_claimed(s);
	for (unsigned i = 0; i < n; i++) {
		struct server_worker *w = atomic_load_explicit(&s->workers[i], memory_order_acquire);
		if (w && (worker == SERVER_ALL_WORKERS || worker == i))
			dropped += ring_dropped(server_worker_spans(w));
	}
	return dropped;
}

uint64_t server_http_lost(const struct server *s)
{
	uint64_t lost = 0;
	unsigned n = workers_claimed(s);
	for (unsigned i = 0; i < n; i++) {
		struct server_worker *w = atomic_load_explicit(&s->workers[i], memory_order_acquire);
		if (w)
			lost += ring_dropped(server_worker_http(w)) + (ring_pushed(server_worker_http(w)) - s->http_popped[i]);
	}
	return lost;
}

uint64_t server_requests(const struct server *s)
{
	return atomic_load(&s->requests);
}

unsigned server_in_flight(const struct server *s)
{
	return atomic_load(&s->in_flight);
}

void server_quiesce(struct server *s)
{
	if (atomic_exchange(&s->quiesced, true))
		return;
	httpd_quiesce(&s->http);
}

void server_cancel(struct server *s)
{
	atomic_store(&s->stopping, true);
	atomic_fetch_add(&s->cancel, 1);
}

void server_stop(struct server *s)
{
	if (!s)
		return;
	server_cancel(s);
	httpd_stop(&s->http); /* joins the pool: no worker runs from here */
	for (unsigned i = 0; i < SERVER_MAX_WORKERS; i++)
		server_worker_destroy(atomic_load(&s->workers[i]));
	pthread_key_delete(s->key);
	free(s);
}
