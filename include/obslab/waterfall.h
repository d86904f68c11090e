/*
 * waterfall — a trace laid out as the rows a waterfall draws.
 *
 * Rows follow the span tree depth first, children in start order. A run of
 * at least WATERFALL_MIN_GROUP consecutive sibling spans with the same name
 * (the N+1 loop's queries) becomes one group row, "SELECT orders ×20"; an
 * expanded group is followed by its members, one level deeper, each with
 * its own subtree as usual. A folded group hides its members' subtrees and
 * counts them (hidden), so no span is ever out of reach: unfolding shows
 * them. Placeholders group only with placeholders that stand for the same
 * thing (a missing parent, a cut parent cycle). Whether a
 * group is expanded is the caller's choice per name (struct wf_folds),
 * defaulting to expanded up to WATERFALL_AUTO_EXPAND members, so the
 * staircase shows where it fits and a 10 000-query loop stays one row.
 * Pure layout: no curses. A struct waterfall owns its rows and scratch
 * space and reuses them across builds; the trace is only read.
 *
 * Threads: a struct waterfall and its wf_folds belong to one thread (the
 * explorer's UI thread); nothing global.
 */
#ifndef OBSLAB_WATERFALL_H
#define OBSLAB_WATERFALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/spantree.h"

struct trace;

#define WATERFALL_MIN_GROUP 5
#define WATERFALL_AUTO_EXPAND 100
#define WATERFALL_MAX_FOLDS 64

enum wf_row_kind { WF_ROW_SPAN, WF_ROW_GROUP };

/* What a row's span (a group's members) is: a span of the trace, or a
 * placeholder the reader made for what the file lacks. */
enum wf_stand_in {
	WF_REAL,           /* a span of the trace */
	WF_MISSING_ROOT,   /* placeholder root: the trace has no single root */
	WF_MISSING_PARENT, /* placeholder for a parent id no span has */
	WF_CYCLE_CUT,      /* placeholder where a parent chain that loops was cut */
};

struct wf_row {
	enum wf_row_kind kind;
	bool expanded;       /* group: its members follow */
	bool last_sibling;   /* no later sibling (tree drawing) */
	uint16_t depth;      /* 0 for the root */
	uint32_t span;       /* index into trace->spans; a group's first member */
	uint32_t count;      /* group: members; span: 1 */
	uint32_t hidden;     /* folded group: spans under its members, not shown */
	enum wf_stand_in stand_in;
	int64_t start_ns, end_ns; /* group: first start to last end */
	int64_t busy_ns;     /* group: the members' wall-clock time (their interval
	                      * union: overlapping members count once) */
	int64_t summed_ns;   /* group: the members' durations summed (> busy_ns
	                      * when they overlapped, as a pipeline's do) */
};

enum wf_fold { WF_FOLD_AUTO, WF_FOLD_OPEN, WF_FOLD_CLOSED };

/* The user's fold choices, by group name (a strtab id). */
struct wf_folds {
	size_t n;
	struct {
		uint32_t name;
		enum wf_fold fold;
	} entry[WATERFALL_MAX_FOLDS];
};

void wf_folds_set(struct wf_folds *f, uint32_t name, enum wf_fold fold);
enum wf_fold wf_folds_get(const struct wf_folds *f, uint32_t name);

struct wf_frame {
	uint32_t next; /* the next sibling to visit, or SPANTREE_NONE */
	uint32_t left; /* a group's members still to visit; UINT32_MAX: all siblings */
};

struct waterfall {
	struct wf_row *rows;
	size_t nrows;
	/* The latest end of any span of the trace, never before the root's end:
	 * a skewed child may run past its root, and the time axis covers it. */
	int64_t end_ns;
	/* scratch, reused; tree is the last built trace's, kept for the panes */
	size_t rows_cap, stack_cap, walk_cap;
	struct wf_frame *stack;
	uint32_t *walk;
	struct spantree tree;
};

void waterfall_init(struct waterfall *wf);
void waterfall_free(struct waterfall *wf);

/* Lays out t (spans sorted by start, root first). t may be NULL: no rows. */
void waterfall_build(struct waterfall *wf, const struct trace *t, const struct wf_folds *folds);

/* What t->spans[span] stands for; tree is t's (wf->tree after a build). */
enum wf_stand_in waterfall_stand_in(const struct trace *t, const struct spantree *tree, uint32_t span);

/* The row whose span (or group's first member) is span_index, or nrows. */
size_t waterfall_find_span(const struct waterfall *wf, uint32_t span_index);

#endif
