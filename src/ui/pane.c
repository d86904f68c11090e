#include "pane.h"

void pane_follow_cursor(struct pane *p, size_t n, size_t rows)
{
	if (n == 0) {
		p->cursor = p->top = 0;
		return;
	}
	if (p->cursor >= n)
		p->cursor = n - 1;
	if (rows == 0)
		rows = 1;
	if (p->cursor < p->top)
		p->top = p->cursor;
	else if (p->cursor >= p->top + rows)
		p->top = p->cursor - rows + 1;
	if (p->top + rows > n)
		p->top = n > rows ? n - rows : 0;
}

enum pane_result pane_move_cursor(struct pane *p, enum action action, size_t n, size_t rows)
{
	size_t before = p->cursor;
	size_t page = rows > 1 ? rows - 1 : 1;
	switch (action) {
	case ACT_UP: p->cursor = p->cursor > 0 ? p->cursor - 1 : 0; break;
	case ACT_DOWN: p->cursor = p->cursor + 1 < n ? p->cursor + 1 : p->cursor; break;
	case ACT_PAGE_UP: p->cursor = p->cursor > page ? p->cursor - page : 0; break;
	case ACT_PAGE_DOWN: p->cursor = p->cursor + page < n ? p->cursor + page : (n ? n - 1 : 0); break;
	case ACT_HOME: p->cursor = 0; break;
	case ACT_END: p->cursor = n ? n - 1 : 0; break;
	default: return PANE_IGNORED;
	}
	pane_follow_cursor(p, n, rows);
	p->dirty = true;
	return p->cursor != before ? PANE_CHANGED : PANE_HANDLED;
}

enum pane_result pane_scroll(struct pane *p, enum action action, size_t n, size_t rows)
{
	size_t last = n > rows ? n - rows : 0;
	size_t step = action == ACT_PAGE_UP || action == ACT_PAGE_DOWN ? (rows > 1 ? rows - 1 : 1) : 1;
	switch (action) {
	case ACT_UP:
	case ACT_PAGE_UP: p->top = p->top > step ? p->top - step : 0; break;
	case ACT_DOWN:
	case ACT_PAGE_DOWN: p->top = p->top + step < last ? p->top + step : last; break;
	case ACT_HOME: p->top = 0; break;
	case ACT_END: p->top = last; break;
	default: return PANE_IGNORED;
	}
	p->dirty = true;
	return PANE_HANDLED;
}
