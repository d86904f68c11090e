/*
 * shell — the explorer's frame loop: start (the source, then the model,
 * then curses), the layout of the panes, drawing the dirty ones, and the
 * terminal restored on every way out (see shell.h).
 */
#include "shell.h"

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "draw.h"
#include "help.h"
#include "model.h"
#include "terminal.h"
#include "obslab/cli.h"
#include "obslab/forward_cmd.h"
#include "obslab/forward.h"
#include "obslab/textsafe.h"
#include "obslab/xalloc.h"

#define TICK_MS 33             /* ~30 frames a second while live */
#define IDLE_TICK_MS 1000      /* paused, or a file: wake once a second, no more */

/* ---- signals: the terminal is restored on every way out ---------------- */

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t curses_active;
static struct sigaction fatal_saved[32];
static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

/* Bracketed paste (shell.h): asked for while curses runs, given back on
 * every way out (a quit, a signal, a crash, a suspend). write(2), as a
 * signal handler may. */
static void paste_mode(bool on)
{
	static const char enable[] = "\033[?2004h", disable[] = "\033[?2004l";
	ssize_t w = on ? write(STDOUT_FILENO, enable, sizeof enable - 1) : write(STDOUT_FILENO, disable, sizeof disable - 1);
	(void)w; /* nothing to do if the terminal is gone */
}

/* Ctrl-Z: ncurses' own handler gives the terminal back, stops, and draws
 * again when continued; the paste mode is given back around it. */
static struct sigaction tstp_saved;
static void on_suspend_signal(int sig)
{
	paste_mode(false);
	tstp_saved.sa_handler(sig);
	if (curses_active)
		paste_mode(true);
}

static void wrap_suspend(void)
{
	struct sigaction sa;
	if (sigaction(SIGTSTP, NULL, &tstp_saved) != 0 || (tstp_saved.sa_flags & SA_SIGINFO) ||
	    tstp_saved.sa_handler == SIG_DFL || tstp_saved.sa_handler == SIG_IGN)
		return; /* no handler of curses' to wrap (no job control): nothing stops the program */
	sa = tstp_saved;
	sa.sa_handler = on_suspend_signal;
	sigaction(SIGTSTP, &sa, NULL);
}

/* A crash: give the terminal back, then let the previous handler (the
 * default, or a sanitizer's report) have the signal. */
static void on_fatal_signal(int sig)
{
	if (curses_active) {
		curses_active = 0;
		paste_mode(false);
		endwin();
	}
	sigaction(sig, &fatal_saved[sig], NULL);
	raise(sig);
}

static void restore_terminal_at_exit(void)
{
	if (curses_active) {
		curses_active = 0;
		paste_mode(false);
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

/* ---- panes and layout --------------------------------------------------- */

void shell_dispatch(struct shell *sh, unsigned changed)
{
	if (!changed)
		return;
	for (size_t i = 0; i < layout_pane_count; i++) {
		struct pane *p = &sh->panes[i];
		unsigned seen = changed & (p->ops->watches | PANE_RESIZED);
		if (!seen)
			continue;
		if (p->ops->sync)
			p->ops->sync(p, &sh->model, seen);
		if (seen & p->ops->watches)
			p->dirty = true;
	}
}

void shell_take_changes(struct shell *sh)
{
	shell_dispatch(sh, model_take_changes(&sh->model));
}

static void free_windows(struct shell *sh)
{
	for (size_t i = 0; i < layout_pane_count; i++) {
		if (sh->panes[i].win)
			delwin(sh->panes[i].win);
		sh->panes[i].win = NULL;
	}
	if (sh->overlay)
		delwin(sh->overlay);
	sh->overlay = NULL;
}

void shell_layout(struct shell *sh)
{
	free_windows(sh);
	clearok(curscr, TRUE);
	sh->too_small = COLS < SHELL_MIN_COLS || LINES < SHELL_MIN_LINES;
	if (sh->too_small)
		return;
	struct layout_rect rect[LAYOUT_MAX_PANES];
	layout_compute(LINES, COLS, rect);
	for (size_t i = 0; i < layout_pane_count; i++) {
		struct pane *p = &sh->panes[i];
		p->y = rect[i].y;
		p->x = rect[i].x;
		p->h = rect[i].h;
		p->w = rect[i].w;
		p->screen = sh->screen;
		if (p->h <= 0 || p->w <= 0)
			continue; /* a pane this size of terminal leaves out (SIZE_TALL): no window */
		p->win = newwin(p->h, p->w, p->y, p->x);
		if (!p->win)
			abort(); /* out of memory; the fatal handler restores the terminal */
		p->dirty = true;
	}
	keypad(sh->panes[0].win, TRUE);
	shell_dispatch(sh, PANE_RESIZED);
	if (sh->help_open) {
		int h, w;
		help_size(LINES, COLS, sh->source.ops->controls, &h, &w);
		sh->overlay = newwin(h, w, (LINES - h) / 2, (COLS - w) / 2);
	}
}

/* Where keys are read: the first pane of the table, shown on every screen
 * and never left modified, so reading does not repaint anything. */
static WINDOW *input_window(const struct shell *sh)
{
	return sh->too_small ? stdscr : sh->panes[0].win;
}

static void render(struct shell *sh)
{
	if (sh->too_small) {
		werase(stdscr);
		char msg[128];
		snprintf(msg, sizeof msg, "terminal too small: %dx%d, obslab needs %dx%d", COLS, LINES, SHELL_MIN_COLS,
		         SHELL_MIN_LINES);
		draw_at(stdscr, LINES / 2, 0, msg, COLS);
		draw_at(stdscr, LINES / 2 + 1, 0, "enlarge the window, or press q to quit", COLS);
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	bool drew = false;
	for (size_t i = 0; i < layout_pane_count; i++) {
		struct pane *p = &sh->panes[i];
		if (p->dirty && p->win && layout_shows(i, sh->screen)) {
			p->ops->draw(p, &sh->model, i == sh->focus);
			p->dirty = false;
			drew = true;
		}
	}
	if (sh->overlay && drew) {
		touchwin(sh->overlay);
		help_draw(sh->overlay, sh->source.ops->controls, &sh->help_top);
	}
	if (drew)
		doupdate();
}

/* One tick of the model, and the panes it changed marked. */
static void tick(struct shell *sh)
{
	model_tick(&sh->model);
	shell_take_changes(sh);
}

/* ---- start and stop ----------------------------------------------------- */

/* The source the command line names, started, and the model on it. The
 * terminal is checked before a source that writes (the lab's database is
 * not touched before the explorer can run), after one that only reads
 * (its error says more). */
static int shell_start(struct shell *sh, const struct cli *cli, bool check_terminal)
{
	sh->source.ops = source_for(cli);
	bool check_first = check_terminal && !sh->source.ops->reads_only;
	struct workload_config settings = cli->run;
	settings.max_requests = 0;
	settings.trace = true;
	settings.lock_wait_ms = -1; /* the explorer waits out any lock, and shows it */
	struct source_start start = { .settings = settings };
	int status = check_first ? terminal_check() : CLI_EXIT_OK;
	if (status == CLI_EXIT_OK && !sh->source.ops->reads_only) { /* --forward, or the environment's endpoint */
		struct forward_hook fwd;
		status = forward_hook_start(&fwd, cli->forward_url, stderr);
		sh->source.forward = fwd.f;
		if (fwd.f && cli->otlp && forward_url_is_self(forward_url(fwd.f), cli->listen_host, cli->listen_port)) {
			textsafe_fprintf(stderr, "obslab: forwarding to %s would send every span received on %s back to "
			                         "itself: forward elsewhere, or unset OTEL_EXPORTER_OTLP_ENDPOINT\n",
			                 forward_url(fwd.f), cli->listen_host);
			status = CLI_EXIT_USAGE;
		}
	}
	if (status == CLI_EXIT_OK)
		status = sh->source.ops->start(&sh->source, cli, &settings, &start);
	if (status == CLI_EXIT_OK && check_terminal && !check_first)
		status = terminal_check();
	if (status != CLI_EXIT_OK) {
		sh->source.ops->stop(&sh->source);
		forward_destroy(sh->source.forward);
		sh->source.forward = NULL;
		return status;
	}
	model_init(&sh->model, &sh->source, &start, &cli->findings, cli->export_dir);
	sh->panes = xcalloc(layout_pane_count, sizeof *sh->panes);
	for (size_t i = 0; i < layout_pane_count; i++) {
		sh->panes[i].ops = layout_panes[i].ops;
		if (layout_panes[i].ops->private_size)
			sh->panes[i].priv = xcalloc(1, layout_panes[i].ops->private_size);
	}
	sh->screen = SCREEN_MAIN;
	sh->focus = shell_first_focus(SCREEN_MAIN);
	return CLI_EXIT_OK;
}

/* The model freed and the source stopped: nothing more is made to forward. */
static void shell_stop_source(struct shell *sh)
{
	if (sh->source_stopped)
		return;
	model_free(&sh->model);
	sh->source.ops->stop(&sh->source);
	sh->source_stopped = true;
}

/* The forwarder's stop, shown while it flushes: "sending N queued spans to
 * URL… (q again to drop them)"; a second q (or a signal) drops them at
 * once. Then its summary line in summary, for after the terminal is back. */
static void flush_forward(struct shell *sh, char *summary, size_t cap)
{
	struct forwarder *f = sh->source.forward;
	summary[0] = '\0';
	if (!f)
		return;
	forward_stop_begin(f, FORWARD_STOP_FLUSH_NS);
	for (;;) {
		struct forward_stats st;
		forward_get_stats(f, &st);
		if (st.stop_done)
			break;
		char line[512];
		model_forward_drain_line(st.queued_spans + st.sending_spans, forward_url(f), COLS - 4, line, sizeof line);
		erase();
		draw_at(stdscr, LINES / 2, 2, line, COLS - 4); /* one line, never wrapped */
		refresh();
		wtimeout(stdscr, 100);
		int key = wgetch(stdscr);
		if (key == 'q' || key == 'Q' || stop_signal) {
			forward_stop(f, 0);
			break;
		}
	}
	forward_stop(f, FORWARD_STOP_FLUSH_NS); /* joined; its deadline is not moved later */
	struct forward_stats st;
	forward_get_stats(f, &st);
	forward_summary(&st, forward_url(f), summary, cap);
}

static void shell_stop(struct shell *sh)
{
	if (sh->panes) {
		free_windows(sh);
		for (size_t i = 0; i < layout_pane_count; i++)
			free(sh->panes[i].priv);
		free(sh->panes);
		sh->panes = NULL;
	}
	shell_stop_source(sh);
	forward_stop(sh->source.forward, FORWARD_STOP_FLUSH_NS); /* what is queued gets a few seconds */
	forward_destroy(sh->source.forward);
	sh->source.forward = NULL;
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
	paste_mode(true);
	wrap_suspend();
	return true;
}

#define PASTE_QUIET_MS 500 /* a paste whose end never comes ends after this much silence */

/* A CSI sequence after ESC [: its parameter bytes into params (cut to
 * cap - 1) and its final byte, or ERR when nothing more came. */
static int read_csi(WINDOW *in, char *params, size_t cap)
{
	size_t n = 0;
	int c;
	while ((c = wgetch(in)) != ERR && !(c >= 0x40 && c <= 0x7e)) {
		if (n + 1 < cap)
			params[n++] = (char)c;
	}
	params[n] = '\0';
	return c;
}

/* One byte of a paste: kept while there is room, else counted as dropped. */
static void paste_keep(struct shell *sh, int c)
{
	if (sh->paste_len < sizeof sh->paste)
		sh->paste[sh->paste_len++] = (char)c;
	else
		sh->paste_dropped++;
}

/* The text of a bracketed paste, up to ESC [ 201 ~: kept in sh->paste as
 * sent (SHELL_PASTE_MAX bytes at most, the rest read, counted in
 * sh->paste_dropped and dropped, so the prompt refuses it whole); keys
 * the terminal description turns into codes, and other escape sequences,
 * are dropped whole. What the text may hold is the prompt's to decide. */
static void read_paste(struct shell *sh, WINDOW *in)
{
	sh->paste_len = 0;
	sh->paste_dropped = 0;
	wtimeout(in, PASTE_QUIET_MS);
	for (;;) {
		int c = wgetch(in);
		if (c == ERR)
			break; /* the end never came */
		if (c == 27) {
			wtimeout(in, 0);
			int next = wgetch(in);
			if (next == 27) { /* ESC ESC: the second may begin the end */
				ungetch(next);
				wtimeout(in, PASTE_QUIET_MS);
				continue;
			}
			char params[16];
			int final = next == '[' ? read_csi(in, params, sizeof params) : ERR;
			wtimeout(in, PASTE_QUIET_MS);
			if (final == '~' && strcmp(params, "201") == 0)
				break;
			if (next != '[' && next != ERR && next < 0x100)
				paste_keep(sh, next); /* ESC dropped, what followed kept */
			continue;
		}
		if (c >= 0 && c < 0x100)
			paste_keep(sh, c);
	}
}

/* The next key. An escape sequence the terminal's description does not
 * know (Home as ESC [ 1 ~ under tmux) arrives as Esc and then as keys of
 * its own; a CSI or SS3 one is swallowed whole (ERR), not read as Esc, [
 * ... Esc followed at once by another key is both keys. ESC [ 200 ~ begins
 * a bracketed paste: read whole, it is SHELL_KEY_PASTE. */
static int read_key(struct shell *sh, WINDOW *in)
{
	int key = wgetch(in);
	if (key != 27)
		return key;
	wtimeout(in, 0);
	int next = wgetch(in);
	if (next == ERR)
		return key; /* Esc alone: nothing followed within ESCDELAY */
	if (next != '[' && next != 'O') {
		ungetch(next); /* Esc, then a key typed right after it */
		return key;
	}
	char params[16] = "";
	int final;
	if (next == 'O') { /* SS3: one final byte */
		int c;
		do
			c = wgetch(in);
		while (c != ERR && !(c >= 0x40 && c <= 0x7e));
		return ERR;
	}
	final = read_csi(in, params, sizeof params);
	if (final == '~' && strcmp(params, "200") == 0) {
		read_paste(sh, in);
		return SHELL_KEY_PASTE;
	}
	return ERR;
}

int app_main(const struct cli *cli)
{
	struct shell *sh = xcalloc(1, sizeof *sh); /* large: not on the stack */
	int status = shell_start(sh, cli, true);
	if (status != CLI_EXIT_OK) {
		free(sh);
		return status;
	}
	setlocale(LC_ALL, "");
	install_signal_handlers();
	if (!start_curses()) {
		shell_stop(sh);
		free(sh);
		textsafe_fprintf(stderr, "obslab: cannot use the terminal type '%s'; try TERM=xterm-256color\n", getenv("TERM"));
		return CLI_EXIT_USAGE;
	}
	shell_layout(sh);

	long frames = cli->frames;
	while (!sh->quit && !stop_signal) {
		tick(sh);
		render(sh);
		if (frames > 0 && --frames == 0)
			break;
		WINDOW *in = input_window(sh);
		/* Nothing arrives while paused, or from a file read once: idle
		 * (but --frames, which exists to exercise drawing, keeps ticking). */
		bool idle = cli->frames == 0 && ((sh->model.paused && !sh->source.ops->arrives_paused) ||
		                                 sh->source.ops->reads_only);
		wtimeout(in, idle ? IDLE_TICK_MS : TICK_MS);
		int key = read_key(sh, in);
		/* Take every key already typed before drawing again. */
		while (key != ERR && !sh->quit) {
			shell_handle_key(sh, key);
			in = input_window(sh);
			wtimeout(in, 0);
			key = read_key(sh, in);
		}
	}

	/* A workload that failed is a failed run: said after the terminal is back. */
	char failed[LOGBOOK_TEXT] = "";
	const char *why = sh->source.ops->failure ? sh->source.ops->failure(&sh->source) : NULL;
	if (why)
		snprintf(failed, sizeof failed, "%s", why);
	char forwarded[FORWARD_URL_MAX + 512];
	shell_stop_source(sh);
	flush_forward(sh, forwarded, sizeof forwarded);
	free_windows(sh);
	curses_active = 0;
	paste_mode(false);
	endwin();
	delscreen(screen);
	shell_stop(sh);
	free(sh);
	if (forwarded[0]) /* as the headless commands say it */
		textsafe_fprintf(stderr, "%s\n", forwarded);
	if (failed[0]) {
		textsafe_fprintf(stderr, "obslab: the workload stopped: %s\n", failed);
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}

int app_bench_frames(const char *snapshot, int cols, int lines, int frames, double *frame_ns)
{
	return app_bench_frames_on(snapshot, cols, lines, SCREEN_MAIN, frames, frame_ns);
}

int app_bench_frames_on(const char *snapshot, int cols, int lines, int mode, int frames, double *frame_ns)
{
	char name[] = "obslab", command[] = "open", path[4096];
	snprintf(path, sizeof path, "%s", snapshot);
	char *argv[] = { name, command, path, NULL };
	struct cli cli;
	struct obslab_error err;
	if (cli_parse(3, argv, &cli, &err) != CLI_EXIT_OK)
		return CLI_EXIT_USAGE;
	struct shell *sh = xcalloc(1, sizeof *sh);
	int status = shell_start(sh, &cli, false);
	if (status != CLI_EXIT_OK) {
		free(sh);
		return status;
	}
	setlocale(LC_ALL, "C.UTF-8");
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	SCREEN *bench_screen = out && in ? newterm("xterm-256color", out, in) : NULL;
	if (!bench_screen) {
		if (out)
			fclose(out);
		if (in)
			fclose(in);
		shell_stop(sh);
		free(sh);
		return CLI_EXIT_FAILURE;
	}
	resizeterm(lines, cols);
	draw_init();
	sh->screen = mode >= 0 && mode < SCREEN_COUNT ? (enum screen_mode)mode : SCREEN_MAIN;
	sh->focus = shell_first_focus(sh->screen);
	shell_layout(sh);
	tick(sh);
	for (int f = 0; f < frames; f++) {
		for (size_t i = 0; i < layout_pane_count; i++)
			sh->panes[i].dirty = true;
		int64_t t0 = clock_now_ns();
		render(sh);
		frame_ns[f] = (double)(clock_now_ns() - t0);
	}
	free_windows(sh);
	endwin();
	delscreen(bench_screen);
	fclose(out);
	fclose(in);
	shell_stop(sh);
	free(sh);
	return CLI_EXIT_OK;
}
