/* keys — the one table of key bindings (see keys.h). */
#include "keys.h"

#include <ncurses.h>

#include "obslab/request.h"
#include "obslab/workload.h"

#define CTRL(c) ((c) & 0x1f)

const struct key_binding key_bindings[] = {
	{ { 't' }, "t", ACT_TOGGLE_STRATEGY, "toggle naive (N+1) and optimized", "N+1/opt", CONTROL_SETTINGS, NULL },
	{ { 'n' }, "n", ACT_NAIVE, "naive: 1 query for users + 1 per user (N+1)", NULL, CONTROL_SETTINGS, NULL },
	{ { 'o' }, "o", ACT_OPTIMIZED, "optimized: one LEFT JOIN ... GROUP BY query", NULL, CONTROL_SETTINGS, NULL },
	{ { 'e' }, "e", ACT_EAGER, "eager: users, then IN (...) chunks of " WORKLOAD_TEXT(REQUEST_EAGER_CHUNK) " ids", NULL, CONTROL_SETTINGS, NULL },
	{ { 'p' }, "p", ACT_PIPELINED, "pipelined: naive's queries in one pipeline (PostgreSQL)", "pipelined", CONTROL_SETTINGS, NULL },
	{ { '+', '=' }, "+", ACT_USERS_UP, "more users: " WORKLOAD_TEXT(WORKLOAD_USER_STEPS) " (reseeds)", "users", CONTROL_SETTINGS, NULL },
	{ { '-', '_' }, "-", ACT_USERS_DOWN, "fewer users", NULL, CONTROL_SETTINGS, NULL },
	{ { 'r' }, "r", ACT_RTT, "simulated RTT, SQLite only: " WORKLOAD_TEXT(WORKLOAD_RTT_STEPS_US) " us", "RTT", CONTROL_SETTINGS, NULL },
	{ { 'i' }, "i", ACT_INDEX, "toggle the index on orders.user_id", "index", CONTROL_SETTINGS, NULL },
	{ { 'f' }, "f", ACT_PACE, "request pace: " WORKLOAD_PACE_TEXT, NULL, CONTROL_SETTINGS, NULL },
	{ { ' ' }, "Space", ACT_PAUSE, "pause the lab's requests (--serve: the server still serves)", "pause", CONTROL_PAUSE, NULL },
	{ { 'c' }, "c", ACT_COMPARE, "compare the strategies here (measured)", "compare", CONTROL_MEASURE, NULL },
	{ { 's' }, "s", ACT_SWEEP, "sweep " WORKLOAD_TEXT(PLAN_SWEEP_FIRST_USERS) " to " WORKLOAD_TEXT(PLAN_SWEEP_LAST_USERS) " users (measured; Esc cancels)", "sweep", CONTROL_MEASURE, NULL },
	{ { 'w' }, "w", ACT_SCOPE, "query list: this trace, or the last minute (a file: all)", NULL, 0, "query list: this trace, or all the file's traces" },
	{ { 'x' }, "x", ACT_EXPORT, "export a snapshot: then n native, o OTLP, c Chrome", "export", 0, NULL },
	{ { '[', KEY_LEFT }, "[ Left", ACT_PREV_TRACE, "previous captured trace", NULL, 0, "previous trace of the file" },
	{ { ']', KEY_RIGHT }, "] Right", ACT_NEXT_TRACE, "next captured trace (the newest: live again)", NULL, 0, "next trace of the file" },
	{ { 'L' }, "L", ACT_LIVE, "back to live: the newest trace (a file: its last trace)", NULL, 0, "the file's last trace" },
	{ { '\t' }, "Tab", ACT_FOCUS_NEXT, "focus the next pane", "pane", 0, NULL },
	{ { KEY_BTAB }, "Shift-Tab", ACT_FOCUS_PREV, "focus the previous pane", NULL, 0, NULL },
	{ { KEY_UP, 'k' }, "Up k", ACT_UP, "select the row above", NULL, 0, NULL },
	{ { KEY_DOWN, 'j' }, "Down j", ACT_DOWN, "select the row below", NULL, 0, NULL },
	{ { KEY_PPAGE }, "PgUp", ACT_PAGE_UP, "a page up", NULL, 0, NULL },
	{ { KEY_NPAGE }, "PgDn", ACT_PAGE_DOWN, "a page down", NULL, 0, NULL },
	{ { KEY_HOME, 'g' }, "Home g", ACT_HOME, "the first row", NULL, 0, NULL },
	{ { KEY_END, 'G' }, "End G", ACT_END, "the last row", NULL, 0, NULL },
	{ { '\n', KEY_ENTER, '\r' }, "Enter", ACT_FOLD, "fold/unfold (xN); query list: mark spans; trace list: open", "fold", 0, NULL },
	{ { '<' }, "<", ACT_SORT_PREV, "sort the query or trace list by the previous column", "sort", 0, NULL },
	{ { '>' }, ">", ACT_SORT_NEXT, "sort the query or trace list by the next column", NULL, 0, NULL },
	{ { 'y' }, "y", ACT_COPY, "copy (OSC 52): then s SQL, i span id, t trace id", NULL, 0, NULL },

	/* the waterfall's view */
	{ { 'z' }, "z", ACT_ZOOM_IN, "zoom into the selected span's time range (again: deeper)", NULL, 0, NULL },
	{ { 'Z' }, "Z", ACT_ZOOM_OUT, "zoom out one level", NULL, 0, NULL },
	{ { ',' }, ",", ACT_PAN_LEFT, "pan left while zoomed in", NULL, 0, NULL },
	{ { '.' }, ".", ACT_PAN_RIGHT, "pan right while zoomed in", NULL, 0, NULL },
	{ { 'S' }, "S", ACT_SLOWEST, "the slowest span: the longest that is not the root", NULL, 0, NULL },
	{ { 'C' }, "C", ACT_CRITICAL, "critical path: the spans the request's end waited on", NULL, 0, NULL },
	{ { 'F' }, "F", ACT_FOLD_ALL, "fold all groups of repeated queries", NULL, 0, NULL },
	{ { 'A' }, "A", ACT_UNFOLD_ALL, "unfold all groups of repeated queries", NULL, 0, NULL },
	{ { 'l' }, "l", ACT_LEGEND, "legend of the waterfall's colours", NULL, 0, NULL },

	{ { 'm' }, "m", ACT_MARK, "mark the shown trace, to diff another against it", NULL, 0, NULL },
	{ { 'd' }, "d", ACT_DIFF, "diff the marked trace against the shown one (Esc back)", NULL, 0, NULL },

	/* the trace list */
	{ { 'T' }, "T", ACT_TRACES, "the trace list, full screen (T or Esc: back)", "traces", 0, NULL },
	{ { '\\' }, "\\", ACT_FILTER, "trace list: filter, e.g. duration > 50ms and not error", "filter", 0, NULL },
	/* search */
	{ { '/' }, "/", ACT_SEARCH, "search the shown trace's spans and the log", "search", 0, NULL },
	/* n: no key of its own (one binding per key): keys_lookup_search reads n as this while a search is active */
	{ { 0 }, "n", ACT_SEARCH_NEXT, "next match (while a search is active; else naive)", NULL, 0, "next match (while a search is active)" },
	{ { 'N' }, "N", ACT_SEARCH_PREV, "previous match (while a search is active)", NULL, 0, NULL },
	{ { '?', 'h', KEY_F(1) }, "? h F1", ACT_HELP, "this help", "help", 0, NULL },
	{ { 27 }, "Esc", ACT_BACK, "close help/comparison/sweep/diff/trace list; clear search", NULL, 0, "close the help; clear a search" },
	{ { CTRL('l') }, "Ctrl-L", ACT_REDRAW, "redraw the screen", NULL, 0, NULL },
	{ { 'q', 'Q' }, "q", ACT_QUIT, "quit (from a comparison, sweep, diff or trace list: back)", "quit", 0, "quit" },
};

const size_t key_binding_count = sizeof key_bindings / sizeof key_bindings[0];

unsigned keys_needs(enum action action)
{
	for (size_t i = 0; i < key_binding_count; i++)
		if (key_bindings[i].action == action)
			return key_bindings[i].needs;
	return 0;
}

bool keys_on_measure_screen(enum action action)
{
	switch (action) {
	case ACT_QUIT:
	case ACT_BACK:
	case ACT_RTT:
	case ACT_INDEX:
	case ACT_COMPARE:
	case ACT_SWEEP:
	case ACT_HELP:
	case ACT_REDRAW:
		return true;
	default:
		return false;
	}
}

bool keys_on_diff_screen(enum action action)
{
	switch (action) {
	case ACT_QUIT:
	case ACT_BACK:
	case ACT_DIFF:
	case ACT_UP:
	case ACT_DOWN:
	case ACT_PAGE_UP:
	case ACT_PAGE_DOWN:
	case ACT_HOME:
	case ACT_END:
	case ACT_HELP:
	case ACT_REDRAW:
		return true;
	default:
		return false;
	}
}

bool keys_on_traces_screen(enum action action)
{
	switch (action) {
	case ACT_TRACES:
	case ACT_SORT_PREV:
	case ACT_FILTER:
	case ACT_FOLD:
	case ACT_HELP:
	case ACT_QUIT:
		return true;
	default:
		return false;
	}
}

const char *keys_help(const struct key_binding *b, unsigned controls)
{
	return b->help_file && !(controls & CONTROL_MEASURE) ? b->help_file : b->help;
}

bool keys_offered(const struct key_binding *b, unsigned controls)
{
	return (b->needs & controls) == b->needs;
}

enum action keys_lookup_search(int key, bool search_active)
{
	if (search_active && key == 'n')
		return ACT_SEARCH_NEXT;
	if (key == 'N')
		return search_active ? ACT_SEARCH_PREV : ACT_NONE;
	return keys_lookup(key);
}

enum action keys_lookup(int key)
{
	for (size_t i = 0; i < key_binding_count; i++) {
		for (int k = 0; k < KEYS_PER_BINDING && key_bindings[i].keys[k]; k++) {
			if (key_bindings[i].keys[k] == key)
				return key_bindings[i].action;
		}
	}
	return ACT_NONE;
}

void keys_print_markdown(FILE *out)
{
	fputs("| key | action |\n|---|---|\n", out);
	for (size_t i = 0; i < key_binding_count; i++)
		fprintf(out, "| `%s` | %s |\n", key_bindings[i].label, key_bindings[i].help);
}
