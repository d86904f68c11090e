/* pane_queries — the shown trace's statements (or the last minute's; a
 * file's: all its traces'), one entry per fingerprint, most total time
 * first: a line of figures, then the fingerprint itself. */
#include <stdio.h>

#include "model.h"
#include "pane.h"
#include "draw.h"
#include "obslab/store.h"
#include "obslab/strtab.h"

#define ROWS_PER_QUERY 2

static const struct {
	const char *title;
	int cells;
} columns[] = { { "calls", 6 }, { "total", 8 }, { "mean", 8 }, { "p95", 8 }, { "rows", 6 } };
#define NCOLUMNS (sizeof columns / sizeof columns[0])

static size_t visible_queries(const struct pane *p)
{
	size_t rows = p->h > 3 ? (size_t)(p->h - 3) : 0; /* borders and the header */
	return rows / ROWS_PER_QUERY;
}

static void draw(struct pane *p, const struct model *m, bool focus)
{
	WINDOW *w = p->win;
	const struct pane_list *l = p->priv;
	werase(w);
	char title[64];
	snprintf(title, sizeof title, "Queries %s %s %s %zu fingerprint%s (w)", draw_glyphs()->dot,
	         !m->queries_window ? "this trace" : m->whole_file ? "all traces in the file" : "last minute", draw_glyphs()->dot, m->nqueries,
	         m->nqueries == 1 ? "" : "s");
	draw_frame(w, title, focus);
	int inner = p->w - 2;
	wattron(w, draw_attr(ROLE_DIM));
	wmove(w, 1, 1);
	for (size_t c = 0; c < NCOLUMNS; c++)
		draw_right(w, columns[c].title, columns[c].cells);
	wattroff(w, draw_attr(ROLE_DIM));

	size_t shown = visible_queries(p);
	for (size_t i = 0; i < shown && l->top + i < m->nqueries; i++) {
		size_t k = l->top + i;
		const struct query_stat *q = &m->queries[k];
		char cell[NCOLUMNS][24];
		snprintf(cell[0], sizeof cell[0], "%u", q->calls);
		draw_duration(cell[1], sizeof cell[1], q->total_ns);
		draw_duration(cell[2], sizeof cell[2], q->mean_ns);
		draw_duration(cell[3], sizeof cell[3], q->p95_ns);
		draw_count(cell[4], sizeof cell[4], q->rows);
		int y = 2 + (int)(i * ROWS_PER_QUERY);
		bool selected = k == l->cursor && focus;
		if (selected)
			wattron(w, draw_attr(ROLE_SELECTED));
		wmove(w, y, 1);
		int used = 0;
		for (size_t c = 0; c < NCOLUMNS && used < inner; c++)
			used += draw_right(w, cell[c], columns[c].cells);
		if (selected)
			wattroff(w, draw_attr(ROLE_SELECTED));
		char tag[48];
		pane_finding_tag(model_query_finding(m, q->fingerprint, FINDING_N_PLUS_ONE),
		                model_query_finding(m, q->fingerprint, FINDING_FULL_SCAN_LOOP), tag, sizeof tag);
		if (tag[0]) {
			wattron(w, draw_attr(ROLE_WARN));
			draw_fmt(w, inner - used, " %s", tag);
			wattroff(w, draw_attr(ROLE_WARN));
		}
		wattron(w, draw_attr(ROLE_DB));
		draw_at(w, y + 1, 3, strtab_get(m->source->names, q->fingerprint), inner - 3);
		wattroff(w, draw_attr(ROLE_DB));
	}
	wnoutrefresh(w);
}

/* A new list: the cursor stays within it, the list shows from its top. */
static void sync(struct pane *p, const struct model *m, unsigned changed)
{
	if (changed & MODEL_QUERIES)
		pane_follow_cursor(p->priv, m->nqueries, 1000);
}

static struct intent handle(struct pane *p, const struct model *m, enum action action)
{
	bool moved = pane_move_cursor(p->priv, action, m->nqueries, visible_queries(p));
	return pane_intent(moved ? INTENT_REDRAW : INTENT_NONE, 0);
}

static struct intent click(struct pane *p, const struct model *m, int y, int x)
{
	(void)x;
	struct pane_list *l = p->priv;
	if (y < 2)
		return pane_intent(INTENT_NONE, 0);
	size_t k = l->top + (size_t)(y - 2) / ROWS_PER_QUERY;
	if (k >= m->nqueries)
		return pane_intent(INTENT_NONE, 0);
	l->cursor = k;
	return pane_intent(INTENT_REDRAW, 0);
}

const struct pane_ops pane_queries_ops = {
	.name = "queries",
	.private_size = sizeof(struct pane_list),
	.focusable = true,
	.watches = MODEL_TRACE | MODEL_QUERIES,
	.draw = draw,
	.handle = handle,
	.click = click,
	.sync = sync,
};
