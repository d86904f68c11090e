/* The trace explorer: start, layout, input, the frame loop, and the terminal
 * restored on every way out. */
#include "app.h"

#include <locale.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "draw.h"
#include "help.h"
#include "terminal.h"
#include "obslab/attrs.h"
#include "obslab/cli.h"
#include "obslab/db.h"
#include "obslab/log.h"
#include "obslab/ring.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/textsafe.h"

#define TICK_MS 33             /* ~30 frames a second while live */
#define IDLE_TICK_MS 1000      /* paused: wake once a second, no more */

static const struct pane_ops *const pane_ops[PANE_COUNT] = {
	[PANE_STATUS] = &pane_status_ops,
	[PANE_WATERFALL] = &pane_waterfall_ops,
	[PANE_ATTRIBUTION] = &pane_attribution_ops,
	[PANE_QUERIES] = &pane_queries_ops,
	[PANE_DETAILS] = &pane_details_ops,
	[PANE_LOG] = &pane_log_ops,
	[PANE_COMPARE] = &pane_compare_ops,
	[PANE_SWEEP] = &pane_sweep_ops,
	[PANE_FOOTER] = &pane_footer_ops,
};

/* Which panes each view shows. */
static bool in_view(enum app_view view, int id)
{
	switch (id) {
	case PANE_STATUS:
	case PANE_FOOTER: return true;
	case PANE_COMPARE: return view == VIEW_COMPARE;
	case PANE_SWEEP: return view == VIEW_SWEEP;
	default: return view == VIEW_MAIN;
	}
}

/* ---- signals: the terminal is restored on every way out ---------------- */

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t curses_active;
static struct sigaction fatal_saved[32];
static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

/* A crash: give the terminal back, then let the previous handler (the
 * default, or a sanitizer's report) have the signal. */
static void on_fatal_signal(int sig)
{
	if (curses_active) {
		curses_active = 0;
		endwin();
	}
	sigaction(sig, &fatal_saved[sig], NULL);
	raise(sig);
}

static void restore_terminal_at_exit(void)
{
	if (curses_active) {
		curses_active = 0;
		endwin();
	}
}

static void install_signal_handlers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop_signal; /* no SA_RESTART: a blocked read returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_fatal_signal;
	sa.sa_flags = (int)SA_RESETHAND;
	for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++)
		sigaction(fatal_signals[i], &sa, &fatal_saved[fatal_signals[i]]);
	atexit(restore_terminal_at_exit);
}

void app_mark(struct app *app, enum pane_id id)
{
	app->panes[id].dirty = true;
}

/* ---- layout ------------------------------------------------------------- */

static void set_geometry(struct pane *p, int y, int x, int h, int w)
{
	p->y = y;
	p->x = x;
	p->h = h;
	p->w = w;
	p->win = newwin(h, w, y, x);
	if (!p->win)
		abort(); /* out of memory; the fatal handler restores the terminal */
	p->dirty = true;
}

/* The one place that answers a resize. */
static void layout(struct app *app)
{
	for (int i = 0; i < PANE_COUNT; i++) {
		if (app->panes[i].win)
			delwin(app->panes[i].win);
		app->panes[i].win = NULL;
	}
	if (app->overlay)
		delwin(app->overlay);
	app->overlay = NULL;
	clearok(curscr, TRUE);
	app->too_small = COLS < APP_MIN_COLS || LINES < APP_MIN_LINES;
	if (app->too_small)
		return;

	int width = COLS, body = LINES - 2;
	int left = width * 3 / 5, right = width - left;
	int details = body * 2 / 5 < 8 ? 8 : body * 2 / 5;
	int attribution = 8, queries = (body - attribution) / 2;
	set_geometry(&app->panes[PANE_STATUS], 0, 0, 1, width);
	set_geometry(&app->panes[PANE_WATERFALL], 1, 0, body - details, left);
	set_geometry(&app->panes[PANE_DETAILS], 1 + body - details, 0, details, left);
	set_geometry(&app->panes[PANE_ATTRIBUTION], 1, left, attribution, right);
	set_geometry(&app->panes[PANE_QUERIES], 1 + attribution, left, queries, right);
	set_geometry(&app->panes[PANE_LOG], 1 + attribution + queries, left, body - attribution - queries, right);
	set_geometry(&app->panes[PANE_COMPARE], 1, 0, body, width);
	set_geometry(&app->panes[PANE_SWEEP], 1, 0, body, width);
	set_geometry(&app->panes[PANE_FOOTER], LINES - 1, 0, 1, width);
	keypad(app->panes[PANE_STATUS].win, TRUE);
	pane_follow_cursor(&app->panes[PANE_WATERFALL], app->wf.nrows, pane_waterfall_rows(&app->panes[PANE_WATERFALL]));
	if (app->help_open) {
		int h, w;
		help_size(LINES, COLS, &h, &w);
		app->overlay = newwin(h, w, (LINES - h) / 2, (COLS - w) / 2);
	}
}

/* Where keys are read: a window that is never left modified, so reading
 * does not repaint anything. */
static WINDOW *input_window(const struct app *app)
{
	return app->too_small ? stdscr : app->panes[PANE_STATUS].win;
}

static void render(struct app *app)
{
	if (app->too_small) {
		werase(stdscr);
		char msg[128];
		snprintf(msg, sizeof msg, "terminal too small: %dx%d, obslab needs %dx%d", COLS, LINES,
		         APP_MIN_COLS, APP_MIN_LINES);
		draw_at(stdscr, LINES / 2, 0, msg, COLS);
		draw_at(stdscr, LINES / 2 + 1, 0, "enlarge the window, or press q to quit", COLS);
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	bool drew = false;
	for (int i = 0; i < PANE_COUNT; i++) {
		struct pane *p = &app->panes[i];
		if (p->dirty && in_view(app->view, i)) {
			p->ops->draw(p, app);
			p->dirty = false;
			drew = true;
		}
	}
	if (app->overlay && drew) {
		touchwin(app->overlay);
		help_draw(app->overlay, &app->help_top);
	}
	if (drew)
		doupdate();
}

/* ---- input -------------------------------------------------------------- */

static void set_focus(struct app *app, enum pane_id id)
{
	if (app->focus == id)
		return;
	app_mark(app, app->focus);
	app->focus = id;
	app_mark(app, id);
}

static void set_view(struct app *app, enum app_view view)
{
	app->view = view;
	set_focus(app, view == VIEW_MAIN ? PANE_WATERFALL : view == VIEW_COMPARE ? PANE_COMPARE : PANE_SWEEP);
	layout(app); /* a clean screen for the new view */
}

static void cycle_focus(struct app *app, int dir)
{
	int id = (int)app->focus;
	for (int k = 0; k < PANE_COUNT; k++) {
		id = (id + dir + PANE_COUNT) % PANE_COUNT;
		if (pane_ops[id]->focusable && in_view(app->view, id))
			break;
	}
	set_focus(app, (enum pane_id)id);
}

static void after_pane(struct app *app, enum pane_id id, enum pane_result r)
{
	if (r == PANE_CHANGED && id == PANE_WATERFALL) {
		app_mark(app, PANE_DETAILS);
		app->panes[PANE_DETAILS].top = 0;
	}
}

static void toggle_help(struct app *app)
{
	app->help_open = !app->help_open;
	app->help_top = 0;
	layout(app); /* creates or removes the overlay, and repaints */
}

/* In a comparison or sweep view, q and Esc go back; c and s measure again. */
static bool handle_view_action(struct app *app, enum action action)
{
	switch (action) {
	case ACT_QUIT:
	case ACT_BACK:
		control_cancel_measure(app);
		set_view(app, VIEW_MAIN);
		return true;
	case ACT_COMPARE:
	case ACT_SWEEP:
	case ACT_HELP:
	case ACT_REDRAW:
		return false; /* as anywhere */
	default:
		return true; /* the lab's keys wait until the view is closed */
	}
}

static void handle_action(struct app *app, enum action action)
{
	if (app->view != VIEW_MAIN && handle_view_action(app, action))
		return;
	switch (action) {
	case ACT_TOGGLE_STRATEGY: control_toggle_strategy(app); break;
	case ACT_NAIVE: control_strategy(app, STRATEGY_NAIVE); break;
	case ACT_OPTIMIZED: control_strategy(app, STRATEGY_OPTIMIZED); break;
	case ACT_EAGER: control_strategy(app, STRATEGY_EAGER); break;
	case ACT_USERS_UP: control_users(app, 1); break;
	case ACT_USERS_DOWN: control_users(app, -1); break;
	case ACT_RTT: control_rtt(app); break;
	case ACT_INDEX: control_index(app); break;
	case ACT_PACE: control_pace(app); break;
	case ACT_PAUSE: control_pause(app); break;
	case ACT_COMPARE:
	case ACT_SWEEP: {
		enum app_view view = action == ACT_COMPARE ? VIEW_COMPARE : VIEW_SWEEP;
		if (control_measure(app, view))
			set_view(app, view);
		break;
	}
	case ACT_EXPORT:
		app->export_prompt = true;
		app_mark(app, PANE_STATUS);
		break;
	case ACT_SCOPE:
		app->queries_window = !app->queries_window;
		view_show(app, app->shown_seq);
		break;
	case ACT_PREV_TRACE: view_step(app, -1); break;
	case ACT_NEXT_TRACE: view_step(app, 1); break;
	case ACT_FOCUS_NEXT: cycle_focus(app, 1); break;
	case ACT_FOCUS_PREV: cycle_focus(app, -1); break;
	case ACT_HELP: toggle_help(app); break;
	case ACT_REDRAW: layout(app); break;
	case ACT_QUIT: app->quit = true; break;
	case ACT_BACK: break;
	case ACT_UP:
	case ACT_DOWN:
	case ACT_PAGE_UP:
	case ACT_PAGE_DOWN:
	case ACT_HOME:
	case ACT_END:
	case ACT_FOLD: {
		struct pane *p = &app->panes[app->focus];
		if (p->ops->handle)
			after_pane(app, app->focus, p->ops->handle(p, app, action));
		break;
	}
	case ACT_NONE: break;
	}
	app_mark(app, PANE_STATUS);
}

static void handle_mouse(struct app *app)
{
	MEVENT ev;
	if (getmouse(&ev) != OK || app->too_small)
		return;
	for (int i = 0; i < PANE_COUNT; i++) {
		struct pane *p = &app->panes[i];
		if (!pane_ops[i]->focusable || !in_view(app->view, i) || !wenclose(p->win, ev.y, ev.x))
			continue;
		if (ev.bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED)) {
			enum action a = ev.bstate & BUTTON4_PRESSED ? ACT_UP : ACT_DOWN;
			for (int k = 0; k < 3 && p->ops->handle; k++)
				after_pane(app, (enum pane_id)i, p->ops->handle(p, app, a));
		} else if (ev.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED)) {
			set_focus(app, (enum pane_id)i);
			if (p->ops->click)
				after_pane(app, (enum pane_id)i, p->ops->click(p, app, ev.y - p->y, ev.x - p->x));
		}
		return;
	}
}

static void handle_key(struct app *app, int key)
{
	if (key == KEY_RESIZE) {
		layout(app);
		return;
	}
	if (key == KEY_MOUSE) {
		handle_mouse(app);
		return;
	}
	if (app->help_open) { /* moving keys scroll the help; any other closes it */
		enum action a = keys_lookup(key);
		if (a == ACT_UP || a == ACT_DOWN || a == ACT_PAGE_UP || a == ACT_PAGE_DOWN) {
			size_t step = a == ACT_UP || a == ACT_DOWN ? 1 : 10;
			bool back = a == ACT_UP || a == ACT_PAGE_UP;
			app->help_top = back ? (app->help_top > step ? app->help_top - step : 0) : app->help_top + step;
			app_mark(app, PANE_STATUS); /* a frame, so the overlay redraws */
			return;
		}
		toggle_help(app);
		return;
	}
	if (app->export_prompt) { /* the key after x picks the format */
		app->export_prompt = false;
		app_mark(app, PANE_STATUS);
		if (key == 'n' || key == 'o' || key == 'c')
			control_export(app, key == 'n' ? SNAPSHOT_NATIVE : key == 'o' ? SNAPSHOT_OTLP : SNAPSHOT_CHROME);
		return;
	}
	enum action action = keys_lookup(key);
	if (app->too_small && action != ACT_QUIT)
		return;
	handle_action(app, action);
}

/* ---- start and stop ----------------------------------------------------- */

/* obslab open: the snapshot's traces in a session where nothing runs. */
static int open_snapshot(struct app *app, const struct cli *cli)
{
	static struct snapshot snap;
	struct obslab_error why;
	if (!snapshot_read(cli->file, &snap, &why)) {
		textsafe_fprintf(stderr, "obslab: %s\n", why.msg);
		return CLI_EXIT_FAILURE;
	}
	if (snap.meta.has_settings)
		app->settings = snap.meta.settings;
	app->lab.anchor = snap.meta.anchor; /* the file's span times are already Unix times */
	app->lab.names = snap.names; /* the session owns them from here */
	app->lab.store = snapshot_store(&snap);
	snap.names = NULL;
	view_init(app);
	/* Show first the trace that was on screen when the file was written. */
	for (size_t i = 0; snap.meta.has_shown && i < store_trace_count(app->lab.store); i++) {
		const struct trace *t = store_trace(app->lab.store, i);
		if (memcmp(t->trace_id, snap.meta.shown_trace_id, SPAN_TRACE_ID_LEN) == 0) {
			app->follow = false;
			view_show(app, t->seq);
		}
	}
	snapshot_free(&snap);
	view_note(app, LOG_INFO, "opened %s: %zu traces, read-only", cli->file, store_trace_count(app->lab.store));
	return CLI_EXIT_OK;
}

static int start_engine(struct app *app, const struct cli *cli)
{
	app->settings = cli->run;
	app->settings.max_requests = 0;
	app->settings.trace = true;
	app->settings.lock_wait_ms = -1; /* the explorer waits out any lock, and shows it */
	app->findings_cfg = cli->findings;
	app->export_dir = cli->export_dir;
	if (cli->command == CLI_CMD_OPEN) {
		app->snapshot_path = cli->file;
		return open_snapshot(app, cli);
	}
	struct obslab_error err;
	struct store_limits limits = { STORE_DEFAULT_MAX_TRACES, STORE_DEFAULT_MAX_SPANS };
	if (session_start(&app->lab, cli->db_path, &app->settings, limits, &err) != DB_OK) {
		textsafe_fprintf(stderr, "obslab: %s\n", err.msg);
		return CLI_EXIT_FAILURE;
	}
	view_init(app);
	view_note(app, LOG_INFO, "started: %s, %u users, RTT %u us, index %s", strategy_name(app->settings.strategy),
	          app->settings.users, app->settings.rtt_us, app->settings.index ? "on" : "off");
	return CLI_EXIT_OK;
}

static void stop_engine(struct app *app)
{
	session_stop(&app->lab);
	view_free(app);
}

static SCREEN *screen;

static bool start_curses(void)
{
	screen = newterm(NULL, stdout, stdin);
	if (!screen)
		return false;
	curses_active = 1;
	cbreak();
	noecho();
	nonl();
	curs_set(0);
	keypad(stdscr, TRUE);
	set_escdelay(25);
	mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
	mouseinterval(0);
	draw_init();
	return true;
}

int app_main(const struct cli *cli)
{
	static struct app app; /* large; one per process */
	memset(&app, 0, sizeof app);
	/* The lab's database is not touched before the explorer can run; a
	 * snapshot (read, never written) first: its error says more. */
	int status = cli->command == CLI_CMD_OPEN ? CLI_EXIT_OK : terminal_check();
	if (status == CLI_EXIT_OK)
		status = start_engine(&app, cli);
	if (status == CLI_EXIT_OK && cli->command == CLI_CMD_OPEN)
		status = terminal_check();
	if (status != CLI_EXIT_OK) {
		stop_engine(&app);
		return status;
	}
	setlocale(LC_ALL, "");
	install_signal_handlers();
	if (!start_curses()) {
		stop_engine(&app);
		textsafe_fprintf(stderr, "obslab: cannot use the terminal type '%s'; try TERM=xterm-256color\n", getenv("TERM"));
		return CLI_EXIT_USAGE;
	}
	app.focus = PANE_WATERFALL;
	for (int i = 0; i < PANE_COUNT; i++)
		app.panes[i].ops = pane_ops[i];
	layout(&app);

	long frames = cli->frames;
	while (!app.quit && !stop_signal) {
		view_tick(&app);
		render(&app);
		if (frames > 0 && --frames == 0)
			break;
		WINDOW *in = input_window(&app);
		wtimeout(in, app.paused ? IDLE_TICK_MS : TICK_MS);
		int key = wgetch(in);
		/* Take every key already typed before drawing again. */
		while (key != ERR && !app.quit) {
			handle_key(&app, key);
			in = input_window(&app);
			wtimeout(in, 0);
			key = wgetch(in);
		}
	}

	for (int i = 0; i < PANE_COUNT; i++)
		if (app.panes[i].win)
			delwin(app.panes[i].win);
	if (app.overlay)
		delwin(app.overlay);
	curses_active = 0;
	endwin();
	delscreen(screen);
	stop_engine(&app);
	return CLI_EXIT_OK;
}

int app_bench_frames(const char *snapshot, int cols, int lines, int frames, double *frame_ns)
{
	static struct app app;
	memset(&app, 0, sizeof app);
	char name[] = "obslab", command[] = "open", path[4096];
	snprintf(path, sizeof path, "%s", snapshot);
	char *argv[] = { name, command, path, NULL };
	struct cli cli;
	struct obslab_error err;
	if (cli_parse(3, argv, &cli, &err) != CLI_EXIT_OK)
		return CLI_EXIT_USAGE;
	int status = start_engine(&app, &cli);
	if (status != CLI_EXIT_OK) {
		stop_engine(&app);
		return status;
	}
	setlocale(LC_ALL, "C.UTF-8");
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	SCREEN *bench_screen = out && in ? newterm("xterm-256color", out, in) : NULL;
	if (!bench_screen) {
		stop_engine(&app);
		return CLI_EXIT_FAILURE;
	}
	resizeterm(lines, cols);
	draw_init();
	app.focus = PANE_WATERFALL;
	for (int i = 0; i < PANE_COUNT; i++)
		app.panes[i].ops = pane_ops[i];
	layout(&app);
	view_tick(&app);
	for (int f = 0; f < frames; f++) {
		for (int i = 0; i < PANE_COUNT; i++)
			app.panes[i].dirty = true;
		int64_t t0 = clock_now_ns();
		render(&app);
		frame_ns[f] = (double)(clock_now_ns() - t0);
	}
	for (int i = 0; i < PANE_COUNT; i++)
		if (app.panes[i].win)
			delwin(app.panes[i].win);
	endwin();
	delscreen(bench_screen);
	fclose(out);
	fclose(in);
	stop_engine(&app);
	return CLI_EXIT_OK;
}
