/*
 * help — the help overlay, written from the key table alone: the keys the
 * current source honours (controls: enum control bits), nothing else.
 * UI thread only.
 */
#ifndef OBSLAB_UI_HELP_H
#define OBSLAB_UI_HELP_H

#include <ncurses.h>

/* The overlay's size for a screen of lines x cols. */
void help_size(int lines, int cols, unsigned controls, int *h, int *w);
/* Draws the key table from entry *top on (clamped so the last page is full). */
void help_draw(WINDOW *w, unsigned controls, size_t *top);

#endif
