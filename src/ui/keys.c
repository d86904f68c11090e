#include "keys.h"

#include <ncurses.h>

#include "obslab/request.h"
#include "obslab/workload.h"

#define CTRL(c) ((c) & 0x1f)

const struct key_binding key_bindings[] = {
	{ { 't' }, "t", ACT_TOGGLE_STRATEGY, "toggle naive (N+1) and optimized", "N+1/opt" },
	{ { 'n' }, "n", ACT_NAIVE, "naive: 1 query for users + 1 per user (N+1)", NULL },
	{ { 'o' }, "o", ACT_OPTIMIZED, "optimized: one LEFT JOIN ... GROUP BY query", NULL },
	{ { 'e' }, "e", ACT_EAGER, "eager: users, then IN (...) chunks of " WORKLOAD_TEXT(REQUEST_EAGER_CHUNK) " ids", NULL },
	{ { '+', '=' }, "+", ACT_USERS_UP, "more users: " WORKLOAD_TEXT(WORKLOAD_USER_STEPS) " (reseeds)", "users" },
	{ { '-', '_' }, "-", ACT_USERS_DOWN, "fewer users", NULL },
	{ { 'r' }, "r", ACT_RTT, "simulated network RTT: " WORKLOAD_TEXT(WORKLOAD_RTT_STEPS_US) " us", "RTT" },
	{ { 'i' }, "i", ACT_INDEX, "toggle the index on orders.user_id", "index" },
	{ { 'f' }, "f", ACT_PACE, "request pace: " WORKLOAD_PACE_TEXT, NULL },
	{ { ' ' }, "Space", ACT_PAUSE, "pause or resume capture", "pause" },
	{ { 'c' }, "c", ACT_COMPARE, "compare naive, optimized and eager here (measured)", "compare" },
	{ { 's' }, "s", ACT_SWEEP, "sweep " WORKLOAD_TEXT(PLAN_SWEEP_FIRST_USERS) " to " WORKLOAD_TEXT(PLAN_SWEEP_LAST_USERS) " users (measured; Esc cancels)", "sweep" },
	{ { 'w' }, "w", ACT_SCOPE, "query list: this trace, or the last minute", NULL },
	{ { 'x' }, "x", ACT_EXPORT, "export a snapshot: then n native, o OTLP, c Chrome", "export" },
	{ { '[', KEY_LEFT }, "[ Left", ACT_PREV_TRACE, "previous captured trace", NULL },
	{ { ']', KEY_RIGHT }, "] Right", ACT_NEXT_TRACE, "next captured trace (the newest: live again)", NULL },
	{ { '\t' }, "Tab", ACT_FOCUS_NEXT, "focus the next pane", "pane" },
	{ { KEY_BTAB }, "Shift-Tab", ACT_FOCUS_PREV, "focus the previous pane", NULL },
	{ { KEY_UP, 'k' }, "Up k", ACT_UP, "select the row above", NULL },
	{ { KEY_DOWN, 'j' }, "Down j", ACT_DOWN, "select the row below", NULL },
	{ { KEY_PPAGE }, "PgUp", ACT_PAGE_UP, "a page up", NULL },
	{ { KEY_NPAGE }, "PgDn", ACT_PAGE_DOWN, "a page down", NULL },
	{ { KEY_HOME, 'g' }, "Home g", ACT_HOME, "the first row", NULL },
	{ { KEY_END, 'G' }, "End G", ACT_END, "the last row", NULL },
	{ { '\n', KEY_ENTER, '\r' }, "Enter", ACT_FOLD, "fold or unfold repeated queries (xN)", "fold" },
	{ { '?', 'h', KEY_F(1) }, "? h F1", ACT_HELP, "this help", "help" },
	{ { 27 }, "Esc", ACT_BACK, "close the help, the comparison or the sweep", NULL },
	{ { CTRL('l') }, "Ctrl-L", ACT_REDRAW, "redraw the screen", NULL },
	{ { 'q', 'Q' }, "q", ACT_QUIT, "quit (from a comparison or sweep: back)", "quit" },
};

const size_t key_binding_count = sizeof key_bindings / sizeof key_bindings[0];

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
