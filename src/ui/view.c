/* The shown trace, and the figures derived from every completed trace. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "draw.h"
#include "obslab/attrs.h"
#include "obslab/log.h"
#include "obslab/ring.h"
#include "obslab/store.h"
#include "obslab/strtab.h"

#define RATE_WINDOW_NS CLOCK_NS_PER_S
#define WINDOW_REFRESH_NS (CLOCK_NS_PER_S / 2)

void app_span_label(const struct app *app, const struct span_record *s, char *buf, size_t cap)
{
	span_display_name(s, app->lab.names, buf, cap);
}

const struct wf_row *app_selected_row(const struct app *app)
{
	size_t r = app->panes[PANE_WATERFALL].cursor;
	return app->shown && r < app->wf.nrows ? &app->wf.rows[r] : NULL;
}

const struct finding *app_row_finding(const struct app *app, const struct wf_row *row, enum finding_kind kind)
{
	return row ? findings_for_span(&app->findings, kind, row->span) : NULL;
}

const struct finding *app_query_finding(const struct app *app, uint32_t fingerprint, enum finding_kind kind)
{
	return findings_for_fingerprint(&app->findings, kind, fingerprint);
}

void app_finding_tag(const struct finding *n1, const struct finding *scan, char *buf, size_t cap)
{
	if (!n1 && !scan)
		snprintf(buf, cap, "%s", "");
	else
		snprintf(buf, cap, "%s%s%s%s", draw_glyphs()->warn, n1 ? "N+1" : "", n1 && scan ? " " : "",
		         scan ? "scan" : "");
}

bool app_measured(const struct app *app, int64_t *naive_ns, int64_t *optimized_ns)
{
	const struct measurement *m = &app->compare;
	if (!m->started || control_stale(app, m))
		return false;
	struct comparison_row rows[COMPARISON_MAX_CELLS];
	size_t n = comparison_rows(&m->results, rows, COMPARISON_MAX_CELLS);
	*naive_ns = *optimized_ns = 0;
	for (size_t i = 0; i < n; i++) {
		if (rows[i].strategy == STRATEGY_NAIVE)
			*naive_ns = rows[i].median_total_ns;
		else if (rows[i].strategy == STRATEGY_OPTIMIZED)
			*optimized_ns = rows[i].median_total_ns;
	}
	return *naive_ns > 0 && *optimized_ns > 0;
}

static void mark_trace_panes(struct app *app)
{
	app_mark(app, PANE_WATERFALL);
	app_mark(app, PANE_DETAILS);
	app_mark(app, PANE_ATTRIBUTION);
	app_mark(app, PANE_QUERIES);
}

void view_relayout(struct app *app)
{
	waterfall_build(&app->wf, app->shown, &app->folds);
	pane_follow_cursor(&app->panes[PANE_WATERFALL], app->wf.nrows, pane_waterfall_rows(&app->panes[PANE_WATERFALL]));
	mark_trace_panes(app);
}

static void refresh_queries(struct app *app)
{
	size_t n = app->queries_window
	                   ? recent_query_stats(&app->window, clock_now_ns(), app->queries, APP_MAX_QUERIES)
	                   : analysis_query_stats(app->shown, app->queries, APP_MAX_QUERIES);
	app->nqueries = n < APP_MAX_QUERIES ? n : APP_MAX_QUERIES;
	pane_follow_cursor(&app->panes[PANE_QUERIES], app->nqueries, 1000);
	app_mark(app, PANE_QUERIES);
}

/* Everything derived from the shown trace is computed here, once. */
void view_show(struct app *app, uint64_t seq)
{
	app->shown_seq = seq;
	app->shown = store_find(app->lab.store, seq);
	app->attr = analysis_attribution(app->shown);
	findings_detect(&app->findings, app->shown, &app->findings_cfg, app->lab.names);
	refresh_queries(app);
	view_relayout(app);
}

void view_step(struct app *app, int dir)
{
	if (!app->shown_seq)
		return;
	const struct trace *t = store_find(app->lab.store, dir < 0 ? app->shown_seq - 1 : app->shown_seq + 1);
	if (!t)
		return;
	app->follow = t == store_latest(app->lab.store);
	view_show(app, t->seq);
	app_mark(app, PANE_STATUS);
}

void view_note(struct app *app, enum log_level level, const char *fmt, ...)
{
	char text[LOGBOOK_TEXT];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	logbook_add(&app->log, level, clock_now_ns(), text);
	app_mark(app, PANE_LOG);
}

static void take_log(void *ctx, const struct log_record *rec)
{
	struct app *app = ctx;
	logbook_add_record(&app->log, rec, app->lab.names);
	app_mark(app, PANE_LOG);
}

/* One log line per finding per change of settings. */
static void log_findings(struct app *app, const struct trace *t)
{
	findings_detect(&app->scratch, t, &app->findings_cfg, app->lab.names);
	for (size_t i = 0; i < app->scratch.n; i++) {
		const struct finding *f = &app->scratch.item[i];
		bool seen = false;
		for (size_t k = 0; k < app->nlogged && !seen; k++)
			seen = app->logged[k].kind == f->kind && app->logged[k].fingerprint == f->fingerprint;
		if (seen || app->nlogged == APP_MAX_LOGGED_FINDINGS)
			continue;
		app->logged[app->nlogged].kind = f->kind;
		app->logged[app->nlogged++].fingerprint = f->fingerprint;
		char label[96], cost[16], saving[16];
		span_display_name(&t->spans[app->scratch.evidence[f->evidence]], app->lab.names, label, sizeof label);
		draw_duration(cost, sizeof cost, f->cost_ns);
		draw_duration(saving, sizeof saving, f->saving_ns);
		if (f->kind == FINDING_N_PLUS_ONE)
			view_note(app, LOG_WARN, "finding: N+1, %u x %s cost %s; one query saves ~%s", f->count, label,
			          cost, saving);
		else
			view_note(app, LOG_WARN, "finding: full scan in a loop, %u x %s; index %s saves up to %s",
			          f->count, label, f->index_hint, saving);
	}
}

/* The store calls this with every trace as it completes. */
static void on_trace(void *ctx, const struct trace *t)
{
	struct app *app = ctx;
	const struct span_record *root = &t->spans[0];
	if (root->flags & SPAN_F_MEASURED) {
		if (app->measuring)
			comparison_add(&app->measuring->results, t);
		return; /* measurements stay out of the live figures */
	}
	recent_add(&app->window, t, clock_now_ns());
	app->window_dirty = true;
	log_findings(app, t);
}

void view_init(struct app *app)
{
	app->follow = true;
	app->rate_since_ns = clock_now_ns();
	logbook_init(&app->log);
	waterfall_init(&app->wf);
	findings_init(&app->findings);
	findings_init(&app->scratch);
	recent_init(&app->window, clock_now_ns());
	comparison_init(&app->compare.results);
	comparison_init(&app->sweep.results);
	store_set_observer(app->lab.store, on_trace, app);
}

void view_free(struct app *app)
{
	waterfall_free(&app->wf);
	findings_free(&app->findings);
	findings_free(&app->scratch);
	comparison_clear(&app->compare.results);
	comparison_clear(&app->sweep.results);
}

static void refresh_rates(struct app *app, int64_t now)
{
	if (app->lab.workload && now - app->rate_since_ns >= RATE_WINDOW_NS) {
		uint64_t requests = workload_requests(app->lab.workload);
		app->requests_per_s = (double)(requests - app->rate_requests) * 1e9 / (double)(now - app->rate_since_ns);
		app->rate_requests = requests;
		app->rate_since_ns = now;
	}
	if (app->window_dirty && now - app->window_refreshed_ns >= WINDOW_REFRESH_NS) {
		app->window_dirty = false;
		app->window_refreshed_ns = now;
		app->window_attr = recent_attribution(&app->window, now);
		app_mark(app, PANE_ATTRIBUTION);
		if (app->queries_window)
			refresh_queries(app);
	}
}

/* One tick: take in what the workload produced, follow the newest trace,
 * refresh the figures; mark what changed. Nothing is drawn here. */
void view_tick(struct app *app)
{
	/* Read before the drain: a plan that has ended has also pushed its last trace. */
	bool measuring = false;
	if (app->measuring) {
		uint32_t done, total;
		workload_plan_progress(app->lab.workload, &done, &total, &measuring);
		app_mark(app, app->measuring == &app->compare ? PANE_COMPARE : PANE_SWEEP);
	}
	session_drain(&app->lab, take_log, app);
	if (!measuring)
		app->measuring = NULL;

	/* Paused, the view holds still, even for a request cut short by the pause. */
	const struct trace *latest = store_latest(app->lab.store);
	if (app->follow && !app->paused && latest && latest->seq != app->shown_seq) {
		view_show(app, latest->seq);
	} else if (app->shown_seq) {
		app->shown = store_find(app->lab.store, app->shown_seq);
		if (!app->shown) /* evicted while browsing history: the oldest kept */
			view_show(app, store_trace_count(app->lab.store) ? store_trace(app->lab.store, 0)->seq : 0);
	}
	int64_t now = clock_now_ns();
	refresh_rates(app, now);

	char status[sizeof app->status_line];
	pane_status_compose(app, status, sizeof status);
	if (strcmp(status, app->status_line) != 0) {
		memcpy(app->status_line, status, sizeof status);
		app_mark(app, PANE_STATUS);
	}
	if (app->message[0] && now >= app->message_until) {
		app->message[0] = '\0';
		app_mark(app, PANE_STATUS);
	}
	if (!app->lab.workload)
		return; /* a snapshot: nothing runs */
	enum workload_phase phase = workload_phase(app->lab.workload);
	if (phase != app->last_phase && phase == WORKLOAD_FAILED)
		view_note(app, LOG_ERROR, "the workload stopped: %s", workload_error(app->lab.workload));
	app->last_phase = phase;
}
