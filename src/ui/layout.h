/*
 * layout — the one table of panes: for each, where it goes (a slot), how
 * big it is (a size rule) and which screens show it. Adding a pane is one
 * row here (layout.c) and one pane_*.c file; the table's order is the
 * order of focus (Tab) and of stacking within a slot. Pure arithmetic: no
 * curses.
 */
#ifndef OBSLAB_UI_LAYOUT_H
#define OBSLAB_UI_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

struct pane_ops;

/* What fills the screen between the status bar and the footer. */
enum screen_mode {
	SCREEN_MAIN,    /* the waterfall and the panes about it */
	SCREEN_COMPARE, /* the comparison */
	SCREEN_SWEEP,   /* the sweep */
	SCREEN_DIFF,    /* the diff of the marked trace and the shown one */
	SCREEN_TRACES,  /* the trace list, full screen (T) */
	SCREEN_COUNT,
};
#define SCREEN_BIT(mode) (1u << (mode))
#define SCREEN_ALL ((1u << SCREEN_COUNT) - 1)

enum layout_slot {
	SLOT_TOP,    /* full width rows from the top */
	SLOT_BOTTOM, /* full width rows from the bottom */
	SLOT_LEFT,   /* the body's left 3/5 */
	SLOT_RIGHT,  /* the body's right 2/5 */
	SLOT_FULL,   /* the whole body */
};

enum size_rule {
	SIZE_ROWS,    /* n rows */
	SIZE_OF_SLOT, /* num/den of the slot's height, at least min */
	SIZE_OF_REST, /* num/den of what the ROWS and OF_SLOT panes leave, at least min */
	SIZE_REST,    /* whatever is left (one per slot and screen) */
	SIZE_TALL,    /* num/den of the slot's height where the slot has at least min rows, else none */
};

struct pane_size {
	enum size_rule rule;
	int n, num, den, min;
};

struct pane_place {
	const struct pane_ops *ops;
	enum layout_slot slot;
	struct pane_size size;
	unsigned screens; /* SCREEN_BIT()s */
};

struct layout_rect {
	int y, x, h, w;
};

#define LAYOUT_MAX_PANES 32

extern const struct pane_place layout_panes[];
extern const size_t layout_pane_count;

/* The geometry of every pane (out[i] for layout_panes[i]) on a screen of
 * lines x cols. */
void layout_compute(int lines, int cols, struct layout_rect *out);

static inline bool layout_shows(size_t i, enum screen_mode mode)
{
	return (layout_panes[i].screens & SCREEN_BIT(mode)) != 0;
}

#endif
