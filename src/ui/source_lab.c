/*
 * source_lab — the live lab as a source of traces: a session (database,
 * workload thread, rings, store) that runs requests as the user sets it,
 * and offers every control: settings, pause, measurements (see source.h).
 */
#include <stdio.h>
#include <stdlib.h>

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
	uint64_t rate_requests;
	int64_t rate_since_ns;
	enum workload_phase last_phase; /* to log a failure once */
};

static struct lab *lab_of(const struct source *src)
{
	return src->state;
}

static int start(struct source *src, const struct cli *cli, const struct workload_config *settings,
                 struct source_start *out)
{
	struct lab *lab = xcalloc(1, sizeof *lab);
	src->state = lab;
	struct obslab_error err;
	struct store_limits limits = { STORE_DEFAULT_MAX_TRACES, STORE_DEFAULT_MAX_SPANS };
	if (session_start(&lab->session, cli->db_path, settings, limits, &err) != DB_OK) {
		textsafe_fprintf(stderr, "obslab: %s\n", err.msg);
		return CLI_EXIT_FAILURE;
	}
	src->store = lab->session.store;
	src->names = lab->session.names;
	src->anchor = lab->session.anchor;
	lab->rate_since_ns = clock_now_ns();
	snprintf(out->note, sizeof out->note, "started: %s, %u users, RTT %u us, index %s",
	         strategy_name(settings->strategy), settings->users, settings->rtt_us, settings->index ? "on" : "off");
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
	char users[32], spans[32], dropped[32], activity[96];
	draw_count(users, sizeof users, m->settings.users);
	draw_count(spans, sizeof spans, store_spans_received(src->store));
	draw_count(dropped, sizeof dropped, ring_dropped(lab->session.spans));

	enum workload_phase phase = workload_phase(w);
	int64_t locked_since = workload_lock_wait_since(w);
	if (phase == WORKLOAD_FAILED) {
		snprintf(activity, sizeof activity, "stopped: error (see log)");
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
	} else if (m->settings.pace_hz) {
		snprintf(activity, sizeof activity, "%.1f of %u req/s", lab->requests_per_s, m->settings.pace_hz);
	} else {
		snprintf(activity, sizeof activity, "%.1f req/s (max)", lab->requests_per_s);
	}

	char where[48];
	if (m->paused)
		snprintf(where, sizeof where, "%s paused", g->paused);
	else if (!m->follow)
		snprintf(where, sizeof where, "history (] for live)");
	else
		snprintf(where, sizeof where, "%s live", g->live);

	snprintf(buf, cap, " obslab %s %s %s %s users %s RTT %u%ss (simulated) %s index %s %s %s %s "
	         "spans %s %s dropped %s %s %s",
	         sep, strategy_label(m->settings.strategy), sep, users, sep, m->settings.rtt_us, g->mu,
	         sep, m->settings.index ? "on" : "off", sep, activity, sep, spans, g->dot, dropped, sep, where);
}

static bool in_flight(const struct source *src, int64_t *started_ns, uint32_t *queries)
{
	return workload_in_flight(lab_of(src)->session.workload, started_ns, queries);
}

static uint64_t dropped(const struct source *src)
{
	return ring_dropped(lab_of(src)->session.spans);
}

static void configure(struct source *src, enum source_setting what, const struct workload_config *cfg)
{
	struct workload *w = lab_of(src)->session.workload;
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
}

static void start_plan(struct source *src, const struct plan *plan)
{
	workload_start_plan(lab_of(src)->session.workload, plan);
}

static void cancel_plan(struct source *src)
{
	workload_cancel_plan(lab_of(src)->session.workload);
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
	.in_flight = in_flight,
};
