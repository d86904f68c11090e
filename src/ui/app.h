/*
 * app — the trace explorer: the UI thread's state and its loop.
 *
 * The app owns the engine objects of a live session (string table, rings,
 * store, workload thread) and the view derived from the store: the trace
 * shown, its waterfall rows, attribution and query statistics, recomputed
 * only when the shown trace changes. Panes read the app through a const
 * pointer; only app.c changes it (in answer to ticks, keys and the mouse).
 * Only this thread calls curses.
 */
#ifndef OBSLAB_UI_APP_H
#define OBSLAB_UI_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/analysis.h"
#include "obslab/clock.h"
#include "obslab/logbook.h"
#include "obslab/session.h"
#include "obslab/span.h"
#include "obslab/waterfall.h"
#include "obslab/workload.h"
#include "pane.h"

struct cli;
struct ring;
struct store;
struct strtab;
struct trace;

/* Below this the layout does not fit; a message says so instead. */
#define APP_MIN_COLS 80
#define APP_MIN_LINES 24
#define APP_MAX_QUERIES 64

enum pane_id {
	PANE_STATUS,
	PANE_WATERFALL,
	PANE_ATTRIBUTION,
	PANE_QUERIES,
	PANE_DETAILS,
	PANE_LOG,
	PANE_FOOTER,
	PANE_COUNT,
};

struct app {
	/* the lab, as the user set it */
	struct workload_config settings;
	bool paused;

	/* engine */
	struct session lab;
	struct logbook log;

	/* the view */
	uint64_t shown_seq;        /* 0: none yet */
	bool follow;               /* show each new trace as it completes */
	const struct trace *shown; /* re-resolved every tick */
	struct waterfall wf;
	struct wf_folds folds;
	struct attribution attr;
	struct query_stat queries[APP_MAX_QUERIES];
	size_t nqueries;

	/* figures for the status bar */
	double requests_per_s;
	uint64_t rate_requests;
	int64_t rate_since_ns;
	char status_line[512];          /* as last drawn: redraw when it differs */
	enum workload_phase last_phase; /* to log a failure once */

	/* the terminal */
	struct pane panes[PANE_COUNT];
	enum pane_id focus;
	bool help_open, too_small, quit;
	WINDOW *overlay;
};

/* Runs the explorer until q or a signal; returns the exit status. */
int app_main(const struct cli *cli);

/* Helpers the panes share. */
/* The shown trace's display name for a span: "SELECT orders" for a query. */
void app_span_label(const struct app *app, const struct span_record *s, char *buf, size_t cap);
/* The selected waterfall row (the waterfall pane's cursor), or NULL. */
const struct wf_row *app_selected_row(const struct app *app);
/* Lays the shown trace out again (after a fold changed) and marks the
 * panes that show it. */
void app_relayout_trace(struct app *app);

#endif
