/*
 * model_lab — the lab's settings, the comparison and sweep runs, and the
 * export, as the model holds them: each key that changes the lab lands
 * here, changes the model, passes the change to the source and says so in
 * the log (see model.h). The shell calls these only for controls the source
 * offers; a source without them never reaches this file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "draw.h"
#include "keys.h"
#include "model.h"
#include "obslab/store.h"

static const uint32_t user_steps[] = { WORKLOAD_USER_STEPS };
static const uint32_t rtt_steps[] = { WORKLOAD_RTT_STEPS_US };
static const uint32_t pace_steps[] = { WORKLOAD_PACE_HZ };
static const uint32_t sweep_scales[] = { PLAN_SWEEP_USERS };
#define COUNT(a) (sizeof (a) / sizeof (a)[0])

/* Any change of settings ends the plan the source is running. */
static void end_measuring(struct model *m)
{
	if (m->measuring) {
		m->measuring->cancelled = true;
		m->measuring->ended_ns = clock_now_ns();
		m->measuring = NULL;
	}
}

static void configure(struct model *m, enum source_setting what)
{
	m->source->ops->configure(m->source, what, &m->settings);
}

/* A change of settings starts a new experiment: the live figures start
 * over, findings are logged afresh (traces begun before now are old news),
 * the shown trace is marked if it ran under the old settings, and the view
 * follows the newest trace. */
static void settings_changed(struct model *m)
{
	m->settings_since_ns = clock_now_ns();
	recent_reset(&m->window, clock_now_ns());
	m->window_attr = recent_attribution(&m->window, clock_now_ns());
	m->nlogged = 0;
	m->follow = true;
	end_measuring(m);
	m->changed |= MODEL_STATUS | MODEL_WINDOW | MODEL_MEASURE | MODEL_TRACE;
}

/* Users and index are the database's: another process may have changed
 * them since the user last did. Watching, they are not this obslab's to
 * change, and the key says so. */
void model_follow_database(struct model *m)
{
	struct source *src = m->source;
	uint32_t users;
	bool index;
	if (src->ops->database && src->ops->database(src, &users, &index)) {
		m->settings.users = users;
		m->settings.index = index;
		m->changed |= MODEL_STATUS | MODEL_TRACE;
	}
}

static bool database_is_ours(struct model *m, const char *keys, const char *what)
{
	model_follow_database(m);
	if (!m->settings.watch)
		return true;
	model_message(m, false, "watching read-only: %s would %s; the obslab that drives the database changes it",
	              keys, what);
	model_note(m, LOG_INFO, "watching read-only: %s would %s; ignored", keys, what);
	return false;
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

void model_set_strategy(struct model *m, enum strategy s)
{
	if (m->settings.strategy == s)
		return;
	if ((unsigned)s >= strategy_count(m->engine)) { /* pipelined on SQLite */
		model_message(m, true, "%s", REQUEST_PIPELINED_REFUSAL);
		return;
	}
	m->settings.strategy = s;
	configure(m, SETTING_STRATEGY);
	settings_changed(m);
	model_note(m, LOG_INFO, "strategy: %s", s == STRATEGY_NAIVE ? "naive (N+1)" : strategy_name(s));
}

void model_toggle_strategy(struct model *m)
{
	model_set_strategy(m, m->settings.strategy == STRATEGY_NAIVE ? STRATEGY_OPTIMIZED : STRATEGY_NAIVE);
}

void model_step_users(struct model *m, int dir)
{
	if (!database_is_ours(m, "+ and -", "reseed the database"))
		return;
	uint32_t users = step_in(user_steps, COUNT(user_steps), m->settings.users, dir);
	if (users == m->settings.users)
		return;
	m->settings.users = users;
	configure(m, SETTING_USERS);
	settings_changed(m);
	model_note(m, LOG_INFO, "users: %u (reseeding)", users);
}

void model_next_rtt(struct model *m)
{
	if (m->engine == LABDB_POSTGRESQL) {
		model_note(m, LOG_INFO, "r does nothing here: PostgreSQL's round trips are real (measured); "
		                        "a round trip is simulated on SQLite only");
		return;
	}
	uint32_t last = rtt_steps[COUNT(rtt_steps) - 1];
	uint32_t rtt = m->settings.rtt_us >= last ? rtt_steps[0] : step_in(rtt_steps, COUNT(rtt_steps), m->settings.rtt_us, 1);
	m->settings.rtt_us = rtt;
	configure(m, SETTING_RTT);
	settings_changed(m);
	model_note(m, LOG_INFO, "RTT %u us per query (simulated)", rtt);
}

void model_toggle_index(struct model *m)
{
	if (!database_is_ours(m, "i", "create or drop its index"))
		return;
	m->settings.index = !m->settings.index;
	configure(m, SETTING_INDEX);
	settings_changed(m);
	model_note(m, LOG_INFO, "index on orders.user_id: %s", m->settings.index ? "on" : "off");
}

void model_next_pace(struct model *m)
{
	size_t i = 0;
	while (i < COUNT(pace_steps) && pace_steps[i] != m->settings.pace_hz)
		i++;
	uint32_t pace = pace_steps[(i + 1) % COUNT(pace_steps)];
	m->settings.pace_hz = pace;
	configure(m, SETTING_PACE);
	if (pace)
		model_note(m, LOG_INFO, "pace: %u requests/s", pace);
	else
		model_note(m, LOG_INFO, "pace: as fast as possible");
	end_measuring(m);
	m->changed |= MODEL_STATUS;
}

void model_toggle_pause(struct model *m)
{
	m->paused = !m->paused;
	m->source->ops->pause(m->source, m->paused);
	end_measuring(m);
	if (m->source->ops->arrives_paused)
		model_note(m, LOG_INFO, m->paused ? "the lab paused; the server still serves" : "the lab resumed");
	else
		model_note(m, LOG_INFO, m->paused ? "capture paused" : "capture resumed");
	if (!m->paused)
		m->follow = true;
	m->changed |= MODEL_STATUS;
}

void model_measure(struct model *m, enum measure_kind which)
{
	struct measurement *meas = which == MEASURE_SWEEP ? &m->sweep : &m->compare;
	if (m->quiet) { /* the run this one replaces: summed up first */
		struct measurement *before = m->quiet;
		if (m->measuring == before)
			end_measuring(m);
		m->quiet = NULL;
		model_log_measurement(m, before);
	}
	comparison_clear(&meas->results);
	memset(&meas->plan, 0, sizeof meas->plan);
	if (which == MEASURE_SWEEP) {
		for (size_t i = 0; i < COUNT(sweep_scales); i++)
			meas->plan.users[meas->plan.nscales++] = sweep_scales[i];
		meas->plan.requests = PLAN_SWEEP_REQUESTS;
	} else {
		meas->plan.users[0] = m->settings.users;
		meas->plan.nscales = 1;
		meas->plan.requests = PLAN_COMPARE_REQUESTS;
	}
	meas->rtt_us = m->settings.rtt_us;
	meas->index = m->settings.index;
	meas->started = true;
	meas->cancelled = false;
	meas->done = meas->total = 0;
	m->measuring = meas;
	m->quiet = meas;
	m->quieted = 0;
	m->source->ops->start_plan(m->source, &meas->plan);
	m->changed |= MODEL_MEASURE;
}

void model_log_measurement(struct model *m, const struct measurement *meas)
{
	const char *what = meas == &m->sweep ? "sweep" : "comparison";
	char lines[64] = "";
	if (m->quieted)
		snprintf(lines, sizeof lines, "; its %llu request log line%s left out", (unsigned long long)m->quieted,
		         m->quieted == 1 ? "" : "s");
	m->quieted = 0;
	if (meas->cancelled) {
		model_note(m, LOG_INFO, "%s cancelled after %u of %u request%s (partial figures)%s", what, meas->done,
		           meas->total, meas->total == 1 ? "" : "s", lines);
		return;
	}
	char where[96];
	if (meas == &m->sweep)
		snprintf(where, sizeof where, "%u to %u users", meas->plan.users[0], meas->plan.users[meas->plan.nscales - 1]);
	else
		snprintf(where, sizeof where, "%u user%s", meas->plan.users[0], meas->plan.users[0] == 1 ? "" : "s");
	char medians[160] = "";
	if (meas != &m->sweep) {
		struct comparison_row rows[COMPARISON_MAX_CELLS];
		size_t n = comparison_rows(&meas->results, rows, COMPARISON_MAX_CELLS), used = 0;
		for (size_t i = 0; i < n && used < sizeof medians; i++) {
			char total[16];
			draw_duration(total, sizeof total, rows[i].median_total_ns);
			int k = snprintf(medians + used, sizeof medians - used, "%s%s %s", i ? ", " : ": ",
			                 strategy_name(rows[i].strategy), total);
			used += k > 0 ? (size_t)k : 0;
		}
	}
	model_note(m, LOG_INFO, "%s measured, %u request%s at %s, RTT %u us, index %s%s%s", what, meas->done,
	           meas->done == 1 ? "" : "s", where, meas->rtt_us, meas->index ? "on" : "off", medians, lines);
}

void model_cancel_measure(struct model *m)
{
	if (!m->measuring)
		return;
	end_measuring(m);
	m->source->ops->cancel_plan(m->source);
	m->changed |= MODEL_MEASURE; /* the log says so when the plan has stopped */
}

bool model_lab_stopped(struct model *m)
{
	const struct source *src = m->source;
	const char *why = src->ops->failure ? src->ops->failure(src) : NULL;
	if (!why)
		return false;
	model_message(m, true, "the workload has stopped: %s; q quits", why);
	return true;
}

bool model_stale(const struct model *m, const struct measurement *meas)
{
	bool users_differ = meas == &m->compare && meas->plan.users[0] != m->settings.users;
	return meas->started && (users_differ || meas->rtt_us != m->settings.rtt_us || meas->index != m->settings.index);
}

/* x names a file by the second and never replaces one: a name in use (two
 * exports in a second, or a file already there) gets "-2", "-3"... */
#define EXPORT_NAME_TRIES 100

void model_export(struct model *m, enum snapshot_format format)
{
	const struct source *src = m->source;
	char stamp[32], path[4096];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	const char *kind = format == SNAPSHOT_NATIVE ? "" : format == SNAPSHOT_OTLP ? "-otlp" : "-chrome";
	struct snapshot_meta meta = {
		.settings = m->settings,
		.has_settings = source_offers(src, CONTROL_SETTINGS), /* a file's own are not vouched for */
		.dropped_spans = src->ops->dropped ? src->ops->dropped(src) : 0,
		.anchor = src->anchor,
		.has_shown = m->shown != NULL,
	};
	meta.has_database = meta.has_settings && m->has_database; /* the lab's, not a file's */
	meta.database = m->database;
	if (m->shown)
		memcpy(meta.shown_trace_id, m->shown->trace_id, SPAN_TRACE_ID_LEN);
	struct obslab_error why;
	bool ok = false;
	for (int n = 1; n <= EXPORT_NAME_TRIES; n++) {
		char number[16] = "";
		if (n > 1)
			snprintf(number, sizeof number, "-%d", n);
		snprintf(path, sizeof path, "%s/obslab-snapshot-%s%s%s.json", m->export_dir, stamp, number, kind);
		struct snapshot_target target = { .path = path, .create_only = true };
		ok = snapshot_write_to(&target, format, src->store, src->names, &meta, &m->findings_cfg, &why);
		if (ok || target.error != EEXIST)
			break;
	}
	if (ok) {
		size_t n = store_trace_count(src->store);
		model_message(m, false, "wrote %s (%s, %zu trace%s)", path, snapshot_format_name(format), n, n == 1 ? "" : "s");
		model_note(m, LOG_INFO, "wrote %s", path);
	} else {
		model_message(m, true, "export failed: %s", why.msg);
		model_note(m, LOG_ERROR, "export failed: %s", why.msg);
	}
}
