/* pane_queries — the shown trace's statements (or the last minute's; a
 * file's: all its traces'), one entry per fingerprint, sorted by the column
 * the header marks (< > change it; most total time first at start): a line
 * of figures, then the fingerprint itself. Enter on one highlights its spans
 * in the waterfall and shows its whole SQL in the details pane. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "pane.h"
#include "draw.h"
#include "obslab/store.h"
#include "obslab/strtab.h"

#define ROWS_PER_QUERY 2

/* Left to right; when they do not all fit, the last go first: calls and
 * total, what the list is for, always stay, and so does the sort column
 * (its marker says what the order is). */
static const char *const columns[] = { "calls", "total", "mean", "p95", "rows" };
#define NCOLUMNS (sizeof columns / sizeof columns[0])
#define KEPT_COLUMNS 2
#define COLUMN_GAP 2

/* The column titles, the sort column marked: "total▾". */
static void column_titles(const struct model *m, char title[NCOLUMNS][16])
{
	for (size_t c = 0; c < NCOLUMNS; c++)
		snprintf(title[c], sizeof title[c], "%s%s", columns[c], c == (size_t)m->q.sort ? draw_glyphs()->open : "");
}

static void query_cells(const struct query_stat *q, char cell[NCOLUMNS][32])
{
	draw_count(cell[0], sizeof cell[0], q->calls);
	draw_duration(cell[1], sizeof cell[1], q->total_ns);
	draw_duration(cell[2], sizeof cell[2], q->mean_ns);
	draw_duration(cell[3], sizeof cell[3], q->p95_ns);
	if (q->rows_known || q->calls == 0)
		draw_count(cell[4], sizeof cell[4], q->rows);
	else
		snprintf(cell[4], sizeof cell[4], "-"); /* a foreign file gave no row counts */
}

/* Which columns fit in inner cells: the first KEPT_COLUMNS and the sort
 * column always, then the others left to right while they fit. Returns how
 * many are shown. */
static size_t columns_fitting(const int width[NCOLUMNS], int gap, int tags, int inner, size_t sort,
                              bool show[NCOLUMNS])
{
	size_t n = 0;
	int used = 0;
	for (size_t c = 0; c < NCOLUMNS; c++) {
		show[c] = c < KEPT_COLUMNS || c == sort;
		if (show[c]) {
			used += width[c] + gap;
			n++;
		}
	}
	for (size_t c = KEPT_COLUMNS; c < NCOLUMNS; c++) {
		if (show[c])
			continue;
		if (used + width[c] + gap + tags > inner)
			break;
		show[c] = true;
		used += width[c] + gap;
		n++;
	}
	return n;
}

/* The finding tags, and "overlap" when the calls overlapped (a pipeline's):
 * their total is then wall-clock time, less than the per-call mean x calls
 * (the details pane says both). */
static void query_tag(const struct model *m, const struct query_stat *q, char *tag, size_t cap)
{
	pane_finding_tag(model_query_finding(m, q->fingerprint, FINDING_N_PLUS_ONE),
	                 model_query_finding(m, q->fingerprint, FINDING_FULL_SCAN_LOOP), tag, cap);
	if (q->summed_ns > q->total_ns) {
		size_t len = strlen(tag);
		snprintf(tag + len, cap - len, "%soverlap", len ? " " : "");
	}
}

/* Each column as wide as its widest value (or title) and a gap, so figures
 * never run together; the columns shown are those that fit in inner cells
 * with the finding tags after them (" ⚠N+1 scan"). Returns how many. */
static size_t fit_columns(const struct model *m, const struct pane_list *l, size_t shown, int inner,
                          int width[NCOLUMNS], bool show[NCOLUMNS])
{
	char title[NCOLUMNS][16];
	column_titles(m, title);
	for (size_t c = 0; c < NCOLUMNS; c++)
		width[c] = draw_width(title[c]);
	int tags = 0;
	for (size_t i = 0; i < shown && l->top + i < m->nqueries; i++) {
		char cell[NCOLUMNS][32], tag[48];
		query_cells(&m->queries[l->top + i], cell);
		for (size_t c = 0; c < NCOLUMNS; c++)
			width[c] = draw_width(cell[c]) > width[c] ? draw_width(cell[c]) : width[c];
		query_tag(m, &m->queries[l->top + i], tag, sizeof tag);
		if (tag[0] && 1 + draw_width(tag) > tags)
			tags = 1 + draw_width(tag);
	}
	/* Two spaces between columns where all fit, one where that shows more. */
	size_t sort = (size_t)m->q.sort;
	int gap = columns_fitting(width, COLUMN_GAP, tags, inner, sort, show) == NCOLUMNS ? COLUMN_GAP : 1;
	size_t n = columns_fitting(width, gap, tags, inner, sort, show);
	for (size_t c = 0; c < NCOLUMNS; c++)
		width[c] += gap;
	return n;
}

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
	size_t shown = visible_queries(p);
	int width[NCOLUMNS];
	bool show[NCOLUMNS];
	fit_columns(m, l, shown, inner, width, show);
	char titles[NCOLUMNS][16];
	column_titles(m, titles);
	wmove(w, 1, 1);
	for (size_t c = 0; c < NCOLUMNS; c++) {
		if (!show[c])
			continue;
		attr_t a = draw_attr(c == (size_t)m->q.sort ? ROLE_TITLE : ROLE_DIM);
		wattron(w, a);
		draw_right(w, titles[c], width[c]);
		wattroff(w, a);
	}

	for (size_t i = 0; i < shown && l->top + i < m->nqueries; i++) {
		size_t k = l->top + i;
		const struct query_stat *q = &m->queries[k];
		char cell[NCOLUMNS][32];
		query_cells(q, cell);
		int y = 2 + (int)(i * ROWS_PER_QUERY);
		bool selected = k == l->cursor && focus;
		if (selected)
			wattron(w, draw_attr(ROLE_SELECTED));
		wmove(w, y, 1);
		int used = 0;
		for (size_t c = 0; c < NCOLUMNS && used < inner; c++)
			if (show[c])
				used += draw_right(w, cell[c], width[c] < inner - used ? width[c] : inner - used);
		if (selected)
			wattroff(w, draw_attr(ROLE_SELECTED));
		char tag[48];
		query_tag(m, q, tag, sizeof tag);
		if (tag[0] && 1 + draw_width(tag) <= inner - used) {
			wattron(w, draw_attr(ROLE_WARN));
			draw_fmt(w, inner - used, " %s", tag);
			wattroff(w, draw_attr(ROLE_WARN));
		}
		if (m->q.chosen && m->q.fingerprint == q->fingerprint) /* its spans highlighted in the waterfall */
			draw_at(w, y + 1, 1, draw_unicode() ? "▶" : ">", 1);
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
	const struct pane_list *l = p->priv;
	if (action == ACT_SORT_PREV || action == ACT_SORT_NEXT)
		return pane_intent(INTENT_SORT_QUERIES, action == ACT_SORT_NEXT);
	if (action == ACT_FOLD)
		return l->cursor < m->nqueries ? pane_intent(INTENT_CHOOSE_QUERY, l->cursor) : pane_intent(INTENT_NONE, 0);
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
