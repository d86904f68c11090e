/*
 * receiver — an OTLP/HTTP trace receiver (libmicrohttpd), as the
 * OpenTelemetry specification defines one: POST /v1/traces with an
 * ExportTraceServiceRequest in application/x-protobuf or application/json,
 * identity or gzip, answered with an ExportTraceServiceResponse in the
 * request's encoding (partial_success when spans were rejected).
 *
 * Statuses: 400 a body that does not decode (a google.rpc.Status, in the
 * request's encoding, says why); 404 any other path; 405 (Allow: POST,
 * OPTIONS) any other method on /v1/traces; 413 a body above max_body (from
 * Content-Length before any of it is read, or as it streams: never held
 * beyond it), inflated above max_inflated, or a batch larger than the whole
 * queue; 415 another media type or encoding, or a JSON charset other than
 * utf-8; 429 with Retry-After: 1 when
 * the decoded spans not yet taken would pass max_queued_spans (or their
 * memory RECEIVER_MAX_QUEUED_BYTES, a batch always fitting an empty queue),
 * or the bodies held at once by requests in progress would pass
 * RECEIVER_MAX_BUFFERED, or the bodies being decoded at once (inflated)
 * would pass RECEIVER_MAX_DECODING (one alone always passes); 503 with Retry-After once the stop began. A
 * request that finds the queue full first waits (its pool thread) up to
 * RECEIVER_BUSY_WAIT_MS for the consumer to make room: a sender a little
 * faster than the consumer is slowed down, not refused.
 *
 * Framing: two Content-Length headers that disagree are 400 (a
 * google.rpc.Status) and the connection is closed. A malformed
 * Content-Length ("-5", "2x", "2, 3") is answered 400 by libmicrohttpd
 * itself, with its own small HTML page and the connection closed, while it
 * parses the headers: the request never reaches obslab's handler, and
 * libmicrohttpd (0.9.x) offers no hook to answer it otherwise. It is not
 * counted in the stats either.
 *
 * CORS, as otel-tui allows it: a request whose Origin is http:// or
 * https:// localhost, 127.0.0.1 or [::1] (any port) gets
 * Access-Control-Allow-Origin with that origin; an OPTIONS preflight on
 * /v1/traces is 204 with the allowed methods (POST, OPTIONS), headers
 * (Content-Type, Content-Encoding, and the ones the preflight asks for when
 * they are a list of tokens) and a Max-Age. Any other origin gets no CORS
 * header: a browser page from elsewhere cannot post spans here.
 *
 * DNS rebinding: bound to loopback (127.0.0.0/8, ::1), every request whose
 * Host does not name loopback (localhost, localhost., 127.x.y.z, [::1],
 * any port) is 403 (a google.rpc.Status PERMISSION_DENIED, counted bad),
 * whatever its path or method; bound elsewhere (0.0.0.0, a LAN address),
 * any Host is answered. An HTTP/1.1 request without Host, or any with two,
 * is 400.
 *
 * Memory, at most (the defaults): request bodies as sent RECEIVER_MAX_BUFFERED
 * (256 MiB) in all; their gunzipped copies max_inflated (16 MiB) per pool
 * thread (2 per core, 4 to 64); the decoder's arenas OTLP_ARENA_FACTOR (24)
 * times the bodies being decoded, RECEIVER_MAX_DECODING (16 MiB) in all,
 * so 384 MiB (given back to the system after a body of RECEIVER_TRIM_AFTER
 * or more, so that no pool thread's malloc arena keeps it); decoded batches waiting RECEIVER_MAX_QUEUED_BYTES (128 MiB),
 * or one batch larger than that (a 16 MiB body decodes to a few hundred
 * MiB at worst). What the consumer keeps is the store's (store.h's
 * max_bytes, 256 MiB by default, and intake.h's per-trace cap). On a
 * 2-core machine (4 threads) that is about 1 GiB at the very worst, held
 * only while such requests are in progress; an SDK's batches (512 spans,
 * well under 1 MiB) come nowhere near it.
 *
 * Threads: libmicrohttpd's pool decodes each request on its own thread
 * (otlp_decode) and queues the batch; one consumer thread takes them with
 * receiver_take. The queue is a list under one mutex, bounded by spans.
 * Stats are atomics, for any thread. The pool blocks every signal.
 *
 * Ownership: receiver_start returns a receiver the caller stops with
 * receiver_stop (which frees it and the batches still queued); a batch
 * taken is the caller's (otlp_batch_unref). The forwarder is borrowed and
 * must outlive the receiver. Errors: receiver_start fills err with one line
 * (the address in use...).
 */
#ifndef OBSLAB_RECEIVER_H
#define OBSLAB_RECEIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/error.h"
#include "obslab/otlp.h"
#include "obslab/server.h"

#define RECEIVER_DEFAULT_HOST "127.0.0.1"
#define RECEIVER_DEFAULT_PORT 4318                     /* OTLP/HTTP's */
#define RECEIVER_DEFAULT_MAX_BODY (4u << 20)           /* bytes as sent */
#define RECEIVER_DEFAULT_MAX_INFLATED (16u << 20)      /* bytes after gunzip (the Collector's body limit: 20 MiB) */
#define RECEIVER_DEFAULT_MAX_QUEUED_SPANS ((size_t)1 << 20)
#define RECEIVER_MAX_BUFFERED ((size_t)256 << 20)      /* request bodies held at once, all connections */
#define RECEIVER_MAX_QUEUED_BYTES ((size_t)128 << 20)  /* decoded batches' memory waiting for the consumer */
#define RECEIVER_MAX_DECODING ((size_t)16 << 20)       /* inflated bytes decoded at once, all threads (a body alone passes) */
#define RECEIVER_TRIM_AFTER ((size_t)4 << 20)          /* a body this large decoded: its memory given back (malloc_trim) */
#define RECEIVER_BUSY_WAIT_MS 200                      /* a full queue waited on before 429 */
#define RECEIVER_PATH "/v1/traces"

struct forwarder;

struct receiver_config {
	char host[SERVER_HOST_MAX]; uint16_t port; /* loopback 127.0.0.1:4318 by default; port 0: any free one */
	size_t max_body;          /* bytes as sent; default RECEIVER_DEFAULT_MAX_BODY (4 MiB): 413 beyond */
	size_t max_inflated;      /* after gunzip; default 16 MiB: 413 beyond */
	size_t max_queued_spans;  /* decoded, not yet taken; default 1 << 20: 429 + Retry-After beyond */
	unsigned timeout_s;
	struct forwarder *forward; /* NULL, or each accepted batch also goes to forward_batch() */
};
/* 0 in any of max_body, max_inflated, max_queued_spans, timeout_s is its default. */
void receiver_config_default(struct receiver_config *cfg);

struct receiver *receiver_start(const struct receiver_config *cfg, struct obslab_error *err); /* binds first */
void receiver_authority(const struct receiver *r, char *buf, size_t cap); /* "127.0.0.1:43187" */
size_t receiver_take(struct receiver *r, struct otlp_batch **out, size_t max); /* consumer; caller unrefs */
struct receiver_stats { uint64_t requests, spans, rejected_spans, busy, bad, too_large, unsupported; size_t queued_spans;
                        uint64_t looped, looped_spans, too_many_hops; };
/* requests: every request answered; spans: accepted into the queue; rejected_spans: refused one by one
 * (partial_success); busy: 429 and 503; bad: 400 and 403; too_large: 413; unsupported: 404, 405, 415.
 * A request's Via (forward.h) is kept on its batch. looped: batches (of looped_spans spans) whose Via
 * names this process: they passed through here before, so they are answered 200 but neither queued
 * nor forwarded again; too_many_hops: batches queued but not forwarded, their Via past
 * FORWARD_VIA_MAX_HOPS entries or FORWARD_VIA_MAX bytes. */
void receiver_get_stats(const struct receiver *r, struct receiver_stats *out);
/* The stop's first half (receiver_stop does it too): no new connection, and from now on every request
 * is 503 and nothing more is queued; what is queued stays for receiver_take. */
void receiver_quiesce(struct receiver *r);
/* Requests read or being answered now. Any thread. */
unsigned receiver_in_flight(const struct receiver *r);
void receiver_stop(struct receiver *r); /* stops answering (503 meanwhile), frees queued batches */

#endif
