/*
 * model — the shown trace and what is derived from it, the figures over
 * every completed trace, the logbook and the status bar's message; the tick
 * that takes in what the source produced (see model.h). Everything derived
 * from a trace is computed here once, when it is shown, never per frame.
 */
#include "model.h"

#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "keys.h"
#include "obslab/attrs.h"
#include "obslab/clock.h"
#include "obslab/httpinfo.h"
#include "obslab/store.h"
#include "obslab/strtab.h"

#define WINDOW_REFRESH_NS (CLOCK_NS_PER_S / 2)
#define MESSAGE_NS (6 * CLOCK_NS_PER_S)
#define QUIET_AFTER_CANCEL_NS (5 * CLOCK_NS_PER_S) /* a plan that never reports its end */

/* ---- read-only helpers -------------------------------------------------- */

void model_span_label(const struct model *m, const struct span_record *s, char *buf, size_t cap)
{
	span_display_name_in(m->shown ? m->shown->otel : NULL, s, m->source->names, buf, cap);
}

const struct wf_row *model_selected_row(const struct model *m)
{
	return m->shown && m->selected < m->wf.nrows ? &m->wf.rows[m->selected] : NULL;
}

const struct finding *model_row_finding(const struct model *m, const struct wf_row *row, enum finding_kind kind)
{
	return row ? findings_for_span(&m->findings, kind, row->span) : NULL;
}

const struct finding *model_query_finding(const struct model *m, uint32_t fingerprint, enum finding_kind kind)
{
	return findings_for_fingerprint(&m->findings, kind, fingerprint);
}

bool model_measured(const struct model *m, int64_t *naive_ns, int64_t *optimized_ns)
{
	const struct measurement *meas = &m->compare;
	if (!meas->started || model_stale(m, meas))
		return false;
	struct comparison_row rows[COMPARISON_MAX_CELLS];
	size_t n = comparison_rows(&meas->results, rows, COMPARISON_MAX_CELLS);
	*naive_ns = *optimized_ns = 0;
	for (size_t i = 0; i < n; i++) {
		if (rows[i].strategy == STRATEGY_NAIVE)
			*naive_ns = rows[i].median_total_ns;
		else if (rows[i].strategy == STRATEGY_OPTIMIZED)
			*optimized_ns = rows[i].median_total_ns;
	}
	return *naive_ns > 0 && *optimized_ns > 0;
}

bool model_trace_stale(const struct model *m, const struct trace *t, const struct findings_settings *ran, char *why,
                       size_t cap)
{
	char local[8];
	if (!why || cap == 0) {
		why = local;
		cap = sizeof local;
	}
	why[0] = '\0';
	if (!t || t->nspans == 0 || !source_offers(m->source, CONTROL_SETTINGS))
		return false;
	if (t->http) /* a served request ran as its caller asked, not as the lab is set */
		return false;
	struct findings_settings now = {
		.strategy = (uint8_t)m->settings.strategy,
		.users = m->settings.users,
		.index = m->settings.index,
		.has_rtt = true,
		.rtt_us = m->settings.rtt_us,
	};
	char what[128];
	if (findings_settings_differ(ran, &now, what, sizeof what)) {
		snprintf(why, cap, "ran with %s", what);
		return true;
	}
	if (t->spans[0].start_ns < m->settings_since_ns) {
		snprintf(why, cap, "ran while the settings changed");
		return true;
	}
	return false;
}

bool model_message_shown(const struct model *m)
{
	return m->message[0] && clock_now_ns() < m->message_until;
}

void model_status_line(const struct model *m, char *buf, size_t cap)
{
	const struct glyphs *g = draw_glyphs();
	bool status = false; /* the source's line, not a prompt or message: the search's segment follows */
	bool choices = m->confirm.open || m->q.copy_prompt || m->export_prompt; /* a prompt's keys: the whole line */
	if (m->search.prompt) {
		model_search_line(m, buf, cap); /* the prompt is the whole line, over any message */
		return;
	} else if (m->confirm.open)
		model_confirm_line(m, buf, cap);
	else if (m->q.copy_prompt)
		snprintf(buf, cap, " copy to the clipboard (OSC 52):  s the SQL  %s  i the span id  %s  t the trace id  %s  Esc cancels",
		         g->dot, g->dot, g->dot);
	else if (m->export_prompt)
		snprintf(buf, cap, " export a snapshot as:  n native  %s  o OTLP/JSON  %s  c Chrome (Perfetto)  %s  Esc cancels",
		         g->dot, g->dot, g->dot);
	else if (model_message_shown(m))
		snprintf(buf, cap, " %s", m->message);
	else {
		m->source->ops->status(m->source, m, buf, cap);
		status = true;
	}
	char marked[64]; /* the diff's mark stays in sight (model_diff.c), but for a prompt's choices */
	model_diff_status(m, marked, sizeof marked);
	if (choices)
		marked[0] = '\0';
	size_t len = strlen(buf);
	if (marked[0] && len < cap)
		snprintf(buf + len, cap - len, "%s", marked);
	if (status && m->source->forward) /* "→ collector: connected · 1.2k sent" */
		model_forward_status(m, buf, cap);
	if (status) {
		char found[SEARCH_QUERY_MAX + 64]; /* "/cart 3 of 17", the last segment while a search is active */
		model_search_line(m, found, sizeof found);
		size_t used = strlen(buf);
		if (found[0] && used < cap)
			snprintf(buf + used, cap - used, " %s %s", g->sep, found);
	}
}

unsigned model_take_changes(struct model *m)
{
	unsigned changed = m->changed;
	m->changed = 0;
	return changed;
}

/* ---- the shown trace ---------------------------------------------------- */

/* The rows again, after the trace or a fold changed; the selection stays
 * within them. */
static void relayout(struct model *m)
{
	waterfall_build(&m->wf, m->shown, &m->folds);
	if (m->wf.nrows == 0)
		m->selected = 0;
	else if (m->selected >= m->wf.nrows)
		m->selected = m->wf.nrows - 1;
	m->changed |= MODEL_TRACE;
}

/* The window's clock: a file's stands still (every trace is in it). */
static int64_t window_now(const struct model *m)
{
	return m->whole_file ? 0 : clock_now_ns();
}

static void refresh_queries(struct model *m)
{
	size_t n = m->queries_window
	                   ? recent_query_stats(&m->window, window_now(m), m->queries, MODEL_MAX_QUERIES)
	                   : analysis_query_stats(m->shown, m->queries, MODEL_MAX_QUERIES);
	m->nqueries = n < MODEL_MAX_QUERIES ? n : MODEL_MAX_QUERIES;
	model_sort_queries(m);
	m->changed |= MODEL_QUERIES;
}

void model_show(struct model *m, uint64_t seq)
{
	if (seq != m->shown_seq)
		m->view.zoom_depth = 0; /* a zoom (and its pan) was into the trace left: another is shown whole, quietly */
	m->shown_seq = seq;
	m->shown = store_find(m->source->store, seq);
	m->attr = analysis_attribution(m->shown);
	findings_detect(&m->findings, m->shown, &m->findings_cfg, m->source->names);
	refresh_queries(m);
	relayout(m);
	model_view_refresh(m);
	model_search_refresh(m); /* the search follows the shown trace */
}

void model_relayout(struct model *m)
{
	relayout(m);
}

void model_step(struct model *m, int dir)
{
	if (!m->shown_seq)
		return;
	struct store *store = m->source->store;
	const struct trace *t = store_find(store, dir < 0 ? m->shown_seq - 1 : m->shown_seq + 1);
	if (!t) { /* [ or ] that moved nothing says why */
		if (dir > 0)
			model_message(m, false, m->whole_file ? "this is the last trace" : "this is the newest trace");
		else if (m->shown_seq > 1)
			model_message(m, false, "this is the oldest trace kept");
		else
			model_message(m, false, "this is the first trace");
		m->changed |= MODEL_STATUS;
		return;
	}
	m->follow = t == store_latest(store);
	m->q.held = false; /* the user chose the trace: nothing to give back */
	model_show(m, t->seq);
	m->changed |= MODEL_STATUS;
}

void model_live(struct model *m)
{
	const struct trace *latest = store_latest(m->source->store);
	m->follow = true;
	m->q.held = false;
	if (latest && latest->seq != m->shown_seq)
		model_show(m, latest->seq);
	m->changed |= MODEL_STATUS;
}

void model_select(struct model *m, size_t row)
{
	m->selected = m->wf.nrows && row >= m->wf.nrows ? m->wf.nrows - 1 : row;
	m->q.details = false; /* a span chosen: the details pane shows it, not the query */
	m->changed |= MODEL_SELECTION;
}

bool model_toggle_fold(struct model *m, size_t row)
{
	if (!m->shown || row >= m->wf.nrows)
		return false;
	/* On a member of an expanded group, fold that group: members are the
	 * run of rows one level below the group row that precedes them. */
	const struct wf_row *rows = m->wf.rows;
	size_t g = row;
	if (rows[row].kind != WF_ROW_GROUP) {
		uint16_t depth = rows[row].depth;
		while (g > 0 && rows[g - 1].kind == WF_ROW_SPAN && rows[g - 1].depth == depth)
			g--;
		if (g == 0 || rows[g - 1].kind != WF_ROW_GROUP || rows[g - 1].depth + 1 != depth)
			return false;
		g--;
	}
	uint32_t name = m->shown->spans[rows[g].span].name;
	wf_folds_set(&m->folds, name, rows[g].expanded ? WF_FOLD_CLOSED : WF_FOLD_OPEN);
	m->selected = g;
	relayout(m);
	m->changed |= MODEL_SELECTION;
	return true;
}

void model_toggle_scope(struct model *m)
{
	m->queries_window = !m->queries_window;
	model_show(m, m->shown_seq);
}

/* ---- the log and the status bar ----------------------------------------- */

void model_note(struct model *m, enum log_level level, const char *fmt, ...)
{
	char text[LOGBOOK_TEXT];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	/* The log's clock is this process's; a file's time is put on it. */
	int64_t at = m->note_at_unix_ns ? m->note_at_unix_ns - m->log_anchor.unix_ns + m->log_anchor.mono_ns
	                                : clock_now_ns();
	logbook_add(&m->logbook, level, at, text);
	m->changed |= MODEL_LOG;
}

void model_message(struct model *m, bool error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m->message, sizeof m->message, fmt, ap);
	va_end(ap);
	m->message_error = error;
	m->message_until = clock_now_ns() + MESSAGE_NS;
	m->changed |= MODEL_STATUS;
}

void model_message_clear(struct model *m)
{
	if (!m->message[0])
		return;
	m->message[0] = '\0';
	m->message_until = 0;
	m->changed |= MODEL_STATUS;
}

void model_refuse(struct model *m)
{
	char why[sizeof m->message] = "the current source does not offer this key";
	if (m->source->ops->refusal)
		m->source->ops->refusal(m->source, why, sizeof why);
	model_message(m, false, "%s", why);
}

void model_set_prompt(struct model *m, bool on)
{
	m->export_prompt = on;
	m->changed |= MODEL_STATUS;
}

/* ---- what the source produces ------------------------------------------- */

/* A record about one request: it names the request's trace. */
static bool about_a_request(const struct log_record *rec)
{
	for (uint32_t i = 0; i < rec->nfields && i < LOG_MAX_FIELDS; i++)
		if (rec->fields[i].key && strcmp(rec->fields[i].key, "trace_id") == 0)
			return true;
	return false;
}

static void sink_log(void *ctx, const struct log_record *rec)
{
	struct model *m = ctx;
	/* A request's server clock is kept for the attribution pane (its
	 * trace's line), not logged: a figure per request would end the
	 * logbook's "×N" of the requests' own lines. */
	if (pgstat_table_note(&m->pgstat, rec) && m->pgstat.clock != PGSTAT_NOT_LOADED)
		return;
	(void)failtab_note(&m->failures, rec); /* kept for the details pane; logged too */
	if (m->quiet && about_a_request(rec)) { /* a measured request: summed up at the end */
		m->quieted++;
		return;
	}
	logbook_add_record(&m->logbook, rec, m->source->names);
	m->changed |= MODEL_LOG;
}

static void sink_note(void *ctx, enum log_level level, const char *text)
{
	model_note(ctx, level, "%s", text);
}

/* One log line per finding per change of settings, naming the settings of
 * its trace. A trace that ran under other settings than the current ones
 * (it ended after a change) is old news: its findings are not logged. A
 * received trace is a request of its own application, under no settings of
 * the lab's: each one's findings are logged (the same line again only
 * counts up, "×4": logbook.h). */
static void log_findings(struct model *m, const struct trace *t)
{
	const struct strtab *names = m->source->names;
	findings_detect(&m->scratch, t, &m->findings_cfg, names);
	if (m->scratch.n == 0 || model_trace_stale(m, t, &m->scratch.settings, NULL, 0))
		return;
	char ran[128];
	findings_settings_text(&m->scratch.settings, ran, sizeof ran);
	bool received = !m->whole_file && store_find_received(m->source->store, t->trace_id) == t;
	for (size_t i = 0; i < m->scratch.n; i++) {
		const struct finding *f = &m->scratch.item[i];
		bool seen = false;
		for (size_t k = 0; k < m->nlogged && !seen && !received; k++)
			seen = m->logged[k].kind == f->kind && m->logged[k].fingerprint == f->fingerprint;
		if (seen || (!received && m->nlogged == MODEL_MAX_LOGGED_FINDINGS))
			continue;
		if (!received) {
			m->logged[m->nlogged].kind = f->kind;
			m->logged[m->nlogged++].fingerprint = f->fingerprint;
		}
		char label[96], cost[16], saving[16];
		span_display_name_in(t->otel, &t->spans[m->scratch.evidence[f->evidence]], names, label, sizeof label);
		draw_duration(cost, sizeof cost, f->cost_ns);
		draw_duration(saving, sizeof saving, f->saving_ns);
		if (f->kind == FINDING_N_PLUS_ONE)
			model_note(m, LOG_WARN, "finding: N+1, %u x %s cost %s; one query saves ~%s (%s)", f->count, label,
			           cost, saving, ran);
		else
			model_note(m, LOG_WARN, "finding: full scan in a loop, %u x %s; index %s saves up to %s (%s)",
			           f->count, label, f->index_hint, saving, ran);
	}
}

/* The store calls this with every trace as it completes. */
static void on_trace(void *ctx, const struct trace *t)
{
	struct model *m = ctx;
	const struct span_record *root = &t->spans[0];
	/* the lab's and the served: on to the collector (a received trace went
	 * on as the batches it came in, from the receiver) */
	if (store_find_received(m->source->store, t->trace_id) != t)
		model_forward_trace(m, t);
	if (root->flags & SPAN_F_MEASURED) {
		if (m->measuring)
			comparison_add(&m->measuring->results, t);
		findings_detect(&m->scratch, t, &m->findings_cfg, m->source->names);
		model_traces_add(m, t, &m->scratch); /* the trace list has every trace */
		return; /* measurements stay out of the live figures */
	}
	recent_add(&m->window, t, clock_now_ns());
	m->window_dirty = true;
	log_findings(m, t);
	model_traces_add(m, t, &m->scratch); /* log_findings detected its findings */
}

/* "strategy=naive users=100 index=false": the obslab.* attributes of a
 * root span, which say what the request ran under. */
static void run_settings(const struct model *m, const struct span_record *root, char *buf, size_t cap)
{
	struct attr attrs[ATTRS_MAX];
	size_t n = span_attributes(root, m->source->names, attrs, NULL), used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < cap; i++) {
		const struct attr *a = &attrs[i];
		if (strncmp(a->key, "obslab.", 7) != 0)
			continue;
		int k;
		if (a->type == ATTR_STRING)
			k = snprintf(buf + used, cap - used, "%s%s=%s", used ? " " : "", a->key + 7, attr_string(a));
		else if (a->type == ATTR_BOOL)
			k = snprintf(buf + used, cap - used, "%s%s=%s", used ? " " : "", a->key + 7, a->i ? "true" : "false");
		else
			k = snprintf(buf + used, cap - used, "%s%s=%lld", used ? " " : "", a->key + 7, (long long)a->i);
		used += k > 0 ? (size_t)k : 0;
	}
}

/* A source read once (a file): its figures cover every trace it holds, and
 * its log tells what the file holds at the file's own times, a line where
 * the settings its traces ran under change and a line per finding. */
static void take_whole_store(struct model *m)
{
	const struct source *src = m->source;
	m->whole_file = true;
	recent_init(&m->window, 0);
	char last[256] = "", now[256];
	for (size_t i = 0; i < store_trace_count(src->store); i++) {
		const struct trace *t = store_trace(src->store, i);
		if (t->nspans == 0)
			continue;
		recent_add(&m->window, t, 0);
		run_settings(m, &t->spans[0], now, sizeof now);
		m->note_at_unix_ns = clock_to_unix_ns(&src->anchor, t->spans[0].start_ns);
		/* Someone else's trace ran under no lab settings: nothing to say. */
		bool foreign = t->spans[0].flags & (SPAN_F_FOREIGN | SPAN_F_PLACEHOLDER);
		/* A served /health, / or error ran no strategy either. */
		foreign = foreign || (t->http && !http_info_ran_lab(t->http));
		if (!foreign && (i == 0 || strcmp(now, last) != 0)) {
			memcpy(last, now, sizeof last);
			m->nlogged = 0;
			model_note(m, LOG_INFO, "trace #%llu ran under: %s", (unsigned long long)t->seq,
			           now[0] ? now : "(no settings recorded)");
		}
		m->note_at_unix_ns = clock_to_unix_ns(&src->anchor, t->spans[0].end_ns);
		log_findings(m, t);
		model_traces_add(m, t, &m->scratch);
	}
	m->note_at_unix_ns = 0;
	m->window_attr = recent_attribution(&m->window, 0);
	m->changed |= MODEL_WINDOW;
}

void model_init(struct model *m, struct source *src, const struct source_start *start,
                const struct findings_config *findings_cfg, const char *export_dir)
{
	memset(m, 0, sizeof *m);
	m->source = src;
	m->settings = start->settings;
	m->engine = start->engine;
	m->has_database = start->has_database;
	m->database = start->database;
	m->findings_cfg = *findings_cfg;
	m->export_dir = export_dir;
	m->follow = true;
	m->q.sort = QUERY_SORT_TOTAL; /* most total time first, as the list always began */
	logbook_init(&m->logbook);
	m->log_anchor = clock_anchor();
	waterfall_init(&m->wf);
	findings_init(&m->findings);
	findings_init(&m->scratch);
	recent_init(&m->window, clock_now_ns());
	comparison_init(&m->compare.results);
	comparison_init(&m->sweep.results);
	model_traces_init(m);
	m->forward_state = -1;
	store_set_observer(src->store, on_trace, m);
	if (start->show_seq && store_find(src->store, start->show_seq)) {
		m->follow = false;
		model_show(m, start->show_seq);
	}
	if (src->ops->reads_only)
		take_whole_store(m);
	if (start->note[0])
		model_note(m, LOG_INFO, "%s", start->note);
}

void model_free(struct model *m)
{
	if (m->source && m->source->store)
		store_set_observer(m->source->store, NULL, NULL);
	free(model_take_clipboard(m, &(size_t){ 0 }));
	waterfall_free(&m->wf);
	critpath_free(&m->view.critpath);
	findings_free(&m->findings);
	search_free(&m->search.engine);
	findings_free(&m->scratch);
	model_traces_free(m);
	comparison_clear(&m->compare.results);
	comparison_clear(&m->sweep.results);
	model_diff_free(m);
}

static void refresh_window(struct model *m, int64_t now)
{
	if (m->whole_file)
		return; /* taken once, at start */
	if (m->window_dirty && now - m->window_refreshed_ns >= WINDOW_REFRESH_NS) {
		m->window_dirty = false;
		m->window_refreshed_ns = now;
		m->window_attr = recent_attribution(&m->window, now);
		m->changed |= MODEL_WINDOW;
		if (m->queries_window)
			refresh_queries(m);
	}
}

void model_tick(struct model *m)
{
	struct source *src = m->source;
	/* Read before the drain: a plan that has ended has also pushed its last
	 * trace and its last log record. */
	bool measuring = false;
	struct measurement *quiet = m->quiet;
	if (m->measuring || quiet) {
		uint32_t done, total;
		measuring = src->ops->plan_progress(src, &done, &total);
		if (m->measuring) {
			m->measuring->done = done;
			m->measuring->total = total;
			m->changed |= MODEL_MEASURE;
		}
	}
	model_follow_database(m); /* before the traces that ran on what changed */
	struct source_sink sink = { sink_log, sink_note, m };
	src->ops->drain(src, &sink);
	if (!measuring) {
		if (m->measuring && src->ops->failure && src->ops->failure(src))
			m->measuring->cancelled = true; /* cut short by the workload's failure */
		m->measuring = NULL;
	}
	/* Cancelled, a plan ends with the request in flight: wait for it, a while. */
	if (quiet && (!measuring || (!m->measuring && clock_now_ns() - quiet->ended_ns > QUIET_AFTER_CANCEL_NS))) {
		m->quiet = NULL;
		model_log_measurement(m, quiet);
	}

	/* Paused, the view holds still, even for a request cut short by the
	 * pause; unless traces still arrive from elsewhere (a server). */
	bool shown_changed = model_traces_received(m); /* received traces changed in place */
	const struct trace *latest = store_latest(src->store);
	if (m->follow && (!m->paused || src->ops->arrives_paused) && latest && latest->seq != m->shown_seq) {
		model_show(m, latest->seq);
	} else if (m->shown_seq) {
		m->shown = store_find(src->store, m->shown_seq);
		if (!m->shown) /* evicted while browsing history: the oldest kept */
			model_show(m, store_trace_count(src->store) ? store_trace(src->store, 0)->seq : 0);
		else if (shown_changed)
			model_show_again(m);
	}
	model_forward_tick(m);
	model_search_refresh(m); /* new log lines */
	model_track_in_flight(m);
	model_traces_tick(m);
	int64_t now = clock_now_ns();
	refresh_window(m, now);

	char status[sizeof m->status_line];
	model_status_line(m, status, sizeof status);
	if (strcmp(status, m->status_line) != 0) {
		memcpy(m->status_line, status, sizeof status);
		m->changed |= MODEL_STATUS;
	}
	if (m->message[0] && now >= m->message_until) {
		m->message[0] = '\0';
		m->changed |= MODEL_STATUS;
	}
}
