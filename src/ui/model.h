/*
 * model — what the explorer shows, apart from how: the selected trace and
 * its waterfall rows, folds and selection, its attribution, findings and
 * query statistics; the window over the last minute; the comparison and
 * sweep measurements; the logbook and the status bar's message.
 *
 * Only the model_* functions change a model (model.c: the shown trace and
 * the tick; model_lab.c: the lab's settings, measurements and export).
 * Panes read it through a const pointer and answer input with an intent
 * (pane.h) that the shell applies through these functions. Each change
 * sets bits in `changed` (enum model_change); the shell takes them once per
 * step and redraws the panes that watch them. The model reads its source
 * (source.h) and calls its control ops only for controls it offers.
 * UI thread only; nothing here calls curses.
 */
#ifndef OBSLAB_UI_MODEL_H
#define OBSLAB_UI_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/analysis.h"
#include "obslab/comparison.h"
#include "obslab/critpath.h"
#include "obslab/findings.h"
#include "obslab/logbook.h"
#include "obslab/failtab.h"
#include "obslab/pgstat.h"
#include "obslab/snapshot.h"
#include "obslab/span.h"
#include "obslab/tracediff.h"
#include "obslab/waterfall.h"
#include "obslab/recent.h"
#include "obslab/tracefilter.h"
#include "obslab/tracelist.h"
#include "obslab/search.h"
#include "obslab/workload.h"
#include "source.h"

#define MODEL_MAX_QUERIES 64
#define MODEL_MAX_LOGGED_FINDINGS 16
#define MODEL_ZOOM_DEPTH 32

#define MODEL_DIFF_LABEL 256 /* bytes of a diff row's label: a 200-column row's name, whole */

#define MODEL_FILTER_TEXT 1025 /* bytes of a filter, its NUL included: 1024 of text */
#define MODEL_FILTER_HISTORY 16

/* What changed since the shell last looked (model_take_changes). */
enum model_change {
	MODEL_TRACE = 1 << 0,     /* the shown trace, its rows or folds */
	MODEL_SELECTION = 1 << 1, /* the selected row, by the user */
	MODEL_QUERIES = 1 << 2,   /* the query list */
	MODEL_WINDOW = 1 << 3,    /* the last minute's figures */
	MODEL_MEASURE = 1 << 4,   /* a comparison or sweep */
	MODEL_LOG = 1 << 5,
	MODEL_STATUS = 1 << 6,    /* the status bar's line or message */
	MODEL_IN_FLIGHT = 1 << 7, /* the request in flight: its time and queries so far */
	MODEL_DIFF = 1 << 8,      /* the diff's rows (model_diff.c) */
	MODEL_TRACES = 1 << 9,    /* the trace list: its rows, order, filter or prompt (model_traces.c) */
	MODEL_SEARCH = 1 << 10,   /* the search: its prompt, matches or current match */
};

enum measure_kind { MEASURE_COMPARE, MEASURE_SWEEP };

/* The query list's sort column (its columns, left to right), most first. */
enum query_sort { QUERY_SORT_CALLS, QUERY_SORT_TOTAL, QUERY_SORT_MEAN, QUERY_SORT_P95, QUERY_SORT_ROWS, QUERY_SORT_COUNT };

/* A comparison or a sweep: what was asked, under which settings, and the
 * medians of what has been measured so far. */
struct measurement {
	struct plan plan;
	uint32_t rtt_us;
	bool index;
	bool started, cancelled;
	int64_t ended_ns;     /* when it was cancelled */
	uint32_t done, total; /* progress while it runs */
	struct comparison results;
};

struct model {
	struct source *source;
	/* the lab, as the user set it */
	struct workload_config settings;
	enum labdb_engine engine;    /* the lab's database's: which strategies it runs (strategy_count) */
	bool has_database;           /* where the lab runs (x writes it into the file) */
	struct labdb_info database;
	int64_t settings_since_ns;   /* when they last changed (0: as launched) */
	struct findings_config findings_cfg;
	bool paused;
	const char *export_dir;

	/* the status bar */
	bool export_prompt;          /* x was pressed: the next key picks the format */
	char message[320];           /* shown until message_until */
	bool message_error;
	int64_t message_until;
	char status_line[512];       /* as last composed: a change marks MODEL_STATUS */
	int forward_state;           /* the forwarder's, as last logged (enum forward_state; -1: none yet) */
	uint64_t forward_dropped;    /* its dropped spans, as last logged */

	struct logbook logbook;
	struct pgstat_table pgstat;     /* the server's clock per trace, from the workload's log (PostgreSQL) */
	struct failtab failures;        /* a failed request's cause per trace, from the log */
	struct clock_anchor log_anchor; /* this process's clock, for the log's times (a file's spans have their own) */
	int64_t note_at_unix_ns;        /* while a file is read into the log: its time for model_note (0: now) */

	/* the shown trace and what is derived from it */
	uint64_t shown_seq;          /* 0: none yet */
	bool follow;                 /* show each new trace as it completes */
	const struct trace *shown;   /* re-resolved every tick */
	uint64_t seen_changes;       /* store_changes() when received traces were last looked at */
	struct waterfall wf;
	struct wf_folds folds;
	size_t selected;             /* the selected waterfall row */
	struct attribution attr;
	struct findings findings;
	struct query_stat queries[MODEL_MAX_QUERIES];
	size_t nqueries;
	bool queries_window;         /* the query list shows the last minute, not the trace */

	/* figures over every completed trace: the last minute's, or every
	 * trace of a source read once (a file), where time stands still */
	bool whole_file;
	struct recent_stats window;
	struct recent_attribution window_attr;
	bool window_dirty;
	int64_t window_refreshed_ns;
	struct findings scratch;     /* findings of traces as they complete */
	struct {
		enum finding_kind kind;
		uint32_t fingerprint;
	} logged[MODEL_MAX_LOGGED_FINDINGS]; /* findings logged since the settings changed */
	size_t nlogged;
	struct measurement compare, sweep;
	struct measurement *measuring; /* the one the source is running, or NULL */
	/* From a measurement's start until the source's plan has stopped: its
	 * requests' own log lines are counted, not logged; one line sums it up. */
	struct measurement *quiet;
	uint64_t quieted;

	unsigned changed;            /* enum model_change bits */

	/* a long request, shown while it runs (model_estimate.c) */
	struct {
		bool shown;              /* it has run at least MODEL_IN_FLIGHT_SHOWN_NS */
		int64_t since_ns;
		uint32_t queries;        /* statements so far */
	} in_flight;
	struct {
		bool open;               /* c or s asked first: Enter starts it, any other key does not */
		enum measure_kind kind;
	} confirm;

	/* the query list and copying (model_queries.c) */
	struct {
		enum query_sort sort;    /* the column the list is sorted by (QUERY_SORT_TOTAL at start) */
		bool chosen;             /* Enter on a query: its spans highlighted in the waterfall */
		uint32_t fingerprint;    /* the chosen query */
		bool details;            /* the details pane shows the chosen query (until a span is selected) */
		bool copy_prompt;        /* y was pressed: the next key picks what to copy */
		char *clipboard;         /* an OSC 52 sequence for the shell to write (xmalloc'd), or NULL */
		size_t clipboard_len;
		bool held;               /* the details pane is read: the shown trace is held, not followed */
	} q;

	/* the waterfall's view (model_waterfall.c): zoom, critical path, legend */
	struct {
		/* zoom levels, offsets from the root's start: [from, to) shown */
		struct { int64_t from, to; } zoom[MODEL_ZOOM_DEPTH];
		size_t zoom_depth;       /* 0: the whole trace */
		bool critical;           /* C: the critical path highlighted */
		bool legend;             /* l: the bar colours explained */
		struct critpath critpath; /* of the shown trace, while critical is on */
		uint64_t critpath_seq;   /* the trace it was computed for */
	} view;

	/* the diff (model_diff.c): a marked trace (m) against the shown one (d),
	 * built once when asked, with its labels, so the view stands still while
	 * the lab runs on and the traces are evicted */
	struct {
		uint64_t marked_seq;     /* 0: none marked */
		uint64_t seq_a, seq_b;   /* what rows were built from: the marked, the shown */
		char title_a[192], title_b[192]; /* "trace 3 · naive · 20 users" */
		struct tracediff rows;
		char (*labels)[MODEL_DIFF_LABEL]; /* per row: the span's name as the waterfall shows it */
		uint32_t *fingerprints;  /* per row: a database span's fingerprint (source->names), or STRTAB_NONE */
		size_t labels_cap;
	} diff;

	/* ---- the trace list (model_traces.c) ---------------------------------
	 * A summary row per kept trace (the live lab appends one as each
	 * completes), sorted and filtered; the filter prompt and the filters
	 * applied while the program runs (Up/Down in the prompt). */
	struct {
		struct tracelist list;
		struct tracefilter filter;
		char filter_text[MODEL_FILTER_TEXT]; /* applied: "" for every trace */
		bool dirty;                          /* rows, order or filter changed: refresh the view */
		size_t cursor;                       /* the selected row of the view */
		bool prompt;                         /* \ was pressed: keys edit the text below */
		char edit[MODEL_FILTER_TEXT];
		size_t edit_len;
		char error[OBSLAB_ERROR_MAX];        /* why the last text was refused */
		char history[MODEL_FILTER_HISTORY][MODEL_FILTER_TEXT]; /* oldest first */
		size_t nhistory, history_at;         /* history_at == nhistory: the text being typed */
	} traces;
	/* `/` search (model_search.c): the shown trace's spans and the log */
	struct {
		bool prompt;                   /* the prompt is open: keys edit input */
		char input[SEARCH_QUERY_MAX];  /* what is typed so far */
		bool active;                   /* searched and found; Esc clears it (n is the lab's again) */
		struct search engine;          /* the query and its matches */
		uint64_t seq;                  /* the trace searched */
		uint64_t log_added;            /* the logbook as searched */
		uint32_t moves;                /* counts the current match shown: the log pane follows a change */
	} search;
};

/* model.c */
/* Binds the model to a started source and takes in what start learned. */
void model_init(struct model *m, struct source *src, const struct source_start *start,
                const struct findings_config *findings_cfg, const char *export_dir);
void model_free(struct model *m);
/* One tick: drain the source, follow the newest trace, refresh figures. */
void model_tick(struct model *m);
unsigned model_take_changes(struct model *m);

void model_show(struct model *m, uint64_t seq);   /* show trace seq */
void model_step(struct model *m, int dir);        /* the previous (-1) or next (+1) trace */
void model_live(struct model *m);                 /* the newest trace, followed from now on */
void model_select(struct model *m, size_t row);   /* a waterfall row, by the user */
/* Folds or unfolds the group at row, or the group a member at row is in,
 * and selects the group's row; false if row is no group or member. */
bool model_toggle_fold(struct model *m, size_t row);
void model_toggle_scope(struct model *m);         /* the query list: trace or last minute */
void model_set_prompt(struct model *m, bool on);  /* the export prompt in the status bar */
void model_note(struct model *m, enum log_level level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The forwarder (model_forward.c): a completed trace handed on, the status
 * bar's segment (" │ → collector: …"), the log's lines on a change (each tick). */
void model_forward_trace(struct model *m, const struct trace *t);
void model_forward_segment(const struct model *m, char *buf, size_t cap);
/* The segment spliced into a status line buf (cap bytes) before its last segment. */
void model_forward_status(const struct model *m, char *buf, size_t cap);
/* The segment's short form, for a narrow status bar ("→ retrying 4s",
 * "→ 1.2k sent · dropped 37"); "" without a forwarder. */
void model_forward_short(const struct model *m, char *buf, size_t cap);
/* The quit's line while the forwarder flushes, in at most width cells:
 * "sending N queued spans to URL… (q again to drop them)", the URL
 * shortened in its middle, else left out, before the keys give way. */
void model_forward_drain_line(size_t queued, const char *url, int width, char *buf, size_t cap);
void model_forward_tick(struct model *m);
void model_message(struct model *m, bool error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Forgets the status bar's message: a message is about the screen it was
 * made on, so the shell clears it when the screen changes. */
void model_message_clear(struct model *m);
/* The source's message for a key it does not honour. */
void model_refuse(struct model *m);

/* Read-only helpers for panes. */
void model_span_label(const struct model *m, const struct span_record *s, char *buf, size_t cap);
const struct wf_row *model_selected_row(const struct model *m);
/* The finding (of either kind) a waterfall row or query is part of. */
const struct finding *model_row_finding(const struct model *m, const struct wf_row *row, enum finding_kind kind);
const struct finding *model_query_finding(const struct model *m, uint32_t fingerprint, enum finding_kind kind);
/* Whether trace t, which ran under `ran` (findings_settings_of), ran under
 * other settings than the lab's current ones: it began before they last
 * changed, or its records say other settings. why (may be NULL) says how,
 * for a mark: "ran with index off", "ran while the settings changed". Always
 * false for a source without settings (an opened file). */
bool model_trace_stale(const struct model *m, const struct trace *t, const struct findings_settings *ran, char *why,
                       size_t cap);
/* The comparison's measured totals for the current settings, if fresh. */
bool model_measured(const struct model *m, int64_t *naive_ns, int64_t *optimized_ns);
/* The status bar's line: the prompt, a message, or the source's status. */
void model_status_line(const struct model *m, char *buf, size_t cap);
bool model_message_shown(const struct model *m);

/* model_lab.c: each changes the lab through the source and says so in the
 * log; call them only when the source offers the control (source_offers). */
void model_set_strategy(struct model *m, enum strategy s);
void model_toggle_strategy(struct model *m);
void model_step_users(struct model *m, int dir);
void model_next_rtt(struct model *m);
void model_toggle_index(struct model *m);
void model_next_pace(struct model *m);
void model_toggle_pause(struct model *m);
void model_measure(struct model *m, enum measure_kind which); /* start a comparison or sweep */
/* The one log line that sums up a measurement (model_tick calls it when the
 * source's plan has stopped). */
void model_log_measurement(struct model *m, const struct measurement *meas);
void model_cancel_measure(struct model *m);
/* Whether the source has stopped for good (the workload failed); if so, the
 * status bar says so and why, for a key that would change the lab. */
bool model_lab_stopped(struct model *m);
/* Takes the users and index the lab's database has, when another process
 * changed them: the settings the next traces run under. Any source. */
void model_follow_database(struct model *m);
/* Whether a measurement was made under other settings than the current ones. */
bool model_stale(const struct model *m, const struct measurement *meas);
/* model_estimate.c: long work is shown before and while it runs. */
#define MODEL_IN_FLIGHT_SHOWN_NS (1000 * 1000 * 1000LL) /* a request shown in flight after 1 s */
#define MODEL_CONFIRM_NS (60 * 1000 * 1000 * 1000LL)   /* c or s asks first above a minute */
/* The request in flight, from the source: once a tick. */
void model_track_in_flight(struct model *m);
/* c or s: starts the measurement (false), or, when it would take long (or
 * cannot be told at a large scale), says how long in the status bar and the
 * log and waits for model_answer_measure (true). */
bool model_ask_measure(struct model *m, enum measure_kind which);
/* The status bar's line while the question is open. */
void model_confirm_line(const struct model *m, char *buf, size_t cap);
/* The answer: yes starts it; no says it was not started. */
void model_answer_measure(struct model *m, bool yes);
/* "38.2 s", "4 min 20 s", "2 h 10 min" */
void model_format_long(char *buf, size_t cap, int64_t ns);
/* What a request that ran as t (its root's strategy and users) would take at
 * n users, scaled part by part: network and application per query, database
 * per query fixed plus a scan part that grows with the table (see
 * model_estimate.c for the model and how close it came to real runs). */
int64_t model_scale_request(const struct trace *t, uint32_t n);
/* The database's cost of one row stepped in a full scan, for that model. */
#define MODEL_SCAN_STEP_NS 40.0

/* model_queries.c: the query list's sort, the query chosen with Enter, copying. */
void model_sort_queries(struct model *m);             /* m->queries by m->q.sort (refresh_queries calls it) */
void model_step_query_sort(struct model *m, int dir); /* the previous (-1) or next (+1) column */
const char *model_query_sort_name(enum query_sort sort);
/* Enter on query `index` of the list: its spans highlighted in the
 * waterfall (the first selected), its whole SQL in the details pane; Enter
 * on the chosen one again clears it. */
void model_choose_query(struct model *m, size_t index);
/* Whether a waterfall row is (or folds) a span of the chosen query. */
bool model_row_highlighted(const struct model *m, const struct wf_row *row);
/* The text `y s` copies for a span: its fingerprint (a lab span), or the
 * db.query.text the file gave (a foreign one); NULL for a span without SQL. */
const char *model_span_sql(const struct model *m, const struct span_record *s);
void model_set_copy_prompt(struct model *m, bool on);
/* y then s (SQL), i (span id), t (trace id): the OSC 52 sequence is kept
 * for the shell (model_take_clipboard); the status bar says what was copied,
 * or why nothing was. */
void model_copy(struct model *m, int what);
/* The pending sequence (the caller frees it), or NULL. */
char *model_take_clipboard(struct model *m, size_t *len);
/* The details pane took (true) or left (false) the focus: a live source's
 * shown trace is held while it is read, and followed again after. */
void model_hold_for_details(struct model *m, bool on);

/* model_waterfall.c: the waterfall's view. Zoom and pan change only what
 * is drawn (a time range), never the rows; fold all and unfold all go
 * through the folds, as Enter does. */
void model_zoom_in(struct model *m);     /* z: into the selected row's time range */
void model_zoom_out(struct model *m);    /* Z: one level back */
void model_pan(struct model *m, int dir); /* , and .: a quarter of the range left (-1) or right (+1) */
/* The time range drawn, as offsets from the root's start (the whole trace
 * when not zoomed), within the shown trace. */
void model_view_range(const struct model *m, int64_t *from, int64_t *to);
/* S: selects the slowest span, the longest that is not the root (its
 * group unfolded if it is folded away). */
void model_select_slowest(struct model *m);
/* Selects span's row, unfolding the folded groups that hide it (S, n, N). */
void model_reveal_span(struct model *m, uint32_t span);
void model_toggle_critical(struct model *m);  /* C */
void model_toggle_legend(struct model *m);    /* l */
void model_fold_all(struct model *m, bool fold); /* F (true), A (false) */
/* Whether a row's span (a group: any member) is on the critical path shown. */
bool model_row_critical(const struct model *m, const struct wf_row *row);
/* After the shown trace changed (model_show): the critical path again. */
void model_view_refresh(struct model *m);
/* model.c: the rows again after the folds changed; the selection stays within them. */
void model_relayout(struct model *m);

/* model_diff.c: m marks the shown trace; d diffs the marked trace (A)
 * against the shown one (B). model_diff_build says why not in the status
 * bar and returns false when nothing is marked, the marked trace is the one
 * shown or no longer kept, or nothing is shown. */
void model_mark(struct model *m);
bool model_diff_build(struct model *m);
/* " │ marked: trace N" for the status bar, or "" */
void model_diff_status(const struct model *m, char *buf, size_t cap);
/* After the diff's screen opened (which cleared the message): what is
 * compared, "diff: trace 3 (naive, 12.3ms) vs trace 9 (optimized, 1.20ms)". */
void model_diff_announce(struct model *m);
void model_diff_free(struct model *m);

/* model_traces.c: the trace list. */
void model_traces_init(struct model *m);
void model_traces_free(struct model *m);
/* A trace completed or was read (f: its findings, may be NULL). */
void model_traces_add(struct model *m, const struct trace *t, const struct findings *f);
/* Once a tick: drops evicted traces' rows, refreshes the view if needed. */
void model_traces_tick(struct model *m);
/* Received traces changed in place since the last call (store.h): their
 * rows again; true if the shown trace is among them. */
bool model_traces_received(struct model *m);
/* The shown trace again after it changed in place: the selection stays on
 * its span. */
void model_show_again(struct model *m);
void model_traces_sort_step(struct model *m, int dir);     /* < (-1) and > (+1): the sort column */
void model_traces_move(struct model *m, size_t cursor);    /* the selected row */
/* Shows the selected row's trace (history: no longer following); false if none. */
bool model_traces_open(struct model *m);
/* The filter prompt: opened with \, typed into, applied or closed. */
void model_traces_prompt(struct model *m, bool open);
void model_traces_prompt_char(struct model *m, char c);    /* typed at the end */
void model_traces_prompt_erase(struct model *m);          /* Backspace */
void model_traces_prompt_erase_word(struct model *m);     /* Ctrl-W */
void model_traces_prompt_clear(struct model *m);          /* Ctrl-U */
/* Pasted text at the end (lineedit.h: controls become spaces or go); false if it did not fit whole:
 * then nothing was taken, and the prompt says the limit. */
bool model_traces_prompt_paste(struct model *m, const char *text, size_t len, size_t more);
void model_traces_prompt_history(struct model *m, int dir); /* Up (-1) / Down (+1): an earlier or later filter */
/* Applies the typed text: true if it parsed (the prompt closes), else the
 * error stays under the prompt. */
bool model_traces_apply(struct model *m);
/* model_search.c: `/`, n, N; the search follows the shown trace and the log. */
void model_search_open(struct model *m);            /* the prompt, holding the active search's query */
/* A key while the prompt is open: edit (Backspace, Ctrl-W a word, Ctrl-U
 * the line), Enter, Esc. */
void model_search_key(struct model *m, int key);
/* Pasted text at the end of the prompt (lineedit.h); false if it did not
 * fit whole: then nothing was taken, and the status bar says the limit. */
bool model_search_paste(struct model *m, const char *text, size_t len, size_t more);
void model_search_step(struct model *m, int dir);    /* the next (+1) or previous (-1) match, wrapping */
void model_search_clear(struct model *m);
bool model_search_active(const struct model *m);
/* Searches again when the shown trace or the log changed (model_show, model_tick). */
void model_search_refresh(struct model *m);
/* The current match, or NULL. */
const struct search_match *model_search_current(const struct model *m);
/* Where span i of the shown trace matched (enum search_field bits; 0: not, or no search). */
unsigned model_search_span(const struct model *m, size_t span);
/* The status bar's segment: "/cart 3 of 17 spans" ("3 of 18 (17 spans, 1
 * log line)" when the log matched too), or the prompt. */
void model_search_line(const struct model *m, char *buf, size_t cap);
/* What the open prompt shows after its text: a message made while it is
 * open (a key or paste refused at the limit), else its keys. */
void model_search_prompt_after(const struct model *m, char *buf, size_t cap);

/* Writes the store as a snapshot file in export_dir; says how it went. */
void model_export(struct model *m, enum snapshot_format format);

#endif
