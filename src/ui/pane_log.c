/* Log: the structured log, newest last, repeats folded into a count. */
#include <stdio.h>
#include <time.h>

#include "app.h"
#include "draw.h"

static size_t visible_rows(const struct pane *p)
{
	return p->h > 2 ? (size_t)(p->h - 2) : 0;
}

static void draw(struct pane *p, const struct app *app)
{
	WINDOW *w = p->win;
	werase(w);
	draw_frame(w, "Log", app->focus == PANE_LOG);
	size_t n = logbook_count(&app->log), rows = visible_rows(p);
	/* Unfocused, the log follows its tail. */
	if (app->focus != PANE_LOG)
		p->top = n > rows ? n - rows : 0;
	int inner = p->w - 2;
	for (size_t i = 0; i < rows && p->top + i < n; i++) {
		const struct logbook_entry *e = logbook_get(&app->log, p->top + i);
		time_t secs = (time_t)(clock_to_unix_ns(&app->lab.anchor, e->time_ns) / CLOCK_NS_PER_S);
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

static enum pane_result handle(struct pane *p, struct app *app, enum action action)
{
	return pane_scroll(p, action, logbook_count(&app->log), visible_rows(p));
}

const struct pane_ops pane_log_ops = {
	.name = "log",
	.focusable = true,
	.draw = draw,
	.handle = handle,
};
