/* pane_status — the status bar: the model's status line, in one row; a
 * message that reports an error stands out. */
#include "draw.h"
#include "model.h"
#include "pane.h"

static void draw(struct pane *p, const struct model *m, bool focus)
{
	(void)focus;
	char line[512];
	model_status_line(m, line, sizeof line);
	werase(p->win);
	wbkgdset(p->win, ' ' | draw_attr(ROLE_STATUS));
	werase(p->win);
	attr_t attr = draw_attr(m->message_error && model_message_shown(m) ? ROLE_ERROR : ROLE_STATUS);
	wattron(p->win, attr | A_REVERSE * (attr != draw_attr(ROLE_STATUS)));
	draw_at(p->win, 0, 0, line, p->w);
	wattroff(p->win, attr | A_REVERSE);
	wnoutrefresh(p->win);
}

const struct pane_ops pane_status_ops = {
	.name = "status",
	.watches = MODEL_STATUS,
	.focusable = false,
	.draw = draw,
};
