/*
 * keys — the one table of key bindings. It dispatches the keys, feeds the
 * help overlay and the footer, and prints the README's key list
 * (`obslab --keys`); there is no second list anywhere.
 */
#ifndef OBSLAB_UI_KEYS_H
#define OBSLAB_UI_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum action {
	ACT_NONE,
	/* the lab */
	ACT_TOGGLE_STRATEGY,
	ACT_NAIVE,
	ACT_OPTIMIZED,
	ACT_EAGER,
	ACT_PIPELINED,
	ACT_USERS_UP,
	ACT_USERS_DOWN,
	ACT_RTT,
	ACT_INDEX,
	ACT_PACE,
	ACT_PAUSE,
	ACT_COMPARE,
	ACT_SWEEP,
	ACT_SCOPE,
	ACT_EXPORT,
	/* traces and panes */
	ACT_PREV_TRACE,
	ACT_NEXT_TRACE,
	ACT_LIVE,
	ACT_FOCUS_NEXT,
	ACT_FOCUS_PREV,
	ACT_UP,
	ACT_DOWN,
	ACT_PAGE_UP,
	ACT_PAGE_DOWN,
	ACT_HOME,
	ACT_END,
	ACT_FOLD,
	/* lists and copying: < and > sort the focused list (the query list or
	 * the trace list), else the trace list where it is on screen */
	ACT_SORT_PREV,
	ACT_SORT_NEXT,
	ACT_COPY,

	/* the waterfall's view (model_waterfall.c) */
	ACT_ZOOM_IN,
	ACT_ZOOM_OUT,
	ACT_PAN_LEFT,
	ACT_PAN_RIGHT,
	ACT_SLOWEST,
	ACT_CRITICAL,
	ACT_FOLD_ALL,
	ACT_UNFOLD_ALL,
	ACT_LEGEND,

	/* the diff */
	ACT_MARK,
	ACT_DIFF,

	/* the trace list */
	ACT_TRACES,
	ACT_FILTER,
	/* search: `/`, and n / N while a search is active (model_search.c) */
	ACT_SEARCH,
	ACT_SEARCH_NEXT,
	ACT_SEARCH_PREV,
	/* the program */
	ACT_HELP,
	ACT_BACK,
	ACT_REDRAW,
	ACT_QUIT,
};

/* What a key needs from the source of traces: a key whose needs the
 * source does not meet is left out of the footer and the help, and pressing
 * it says why (a snapshot is read-only). 0: any source. */
enum control {
	CONTROL_SETTINGS = 1 << 0, /* strategy, users, RTT, index, pace */
	CONTROL_PAUSE = 1 << 1,
	CONTROL_MEASURE = 1 << 2,  /* comparison and sweep runs */
};

#define KEYS_PER_BINDING 3

struct key_binding {
	int keys[KEYS_PER_BINDING]; /* curses key codes; 0 ends the list */
	const char *label;          /* how help and the README name the keys */
	enum action action;
	const char *help;
	const char *hint;           /* the footer's short word, or NULL */
	unsigned needs;             /* enum control bits the source must offer */
	const char *help_file;      /* the help with a source that runs nothing (a file), or NULL: help */
};

extern const struct key_binding key_bindings[];
extern const size_t key_binding_count;

/* The action bound to a key, or ACT_NONE. */
enum action keys_lookup(int key);

/* The same, while a search is active or not: n and N go to the next and
 * previous match while one is (else n keeps its lab meaning). */
enum action keys_lookup_search(int key, bool search_active);

/* The controls an action needs (enum control bits; 0 for most). */
unsigned keys_needs(enum action action);
/* Whether an action works on a comparison or sweep screen (close it, start
 * the other, change the RTT or the index and measure again, help, redraw);
 * the lab's other keys wait until it is closed. */
bool keys_on_measure_screen(enum action action);
/* Whether an action works on the diff screen: scroll, close it (Esc, q,
 * d), help, redraw. */
bool keys_on_diff_screen(enum action action);
/* Whether an action is one the trace list's screen offers in its footer. */
bool keys_on_traces_screen(enum action action);
/* Whether a binding works with a source that offers these controls. */
bool keys_offered(const struct key_binding *b, unsigned controls);

/* The help of a binding as it applies with these controls: a source that
 * runs nothing (no CONTROL_MEASURE: a file) has no live trace, comparison
 * or sweep to speak of. */
const char *keys_help(const struct key_binding *b, unsigned controls);

/* The key list as a Markdown table (`obslab --keys`). */
void keys_print_markdown(FILE *out);

#endif
