/*
 * forward — sends every span obslab records, serves or receives on to an
 * OTLP/HTTP endpoint (a Collector, Jaeger, Tempo, another obslab), with
 * libcurl, from a thread of its own.
 *
 * Configuration (forward_config_load, src/forward_config.c): `--forward URL`
 * wins, else the OpenTelemetry exporter variables (OTEL_EXPORTER_OTLP_*,
 * their TRACES_ variants first), OTEL_SERVICE_NAME; docs/architecture.md
 * ("Forwarding") lists them. A bad value is a usage error (one line).
 *
 * The forwarder owns a bounded queue counted in spans: forward_batch and
 * forward_trace never block; a batch that does not fit is dropped whole and
 * counted. The sending thread takes up to max_batch_spans spans (or what
 * waited max_delay_ns), encodes one ExportTraceServiceRequest, gzips it and
 * POSTs it; connection failures, 429, 502, 503 and 504 are retried with an
 * exponential, jittered back-off that honours Retry-After; other answers
 * drop the batch (counted; last_error says why). forward_stop sends what it
 * can within flush_ns, counts the rest dropped, and never waits longer than
 * flush_ns plus a moment on a dead endpoint. A request that timed out (or
 * that the stop cut short) after its body went out may have been received:
 * its spans, when given up, are counted apart (timed_out_spans), not as
 * dropped.
 *
 * Forwarding loops: every request carries `Via: 1.1 obslab-<instance>`
 * (RFC 9110 §7.6.3; <instance> random, made once per process), after the
 * Via its batch arrived with (struct otlp_batch's via). The receiver keeps
 * a request's Via on its batch and neither keeps nor forwards a batch whose
 * Via names this process (forward_via_check), nor forwards one that passed
 * more than FORWARD_VIA_MAX_HOPS proxies.
 *
 * The URL as shown (forward_url, forward_url_mask): its userinfo and its
 * query's values masked (user:password before the host becomes ***, each
 * query value ***); libcurl alone gets
 * the real one.
 *
 * Threads: forward_batch and forward_get_stats from any thread;
 * forward_trace on the thread that owns the store the trace is in (the
 * conversion reads it); forward_start and forward_stop on one thread.
 * curl_global_init must have run before forward_start (forward_global_init,
 * once, at program start, before other threads exist).
 */
#ifndef OBSLAB_FORWARD_H
#define OBSLAB_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/error.h"

struct clock_anchor;
struct otlp_batch;
struct strtab;
struct trace;

enum forward_state { FORWARD_IDLE, FORWARD_CONNECTED, FORWARD_RETRYING, FORWARD_FAILING };

#define FORWARD_URL_MAX 2048
#define FORWARD_MAX_HEADERS 32
#define FORWARD_HEADER_MAX 1024 /* one "Name: value" line */
#define FORWARD_SERVICE_MAX 256
#define FORWARD_VIA_MAX 1024     /* bytes of a request's Via kept and sent on; longer: not forwarded */
#define FORWARD_VIA_MAX_HOPS 8   /* Via entries (proxies passed) a batch may have and still be forwarded */

#define FORWARD_DEFAULT_MAX_QUEUE_SPANS 65536u
#define FORWARD_DEFAULT_MAX_BATCH_SPANS 512u
#define FORWARD_DEFAULT_MAX_DELAY_NS (1000LL * 1000 * 1000)
#define FORWARD_DEFAULT_CONNECT_TIMEOUT_MS 5000L
#define FORWARD_DEFAULT_TIMEOUT_MS 10000L
#define FORWARD_DEFAULT_BACKOFF_MIN_NS (500LL * 1000 * 1000)
#define FORWARD_DEFAULT_BACKOFF_MAX_NS (30LL * 1000 * 1000 * 1000)
#define FORWARD_DEFAULT_SERVICE_NAME "obslab-lab"
/* How long a headless command's stop waits for the queue to drain. */
#define FORWARD_STOP_FLUSH_NS (5LL * 1000 * 1000 * 1000)

struct forward_config {
	char url[FORWARD_URL_MAX];        /* http:// or https://, the full traces URL */
	bool json;                        /* http/json; false: http/protobuf (the default) */
	bool gzip;                        /* Content-Encoding: gzip */
	char headers[FORWARD_MAX_HEADERS][FORWARD_HEADER_MAX]; /* "Name: value", decoded and checked */
	size_t nheaders;
	char service_name[FORWARD_SERVICE_MAX]; /* the lab's spans' service.name */
	size_t max_queue_spans;           /* beyond: dropped and counted */
	size_t max_batch_spans;           /* per request */
	int64_t max_delay_ns;             /* a partial batch waits at most this */
	long connect_timeout_ms, timeout_ms;
	int64_t backoff_min_ns, backoff_max_ns;
};

/* The defaults with no URL (what forward_config_load starts from). */
void forward_config_defaults(struct forward_config *cfg);

/* From --forward URL (NULL: none) and OTEL_EXPORTER_OTLP_{ENDPOINT,TRACES_ENDPOINT,HEADERS,PROTOCOL},
 * OTEL_SERVICE_NAME. *enabled false when neither asks for forwarding. False + err (usage) when bad. */
bool forward_config_load(struct forward_config *cfg, const char *flag_url, bool *enabled, struct obslab_error *err);

/* The same, reading variables through getenv_fn (the tests' environment). */
typedef const char *forward_getenv_fn(void *ctx, const char *name);
bool forward_config_load_from(struct forward_config *cfg, const char *flag_url, bool *enabled,
                              forward_getenv_fn *getenv_fn, void *ctx, struct obslab_error *err);

/* An http:// or https:// URL obslab can send to (a host, no empty port,
 * no port 0); else false with err naming what (the option or variable it
 * came from), the URL masked. */
bool forward_url_check(const char *url, const char *what, struct obslab_error *err);

/* Whether url names the receiver listening on host:port: the same port and
 * an address that reaches it (the same address, "localhost" for 127.0.0.1
 * or ::1, 0.0.0.0 and [::] for the loopback they mean, [::ffff:a.b.c.d] for
 * a.b.c.d, any address of this machine while the receiver listens on every
 * interface): forwarding there would send every span back to itself.
 * Names other than localhost are compared as text (nothing is resolved). */
bool forward_url_is_self(const char *url, const char *host, uint16_t port);

/* url as it may be shown: "user:pw@" becomes "***@", each query value "***". */
void forward_url_mask(const char *url, char *buf, size_t cap);

/* This process's Via entry: "1.1 obslab-<16 hex digits>", made once. */
const char *forward_via_self(void);
enum forward_via { FORWARD_VIA_OK, FORWARD_VIA_LOOP, FORWARD_VIA_TOO_MANY };
/* A request's Via (NULL: none): FORWARD_VIA_LOOP when an entry is this
 * process's, FORWARD_VIA_TOO_MANY past FORWARD_VIA_MAX_HOPS entries or
 * FORWARD_VIA_MAX bytes. Pure apart from forward_via_self. */
enum forward_via forward_via_check(const char *via);
/* How many entries a Via list holds (comments in parentheses skipped). */
size_t forward_via_hops(const char *via);

/* curl_global_init, once per process, before any thread; harmless to repeat. */
void forward_global_init(void);

struct forwarder *forward_start(const struct forward_config *cfg, struct obslab_error *err);
bool forward_batch(struct forwarder *f, struct otlp_batch *b); /* any thread; refs b; false: dropped+counted */
/* A completed trace of the store (lab, served or received-lab) converted with otel_lab and queued; consumer thread. */
void forward_trace(struct forwarder *f, const struct trace *t, const struct strtab *names, const struct clock_anchor *anchor);
struct forward_stats { enum forward_state state; uint64_t sent_spans, dropped_spans, retries; size_t queued_spans;
                       int64_t retry_at_ns; int last_status; char last_error[160];
                       uint64_t timed_out_spans; /* given up after a time-out: the endpoint may have them */
                       size_t sending_spans;     /* taken from the queue, being sent now */
                       bool stop_done; };        /* after forward_stop_begin: the sending thread ended */
void forward_get_stats(struct forwarder *f, struct forward_stats *out);
void forward_stop(struct forwarder *f, int64_t flush_ns); /* sends what it can within flush_ns; the rest counted dropped */
/* The stop begun without waiting (stats' stop_done says when it ended); a
 * later forward_stop waits for it, its flush_ns only shortening the time
 * left (0: at once). */
void forward_stop_begin(struct forwarder *f, int64_t flush_ns);
/* Stops (at once, if forward_stop was not called) and frees; NULL is a no-op.
 * Between forward_stop and forward_destroy the figures stay readable. */
void forward_destroy(struct forwarder *f);

/* The configured URL as it may be shown (forward_url_mask): for the summary, the status bar, messages. */
const char *forward_url(const struct forwarder *f);
/* "obslab: forwarded N spans to URL; dropped N; retried N" (no newline), then
 * "; N spans timed out (the endpoint may have received them)" when any did
 * and "; last error: ..." when any were dropped or timed out. */
void forward_summary(const struct forward_stats *st, const char *url, char *buf, size_t cap);
/* One short phrase for the status bar: "connected · 1.2k sent", "retrying in 4s (HTTP 503)",
 * "failing: HTTP 401", with " · dropped 37" when any were; dot is the separator ("·"). */
void forward_state_text(const struct forward_stats *st, int64_t now_ns, const char *dot, char *buf, size_t cap);
/* Its short form, for a narrow status bar (the cause stays in the long form
 * and the log): "1.2k sent", "retrying 4s", "failing", "idle", with
 * " · dropped 37" and " · timed out 46" when any were. */
void forward_state_short(const struct forward_stats *st, int64_t now_ns, const char *dot, char *buf, size_t cap);

#endif
