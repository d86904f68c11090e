/*
 * source_lab — the live lab as a source of traces: a session (database,
 * workload thread, rings, store) that runs requests as the user sets it,
 * and offers every control: settings, pause, measurements (see source.h).
 * Watching (--watch), the same lab read-only: the database as another
 * obslab drives it, with no control that would change it. And the lab
 * inside another source (--serve, --otlp --lab): source_inner_*, its
 * ops passed on through src->inner.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "keys.h"
#include "model.h"
#include "source.h"
#include "obslab/cli.h"
#include "obslab/ring.h"
#include "obslab/session.h"
#include "obslab/store.h"
#include "obslab/textsafe.h"
#include "obslab/xalloc.h"

#define RATE_WINDOW_NS CLOCK_NS_PER_S

struct lab {
	struct session session;
	double requests_per_s;
	bool rate_known;        /* a whole window has passed since the last change */
	uint64_t rate_requests;
	int64_t rate_since_ns;
	enum workload_phase last_phase; /* to log a failure once */
	uint32_t changes_seen; /* the workload's count of others' changes, as last taken */
};

static struct lab *lab_of(const struct source *src)
{
	return src->state;
}

/* The rate starts over at a change: a window never mixes two paces. */
static void rate_restart(struct lab *lab)
{
	lab->rate_requests = workload_requests(lab->session.workload);
	lab->rate_since_ns = clock_now_ns();
	lab->rate_known = false;
}

static int start(struct source *src, const struct cli *cli, const struct workload_config *settings,
                 struct source_start *out)
{
	struct lab *lab = xcalloc(1, sizeof *lab);
	src->state = lab;
	struct obslab_error err;
	struct store_limits limits = { STORE_DEFAULT_MAX_TRACES, STORE_DEFAULT_MAX_SPANS, STORE_DEFAULT_MAX_BYTES };
	if (session_start(&lab->session, cli->db_path, &out->settings, limits, &err) != DB_OK) {
		textsafe_fprintf(stderr, "obslab: %s\n", err.msg);
		return CLI_EXIT_FAILURE;
	}
	src->store = lab->session.store;
	src->names = lab->session.names;
	src->anchor = lab->session.anchor;
	rate_restart(lab);
	const struct workload_config *run = &out->settings; /* as the database has them */
	const struct labdb_info *db = &lab->session.db_info;
	out->engine = db->engine;
	out->database = *db;
	out->has_database = true;
	char rtt[32];
	if (out->engine == LABDB_POSTGRESQL)
		snprintf(rtt, sizeof rtt, "network real (measured)");
	else
		snprintf(rtt, sizeof rtt, "RTT %u us", run->rtt_us);
	snprintf(out->note, sizeof out->note, "%s: %s, %u users, %s, index %s, on %.120s",
	         run->watch ? "watching read-only" : "started", strategy_name(run->strategy), run->users, rtt,
	         run->index ? "on" : "off", db->display);
	(void)settings;
	return CLI_EXIT_OK;
}

static void drain(struct source *src, const struct source_sink *sink)
{
	struct lab *lab = lab_of(src);
	struct workload *w = lab->session.workload;
	session_drain(&lab->session, sink->log, sink->ctx);
	int64_t now = clock_now_ns();
	if (now - lab->rate_since_ns >= RATE_WINDOW_NS) {
		uint64_t requests = workload_requests(w);
		lab->requests_per_s = (double)(requests - lab->rate_requests) * 1e9 / (double)(now - lab->rate_since_ns);
		lab->rate_requests = requests;
		lab->rate_since_ns = now;
		lab->rate_known = true;
	}
	enum workload_phase phase = workload_phase(w);
	if (phase != lab->last_phase && phase == WORKLOAD_FAILED) {
		char text[LOGBOOK_TEXT];
		snprintf(text, sizeof text, "the workload stopped: %s", workload_error(w));
		sink->note(sink->ctx, LOG_ERROR, text);
	}
	lab->last_phase = phase;
}

static void stop(struct source *src)
{
	struct lab *lab = lab_of(src);
	if (lab)
		session_stop(&lab->session);
	free(lab);
	src->state = NULL;
	src->store = NULL;
	src->names = NULL;
}

static const char *strategy_label(enum strategy s)
{
	return s == STRATEGY_NAIVE ? "N+1" : strategy_name(s);
}

static void status(const struct source *src, const struct model *m, char *buf, size_t cap)
{
	const struct lab *lab = lab_of(src);
	struct workload *w = lab->session.workload;
	const struct glyphs *g = draw_glyphs();
	const char *sep = g->sep;
	char users[32], spans[32], dropped[32], activity[96 + sizeof lab->session.db_info.display];
	uint32_t db_users, changes;
	bool db_index;
	workload_db_state(w, &db_users, &db_index, &changes); /* the database as it is, not as asked */
	draw_count(users, sizeof users, db_users);
	draw_count(spans, sizeof spans, store_spans_received(src->store));
	draw_count(dropped, sizeof dropped, ring_dropped(lab->session.spans));

	enum workload_phase phase = workload_phase(w);
	int64_t locked_since = workload_lock_wait_since(w), lost_since;
	uint32_t attempts;
	const struct labdb_info *db = &lab->session.db_info;
	bool reconnecting = phase != WORKLOAD_FAILED && workload_reconnecting(w, &lost_since, &attempts) && !m->paused;
	if (phase == WORKLOAD_FAILED) {
		snprintf(activity, sizeof activity, "stopped: error (see log)");
	} else if (reconnecting) {
		snprintf(activity, sizeof activity, "reconnecting to %s (attempt %u, since %llds)", db->display, attempts,
		         (long long)((clock_now_ns() - lost_since) / CLOCK_NS_PER_S));
	} else if (locked_since) {
		snprintf(activity, sizeof activity, "waiting: database locked (%lld s)",
		         (long long)((clock_now_ns() - locked_since) / CLOCK_NS_PER_S));
	} else if (phase == WORKLOAD_SEEDING || phase == WORKLOAD_STARTING) {
		uint32_t done, total;
		workload_seed_progress(w, &done, &total);
		char d[32], t[32];
		draw_count(d, sizeof d, done);
		draw_count(t, sizeof t, total);
		snprintf(activity, sizeof activity, "seeding %s/%s users", d, t);
	} else if (m->in_flight.shown) { /* a long request: how long so far, and how far */
		char t[32], q[32];
		model_format_long(t, sizeof t, clock_now_ns() - m->in_flight.since_ns);
		draw_count(q, sizeof q, m->in_flight.queries);
		snprintf(activity, sizeof activity, "in flight %s %s %s queries", t, g->dot, q);
	} else {
		/* The workload never bursts above its pace (workload.c), so more
		 * than the pace is a window holding one request more than it
		 * paced: the pace is the truer figure. */
		double rate = lab->requests_per_s;
		if (m->settings.pace_hz && rate > m->settings.pace_hz)
			rate = m->settings.pace_hz;
		char figure[24];
		if (lab->rate_known)
			snprintf(figure, sizeof figure, "%.1f", rate);
		else
			snprintf(figure, sizeof figure, "%s", g->dash);
		if (m->settings.pace_hz)
			snprintf(activity, sizeof activity, "%s of %u req/s", figure, m->settings.pace_hz);
		else
			snprintf(activity, sizeof activity, "%s req/s (max)", figure);
	}

	char where[48];
	if (phase == WORKLOAD_FAILED) /* nothing runs now: not live, whatever the view follows */
		snprintf(where, sizeof where, "stopped");
	else if (m->paused)
		snprintf(where, sizeof where, "%s paused", g->paused);
	else if (!m->follow)
		snprintf(where, sizeof where, "history %s %s", g->dot, m->q.held ? "held for the details" : "L for live");
	else
		snprintf(where, sizeof where, "%s live", g->live);

	/* Where it runs (dropped first on SQLite, cut to fit on PostgreSQL:
	 * pane_status.c), and the network: simulated, or real. */
	char network[sizeof db->display + 64];
	if (db->engine == LABDB_POSTGRESQL && reconnecting) /* the activity names it */
		snprintf(network, sizeof network, "network real (measured)");
	else if (db->engine == LABDB_POSTGRESQL)
		snprintf(network, sizeof network, "%s %s network real (measured)", db->display, sep);
	else
		snprintf(network, sizeof network, "%s %s RTT %u%ss (simulated)", db->display, sep, m->settings.rtt_us, g->mu);
	/* Reconnecting, nothing is live: the reconnection takes the last
	 * segment's place (it always stays; pane_status.c shortens it to
	 * "reconnecting · attempt N · Ns" where the bar is narrow). */
	char middle[sizeof activity + 16];
	snprintf(middle, sizeof middle, "%s %s ", activity, sep);
	snprintf(buf, cap, " obslab%s %s %s %s %s users %s %s %s index %s %s %s"
	         "spans %s %s dropped %s %s %s", m->settings.watch ? " (watching)" : "",
	         sep, strategy_label(m->settings.strategy), sep, users, sep, network,
	         sep, db_index ? "on" : "off", sep, reconnecting ? "" : middle, spans, g->dot, dropped, sep,
	         reconnecting ? activity : where);
}

static bool database(struct source *src, uint32_t *users, bool *index)
{
	struct lab *lab = lab_of(src);
	uint32_t changes;
	workload_db_state(lab->session.workload, users, index, &changes);
	bool news = changes != lab->changes_seen;
	lab->changes_seen = changes;
	return news;
}

static void refusal(const struct source *src, char *buf, size_t cap)
{
	(void)src;
	snprintf(buf, cap, "watching read-only: c and s would reseed the database; measure in the obslab that drives it");
}

static bool in_flight(const struct source *src, int64_t *started_ns, uint32_t *queries)
{
	return workload_in_flight(lab_of(src)->session.workload, started_ns, queries);
}

static const char *failure(const struct source *src)
{
	const struct workload *w = lab_of(src)->session.workload;
	return workload_phase(w) == WORKLOAD_FAILED ? workload_error(w) : NULL;
}

static uint64_t dropped(const struct source *src)
{
	return ring_dropped(lab_of(src)->session.spans);
}

static void configure(struct source *src, enum source_setting what, const struct workload_config *cfg)
{
	struct workload *w = lab_of(src)->session.workload;
	rate_restart(lab_of(src));
	switch (what) {
	case SETTING_STRATEGY: workload_set_strategy(w, cfg->strategy); break;
	case SETTING_USERS: workload_set_users(w, cfg->users); break;
	case SETTING_RTT: workload_set_rtt_us(w, cfg->rtt_us); break;
	case SETTING_INDEX: workload_set_index(w, cfg->index); break;
	case SETTING_PACE: workload_set_pace(w, cfg->pace_hz); break;
	}
}

static void pause(struct source *src, bool paused)
{
	workload_set_paused(lab_of(src)->session.workload, paused);
	rate_restart(lab_of(src));
}

static void start_plan(struct source *src, const struct plan *plan)
{
	workload_start_plan(lab_of(src)->session.workload, plan);
	rate_restart(lab_of(src));
}

static void cancel_plan(struct source *src)
{
	workload_cancel_plan(lab_of(src)->session.workload);
	rate_restart(lab_of(src));
}

static bool plan_progress(const struct source *src, uint32_t *done, uint32_t *total)
{
	bool running = false;
	workload_plan_progress(lab_of(src)->session.workload, done, total, &running);
	return running;
}

const struct source_ops source_lab_ops = {
	.name = "lab",
	.controls = CONTROL_SETTINGS | CONTROL_PAUSE | CONTROL_MEASURE,
	.reads_only = false,
	.start = start,
	.drain = drain,
	.stop = stop,
	.status = status,
	.dropped = dropped,
	.configure = configure,
	.pause = pause,
	.start_plan = start_plan,
	.cancel_plan = cancel_plan,
	.plan_progress = plan_progress,
	.database = database,
	.in_flight = in_flight,
	.failure = failure,
};

/* --watch: the lab read-only. Strategy, RTT and pace are this process's
 * own and work; users and index are the database's (model_lab says why
 * + - i do nothing), and measurements, which reseed, are not offered. */
const struct source_ops source_lab_watch_ops = {
	.name = "lab (watching)",
	.controls = CONTROL_SETTINGS | CONTROL_PAUSE,
	.reads_only = false,
	.start = start,
	.drain = drain,
	.stop = stop,
	.status = status,
	.refusal = refusal,
	.dropped = dropped,
	.configure = configure,
	.pause = pause,
	.database = database,
	.in_flight = in_flight,
	.failure = failure,
};

/* ---- the lab inside another source ------------------------------------------ */

void source_inner_configure(struct source *src, enum source_setting what, const struct workload_config *cfg)
{
	src->inner->ops->configure(src->inner, what, cfg);
}

void source_inner_pause(struct source *src, bool paused)
{
	src->inner->ops->pause(src->inner, paused);
}

void source_inner_start_plan(struct source *src, const struct plan *plan)
{
	src->inner->ops->start_plan(src->inner, plan);
}

void source_inner_cancel_plan(struct source *src)
{
	src->inner->ops->cancel_plan(src->inner);
}

bool source_inner_plan_progress(const struct source *src, uint32_t *done, uint32_t *total)
{
	return src->inner && src->inner->ops->plan_progress(src->inner, done, total);
}

bool source_inner_database(struct source *src, uint32_t *users, bool *index)
{
	return src->inner && src->inner->ops->database(src->inner, users, index);
}

bool source_inner_in_flight(const struct source *src, int64_t *started_ns, uint32_t *queries)
{
	return src->inner && src->inner->ops->in_flight(src->inner, started_ns, queries);
}

const char *source_inner_failure(const struct source *src)
{
	return src->inner ? src->inner->ops->failure(src->inner) : NULL;
}

uint64_t source_inner_dropped(const struct source *src)
{
	return src->inner ? src->inner->ops->dropped(src->inner) : 0;
}

void source_inner_splice(const char *lab, const char *seg, char *buf, size_t cap)
{
	char sep[16];
	snprintf(sep, sizeof sep, " %s ", draw_glyphs()->sep);
	const char *first = strstr(lab, sep);
	if (!first)
		snprintf(buf, cap, "%s%s%s", lab, sep, seg);
	else
		snprintf(buf, cap, "%.*s%s%s%s", (int)(first - lab), lab, sep, seg, first);
}
