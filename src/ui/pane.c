/* pane — what panes share: list movement and scrolling, the progress of a
 * measurement, finding tags (see pane.h). */
#include "pane.h"

#include <stdio.h>

#include "draw.h"
#include "model.h"

void pane_follow_cursor(struct pane_list *l, size_t n, size_t rows)
{
	if (n == 0) {
		l->cursor = l->top = 0;
		return;
	}
	if (l->cursor >= n)
		l->cursor = n - 1;
	if (rows == 0)
		rows = 1;
	if (l->cursor < l->top)
		l->top = l->cursor;
	else if (l->cursor >= l->top + rows)
		l->top = l->cursor - rows + 1;
	if (l->top + rows > n)
		l->top = n > rows ? n - rows : 0;
}

bool pane_move_cursor(struct pane_list *l, enum action action, size_t n, size_t rows)
{
	size_t page = rows > 1 ? rows - 1 : 1;
	switch (action) {
	case ACT_UP: l->cursor = l->cursor > 0 ? l->cursor - 1 : 0; break;
	case ACT_DOWN: l->cursor = l->cursor + 1 < n ? l->cursor + 1 : l->cursor; break;
	case ACT_PAGE_UP: l->cursor = l->cursor > page ? l->cursor - page : 0; break;
	case ACT_PAGE_DOWN: l->cursor = l->cursor + page < n ? l->cursor + page : (n ? n - 1 : 0); break;
	case ACT_HOME: l->cursor = 0; break;
	case ACT_END: l->cursor = n ? n - 1 : 0; break;
	default: return false;
	}
	pane_follow_cursor(l, n, rows);
	return true;
}

struct intent pane_scroll(struct pane_list *l, enum action action, size_t n, size_t rows)
{
	size_t last = n > rows ? n - rows : 0;
	size_t step = action == ACT_PAGE_UP || action == ACT_PAGE_DOWN ? (rows > 1 ? rows - 1 : 1) : 1;
	switch (action) {
	case ACT_UP:
	case ACT_PAGE_UP: l->top = l->top > step ? l->top - step : 0; break;
	case ACT_DOWN:
	case ACT_PAGE_DOWN: l->top = l->top + step < last ? l->top + step : last; break;
	case ACT_HOME: l->top = 0; break;
	case ACT_END: l->top = last; break;
	default: return pane_intent(INTENT_NONE, 0);
	}
	return pane_intent(INTENT_REDRAW, 0);
}

void pane_finding_tag(const struct finding *n1, const struct finding *scan, char *buf, size_t cap)
{
	if (!n1 && !scan)
		snprintf(buf, cap, "%s", "");
	else
		snprintf(buf, cap, "%s%s%s%s", draw_glyphs()->warn, n1 ? "N+1" : "", n1 && scan ? " " : "",
		         scan ? "scan" : "");
}

/* "measuring ████░░░░ 12/30 requests", or how the measurement ended. */
void pane_draw_progress(WINDOW *w, int y, int width, const struct model *m, const struct measurement *meas)
{
	const struct glyphs *g = draw_glyphs();
	if (m->measuring == meas) {
		uint32_t done = meas->done, total = meas->total;
		int bar = width - 34 > 10 ? width - 34 : 10;
		int filled = total ? (int)((uint64_t)done * (uint64_t)bar / total) : 0;
		draw_at(w, y, 2, "measuring ", 10);
		for (int i = 0; i < bar; i++)
			waddstr(w, i < filled ? g->full : g->light);
		draw_fmt(w, 22, " %u/%u requests", done, total);
	} else if (meas->cancelled) {
		wattron(w, draw_attr(ROLE_WARN));
		draw_at(w, y, 2, "cancelled: the figures below are partial (press the key again to measure)", width - 4);
		wattroff(w, draw_attr(ROLE_WARN));
	} else if (model_stale(m, meas)) {
		wattron(w, draw_attr(ROLE_WARN));
		wmove(w, y, 2);
		draw_fmt(w, width - 4, "stale: measured at RTT %u%ss, index %s; the settings have changed since",
		         meas->rtt_us, g->mu, meas->index ? "on" : "off");
		wattroff(w, draw_attr(ROLE_WARN));
	} else {
		draw_at(w, y, 2, "measured: each row is its median request by total, run in A/B/C rounds", width - 4);
	}
}
