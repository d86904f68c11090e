/*
 * intake_copy — a received span copied from its batch's otel_set into its
 * trace's, with everything it carries (attributes, events, links, every
 * text) and its scope and resource, each kept once per trace: found again
 * by content (among the trace's latest INTAKE_COPY_SCAN), once per batch
 * and scope thanks to a small map per trace; each text of a batch hashed
 * into a trace's arena once (a map of offsets the intake's traces share). Not a public interface;
 * the intake's thread only.
 */
#ifndef OBSLAB_INTAKE_COPY_H
#define OBSLAB_INTAKE_COPY_H

#include <stddef.h>
#include <stdint.h>

#include "obslab/otel.h"

#define INTAKE_COPY_MAP 8   /* scopes of one batch remembered per trace */
#define INTAKE_COPY_SCAN 32 /* a trace's latest scopes and resources compared */

#define INTAKE_TEXT_MAP 1024 /* texts of the batch remembered, all traces (direct-mapped) */

/* Where a batch's texts went, shared by the intake's traces: a slot holds
 * for one batch and one trace set (owner) a text of the batch and its copy. */
struct intake_text_map {
	struct {
		uint64_t batch, owner;
		struct otel_str src, dst;
	} slot[INTAKE_TEXT_MAP];
};

/* Where one batch's scopes went in a trace's set; owner names the set
 * (a number never given to another, so that texts copied into one set
 * are never taken for another's). */
struct intake_scope_map {
	uint64_t batch; /* the batch the map is of */
	uint64_t owner;
	uint32_t n;
	uint32_t src[INTAKE_COPY_MAP], dst[INTAKE_COPY_MAP];
};

static inline void intake_scope_map_reset(struct intake_scope_map *m, uint64_t owner)
{
	m->batch = 0;
	m->owner = owner;
	m->n = 0;
}

/* sp (a span of src) appended to dst; its index there. Marks obslab set on
 * reading are kept but those assembly sets; one that ends before it starts
 * is marked OTEL_MARK_NEGATIVE. batch: the caller's count of batches (from 1). */
uint32_t intake_copy_span(struct otel_set *dst, const struct otel_set *src, const struct otel_span *sp,
                          struct intake_scope_map *m, struct intake_text_map *texts, uint64_t batch);

/* What copying sp alone into a set takes, about (its record, its kvs,
 * values, events, links and texts; a bound on the share of the set's
 * arrays the copy fills, not their doubling): the intake's per-trace cap
 * compares it. Nested values past COPY_MAX_DEPTH are not counted (nor
 * copied). */
size_t intake_copy_span_cost(const struct otel_set *src, const struct otel_span *sp);
/* The same for the resource and the scope sp names (copied once per trace). */
size_t intake_copy_context_cost(const struct otel_set *src, const struct otel_span *sp);

#endif
