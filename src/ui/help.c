#include "help.h"

#include "draw.h"
#include "keys.h"

#define LABEL_CELLS 12

void help_size(int lines, int cols, int *h, int *w)
{
	*h = (int)key_binding_count + 6;
	*w = 76;
	if (*h > lines - 2)
		*h = lines - 2;
	if (*w > cols - 4)
		*w = cols - 4;
}

void help_draw(WINDOW *w, size_t *top)
{
	int h = getmaxy(w), width = getmaxx(w);
	size_t rows = h > 4 ? (size_t)(h - 4) : 1;
	if (*top + rows > key_binding_count)
		*top = key_binding_count > rows ? key_binding_count - rows : 0;
	werase(w);
	draw_frame(w, rows < key_binding_count ? "Keys (Up/Down scroll)" : "Keys", true);
	int y = 1;
	for (size_t i = *top; i < key_binding_count && y < h - 3; i++, y++) {
		wattron(w, A_BOLD);
		draw_at(w, y, 2, key_bindings[i].label, LABEL_CELLS);
		wattroff(w, A_BOLD);
		draw_at(w, y, 2 + LABEL_CELLS + 1, key_bindings[i].help, width - LABEL_CELLS - 5);
	}
	wattron(w, draw_attr(ROLE_DIM));
	draw_at(w, h - 3, 2, "Mouse: click selects a span or query; the wheel scrolls.", width - 4);
	draw_at(w, h - 2, 2, "Press any key to close.", width - 4);
	wattroff(w, draw_attr(ROLE_DIM));
	wnoutrefresh(w);
}
