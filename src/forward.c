/*
 * forward — the forwarder (forward.h): a bounded queue of OTLP batches in
 * spans, one sending thread that batches, encodes (otlp.h), gzips (gzip.h)
 * and POSTs with libcurl, retrying what the OTLP/HTTP specification says is
 * retryable, and a stop that never outlasts its flush time.
 *
 * Locking: one mutex guards the queue and the figures; the sending thread
 * holds it only between requests, never across a curl call. A stop sets a
 * deadline that the thread's waits and the request (forward_perform, woken
 * by the stop) both obey.
 * Spans that arrived with different Via lists (otlp_batch's via) go in
 * different requests, each with its Via followed by this process's entry.
 */
#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "obslab/clock.h"
#include "obslab/forward.h"
#include "obslab/gzip.h"
#include "obslab/otel.h"
#include "obslab/otel_lab.h"
#include "obslab/otlp.h"
#include "obslab/rng.h"
#include "obslab/store.h"
#include "obslab/xalloc.h"
#include "forward_internal.h"

#define RESPONSE_MAX (64 * 1024)       /* kept of an answer's body, for partial_success and errors */

struct fwd_item {
	struct otlp_batch *b; /* one reference, the queue's */
	size_t next;          /* spans of it already taken */
	int64_t queued_ns;
};

struct forwarder {
	struct forward_config cfg;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct fwd_item *q; /* a ring */
	size_t qhead, qlen, qcap;
	size_t queued_spans;
	size_t sending_spans; /* taken, in the request being sent */
	bool stopping;
	bool finished;        /* the sending thread ended */
	bool stopped; /* joined: the caller's (forward_stop) */
	int64_t deadline_ns;
	_Atomic int64_t abort_at_ns; /* curl's transfers end by then (INT64_MAX: never) */
	struct forward_stats st;
	char shown_url[FORWARD_URL_MAX]; /* forward_url_mask of cfg.url */
	CURLM *multi; /* runs curl's one transfer; woken by the stop (any thread) */
	/* the sending thread's */
	CURL *curl;
	struct curl_slist *headers;     /* every request's, without Via */
	struct curl_slist *req_headers; /* headers and the Via of via_sent */
	char *via_sent;                 /* the batches' Via req_headers was made for (NULL: none) */
	bool via_made;
	struct rng rng;
	struct otlp_buf body, packed, response;
	int64_t retry_after_ns; /* of the last answer; 0 none */
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void forward_global_init(void)
{
	pthread_once(&global_once, global_init_once);
}

static void set_error(struct forwarder *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_error(struct forwarder *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->st.last_error, sizeof f->st.last_error, fmt, ap);
	va_end(ap);
}

/* ---- curl callbacks ------------------------------------------------------------ */

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct forwarder *f = ctx;
	size_t len = size * n, room = RESPONSE_MAX - f->response.len;
	size_t take = len < room ? len : room;
	if (take) {
		if (f->response.len + take + 1 > f->response.cap) {
			f->response.cap = RESPONSE_MAX + 1;
			f->response.data = xrealloc(f->response.data, f->response.cap);
		}
		memcpy(f->response.data + f->response.len, data, take);
		f->response.len += take;
		f->response.data[f->response.len] = '\0';
	}
	return len;
}

/* Retry-After (forward_retry_after_ns): a retry, at the earliest at once. */
static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
	struct forwarder *f = ctx;
	size_t len = size * n;
	int64_t ns = forward_retry_after_ns(data, len);
	if (ns >= 0)
		f->retry_after_ns = ns > 0 ? ns : 1;
	return len;
}

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	struct forwarder *f = ctx;
	return clock_now_ns() >= atomic_load(&f->abort_at_ns); /* non-zero aborts */
}

/* ---- one request ------------------------------------------------------------------- */

enum outcome { SENT, RETRY, FAIL };

/* How a request that did not succeed ended. */
struct attempt {
	bool aborted;        /* by the stop's deadline (curl's progress callback, or a time-out cut to it) */
	bool timed_out;      /* curl's time-out */
	bool body_sent;      /* the whole body went out: the endpoint may have it */
	double seconds;      /* how long it took */
};

static bool retryable_status(long code)
{
	return code == 429 || code == 502 || code == 503 || code == 504;
}

static enum outcome post(struct forwarder *f, const void *body, size_t len, long *code, char *why, size_t cap,
                         struct attempt *at)
{
	*at = (struct attempt){ 0 };
	CURL *c = f->curl;
	f->response.len = 0;
	f->retry_after_ns = 0;
	long timeout = f->cfg.timeout_ms;
	int64_t abort_at = atomic_load(&f->abort_at_ns);
	if (abort_at != INT64_MAX) {
		int64_t left = (abort_at - clock_now_ns()) / CLOCK_NS_PER_MS;
		timeout = left < 1 ? 1 : left < timeout ? (long)left : timeout;
	}
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, f->cfg.connect_timeout_ms < timeout ? f->cfg.connect_timeout_ms : timeout);
	CURLcode rc = forward_perform(f->multi, f->curl, &f->abort_at_ns);
	*code = 0;
	if (rc != CURLE_OK) {
		curl_off_t up = 0;
		curl_easy_getinfo(c, CURLINFO_SIZE_UPLOAD_T, &up);
		curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &at->seconds);
		at->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
		at->aborted = rc == CURLE_ABORTED_BY_CALLBACK || (at->timed_out && timeout < f->cfg.timeout_ms);
		at->body_sent = up >= (curl_off_t)len;
		if (at->timed_out && at->body_sent)
			snprintf(why, cap, "timed out after %.*f s (the endpoint may have received them)", at->seconds < 10 ? 1 : 0,
			         at->seconds);
		else
			snprintf(why, cap, "%s", curl_easy_strerror(rc));
		return RETRY;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
	if (*code >= 200 && *code < 300)
		return SENT;
	snprintf(why, cap, "HTTP %ld", *code);
	return retryable_status(*code) ? RETRY : FAIL;
}

static int64_t jittered(struct forwarder *f, int64_t backoff)
{
	/* from half to all of the back-off, so that many senders spread out */
	uint32_t permille = rng_range(&f->rng, 500, 1000);
	return backoff / 1000 * permille;
}

/* One wait on the condition variable, until t at the latest; f->mu held. */
static void wait_once(struct forwarder *f, int64_t t)
{
	int64_t left = t - clock_now_ns();
	if (left <= 0)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts); /* the condition variable runs on CLOCK_MONOTONIC */
	int64_t abs_ns = (int64_t)ts.tv_sec * CLOCK_NS_PER_S + ts.tv_nsec + left;
	ts.tv_sec = abs_ns / CLOCK_NS_PER_S;
	ts.tv_nsec = abs_ns % CLOCK_NS_PER_S;
	pthread_cond_timedwait(&f->cv, &f->mu, &ts);
}

/* Waits until t, or a stop's deadline if that comes first; f->mu held. */
static void wait_until(struct forwarder *f, int64_t t)
{
	while (clock_now_ns() < t && !(f->stopping && clock_now_ns() >= f->deadline_ns))
		wait_once(f, f->stopping && f->deadline_ns < t ? f->deadline_ns : t);
}

/* A batch given up: counted dropped, or timed out when the endpoint may
 * have received it; f->mu held. */
static void give_up(struct forwarder *f, size_t n, bool maybe_received)
{
	if (maybe_received)
		f->st.timed_out_spans += n;
	else
		f->st.dropped_spans += n;
	f->st.state = FORWARD_FAILING;
	f->st.retry_at_ns = 0;
}

/* Sends n spans until they are delivered, refused, or the stop's deadline
 * passes; the figures follow. */
/* The headers with the Via for batches that came with via; the sending thread's. */
static void use_via(struct forwarder *f, const char *via)
{
	if (f->via_made && ((!via && !f->via_sent) || (via && f->via_sent && strcmp(via, f->via_sent) == 0)))
		return;
	curl_slist_free_all(f->req_headers);
	f->req_headers = NULL;
	for (const struct curl_slist *h = f->headers; h; h = h->next)
		f->req_headers = curl_slist_append(f->req_headers, h->data);
	char line[FORWARD_VIA_MAX + 64];
	if (via && *via) /* RFC 9110 7.6.3: each intermediary appends its entry */
		snprintf(line, sizeof line, "Via: %.*s, %s", FORWARD_VIA_MAX, via, forward_via_self());
	else
		snprintf(line, sizeof line, "Via: %s", forward_via_self());
	f->req_headers = curl_slist_append(f->req_headers, line);
	curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, f->req_headers);
	free(f->via_sent);
	f->via_sent = NULL;
	if (via) {
		size_t n = strlen(via) + 1;
		f->via_sent = memcpy(xmalloc(n), via, n);
	}
	f->via_made = true;
}

static void send_spans(struct forwarder *f, const struct otlp_span_ref *refs, size_t n, const char *via)
{
	use_via(f, via);
	otlp_encode_request(f->cfg.json ? OTLP_JSON : OTLP_PROTOBUF, refs, n, &f->body);
	const void *body = f->body.data;
	size_t len = f->body.len;
	if (f->cfg.gzip) {
		gzip_deflate(f->body.data, f->body.len, &f->packed);
		body = f->packed.data;
		len = f->packed.len;
	}
	int64_t backoff = f->cfg.backoff_min_ns;
	char cause[120] = "";        /* the last attempt's error, for a stop that cuts the next one short */
	bool maybe_received = false; /* an attempt's body went out and no answer came */
	for (;;) {
		long code;
		char why[120];
		struct attempt at;
		enum outcome o = post(f, body, len, &code, why, sizeof why, &at);
		maybe_received |= o == RETRY && at.body_sent;
		if (o == RETRY && at.aborted) { /* libcurl's "aborted by an application callback" is no cause */
			if (cause[0])
				snprintf(why, sizeof why, "stopped while retrying: %.90s", cause);
			else if (at.body_sent)
				snprintf(why, sizeof why, "stopped while waiting for the answer (the endpoint may have received them)");
			else
				snprintf(why, sizeof why, "stopped before the endpoint answered");
		} else if (o != SENT) {
			snprintf(cause, sizeof cause, "%s", why);
		}
		char msg[120];
		uint64_t rejected = o == SENT ? forward_partial_rejected(f->cfg.json, f->response.data, f->response.len, msg,
		                                                         sizeof msg) : 0;
		pthread_mutex_lock(&f->mu);
		f->st.last_status = (int)code;
		if (o == SENT) {
			rejected = rejected > n ? n : rejected;
			f->st.sent_spans += n - rejected;
			f->st.dropped_spans += rejected; /* accepted, then refused: lost all the same */
			if (rejected)
				set_error(f, "the endpoint rejected %llu span(s): %s", (unsigned long long)rejected,
				          msg[0] ? msg : "no reason given");
			f->st.state = FORWARD_CONNECTED;
			f->st.retry_at_ns = 0;
			pthread_mutex_unlock(&f->mu);
			return;
		}
		if (o == FAIL || (f->stopping && clock_now_ns() >= f->deadline_ns)) {
			give_up(f, n, o != FAIL && maybe_received);
			if (o == FAIL && f->response.len)
				set_error(f, "%s: %.100s", why, f->response.data);
			else
				set_error(f, "%s", why);
			pthread_mutex_unlock(&f->mu);
			return;
		}
		int64_t wait = f->retry_after_ns ? f->retry_after_ns : jittered(f, backoff);
		int64_t retry_at = clock_now_ns() + wait;
		set_error(f, "%s", why);
		if (f->stopping && retry_at >= f->deadline_ns) { /* no retry fits in the stop's flush */
			give_up(f, n, maybe_received);
			if (!at.aborted)
				set_error(f, "stopped while retrying: %.90s", why);
			pthread_mutex_unlock(&f->mu);
			return;
		}
		backoff = backoff * 2 > f->cfg.backoff_max_ns ? f->cfg.backoff_max_ns : backoff * 2;
		f->st.retries++;
		f->st.state = FORWARD_RETRYING;
		f->st.retry_at_ns = retry_at;
		wait_until(f, retry_at);
		if (f->stopping && (retry_at >= f->deadline_ns || clock_now_ns() >= f->deadline_ns)) {
			give_up(f, n, maybe_received);
			set_error(f, "stopped while retrying: %.90s", why);
			pthread_mutex_unlock(&f->mu);
			return;
		}
		pthread_mutex_unlock(&f->mu);
	}
}

/* ---- the queue ------------------------------------------------------------------------ */

static struct fwd_item *head(struct forwarder *f)
{
	return &f->q[f->qhead];
}

static void pop(struct forwarder *f)
{
	f->qhead = (f->qhead + 1) % f->qcap;
	f->qlen--;
}

/* Drops every queued span, counted; f->mu held. */
static void drop_all(struct forwarder *f)
{
	while (f->qlen) {
		otlp_batch_unref(head(f)->b);
		pop(f);
	}
	f->st.dropped_spans += f->queued_spans;
	f->queued_spans = 0;
}

static bool ready(struct forwarder *f, int64_t now)
{
	return f->queued_spans >= f->cfg.max_batch_spans || f->stopping ||
	       (f->qlen && now - head(f)->queued_ns >= f->cfg.max_delay_ns);
}

static void *run(void *arg)
{
	struct forwarder *f = arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals are the main thread's */
	size_t cap = f->cfg.max_batch_spans;
	struct otlp_span_ref *refs = xmalloc_array(cap, sizeof *refs);
	struct otlp_batch **held = xmalloc_array(cap, sizeof *held);
	pthread_mutex_lock(&f->mu);
	for (;;) {
		while (!ready(f, clock_now_ns())) /* a stop or a full batch wakes it at once */
			wait_once(f, f->qlen ? head(f)->queued_ns + f->cfg.max_delay_ns : clock_now_ns() + CLOCK_NS_PER_S);
		if (!f->qlen && f->stopping)
			break;
		if (f->stopping && clock_now_ns() >= f->deadline_ns) {
			drop_all(f);
			break;
		}
		size_t n = 0, nheld = 0;
		const char *via = f->qlen ? head(f)->b->via : NULL; /* one Via list per request */
		while (f->qlen && n < cap) {
			struct fwd_item *it = head(f);
			const char *v = it->b->via;
			if ((v != via) && (!v || !via || strcmp(v, via) != 0))
				break;
			const struct otel_set *set = it->b->set;
			while (it->next < set->nspans && n < cap)
				refs[n++] = (struct otlp_span_ref){ set, (uint32_t)it->next++ };
			held[nheld++] = otlp_batch_ref(it->b);
			if (it->next >= set->nspans) {
				otlp_batch_unref(it->b);
				pop(f);
			}
		}
		f->queued_spans -= n;
		f->sending_spans = n;
		pthread_mutex_unlock(&f->mu);
		if (n)
			send_spans(f, refs, n, via); /* held[0] keeps via alive */
		for (size_t i = 0; i < nheld; i++)
			otlp_batch_unref(held[i]);
		pthread_mutex_lock(&f->mu);
		f->sending_spans = 0;
	}
	f->finished = true;
	pthread_mutex_unlock(&f->mu);
	free(refs);
	free(held);
	return NULL;
}

/* ---- the interface ----------------------------------------------------------------------- */

struct forwarder *forward_start(const struct forward_config *cfg, struct obslab_error *err)
{
	forward_global_init();
	struct forwarder *f = xcalloc(1, sizeof *f);
	f->cfg = *cfg;
	forward_url_mask(cfg->url, f->shown_url, sizeof f->shown_url);
	forward_via_self(); /* made before any thread needs it */
	if (!f->cfg.max_batch_spans)
		f->cfg.max_batch_spans = FORWARD_DEFAULT_MAX_BATCH_SPANS;
	atomic_init(&f->abort_at_ns, INT64_MAX);
	rng_seed_random(&f->rng);
	f->curl = curl_easy_init();
	f->multi = curl_multi_init();
	if (!f->curl || !f->multi) {
		curl_easy_cleanup(f->curl);
		if (f->multi)
			curl_multi_cleanup(f->multi);
		free(f);
		obslab_error_set(err, "cannot forward: libcurl did not start");
		return NULL;
	}
	char line[FORWARD_HEADER_MAX + 64];
	f->headers = curl_slist_append(f->headers, cfg->json ? "Content-Type: application/json"
	                                                     : "Content-Type: application/x-protobuf");
	if (cfg->gzip)
		f->headers = curl_slist_append(f->headers, "Content-Encoding: gzip");
	f->headers = curl_slist_append(f->headers, "Expect:"); /* no 100-continue round trip */
	for (size_t i = 0; i < cfg->nheaders; i++) {
		snprintf(line, sizeof line, "%s", cfg->headers[i]);
		f->headers = curl_slist_append(f->headers, line);
	}
	CURL *c = f->curl;
	curl_easy_setopt(c, CURLOPT_URL, cfg->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, f->headers);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "obslab/" OBSLAB_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, f);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, f);
	f->qcap = 64;
	f->q = xmalloc_array(f->qcap, sizeof *f->q);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&f->mu, NULL);
	int rc = pthread_create(&f->thread, NULL, run, f);
	if (rc != 0) {
		curl_slist_free_all(f->headers);
		curl_easy_cleanup(f->curl);
		curl_multi_cleanup(f->multi);
		pthread_cond_destroy(&f->cv);
		pthread_mutex_destroy(&f->mu);
		free(f->q);
		free(f);
		obslab_error_set(err, "cannot forward: no thread (%s)", strerror(rc));
		return NULL;
	}
	return f;
}

bool forward_batch(struct forwarder *f, struct otlp_batch *b)
{
	size_t n = b->set->nspans;
	pthread_mutex_lock(&f->mu);
	if (f->stopping || f->queued_spans + n > f->cfg.max_queue_spans) {
		f->st.dropped_spans += n;
		pthread_mutex_unlock(&f->mu);
		return false;
	}
	if (n == 0) {
		pthread_mutex_unlock(&f->mu);
		return true;
	}
	if (f->qlen == f->qcap) { /* grow the ring, unrolled */
		struct fwd_item *q = xmalloc_array(f->qcap * 2, sizeof *q);
		for (size_t i = 0; i < f->qlen; i++)
			q[i] = f->q[(f->qhead + i) % f->qcap];
		free(f->q);
		f->q = q;
		f->qhead = 0;
		f->qcap *= 2;
	}
	f->q[(f->qhead + f->qlen) % f->qcap] = (struct fwd_item){ otlp_batch_ref(b), 0, clock_now_ns() };
	f->qlen++;
	f->queued_spans += n;
	if (f->queued_spans >= f->cfg.max_batch_spans)
		pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return true;
}

void forward_trace(struct forwarder *f, const struct trace *t, const struct strtab *names, const struct clock_anchor *anchor)
{
	if (!f || !t || t->otel)
		return; /* a foreign trace goes on as its receiver's batches */
	struct otel_set *set = otel_set_create();
	uint32_t scope = otel_lab_scope(set, f->cfg.service_name);
	if (otel_lab_add_trace(set, scope, t, names, anchor) == 0) {
		otel_set_destroy(set);
		return;
	}
	struct otlp_batch *b = otlp_batch_new(set, clock_now_ns());
	forward_batch(f, b);
	otlp_batch_unref(b);
}

void forward_get_stats(struct forwarder *f, struct forward_stats *out)
{
	pthread_mutex_lock(&f->mu);
	*out = f->st;
	out->queued_spans = f->queued_spans;
	out->sending_spans = f->sending_spans;
	out->stop_done = f->finished;
	pthread_mutex_unlock(&f->mu);
}

const char *forward_url(const struct forwarder *f)
{
	return f->shown_url;
}

void forward_stop_begin(struct forwarder *f, int64_t flush_ns)
{
	if (!f || f->stopped)
		return;
	pthread_mutex_lock(&f->mu);
	int64_t deadline = clock_now_ns() + (flush_ns > 0 ? flush_ns : 0);
	if (!f->stopping || deadline < f->deadline_ns) { /* a later call only shortens it */
		f->deadline_ns = deadline;
		atomic_store(&f->abort_at_ns, deadline);
	}
	f->stopping = true;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	curl_multi_wakeup(f->multi); /* a request waiting on a silent endpoint sees the deadline now */
}

void forward_stop(struct forwarder *f, int64_t flush_ns)
{
	if (!f || f->stopped)
		return;
	forward_stop_begin(f, flush_ns);
	pthread_join(f->thread, NULL);
	pthread_mutex_lock(&f->mu);
	drop_all(f); /* nothing is left unless the thread gave up */
	if (f->st.state == FORWARD_RETRYING)
		f->st.state = FORWARD_FAILING;
	f->st.retry_at_ns = 0;
	pthread_mutex_unlock(&f->mu);
	f->stopped = true;
}

void forward_destroy(struct forwarder *f)
{
	if (!f)
		return;
	forward_stop(f, 0);
	curl_slist_free_all(f->headers);
	curl_slist_free_all(f->req_headers);
	free(f->via_sent);
	curl_easy_cleanup(f->curl);
	curl_multi_cleanup(f->multi);
	otlp_buf_free(&f->body);
	otlp_buf_free(&f->packed);
	free(f->response.data);
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
	free(f->q);
	free(f);
}
