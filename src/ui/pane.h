/*
 * pane — one rectangle of the screen, with one small interface.
 *
 * Each pane lives in its own file (pane_*.c) that ends with its ops table;
 * layout.c's table places it (one row). The shell owns every pane's WINDOW,
 * geometry and private state (ops->private_size bytes, zeroed, freed by the
 * shell), and calls draw only when the pane is dirty, with focus passed in;
 * draw erases and repaints the whole window and queues it with wnoutrefresh
 * (the shell calls doupdate once per frame).
 *
 * A pane reads the model through a const pointer and never writes it, and
 * never calls another pane: input (an action from the key table, or a
 * click) is answered with an intent that the shell applies to the model.
 * The model's changes reach a pane as dirty marks for what it watches, and
 * through sync, where it keeps its own state (a scroll position) in step.
 */
#ifndef OBSLAB_UI_PANE_H
#define OBSLAB_UI_PANE_H

#include <ncurses.h>
#include <stdbool.h>
#include <stddef.h>

#include "keys.h"
#include "layout.h"

struct model;
struct measurement;
struct finding;

/* What a pane asks of the shell. */
enum intent_kind {
	INTENT_NONE,        /* not for this pane, or nothing to do */
	INTENT_REDRAW,      /* the pane's own state changed: redraw it */
	INTENT_SELECT_ROW,  /* select waterfall row `row` */
	INTENT_TOGGLE_FOLD, /* fold or unfold the group at (or around) row `row` */
	/* the query list */
	INTENT_SORT_QUERIES, /* the sort column: `row` 0 the previous, 1 the next */
	INTENT_CHOOSE_QUERY, /* Enter on query `row`: highlight its spans, its SQL in the details */
	/* the trace list (pane_traces.c) */
	INTENT_TRACES_SELECT, /* select row `row` of the trace list */
	INTENT_TRACES_SORT,   /* sort by the previous (row 0) or next (row 1) column */
	INTENT_OPEN_TRACE,    /* show the selected trace of the list */
};

struct intent {
	enum intent_kind kind;
	size_t row;
};

/* Not a model change: the pane's geometry changed (sync after a layout). */
#define PANE_RESIZED (1u << 31)

struct pane;

struct pane_ops {
	const char *name;
	size_t private_size;  /* bytes of state the shell allocates for it */
	bool focusable;
	unsigned watches;     /* enum model_change bits that make it redraw */
	void (*draw)(struct pane *p, const struct model *m, bool focus);
	struct intent (*handle)(struct pane *p, const struct model *m, enum action action); /* may be NULL */
	/* A click at row y of the window (0 is the top border); may be NULL. */
	struct intent (*click)(struct pane *p, const struct model *m, int y, int x);
	/* After a change it watches (changed: model bits, or PANE_RESIZED); may be NULL. */
	void (*sync)(struct pane *p, const struct model *m, unsigned changed);
	bool holds_trace;     /* focused, it holds a live source's shown trace (it is being read) */
};

struct pane {
	const struct pane_ops *ops;
	void *priv; /* ops->private_size bytes */
	WINDOW *win;
	int y, x, h, w;
	enum screen_mode screen; /* the screen it is shown on, as focus is: set by the shell */
	bool dirty;
};

/* A list with a cursor, or a text that scrolls: a pane's private state. */
struct pane_list {
	size_t cursor, top;
};

/* Keeps cursor within [0, n) and the visible rows [top, top+rows) around it. */
void pane_follow_cursor(struct pane_list *l, size_t n, size_t rows);
/* Applies a movement action to a list of n rows with rows visible: true if
 * it was a movement (cursor and top follow), false for other actions. */
bool pane_move_cursor(struct pane_list *l, enum action action, size_t n, size_t rows);
/* Applies a movement action to a text of n lines (no cursor: the text
 * itself moves); INTENT_REDRAW, or INTENT_NONE for other actions. */
struct intent pane_scroll(struct pane_list *l, enum action action, size_t n, size_t rows);

static inline struct intent pane_intent(enum intent_kind kind, size_t row)
{
	return (struct intent){ kind, row };
}

/* A measurement's progress bar, or how it ended, on row y (compare and sweep). */
void pane_draw_progress(WINDOW *w, int y, int width, const struct model *m, const struct measurement *meas);
/* "⚠N+1 scan" (N+1, full scan in a loop) for the findings that touch a row
 * or query, or "". */
void pane_finding_tag(const struct finding *n1, const struct finding *scan, char *buf, size_t cap);

#endif
