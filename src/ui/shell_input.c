/*
 * shell_input — keys and the mouse: a key becomes an action (keys.h); the
 * shell acts on the actions that are its own (focus, help, screens, quit),
 * passes the lab's to the model when the source offers them, and hands
 * moving and folding to the focused pane, whose intent it then applies to
 * the model (see shell.h).
 */
#include "shell.h"

#include "help.h"
#include "keys.h"

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
	}
	sh->panes[pane].dirty = true;
	shell_take_changes(sh);
}

static void set_focus(struct shell *sh, size_t i)
{
	if (sh->focus == i)
		return;
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
	sh->screen = screen;
	set_focus(sh, shell_first_focus(screen));
	shell_layout(sh); /* a clean screen for the new one */
}

static void cycle_focus(struct shell *sh, int dir)
{
	size_t n = layout_pane_count, i = sh->focus;
	for (size_t k = 0; k < n; k++) {
		i = (i + n + (size_t)(dir > 0 ? 1 : n - 1)) % n;
		if (layout_panes[i].ops->focusable && layout_shows(i, sh->screen))
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
	case ACT_USERS_UP: model_step_users(m, 1); break;
	case ACT_USERS_DOWN: model_step_users(m, -1); break;
	case ACT_RTT:
	case ACT_INDEX:
		if (action == ACT_RTT)
			model_next_rtt(m);
		else
			model_toggle_index(m);
		if (sh->screen != SCREEN_MAIN) /* on a comparison or sweep: measured again, as its text says */
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
	if (sh->screen != SCREEN_MAIN && handle_screen_action(sh, action))
		return;
	unsigned needs = keys_needs(action);
	if (needs) {
		if (source_offers(&sh->source, needs))
			lab_action(sh, action);
		else
			model_refuse(m);
	}
	switch (action) {
	case ACT_EXPORT: model_set_prompt(m, true); break;
	case ACT_SCOPE: model_toggle_scope(m); break;
	case ACT_PREV_TRACE: model_step(m, -1); break;
	case ACT_NEXT_TRACE: model_step(m, 1); break;
	case ACT_LIVE: model_live(m); break;
	case ACT_FOCUS_NEXT: cycle_focus(sh, 1); break;
	case ACT_FOCUS_PREV: cycle_focus(sh, -1); break;
	case ACT_HELP: toggle_help(sh); break;
	case ACT_REDRAW: shell_layout(sh); break;
	case ACT_QUIT: sh->quit = true; break;
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
		if (!p->ops->focusable || !layout_shows(i, sh->screen) || !wenclose(p->win, ev.y, ev.x))
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
	if (m->export_prompt) { /* the key after x picks the format */
		model_set_prompt(m, false);
		if (key == 'n' || key == 'o' || key == 'c')
			model_export(m, key == 'n' ? SNAPSHOT_NATIVE : key == 'o' ? SNAPSHOT_OTLP : SNAPSHOT_CHROME);
		shell_take_changes(sh);
		return;
	}
	handle_action(sh, keys_lookup_search(key, model_search_active(m)));
}
