/* pane_sweep — every strategy across scales: a log-log chart of the median
 * request time against users, and the table behind it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "pane.h"
#include "draw.h"

#define AXIS_CELLS 8 /* the y axis' labels */

static const struct {
	const char *marker, *name;
	enum draw_role role;
} series[STRATEGY_COUNT] = {
	[STRATEGY_NAIVE] = { "N", "naive (N+1)", ROLE_ERROR },
	[STRATEGY_OPTIMIZED] = { "O", "optimized", ROLE_APP },
	[STRATEGY_EAGER] = { "E", "eager", ROLE_DB },
	[STRATEGY_PIPELINED] = { "P", "pipelined", ROLE_NET },
};

struct plot {
	int x, y, w, h;         /* the plotting area in the window */
	double x_lo, x_hi;      /* log10 users */
	double y_lo, y_hi;      /* log10 ns, whole decades */
};

static int px(const struct plot *pl, double users)
{
	double f = pl->x_hi > pl->x_lo ? (log10(users) - pl->x_lo) / (pl->x_hi - pl->x_lo) : 0.5;
	return pl->x + (int)lround(f * (pl->w - 1));
}

static int py(const struct plot *pl, double ns)
{
	double f = (log10(ns > 1 ? ns : 1) - pl->y_lo) / (pl->y_hi - pl->y_lo);
	return pl->y + pl->h - 1 - (int)lround(f * (pl->h - 1));
}

static void draw_axes(WINDOW *w, const struct plot *pl, const struct plan *plan)
{
	/* The axes: a line on the left with a tick at each decade, the scales below. */
	wattron(w, draw_attr(ROLE_DIM));
	for (int y = pl->y; y < pl->y + pl->h; y++)
		mvwaddstr(w, y, pl->x - 1, draw_glyphs()->vline);
	for (int d = (int)pl->y_lo; d <= (int)pl->y_hi; d++) {
		char label[16];
		draw_duration(label, sizeof label, (int64_t)pow(10, d));
		int y = py(pl, pow(10, d));
		wmove(w, y, pl->x - AXIS_CELLS - 1);
		draw_right(w, label, AXIS_CELLS - 1);
		waddch(w, ' ');
		waddstr(w, draw_glyphs()->tee_left);
	}
	for (size_t i = 0; i < plan->nscales; i++) {
		char label[16];
		snprintf(label, sizeof label, "%u", plan->users[i]);
		int x = px(pl, plan->users[i]) - (int)strlen(label) / 2;
		if (x + (int)strlen(label) > pl->x + pl->w)
			x = pl->x + pl->w - (int)strlen(label);
		draw_at(w, pl->y + pl->h, x < pl->x ? pl->x : x, label, 8);
	}
	wattroff(w, draw_attr(ROLE_DIM));
}

/* Markers already placed, so a later series steps aside instead of hiding one. */
struct taken {
	size_t n;
	int y[COMPARISON_MAX_CELLS], x[COMPARISON_MAX_CELLS];
};

static int free_x(struct taken *t, int y, int x)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->y[i] == y && t->x[i] == x) {
			x++;
			i = (size_t)-1; /* look again from the start */
		}
	}
	if (t->n < COMPARISON_MAX_CELLS) {
		t->y[t->n] = y;
		t->x[t->n++] = x;
	}
	return x;
}

static void draw_series(WINDOW *w, const struct plot *pl, const struct comparison_row *rows, size_t n,
                        enum strategy s)
{
	const struct comparison_row *prev = NULL;
	attr_t attr = draw_attr(series[s].role);
	wattron(w, attr);
	for (size_t i = 0; i < n; i++) {
		if (rows[i].strategy != s)
			continue;
		int x = px(pl, rows[i].users), y = py(pl, (double)rows[i].median_total_ns);
		if (prev) { /* a dotted line from the previous point */
			int x0 = px(pl, prev->users), y0 = py(pl, (double)prev->median_total_ns);
			int steps = abs(x - x0) > abs(y - y0) ? abs(x - x0) : abs(y - y0);
			for (int k = 1; k < steps; k++)
				mvwaddstr(w, y0 + (y - y0) * k / steps, x0 + (x - x0) * k / steps, draw_glyphs()->dot);
		}
		prev = &rows[i];
	}
	wattroff(w, attr);
}

static void draw_markers(WINDOW *w, const struct plot *pl, const struct comparison_row *rows, size_t n,
                         enum strategy s, struct taken *taken)
{
	wattron(w, draw_attr(series[s].role) | A_BOLD);
	for (size_t i = 0; i < n; i++) {
		if (rows[i].strategy != s)
			continue;
		int y = py(pl, (double)rows[i].median_total_ns);
		mvwaddstr(w, y, free_x(taken, y, px(pl, rows[i].users)), series[s].marker);
	}
	wattroff(w, draw_attr(series[s].role) | A_BOLD);
}

/* The table: per strategy, its queries and median time at each scale. The
 * time is what the sweep is for; where "10001 queries 11.00s" does not fit
 * three times across, the queries lose their word ("10001 q"). */
static void draw_table(WINDOW *w, int y, int width, const struct plan *plan, const struct comparison_row *rows,
                       size_t n, int nstrategies)
{
	static const int wide_cells = 3 + 13 + 1 + 9, narrow_cells = 2 + 7 + 1 + 9;
	bool wide = 7 + nstrategies * wide_cells <= width - 4;
	int cells = wide ? wide_cells : narrow_cells;
	wattron(w, draw_attr(ROLE_DIM));
	wmove(w, y, 2);
	draw_right(w, "users", 7);
	for (int s = 0; s < nstrategies; s++)
		draw_fmt(w, cells, "%*s%-*s", wide ? 3 : 2, "", cells - (wide ? 3 : 2), series[s].name);
	wattroff(w, draw_attr(ROLE_DIM));
	for (size_t i = 0; i < plan->nscales; i++) {
		wmove(w, y + 1 + (int)i, 2);
		char users[16];
		snprintf(users, sizeof users, "%u", plan->users[i]);
		draw_right(w, users, 7);
		for (int s = 0; s < nstrategies; s++) {
			const struct comparison_row *r = NULL;
			for (size_t k = 0; k < n; k++)
				if (rows[k].users == plan->users[i] && rows[k].strategy == (enum strategy)s)
					r = &rows[k];
			char total[16] = "", queries[24] = "";
			if (r) {
				draw_duration(total, sizeof total, r->median_total_ns);
				if (wide)
					snprintf(queries, sizeof queries, "%u quer%s", r->queries_per_request,
					         r->queries_per_request == 1 ? "y" : "ies");
				else
					snprintf(queries, sizeof queries, "%u q", r->queries_per_request);
			}
			if (wide)
				draw_fmt(w, cells, "   %13s %-9s", queries, r ? total : "-");
			else
				draw_fmt(w, cells, "  %7s %-9s", queries, r ? total : "-");
		}
	}
}

static void draw(struct pane *p, const struct model *m, bool focus)
{
	(void)focus;
	WINDOW *w = p->win;
	const struct measurement *meas = &m->sweep;
	const struct glyphs *g = draw_glyphs();
	werase(w);
	char title[160];
	int nstrategies = (int)strategy_count(m->engine);
	if (m->engine == LABDB_POSTGRESQL)
		snprintf(title, sizeof title, "Sweep %s median request time against users %s PostgreSQL, round trips measured %s index %s",
		         g->dot, g->dot, g->dot, meas->index ? "on" : "off");
	else
		snprintf(title, sizeof title, "Sweep %s median request time against users %s RTT %u%ss (simulated) %s index %s",
		         g->dot, g->dot, meas->rtt_us, g->mu, g->dot, meas->index ? "on" : "off");
	draw_frame(w, title, true);
	pane_draw_progress(w, 1, p->w, m, meas);

	struct comparison_row rows[COMPARISON_MAX_CELLS];
	size_t n = comparison_rows(&meas->results, rows, COMPARISON_MAX_CELLS);
	int table_h = (int)meas->plan.nscales + 2;
	struct plot pl = { .x = 2 + AXIS_CELLS, .y = 3, .w = p->w - 6 - AXIS_CELLS, .h = p->h - 3 - table_h - 5 };
	if (meas->plan.nscales > 0) {
		pl.x_lo = log10(meas->plan.users[0]);
		pl.x_hi = log10(meas->plan.users[meas->plan.nscales - 1]);
	}
	double lo = 1e5, hi = 1e6; /* 100 µs to 1 ms until something is measured */
	for (size_t i = 0; i < n; i++) {
		double v = (double)rows[i].median_total_ns;
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	pl.y_lo = floor(log10(lo));
	pl.y_hi = ceil(log10(hi));
	if (pl.y_hi <= pl.y_lo)
		pl.y_hi = pl.y_lo + 1;
	if (pl.h >= 4 && pl.w >= 20) {
		draw_axes(w, &pl, &meas->plan);
		struct taken taken = { 0 };
		for (int s = 0; s < nstrategies; s++)
			draw_series(w, &pl, rows, n, (enum strategy)s);
		for (int s = 0; s < nstrategies; s++)
			draw_markers(w, &pl, rows, n, (enum strategy)s, &taken);
	}
	int y = pl.y + pl.h + 1;
	wmove(w, y, 2);
	for (int s = 0; s < nstrategies; s++) {
		wattron(w, draw_attr(series[s].role) | A_BOLD);
		draw_text(w, series[s].marker, 1);
		wattroff(w, draw_attr(series[s].role) | A_BOLD);
		draw_fmt(w, 20, " %s    ", series[s].name);
	}
	wattron(w, draw_attr(ROLE_DIM));
	draw_text(w, "(users across, median request time up; both log scales)", p->w - 50);
	wattroff(w, draw_attr(ROLE_DIM));
	draw_table(w, y + 2, p->w, &meas->plan, rows, n, nstrategies);
	wattron(w, draw_attr(ROLE_DIM));
	draw_at(w, p->h - 2, 2, "Esc/q: back (cancels a sweep)  s: sweep again  r RTT, i index: swept again", p->w - 4);
	wattroff(w, draw_attr(ROLE_DIM));
	wnoutrefresh(w);
}

const struct pane_ops pane_sweep_ops = {
	.name = "sweep",
	.watches = MODEL_MEASURE,
	.focusable = true,
	.draw = draw,
};
