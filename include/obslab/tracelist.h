/*
 * tracelist — one summary row per trace (service, root name, start,
 * duration, spans, errors, findings) and the order a list shows them in:
 * sorted by any column, kept to the rows a filter (tracefilter) lets
 * through. Curses-free: the explorer's trace list draws it.
 *
 * A struct tracelist owns its rows and its view (an array of row indices);
 * rows are copies (no pointer into a store), so a row outlives the trace it
 * sums up and the list says nothing of eviction: the caller drops rows it
 * can no longer open (tracelist_drop_before). Rows arrive in completion
 * order (seq rising). A row's service and root are whole copies of the
 * names (heap strings, as the file gave them: control characters and all,
 * for draw_text to escape and to cut where a column ends); the row that
 * holds them owns them, and tracelist_add hands them to the list. NULL
 * reads as "" (tracelist_service, tracelist_root). Out of memory aborts
 * (xalloc.h). One thread.
 */
#ifndef OBSLAB_TRACELIST_H
#define OBSLAB_TRACELIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trace;
struct strtab;
struct findings;
struct tracefilter;

struct tracelist_row {
	uint64_t seq;                   /* the store's seq: what Enter opens */
	char *service;                  /* service.name of the root's resource; "obslab" for the lab's (owned) */
	char *root;                     /* the root span's name, a foreign one its own name, whole (owned) */
	int64_t start_ns;               /* the root's start, on the trace's clock */
	int64_t duration_ns;            /* the root's duration */
	uint32_t spans;                 /* spans, placeholders left out */
	uint32_t errors;                /* spans marked as failed */
	uint32_t findings;              /* findings (N+1, full scan in a loop) */
	unsigned finding_kinds;         /* 1 << enum finding_kind, for each kind found */
	bool open;                      /* a received trace still in its quiet period (store.h) */
};

/* In the order a list shows them (and < > step through them). */
enum tracelist_col {
	TRACELIST_START,
	TRACELIST_DURATION,
	TRACELIST_SERVICE,
	TRACELIST_ROOT,
	TRACELIST_SPANS,
	TRACELIST_ERRORS,
	TRACELIST_FINDINGS,
	TRACELIST_NCOLS,
};

struct tracelist {
	struct tracelist_row *rows;  /* completion order */
	size_t nrows, cap;
	size_t *view;                /* indices into rows: those the filter lets through, sorted */
	size_t nview, view_cap;
	enum tracelist_col sort;
	bool descending;
	int64_t first_start_ns;      /* the earliest row's start (a list shows starts from it) */
};

void tracelist_init(struct tracelist *l); /* sorted by start, oldest first */
void tracelist_free(struct tracelist *l);

/* Sums up trace t into row (which then owns its names: tracelist_add or
 * tracelist_row_free). names resolves lab names; f (may be NULL) holds
 * t's findings as findings_detect left them. A trace without spans gives
 * an empty row of its seq. */
void tracelist_summarize(struct tracelist_row *row, const struct trace *t, const struct strtab *names,
                         const struct findings *f);
/* Frees a row's names (a row never added). */
void tracelist_row_free(struct tracelist_row *row);
/* Appends row, or replaces the row of its seq (a received trace changed in
 * place, store.h); the list takes its names (the caller's copy must not
 * free them). */
void tracelist_add(struct tracelist *l, const struct tracelist_row *row);
/* The row of seq, or NULL (O(log n): rows are in seq order). */
const struct tracelist_row *tracelist_row_of(const struct tracelist *l, uint64_t seq);
/* Drops the rows of seq below `seq` (evicted traces); true if any went. */
bool tracelist_drop_before(struct tracelist *l, uint64_t seq);

/* The column's header ("service", "duration", ...) and whether it sorts
 * largest first by default (numbers: yes; names and start: no). */
const char *tracelist_col_name(enum tracelist_col c);
bool tracelist_col_descends(enum tracelist_col c);
/* Sorts by column c in its default direction. */
void tracelist_set_sort(struct tracelist *l, enum tracelist_col c);

/* Rebuilds the view: the rows filter (NULL: every row) lets through, in the
 * sort order (ties: completion order). */
void tracelist_refresh(struct tracelist *l, const struct tracefilter *filter);
/* The view's position of the row of seq, or nview if it is not shown. */
size_t tracelist_find(const struct tracelist *l, uint64_t seq);

static inline const char *tracelist_service(const struct tracelist_row *r)
{
	return r->service ? r->service : "";
}

static inline const char *tracelist_root(const struct tracelist_row *r)
{
	return r->root ? r->root : "";
}

static inline const struct tracelist_row *tracelist_at(const struct tracelist *l, size_t i)
{
	return &l->rows[l->view[i]];
}

#endif
