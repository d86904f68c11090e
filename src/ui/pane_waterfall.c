/* pane_waterfall — the shown trace as a time ruler and one bar per row;
 * the selected row is the model's, the scroll position the pane's own. A
 * placeholder (a parent or root the file does not hold) is a dimmed, marked
 * row; a span the reader marked (clock skew, duplicate id) says so. The
 * ruler covers every span's end: what runs past the root's end (skew) is
 * drawn in the warning colour after a mark at the root's end. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "pane.h"
#include "draw.h"
#include "obslab/otel.h"
#include "obslab/store.h"
#include "obslab/strtab.h"

#define DURATION_CELLS 8

struct columns {
	int name, bar, dur;   /* widths */
	int bar_x, dur_x;     /* window columns */
};

static struct columns columns(const struct pane *p)
{
	struct columns c;
	int inner = p->w - 2;
	c.name = inner * 9 / 20;
	c.name = c.name < 24 ? 24 : c.name > 48 ? 48 : c.name;
	c.dur = DURATION_CELLS;
	c.bar = inner - c.name - c.dur - 2;
	if (c.bar < 4)
		c.bar = 4;
	c.bar_x = 1 + c.name + 1;
	c.dur_x = c.bar_x + c.bar + 1;
	return c;
}

struct waterfall_state {
	struct pane_list list; /* cursor: the model's selection, as last seen */
};

static int legend_rows(const struct pane *p, const struct model *m);

/* Rows of spans shown at the pane's present size. */
static size_t visible_rows(const struct pane *p, const struct model *m)
{
	int legend = legend_rows(p, m);
	return p->h > 3 + legend ? (size_t)(p->h - 3 - legend) : 0; /* borders, the ruler, the legend */
}

/* The time axis: from the root's start over span ns; the root ends at root8
 * (eighths of a cell), before the axis' end when a child runs past it. */
struct axis {
	int64_t t0, span, root8;
};

/* Position in eighths of a cell. */
static int64_t pos8(int64_t t, int64_t t0, int64_t span, int cells)
{
	if (span <= 0)
		return 0;
	if (t < t0)
		t = t0;
	if (t > t0 + span)
		t = t0 + span;
	return (int64_t)((double)(t - t0) / (double)span * cells * 8);
}

/* A tick's label: a duration without trailing zeros ("2ms", "2.5ms"). */
static void ruler_label(char *buf, size_t cap, int64_t ns)
{
	draw_duration(buf, cap, ns);
	char *dot = strchr(buf, '.');
	if (!dot)
		return;
	char *end = dot + 1;
	while (*end >= '0' && *end <= '9')
		end++;
	char *cut = end;
	while (cut > dot + 1 && cut[-1] == '0')
		cut--;
	if (cut == dot + 1)
		cut = dot;
	memmove(cut, end, strlen(end) + 1);
}

/* The time axis of [from, to] (offsets from the root's start): zoomed in,
 * its labels are the zoomed range's ("12ms", "12.5ms", "13ms"). The root
 * ends at root_ns: inside the range (a skewed child runs past it) a
 * "│root end" mark stands there and later ticks are warned. */
static void draw_ruler(WINDOW *w, const struct columns *c, int64_t from, int64_t to, int64_t root_ns)
{
	const struct glyphs *g = draw_glyphs();
	int64_t span_ns = to - from;
	if (span_ns <= 0)
		return;
	/* A 1-2-5 step giving a tick every 7 cells or more. */
	int max_ticks = c->bar / 7 > 1 ? c->bar / 7 : 1;
	int64_t step = 1;
	for (int64_t base = 1; step * max_ticks < span_ns; base *= 10) {
		if (base > INT64_MAX / 10)
			break;
		for (int m = 0; m < 3 && step * max_ticks < span_ns; m++)
			step = base * (m == 0 ? 1 : m == 1 ? 2 : 5);
	}
	/* Past the root's end (a skewed child): "│root end" there, later ticks warned. */
	static const char mark[] = "root end";
	int root_x = root_ns > from && root_ns < to ? (int)(pos8(root_ns, from, span_ns, c->bar) / 8) : -1;
	int mark_w = root_x >= 0 && root_x + 1 + (int)strlen(mark) <= c->bar ? 1 + (int)strlen(mark) : 1;
	int free_x = 0; /* a label never runs into the next tick's */
	/* Zoomed in, the left edge is labelled first: where the range starts. */
	for (int64_t t = from, next = (from + step - 1) / step * step; t <= to; t = next, next += step) {
		if (next == t)
			next += step;
		int x = (int)(pos8(t, from, span_ns, c->bar) / 8);
		char label[16];
		if (t == 0)
			snprintf(label, sizeof label, "0");
		else
			ruler_label(label, sizeof label, t);
		if (x + 1 + (int)strlen(label) > c->bar)
			break;
		if (x < free_x)
			continue;
		if (root_x >= 0 && x <= root_x + mark_w && x + 1 + (int)strlen(label) >= root_x)
			continue; /* the mark stays readable */
		attr_t a = draw_attr(t > root_ns ? ROLE_WARN : ROLE_DIM);
		wattron(w, a);
		mvwaddstr(w, 1, c->bar_x + x, g->tick);
		free_x = x + 1 + draw_text(w, label, c->bar - x - 1) + 1;
		wattroff(w, a);
	}
	if (root_x >= 0) {
		wattron(w, draw_attr(ROLE_WARN));
		mvwaddstr(w, 1, c->bar_x + root_x, g->vline);
		if (mark_w > 1)
			waddstr(w, mark);
		wattroff(w, draw_attr(ROLE_WARN));
	}
	mvwaddstr(w, 1, 1, "");
	draw_text(w, "span", c->name);
	wmove(w, 1, c->dur_x);
	draw_text(w, "duration", c->dur);
}

/* The legend (l): what the bars mean for the shown trace's kind. A lab
 * query's bar starts with its round trip (simulated; PostgreSQL: measured, a
 * pipeline's bars overlap); a foreign trace has no network apart, and any
 * span not a query (its own work, its calls) is one colour. On the pane's last inner rows: an item that does not fit goes to
 * the next row, on as many rows as it needs while a row of spans stays in
 * sight (an item is left out only then, never cut mid-word). */

struct legend_item {
	enum draw_role role;
	bool dim_glyph; /* the group's light shade, else a full block */
	const char *what;
};

static size_t legend_items(const struct model *m, const struct legend_item **out)
{
	static const struct legend_item items[3][5] = {
		{ { ROLE_APP, false, "app" }, { ROLE_NET, false, "network (simulated)" }, { ROLE_DB, false, "database" },
		  { ROLE_DIM, true, "group, placeholder" }, { ROLE_WARN, false, "critical path (C)" } },
		{ { ROLE_APP, false, "app" }, { ROLE_NET, false, "network (measured round trip)" }, /* PostgreSQL */
		  { ROLE_DB, false, "database (client time − round trip)" }, { ROLE_DIM, true, "group, placeholder" },
		  { ROLE_WARN, false, "critical path (C)" } },
		{ { ROLE_APP, false, "span: own work, calls" }, { ROLE_DB, false, "database incl. network" },
		  { ROLE_DIM, true, "group, placeholder" }, { ROLE_WARN, false, "critical path (C)" } },
	};
	bool is_foreign = m->shown && m->shown->nspans > 0 &&
	                  (m->shown->spans[0].flags & (SPAN_F_FOREIGN | SPAN_F_PLACEHOLDER));
	size_t k = is_foreign ? 2 : m->shown && m->attr.kind == ATTRIBUTION_PG ? 1 : 0;
	*out = items[k];
	return k == 2 ? 4 : 5;
}

/* Lays the legend out in a pane `width` wide, on max_rows rows at most;
 * draws it from row y0 when w is given. Returns the rows it takes. */
static int legend_layout(WINDOW *w, int width, int max_rows, int y0, const struct model *m)
{
	const struct glyphs *g = draw_glyphs();
	const struct legend_item *items;
	size_t n = legend_items(m, &items);
	int x0 = 2, end = width - 2, x = x0, row = 0;
	for (size_t i = 0; i < n; i++) {
		int cells = 2 + draw_width(items[i].what); /* glyph, space, text */
		if (x > x0 && x + cells > end) {
			if (row + 1 >= max_rows)
				break; /* no room: the rest is left out, never cut mid-word */
			row++;
			x = x0;
		}
		if (w) {
			const char *glyph = items[i].dim_glyph ? g->light : items[i].role == ROLE_WARN ? g->live : g->full;
			wmove(w, y0 + row, x);
			wattron(w, draw_attr(items[i].role));
			draw_text(w, glyph, end - x);
			wattroff(w, draw_attr(items[i].role));
			draw_fmt(w, end - x - 1, " %s", items[i].what);
		}
		x += cells + 2;
	}
	return row + 1;
}

/* The legend's rows at most: the pane less its borders, the ruler and one
 * row of spans (one row at least). */
static int legend_max_rows(const struct pane *p)
{
	return p->h - 4 > 1 ? p->h - 4 : 1;
}

static int legend_rows(const struct pane *p, const struct model *m)
{
	return m->view.legend ? legend_layout(NULL, p->w, legend_max_rows(p), 0, m) : 0;
}

static void draw_legend(WINDOW *w, const struct pane *p, const struct model *m)
{
	int rows = legend_rows(p, m);
	legend_layout(w, p->w, legend_max_rows(p), p->h - 1 - rows, m);
}

/* "⚠ missing root", "⚠ parent cycle cut", "⚠ missing parent 1a2b3c4d…"
 * (a group's: without the id, which differs between its members). */
static void placeholder_label(const struct model *m, const struct wf_row *row, char *buf, size_t cap)
{
	const struct glyphs *g = draw_glyphs();
	const struct span_record *s = &m->shown->spans[row->span];
	const char *name = strtab_get(m->source->names, s->name);
	if (row->stand_in == WF_MISSING_ROOT)
		snprintf(buf, cap, "%s %s", g->warn, name);
	else if (row->stand_in == WF_CYCLE_CUT) /* its id is obslab's own, never shown */
		snprintf(buf, cap, "%s parent cycle cut", g->warn);
	else if (row->kind == WF_ROW_GROUP)
		snprintf(buf, cap, "%s %s", g->warn, name);
	else
		snprintf(buf, cap, "%s %s %08" PRIx64 "%s", g->warn, name, s->span_id >> 32, g->ellipsis);
}

/* " (error)", " (error, clock skew)", " (duplicate id)": what the row's span
 * says of itself, and what the reader noticed about it. */
static void span_marks(const struct trace *t, const struct span_record *s, char *buf, size_t cap)
{
	const char *marks[4];
	size_t n = 0;
	if (s->flags & SPAN_F_CANCELLED)
		marks[n++] = "cancelled";
	else if (s->flags & SPAN_F_ERROR)
		marks[n++] = "error";
	const struct otel_span *sp = otel_span_of(t->otel, s);
	if (sp && (sp->marks & OTEL_MARK_SKEW))
		marks[n++] = "clock skew";
	if (sp && (sp->marks & OTEL_MARK_DUPLICATE))
		marks[n++] = "duplicate id";
	if (sp && (sp->marks & OTEL_MARK_CYCLE))
		marks[n++] = "cycle";
	buf[0] = '\0';
	for (size_t i = 0, used = 0; i < n && used < cap; i++) {
		int k = snprintf(buf + used, cap - used, "%s%s%s", i ? ", " : " (", marks[i], i + 1 == n ? ")" : "");
		used += k > 0 ? (size_t)k : 0;
	}
}

/* Whether a row's span, or a member of its group, matched the search. */
static bool row_matches(const struct model *m, const struct wf_row *row)
{
	for (uint32_t k = 0; k < row->count; k++)
		if (model_search_span(m, row->span + k))
			return true;
	return false;
}

/* A row's name, the search's matches in it standing out; a row that matched
 * elsewhere (an attribute, its SQL) stands out whole. */
static int draw_search_name(WINDOW *w, const struct model *m, const struct wf_row *row, const char *name, int cells)
{
	if (!row_matches(m, row))
		return draw_text(w, name, cells);
	const struct search *s = &m->search.engine;
	if (search_find(s, name, strlen(name), 0) != SIZE_MAX)
		return draw_text_match(w, name, cells, s);
	wattron(w, draw_attr(ROLE_MATCH));
	int used = draw_text(w, name, cells);
	wattroff(w, draw_attr(ROLE_MATCH));
	return used;
}

static void draw_name(WINDOW *w, const struct model *m, const struct wf_row *row,
                      const struct columns *c, int y)
{
	const struct glyphs *g = draw_glyphs();
	const struct span_record *s = &m->shown->spans[row->span];
	char label[256], name[320];
	bool placeholder = row->stand_in != WF_REAL;
	if (placeholder)
		placeholder_label(m, row, label, sizeof label);
	else
		model_span_label(m, s, label, sizeof label);
	wmove(w, y, 1);
	int used = 0;
	int indent = row->depth > 0 ? (row->depth - 1) * 2 : 0;
	for (int i = 0; i < indent && used < c->name; i++, used++)
		waddch(w, ' ');
	if (row->depth > 0 && used + 2 <= c->name) {
		used += draw_text(w, row->last_sibling ? g->corner : g->tee, 1);
		waddch(w, ' ');
		used++;
	}
	/* A group's count and finding marker are never cut: the label gives way. */
	char suffix[64] = "", tag[48] = "";
	if (row->kind == WF_ROW_GROUP) {
		snprintf(name, sizeof name, "%s %s", row->expanded ? g->open : g->closed, label);
		if (row->hidden) /* folded: the spans under its members are counted, not lost */
			snprintf(suffix, sizeof suffix, " %s%u (+%u below)", g->times, row->count, row->hidden);
		else
			snprintf(suffix, sizeof suffix, " %s%u", g->times, row->count);
		pane_finding_tag(model_row_finding(m, row, FINDING_N_PLUS_ONE),
		                model_row_finding(m, row, FINDING_FULL_SCAN_LOOP), tag, sizeof tag);
	} else {
		snprintf(name, sizeof name, "%s", label);
		span_marks(m->shown, s, suffix, sizeof suffix);
	}
	if (model_row_highlighted(m, row)) { /* a span of the query chosen in the query list */
		size_t n = strlen(suffix);
		snprintf(suffix + n, sizeof suffix - n, " %s", draw_unicode() ? "◀" : "<");
	}
	int reserved = draw_width(suffix) + (tag[0] ? 1 + draw_width(tag) : 0);
	if (placeholder)
		wattron(w, draw_attr(ROLE_DIM));
	used += draw_search_name(w, m, row, name, c->name - used - reserved);
	if (placeholder)
		wattroff(w, draw_attr(ROLE_DIM));
	used += draw_text(w, suffix, c->name - used);
	if (tag[0] && used < c->name) {
		waddch(w, ' ');
		wattron(w, draw_attr(ROLE_WARN));
		used += 1 + draw_text(w, tag, c->name - used - 1);
		wattroff(w, draw_attr(ROLE_WARN));
	}
	for (; used < c->name; used++)
		waddch(w, ' ');
}

/* A bar from a8 to b8 in attr, its part past the root's end warned. */
static void draw_bar_upto_root(WINDOW *w, int y, const struct columns *c, int64_t a, int64_t b, attr_t attr,
                               const struct axis *ax)
{
	if (b <= ax->root8)
		draw_bar(w, y, c->bar_x, a, b, attr);
	else if (a >= ax->root8)
		draw_bar(w, y, c->bar_x, a, b, draw_attr(ROLE_WARN));
	else {
		draw_bar(w, y, c->bar_x, a, ax->root8, attr);
		draw_bar(w, y, c->bar_x, ax->root8, b, draw_attr(ROLE_WARN));
	}
}

static void draw_span_bar(WINDOW *w, const struct span_record *s, const struct axis *ax, const struct columns *c,
                          int y)
{
	int64_t t0 = ax->t0, span = ax->span;
	if (s->end_ns < t0 || s->start_ns > t0 + span)
		return; /* zoomed in: not in the range shown */
	int64_t a = pos8(s->start_ns, t0, span, c->bar), b = pos8(s->end_ns, t0, span, c->bar);
	if (s->flags & SPAN_F_PLACEHOLDER) { /* no span: where what hangs under it ran, dimmed */
		wattron(w, draw_attr(ROLE_DIM));
		int from = (int)(a / 8), to = (int)((b + 7) / 8);
		for (int x = from; x < (to > from ? to : from + 1) && x < c->bar; x++)
			mvwaddstr(w, y, c->bar_x + x, draw_glyphs()->light);
		wattroff(w, draw_attr(ROLE_DIM));
		return;
	}
	if (!(s->flags & SPAN_F_DB)) {
		draw_bar_upto_root(w, y, c, a, b, draw_attr(ROLE_APP), ax);
		return;
	}
	/* The simulated round trip comes first in a query's span. */
	int64_t net_end = pos8(s->start_ns + s->u.db.net_wait_ns, t0, span, c->bar);
	if (s->u.db.net_wait_ns > 0 && net_end > a) {
		draw_bar(w, y, c->bar_x, a, net_end, draw_attr(ROLE_NET));
		if (b > net_end)
			draw_bar_upto_root(w, y, c, net_end, b, draw_attr(ROLE_DB), ax);
	} else {
		draw_bar_upto_root(w, y, c, a, b, draw_attr(ROLE_DB), ax);
	}
}

static void draw_group_bar(WINDOW *w, const struct model *m, const struct wf_row *row, const struct axis *ax,
                           const struct columns *c, int y)
{
	const struct glyphs *g = draw_glyphs();
	if (row->end_ns < ax->t0 || row->start_ns > ax->t0 + ax->span)
		return; /* zoomed in: not in the range shown */
	int from = (int)(pos8(row->start_ns, ax->t0, ax->span, c->bar) / 8);
	int to = (int)((pos8(row->end_ns, ax->t0, ax->span, c->bar) + 7) / 8);
	wattron(w, draw_attr(ROLE_DIM));
	for (int x = from; x < to && x < c->bar; x++)
		mvwaddstr(w, y, c->bar_x + x, g->light);
	wattroff(w, draw_attr(ROLE_DIM));
	if (row->expanded)
		return;
	/* Folded: every member still shows where it ran, a comb of slivers.
	 * Members are siblings, not neighbours in the trace (their children
	 * may come between). */
	const uint32_t *next = m->wf.tree.next_sibling;
	for (uint32_t k = 0, s = row->span; k < row->count && s != SPANTREE_NONE; k++, s = next[s])
		draw_span_bar(w, &m->shown->spans[s], ax, c, y);
}

/* A request that has run a second or more, on the bottom border (or in the
 * empty pane before the first trace, on row empty_row; else -1): "in flight
 * 38.2 s · 41,233 queries so far". */
static void draw_in_flight(WINDOW *w, const struct pane *p, const struct model *m, int empty_row)
{
	if (!m->in_flight.shown)
		return;
	char t[32], q[32], text[160];
	model_format_long(t, sizeof t, clock_now_ns() - m->in_flight.since_ns);
	draw_count(q, sizeof q, m->in_flight.queries);
	snprintf(text, sizeof text, "request in flight %s %s %s quer%s so far", t, draw_glyphs()->dot, q,
	         m->in_flight.queries == 1 ? "y" : "ies");
	wattron(w, draw_attr(ROLE_WARN));
	if (empty_row >= 0) {
		draw_at(w, empty_row, 2, text, p->w - 4);
	} else {
		wmove(w, p->h - 1, 2);
		waddch(w, ' ');
		draw_text(w, text, p->w - 6);
		waddch(w, ' ');
	}
	wattroff(w, draw_attr(ROLE_WARN));
}

/* A foreign trace's services, in order of their first span: "checkout,
 * payments" (three at most, then "+more"); "" for the lab's. */
static void trace_services(const struct trace *t, char *buf, size_t cap)
{
	const char *seen[3];
	size_t n = 0, used = 0;
	buf[0] = '\0';
	for (size_t i = 0; t->otel && i < t->nspans && used + 1 < cap; i++) {
		const struct otel_span *sp = otel_span_of(t->otel, &t->spans[i]);
		const char *name = sp ? otel_service_name(t->otel, sp) : NULL;
		bool known = !name;
		for (size_t k = 0; k < n && !known; k++)
			known = strcmp(seen[k], name) == 0;
		if (known)
			continue;
		int k = n == 3 ? snprintf(buf + used, cap - used, " +more") :
		                 snprintf(buf + used, cap - used, "%s%s", n ? ", " : "", name);
		used = k > 0 && (size_t)k < cap - used ? used + (size_t)k : cap - 1;
		if (n == 3)
			break;
		seen[n++] = name;
	}
}

static void draw(struct pane *p, const struct model *m, bool focus)
{
	WINDOW *w = p->win;
	const struct waterfall_state *st = p->priv;
	werase(w);
	const struct trace *t = m->shown;
	char title[512] = "Waterfall";
	if (t) {
		char dur[16]; /* the root's: a skewed child's time past it is on the ruler */
		draw_duration(dur, sizeof dur, span_duration_ns(&t->spans[0]));
		const char *dot = draw_glyphs()->dot;
		/* A trace from other settings says so first: its figures are not the lab's now. */
		char why[96], old[128] = "";
		if (model_trace_stale(m, t, &m->findings.settings, why, sizeof why))
			snprintf(old, sizeof old, " %s old settings: %s", dot, why);
		char services[128], svc[160] = "";
		trace_services(t, services, sizeof services);
		size_t nspans = 0; /* a placeholder is no span of the file's */
		for (size_t i = 0; i < t->nspans; i++)
			nspans += !(t->spans[i].flags & SPAN_F_PLACEHOLDER);
		if (services[0])
			snprintf(svc, sizeof svc, " %s %s", dot, services);
		char zoom[32] = "";
		if (m->view.zoom_depth)
			snprintf(zoom, sizeof zoom, " %s zoom %zu", dot, m->view.zoom_depth);
		snprintf(title, sizeof title, "Waterfall%s %s trace #%llu%s%s %s %zu span%s %s %u quer%s %s %s%s", zoom, dot,
		         (unsigned long long)t->seq, svc, old, dot, nspans, nspans == 1 ? "" : "s", dot, m->attr.queries,
		         m->attr.queries == 1 ? "y" : "ies", dot, dur,
		         t->spans[0].flags & SPAN_F_CANCELLED ? " (cancelled)" : t->open ? " (open)" : "");
	}
	draw_frame(w, title, focus);
	if (!t) {
		char waiting[256] = "waiting for the first request...";
		if (m->source->ops->empty)
			m->source->ops->empty(m->source, waiting, sizeof waiting);
		/* One line where it fits, else a line per sentence (a source's
		 * text may hold a line break), each wrapped: an address is never cut. */
		char *nl = strchr(waiting, '\n');
		if (nl && draw_width(waiting) <= p->w - 4)
			*nl = ' ';
		int rows = draw_wrapped(w, 2, 2, waiting, p->w - 4, p->h - 3);
		draw_in_flight(w, p, m, 2 + (rows > 1 ? rows : 1));
		wnoutrefresh(w);
		return;
	}
	struct columns c = columns(p);
	/* The range drawn: the whole trace (to the latest span's end, past the
	 * root's when a child is skewed), or zoomed in (z); offsets from the root's start. */
	int64_t from, to, root = span_duration_ns(&t->spans[0]);
	model_view_range(m, &from, &to);
	struct axis ax = { t->spans[0].start_ns + from, to - from, (int64_t)c.bar * 8 };
	if (root < to) /* the root ends before the range does: what comes after is warned */
		/* at a cell's edge, after the root's own last cell: no split cells */
		ax.root8 = (pos8(t->spans[0].end_ns, ax.t0, ax.span, c.bar) + 7) / 8 * 8;
	draw_ruler(w, &c, from, to, root);

	size_t rows = visible_rows(p, m);
	for (size_t i = 0; i < rows && st->list.top + i < m->wf.nrows; i++) {
		size_t r = st->list.top + i;
		const struct wf_row *row = &m->wf.rows[r];
		int y = 2 + (int)i;
		bool selected = r == m->selected;
		attr_t sel = draw_attr(focus ? ROLE_SELECTED : ROLE_TITLE);
		if (selected)
			wattron(w, sel);
		draw_name(w, m, row, &c, y);
		if (selected)
			wattroff(w, sel);
		if (row->kind == WF_ROW_GROUP)
			draw_group_bar(w, m, row, &ax, &c, y);
		else
			draw_span_bar(w, &t->spans[row->span], &ax, &c, y);
		if (model_row_critical(m, row)) { /* C: on the critical path, marked before its bar */
			wattron(w, draw_attr(ROLE_WARN));
			mvwaddstr(w, y, c.bar_x - 1, draw_glyphs()->live);
			wattroff(w, draw_attr(ROLE_WARN));
		}
		char dur[16];
		draw_duration(dur, sizeof dur, row->kind == WF_ROW_GROUP ? row->busy_ns : row->end_ns - row->start_ns);
		if (selected)
			wattron(w, sel);
		mvwprintw(w, y, c.dur_x, "%*s", c.dur, "");
		wmove(w, y, c.dur_x + c.dur - draw_width(dur));
		draw_text(w, dur, c.dur);
		if (selected)
			wattroff(w, sel);
	}
	if (m->view.legend)
		draw_legend(w, p, m);
	draw_in_flight(w, p, m, -1);
	wnoutrefresh(w);
}

/* The model moved (a new trace, a fold, a selection) or the pane was
 * resized: the visible rows follow the selection. */
static void sync(struct pane *p, const struct model *m, unsigned changed)
{
	(void)changed;
	struct waterfall_state *st = p->priv;
	st->list.cursor = m->selected;
	pane_follow_cursor(&st->list, m->wf.nrows, visible_rows(p, m));
}

static struct intent handle(struct pane *p, const struct model *m, enum action action)
{
	if (action == ACT_FOLD)
		return model_selected_row(m) ? pane_intent(INTENT_TOGGLE_FOLD, m->selected) : pane_intent(INTENT_NONE, 0);
	struct waterfall_state *st = p->priv;
	st->list.cursor = m->selected;
	if (!pane_move_cursor(&st->list, action, m->wf.nrows, visible_rows(p, m)))
		return pane_intent(INTENT_NONE, 0);
	if (st->list.cursor == m->selected)
		return pane_intent(INTENT_REDRAW, 0);
	return pane_intent(INTENT_SELECT_ROW, st->list.cursor);
}

static struct intent click(struct pane *p, const struct model *m, int y, int x)
{
	(void)x;
	const struct waterfall_state *st = p->priv;
	if (y < 2 || (size_t)(y - 2) >= visible_rows(p, m))
		return pane_intent(INTENT_NONE, 0);
	size_t r = st->list.top + (size_t)(y - 2);
	if (r >= m->wf.nrows)
		return pane_intent(INTENT_NONE, 0);
	if (r == m->selected && m->wf.rows[r].kind == WF_ROW_GROUP)
		return pane_intent(INTENT_TOGGLE_FOLD, r); /* a second click on a group folds it */
	return pane_intent(INTENT_SELECT_ROW, r);
}

const struct pane_ops pane_waterfall_ops = {
	.name = "waterfall",
	.private_size = sizeof(struct waterfall_state),
	.focusable = true,
	.watches = MODEL_TRACE | MODEL_SELECTION | MODEL_IN_FLIGHT | MODEL_SEARCH,
	.draw = draw,
	.handle = handle,
	.click = click,
	.sync = sync,
};
