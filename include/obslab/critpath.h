/*
 * critpath — a trace's critical path: the chain of spans the request's end
 * waited on, computed as Jaeger does. From the root's end, walk back: take
 * the child that ended last before the current point and recurse into it;
 * when a span has no such child, its own start is the next point, in its
 * parent. Children are first clipped to their parent's time range (a child
 * skewed past its parent's end is cut there; one wholly outside is left out,
 * with what hangs under it).
 *
 * Ownership: a struct critpath owns its results and scratch and reuses them
 * across computes; the trace is only read. Out of memory aborts (xalloc.h).
 * Threads: one struct critpath belongs to one thread; nothing global.
 */
#ifndef OBSLAB_CRITPATH_H
#define OBSLAB_CRITPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/spantree.h"

struct trace;

/* A stretch of time [start_ns, end_ns) that the request's end waited on
 * span `span` itself (not on one of its children). */
struct critpath_section {
	uint32_t span; /* index into trace->spans */
	int64_t start_ns, end_ns;
};

/* Scratch: a child, as its parent's children are sorted. */
struct critpath_child {
	uint32_t parent, span;
	int64_t start_ns, end_ns; /* clipped to the parent */
};

struct critpath {
	bool *on_path;                     /* per span of the last trace: on the path */
	struct critpath_section *sections; /* latest first, as the walk finds them */
	size_t nsections;
	size_t nspans_on_path;
	/* scratch, reused */
	size_t cap, sections_cap;
	struct critpath_child *children;
	uint32_t *parent, *first, *cursor;
	int64_t *clip_start, *clip_end;
	struct spantree tree;
};

void critpath_init(struct critpath *cp);
void critpath_free(struct critpath *cp);

/* Computes the path of t (spans sorted by start, spans[0] the root; NULL or
 * empty: no path). Each span on it has on_path[i] set; its sections cover
 * the root's range without overlap. */
void critpath_compute(struct critpath *cp, const struct trace *t);

#endif
