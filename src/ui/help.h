/*
 * help — the help overlay, written from the key table alone.
 */
#ifndef OBSLAB_UI_HELP_H
#define OBSLAB_UI_HELP_H

#include <ncurses.h>

/* The overlay's size for a screen of lines x cols. */
void help_size(int lines, int cols, int *h, int *w);
/* Draws the key table from entry *top on (clamped so the last page is full). */
void help_draw(WINDOW *w, size_t *top);

#endif
