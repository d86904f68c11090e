/* pane_footer — the main keys, from the key table's hints: those the
 * current source honours, and on a comparison or sweep screen those that
 * work there. */
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "pane.h"
#include "draw.h"

static void draw(struct pane *p, const struct model *m, bool focus)
{
	(void)focus;
	unsigned controls = m->source->ops->controls;
	werase(p->win);
	wmove(p->win, 0, 0);
	int used = 0;
	for (size_t i = 0; i < key_binding_count && used < p->w; i++) {
		const struct key_binding *b = &key_bindings[i];
		bool measuring = p->screen != SCREEN_MAIN;
		if (!b->hint || !keys_offered(b, controls) || (measuring && !keys_on_measure_screen(b->action)))
			continue;
		char key[16];
		snprintf(key, sizeof key, "%s", b->label);
		char *space = strchr(key, ' ');
		if (space)
			*space = '\0'; /* the first key is enough here */
		wattron(p->win, draw_attr(ROLE_STATUS));
		used += draw_fmt(p->win, p->w - used, "%s", key);
		wattroff(p->win, draw_attr(ROLE_STATUS));
		used += draw_fmt(p->win, p->w - used, " %s  ", measuring && b->action == ACT_QUIT ? "back" : b->hint);
	}
	wnoutrefresh(p->win);
}

const struct pane_ops pane_footer_ops = {
	.name = "footer",
	.watches = 0,
	.focusable = false,
	.draw = draw,
};
