/* pane_log — the logbook, newest last, repeats folded into a count.
 * Unfocused it follows its tail; focused it has a selected line (the newest
 * at first, moved with the row keys), shown whole, wrapped over as many
 * rows as it needs, where every other line is cut to one row. n and N
 * onto a log line select it, focused or not (sync); unfocused, that line
 * is scrolled so its match is in sight when it would be cut off. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "model.h"
#include "pane.h"
#include "draw.h"
#include "obslab/utf8.h"

#define WRAP_INDENT 2 /* cells before a wrapped line's continuation */

/* The pane's own state: the selection, the rows it took when drawn, and
 * the search's step last followed (model.search.moves). */
struct log_state {
	struct pane_list list;
	size_t tall;
	uint32_t moves;
};

static size_t visible_rows(const struct pane *p)
{
	return p->h > 2 ? (size_t)(p->h - 2) : 0;
}

/* The line an entry is shown as, after its time and level: the text, then
 * the repeat count. */
static void entry_text(const struct logbook_entry *e, char *buf, size_t cap)
{
	if (e->repeat > 1)
		snprintf(buf, cap, "%s %s%u", e->text, draw_glyphs()->times, e->repeat);
	else
		snprintf(buf, cap, "%s", e->text);
}

/* How many bytes of text fit in cells (escaped as draw_text shows them),
 * broken after a space where one is in the second half; at least one
 * character, so that wrapping always moves on. */
static size_t fit(const char *text, int cells)
{
	size_t len = strlen(text), fitted = 0, space = 0;
	char head[LOGBOOK_TEXT + 32];
	while (fitted < len) {
		size_t step = utf8_char_len(text + fitted, len - fitted);
		size_t next = fitted + (step ? step : 1);
		if (next >= sizeof head)
			break;
		memcpy(head, text, next);
		head[next] = '\0';
		if (draw_width(head) > cells)
			break;
		if (text[fitted] == ' ')
			space = next;
		fitted = next;
	}
	if (fitted == 0)
		return len ? (utf8_char_len(text, len) ? utf8_char_len(text, len) : 1) : 0;
	if (fitted < len && space > fitted / 2)
		return space;
	return fitted;
}

/* Rows the text takes wrapped: first cells on the first row, then rest. */
static size_t wrapped_rows(const char *text, int first, int rest)
{
	size_t rows = 1, len = strlen(text), at = fit(text, first);
	while (at < len && rest > 0) {
		at += fit(text + at, rest);
		rows++;
	}
	return rows;
}

/* "12:04:05 WARN  ": the time and level; returns the cells used. */
static int draw_stamp(WINDOW *w, const struct model *m, const struct logbook_entry *e, int cells)
{
	time_t secs = (time_t)(clock_to_unix_ns(&m->log_anchor, e->time_ns) / CLOCK_NS_PER_S);
	struct tm tm;
	localtime_r(&secs, &tm);
	wattron(w, draw_attr(ROLE_DIM));
	int used = draw_fmt(w, cells, "%02d:%02d:%02d ", tm.tm_hour, tm.tm_min, tm.tm_sec);
	wattroff(w, draw_attr(ROLE_DIM));
	enum draw_role role = e->level >= LOG_ERROR ? ROLE_ERROR : e->level == LOG_WARN ? ROLE_WARN : ROLE_NORMAL;
	wattron(w, draw_attr(role));
	used += draw_fmt(w, cells - used, "%-5s ", log_level_name(e->level));
	wattroff(w, draw_attr(role));
	return used;
}

/* Where a line cut to cells cells is drawn from so that the search's
 * first match in it is in sight: 0 when the match ends within the cut;
 * else a character boundary (shown after an ellipsis) that puts the match's
 * end about three quarters across, or the match's start if it is wider. */
static size_t match_from(const char *text, int cells, const struct search *found)
{
	size_t len = strlen(text), at = found ? search_find(found, text, len, 0) : SIZE_MAX;
	if (at == SIZE_MAX || cells < 8)
		return 0;
	char head[LOGBOOK_TEXT + 32];
	snprintf(head, sizeof head, "%.*s", (int)(at + found->qlen), text);
	if (draw_width(head) < cells) /* in sight, the cut's ellipsis too */
		return 0;
	size_t from = draw_tail(head, (cells - 1) * 3 / 4);
	return from > at ? at : from;
}

/* One entry cut to its row: the repeat count stays in sight, and so does
 * the search's match on the line of its current match (scrolled to it). */
static void draw_cut(WINDOW *w, const struct logbook_entry *e, int cells, const struct search *found, bool current)
{
	char times[24] = "";
	if (e->repeat > 1)
		snprintf(times, sizeof times, " %s%u", draw_glyphs()->times, e->repeat);
	int room = cells - draw_width(times), used = 0;
	size_t from = current ? match_from(e->text, room, found) : 0;
	if (from > 0)
		used += draw_text(w, draw_glyphs()->ellipsis, room);
	used += draw_text_match(w, e->text + from, room - used, found);
	if (times[0]) {
		wattron(w, A_BOLD);
		draw_text(w, times, cells - used);
		wattroff(w, A_BOLD);
	}
}

/* The selected entry, whole, from row y: returns the rows it took. */
static int draw_whole(WINDOW *w, int y, int max_rows, int stamp, int inner, const char *text,
                      const struct search *found)
{
	size_t len = strlen(text), at = 0;
	int rows = 0;
	wattron(w, draw_attr(ROLE_SELECTED));
	while (rows < max_rows && (at < len || rows == 0)) {
		int x = rows == 0 ? 1 + stamp : 1 + WRAP_INDENT, cells = inner - (x - 1);
		size_t take = fit(text + at, cells);
		char piece[LOGBOOK_TEXT + 32];
		snprintf(piece, sizeof piece, "%.*s", (int)take, text + at);
		wmove(w, y + rows, x);
		int used = draw_text_match(w, piece, cells, found);
		for (; used < cells; used++)
			waddch(w, ' ');
		at += take;
		rows++;
	}
	wattroff(w, draw_attr(ROLE_SELECTED));
	return rows;
}

static void draw(struct pane *p, const struct model *m, bool focus)
{
	WINDOW *w = p->win;
	struct log_state *st = p->priv;
	struct pane_list *l = &st->list;
	werase(w);
	draw_frame(w, "Log", focus);
	size_t n = logbook_count(&m->logbook), rows = visible_rows(p);
	int inner = p->w - 2;
	const struct search *found = model_search_active(m) ? &m->search.engine : NULL;
	const struct search_match *cur = model_search_current(m);
	size_t match = cur && cur->kind == SEARCH_LOG && cur->index < n ? cur->index : SIZE_MAX;
	if (!focus) { /* the tail, and the newest line selected for when focus comes */
		l->cursor = n ? n - 1 : 0;
		l->top = n > rows ? n - rows : 0;
		if (match < l->top) /* the search's current line, in sight */
			l->top = match;
	}
	if (n == 0 || rows == 0) {
		wnoutrefresh(w);
		return;
	}
	if (l->cursor >= n)
		l->cursor = n - 1;
	char text[LOGBOOK_TEXT + 32];
	size_t tall = 1;
	int stamp = 15; /* "HH:MM:SS LEVEL " */
	if (focus) {
		entry_text(logbook_get(&m->logbook, l->cursor), text, sizeof text);
		tall = wrapped_rows(text, inner - stamp, inner - WRAP_INDENT);
		if (tall > rows)
			tall = rows;
		if (l->cursor < l->top)
			l->top = l->cursor;
		while (l->top < l->cursor && l->cursor - l->top + tall > rows)
			l->top++;
	}
	st->tall = tall;
	int y = 1, bottom = 1 + (int)rows;
	for (size_t k = l->top; k < n && y < bottom; k++) {
		const struct logbook_entry *e = logbook_get(&m->logbook, k);
		wmove(w, y, 1);
		int used = draw_stamp(w, m, e, inner);
		if (focus && k == l->cursor) {
			y += draw_whole(w, y, bottom - y, used, inner, text, found);
		} else {
			if (k == match)
				wattron(w, draw_attr(ROLE_SELECTED));
			draw_cut(w, e, inner - used, found, k == match);
			if (k == match)
				wattroff(w, draw_attr(ROLE_SELECTED));
			y++;
		}
	}
	wnoutrefresh(w);
}

/* n or N moved the search onto a log line: select it (drawn whole and in
 * sight when focused; kept in sight when not). */
static void sync(struct pane *p, const struct model *m, unsigned changed)
{
	struct log_state *st = p->priv;
	if (!(changed & MODEL_SEARCH) || st->moves == m->search.moves)
		return;
	st->moves = m->search.moves;
	const struct search_match *cur = model_search_current(m);
	if (cur && cur->kind == SEARCH_LOG && cur->index < logbook_count(&m->logbook))
		st->list.cursor = cur->index;
}

static struct intent handle(struct pane *p, const struct model *m, enum action action)
{
	/* the rows the selection needs are settled when it is drawn */
	struct log_state *st = p->priv;
	bool moved = pane_move_cursor(&st->list, action, logbook_count(&m->logbook), visible_rows(p));
	return pane_intent(moved ? INTENT_REDRAW : INTENT_NONE, 0);
}

static struct intent click(struct pane *p, const struct model *m, int y, int x)
{
	(void)x;
	struct log_state *st = p->priv;
	struct pane_list *l = &st->list;
	size_t n = logbook_count(&m->logbook), row = y > 0 ? (size_t)(y - 1) : 0;
	if (y < 1 || n == 0 || l->cursor < l->top)
		return pane_intent(INTENT_NONE, 0);
	/* one row an entry, but the selection's, which takes st->tall */
	size_t above = l->cursor - l->top, tall = st->tall ? st->tall : 1, k;
	if (row < above)
		k = l->top + row;
	else if (row < above + tall)
		k = l->cursor;
	else
		k = l->cursor + 1 + (row - above - tall);
	if (k >= n)
		return pane_intent(INTENT_NONE, 0);
	l->cursor = k;
	return pane_intent(INTENT_REDRAW, 0);
}

const struct pane_ops pane_log_ops = {
	.name = "log",
	.private_size = sizeof(struct log_state),
	.focusable = true,
	.watches = MODEL_LOG | MODEL_SEARCH,
	.draw = draw,
	.handle = handle,
	.click = click,
	.sync = sync,
};
