/* pane_footer — the main keys, from the key table's hints: those the
 * current source honours (on PostgreSQL p pipelined instead of r RTT), and
 * on a comparison or sweep screen those that work there. */
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "pane.h"
#include "draw.h"
#include "obslab/store.h"

/* A hint as the footer shows it: the binding's first key and its word. A
 * file of several traces (a source that runs nothing) offers "[ ] trace":
 * with no newest trace coming, stepping is how to see the others. */
static bool hint_of(const struct key_binding *b, const struct pane *p, const struct model *m, char *key, size_t cap,
                    const char **word)
{
	unsigned controls = m->source->ops->controls;
	bool measuring = p->screen != SCREEN_MAIN; /* compare, sweep or diff (the trace list returned above) */
	if (p->screen == SCREEN_TRACES) { /* the trace list's own keys */
		if (!b->hint || !keys_on_traces_screen(b->action))
			return false;
		snprintf(key, cap, "%s", b->action == ACT_SORT_PREV ? "< >" : b->label);
		char *space = b->action == ACT_SORT_PREV ? NULL : strchr(key, ' ');
		if (space)
			*space = '\0';
		*word = b->action == ACT_FOLD ? "open" : b->action == ACT_QUIT || b->action == ACT_TRACES ? "back" : b->hint;
		return true;
	}
	if (b->action == ACT_PREV_TRACE && !measuring && !(controls & CONTROL_MEASURE) && m->source->store &&
	    store_trace_count(m->source->store) > 1) {
		snprintf(key, cap, "[ ]");
		*word = "trace";
		return true;
	}
	/* The lab's engine: PostgreSQL's round trips are real (no r), only it pipelines (p). */
	bool pg = m->engine == LABDB_POSTGRESQL;
	if ((b->action == ACT_RTT && pg) || (b->action == ACT_PIPELINED && !pg))
		return false;
	bool works_here = p->screen == SCREEN_DIFF ? keys_on_diff_screen(b->action) : keys_on_measure_screen(b->action);
	if (!b->hint || !keys_offered(b, controls) || (measuring && !works_here))
		return false;
	if (b->action == ACT_SORT_PREV || b->action == ACT_FILTER)
		return false; /* the trace list's own: its footer shows them */
	snprintf(key, cap, "%s", b->label);
	char *space = strchr(key, ' ');
	if (space)
		*space = '\0'; /* the first key is enough here */
	*word = measuring && b->action == ACT_QUIT ? "back" : b->hint;
	return true;
}

/* Help and quit are always shown; the other hints, in the table's order,
 * only while whole ones fit in what those two leave. */
static bool always_shown(enum action a)
{
	return a == ACT_HELP || a == ACT_QUIT;
}

static void draw(struct pane *p, const struct model *m, bool focus)
{
	(void)focus;
	char key[16];
	const char *word;
	int reserved = 0;
	for (size_t i = 0; i < key_binding_count; i++)
		if (always_shown(key_bindings[i].action) && hint_of(&key_bindings[i], p, m, key, sizeof key, &word))
			reserved += draw_width(key) + 1 + draw_width(word) + 2;
	werase(p->win);
	wmove(p->win, 0, 0);
	int used = 0;
	for (size_t i = 0; i < key_binding_count && used < p->w; i++) {
		const struct key_binding *b = &key_bindings[i];
		if (!hint_of(b, p, m, key, sizeof key, &word))
			continue;
		int cells = draw_width(key) + 1 + draw_width(word) + 2;
		if (always_shown(b->action))
			reserved -= cells;
		else if (used + cells + reserved > p->w + 2) /* the last hint's two spaces may go */
			continue;
		wattron(p->win, draw_attr(ROLE_STATUS));
		used += draw_text(p->win, key, p->w - used);
		wattroff(p->win, draw_attr(ROLE_STATUS));
		used += draw_fmt(p->win, p->w - used, " %s", word);
		for (int gap = 0; gap < 2 && used < p->w - 1; gap++, used++)
			waddch(p->win, ' ');
	}
	wnoutrefresh(p->win);
}

const struct pane_ops pane_footer_ops = {
	.name = "footer",
	.watches = 0,
	.focusable = false,
	.draw = draw,
};
