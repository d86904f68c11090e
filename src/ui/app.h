/*
 * app — the trace explorer: the UI thread's state, shared by three files:
 *   app.c      the loop, curses, layout, signals and input dispatch;
 *   view.c     the shown trace and the figures derived from completed
 *              traces (window, findings, measurements), computed once per
 *              trace, never per frame;
 *   control.c  the lab's settings and the comparison and sweep runs.
 * Panes read the app through a const pointer; only these files change it.
 * Only this thread calls curses.
 */
#ifndef OBSLAB_UI_APP_H
#define OBSLAB_UI_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/analysis.h"
#include "obslab/clock.h"
#include "obslab/comparison.h"
#include "obslab/findings.h"
#include "obslab/logbook.h"
#include "obslab/session.h"
#include "obslab/snapshot.h"
#include "obslab/span.h"
#include "obslab/waterfall.h"
#include "obslab/recent.h"
#include "obslab/workload.h"
#include "pane.h"

struct cli;
struct trace;

/* Below this the layout does not fit; a message says so instead. */
#define APP_MIN_COLS 80
#define APP_MIN_LINES 24
#define APP_MAX_QUERIES 64
#define APP_MAX_LOGGED_FINDINGS 16

enum pane_id {
	PANE_STATUS,
	PANE_WATERFALL,
	PANE_ATTRIBUTION,
	PANE_QUERIES,
	PANE_DETAILS,
	PANE_LOG,
	PANE_COMPARE,
	PANE_SWEEP,
	PANE_FOOTER,
	PANE_COUNT,
};

enum app_view { VIEW_MAIN, VIEW_COMPARE, VIEW_SWEEP };

/* A comparison or a sweep: what was asked, under which settings, and the
 * medians of what has been measured so far. */
struct measurement {
	struct plan plan;
	uint32_t rtt_us;
	bool index;
	bool started, cancelled;
	struct comparison results;
};

struct app {
	/* the lab, as the user set it */
	struct workload_config settings;
	struct findings_config findings_cfg;
	bool paused;
	const char *snapshot_path;   /* obslab open: read-only, nothing runs */
	const char *export_dir;
	bool export_prompt;          /* x was pressed: the next key picks the format */
	char message[320];           /* shown in the status bar until message_until */
	bool message_error;
	int64_t message_until;

	/* engine */
	struct session lab;
	struct logbook log;

	/* the shown trace and what is derived from it */
	uint64_t shown_seq;        /* 0: none yet */
	bool follow;               /* show each new trace as it completes */
	const struct trace *shown; /* re-resolved every tick */
	struct waterfall wf;
	struct wf_folds folds;
	struct attribution attr;
	struct findings findings;
	struct query_stat queries[APP_MAX_QUERIES];
	size_t nqueries;
	bool queries_window;       /* the query list shows the last minute, not the trace */

	/* figures over every completed trace */
	struct recent_stats window;
	struct recent_attribution window_attr;
	bool window_dirty;
	int64_t window_refreshed_ns;
	struct findings scratch;   /* findings of traces as they complete */
	struct {
		enum finding_kind kind;
		uint32_t fingerprint;
	} logged[APP_MAX_LOGGED_FINDINGS]; /* findings logged since the settings changed */
	size_t nlogged;
	struct measurement compare, sweep;
	struct measurement *measuring; /* the one the workload is running, or NULL */

	/* the status bar */
	double requests_per_s;
	uint64_t rate_requests;
	int64_t rate_since_ns;
	char status_line[512];          /* as last drawn: redraw when it differs */
	enum workload_phase last_phase; /* to log a failure once */

	/* the terminal */
	struct pane panes[PANE_COUNT];
	enum pane_id focus;
	enum app_view view;
	bool help_open, too_small, quit;
	size_t help_top;           /* first key shown when the help scrolls */
	WINDOW *overlay;
};

/* Runs the explorer until q or a signal; returns the exit status. */
int app_main(const struct cli *cli);

/* For bench/: draws frames of a snapshot's latest trace at cols x lines
 * into a real curses screen that writes to /dev/null, every pane redrawn
 * each frame (the worst case); each frame's time goes to frame_ns[i].
 * Returns 0, or an exit status. */
int app_bench_frames(const char *snapshot, int cols, int lines, int frames, double *frame_ns);

/* app.c */
void app_mark(struct app *app, enum pane_id id);

/* view.c */
void view_init(struct app *app);
void view_free(struct app *app);
void view_tick(struct app *app);                 /* take in what the workload produced */
void view_show(struct app *app, uint64_t seq);   /* show trace seq */
void view_step(struct app *app, int dir);        /* the previous (-1) or next (+1) trace */
void view_relayout(struct app *app);             /* after a fold changed */
void view_note(struct app *app, enum log_level level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void app_span_label(const struct app *app, const struct span_record *s, char *buf, size_t cap);
const struct wf_row *app_selected_row(const struct app *app);
/* The finding (of either kind) a waterfall row or query is part of. */
const struct finding *app_row_finding(const struct app *app, const struct wf_row *row, enum finding_kind kind);
const struct finding *app_query_finding(const struct app *app, uint32_t fingerprint, enum finding_kind kind);
/* "⚠N+1 scan" (N+1, full scan in a loop) for the findings that touch this
 * row or query, or "". */
void app_finding_tag(const struct finding *n1, const struct finding *scan, char *buf, size_t cap);
/* The comparison's measured totals for the current settings, if fresh. */
bool app_measured(const struct app *app, int64_t *naive_ns, int64_t *optimized_ns);

/* control.c: each changes the lab and says so in the log; on a snapshot
 * they say it is read-only instead */
void control_export(struct app *app, enum snapshot_format format);
void control_message(struct app *app, bool error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void control_strategy(struct app *app, enum strategy s);
void control_toggle_strategy(struct app *app);
void control_users(struct app *app, int dir);
void control_rtt(struct app *app);
void control_index(struct app *app);
void control_pace(struct app *app);
void control_pause(struct app *app);
bool control_measure(struct app *app, enum app_view which); /* start a comparison or sweep */
void control_cancel_measure(struct app *app);
/* Whether m was measured under other settings than the current ones. */
bool control_stale(const struct app *app, const struct measurement *m);

#endif
