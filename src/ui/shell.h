/*
 * shell — what holds the explorer together on the UI thread: curses, the
 * layout of the panes (layout.h's table), focus, the help overlay, the
 * screen mode, input and signals. The shell owns the panes (their windows
 * and private state), the model and the source; it turns keys into
 * actions (keys.h), actions into model calls or pane input, and applies the
 * intents panes answer with. shell.c: start, layout, frames, signals;
 * shell_input.c: keys, mouse, intents. Only this thread calls curses.
 */
#ifndef OBSLAB_UI_SHELL_H
#define OBSLAB_UI_SHELL_H

#include <ncurses.h>
#include <stdbool.h>
#include <stddef.h>

#include "layout.h"
#include "model.h"
#include "pane.h"
#include "source.h"

/* Below this the layout does not fit; a message says so instead. */
#define SHELL_MIN_COLS 80
#define SHELL_MIN_LINES 24

/* Bracketed paste (xterm's mode 2004, on while the explorer runs): the
 * terminal wraps pasted text in ESC [ 200 ~ ... ESC [ 201 ~; the shell reads
 * it whole into shell.paste (SHELL_PASTE_MAX bytes kept, the rest read,
 * counted in paste_dropped and dropped: the prompt then refuses the paste
 * whole) and hands it on as this key, never as keys. */
#define SHELL_KEY_PASTE (KEY_MAX + 1)
#define SHELL_PASTE_MAX 1024

struct shell {
	struct source source;
	struct model model;
	struct pane *panes;        /* one per row of layout_panes */
	size_t focus;              /* index of the focused pane */
	enum screen_mode screen;
	bool help_open, too_small, quit;
	size_t help_top;           /* first key shown when the help scrolls */
	WINDOW *overlay;
	char paste[SHELL_PASTE_MAX]; /* the last bracketed paste, control bytes as sent */
	size_t paste_len;
	size_t paste_dropped;        /* its bytes past SHELL_PASTE_MAX, read and dropped: > 0 refuses it */
	bool source_stopped;         /* the model freed and the source stopped (before the forwarder's flush) */
};

/* shell.c */
void shell_layout(struct shell *sh);  /* the one place that answers a resize */
/* Marks the panes that watch these changes dirty and lets them sync. */
void shell_dispatch(struct shell *sh, unsigned changed);
/* shell_dispatch with what the model changed since the last call. */
void shell_take_changes(struct shell *sh);

/* shell_input.c */
void shell_handle_key(struct shell *sh, int key);
/* Shows another screen, focused on its first focusable pane. */
void shell_set_screen(struct shell *sh, enum screen_mode screen);
size_t shell_first_focus(enum screen_mode screen);

#endif
