/*
 * tracer — the producer side: span and trace ids, the stack of open spans
 * that gives each its parent, and finished spans pushed into the ring
 * (never blocking: a full ring drops and counts).
 */
#include "obslab/tracer.h"

#include <string.h>

#include "obslab/clock.h"
#include "obslab/ring.h"

void tracer_init(struct tracer *t, struct ring *ring)
{
	memset(t, 0, sizeof *t);
	t->ring = ring;
	rng_seed_random(&t->rng);
}

static uint64_t new_span_id(struct tracer *t)
{
	uint64_t id;
	do
		id = rng_next(&t->rng);
	while (id == 0); /* zero means "no parent" in OTLP */
	return id;
}

static struct span_record *push_frame(struct tracer *t, uint32_t name, enum span_kind kind)
{
	if (!t->ring || t->depth >= TRACER_MAX_DEPTH) {
		t->depth++;
		return NULL;
	}
	struct span_record *rec = &t->stack[t->depth];
	tracer_open_leaf(t, rec, name, kind, clock_now_ns()); /* parent: the frame below */
	t->depth++;
	return rec;
}

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

struct span_record *tracer_begin_trace_in(struct tracer *t, uint32_t name, const uint8_t trace_id[SPAN_TRACE_ID_LEN])
{
	if (t->ring) {
		t->trace_seq++;
		if (trace_id && !all_zero(trace_id, SPAN_TRACE_ID_LEN)) {
			memcpy(t->trace_id, trace_id, SPAN_TRACE_ID_LEN);
		} else {
			uint64_t hi = rng_next(&t->rng), lo = rng_next(&t->rng);
			for (int i = 0; i < 8; i++) {
				t->trace_id[i] = (uint8_t)(hi >> (56 - 8 * i));
				t->trace_id[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
			}
		}
	}
	struct span_record *root = push_frame(t, name, SPAN_KIND_SERVER);
	if (root)
		memcpy(root->u.root.trace_id, t->trace_id, SPAN_TRACE_ID_LEN);
	return root;
}

struct span_record *tracer_begin_trace(struct tracer *t, uint32_t name)
{
	return tracer_begin_trace_in(t, name, NULL);
}

struct span_record *tracer_begin(struct tracer *t, uint32_t name, enum span_kind kind)
{
	return push_frame(t, name, kind);
}

void tracer_end(struct tracer *t)
{
	if (t->depth == 0)
		return;
	int depth = --t->depth;
	if (t->ring && depth < TRACER_MAX_DEPTH)
		(void)tracer_close_leaf(t, &t->stack[depth]);
}

struct span_record *tracer_current(struct tracer *t)
{
	if (!t->ring || t->depth == 0)
		return NULL;
	/* Past the stack's depth, the deepest recorded span stands in as parent. */
	int top = t->depth < TRACER_MAX_DEPTH ? t->depth : TRACER_MAX_DEPTH;
	return &t->stack[top - 1];
}

void tracer_open_leaf(struct tracer *t, struct span_record *rec, uint32_t name,
                      enum span_kind kind, int64_t start_ns)
{
	const struct span_record *parent = tracer_current(t);
	memset(rec, 0, sizeof *rec);
	rec->span_id = new_span_id(t);
	rec->parent_id = parent ? parent->span_id : 0;
	rec->start_ns = start_ns;
	rec->trace_seq = t->trace_seq;
	rec->name = name;
	rec->kind = (uint8_t)kind;
}

bool tracer_close_leaf(struct tracer *t, struct span_record *rec)
{
	return tracer_close_leaf_at(t, rec, clock_now_ns());
}

bool tracer_close_leaf_at(struct tracer *t, struct span_record *rec, int64_t end_ns)
{
	rec->end_ns = end_ns;
	return ring_push(t->ring, rec);
}

void tracer_trace_id_hex(const struct tracer *t, char out[2 * SPAN_TRACE_ID_LEN + 1])
{
	span_trace_id_hex(t->trace_id, out);
}
