/* pane_log — the logbook, newest last, repeats folded into a count;
 * unfocused it follows its tail, focused it scrolls. */
#include <stdio.h>
#include <time.h>

#include "model.h"
#include "pane.h"
#include "draw.h"

static size_t visible_rows(const struct pane *p)
{
	return p->h > 2 ? (size_t)(p->h - 2) : 0;
}

static void draw(struct pane *p, const struct model *m, bool focus)
{
	WINDOW *w = p->win;
	struct pane_list *l = p->priv;
	werase(w);
	draw_frame(w, "Log", focus);
	size_t n = logbook_count(&m->logbook), rows = visible_rows(p);
	/* Unfocused, the log follows its tail. */
	if (!focus)
		l->top = n > rows ? n - rows : 0;
	int inner = p->w - 2;
	for (size_t i = 0; i < rows && l->top + i < n; i++) {
		const struct logbook_entry *e = logbook_get(&m->logbook, l->top + i);
		time_t secs = (time_t)(clock_to_unix_ns(&m->log_anchor, e->time_ns) / CLOCK_NS_PER_S);
		struct tm tm;
		localtime_r(&secs, &tm);
		wmove(w, 1 + (int)i, 1);
		wattron(w, draw_attr(ROLE_DIM));
		int used = draw_fmt(w, inner, "%02d:%02d:%02d ", tm.tm_hour, tm.tm_min, tm.tm_sec);
		wattroff(w, draw_attr(ROLE_DIM));
		enum draw_role role = e->level >= LOG_ERROR ? ROLE_ERROR : e->level == LOG_WARN ? ROLE_WARN : ROLE_NORMAL;
		wattron(w, draw_attr(role));
		used += draw_fmt(w, inner - used, "%-5s ", log_level_name(e->level));
		wattroff(w, draw_attr(role));
		if (e->repeat > 1) {
			char times[24];
			snprintf(times, sizeof times, " %s%u", draw_glyphs()->times, e->repeat);
			int tw = draw_width(times);
			used += draw_text(w, e->text, inner - used - tw);
			wattron(w, A_BOLD);
			draw_text(w, times, inner - used);
			wattroff(w, A_BOLD);
		} else {
			draw_text(w, e->text, inner - used);
		}
	}
	wnoutrefresh(w);
}

static struct intent handle(struct pane *p, const struct model *m, enum action action)
{
	return pane_scroll(p->priv, action, logbook_count(&m->logbook), visible_rows(p));
}

const struct pane_ops pane_log_ops = {
	.name = "log",
	.private_size = sizeof(struct pane_list),
	.focusable = true,
	.watches = MODEL_LOG,
	.draw = draw,
	.handle = handle,
};
