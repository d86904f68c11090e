/*
 * intake_copy — a received span copied from its batch's otel_set into its
 * trace's, with everything it carries (attributes, events, links, every
 * text) and its scope and resource, each kept once per trace: found again
 * by content (among the trace's latest INTAKE_COPY_SCAN), once per batch
 * and scope thanks to a small map per trace; each text of a batch hashed
 * into the trace's arena once (a small map of offsets per trace). Not a public interface;
 * the intake's thread only.
 */
#ifndef OBSLAB_INTAKE_COPY_H
#define OBSLAB_INTAKE_COPY_H

#include <stdint.h>

#include "obslab/otel.h"

#define INTAKE_COPY_MAP 8   /* scopes of one batch remembered per trace */
#define INTAKE_COPY_SCAN 32 /* a trace's latest scopes and resources compared */

#define INTAKE_TEXT_MAP 64 /* texts of one batch remembered per trace (direct-mapped) */

struct intake_text_map {
	struct otel_str src[INTAKE_TEXT_MAP], dst[INTAKE_TEXT_MAP];
};

/* Where one batch's scopes and texts went in a trace's set. */
struct intake_scope_map {
	uint64_t batch; /* the batch the maps are of */
	uint32_t n;
	uint32_t src[INTAKE_COPY_MAP], dst[INTAKE_COPY_MAP];
	struct intake_text_map texts;
};

static inline void intake_scope_map_reset(struct intake_scope_map *m)
{
	m->batch = 0;
	m->n = 0;
}

/* sp (a span of src) appended to dst; its index there. Marks obslab set on
 * reading are kept but those assembly sets; one that ends before it starts
 * is marked OTEL_MARK_NEGATIVE. batch: the caller's count of batches (from 1). */
uint32_t intake_copy_span(struct otel_set *dst, const struct otel_set *src, const struct otel_span *sp,
                          struct intake_scope_map *m, uint64_t batch);

#endif
