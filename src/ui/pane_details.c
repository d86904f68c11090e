/* pane_details — everything known about the selected span (or group):
 * its figures, attributes and ids, and what the findings about it say; or
 * the query chosen in the query list, its whole SQL. A span from someone
 * else's file says what its otel_span carries (details_otel.c), and nothing
 * of the lab's. The window is rewritten only when what it shows changed
 * (text, scroll, focus, size), and focused it holds a live trace still
 * (model_hold_for_details): reading it, the text does not move. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "pane.h"
#include "draw.h"
#include "details_otel.h"
#include "obslab/attrs.h"
#include "obslab/failtab.h"
#include "obslab/httpinfo.h"
#include "obslab/otel.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/utf8.h"

#define MAX_LINES 256 /* more is cut, and the last line says so */
#define LINE_LEN 256

struct lines {
	size_t n;
	int width; /* cells a line may take; longer ones wrap */
	struct {
		enum draw_role role;
		char text[LINE_LEN];
	} line[MAX_LINES];
};

/* The pane's own state: its scroll position and the text of the last draw
 * (too big for the stack). */
struct details_state {
	struct pane_list list;
	struct lines lines;
	uint64_t drawn;  /* a hash of what the window shows: equal, it is not rewritten */
	bool fresh;      /* a new window (layout): rewrite it whatever it held */
};

static void add(struct lines *l, enum draw_role role, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void push(struct lines *l, enum draw_role role, const char *text, size_t len)
{
	if (l->n == MAX_LINES)
		return;
	if (l->n == MAX_LINES - 1) {
		snprintf(l->line[l->n].text, LINE_LEN, "%s (more than the pane holds: cut here)", draw_glyphs()->ellipsis);
		l->line[l->n++].role = ROLE_DIM;
		return;
	}
	if (len >= LINE_LEN)
		len = utf8_cut(text, LINE_LEN - 1); /* never half a character */
	snprintf(l->line[l->n].text, LINE_LEN, "%.*s", (int)len, text);
	l->line[l->n++].role = role;
}

/* Text broken into lines of l->width cells, at spaces where it can; a
 * continued line is indented. Lines break between characters, counted in
 * cells as draw_text draws them (a CJK character takes two). */
static void add_text(struct lines *l, enum draw_role role, const char *text)
{
	size_t len = strlen(text);
	int w = l->width > 16 ? l->width : 16;
	bool first = true;
	while (len > 0) {
		int room = first ? w : w - 4;
		size_t bytes = len < LINE_LEN - 5 ? len : utf8_cut(text, LINE_LEN - 5);
		size_t cut = draw_fit(text, bytes, room, NULL);
		if (cut == 0) /* one character wider than the line: it goes alone */
			cut = draw_fit(text, len, 16, NULL);
		if (cut == 0)
			cut = 1;
		if (cut < len && text[cut] != ' ') {
			int half = 0;
			size_t sp = cut;
			while (sp > 0 && text[sp] != ' ')
				sp--;
			if (text[sp] == ' ')
				draw_fit(text, sp, room, &half);
			if (text[sp] == ' ' && half > room / 2)
				cut = sp;
		}
		char line[LINE_LEN];
		snprintf(line, sizeof line, "%s%.*s", first ? "" : "    ", (int)cut, text);
		push(l, role, line, strlen(line));
		text += cut;
		len -= cut;
		while (len > 0 && *text == ' ')
			text++, len--;
		first = false;
	}
}

static void add(struct lines *l, enum draw_role role, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	add_text(l, role, text);
}

static void describe_span(struct lines *l, const struct model *m, const struct span_record *s)
{
	const struct glyphs *g = draw_glyphs();
	const struct trace *t = m->shown;
	char label[256], dur[16], at[16];
	model_span_label(m, s, label, sizeof label);
	draw_duration(dur, sizeof dur, span_duration_ns(s));
	draw_duration(at, sizeof at, s->start_ns - t->spans[0].start_ns);
	static const char *const kinds[] = { "unspecified", "internal", "server", "client" };
	add(l, ROLE_TITLE, "%s  (%s span)", label, s->kind < 4 ? kinds[s->kind] : "?");
	if (s->flags & SPAN_F_DB)
		add_text(l, ROLE_DB, strtab_get(m->source->names, s->name));
	add(l, ROLE_NORMAL, "duration %s %s starts at +%s", dur, g->dot, at);
	const char *cause = s->parent_id == 0 && (s->flags & SPAN_F_ERROR) ? failtab_find(&m->failures, t->trace_id) : NULL;
	if (cause)
		add(l, ROLE_ERROR, "error: %s", cause);
	if (s->flags & SPAN_F_DB) {
		char net[16], db[16];
		int64_t net_ns = s->u.db.net_wait_ns, db_ns = span_duration_ns(s) - net_ns;
		draw_duration(net, sizeof net, net_ns);
		draw_duration(db, sizeof db, db_ns > 0 ? db_ns : 0);
		add(l, ROLE_NORMAL, "network %s (simulated) %s database %s %s rows %" PRIu32, net, g->dot, db,
		    g->dot, s->u.db.rows);
		add(l, ROLE_NORMAL, "full-scan steps %" PRIu32 " %s sorts %u %s auto-index rows %" PRIu32
		    " %s VM steps %" PRIu32, s->u.db.fullscan_steps, g->dot, s->sort_ops, g->dot,
		    s->u.db.autoindex, g->dot, s->u.db.vm_steps);
	}
	struct attr attrs[ATTRS_MAX];
	const struct http_info *http = s->parent_id == 0 ? t->http : NULL; /* a served request's root */
	size_t n = span_attributes_http(s, http, m->source->names, attrs, NULL);
	for (size_t i = 0; i < n; i++) {
		const struct attr *a = &attrs[i];
		if (a->type == ATTR_STRING)
			add(l, ROLE_DIM, "%s = %s", a->key, attr_string(a));
		else if (a->type == ATTR_BOOL)
			add(l, ROLE_DIM, "%s = %s", a->key, a->i ? "true" : "false");
		else
			add(l, ROLE_DIM, "%s = %" PRId64, a->key, a->i);
	}
	char trace_id[33], span_id[17], parent[17];
	span_trace_id_hex(t->trace_id, trace_id);
	snprintf(span_id, sizeof span_id, "%016" PRIx64, s->span_id);
	snprintf(parent, sizeof parent, "%016" PRIx64, s->parent_id);
	add(l, ROLE_DIM, "trace %s", trace_id);
	add(l, ROLE_DIM, "span %s %s parent %s", span_id, g->dot, s->parent_id ? parent : "(root)");
	if (http && http->remote_parent_id) {
		snprintf(parent, sizeof parent, "%016" PRIx64, http->remote_parent_id);
		add(l, ROLE_DIM, "caller's span %s (traceparent)%s%s", parent, http->tracestate[0] ? " tracestate " : "",
		    http->tracestate);
	}
}

/* A line of details_otel's, wrapped to the pane. */
static void take_line(void *ctx, enum draw_role role, const char *text)
{
	add_text(ctx, role, text);
}

static bool foreign_trace(const struct model *m)
{
	return m->shown && m->shown->otel && (m->shown->spans[0].flags & (SPAN_F_FOREIGN | SPAN_F_PLACEHOLDER));
}

/* What the findings about this row say, and what a fix would save. */
static void explain_findings(struct lines *l, const struct model *m, const struct wf_row *row)
{
	const struct glyphs *g = draw_glyphs();
	const struct finding *n1 = model_row_finding(m, row, FINDING_N_PLUS_ONE);
	const struct finding *scan = model_row_finding(m, row, FINDING_FULL_SCAN_LOOP);
	char label[128], cost[16], saving[16], median[16];
	if (n1) {
		const struct trace *t = m->shown;
		const struct span_record *first = &t->spans[m->findings.evidence[n1->evidence]];
		char source[128], since[200];
		model_span_label(m, first, label, sizeof label);
		draw_duration(cost, sizeof cost, n1->cost_ns);
		draw_duration(saving, sizeof saving, n1->saving_ns);
		draw_duration(median, sizeof median, n1->median_ns);
		if (n1->source < t->nspans) {
			model_span_label(m, &t->spans[n1->source], source, sizeof source);
			snprintf(since, sizeof since, "after %s, one per row it returned", source);
		} else {
			/* No other query before the loop (a foreign trace's group may
			 * have none): the repetitions explain themselves. */
			uint32_t parent = spantree_find(&m->wf.tree, first->parent_id);
			if (parent != SPANTREE_NONE && parent < t->nspans)
				model_span_label(m, &t->spans[parent], source, sizeof source);
			else
				snprintf(source, sizeof source, "one parent");
			snprintf(since, sizeof since, "under %s with no other query before them, one per item", source);
		}
		add(l, ROLE_WARN, "%s N+1: %u sequential %s %s; they cost %s, "
		    "and one query instead saves ~%s (%u %s the median, %s)", g->warn, n1->count, label, since, cost,
		    saving, n1->count - 1, g->times, median);
		int64_t naive, optimized;
		if (foreign_trace(m)) {
			/* Someone else's service: no lab strategy to switch to. */
			add(l, ROLE_WARN, "    fix: fetch them in one query (a JOIN, or IN (...) in chunks)");
		} else if (model_measured(m, &naive, &optimized)) {
			char a[16], b[16];
			draw_duration(a, sizeof a, naive);
			draw_duration(b, sizeof b, optimized);
			add(l, ROLE_WARN, "    measured here (c): naive %s, optimized %s a request", a, b);
		}
		/* Never the strategy the trace already ran. */
		enum strategy ran = (enum strategy)m->findings.settings.strategy;
		if (foreign_trace(m))
			(void)ran;
		else if (ran == STRATEGY_EAGER)
			add(l, ROLE_WARN, "    fix: one LEFT JOIN ... GROUP BY (o)");
		else if (ran == STRATEGY_OPTIMIZED)
			add(l, ROLE_WARN, "    fix: IN (...) chunks (e)");
		else
			add(l, ROLE_WARN, "    fix: one LEFT JOIN ... GROUP BY (o), or IN (...) chunks (e)");
	}
	if (scan) {
		model_span_label(m, &m->shown->spans[m->findings.evidence[scan->evidence]], label, sizeof label);
		char rows[32];
		draw_count(rows, sizeof rows, scan->scanned_rows);
		draw_duration(saving, sizeof saving, scan->saving_ns);
		add(l, ROLE_WARN, "%s full scan in a loop: %u %s %s stepped through %s rows of full-table scans; "
		    "CREATE INDEX ON %s (i) saves up to %s of database time", g->warn, scan->count, g->times, label,
		    rows, scan->index_hint, saving);
	}
	if ((n1 || scan) && !foreign_trace(m)) {
		char ran[128], why[160];
		findings_settings_text(&m->findings.settings, ran, sizeof ran);
		if (model_trace_stale(m, m->shown, &m->findings.settings, why, sizeof why))
			add(l, ROLE_WARN, "    old settings: this trace %s (%s); the lab has changed since", why, ran);
		else
			add(l, ROLE_DIM, "    found in a trace run with %s", ran);
	}
}

static void describe_group(struct lines *l, const struct model *m, const struct wf_row *row)
{
	const struct glyphs *g = draw_glyphs();
	const struct span_record *first = &m->shown->spans[row->span];
	char label[256], busy[16], mean[16], from[16], to[16];
	model_span_label(m, first, label, sizeof label);
	int64_t t0 = m->shown->spans[0].start_ns;
	draw_duration(busy, sizeof busy, row->busy_ns);
	draw_duration(mean, sizeof mean, row->summed_ns / row->count);
	draw_duration(from, sizeof from, row->start_ns - t0);
	draw_duration(to, sizeof to, row->end_ns - t0);
	add(l, ROLE_TITLE, "%s %s%u  (%u sibling spans, one fingerprint)", label, g->times, row->count, row->count);
	if (first->flags & SPAN_F_DB)
		add_text(l, ROLE_DB, strtab_get(m->source->names, first->name));
	if (row->summed_ns > row->busy_ns) { /* overlapping members (a pipeline's): each counted once */
		char summed[16];
		draw_duration(summed, sizeof summed, row->summed_ns);
		add(l, ROLE_NORMAL, "total %s wall clock (the spans overlap: %s summed) %s mean per span %s %s from +%s to +%s",
		    busy, summed, g->dot, mean, g->dot, from, to);
	} else {
		add(l, ROLE_NORMAL, "total %s %s mean %s %s from +%s to +%s", busy, g->dot, mean, g->dot, from, to);
	}
	explain_findings(l, m, row);
	add(l, ROLE_DIM, "Enter %s its rows", row->expanded ? "folds" : "unfolds");
}

/* The query chosen in the query list: its figures and its whole SQL. */
static void describe_query(struct lines *l, const struct model *m)
{
	const struct glyphs *g = draw_glyphs();
	const struct query_stat *q = NULL;
	for (size_t i = 0; i < m->nqueries && !q; i++)
		if (m->queries[i].fingerprint == m->q.fingerprint)
			q = &m->queries[i];
	add(l, ROLE_TITLE, "query  (chosen in the query list)");
	if (q) {
		char calls[32], total[16], mean[16], p95[16], rows[32];
		draw_count(calls, sizeof calls, q->calls);
		draw_duration(total, sizeof total, q->total_ns);
		draw_duration(mean, sizeof mean, q->mean_ns);
		draw_duration(p95, sizeof p95, q->p95_ns);
		if (q->rows_known)
			draw_count(rows, sizeof rows, q->rows);
		else
			snprintf(rows, sizeof rows, "not given");
		add(l, ROLE_NORMAL, "%s call%s %s total %s %s mean %s %s p95 %s %s rows %s", calls, q->calls == 1 ? "" : "s",
		    g->dot, total, g->dot, mean, g->dot, p95, g->dot, rows);
		if (q->summed_ns > q->total_ns) {
			char summed[16];
			draw_duration(summed, sizeof summed, q->summed_ns);
			add(l, ROLE_DIM, "the calls overlapped (a pipeline): total is wall clock, each moment counted once "
			    "(%s summed); mean and p95 are per call", summed);
		}
	}
	add_text(l, ROLE_DB, strtab_get(m->source->names, m->q.fingerprint));
	add(l, ROLE_DIM, "its spans are marked %s in the waterfall %s y s copies this SQL %s Enter on it again clears",
	    draw_unicode() ? "◀" : "<", g->dot, g->dot);
}

/* FNV-1a over what a draw would put in the window. */
static uint64_t hash_bytes(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

static uint64_t shown_hash(const struct pane *p, const struct model *m, const struct details_state *st, bool focus)
{
	uint64_t h = 14695981039346656037ull;
	int geometry[5] = { p->h, p->w, focus, (int)st->list.top, (int)st->lines.n };
	h = hash_bytes(h, geometry, sizeof geometry);
	/* the search's highlights are drawn too: a search begun or cleared rewrites the text */
	const struct search *found = model_search_active(m) ? &m->search.engine : NULL;
	h = hash_bytes(h, found ? found->query : "", found ? found->qlen + 1 : 1);
	for (size_t i = 0; i < st->lines.n; i++) {
		h = hash_bytes(h, &st->lines.line[i].role, sizeof st->lines.line[i].role);
		h = hash_bytes(h, st->lines.line[i].text, strlen(st->lines.line[i].text) + 1);
	}
	return h;
}

/* The rows for text: one fewer when the text is longer than the pane,
 * the last row then saying how much more is below. */
static size_t visible_rows(const struct pane *p, size_t nlines)
{
	size_t rows = p->h > 2 ? (size_t)(p->h - 2) : 0;
	return nlines > rows && rows > 1 ? rows - 1 : rows;
}

static void draw(struct pane *p, const struct model *m, bool focus)
{
	WINDOW *w = p->win;
	struct details_state *st = p->priv;
	struct lines *lines = &st->lines;
	const struct wf_row *row = model_selected_row(m);
	lines->n = 0;
	int width = p->w - 4;
	lines->width = width;
	if (m->q.details && m->q.chosen)
		describe_query(lines, m);
	else if (!row)
		add(lines, ROLE_DIM, "no span selected");
	else if (row->kind == WF_ROW_GROUP)
		describe_group(lines, m, row);
	else {
		const struct span_record *s = &m->shown->spans[row->span];
		explain_findings(lines, m, row);
		if (s->flags & SPAN_F_PLACEHOLDER)
			details_placeholder(m->shown, s, m->source->names, take_line, lines);
		else if (otel_span_of(m->shown->otel, s))
			details_foreign_span(m->shown, s, m->source->names, take_line, lines);
		else
			describe_span(lines, m, s);
	}

	size_t rows = visible_rows(p, lines->n);
	size_t *top = &st->list.top;
	if (*top + rows > lines->n)
		*top = lines->n > rows ? lines->n - rows : 0;
	uint64_t h = shown_hash(p, m, st, focus);
	if (h == st->drawn && !st->fresh)
		return; /* the same text as on screen: nothing to rewrite */
	st->drawn = h;
	st->fresh = false;
	werase(w);
	draw_frame(w, "Details", focus);
	/* Cut: the last row says how much is below (Tab focuses the pane, j/k scroll). */
	size_t below = *top + rows < lines->n ? lines->n - (*top + rows) : 0;
	if (below) {
		wattron(w, draw_attr(ROLE_DIM));
		wmove(w, 1 + (int)rows, 2);
		draw_fmt(w, width, "%s %zu more line%s%s", draw_glyphs()->more, below, below == 1 ? "" : "s",
		         focus ? " (j/k scroll)" : " (Tab here, then j/k)");
		wattroff(w, draw_attr(ROLE_DIM));
	}
	for (size_t i = 0; i < rows && *top + i < lines->n; i++) {
		size_t k = *top + i;
		wattron(w, draw_attr(lines->line[k].role));
		wmove(w, 1 + (int)i, 2);
		draw_text_match(w, lines->line[k].text, width, model_search_active(m) ? &m->search.engine : NULL);
		wattroff(w, draw_attr(lines->line[k].role));
	}
	wnoutrefresh(w);
}

/* A new selection is read from its first line. */
static void sync(struct pane *p, const struct model *m, unsigned changed)
{
	(void)m;
	struct details_state *st = p->priv;
	if (changed & MODEL_SELECTION)
		st->list.top = 0;
	if (changed & PANE_RESIZED)
		st->fresh = true;
}

static struct intent handle(struct pane *p, const struct model *m, enum action action)
{
	(void)m;
	struct details_state *st = p->priv;
	return pane_scroll(&st->list, action, st->lines.n, visible_rows(p, st->lines.n));
}

const struct pane_ops pane_details_ops = {
	.name = "details",
	.private_size = sizeof(struct details_state),
	.focusable = true,
	.watches = MODEL_TRACE | MODEL_SELECTION | MODEL_SEARCH,
	.draw = draw,
	.handle = handle,
	.sync = sync,
	.holds_trace = true,
};
