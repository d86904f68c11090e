/* pane_compare — naive, optimized and eager measured side by side at the
 * current settings: the original lab's table. */
#include <stdio.h>

#include "model.h"
#include "pane.h"
#include "draw.h"

static void draw(struct pane *p, const struct model *m, bool focus)
{
	(void)focus;
	WINDOW *w = p->win;
	const struct measurement *meas = &m->compare;
	const struct glyphs *g = draw_glyphs();
	werase(w);
	char title[160];
	snprintf(title, sizeof title, "Comparison %s %u users %s RTT %u%ss (simulated) %s index %s %s %u request%s each",
	         g->dot, meas->plan.users[0], g->dot, meas->rtt_us, g->mu, g->dot, meas->index ? "on" : "off", g->dot,
	         meas->plan.requests, meas->plan.requests == 1 ? "" : "s");
	draw_frame(w, title, true);
	int inner = p->w - 4;
	pane_draw_progress(w, 2, p->w, m, meas);

	static const struct {
		const char *title;
		int cells;
	} cols[] = { { "strategy", 11 }, { "queries", 9 }, { "database", 11 }, { "network", 11 }, { "app", 11 },
	             { "total", 11 },   { "in DB", 8 },   { "vs naive", 10 } };
	wattron(w, draw_attr(ROLE_DIM));
	wmove(w, 4, 2);
	int used = draw_text(w, cols[0].title, cols[0].cells);
	for (int i = used; i < cols[0].cells; i++)
		waddch(w, ' ');
	for (size_t c = 1; c < sizeof cols / sizeof cols[0]; c++)
		draw_right(w, cols[c].title, cols[c].cells);
	draw_text(w, "   queries for N users", inner - 82);
	wattroff(w, draw_attr(ROLE_DIM));

	struct comparison_row rows[COMPARISON_MAX_CELLS];
	size_t n = comparison_rows(&meas->results, rows, COMPARISON_MAX_CELLS);
	for (size_t i = 0; i < n; i++) {
		const struct comparison_row *r = &rows[i];
		char cell[8][24];
		snprintf(cell[1], sizeof cell[1], "%u", r->queries_per_request);
		draw_duration(cell[2], sizeof cell[2], r->median_db_ns);
		draw_duration(cell[3], sizeof cell[3], r->median_network_ns);
		draw_duration(cell[4], sizeof cell[4], r->median_app_ns);
		draw_duration(cell[5], sizeof cell[5], r->median_total_ns);
		snprintf(cell[6], sizeof cell[6], "%.1f%%", 100.0 * r->db_share);
		snprintf(cell[7], sizeof cell[7], "%.1f%s", r->speedup_vs_naive, g->times);
		int y = 5 + (int)i;
		wmove(w, y, 2);
		wattron(w, A_BOLD);
		used = draw_text(w, r->strategy == STRATEGY_NAIVE ? "naive (N+1)" : strategy_name(r->strategy), cols[0].cells);
		wattroff(w, A_BOLD);
		for (int k = used; k < cols[0].cells; k++)
			waddch(w, ' ');
		for (size_t c = 1; c < 8; c++) {
			enum draw_role role = c == 2 ? ROLE_DB : c == 3 ? ROLE_NET : c == 4 ? ROLE_APP : ROLE_NORMAL;
			wattron(w, draw_attr(role));
			draw_right(w, cell[c], cols[c].cells);
			wattroff(w, draw_attr(role));
		}
		draw_fmt(w, inner - 82, "   %s", comparison_scaling(r->strategy));
	}
	int y = 5 + (int)(n > 0 ? n : 3) + 1;
	wattron(w, draw_attr(ROLE_DIM));
	draw_at(w, y++, 2, "in DB: database and network time over the total. vs naive: naive's median over this one.", inner);
	draw_at(w, y++, 2, "The network is simulated (RTT 0 is embedded SQLite alone).", inner);
	draw_at(w, y + 1, 2, "r: next RTT, measured again    i: index on/off, measured again", inner);
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
