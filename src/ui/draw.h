/*
 * draw — the only way text reaches the screen.
 *
 * draw_text makes every string safe before curses sees it, by the rule the
 * commands' output follows too (obslab/textsafe.h): control characters and
 * escape sequences (C0, DEL, C1) are shown escaped (\x1b), invalid UTF-8
 * bytes as \xNN, and so is what the locale cannot show; text is cut to the
 * cells given, counting wide characters as two. Glyphs (box corners, tree
 * lines, bar blocks) come from one table, UTF-8 where the locale allows and
 * ASCII otherwise; colour comes from one palette, off when the terminal has
 * none or NO_COLOR is set, where attributes alone keep the panes readable.
 * UI thread only.
 */
#ifndef OBSLAB_UI_DRAW_H
#define OBSLAB_UI_DRAW_H

#include <ncurses.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum draw_role {
	ROLE_NORMAL,
	ROLE_TITLE,      /* pane titles */
	ROLE_FOCUS,      /* the focused pane's title */
	ROLE_STATUS,     /* the status bar */
	ROLE_DIM,        /* secondary text */
	ROLE_APP,        /* application time: server and internal spans */
	ROLE_DB,         /* database time */
	ROLE_NET,        /* simulated network time */
	ROLE_WARN,
	ROLE_ERROR,
	ROLE_SELECTED,   /* the selection in the focused pane */
	ROLE_MATCH,      /* a search's match (draw_text_match) */
	ROLE_COUNT,
};

struct glyphs {
	const char *tee, *corner, *vline; /* tree: ├ └ │ */
	const char *tee_left;             /* an axis tick: ┤ */
	const char *open, *closed;        /* group: ▾ ▸ */
	const char *times;                /* ×, in "×20" */
	const char *full, *light;         /* bar cells: █ ░ */
	const char *const *eighths;       /* partial cells, 1/8 to 7/8 */
	const char *tick;                 /* ruler tick: ┬ */
	const char *sep;                  /* status separator: │ */
	const char *dot;                  /* middle dot · */
	const char *live, *paused;        /* ● ‖ */
	const char *ellipsis;             /* … */
	const char *mu;                   /* µ */
	const char *warn;                 /* ⚠, before a finding */
	const char *dash;                 /* —, a figure not known yet */
	const char *more;                 /* ↓, "more below" in a cut pane */
};

/* Decides UTF-8 and colour once, after initscr. */
void draw_init(void);
bool draw_unicode(void);
bool draw_color(void);
const struct glyphs *draw_glyphs(void);
attr_t draw_attr(enum draw_role role);

/* Writes text at the cursor, escaped, in at most max_cells cells; when cut,
 * the last cell shows an ellipsis. Returns the cells used. */
int draw_text(WINDOW *w, const char *text, int max_cells);
/* draw_text, the search's matches in text standing out (ROLE_MATCH over
 * the attributes already on); s NULL or empty: draw_text. */
struct search;
int draw_text_match(WINDOW *w, const char *text, int max_cells, const struct search *s);
/* draw_text at (y, x). */
int draw_at(WINDOW *w, int y, int x, const char *text, int max_cells);
/* printf, then draw_text. */
int draw_fmt(WINDOW *w, int max_cells, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Cells text would take, escaped. */
int draw_width(const char *text);
/* text from (y, x) in lines of at most width cells and max_rows rows: a
 * line per '\n', each broken at spaces where it is wider; a word wider than
 * width (a long URL) goes on over the next lines, never cut. Returns the
 * rows drawn. */
int draw_wrapped(WINDOW *w, int y, int x, const char *text, int width, int max_rows);
/* How many bytes of text[0..len) fit in cells cells, drawn as draw_text
 * draws them: whole characters only (a CJK one takes 2 cells, an escaped
 * byte 4), so a line broken there never splits one. *used (if not NULL)
 * gets the cells they take. */
size_t draw_fit(const char *text, size_t len, int cells, int *used);
/* Where the end of text begins that fits in cells cells (whole characters):
 * a byte offset into text, 0 if all of it fits. */
size_t draw_tail(const char *text, int cells);
/* A prompt's text being typed, then its cursor `_`, in at most cells cells:
 * a text too wide shows its end, after an ellipsis, so the cursor and what
 * was typed last are always in sight. Returns the cells used. */
int draw_edit(WINDOW *w, const char *text, int cells);
/* text right-aligned in a field of cells (padding counts cells, not bytes). */
int draw_right(WINDOW *w, const char *text, int cells);

/* Fills cells [x0, x1) of the current row (in eighths of a cell: a bar
 * from position a8 to b8) with blocks; at least one sliver is always drawn. */
void draw_bar(WINDOW *w, int y, int x, int64_t a8, int64_t b8, attr_t attr);

/* A box with a title on the top border; focused titles stand out. */
void draw_frame(WINDOW *w, const char *title, bool focused);

/* "12.3ms", "845µs", "1.23s": three significant digits, at most 7 cells. */
void draw_duration(char *buf, size_t cap, int64_t ns);
/* "+1.20s", "+1m40s", "+3h07m", "+120h": an offset from the first trace's
 * start in 7 cells (the trace list's start column). */
void draw_start_offset(char *buf, size_t cap, int64_t ns);
/* "1,234,567" */
void draw_count(char *buf, size_t cap, uint64_t n);

#endif
