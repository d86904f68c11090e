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
 * queue; 415 another media type or encoding; 429 with Retry-After: 1 when
 * the decoded spans not yet taken would pass max_queued_spans (or their
 * memory RECEIVER_MAX_QUEUED_BYTES, a batch always fitting an empty queue),
 * or the bodies held at once by requests in progress would pass
 * RECEIVER_MAX_BUFFERED; 503 with Retry-After once the stop began. A
 * request that finds the queue full first waits (its pool thread) up to
 * RECEIVER_BUSY_WAIT_MS for the consumer to make room: a sender a little
 * faster than the consumer is slowed down, not refused.
 *
 * CORS, as otel-tui allows it: a request whose Origin is http:// or
 * https:// localhost, 127.0.0.1 or [::1] (any port) gets
 * Access-Control-Allow-Origin with that origin; an OPTIONS preflight on
 * /v1/traces is 204 with the allowed methods (POST, OPTIONS), headers
 * (Content-Type, Content-Encoding, and the ones the preflight asks for when
 * they are a list of tokens) and a Max-Age. Any other origin gets no CORS
 * header: a browser page from elsewhere cannot post spans here.
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
#define RECEIVER_DEFAULT_MAX_INFLATED (32u << 20)      /* bytes after gunzip */
#define RECEIVER_DEFAULT_MAX_QUEUED_SPANS ((size_t)1 << 20)
#define RECEIVER_MAX_BUFFERED ((size_t)256 << 20)      /* request bodies held at once, all connections */
#define RECEIVER_MAX_QUEUED_BYTES ((size_t)128 << 20)  /* decoded batches' memory waiting for the consumer */
#define RECEIVER_BUSY_WAIT_MS 200                      /* a full queue waited on before 429 */
#define RECEIVER_PATH "/v1/traces"

struct forwarder;

struct receiver_config {
	char host[SERVER_HOST_MAX]; uint16_t port; /* loopback 127.0.0.1:4318 by default; port 0: any free one */
	size_t max_body;          /* bytes as sent; default RECEIVER_DEFAULT_MAX_BODY (4 MiB): 413 beyond */
	size_t max_inflated;      /* after gunzip; default 32 MiB: 413 beyond */
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
 * (partial_success); busy: 429 and 503; bad: 400; too_large: 413; unsupported: 404, 405, 415.
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
