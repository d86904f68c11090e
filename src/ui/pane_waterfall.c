/* The waterfall: the shown trace as a time ruler and one bar per row. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "draw.h"
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

size_t pane_waterfall_rows(const struct pane *p)
{
	return p->h > 3 ? (size_t)(p->h - 3) : 0; /* borders and the ruler */
}

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

static void draw_ruler(WINDOW *w, const struct columns *c, int64_t span_ns)
{
	const struct glyphs *g = draw_glyphs();
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
	wattron(w, draw_attr(ROLE_DIM));
	for (int64_t t = 0; t <= span_ns; t += step) {
		int x = (int)(pos8(t, 0, span_ns, c->bar) / 8);
		char label[16];
		if (t == 0)
			snprintf(label, sizeof label, "0");
		else
			ruler_label(label, sizeof label, t);
		if (x + 1 + (int)strlen(label) > c->bar)
			break;
		mvwaddstr(w, 1, c->bar_x + x, g->tick);
		draw_text(w, label, c->bar - x - 1);
	}
	wattroff(w, draw_attr(ROLE_DIM));
	mvwaddstr(w, 1, 1, "");
	draw_text(w, "span", c->name);
	wmove(w, 1, c->dur_x);
	draw_text(w, "duration", c->dur);
}

static void draw_name(WINDOW *w, const struct app *app, const struct wf_row *row,
                      const struct columns *c, int y)
{
	const struct glyphs *g = draw_glyphs();
	const struct span_record *s = &app->shown->spans[row->span];
	char label[256], name[320];
	app_span_label(app, s, label, sizeof label);
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
		snprintf(suffix, sizeof suffix, " %s%u", g->times, row->count);
		app_finding_tag(app_row_finding(app, row, FINDING_N_PLUS_ONE),
		                app_row_finding(app, row, FINDING_FULL_SCAN_LOOP), tag, sizeof tag);
	} else {
		snprintf(name, sizeof name, "%s", label);
		if (s->flags & (SPAN_F_ERROR | SPAN_F_CANCELLED))
			snprintf(suffix, sizeof suffix, "%s", s->flags & SPAN_F_CANCELLED ? " (cancelled)" : " (error)");
	}
	int reserved = draw_width(suffix) + (tag[0] ? 1 + draw_width(tag) : 0);
	used += draw_text(w, name, c->name - used - reserved);
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

static void draw_span_bar(WINDOW *w, const struct span_record *s, int64_t t0, int64_t span,
                          const struct columns *c, int y)
{
	int64_t a = pos8(s->start_ns, t0, span, c->bar), b = pos8(s->end_ns, t0, span, c->bar);
	if (!(s->flags & SPAN_F_DB)) {
		draw_bar(w, y, c->bar_x, a, b, draw_attr(ROLE_APP));
		return;
	}
	/* The simulated round trip comes first in a query's span. */
	int64_t net_end = pos8(s->start_ns + s->u.db.net_wait_ns, t0, span, c->bar);
	if (s->u.db.net_wait_ns > 0 && net_end > a) {
		draw_bar(w, y, c->bar_x, a, net_end, draw_attr(ROLE_NET));
		if (b > net_end)
			draw_bar(w, y, c->bar_x, net_end, b, draw_attr(ROLE_DB));
	} else {
		draw_bar(w, y, c->bar_x, a, b, draw_attr(ROLE_DB));
	}
}

static void draw_group_bar(WINDOW *w, const struct app *app, const struct wf_row *row, int64_t t0,
                           int64_t span, const struct columns *c, int y)
{
	const struct glyphs *g = draw_glyphs();
	int from = (int)(pos8(row->start_ns, t0, span, c->bar) / 8);
	int to = (int)((pos8(row->end_ns, t0, span, c->bar) + 7) / 8);
	wattron(w, draw_attr(ROLE_DIM));
	for (int x = from; x < to && x < c->bar; x++)
		mvwaddstr(w, y, c->bar_x + x, g->light);
	wattroff(w, draw_attr(ROLE_DIM));
	if (row->expanded)
		return;
	/* Folded: every member still shows where it ran, a comb of slivers. */
	const struct span_record *first = &app->shown->spans[row->span];
	for (uint32_t k = 0; k < row->count; k++)
		draw_span_bar(w, first + k, t0, span, c, y);
}

static void draw(struct pane *p, const struct app *app)
{
	WINDOW *w = p->win;
	werase(w);
	const struct trace *t = app->shown;
	char title[160] = "Waterfall";
	if (t) {
		char dur[16];
		draw_duration(dur, sizeof dur, span_duration_ns(&t->spans[0]));
		const char *dot = draw_glyphs()->dot;
		snprintf(title, sizeof title, "Waterfall %s trace #%llu %s %zu spans %s %u quer%s %s %s%s", dot,
		         (unsigned long long)t->seq, dot, t->nspans, dot, app->attr.queries,
		         app->attr.queries == 1 ? "y" : "ies", dot, dur,
		         t->spans[0].flags & SPAN_F_CANCELLED ? " (cancelled)" : "");
	}
	draw_frame(w, title, app->focus == PANE_WATERFALL);
	if (!t) {
		draw_at(w, 2, 2, "waiting for the first request...", p->w - 4);
		wnoutrefresh(w);
		return;
	}
	struct columns c = columns(p);
	int64_t t0 = t->spans[0].start_ns, span = span_duration_ns(&t->spans[0]);
	draw_ruler(w, &c, span);

	size_t rows = pane_waterfall_rows(p);
	for (size_t i = 0; i < rows && p->top + i < app->wf.nrows; i++) {
		size_t r = p->top + i;
		const struct wf_row *row = &app->wf.rows[r];
		int y = 2 + (int)i;
		bool selected = r == p->cursor;
		attr_t sel = draw_attr(app->focus == PANE_WATERFALL ? ROLE_SELECTED : ROLE_TITLE);
		if (selected)
			wattron(w, sel);
		draw_name(w, app, row, &c, y);
		if (selected)
			wattroff(w, sel);
		if (row->kind == WF_ROW_GROUP)
			draw_group_bar(w, app, row, t0, span, &c, y);
		else
			draw_span_bar(w, &t->spans[row->span], t0, span, &c, y);
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
	wnoutrefresh(w);
}

static enum pane_result toggle_fold(struct pane *p, struct app *app)
{
	const struct wf_row *row = app_selected_row(app);
	if (!row)
		return PANE_IGNORED;
	/* On a member of an expanded group, fold that group: members are the
	 * run of rows one level below the group row that precedes them. */
	const struct wf_row *rows = app->wf.rows;
	size_t g = p->cursor;
	if (row->kind != WF_ROW_GROUP) {
		while (g > 0 && rows[g - 1].kind == WF_ROW_SPAN && rows[g - 1].depth == row->depth)
			g--;
		if (g == 0 || rows[g - 1].kind != WF_ROW_GROUP || rows[g - 1].depth + 1 != row->depth)
			return PANE_HANDLED;
		g--;
	}
	const struct wf_row *group = &app->wf.rows[g];
	uint32_t name = app->shown->spans[group->span].name;
	wf_folds_set(&app->folds, name, group->expanded ? WF_FOLD_CLOSED : WF_FOLD_OPEN);
	p->cursor = g;
	view_relayout(app);
	return PANE_CHANGED;
}

static enum pane_result handle(struct pane *p, struct app *app, enum action action)
{
	if (action == ACT_FOLD)
		return toggle_fold(p, app);
	return pane_move_cursor(p, action, app->wf.nrows, pane_waterfall_rows(p));
}

static enum pane_result click(struct pane *p, struct app *app, int y, int x)
{
	(void)x;
	if (y < 2 || (size_t)(y - 2) >= pane_waterfall_rows(p))
		return PANE_HANDLED;
	size_t r = p->top + (size_t)(y - 2);
	if (r >= app->wf.nrows)
		return PANE_HANDLED;
	if (r == p->cursor && app->wf.rows[r].kind == WF_ROW_GROUP)
		return toggle_fold(p, app); /* a second click on a group folds it */
	p->cursor = r;
	p->dirty = true;
	return PANE_CHANGED;
}

const struct pane_ops pane_waterfall_ops = {
	.name = "waterfall",
	.focusable = true,
	.draw = draw,
	.handle = handle,
	.click = click,
};
