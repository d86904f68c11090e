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
#include "obslab/attrs.h"
#include "obslab/cli.h"
#include "obslab/db.h"
#include "obslab/log.h"
#include "obslab/ring.h"
#include "obslab/store.h"
#include "obslab/strtab.h"

#define TICK_MS 33             /* ~30 frames a second while live */
#define IDLE_TICK_MS 1000      /* paused: wake once a second, no more */
#define RATE_WINDOW_NS CLOCK_NS_PER_S

static const uint32_t user_steps[] = { 20, 100, 1000, 10000, 100000 };
static const uint32_t rtt_steps[] = { 0, 50, 200, 500, 1000 };
static const uint32_t pace_steps[] = { 5, 50, 0 }; /* requests/s; 0 = as fast as possible */

static const struct pane_ops *const pane_ops[PANE_COUNT] = {
	[PANE_STATUS] = &pane_status_ops,
	[PANE_WATERFALL] = &pane_waterfall_ops,
	[PANE_ATTRIBUTION] = &pane_attribution_ops,
	[PANE_QUERIES] = &pane_queries_ops,
	[PANE_DETAILS] = &pane_details_ops,
	[PANE_LOG] = &pane_log_ops,
	[PANE_FOOTER] = &pane_footer_ops,
};

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

/* ---- the view ----------------------------------------------------------- */

void app_span_label(const struct app *app, const struct span_record *s, char *buf, size_t cap)
{
	span_display_name(s, app->lab.names, buf, cap);
}

const struct wf_row *app_selected_row(const struct app *app)
{
	size_t r = app->panes[PANE_WATERFALL].cursor;
	return app->shown && r < app->wf.nrows ? &app->wf.rows[r] : NULL;
}

static void mark(struct app *app, enum pane_id id)
{
	app->panes[id].dirty = true;
}

static void mark_trace_panes(struct app *app)
{
	mark(app, PANE_WATERFALL);
	mark(app, PANE_DETAILS);
	mark(app, PANE_ATTRIBUTION);
	mark(app, PANE_QUERIES);
}

static size_t waterfall_visible(const struct app *app)
{
	int h = app->panes[PANE_WATERFALL].h;
	return h > 3 ? (size_t)(h - 3) : 1;
}

void app_relayout_trace(struct app *app)
{
	waterfall_build(&app->wf, app->shown, &app->folds);
	pane_follow_cursor(&app->panes[PANE_WATERFALL], app->wf.nrows, waterfall_visible(app));
	mark_trace_panes(app);
}

/* Shows trace seq: everything derived from it is computed here, once. */
static void show_trace(struct app *app, uint64_t seq)
{
	app->shown_seq = seq;
	app->shown = store_find(app->lab.store, seq);
	app->attr = analysis_attribution(app->shown);
	size_t n = analysis_query_stats(app->shown, app->queries, APP_MAX_QUERIES);
	app->nqueries = n < APP_MAX_QUERIES ? n : APP_MAX_QUERIES;
	pane_follow_cursor(&app->panes[PANE_QUERIES], app->nqueries, 1000);
	app_relayout_trace(app);
}

static void take_log(void *ctx, const struct log_record *rec)
{
	struct app *app = ctx;
	logbook_add_record(&app->log, rec, app->lab.names);
	mark(app, PANE_LOG);
}

static void note(struct app *app, enum log_level level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void note(struct app *app, enum log_level level, const char *fmt, ...)
{
	char text[LOGBOOK_TEXT];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	logbook_add(&app->log, level, clock_now_ns(), text);
	mark(app, PANE_LOG);
}

/* One tick: take in what the workload produced, follow the newest trace,
 * refresh the figures; mark what changed. Nothing is drawn here. */
static void tick(struct app *app)
{
	session_drain(&app->lab, take_log, app);

	/* Paused, the view holds still, even for a request cut short by the pause. */
	const struct trace *latest = store_latest(app->lab.store);
	if (app->follow && !app->paused && latest && latest->seq != app->shown_seq) {
		show_trace(app, latest->seq);
	} else if (app->shown_seq) {
		app->shown = store_find(app->lab.store, app->shown_seq);
		if (!app->shown) /* evicted while browsing history: the oldest kept */
			show_trace(app, store_trace_count(app->lab.store) ? store_trace(app->lab.store, 0)->seq : 0);
	}

	int64_t now = clock_now_ns();
	if (now - app->rate_since_ns >= RATE_WINDOW_NS) {
		uint64_t requests = workload_requests(app->lab.workload);
		app->requests_per_s = (double)(requests - app->rate_requests) * 1e9 / (double)(now - app->rate_since_ns);
		app->rate_requests = requests;
		app->rate_since_ns = now;
	}

	char status[sizeof app->status_line];
	pane_status_compose(app, status, sizeof status);
	if (strcmp(status, app->status_line) != 0) {
		memcpy(app->status_line, status, sizeof status);
		mark(app, PANE_STATUS);
	}

	enum workload_phase phase = workload_phase(app->lab.workload);
	if (phase != app->last_phase && phase == WORKLOAD_FAILED)
		note(app, LOG_ERROR, "the workload stopped: %s", workload_error(app->lab.workload));
	app->last_phase = phase;
}

/* ---- settings ----------------------------------------------------------- */

static uint32_t step_in(const uint32_t *steps, size_t n, uint32_t current, int dir)
{
	if (dir > 0) {
		for (size_t i = 0; i < n; i++)
			if (steps[i] > current)
				return steps[i];
		return steps[n - 1];
	}
	for (size_t i = n; i-- > 0;)
		if (steps[i] < current)
			return steps[i];
	return steps[0];
}

static void set_strategy(struct app *app, enum strategy s)
{
	if (app->settings.strategy == s)
		return;
	app->settings.strategy = s;
	workload_set_strategy(app->lab.workload, s);
	note(app, LOG_INFO, "strategy: %s", s == STRATEGY_NAIVE ? "naive (N+1)" : strategy_name(s));
}

static void set_users(struct app *app, int dir)
{
	size_t n = sizeof user_steps / sizeof user_steps[0];
	uint32_t users = step_in(user_steps, n, app->settings.users, dir);
	if (users == app->settings.users)
		return;
	app->settings.users = users;
	workload_set_users(app->lab.workload, users);
	note(app, LOG_INFO, "users: %u (reseeding)", users);
}

static void cycle_rtt(struct app *app)
{
	size_t n = sizeof rtt_steps / sizeof rtt_steps[0];
	uint32_t rtt = app->settings.rtt_us >= rtt_steps[n - 1] ? rtt_steps[0]
	                                                         : step_in(rtt_steps, n, app->settings.rtt_us, 1);
	app->settings.rtt_us = rtt;
	workload_set_rtt_us(app->lab.workload, rtt);
	note(app, LOG_INFO, "RTT %u us per query (simulated)", rtt);
}

static void cycle_pace(struct app *app)
{
	size_t n = sizeof pace_steps / sizeof pace_steps[0], i = 0;
	while (i < n && pace_steps[i] != app->settings.pace_hz)
		i++;
	uint32_t pace = pace_steps[(i + 1) % n];
	app->settings.pace_hz = pace;
	workload_set_pace(app->lab.workload, pace);
	if (pace)
		note(app, LOG_INFO, "pace: %u requests/s", pace);
	else
		note(app, LOG_INFO, "pace: as fast as possible");
}

static void go_live(struct app *app)
{
	if (!app->follow) {
		app->follow = true;
		mark(app, PANE_STATUS);
	}
}

static void step_trace(struct app *app, int dir)
{
	if (!app->shown_seq)
		return;
	const struct trace *t = store_find(app->lab.store, dir < 0 ? app->shown_seq - 1 : app->shown_seq + 1);
	if (!t)
		return;
	app->follow = t == store_latest(app->lab.store);
	show_trace(app, t->seq);
	mark(app, PANE_STATUS);
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
	int attribution = 7, queries = (body - attribution) / 2;
	set_geometry(&app->panes[PANE_STATUS], 0, 0, 1, width);
	set_geometry(&app->panes[PANE_WATERFALL], 1, 0, body - details, left);
	set_geometry(&app->panes[PANE_DETAILS], 1 + body - details, 0, details, left);
	set_geometry(&app->panes[PANE_ATTRIBUTION], 1, left, attribution, right);
	set_geometry(&app->panes[PANE_QUERIES], 1 + attribution, left, queries, right);
	set_geometry(&app->panes[PANE_LOG], 1 + attribution + queries, left, body - attribution - queries, right);
	set_geometry(&app->panes[PANE_FOOTER], LINES - 1, 0, 1, width);
	keypad(app->panes[PANE_STATUS].win, TRUE);
	pane_follow_cursor(&app->panes[PANE_WATERFALL], app->wf.nrows, waterfall_visible(app));
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
		if (p->dirty) {
			p->ops->draw(p, app);
			p->dirty = false;
			drew = true;
		}
	}
	if (app->overlay && drew) {
		touchwin(app->overlay);
		help_draw(app->overlay);
	}
	if (drew)
		doupdate();
}

/* ---- input -------------------------------------------------------------- */

static void set_focus(struct app *app, enum pane_id id)
{
	if (app->focus == id)
		return;
	mark(app, app->focus);
	app->focus = id;
	mark(app, id);
}

static void cycle_focus(struct app *app, int dir)
{
	int id = (int)app->focus;
	do
		id = (id + dir + PANE_COUNT) % PANE_COUNT;
	while (!pane_ops[id]->focusable);
	set_focus(app, (enum pane_id)id);
}

static void after_pane(struct app *app, enum pane_id id, enum pane_result r)
{
	if (r == PANE_CHANGED && id == PANE_WATERFALL) {
		mark(app, PANE_DETAILS);
		app->panes[PANE_DETAILS].top = 0;
	}
}

static void toggle_help(struct app *app)
{
	app->help_open = !app->help_open;
	layout(app); /* creates or removes the overlay, and repaints */
}

static void handle_action(struct app *app, enum action action)
{
	switch (action) {
	case ACT_TOGGLE_STRATEGY:
		set_strategy(app, app->settings.strategy == STRATEGY_NAIVE ? STRATEGY_OPTIMIZED : STRATEGY_NAIVE);
		go_live(app);
		break;
	case ACT_NAIVE: set_strategy(app, STRATEGY_NAIVE); go_live(app); break;
	case ACT_OPTIMIZED: set_strategy(app, STRATEGY_OPTIMIZED); go_live(app); break;
	case ACT_EAGER: set_strategy(app, STRATEGY_EAGER); go_live(app); break;
	case ACT_USERS_UP: set_users(app, 1); go_live(app); break;
	case ACT_USERS_DOWN: set_users(app, -1); go_live(app); break;
	case ACT_RTT: cycle_rtt(app); go_live(app); break;
	case ACT_INDEX:
		app->settings.index = !app->settings.index;
		workload_set_index(app->lab.workload, app->settings.index);
		note(app, LOG_INFO, "index on orders.user_id: %s", app->settings.index ? "on" : "off");
		go_live(app);
		break;
	case ACT_PACE: cycle_pace(app); break;
	case ACT_PAUSE:
		app->paused = !app->paused;
		workload_set_paused(app->lab.workload, app->paused);
		note(app, LOG_INFO, app->paused ? "capture paused" : "capture resumed");
		if (!app->paused)
			go_live(app);
		break;
	case ACT_PREV_TRACE: step_trace(app, -1); break;
	case ACT_NEXT_TRACE: step_trace(app, 1); break;
	case ACT_FOCUS_NEXT: cycle_focus(app, 1); break;
	case ACT_FOCUS_PREV: cycle_focus(app, -1); break;
	case ACT_HELP: toggle_help(app); break;
	case ACT_REDRAW: layout(app); break;
	case ACT_QUIT: app->quit = true; break;
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
	mark(app, PANE_STATUS);
}

static void handle_mouse(struct app *app)
{
	MEVENT ev;
	if (getmouse(&ev) != OK || app->too_small)
		return;
	for (int i = 0; i < PANE_COUNT; i++) {
		struct pane *p = &app->panes[i];
		if (!pane_ops[i]->focusable || !wenclose(p->win, ev.y, ev.x))
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
	if (app->help_open) { /* any key closes the help */
		toggle_help(app);
		return;
	}
	enum action action = keys_lookup(key);
	if (app->too_small && action != ACT_QUIT)
		return;
	handle_action(app, action);
}

/* ---- start and stop ----------------------------------------------------- */

static int start_engine(struct app *app, const struct cli *cli)
{
	app->settings = cli->run;
	app->settings.max_requests = 0;
	app->settings.trace = true;
	app->follow = true;
	app->rate_since_ns = clock_now_ns();
	logbook_init(&app->log);
	waterfall_init(&app->wf);
	struct db_error err;
	struct store_limits limits = { STORE_DEFAULT_MAX_TRACES, STORE_DEFAULT_MAX_SPANS };
	if (session_start(&app->lab, cli->db_path, &app->settings, limits, &err) != DB_OK) {
		fprintf(stderr, "obslab: %s\n", err.msg);
		return CLI_EXIT_FAILURE;
	}
	note(app, LOG_INFO, "started: %s, %u users, RTT %u us, index %s", strategy_name(app->settings.strategy),
	     app->settings.users, app->settings.rtt_us, app->settings.index ? "on" : "off");
	return CLI_EXIT_OK;
}

static void stop_engine(struct app *app)
{
	session_stop(&app->lab);
	waterfall_free(&app->wf);
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
	const char *term = getenv("TERM");
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) || !term || !*term) {
		fprintf(stderr, "obslab: the trace explorer needs a terminal (stdin and stdout a tty, TERM set); "
		                "to run the lab without one, use 'obslab run'\n");
		return CLI_EXIT_USAGE;
	}
	setlocale(LC_ALL, "");

	static struct app app; /* large; one per process */
	memset(&app, 0, sizeof app);
	int status = start_engine(&app, cli);
	if (status != CLI_EXIT_OK) {
		stop_engine(&app);
		return status;
	}
	install_signal_handlers();
	if (!start_curses()) {
		stop_engine(&app);
		fprintf(stderr, "obslab: cannot use the terminal type '%s'; try TERM=xterm-256color\n", term);
		return CLI_EXIT_USAGE;
	}
	app.focus = PANE_WATERFALL;
	for (int i = 0; i < PANE_COUNT; i++)
		app.panes[i].ops = pane_ops[i];
	layout(&app);

	long frames = cli->frames;
	while (!app.quit && !stop_signal) {
		tick(&app);
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
