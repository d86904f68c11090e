/*
 * layout — the table of panes and the arithmetic that places them (see
 * layout.h). One row per pane: the X-macro declares each pane's ops table
 * and writes its row, so nothing else lists the panes.
 */
#include "layout.h"

#include "pane.h"

#define ROWS(n) { SIZE_ROWS, (n), 0, 1, 0 }
#define OF_SLOT(num, den, min) { SIZE_OF_SLOT, 0, (num), (den), (min) }
#define OF_REST(num, den, min) { SIZE_OF_REST, 0, (num), (den), (min) }
#define REST { SIZE_REST, 0, 0, 1, 0 }
#define TALL(num, den, min) { SIZE_TALL, 0, (num), (den), (min) }
#define MAIN SCREEN_BIT(SCREEN_MAIN)
#define COMPARE SCREEN_BIT(SCREEN_COMPARE)
#define SWEEP SCREEN_BIT(SCREEN_SWEEP)
#define DIFF SCREEN_BIT(SCREEN_DIFF)
#define TRACES SCREEN_BIT(SCREEN_TRACES)

/*    pane          slot         size                  screens */
#define PANES(X)                                                   \
	X(status,      SLOT_TOP,    ROWS(1),             SCREEN_ALL) \
	X(waterfall,   SLOT_LEFT,   REST,                MAIN)       \
	X(attribution, SLOT_RIGHT,  ROWS(8),             MAIN)       \
	X(queries,     SLOT_RIGHT,  OF_REST(1, 2, 0),    MAIN)       \
	X(details,     SLOT_LEFT,   OF_SLOT(2, 5, 8),    MAIN)       \
	X(log,         SLOT_RIGHT,  REST,                MAIN)       \
	X(tracelist,   SLOT_RIGHT,  TALL(1, 3, 40),      MAIN)       \
	X(compare,     SLOT_FULL,   REST,                COMPARE)    \
	X(sweep,       SLOT_FULL,   REST,                SWEEP)      \
	X(diff,        SLOT_FULL,   REST,                DIFF)       \
	X(traces,      SLOT_FULL,   REST,                TRACES)     \
	X(footer,      SLOT_BOTTOM, ROWS(1),             SCREEN_ALL)

#define DECLARE(name, slot, size, screens) extern const struct pane_ops pane_##name##_ops;
PANES(DECLARE)

#define ROW(name, slot, size, screens) { &pane_##name##_ops, slot, size, screens },
const struct pane_place layout_panes[] = { PANES(ROW) };
const size_t layout_pane_count = sizeof layout_panes / sizeof layout_panes[0];
_Static_assert(sizeof layout_panes / sizeof layout_panes[0] <= LAYOUT_MAX_PANES, "raise LAYOUT_MAX_PANES");

static int at_least(int v, int min)
{
	return v < min ? min : v;
}

/* The height of every pane of one slot shown on one screen, stacked in the
 * table's order from y (downwards, or upwards for the bottom slot). */
static void place_slot(enum layout_slot slot, unsigned screen, int y, int x, int h, int w, bool upwards,
                       struct layout_rect *out)
{
	int height[LAYOUT_MAX_PANES] = { 0 };
	int used = 0, rest = -1;
	for (size_t i = 0; i < layout_pane_count; i++) {
		const struct pane_place *pl = &layout_panes[i];
		if (pl->slot != slot || !(pl->screens & screen))
			continue;
		if (pl->size.rule == SIZE_ROWS)
			height[i] = pl->size.n;
		else if (pl->size.rule == SIZE_OF_SLOT)
			height[i] = at_least(h * pl->size.num / pl->size.den, pl->size.min);
		else if (pl->size.rule == SIZE_TALL)
			height[i] = h >= pl->size.min ? h * pl->size.num / pl->size.den : 0;
		used += height[i];
	}
	int left = h - used;
	for (size_t i = 0; i < layout_pane_count; i++) {
		const struct pane_place *pl = &layout_panes[i];
		if (pl->slot != slot || !(pl->screens & screen))
			continue;
		if (pl->size.rule == SIZE_OF_REST) {
			height[i] = at_least(left * pl->size.num / pl->size.den, pl->size.min);
			used += height[i];
		} else if (pl->size.rule == SIZE_REST) {
			rest = (int)i;
		}
	}
	if (rest >= 0)
		height[rest] = h - used;
	for (size_t i = 0; i < layout_pane_count; i++) {
		const struct pane_place *pl = &layout_panes[i];
		if (pl->slot != slot || !(pl->screens & screen))
			continue;
		if (upwards)
			y -= height[i];
		out[i] = (struct layout_rect){ y, x, height[i], w };
		if (!upwards)
			y += height[i];
	}
}

static int slot_rows(enum layout_slot slot)
{
	int rows = 0;
	for (size_t i = 0; i < layout_pane_count; i++)
		if (layout_panes[i].slot == slot && layout_panes[i].size.rule == SIZE_ROWS)
			rows += layout_panes[i].size.n;
	return rows;
}

void layout_compute(int lines, int cols, struct layout_rect *out)
{
	int top = slot_rows(SLOT_TOP), bottom = slot_rows(SLOT_BOTTOM);
	int body = lines - top - bottom, left = cols * 3 / 5;
	for (int s = 0; s < SCREEN_COUNT; s++) {
		unsigned screen = SCREEN_BIT(s);
		place_slot(SLOT_TOP, screen, 0, 0, top, cols, false, out);
		place_slot(SLOT_BOTTOM, screen, lines, 0, bottom, cols, true, out);
		place_slot(SLOT_LEFT, screen, top, 0, body, left, false, out);
		place_slot(SLOT_RIGHT, screen, top, left, body, cols - left, false, out);
		place_slot(SLOT_FULL, screen, top, 0, body, cols, false, out);
	}
}
