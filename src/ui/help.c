/* help — the help overlay: the key table's entries the source honours. */
#include "help.h"

#include "draw.h"
#include "keys.h"

#define LABEL_CELLS 12

static size_t offered(unsigned controls)
{
	size_t n = 0;
	for (size_t i = 0; i < key_binding_count; i++)
		n += keys_offered(&key_bindings[i], controls);
	return n;
}

void help_size(int lines, int cols, unsigned controls, int *h, int *w)
{
	*h = (int)offered(controls) + 6;
	*w = 76;
	if (*h > lines - 2)
		*h = lines - 2;
	if (*w > cols - 4)
		*w = cols - 4;
}

void help_draw(WINDOW *w, unsigned controls, size_t *top)
{
	int h = getmaxy(w), width = getmaxx(w);
	size_t rows = h > 4 ? (size_t)(h - 4) : 1, n = offered(controls);
	if (*top + rows > n)
		*top = n > rows ? n - rows : 0;
	werase(w);
	draw_frame(w, rows < n ? "Keys (Up/Down scroll)" : "Keys", true);
	int y = 1;
	size_t k = 0; /* the entry's place among those offered */
	for (size_t i = 0; i < key_binding_count && y < h - 3; i++) {
		if (!keys_offered(&key_bindings[i], controls) || k++ < *top)
			continue;
		wattron(w, A_BOLD);
		draw_at(w, y, 2, key_bindings[i].label, LABEL_CELLS);
		wattroff(w, A_BOLD);
		draw_at(w, y, 2 + LABEL_CELLS + 1, keys_help(&key_bindings[i], controls), width - LABEL_CELLS - 5);
		y++;
	}
	wattron(w, draw_attr(ROLE_DIM));
	draw_at(w, h - 3, 2, "Mouse: click selects a span or query; the wheel scrolls.", width - 4);
	/* as shell_handle_key reads keys while the help is open */
	wmove(w, h - 2, 2);
	draw_fmt(w, width - 4, "j/k Up/Down PgUp/PgDn scroll %s any other key closes", draw_glyphs()->dot);
	wattroff(w, draw_attr(ROLE_DIM));
	wnoutrefresh(w);
}
