/*
 * tracer — the producer side of tracing: ids, parent tracking, and pushing
 * finished spans into the ring.
 *
 * A tracer belongs to the one thread that records (the workload thread).
 * Nested spans (a request, its serialization step) go on a small stack with
 * tracer_begin/tracer_end; leaf spans whose lifetime the caller tracks (a
 * database statement) use tracer_open_leaf/tracer_close_leaf on caller-owned
 * records. Nothing on these paths allocates, locks or makes a system call:
 * a span costs two clock reads, a few stores and one ring push.
 * A disabled tracer (ring == NULL) only counts depth, so tracer_in_trace
 * still tells whether a request is running. The ring is borrowed.
 */
#ifndef OBSLAB_TRACER_H
#define OBSLAB_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/rng.h"
#include "obslab/span.h"

struct ring;

#define TRACER_MAX_DEPTH 8

struct tracer {
	struct ring *ring; /* NULL: tracing disabled */
	struct rng rng;
	uint32_t trace_seq;
	uint8_t trace_id[SPAN_TRACE_ID_LEN];
	int depth;
	struct span_record stack[TRACER_MAX_DEPTH];
};

/* ring may be NULL to run the same code with tracing off. */
void tracer_init(struct tracer *t, struct ring *ring);

static inline bool tracer_enabled(const struct tracer *t)
{
	return t->ring != NULL;
}

static inline bool tracer_in_trace(const struct tracer *t)
{
	return t->depth > 0;
}

/* Starts a new trace: a server span with fresh random trace and span ids.
 * Returns the root record so the caller can set attributes, or NULL when
 * tracing is off. */
struct span_record *tracer_begin_trace(struct tracer *t, uint32_t name);

/* The same in the caller's trace (an incoming traceparent's trace id): a
 * server span with a fresh span id, the root of what this process records
 * (parent_id 0: the caller's span id is kept in the request's http_info as
 * remote_parent_id, and the writers emit it as the root's parent). An
 * all-zero trace_id gets a fresh random one, as tracer_begin_trace. */
struct span_record *tracer_begin_trace_in(struct tracer *t, uint32_t name, const uint8_t trace_id[SPAN_TRACE_ID_LEN]);

/* Starts a child of the innermost open span. NULL when tracing is off or the
 * stack is full (the span is then not recorded, but must still be ended). */
struct span_record *tracer_begin(struct tracer *t, uint32_t name, enum span_kind kind);

/* Ends the innermost open span and pushes it. */
void tracer_end(struct tracer *t);

/* The innermost open span's record, or NULL. */
struct span_record *tracer_current(struct tracer *t);

/* A leaf span in caller-owned memory, a child of the innermost open span.
 * start_ns is taken by the caller (it often needs the stamp itself). */
void tracer_open_leaf(struct tracer *t, struct span_record *rec, uint32_t name,
                      enum span_kind kind, int64_t start_ns);
/* Stamps the end and pushes; false if the ring dropped it. */
bool tracer_close_leaf(struct tracer *t, struct span_record *rec);
/* The same with an end stamp the caller took (a clock_now_ns() value). */
bool tracer_close_leaf_at(struct tracer *t, struct span_record *rec, int64_t end_ns);

/* The current trace's id as 32 lowercase hex digits and a NUL. */
void tracer_trace_id_hex(const struct tracer *t, char out[2 * SPAN_TRACE_ID_LEN + 1]);

#endif
