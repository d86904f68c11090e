/*
 * waterfall — a trace laid out as the rows a waterfall draws.
 *
 * Rows follow the span tree depth first, children in start order. A run of
 * at least WATERFALL_MIN_GROUP consecutive sibling spans with the same name
 * (the N+1 loop's queries) becomes one group row, "SELECT orders ×20"; an
 * expanded group is followed by its members, one level deeper. Whether a
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

struct wf_row {
	enum wf_row_kind kind;
	bool expanded;       /* group: its members follow */
	bool last_sibling;   /* no later sibling (tree drawing) */
	uint16_t depth;      /* 0 for the root */
	uint32_t span;       /* index into trace->spans; a group's first member */
	uint32_t count;      /* group: members; span: 1 */
	int64_t start_ns, end_ns; /* group: first start to last end */
	int64_t busy_ns;     /* summed member durations */
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

struct waterfall {
	struct wf_row *rows;
	size_t nrows;
	/* scratch, reused */
	size_t rows_cap, stack_cap;
	uint32_t *stack;
	struct spantree tree;
};

void waterfall_init(struct waterfall *wf);
void waterfall_free(struct waterfall *wf);

/* Lays out t (spans sorted by start, root first). t may be NULL: no rows. */
void waterfall_build(struct waterfall *wf, const struct trace *t, const struct wf_folds *folds);

/* The row whose span (or group's first member) is span_index, or nrows. */
size_t waterfall_find_span(const struct waterfall *wf, uint32_t span_index);

#endif
