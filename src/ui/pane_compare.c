/* pane_compare — naive, optimized and eager measured side by side at the
 * current settings: the original lab's table. */
#include <stdio.h>

#include "model.h"
#include "pane.h"
#include "draw.h"

/* The table's columns, left to right; when they do not all fit, those
 * with the lowest keep give way first. The strategy, its total and the
 * share in the database (what the comparison is for) always stay. */
enum column { STRATEGY, QUERIES, DATABASE, NETWORK, APP, TOTAL, IN_DB, VS_NAIVE, NCOLS, SCALING = NCOLS };
#define ALWAYS 99

static const struct {
	const char *title;
	int keep;
	enum draw_role role;
} cols[] = {
	[STRATEGY] = { "strategy", ALWAYS, ROLE_NORMAL },
	[QUERIES] = { "queries", 4, ROLE_NORMAL },
	[DATABASE] = { "database", 3, ROLE_DB },
	[NETWORK] = { "network", 2, ROLE_NET },
	[APP] = { "app", 1, ROLE_APP },
	[TOTAL] = { "total", ALWAYS, ROLE_NORMAL },
	[IN_DB] = { "in DB", ALWAYS, ROLE_NORMAL },
	[VS_NAIVE] = { "vs naive", 5, ROLE_NORMAL },
	[SCALING] = { "queries for N users", 0, ROLE_NORMAL },
};
#define COLUMN_GAP 2

static void row_cells(const struct comparison_row *r, char cell[NCOLS][24])
{
	snprintf(cell[STRATEGY], sizeof cell[STRATEGY], "%s",
	         r->strategy == STRATEGY_NAIVE ? "naive (N+1)" : strategy_name(r->strategy));
	snprintf(cell[QUERIES], sizeof cell[QUERIES], "%u", r->queries_per_request);
	draw_duration(cell[DATABASE], sizeof cell[DATABASE], r->median_db_ns);
	draw_duration(cell[NETWORK], sizeof cell[NETWORK], r->median_network_ns);
	draw_duration(cell[APP], sizeof cell[APP], r->median_app_ns);
	draw_duration(cell[TOTAL], sizeof cell[TOTAL], r->median_total_ns);
	snprintf(cell[IN_DB], sizeof cell[IN_DB], "%.1f%%", 100.0 * r->db_share);
	snprintf(cell[VS_NAIVE], sizeof cell[VS_NAIVE], "%.1f%s", r->speedup_vs_naive, draw_glyphs()->times);
}

/* Each column as wide as its widest value and a gap (the strategy's at
 * least as wide as "naive (N+1)", so the table does not move as rows come
 * in); then the columns that fit in inner cells. */
static void fit_columns(char cell[][NCOLS][24], size_t n, int inner, int width[NCOLS], bool shown[NCOLS])
{
	int used = 0;
	for (size_t c = 0; c < NCOLS; c++) {
		width[c] = draw_width(c == STRATEGY ? "naive (N+1)" : cols[c].title);
		for (size_t i = 0; i < n; i++)
			width[c] = draw_width(cell[i][c]) > width[c] ? draw_width(cell[i][c]) : width[c];
		width[c] += COLUMN_GAP;
		shown[c] = true;
		used += width[c];
	}
	for (int keep = 1; keep < ALWAYS && used > inner; keep++) {
		for (size_t c = 0; c < NCOLS; c++) {
			if (cols[c].keep == keep) {
				shown[c] = false;
				used -= width[c];
			}
		}
	}
}

/* The strategy left-aligned, the figures right-aligned. */
static void draw_column(WINDOW *w, size_t c, const char *text, int width)
{
	if (c != STRATEGY) {
		draw_right(w, text, width);
		return;
	}
	int used = draw_text(w, text, width);
	for (; used < width; used++)
		waddch(w, ' ');
}

static void draw(struct pane *p, const struct model *m, bool focus)
{
	(void)focus;
	WINDOW *w = p->win;
	const struct measurement *meas = &m->compare;
	const struct glyphs *g = draw_glyphs();
	werase(w);
	char title[160];
	bool pg = m->engine == LABDB_POSTGRESQL;
	if (pg)
		snprintf(title, sizeof title, "Comparison %s %u users %s PostgreSQL, round trips measured %s index %s %s %u request%s each",
		         g->dot, meas->plan.users[0], g->dot, g->dot, meas->index ? "on" : "off", g->dot,
		         meas->plan.requests, meas->plan.requests == 1 ? "" : "s");
	else
		snprintf(title, sizeof title, "Comparison %s %u users %s RTT %u%ss (simulated) %s index %s %s %u request%s each",
		         g->dot, meas->plan.users[0], g->dot, meas->rtt_us, g->mu, g->dot, meas->index ? "on" : "off", g->dot,
		         meas->plan.requests, meas->plan.requests == 1 ? "" : "s");
	draw_frame(w, title, true);
	int inner = p->w - 4;
	pane_draw_progress(w, 2, p->w, m, meas);

	struct comparison_row rows[COMPARISON_MAX_CELLS];
	size_t n = comparison_rows(&meas->results, rows, COMPARISON_MAX_CELLS);
	static char cell[COMPARISON_MAX_CELLS][NCOLS][24];
	for (size_t i = 0; i < n; i++)
		row_cells(&rows[i], cell[i]);
	int width[NCOLS];
	bool shown[NCOLS];
	fit_columns(cell, n, inner, width, shown);
	int used = 0;
	for (size_t c = 0; c < NCOLS; c++)
		used += shown[c] ? width[c] : 0;
	/* How each scales, last: only where it fits whole. */
	int scaling = inner - used >= 3 + draw_width(cols[SCALING].title) ? inner - used : 0;

	wattron(w, draw_attr(ROLE_DIM));
	wmove(w, 4, 2);
	for (size_t c = 0; c < NCOLS; c++)
		if (shown[c])
			draw_column(w, c, cols[c].title, width[c]);
	if (scaling)
		draw_fmt(w, scaling, "   %s", cols[SCALING].title);
	wattroff(w, draw_attr(ROLE_DIM));

	for (size_t i = 0; i < n; i++) {
		const struct comparison_row *r = &rows[i];
		wmove(w, 5 + (int)i, 2);
		for (size_t c = 0; c < NCOLS; c++) {
			if (!shown[c])
				continue;
			attr_t attr = c == STRATEGY ? A_BOLD : draw_attr(cols[c].role);
			wattron(w, attr);
			draw_column(w, c, cell[i][c], width[c]);
			wattroff(w, attr);
		}
		if (scaling)
			draw_fmt(w, scaling, "   %s", comparison_scaling(r->strategy));
	}
	int y = 5 + (int)(n > 0 ? n : 3) + 1;
	wattron(w, draw_attr(ROLE_DIM));
	draw_at(w, y++, 2, "in DB: database and network time over the total. vs naive: naive's median over this one.", inner);
	if (pg) {
		draw_at(w, y++, 2, "The network is measured: each query's round trip, timed over the connection.", inner);
		draw_at(w, y + 1, 2, "i: index on/off, measured again", inner);
	} else {
		draw_at(w, y++, 2, "The network is simulated (RTT 0 is embedded SQLite alone).", inner);
		draw_at(w, y + 1, 2, "r: next RTT, measured again    i: index on/off, measured again", inner);
	}
	draw_at(w, y + 2, 2, "Esc or q: back    c: measure again", inner);
	wattroff(w, draw_attr(ROLE_DIM));
	wnoutrefresh(w);
}

const struct pane_ops pane_compare_ops = {
	.name = "comparison",
	.watches = MODEL_MEASURE,
	.focusable = true,
	.draw = draw,
};
