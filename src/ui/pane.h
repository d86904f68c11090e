/*
 * pane — one rectangle of the screen, with one small interface.
 *
 * Each pane lives in its own file (pane_*.c) that ends with its ops table.
 * The app owns every pane's WINDOW and geometry and calls draw only when
 * the pane is dirty; draw erases and repaints the whole window and queues
 * it with wnoutrefresh (the app calls doupdate once per frame). A pane
 * receives actions, never raw keys: the key table has already decided.
 */
#ifndef OBSLAB_UI_PANE_H
#define OBSLAB_UI_PANE_H

#include <ncurses.h>
#include <stdbool.h>
#include <stddef.h>

#include "keys.h"

struct app;
struct pane;

enum pane_result {
	PANE_IGNORED,   /* not for this pane */
	PANE_HANDLED,   /* done; nothing else changed */
	PANE_CHANGED,   /* the selection changed: dependent panes redraw */
};

struct pane_ops {
	const char *name;
	bool focusable;
	void (*draw)(struct pane *p, const struct app *app);
	enum pane_result (*handle)(struct pane *p, struct app *app, enum action action);
	/* A click at row y of the window (0 is the top border). */
	enum pane_result (*click)(struct pane *p, struct app *app, int y, int x);
};

struct pane {
	const struct pane_ops *ops;
	WINDOW *win;
	int y, x, h, w;
	bool dirty;
	/* list state, for panes that scroll */
	size_t cursor, top;
	size_t lines; /* text views: lines at the last draw */
};

/* Keeps cursor within [0, n) and the window of visible rows [top, top+rows)
 * around it. */
void pane_follow_cursor(struct pane *p, size_t n, size_t rows);
/* Applies a movement action to a list of n rows with rows visible;
 * PANE_CHANGED if the cursor moved, PANE_IGNORED for other actions. */
enum pane_result pane_move_cursor(struct pane *p, enum action action, size_t n, size_t rows);
/* Applies a movement action to a text view of n lines (no cursor: the view
 * itself moves); PANE_IGNORED for other actions. */
enum pane_result pane_scroll(struct pane *p, enum action action, size_t n, size_t rows);

struct measurement;
/* A measurement's progress bar, or how it ended, on row y (compare and sweep). */
void pane_draw_progress(WINDOW *w, int y, int width, const struct app *app, const struct measurement *m);

/* Rows of spans the waterfall pane shows at its present size. */
size_t pane_waterfall_rows(const struct pane *p);

/* The status line's text, so the app can tell when it changed. */
void pane_status_compose(const struct app *app, char *buf, size_t cap);

extern const struct pane_ops pane_status_ops;
extern const struct pane_ops pane_waterfall_ops;
extern const struct pane_ops pane_attribution_ops;
extern const struct pane_ops pane_queries_ops;
extern const struct pane_ops pane_details_ops;
extern const struct pane_ops pane_log_ops;
extern const struct pane_ops pane_compare_ops;
extern const struct pane_ops pane_sweep_ops;
extern const struct pane_ops pane_footer_ops;

#endif
