/*
 * shell_input — keys and the mouse: a key becomes an action (keys.h); the
 * shell acts on the actions that are its own (focus, help, screens, quit),
 * passes the lab's to the model when the source offers them, and hands
 * moving and folding to the focused pane, whose intent it then applies to
 * the model (see shell.h).
 */
#include "shell.h"

#include <stdio.h>
#include <stdlib.h>

#include "help.h"
#include "keys.h"

extern const struct pane_ops pane_traces_ops, pane_tracelist_ops;

static void mark(struct shell *sh, unsigned changed)
{
	for (size_t i = 0; i < layout_pane_count; i++)
		if (sh->panes[i].ops->watches & changed)
			sh->panes[i].dirty = true;
}

/* What a pane asked for, done. */
static void apply(struct shell *sh, size_t pane, struct intent in)
{
	switch (in.kind) {
	case INTENT_NONE: return;
	case INTENT_REDRAW: break;
	case INTENT_SELECT_ROW: model_select(&sh->model, in.row); break;
	case INTENT_TOGGLE_FOLD: model_toggle_fold(&sh->model, in.row); break;
	case INTENT_SORT_QUERIES: model_step_query_sort(&sh->model, in.row ? 1 : -1); break;
	case INTENT_CHOOSE_QUERY: model_choose_query(&sh->model, in.row); break;
	case INTENT_TRACES_SELECT: model_traces_move(&sh->model, in.row); break;
	case INTENT_TRACES_SORT: model_traces_sort_step(&sh->model, in.row ? 1 : -1); break;
	case INTENT_OPEN_TRACE:
		model_traces_move(&sh->model, in.row);
		if (model_traces_open(&sh->model) && sh->screen == SCREEN_TRACES) {
			shell_set_screen(sh, SCREEN_MAIN);
			shell_take_changes(sh);
			return;
		}
		break;
	}
	sh->panes[pane].dirty = true;
	shell_take_changes(sh);
}

static void set_focus(struct shell *sh, size_t i)
{
	if (sh->focus == i)
		return;
	if (sh->panes[sh->focus].ops->holds_trace != sh->panes[i].ops->holds_trace)
		model_hold_for_details(&sh->model, sh->panes[i].ops->holds_trace);
	sh->panes[sh->focus].dirty = true;
	sh->focus = i;
	sh->panes[i].dirty = true;
}

size_t shell_first_focus(enum screen_mode screen)
{
	for (size_t i = 0; i < layout_pane_count; i++)
		if (layout_panes[i].ops->focusable && layout_shows(i, screen))
			return i;
	return 0;
}

void shell_set_screen(struct shell *sh, enum screen_mode screen)
{
	if (sh->screen != screen)
		model_message_clear(&sh->model); /* it was about the screen left */
	sh->screen = screen;
	set_focus(sh, shell_first_focus(screen));
	shell_layout(sh); /* a clean screen for the new one */
}

static void cycle_focus(struct shell *sh, int dir)
{
	size_t n = layout_pane_count, i = sh->focus;
	for (size_t k = 0; k < n; k++) {
		i = (i + n + (size_t)(dir > 0 ? 1 : n - 1)) % n;
		if (layout_panes[i].ops->focusable && layout_shows(i, sh->screen) && sh->panes[i].win)
			break;
	}
	set_focus(sh, i);
}

static void toggle_help(struct shell *sh)
{
	sh->help_open = !sh->help_open;
	sh->help_top = 0;
	shell_layout(sh); /* creates or removes the overlay, and repaints */
}

/* On a comparison or sweep screen, q and Esc go back; c and s measure again,
 * and so do r and i after they change the setting (lab_action). */
static bool handle_screen_action(struct shell *sh, enum action action)
{
	if (sh->screen == SCREEN_DIFF) { /* Esc, q or d close it; moving keys scroll it */
		if (action == ACT_QUIT || action == ACT_BACK || action == ACT_DIFF) {
			shell_set_screen(sh, SCREEN_MAIN);
			return true;
		}
		return !keys_on_diff_screen(action);
	}
	switch (action) {
	case ACT_QUIT:
	case ACT_BACK:
		model_cancel_measure(&sh->model);
		shell_set_screen(sh, SCREEN_MAIN);
		return true;
	default:
		/* the lab's keys wait until the screen is closed; the rest work as anywhere */
		return !keys_on_measure_screen(action);
	}
}

/* The trace list's screen: T, Esc and q go back; the rest work as anywhere. */
static bool handle_traces_screen_action(struct shell *sh, enum action action)
{
	if (action == ACT_QUIT || action == ACT_BACK || action == ACT_TRACES) {
		shell_set_screen(sh, SCREEN_MAIN);
		return true;
	}
	return false;
}

/* The index of the trace list pane shown on the current screen (the main
 * screen has one where the terminal is tall enough), or the count. */
static size_t traces_pane(const struct shell *sh)
{
	for (size_t i = 0; i < layout_pane_count; i++)
		if ((layout_panes[i].ops == &pane_traces_ops || layout_panes[i].ops == &pane_tracelist_ops) && layout_shows(i, sh->screen) && sh->panes[i].win)
			return i;
	return layout_pane_count;
}

/* The filter prompt: it takes every key until Enter applies a text that
 * parses, or Esc closes it. */
static void prompt_key(struct shell *sh, int key)
{
	struct model *m = &sh->model;
	if (key == 27)
		model_traces_prompt(m, false);
	else if (key == '\n' || key == '\r' || key == KEY_ENTER)
		model_traces_apply(m);
	else if (key == KEY_BACKSPACE || key == 127 || key == 8)
		model_traces_prompt_erase(m);
	else if (key == ('u' & 0x1f)) /* Ctrl-U: the whole text */
		model_traces_prompt_clear(m);
	else if (key == ('w' & 0x1f)) /* Ctrl-W: the last word */
		model_traces_prompt_erase_word(m);
	else if (key == KEY_UP)
		model_traces_prompt_history(m, -1);
	else if (key == KEY_DOWN)
		model_traces_prompt_history(m, 1);
	else if (key >= 0x20 && key < 0x100)
		model_traces_prompt_char(m, (char)key);
	shell_take_changes(sh);
	mark(sh, MODEL_STATUS | MODEL_TRACES);
}

/* The keys that change the lab: the model's, once the source offers them. */
static void lab_action(struct shell *sh, enum action action)
{
	struct model *m = &sh->model;
	if (model_lab_stopped(m))
		return; /* the status bar says why */
	switch (action) {
	case ACT_TOGGLE_STRATEGY: model_toggle_strategy(m); break;
	case ACT_NAIVE: model_set_strategy(m, STRATEGY_NAIVE); break;
	case ACT_OPTIMIZED: model_set_strategy(m, STRATEGY_OPTIMIZED); break;
	case ACT_EAGER: model_set_strategy(m, STRATEGY_EAGER); break;
	case ACT_PIPELINED: model_set_strategy(m, STRATEGY_PIPELINED); break;
	case ACT_USERS_UP: model_step_users(m, 1); break;
	case ACT_USERS_DOWN: model_step_users(m, -1); break;
	case ACT_RTT:
	case ACT_INDEX:
		if (action == ACT_RTT)
			model_next_rtt(m);
		else
			model_toggle_index(m);
		if (sh->screen == SCREEN_COMPARE || sh->screen == SCREEN_SWEEP) /* on a comparison or sweep: measured again, as its text says */
			model_measure(m, sh->screen == SCREEN_SWEEP ? MEASURE_SWEEP : MEASURE_COMPARE);
		break;
	case ACT_PACE: model_next_pace(m); break;
	case ACT_PAUSE: model_toggle_pause(m); break;
	case ACT_COMPARE:
	case ACT_SWEEP:
		if (model_ask_measure(m, action == ACT_COMPARE ? MEASURE_COMPARE : MEASURE_SWEEP))
			break; /* long: the status bar asks first */
		model_measure(m, action == ACT_COMPARE ? MEASURE_COMPARE : MEASURE_SWEEP);
		shell_set_screen(sh, action == ACT_COMPARE ? SCREEN_COMPARE : SCREEN_SWEEP);
		break;
	default: break;
	}
}

static void handle_action(struct shell *sh, enum action action)
{
	struct model *m = &sh->model;
	if (sh->screen == SCREEN_TRACES) {
		if (handle_traces_screen_action(sh, action))
			return;
	} else if (sh->screen != SCREEN_MAIN && handle_screen_action(sh, action)) {
		return;
	}
	unsigned needs = keys_needs(action);
	if (needs) {
		if (source_offers(&sh->source, needs))
			lab_action(sh, action);
		else
			model_refuse(m);
	}
	switch (action) {
	case ACT_EXPORT: model_set_prompt(m, true); break;
	case ACT_COPY: model_set_copy_prompt(m, true); break;
	case ACT_SCOPE: model_toggle_scope(m); break;
	case ACT_PREV_TRACE: model_step(m, -1); break;
	case ACT_NEXT_TRACE: model_step(m, 1); break;
	case ACT_LIVE: model_live(m); break;
	case ACT_MARK: model_mark(m); break;
	case ACT_DIFF:
		if (model_diff_build(m)) {
			shell_set_screen(sh, SCREEN_DIFF);
			model_diff_announce(m);
		}
		break;
	case ACT_FOCUS_NEXT: cycle_focus(sh, 1); break;
	case ACT_FOCUS_PREV: cycle_focus(sh, -1); break;
	case ACT_HELP: toggle_help(sh); break;
	case ACT_REDRAW: shell_layout(sh); break;
	case ACT_QUIT: sh->quit = true; break;
	/* the waterfall's view */
	case ACT_ZOOM_IN: model_zoom_in(m); break;
	case ACT_ZOOM_OUT: model_zoom_out(m); break;
	case ACT_PAN_LEFT: model_pan(m, -1); break;
	case ACT_PAN_RIGHT: model_pan(m, 1); break;
	case ACT_SLOWEST: model_select_slowest(m); break;
	case ACT_CRITICAL: model_toggle_critical(m); break;
	case ACT_FOLD_ALL: model_fold_all(m, true); break;
	case ACT_UNFOLD_ALL: model_fold_all(m, false); break;
	case ACT_LEGEND: model_toggle_legend(m); break;
	/* the trace list */
	case ACT_TRACES: shell_set_screen(sh, SCREEN_TRACES); break;
	case ACT_FILTER:
		if (traces_pane(sh) == layout_pane_count)
			shell_set_screen(sh, SCREEN_TRACES);
		model_traces_prompt(m, true);
		break;
	case ACT_SORT_PREV:
	case ACT_SORT_NEXT: {
		/* the focused list sorts; the trace list when it is on screen and no other list has focus */
		struct pane *p = &sh->panes[sh->focus];
		struct intent in = p->ops->handle ? p->ops->handle(p, m, action) : pane_intent(INTENT_NONE, 0);
		size_t t = traces_pane(sh);
		if (in.kind == INTENT_NONE && t < layout_pane_count)
			apply(sh, t, pane_intent(INTENT_TRACES_SORT, action == ACT_SORT_NEXT));
		else if (in.kind == INTENT_NONE) /* an older "sorted by" would say something happened */
			model_message(m, false, "nothing sorted: %s sorts the query list (Tab to it) or the trace list (T)",
			              action == ACT_SORT_NEXT ? ">" : "<");
		else
			apply(sh, sh->focus, in);
		break;
	}
	/* search */
	case ACT_SEARCH: model_search_open(m); break;
	case ACT_SEARCH_NEXT: model_search_step(m, 1); break;
	case ACT_SEARCH_PREV: model_search_step(m, -1); break;
	case ACT_BACK:
		if (model_search_active(m))
			model_search_clear(m); /* n is the lab's again */
		break;
	case ACT_UP:
	case ACT_DOWN:
	case ACT_PAGE_UP:
	case ACT_PAGE_DOWN:
	case ACT_HOME:
	case ACT_END:
	case ACT_FOLD: {
		struct pane *p = &sh->panes[sh->focus];
		if (p->ops->handle)
			apply(sh, sh->focus, p->ops->handle(p, m, action));
		break;
	}
	default: break; /* the lab's, above; ACT_NONE does nothing here */
	}
	shell_take_changes(sh);
	mark(sh, MODEL_STATUS);
}

static void handle_mouse(struct shell *sh)
{
	MEVENT ev;
	if (getmouse(&ev) != OK || sh->too_small)
		return;
	for (size_t i = 0; i < layout_pane_count; i++) {
		struct pane *p = &sh->panes[i];
		if (!p->ops->focusable || !p->win || !layout_shows(i, sh->screen) || !wenclose(p->win, ev.y, ev.x))
			continue;
		if (ev.bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED)) {
			enum action a = ev.bstate & BUTTON4_PRESSED ? ACT_UP : ACT_DOWN;
			for (int k = 0; k < 3 && p->ops->handle; k++)
				apply(sh, i, p->ops->handle(p, &sh->model, a));
		} else if (ev.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED)) {
			set_focus(sh, i);
			if (p->ops->click)
				apply(sh, i, p->ops->click(p, &sh->model, ev.y - p->y, ev.x - p->x));
		}
		return;
	}
}

/* A bracketed paste (shell.c read it whole): text for an open text prompt,
 * never keys; with no prompt open it is dropped, and the status bar says so. */
static void handle_paste(struct shell *sh)
{
	struct model *m = &sh->model;
	if (sh->too_small || sh->help_open)
		return;
	if (m->search.prompt) {
		model_search_paste(m, sh->paste, sh->paste_len, sh->paste_dropped);
	} else if (m->traces.prompt) {
		model_traces_prompt_paste(m, sh->paste, sh->paste_len, sh->paste_dropped);
		mark(sh, MODEL_TRACES);
	} else {
		model_message(m, false, "paste ignored: open a prompt first (/ search, \\ filter)");
	}
	shell_take_changes(sh);
	mark(sh, MODEL_STATUS);
}

void shell_handle_key(struct shell *sh, int key)
{
	struct model *m = &sh->model;
	if (key == KEY_RESIZE) {
		shell_layout(sh);
		return;
	}
	if (key == KEY_MOUSE) {
		handle_mouse(sh);
		return;
	}
	if (key == SHELL_KEY_PASTE) {
		handle_paste(sh);
		return;
	}
	if (sh->too_small) { /* only q acts, as the screen says; the rest waits for a larger terminal */
		if (keys_lookup(key) == ACT_QUIT)
			sh->quit = true;
		return;
	}
	if (sh->help_open) { /* moving keys scroll the help; any other closes it */
		enum action a = keys_lookup(key);
		if (a == ACT_UP || a == ACT_DOWN || a == ACT_PAGE_UP || a == ACT_PAGE_DOWN) {
			size_t step = a == ACT_UP || a == ACT_DOWN ? 1 : 10;
			bool back = a == ACT_UP || a == ACT_PAGE_UP;
			sh->help_top = back ? (sh->help_top > step ? sh->help_top - step : 0) : sh->help_top + step;
			mark(sh, MODEL_STATUS); /* a frame, so the overlay redraws */
			return;
		}
		toggle_help(sh);
		return;
	}
	if (m->search.prompt) { /* `/` was pressed: keys edit the query until Enter or Esc */
		model_search_key(m, key);
		shell_take_changes(sh);
		mark(sh, MODEL_STATUS);
		return;
	}
	if (m->confirm.open) { /* c or s asked first: Enter starts it, any other key does not */
		bool yes = key == '\n' || key == '\r' || key == KEY_ENTER;
		if (yes && model_lab_stopped(m))
			yes = false; /* the workload has failed since: nothing to measure with */
		enum measure_kind kind = m->confirm.kind;
		model_answer_measure(m, yes);
		if (yes)
			shell_set_screen(sh, kind == MEASURE_COMPARE ? SCREEN_COMPARE : SCREEN_SWEEP);
		shell_take_changes(sh);
		mark(sh, MODEL_STATUS);
		return;
	}
	if (m->q.copy_prompt) { /* the key after y picks what to copy */
		model_set_copy_prompt(m, false);
		model_copy(m, key);
		size_t len;
		char *seq = model_take_clipboard(m, &len);
		if (seq) { /* plain OSC 52: tmux with set-clipboard on takes it and passes it on */
			fwrite(seq, 1, len, stdout);
			fflush(stdout);
			free(seq);
		}
		shell_take_changes(sh);
		mark(sh, MODEL_STATUS);
		return;
	}
	if (m->traces.prompt) { /* \ opened the filter prompt: it takes every key */
		prompt_key(sh, key);
		return;
	}
	if (m->export_prompt) { /* the key after x picks the format */
		model_set_prompt(m, false);
		if (key == 'n' || key == 'o' || key == 'c')
			model_export(m, key == 'n' ? SNAPSHOT_NATIVE : key == 'o' ? SNAPSHOT_OTLP : SNAPSHOT_CHROME);
		shell_take_changes(sh);
		return;
	}
	handle_action(sh, keys_lookup_search(key, model_search_active(m)));
}
