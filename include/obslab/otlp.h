/*
 * otlp — OTLP/HTTP trace payloads to and from the lossless span model
 * (otel.h): an ExportTraceServiceRequest body decoded into a struct
 * otel_set, spans of sets encoded as a request, and the response, each in
 * protobuf (libprotobuf-c, C generated at build time from proto/) or in
 * OTLP/JSON (the snapshot reader's OTLP/JSON reader; the otel_json_*
 * writers). Bodies here are already inflated (gzip.h).
 *
 * Decoding keeps every field as it came, nothing added. A span that cannot
 * be kept (a trace id not 16 bytes or all zero, a span id not 8 bytes or
 * zero, a parent span id neither empty nor 8 bytes, a kind or status code
 * OTLP does not define, a time past 2^62 ns, text that is not UTF-8) is
 * refused alone and counted (res->rejected, res->message: the first), the
 * rest of the request is kept; protobuf only. A body that does not decode
 * is refused whole (false, err: one line, HTTP 400): malformed protobuf,
 * submessages nested more than OTLP_MAX_DEPTH deep, a body that would take
 * more than OTLP_ARENA_FACTOR times its length (plus 64 KiB) to unpack, and
 * for OTLP/JSON anything the snapshot reader refuses (not UTF-8, a wrong
 * type, one invalid span: the JSON reader refuses the whole body for it).
 * An empty body (protobuf) or {} (JSON) is a request of 0 spans.
 *
 * Ownership: otlp_decode fills a set the caller created and owns (after a
 * false it may hold part of the body: destroy it); an
 * otlp_buf's data is malloc'd (otlp_buf_free). A struct otlp_batch owns
 * its set and is freed by the last otlp_batch_unref; once made it is only
 * read, by any number of threads. Every function may run on any thread
 * (nothing static is written); out of memory aborts (xalloc.h).
 */
#ifndef OBSLAB_OTLP_H
#define OBSLAB_OTLP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/error.h"
#include "obslab/otel.h"

/* Limits of the protobuf decoder (a hostile body meets them, a real one never). */
#define OTLP_MAX_DEPTH 64     /* nested messages (AnyValue in ArrayValue in ...), the request being 1 */
#define OTLP_ARENA_FACTOR 24  /* unpacking may take this many times the body's length, plus 64 KiB */

enum otlp_encoding { OTLP_PROTOBUF, OTLP_JSON };

struct otlp_decode_result {
	size_t spans;      /* accepted into the set */
	size_t rejected;   /* refused one by one (e.g. a trace_id not 16 bytes): partial_success.rejected_spans */
	char message[160]; /* why (the first refusal), partial_success.error_message; "" when none */
};

/* An ExportTraceServiceRequest body (already inflated) into out (a fresh otel_set): resources, scopes,
 * spans with every field, attributes, events, links — nothing added. False with err (one line) when the body
 * does not decode (HTTP 400). Memory bounded by a small multiple of len. Any thread (one set per call). */
bool otlp_decode(enum otlp_encoding enc, const void *body, size_t len, struct otel_set *out,
                 struct otlp_decode_result *res, struct obslab_error *err);

struct otlp_buf {
	char *data;
	size_t len, cap;
};
void otlp_buf_free(struct otlp_buf *b);

/* ExportTraceServiceResponse (partial_success only when rejected > 0), replacing out's content. */
void otlp_encode_response(enum otlp_encoding enc, size_t rejected, const char *message, struct otlp_buf *out);

/* An ExportTraceServiceRequest holding exactly these spans, grouped into ResourceSpans/ScopeSpans by
 * (set, resource) and scope in order of first appearance, every field as the set holds it. */
struct otlp_span_ref {
	const struct otel_set *set;
	uint32_t span;
};
void otlp_encode_request(enum otlp_encoding enc, const struct otlp_span_ref *spans, size_t n, struct otlp_buf *out);

/* A decoded request, shared read-only between threads (receiver -> consumer, forwarder). */
struct otlp_batch {
	struct otel_set *set; /* owned */
	size_t nspans;
	int64_t received_ns; /* clock_now_ns() when it arrived */
	char *via;           /* owned, freed with the batch: the request's Via (forward.h), NULL when none */
	_Atomic unsigned refs;
};
struct otlp_batch *otlp_batch_new(struct otel_set *set, int64_t received_ns); /* refs 1, takes set */
struct otlp_batch *otlp_batch_ref(struct otlp_batch *b);
void otlp_batch_unref(struct otlp_batch *b); /* frees at 0; NULL is a no-op */

#endif
