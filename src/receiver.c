/*
 * receiver — the OTLP/HTTP receiver: each request checked, read (bounded),
 * inflated, decoded and queued on its pool thread; the queue the consumer
 * takes from; the stats; the stop (see receiver.h). The answers
 * themselves, headers and bodies, are receiver_reply.c's.
 */
#include "obslab/receiver.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <strings.h>
#include <time.h>

#include "httpd.h"
#include "obslab/clock.h"
#include "obslab/forward.h"
#include "obslab/gzip.h"
#include "obslab/otel.h"
#include "obslab/xalloc.h"
#include "receiver_http.h"
#include "receiver_reply.h"

struct queued {
	struct otlp_batch *batch;
	size_t bytes; /* otel_set_bytes of its set */
	struct queued *next;
};

struct receiver {
	struct httpd http;
	struct receiver_config cfg;
	struct httpd_bound bound;
	bool loopback;               /* bound to loopback: only a Host naming loopback is answered */
	pthread_mutex_t lock;        /* the queue */
	pthread_cond_t room;         /* broadcast when the consumer took batches, or at the stop */
	unsigned waiting;            /* under lock: pool threads waiting for room */
	struct queued *head, *tail;  /* under lock */
	size_t queued_spans;         /* under lock */
	size_t queued_bytes;         /* under lock: the queued sets' memory */
	_Atomic size_t queued_seen;  /* queued_spans, for a look without the lock */
	_Atomic bool stopping;
	_Atomic size_t buffered;     /* bytes of request bodies held now */
	_Atomic size_t decoding;     /* inflated bytes being decoded now (RECEIVER_MAX_DECODING) */
	_Atomic unsigned in_flight;
	struct rx_answers answers;   /* the answers sent, by kind (receiver_reply.h) */
	_Atomic uint64_t spans, rejected;
	_Atomic uint64_t looped, looped_spans, too_many_hops;
};

/* One POST's state, *req_cls from its first call to its completion. */
struct rx_request {
	enum otlp_encoding enc;
	bool gzip;
	unsigned refused;   /* a status decided while reading (413, 429): the rest is discarded */
	char *body;
	size_t len, cap;    /* cap bytes counted in the receiver's buffered */
};

/* *req_cls of a request answered on its first call: nothing to free. */
static const char answered;

void receiver_config_default(struct receiver_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	snprintf(cfg->host, sizeof cfg->host, "%s", RECEIVER_DEFAULT_HOST);
	cfg->port = RECEIVER_DEFAULT_PORT;
}

/* ---- the body --------------------------------------------------------------- */

/* Counts n more bytes held; false (nothing counted) past RECEIVER_MAX_BUFFERED. */
static bool hold(struct receiver *r, size_t n)
{
	size_t was = atomic_fetch_add(&r->buffered, n);
	if (was + n > RECEIVER_MAX_BUFFERED) {
		atomic_fetch_sub(&r->buffered, n);
		return false;
	}
	return true;
}

static void release_body(struct receiver *r, struct rx_request *q)
{
	if (q->cap)
		atomic_fetch_sub(&r->buffered, q->cap);
	free(q->body);
	q->body = NULL;
	q->len = q->cap = 0;
}

/* The next part of the body: kept, or the request refused (413, 429) and the rest discarded. */
static void take_part(struct receiver *r, struct rx_request *q, const char *data, size_t n)
{
	if (q->refused)
		return;
	if (n > r->cfg.max_body - q->len) {
		q->refused = 413;
	} else if (q->len + n > q->cap) {
		size_t cap = q->cap ? q->cap : 64 * 1024;
		while (cap < q->len + n)
			cap *= 2;
		if (cap > r->cfg.max_body)
			cap = r->cfg.max_body;
		if (hold(r, cap - q->cap)) {
			q->body = xrealloc(q->body, cap);
			q->cap = cap;
		} else {
			q->refused = 429;
		}
	}
	if (q->refused) {
		release_body(r, q);
		return;
	}
	memcpy(q->body + q->len, data, n);
	q->len += n;
}

/* ---- the queue ---------------------------------------------------------------- */

/* Queues b (taken) unless it would pass the bound: then 429 (or 413 for a
 * batch larger than the whole queue), or 503 once stopping. 0 when queued. */
/* Whether spans more spans (and bytes more bytes) would pass the queue's
 * bounds. Under lock. */
static bool queue_full(const struct receiver *r, size_t spans, size_t bytes)
{
	return r->queued_spans + spans > r->cfg.max_queued_spans ||
	       (r->queued_bytes > 0 && r->queued_bytes + bytes > RECEIVER_MAX_QUEUED_BYTES);
}

/* Waits, under lock, up to RECEIVER_BUSY_WAIT_MS for room for spans and
 * bytes (or the stop). */
static void wait_room(struct receiver *r, size_t spans, size_t bytes)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += (long)RECEIVER_BUSY_WAIT_MS * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	r->waiting++;
	while (!atomic_load(&r->stopping) && queue_full(r, spans, bytes))
		if (pthread_cond_timedwait(&r->room, &r->lock, &until) != 0)
			break; /* timed out */
	r->waiting--;
}

static unsigned enqueue(struct receiver *r, struct otlp_batch *b)
{
	if (b->nspans > r->cfg.max_queued_spans)
		return 413;
	unsigned status = 0;
	struct queued *node = xmalloc(sizeof *node);
	node->batch = b;
	node->bytes = otel_set_bytes(b->set);
	node->next = NULL;
	pthread_mutex_lock(&r->lock);
	if (!atomic_load(&r->stopping) && queue_full(r, b->nspans, node->bytes))
		wait_room(r, b->nspans, node->bytes);
	if (atomic_load(&r->stopping)) {
		status = 503;
	} else if (queue_full(r, b->nspans, node->bytes)) {
		status = 429;
	} else {
		if (r->tail)
			r->tail->next = node;
		else
			r->head = node;
		r->tail = node;
		r->queued_spans += b->nspans;
		r->queued_bytes += node->bytes;
		atomic_store_explicit(&r->queued_seen, r->queued_spans, memory_order_relaxed);
	}
	pthread_mutex_unlock(&r->lock);
	if (status)
		free(node);
	return status;
}

size_t receiver_take(struct receiver *r, struct otlp_batch **out, size_t max)
{
	size_t n = 0;
	pthread_mutex_lock(&r->lock);
	while (n < max && r->head) {
		struct queued *node = r->head;
		r->head = node->next;
		if (!r->head)
			r->tail = NULL;
		r->queued_spans -= node->batch->nspans;
		r->queued_bytes -= node->bytes;
		out[n++] = node->batch;
		free(node);
	}
	atomic_store_explicit(&r->queued_seen, r->queued_spans, memory_order_relaxed);
	if (n && r->waiting)
		pthread_cond_broadcast(&r->room);
	pthread_mutex_unlock(&r->lock);
	return n;
}

/* ---- a request ---------------------------------------------------------------- */

/* Every Via line of a request, comma-joined (RFC 9110 7.6.3), cut one byte
 * past FORWARD_VIA_MAX (too long to forward). */
struct via_text {
	char text[FORWARD_VIA_MAX + 2];
	size_t len;
};

static enum MHD_Result add_via(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct via_text *v = cls;
	if (key && value && strcasecmp(key, "Via") == 0) {
		int w = snprintf(v->text + v->len, sizeof v->text - v->len, "%s%s", v->len ? ", " : "", value);
		v->len = w < 0 ? v->len : v->len + (size_t)w >= sizeof v->text ? sizeof v->text - 1 : v->len + (size_t)w;
	}
	return MHD_YES;
}

/* The whole body is in: inflated, decoded, queued, answered. */
static enum MHD_Result finish(struct receiver *r, struct MHD_Connection *c, struct rx_request *q)
{
	guard_handling(httpd_conn(c));
	if (q->refused == 413)
		return rx_send_status(&r->answers, c, 413, q->enc, RX_RPC_OUT_OF_RANGE,
		                      "request body larger than the receiver's limit");
	if (q->refused == 429)
		return rx_send_status(&r->answers, c, 429, q->enc, RX_RPC_RESOURCE_EXHAUSTED,
		                      "receiver busy: too many bodies held at once");
	if (atomic_load(&r->stopping))
		return rx_send_status(&r->answers, c, 503, q->enc, RX_RPC_UNAVAILABLE, "receiver stopping");
	const char *body = q->body ? q->body : "";
	size_t len = q->len;
	struct otlp_buf inflated = { 0 };
	if (q->gzip) {
		enum gzip_status gs = gzip_inflate(body, len, r->cfg.max_inflated, &inflated);
		release_body(r, q); /* the inflated copy is bounded by max_inflated */
		if (gs == GZIP_TOO_LARGE) {
			otlp_buf_free(&inflated);
			return rx_send_status(&r->answers, c, 413, q->enc, RX_RPC_OUT_OF_RANGE,
			                      "inflated body larger than the receiver's limit");
		}
		if (gs != GZIP_OK) {
			otlp_buf_free(&inflated);
			return rx_send_status(&r->answers, c, 400, q->enc, RX_RPC_INVALID_ARGUMENT,
			                      "body is not valid gzip");
		}
		body = inflated.data ? inflated.data : "";
		len = inflated.len;
	}
	/* The decoder's arena is up to OTLP_ARENA_FACTOR times len: bodies
	 * decoded at once are bounded together (one alone always passes). */
	size_t was = atomic_fetch_add(&r->decoding, len);
	if (was > 0 && was + len > RECEIVER_MAX_DECODING) {
		atomic_fetch_sub(&r->decoding, len);
		otlp_buf_free(&inflated);
		release_body(r, q);
		return rx_send_status(&r->answers, c, 429, q->enc, RX_RPC_RESOURCE_EXHAUSTED,
		                   "receiver busy: too many bodies being decoded at once");
	}
	struct otel_set *set = otel_set_create();
	struct otlp_decode_result res = { 0 };
	struct obslab_error why;
	bool ok = otlp_decode(q->enc, body, len, set, &res, &why);
	atomic_fetch_sub(&r->decoding, len);
	otlp_buf_free(&inflated);
	release_body(r, q);
#ifdef __GLIBC__
	if (len >= RECEIVER_TRIM_AFTER) /* the decoder's arena, freed: back to the system, not kept by this thread's malloc arena */
		malloc_trim(0);
#endif
	if (!ok) {
		otel_set_destroy(set);
		return rx_send_status(&r->answers, c, 400, q->enc, RX_RPC_INVALID_ARGUMENT, why.msg);
	}
	struct otlp_batch *b = otlp_batch_new(set, clock_now_ns());
	struct via_text via_text = { .len = 0 };
	MHD_get_connection_values(c, MHD_HEADER_KIND, add_via, &via_text);
	if (via_text.len)
		b->via = memcpy(xmalloc(via_text.len + 1), via_text.text, via_text.len + 1);
	enum forward_via via = forward_via_check(b->via);
	if (via == FORWARD_VIA_LOOP && b->nspans > 0) { /* it was received here before: a forwarding loop */
		atomic_fetch_add_explicit(&r->looped, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&r->looped_spans, b->nspans, memory_order_relaxed);
	} else if (b->nspans > 0) {
		unsigned status = enqueue(r, otlp_batch_ref(b));
		if (status) {
			otlp_batch_unref(b); /* the queue's reference */
			otlp_batch_unref(b);
			char msg[160];
			if (status == 413)
				snprintf(msg, sizeof msg, "%zu spans in one request: more than the receiver's whole queue (%zu)",
				         res.spans, r->cfg.max_queued_spans);
			else
				snprintf(msg, sizeof msg, "%s", status == 429 ? "receiver busy: its queue is full" : "receiver stopping");
			return rx_send_status(&r->answers, c, status, q->enc, rx_code_of(status), msg);
		}
		atomic_fetch_add_explicit(&r->spans, b->nspans, memory_order_relaxed);
		if (r->cfg.forward && via == FORWARD_VIA_TOO_MANY)
			atomic_fetch_add_explicit(&r->too_many_hops, 1, memory_order_relaxed);
		else if (r->cfg.forward)
			forward_batch(r->cfg.forward, b); /* as it came; a full queue drops and counts it */
	}
	otlp_batch_unref(b);
	atomic_fetch_add_explicit(&r->rejected, res.rejected, memory_order_relaxed);
	struct otlp_buf out = { 0 };
	otlp_encode_response(q->enc, res.rejected, res.message, &out);
	enum MHD_Result ret = rx_send_answer(&r->answers, c, 200, rx_content_type(q->enc), out.data, out.len);
	otlp_buf_free(&out);
	return ret;
}

/* The headers are in: answered now (404, 405, 415, 413 by Content-Length,
 * 429 with a full queue, 503 stopping, a preflight), or a request to read. */
static enum MHD_Result begin(struct receiver *r, struct MHD_Connection *c, const char *url, const char *method,
                             const char *version, void **req_cls)
{
	*req_cls = (void *)(uintptr_t)&answered;
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	enum otlp_encoding enc = OTLP_JSON; /* of the error answers when the request names none we know */
	bool media_ok = rx_media_type(ct, &enc);
	if (!rx_lengths_agree(c)) /* where the body ends is in doubt: nothing more on this connection */
		return rx_send_status_close(&r->answers, c, 400, enc, RX_RPC_INVALID_ARGUMENT,
		                         "Content-Length given twice with different values", true);
	unsigned nhost = rx_host_count(c);
	if (nhost > 1 || (nhost == 0 && strcmp(version, MHD_HTTP_VERSION_1_0) != 0))
		return rx_send_status(&r->answers, c, 400, enc, RX_RPC_INVALID_ARGUMENT,
		                      "a request needs exactly one Host header");
	if (r->loopback && !rx_host_allowed(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST)))
		return rx_send_status(&r->answers, c, 403, enc, RX_RPC_PERMISSION_DENIED, /* DNS rebinding */
		                   "forbidden: the receiver listens on loopback; Host must be localhost, 127.x.y.z or [::1]");
	if (strcmp(url, RECEIVER_PATH) != 0)
		return rx_send_status(&r->answers, c, 404, enc, RX_RPC_NOT_FOUND,
		                      "not found: OTLP traces go to POST /v1/traces");
	if (strcmp(method, "OPTIONS") == 0)
		return rx_send_preflight(&r->answers, c);
	if (strcmp(method, "POST") != 0)
		return rx_send_status(&r->answers, c, 405, enc, RX_RPC_UNIMPLEMENTED,
		                      "method not allowed: POST /v1/traces");
	if (atomic_load(&r->stopping))
		return rx_send_status(&r->answers, c, 503, enc, RX_RPC_UNAVAILABLE, "receiver stopping");
	if (!media_ok)
		return rx_send_status(&r->answers, c, 415, enc, RX_RPC_UNIMPLEMENTED,
		                   "unsupported media type: use application/x-protobuf or application/json");
	if (enc == OTLP_JSON && !rx_json_charset_ok(ct))
		return rx_send_status(&r->answers, c, 415, enc, RX_RPC_UNIMPLEMENTED,
		                   "unsupported charset: OTLP/JSON is UTF-8 (charset=utf-8, or none)");
	bool gzip;
	const char *ce = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_ENCODING);
	if (!rx_content_encoding(ce, &gzip))
		return rx_send_status(&r->answers, c, 415, enc, RX_RPC_UNIMPLEMENTED,
		                      "unsupported content encoding: use gzip or none");
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long length = 0;
	if (cl) {
		char *end;
		errno = 0;
		length = strtoull(cl, &end, 10);
		if (errno || end == cl)
			length = ULLONG_MAX;
		if (length > r->cfg.max_body)
			return rx_send_status(&r->answers, c, 413, enc, RX_RPC_OUT_OF_RANGE,
			                      "request body larger than the receiver's limit");
	}
	if (atomic_load_explicit(&r->queued_seen, memory_order_relaxed) >= r->cfg.max_queued_spans) {
		pthread_mutex_lock(&r->lock);
		wait_room(r, 1, 0);
		bool full = queue_full(r, 1, 0);
		pthread_mutex_unlock(&r->lock);
		if (full)
			return rx_send_status(&r->answers, c, 429, enc, RX_RPC_RESOURCE_EXHAUSTED,
			                      "receiver busy: its queue is full");
	}
	struct rx_request *q = xcalloc(1, sizeof *q);
	q->enc = enc;
	q->gzip = gzip;
	if (length > 0) { /* the whole body at once */
		if (!hold(r, (size_t)length)) {
			free(q);
			return rx_send_status(&r->answers, c, 429, enc, RX_RPC_RESOURCE_EXHAUSTED,
			                      "receiver busy: too many bodies held at once");
		}
		q->body = xmalloc((size_t)length);
		q->cap = (size_t)length;
	}
	*req_cls = q;
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_size, void **req_cls)
{
	struct receiver *r = cls;
	if (!*req_cls) {
		atomic_fetch_add(&r->in_flight, 1);
		return begin(r, c, url, method, version, req_cls);
	}
	if (*req_cls == &answered) { /* answered on the first call: the body that follows is discarded */
		*upload_size = 0;
		return MHD_YES;
	}
	struct rx_request *q = *req_cls;
	if (*upload_size > 0) {
		take_part(r, q, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	return finish(r, c, q);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe)
{
	(void)c;
	(void)toe;
	struct receiver *r = cls;
	if (!*req_cls)
		return;
	if (*req_cls != &answered) {
		struct rx_request *q = *req_cls;
		release_body(r, q);
		free(q);
	}
	*req_cls = NULL;
	atomic_fetch_sub(&r->in_flight, 1);
}

/* ---- the receiver --------------------------------------------------------------- */

struct receiver *receiver_start(const struct receiver_config *cfg, struct obslab_error *err)
{
	int fd = server_listen(cfg->host[0] ? cfg->host : RECEIVER_DEFAULT_HOST, cfg->port, err);
	if (fd < 0)
		return NULL;
	struct receiver *r = xcalloc(1, sizeof *r);
	r->cfg = *cfg;
	if (!r->cfg.max_body)
		r->cfg.max_body = RECEIVER_DEFAULT_MAX_BODY;
	if (!r->cfg.max_inflated)
		r->cfg.max_inflated = RECEIVER_DEFAULT_MAX_INFLATED;
	if (!r->cfg.max_queued_spans)
		r->cfg.max_queued_spans = RECEIVER_DEFAULT_MAX_QUEUED_SPANS;
	if (!r->cfg.timeout_s)
		r->cfg.timeout_s = SERVER_DEFAULT_TIMEOUT_S;
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->room, &ca);
	pthread_condattr_destroy(&ca);
	httpd_describe(fd, &r->bound);
	r->loopback = rx_loopback_address(r->bound.address);
	struct httpd_config hc = {
		.fd = fd,
		.threads = httpd_pool_size(0, 64),
		.timeout_s = r->cfg.timeout_s,
		.max_connections = SERVER_DEFAULT_CONNECTIONS,
		.connection_memory = SERVER_CONNECTION_MEMORY,
		.on_request = on_request,
		.on_completed = on_completed,
		.cls = r,
	};
	if (!httpd_start(&r->http, &hc)) {
		obslab_error_set(err, "cannot start the OTLP receiver on %s (libmicrohttpd refused its settings)",
		                 r->bound.authority);
		pthread_mutex_destroy(&r->lock);
		pthread_cond_destroy(&r->room);
		free(r);
		return NULL;
	}
	return r;
}

void receiver_authority(const struct receiver *r, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s", r->bound.authority);
}

void receiver_get_stats(const struct receiver *r, struct receiver_stats *out)
{
	out->requests = atomic_load(&r->answers.requests);
	out->spans = atomic_load(&r->spans);
	out->rejected_spans = atomic_load(&r->rejected);
	out->busy = atomic_load(&r->answers.busy);
	out->bad = atomic_load(&r->answers.bad);
	out->too_large = atomic_load(&r->answers.too_large);
	out->unsupported = atomic_load(&r->answers.unsupported);
	out->queued_spans = atomic_load(&r->queued_seen);
	out->looped = atomic_load(&r->looped);
	out->looped_spans = atomic_load(&r->looped_spans);
	out->too_many_hops = atomic_load(&r->too_many_hops);
}

unsigned receiver_in_flight(const struct receiver *r)
{
	return atomic_load(&r->in_flight);
}

void receiver_quiesce(struct receiver *r)
{
	pthread_mutex_lock(&r->lock); /* after this, enqueue sees it */
	bool was = atomic_exchange(&r->stopping, true);
	pthread_cond_broadcast(&r->room); /* the waiting answer 503 */
	pthread_mutex_unlock(&r->lock);
	if (!was)
		httpd_quiesce(&r->http);
}

void receiver_stop(struct receiver *r)
{
	if (!r)
		return;
	receiver_quiesce(r);
	httpd_stop(&r->http); /* joins the pool */
	struct otlp_batch *batch[64];
	size_t n;
	while ((n = receiver_take(r, batch, 64)) > 0)
		for (size_t i = 0; i < n; i++)
			otlp_batch_unref(batch[i]);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->room);
	free(r);
}
