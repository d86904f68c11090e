/*
 * tracediff — two traces' span trees aligned, as the rows a diff view draws
 * (Jaeger's trace comparison, with both durations and their difference).
 *
 * A span is matched by its path: its parent's match and its key (the record
 * name: a span's own name, a database span's fingerprint; and whether it is
 * a database statement). Repeated siblings with one key are matched in
 * order (the k-th of A with the k-th of B); a run of at least
 * WATERFALL_MIN_GROUP of them on either side is compared as one group row
 * with both counts and summed durations, not descended into (the spans
 * under its members are counted, below_a and below_b). A span only in
 * A is TRACEDIFF_MISSING, only in B TRACEDIFF_ADDED, with its subtree.
 * O(n log n) in the spans of both traces; no recursion (a hostile chain of
 * parents is as deep as it likes).
 *
 * Ownership: a struct tracediff owns its rows and scratch and reuses them
 * across builds; the traces are only read and may go away after the build
 * (rows keep span indices, so the caller must not use them with other
 * traces). Out of memory aborts (xalloc.h); there are no other errors.
 * Threads: one thread per struct tracediff; nothing global. No curses.
 */
#ifndef OBSLAB_TRACEDIFF_H
#define OBSLAB_TRACEDIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/spantree.h"

struct trace;

#define TRACEDIFF_NONE UINT32_MAX

enum tracediff_status {
	TRACEDIFF_BOTH,    /* in both traces */
	TRACEDIFF_MISSING, /* only in A (the marked trace) */
	TRACEDIFF_ADDED,   /* only in B (the shown trace) */
};

struct tracediff_row {
	enum tracediff_status status;
	bool group;              /* a run of repeated siblings, compared as one row */
	uint16_t depth;          /* 0 for the roots (saturating) */
	uint32_t span_a, span_b; /* index into each trace's spans (a group's first member), or TRACEDIFF_NONE */
	uint32_t count_a, count_b; /* spans the row stands for on each side (0 where absent) */
	uint32_t below_a, below_b; /* a group: the spans under its members, not compared row by row */
	int64_t ns_a, ns_b;      /* duration on each side (a group: its members' summed); 0 where absent */
};

struct tracediff_item; /* scratch */

struct tracediff {
	struct tracediff_row *rows;
	size_t nrows;
	size_t missing, added;   /* spans only in A, only in B (a group's: members and what is below them) */
	/* scratch, reused */
	size_t rows_cap, stack_cap, items_cap[2];
	struct tracediff_item *stack, *items[2];
	uint32_t *size[2], *order; /* spans in each span's subtree; a preorder */
	size_t size_cap[2], order_cap;
	struct spantree tree[2];
};

void tracediff_init(struct tracediff *d);
void tracediff_free(struct tracediff *d);

/* Aligns a (the old, marked one) and b (the new, shown one). Either may be
 * NULL or empty: every span of the other is then added or missing. */
void tracediff_build(struct tracediff *d, const struct trace *a, const struct trace *b);

/* The difference a row shows: B's duration minus A's. */
static inline int64_t tracediff_delta(const struct tracediff_row *r)
{
	return r->ns_b - r->ns_a;
}

#endif
