/* pane_traces — the trace list: a row per trace (service, root, start,
 * duration, spans, errors, findings), sorted by the column marked in the
 * header (< >), filtered (\, the prompt on its last row); Enter opens the
 * selected trace. Full screen (T), and a pane above the waterfall where
 * the terminal is tall enough. A received trace still open (spans may
 * join it) says "open" for its duration. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "pane.h"
#include "draw.h"

#define COLUMN_GAP 2

/* Left to right: the root name takes what the others leave. */
static const enum tracelist_col order[] = { TRACELIST_START, TRACELIST_DURATION, TRACELIST_SERVICE,
	                                    TRACELIST_ROOT,  TRACELIST_SPANS,    TRACELIST_ERRORS,
	                                    TRACELIST_FINDINGS };
#define NCOLS (sizeof order / sizeof order[0])

/* Each column's cells (without the gap) on a wide list and on a narrow one
 * (80 columns), and its header there: on a narrow list the counts take
 * short headers and the service a little less, so that every column stays
 * and the root name takes the cut. The root takes what the others leave.
 * A wide cell holds its header and the sort mark ("errors▼"). */
static const struct {
	int wide, narrow;
	const char *short_name; /* the header on a narrow list, or NULL: the column's name */
} shape[TRACELIST_NCOLS] = {
	[TRACELIST_START] = { 8, 7, NULL },      [TRACELIST_DURATION] = { 9, 9, NULL },
	[TRACELIST_SERVICE] = { 12, 10, NULL },  [TRACELIST_ROOT] = { 0, 0, NULL },
	[TRACELIST_SPANS] = { 6, 6, NULL },      [TRACELIST_ERRORS] = { 7, 4, "err" },
	[TRACELIST_FINDINGS] = { 9, 5, "find" },
};
#define ROOT_WIDE 24 /* below this the other columns narrow */
#define ROOT_MIN 16  /* below this, on a narrow pane, columns go: spans, errors, service */

static bool right_aligned(enum tracelist_col c)
{
	return c != TRACELIST_SERVICE && c != TRACELIST_ROOT;
}

/* "12,345" where it fits in cells, else "12k", "1.2k", "3.4M". */
static void count_text(char *buf, size_t cap, uint64_t n, int cells)
{
	draw_count(buf, cap, n);
	if ((int)strlen(buf) <= cells || n < 1000)
		return;
	static const char unit[] = "kMGTPE";
	double v = (double)n;
	size_t u = 0;
	for (v /= 1000; v >= 999.5 && u + 1 < sizeof unit - 1; u++)
		v /= 1000;
	if (v < 9.95)
		snprintf(buf, cap, "%.1f%c", v, unit[u]);
	else
		snprintf(buf, cap, "%.0f%c", v, unit[u]);
}

/* The cell's text: the names whole (draw_text escapes them and cuts them
 * between characters, by cells), the figures formatted into buf. */
static const char *cell_text(const struct tracelist *l, const struct tracelist_row *r, enum tracelist_col c,
                             int cells, char *buf, size_t cap)
{
	switch (c) {
	case TRACELIST_SERVICE: return tracelist_service(r);
	case TRACELIST_ROOT: return tracelist_root(r);
	case TRACELIST_START: draw_start_offset(buf, cap, r->start_ns - l->first_start_ns); break;
	case TRACELIST_DURATION: /* a received trace spans may still join: no final figure yet */
		if (r->open)
			snprintf(buf, cap, "open");
		else
			draw_duration(buf, cap, r->duration_ns);
		break;
	case TRACELIST_SPANS: count_text(buf, cap, r->spans, cells); break;
	case TRACELIST_ERRORS: count_text(buf, cap, r->errors, cells); break;
	case TRACELIST_FINDINGS: count_text(buf, cap, r->findings, cells); break;
	default: buf[0] = '\0'; break;
	}
	return buf;
}

/* Which columns fit in inner cells, and how wide (with the gap; 0: left
 * out). *narrow: the short headers are used. The sort column is never
 * left out (its header carries the mark < > move): the next one goes. */
static void fit(int inner, enum tracelist_col sort, int width[NCOLS], bool *narrow)
{
	static const enum tracelist_col drop[] = { TRACELIST_SPANS, TRACELIST_ERRORS, TRACELIST_SERVICE };
	int used = 0;
	*narrow = false;
	for (size_t i = 0; i < NCOLS; i++) {
		width[i] = shape[order[i]].wide ? shape[order[i]].wide + COLUMN_GAP : 0;
		used += width[i];
	}
	if (inner - used < ROOT_WIDE) {
		*narrow = true;
		used = 0;
		for (size_t i = 0; i < NCOLS; i++) {
			width[i] = shape[order[i]].narrow ? shape[order[i]].narrow + COLUMN_GAP : 0;
			used += width[i];
		}
	}
	for (size_t d = 0; d < sizeof drop / sizeof drop[0] && inner - used < ROOT_MIN; d++) {
		for (size_t i = 0; i < NCOLS; i++) {
			if (order[i] == drop[d] && order[i] != sort) {
				used -= width[i];
				width[i] = 0;
			}
		}
	}
	for (size_t i = 0; i < NCOLS; i++)
		if (order[i] == TRACELIST_ROOT)
			width[i] = inner - used > 0 ? inner - used : 0;
}

static void draw_cell(WINDOW *w, const char *text, enum tracelist_col c, int width)
{
	if (width <= 0)
		return;
	int text_w = width - (c == TRACELIST_ROOT ? 0 : COLUMN_GAP);
	int used = 0;
	if (right_aligned(c)) {
		used = draw_right(w, text, text_w);
	} else {
		used = draw_text(w, text, text_w);
		for (; used < text_w; used++)
			waddch(w, ' ');
	}
	for (int k = 0; k < width - text_w; k++)
		waddch(w, ' ');
}

/* Rows for the list: borders, the header, and the prompt's rows when open. */
static size_t list_rows(const struct pane *p, const struct model *m)
{
	int rows = p->h - 3 - (m->traces.prompt ? 2 : 0);
	return rows > 0 ? (size_t)rows : 0;
}

static void draw_prompt(WINDOW *w, int y, int inner, const struct model *m)
{
	wmove(w, y, 2);
	wattron(w, draw_attr(ROLE_STATUS));
	int used = draw_text(w, "filter:", inner);
	wattroff(w, draw_attr(ROLE_STATUS));
	used += draw_text(w, " ", inner - used);
	used += draw_edit(w, m->traces.edit, inner - used); /* a long text shows its end, where keys go */
	/* the text is the current filter, to edit: how to start afresh, where there is room */
	char hint[64];
	snprintf(hint, sizeof hint, "   Ctrl-U clears %s Ctrl-W a word", draw_glyphs()->dot);
	if (inner - 2 - used >= draw_width(hint)) {
		wattron(w, draw_attr(ROLE_DIM));
		draw_text(w, hint, inner - 2 - used);
		wattroff(w, draw_attr(ROLE_DIM));
	}
	wmove(w, y + 1, 2);
	if (m->traces.error[0]) {
		wattron(w, draw_attr(ROLE_ERROR));
		draw_text(w, m->traces.error, inner);
		wattroff(w, draw_attr(ROLE_ERROR));
	} else {
		wattron(w, draw_attr(ROLE_DIM));
		draw_text(w, "Enter apply  Esc cancel  Up/Down earlier filters  e.g. duration > 50ms and not error", inner);
		wattroff(w, draw_attr(ROLE_DIM));
	}
}

static void draw(struct pane *p, const struct model *m, bool focus)
{
	WINDOW *w = p->win;
	struct pane_list *pl = p->priv;
	const struct tracelist *l = &m->traces.list;
	const struct glyphs *g = draw_glyphs();
	werase(w);
	char title[MODEL_FILTER_TEXT + 128], n1[32], n2[32];
	draw_count(n1, sizeof n1, l->nview);
	draw_count(n2, sizeof n2, l->nrows);
	if (m->traces.filter_text[0])
		snprintf(title, sizeof title, "Traces %s of %s %s filter: %s", n1, n2, g->dot, m->traces.filter_text);
	else
		snprintf(title, sizeof title, "Traces %s", n2);
	draw_frame(w, title, focus || p->screen == SCREEN_TRACES);
	int inner = p->w - 4;
	if (inner <= 0 || p->h < 4) {
		wnoutrefresh(w);
		return;
	}
	int width[NCOLS];
	bool narrow;
	fit(inner, l->sort, width, &narrow);
	wmove(w, 1, 2);
	wattron(w, draw_attr(ROLE_DIM));
	for (size_t i = 0; i < NCOLS; i++) {
		char head[32];
		bool sorted = order[i] == l->sort;
		const char *name = narrow && shape[order[i]].short_name ? shape[order[i]].short_name
		                                                        : tracelist_col_name(order[i]);
		snprintf(head, sizeof head, "%s%s", name,
		         !sorted ? "" : l->descending ? (draw_unicode() ? "▼" : "v") : (draw_unicode() ? "▲" : "^"));
		if (sorted)
			wattron(w, A_BOLD | A_UNDERLINE);
		draw_cell(w, head, order[i], width[i]);
		if (sorted)
			wattroff(w, A_BOLD | A_UNDERLINE);
	}
	wattroff(w, draw_attr(ROLE_DIM));

	size_t rows = list_rows(p, m);
	pl->cursor = m->traces.cursor;
	pane_follow_cursor(pl, l->nview, rows);
	if (l->nview == 0) {
		wattron(w, draw_attr(ROLE_DIM));
		draw_at(w, 2, 2, l->nrows ? "no trace matches the filter (\\ to change it)" : "no trace yet", inner);
		wattroff(w, draw_attr(ROLE_DIM));
	}
	for (size_t k = 0; k < rows && pl->top + k < l->nview; k++) {
		size_t i = pl->top + k;
		const struct tracelist_row *r = tracelist_at(l, i);
		bool sel = i == m->traces.cursor;
		attr_t attr = sel ? (focus || p->screen == SCREEN_TRACES ? draw_attr(ROLE_SELECTED) : A_REVERSE)
		              : m->shown_seq == r->seq ? A_BOLD
		                                       : 0;
		wmove(w, 2 + (int)k, 2);
		wattron(w, attr);
		for (size_t c = 0; c < NCOLS; c++) {
			char buf[64];
			const char *text = cell_text(l, r, order[c], width[c] - COLUMN_GAP, buf, sizeof buf);
			bool warn = !sel && ((order[c] == TRACELIST_ERRORS && r->errors) ||
			                     (order[c] == TRACELIST_FINDINGS && r->findings));
			bool open = !sel && order[c] == TRACELIST_DURATION && r->open;
			if (open)
				wattron(w, draw_attr(ROLE_DIM));
			if (warn)
				wattron(w, draw_attr(order[c] == TRACELIST_ERRORS ? ROLE_ERROR : ROLE_WARN));
			draw_cell(w, text, order[c], width[c]);
			if (warn)
				wattroff(w, draw_attr(order[c] == TRACELIST_ERRORS ? ROLE_ERROR : ROLE_WARN));
			if (open)
				wattroff(w, draw_attr(ROLE_DIM));
		}
		wattroff(w, attr);
	}
	if (m->traces.prompt)
		draw_prompt(w, p->h - 3, inner, m);
	else if (p->screen == SCREEN_TRACES) {
		wattron(w, draw_attr(ROLE_DIM));
		draw_at(w, p->h - 1, 2, "< > sort  \\ filter  Enter open  Esc back", inner);
		wattroff(w, draw_attr(ROLE_DIM));
	}
	wnoutrefresh(w);
}

static struct intent handle(struct pane *p, const struct model *m, enum action action)
{
	struct pane_list *pl = p->priv;
	size_t n = m->traces.list.nview;
	switch (action) {
	case ACT_FOLD: return pane_intent(INTENT_OPEN_TRACE, m->traces.cursor);
	case ACT_SORT_PREV: return pane_intent(INTENT_TRACES_SORT, 0);
	case ACT_SORT_NEXT: return pane_intent(INTENT_TRACES_SORT, 1);
	default: break;
	}
	pl->cursor = m->traces.cursor;
	if (!pane_move_cursor(pl, action, n, list_rows(p, m)))
		return pane_intent(INTENT_NONE, 0);
	return pane_intent(INTENT_TRACES_SELECT, pl->cursor);
}

static struct intent click(struct pane *p, const struct model *m, int y, int x)
{
	(void)x;
	struct pane_list *pl = p->priv;
	if (y < 2 || (size_t)(y - 2) >= list_rows(p, m) || pl->top + (size_t)(y - 2) >= m->traces.list.nview)
		return pane_intent(INTENT_NONE, 0);
	return pane_intent(INTENT_TRACES_SELECT, pl->top + (size_t)(y - 2));
}

/* The full-screen view (T) and the pane beside the waterfall: one list, two places. */
#define TRACES_OPS(title)                                                                                      \
	{ .name = (title), .private_size = sizeof(struct pane_list), .focusable = true,                        \
	  .watches = MODEL_TRACES | MODEL_TRACE, .draw = draw, .handle = handle, .click = click }
const struct pane_ops pane_traces_ops = TRACES_OPS("traces");
const struct pane_ops pane_tracelist_ops = TRACES_OPS("tracelist");
