/*
 * otlp_internal — what the OTLP codec's files share (not a public
 * interface): short names for the C that protoc-c generates from proto/,
 * the bounded arena protobuf-c allocates from, and growing an otlp_buf.
 *   otlp.c          otlp_decode by encoding; the arena; otlp_buf; otlp_batch
 *   otlp_pb.c       protobuf bodies into an otel_set
 *   otlp_encode.c   spans of sets as a protobuf request; responses
 *   otlp_json.c     OTLP/JSON bodies in (the snapshot reader) and out
 *   otlp_group.c    span references grouped by resource and scope
 *   gzip.c          Content-Encoding: gzip
 * Threads: nothing here is static; one arena per call.
 */
#ifndef OBSLAB_OTLP_INTERNAL_H
#define OBSLAB_OTLP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "obslab/otlp.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

typedef Opentelemetry__Proto__Common__V1__AnyValue pb_any_value;
typedef Opentelemetry__Proto__Common__V1__ArrayValue pb_array_value;
typedef Opentelemetry__Proto__Common__V1__KeyValueList pb_kvlist;
typedef Opentelemetry__Proto__Common__V1__KeyValue pb_kv;
typedef Opentelemetry__Proto__Common__V1__InstrumentationScope pb_scope;
typedef Opentelemetry__Proto__Resource__V1__Resource pb_resource;
typedef Opentelemetry__Proto__Trace__V1__ResourceSpans pb_resource_spans;
typedef Opentelemetry__Proto__Trace__V1__ScopeSpans pb_scope_spans;
typedef Opentelemetry__Proto__Trace__V1__Span pb_span;
typedef Opentelemetry__Proto__Trace__V1__Span__Event pb_event;
typedef Opentelemetry__Proto__Trace__V1__Span__Link pb_link;
typedef Opentelemetry__Proto__Trace__V1__Status pb_status;
typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest pb_request;
typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceResponse pb_response;
typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTracePartialSuccess pb_partial_success;

/* ---- the arena (otlp.c) ------------------------------------------------------------ */

/* Allocations are carved from blocks and freed all at once, except large
 * ones (protobuf-c's scratch for a message's many fields among them),
 * which are malloc'd alone and freed when protobuf-c frees them, so that
 * the bound counts what is live. Past limit bytes alloc returns NULL
 * (protobuf-c then fails the unpack) and over is set. */
struct otlp_arena_block;
struct otlp_arena {
	ProtobufCAllocator allocator; /* .allocator_data is the arena */
	struct otlp_arena_block *blocks;
	char *p, *end;   /* the free part of the current block */
	size_t live, limit, peak; /* bytes held (blocks and large allocations) */
	bool over;
	void **large;    /* open addressing over the large allocations, NULL empty */
	size_t nlarge, large_cap;
};

void otlp_arena_init(struct otlp_arena *a, size_t limit);
void *otlp_arena_alloc(struct otlp_arena *a, size_t size); /* NULL past the limit */
void otlp_arena_free_all(struct otlp_arena *a);

/* ---- otlp_buf --------------------------------------------------------------------------- */

void otlp_buf_reserve(struct otlp_buf *b, size_t more);
void otlp_buf_append(struct otlp_buf *b, const void *s, size_t len);

/* ---- decoding --------------------------------------------------------------------------- */

bool otlp_pb_decode(const void *body, size_t len, struct otel_set *out, struct otlp_decode_result *res,
                    struct obslab_error *err);
bool otlp_json_decode(const void *body, size_t len, struct otel_set *out, struct otlp_decode_result *res,
                      struct obslab_error *err);

/* A refusal of one span: counted, the first one's why kept. */
void otlp_reject(struct otlp_decode_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- encoding (otlp_group.c, otlp_encode.c, otlp_json.c) -------------------------------- */

/* The spans of a request grouped: resource groups in order of first
 * appearance, each with its scope groups in order of first appearance,
 * each with its spans in the order given. */
struct otlp_group_resource {
	const struct otel_set *set;
	uint32_t resource;
	size_t first_scope, nscopes; /* into scopes[] */
};
struct otlp_group_scope {
	uint32_t scope;
	size_t first_span, nspans;   /* into order[] */
};
struct otlp_grouping {
	struct otlp_group_resource *resources;
	struct otlp_group_scope *scopes;
	size_t nresources, nscopes;
	size_t *order; /* indices into the caller's refs, grouped */
};
void otlp_group(const struct otlp_span_ref *spans, size_t n, struct otlp_grouping *g);
void otlp_grouping_free(struct otlp_grouping *g);

void otlp_json_encode_request(const struct otlp_span_ref *spans, size_t n, struct otlp_buf *out);
void otlp_json_encode_response(size_t rejected, const char *message, struct otlp_buf *out);

#endif
