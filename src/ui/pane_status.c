/* The status bar: what the lab is doing, in one line. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "draw.h"
#include "obslab/ring.h"
#include "obslab/store.h"

static const char *strategy_label(enum strategy s)
{
	return s == STRATEGY_NAIVE ? "N+1" : strategy_name(s);
}


void pane_status_compose(const struct app *app, char *buf, size_t cap)
{
	const struct glyphs *g = draw_glyphs();
	if (app->export_prompt) {
		snprintf(buf, cap, " export a snapshot as:  n native  %s  o OTLP/JSON  %s  c Chrome (Perfetto)  %s  Esc cancels",
		         g->dot, g->dot, g->dot);
		return;
	}
	if (app->message[0] && clock_now_ns() < app->message_until) {
		snprintf(buf, cap, " %s", app->message);
		return;
	}
	if (app->snapshot_path) {
		char traces[32], spans[32];
		draw_count(traces, sizeof traces, store_trace_count(app->lab.store));
		draw_count(spans, sizeof spans, store_spans_held(app->lab.store));
		snprintf(buf, cap, " obslab %s snapshot %s %s %s traces %s %s spans %s read-only %s trace %llu of %s", g->sep,
		         app->snapshot_path, g->sep, traces, g->dot, spans, g->sep, g->sep,
		         (unsigned long long)app->shown_seq, traces);
		return;
	}
	const char *sep = g->sep;
	char users[32], spans[32], dropped[32], activity[96];
	draw_count(users, sizeof users, app->settings.users);
	draw_count(spans, sizeof spans, store_spans_received(app->lab.store));
	draw_count(dropped, sizeof dropped, ring_dropped(app->lab.spans));

	enum workload_phase phase = workload_phase(app->lab.workload);
	int64_t locked_since = workload_lock_wait_since(app->lab.workload);
	if (phase == WORKLOAD_FAILED) {
		snprintf(activity, sizeof activity, "stopped: error (see log)");
	} else if (locked_since) {
		snprintf(activity, sizeof activity, "waiting: database locked (%lld s)",
		         (long long)((clock_now_ns() - locked_since) / CLOCK_NS_PER_S));
	} else if (phase == WORKLOAD_SEEDING || phase == WORKLOAD_STARTING) {
		uint32_t done, total;
		workload_seed_progress(app->lab.workload, &done, &total);
		char d[32], t[32];
		draw_count(d, sizeof d, done);
		draw_count(t, sizeof t, total);
		snprintf(activity, sizeof activity, "seeding %s/%s users", d, t);
	} else {
		if (app->settings.pace_hz)
			snprintf(activity, sizeof activity, "%.1f of %u req/s", app->requests_per_s,
			         app->settings.pace_hz);
		else
			snprintf(activity, sizeof activity, "%.1f req/s (max)", app->requests_per_s);
	}

	char where[48];
	if (app->paused)
		snprintf(where, sizeof where, "%s paused", g->paused);
	else if (!app->follow)
		snprintf(where, sizeof where, "history (] for live)");
	else
		snprintf(where, sizeof where, "%s live", g->live);

	snprintf(buf, cap, " obslab %s %s %s %s users %s RTT %u%ss (simulated) %s index %s %s %s %s "
	         "spans %s %s dropped %s %s %s",
	         sep, strategy_label(app->settings.strategy), sep, users, sep, app->settings.rtt_us, g->mu,
	         sep, app->settings.index ? "on" : "off", sep, activity, sep, spans, g->dot, dropped, sep, where);
}

static void draw(struct pane *p, const struct app *app)
{
	char line[512];
	pane_status_compose(app, line, sizeof line);
	werase(p->win);
	wbkgdset(p->win, ' ' | draw_attr(ROLE_STATUS));
	werase(p->win);
	attr_t attr = draw_attr(app->message_error && clock_now_ns() < app->message_until ? ROLE_ERROR : ROLE_STATUS);
	wattron(p->win, attr | A_REVERSE * (attr != draw_attr(ROLE_STATUS)));
	draw_at(p->win, 0, 0, line, p->w);
	wattroff(p->win, attr | A_REVERSE);
	wnoutrefresh(p->win);
}

const struct pane_ops pane_status_ops = {
	.name = "status",
	.focusable = false,
	.draw = draw,
};
