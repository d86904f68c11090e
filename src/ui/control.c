/* The lab's controls: each key that changes the workload lands here. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "obslab/ring.h"
#include "obslab/store.h"

#include "app.h"

static const uint32_t user_steps[] = { WORKLOAD_USER_STEPS };
static const uint32_t rtt_steps[] = { WORKLOAD_RTT_STEPS_US };
static const uint32_t pace_steps[] = { WORKLOAD_PACE_HZ };
static const uint32_t sweep_scales[] = { PLAN_SWEEP_USERS };
#define COUNT(a) (sizeof (a) / sizeof (a)[0])

#define MESSAGE_NS (6 * CLOCK_NS_PER_S)

void control_message(struct app *app, bool error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(app->message, sizeof app->message, fmt, ap);
	va_end(ap);
	app->message_error = error;
	app->message_until = clock_now_ns() + MESSAGE_NS;
	app_mark(app, PANE_STATUS);
}

/* On a snapshot nothing runs: the keys that would change the lab say so. */
static bool read_only(struct app *app)
{
	if (!app->snapshot_path)
		return false;
	control_message(app, false, "this is a snapshot (%s), read-only: the lab's keys work in a live obslab",
	                app->snapshot_path);
	return true;
}

/* Any change of settings ends the plan the workload is running. */
static void end_measuring(struct app *app)
{
	if (app->measuring) {
		app->measuring->cancelled = true;
		app->measuring = NULL;
	}
}

/* A change of settings starts a new experiment: the live figures start
 * over, findings are logged afresh, and the view follows the newest trace. */
static void settings_changed(struct app *app)
{
	recent_reset(&app->window, clock_now_ns());
	app->window_attr = recent_attribution(&app->window, clock_now_ns());
	app->nlogged = 0;
	app->follow = true;
	end_measuring(app);
	app_mark(app, PANE_STATUS);
	app_mark(app, PANE_ATTRIBUTION);
	app_mark(app, PANE_COMPARE);
	app_mark(app, PANE_SWEEP);
}

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

void control_strategy(struct app *app, enum strategy s)
{
	if (read_only(app))
		return;
	if (app->settings.strategy == s)
		return;
	app->settings.strategy = s;
	workload_set_strategy(app->lab.workload, s);
	settings_changed(app);
	view_note(app, LOG_INFO, "strategy: %s", s == STRATEGY_NAIVE ? "naive (N+1)" : strategy_name(s));
}

void control_toggle_strategy(struct app *app)
{
	control_strategy(app, app->settings.strategy == STRATEGY_NAIVE ? STRATEGY_OPTIMIZED : STRATEGY_NAIVE);
}

void control_users(struct app *app, int dir)
{
	if (read_only(app))
		return;
	uint32_t users = step_in(user_steps, COUNT(user_steps), app->settings.users, dir);
	if (users == app->settings.users)
		return;
	app->settings.users = users;
	workload_set_users(app->lab.workload, users);
	settings_changed(app);
	view_note(app, LOG_INFO, "users: %u (reseeding)", users);
}

void control_rtt(struct app *app)
{
	if (read_only(app))
		return;
	uint32_t last = rtt_steps[COUNT(rtt_steps) - 1];
	uint32_t rtt = app->settings.rtt_us >= last ? rtt_steps[0] : step_in(rtt_steps, COUNT(rtt_steps), app->settings.rtt_us, 1);
	app->settings.rtt_us = rtt;
	workload_set_rtt_us(app->lab.workload, rtt);
	settings_changed(app);
	view_note(app, LOG_INFO, "RTT %u us per query (simulated)", rtt);
}

void control_index(struct app *app)
{
	if (read_only(app))
		return;
	app->settings.index = !app->settings.index;
	workload_set_index(app->lab.workload, app->settings.index);
	settings_changed(app);
	view_note(app, LOG_INFO, "index on orders.user_id: %s", app->settings.index ? "on" : "off");
}

void control_pace(struct app *app)
{
	if (read_only(app))
		return;
	size_t i = 0;
	while (i < COUNT(pace_steps) && pace_steps[i] != app->settings.pace_hz)
		i++;
	uint32_t pace = pace_steps[(i + 1) % COUNT(pace_steps)];
	app->settings.pace_hz = pace;
	workload_set_pace(app->lab.workload, pace);
	if (pace)
		view_note(app, LOG_INFO, "pace: %u requests/s", pace);
	else
		view_note(app, LOG_INFO, "pace: as fast as possible");
	end_measuring(app);
	app_mark(app, PANE_STATUS);
}

void control_pause(struct app *app)
{
	if (read_only(app))
		return;
	app->paused = !app->paused;
	workload_set_paused(app->lab.workload, app->paused);
	end_measuring(app);
	view_note(app, LOG_INFO, app->paused ? "capture paused" : "capture resumed");
	if (!app->paused)
		app->follow = true;
	app_mark(app, PANE_STATUS);
}

bool control_measure(struct app *app, enum app_view which)
{
	if (read_only(app))
		return false;
	struct measurement *m = which == VIEW_SWEEP ? &app->sweep : &app->compare;
	comparison_clear(&m->results);
	memset(&m->plan, 0, sizeof m->plan);
	if (which == VIEW_SWEEP) {
		for (size_t i = 0; i < COUNT(sweep_scales); i++)
			m->plan.users[m->plan.nscales++] = sweep_scales[i];
		m->plan.requests = PLAN_SWEEP_REQUESTS;
	} else {
		m->plan.users[0] = app->settings.users;
		m->plan.nscales = 1;
		m->plan.requests = PLAN_COMPARE_REQUESTS;
	}
	m->rtt_us = app->settings.rtt_us;
	m->index = app->settings.index;
	m->started = true;
	m->cancelled = false;
	app->measuring = m;
	workload_start_plan(app->lab.workload, &m->plan);
	view_note(app, LOG_INFO, "%s: measuring %s", which == VIEW_SWEEP ? "sweep" : "comparison",
	          which == VIEW_SWEEP ? WORKLOAD_TEXT(PLAN_SWEEP_FIRST_USERS) " to " WORKLOAD_TEXT(PLAN_SWEEP_LAST_USERS) " users" : "naive, optimized, eager");
	return true;
}

void control_cancel_measure(struct app *app)
{
	if (!app->measuring || !app->lab.workload)
		return;
	end_measuring(app);
	workload_cancel_plan(app->lab.workload);
	view_note(app, LOG_INFO, "measurement cancelled");
}

bool control_stale(const struct app *app, const struct measurement *m)
{
	bool users_differ = m == &app->compare && m->plan.users[0] != app->settings.users;
	return m->started && (users_differ || m->rtt_us != app->settings.rtt_us || m->index != app->settings.index);
}

/* x names a file by the second and never replaces one: a name in use (two
 * exports in a second, or a file already there) gets "-2", "-3"... */
#define EXPORT_NAME_TRIES 100

void control_export(struct app *app, enum snapshot_format format)
{
	char stamp[32], path[4096];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	const char *kind = format == SNAPSHOT_NATIVE ? "" : format == SNAPSHOT_OTLP ? "-otlp" : "-chrome";
	struct snapshot_meta meta = {
		.settings = app->settings,
		.has_settings = !app->snapshot_path,
		.dropped_spans = app->lab.spans ? ring_dropped(app->lab.spans) : 0,
		.anchor = app->lab.anchor,
		.has_shown = app->shown != NULL,
	};
	if (app->shown)
		memcpy(meta.shown_trace_id, app->shown->trace_id, SPAN_TRACE_ID_LEN);
	struct obslab_error why;
	bool ok = false;
	for (int n = 1; n <= EXPORT_NAME_TRIES; n++) {
		char number[16] = "";
		if (n > 1)
			snprintf(number, sizeof number, "-%d", n);
		snprintf(path, sizeof path, "%s/obslab-snapshot-%s%s%s.json", app->export_dir, stamp, number, kind);
		struct snapshot_target target = { .path = path, .create_only = true };
		ok = snapshot_write_to(&target, format, app->lab.store, app->lab.names, &meta, &app->findings_cfg, &why);
		if (ok || target.error != EEXIST)
			break;
	}
	if (ok) {
		control_message(app, false, "wrote %s (%s, %zu traces)", path, snapshot_format_name(format),
		                store_trace_count(app->lab.store));
		view_note(app, LOG_INFO, "wrote %s", path);
	} else {
		control_message(app, true, "export failed: %s", why.msg);
		view_note(app, LOG_ERROR, "export failed: %s", why.msg);
	}
}
