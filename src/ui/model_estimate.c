/*
 * model_estimate — long work made visible (see model.h): the request in
 * flight, once it has run a second (how long, its queries so far), and a
 * comparison or sweep estimated before it starts, from the requests
 * measured under the current settings: at its scale, extrapolated from the
 * request in flight, or scaled from another scale. Work that would take
 * more than a minute, or whose cost at a large scale nothing tells, waits
 * for Enter.
 */
#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "model.h"
#include "obslab/store.h"

static const uint32_t sweep_scales[] = { PLAN_SWEEP_USERS };
#define NSCALES (sizeof sweep_scales / sizeof sweep_scales[0])
#define TENTH_NS (100 * 1000 * 1000LL)

void model_track_in_flight(struct model *m)
{
	const struct source *src = m->source;
	int64_t since = 0, now = clock_now_ns();
	uint32_t queries = 0;
	bool running = src->ops->in_flight && src->ops->in_flight(src, &since, &queries);
	bool shown = running && now - since >= MODEL_IN_FLIGHT_SHOWN_NS;
	bool was = m->in_flight.shown;
	/* A frame when it appears, goes, or its tenth of a second or count moves. */
	bool moved = shown && (since != m->in_flight.since_ns || queries != m->in_flight.queries ||
	                       (now - since) / TENTH_NS != (now - TENTH_NS - since) / TENTH_NS);
	m->in_flight.shown = shown;
	m->in_flight.since_ns = shown ? since : 0;
	m->in_flight.queries = shown ? queries : 0;
	if (shown != was || moved)
		m->changed |= MODEL_IN_FLIGHT;
}

void model_format_long(char *buf, size_t cap, int64_t ns)
{
	long long s = (long long)(ns / CLOCK_NS_PER_S);
	if (ns < 60 * CLOCK_NS_PER_S)
		snprintf(buf, cap, "%.1f s", (double)ns / 1e9);
	else if (s < 3600)
		snprintf(buf, cap, "%lld min %lld s", s / 60, s % 60);
	else
		snprintf(buf, cap, "%lld h %lld min", s / 3600, s / 60 % 60);
}

static uint32_t planned_queries(enum strategy s, uint32_t users)
{
	switch (s) {
	case STRATEGY_NAIVE:
	case STRATEGY_PIPELINED: return users + 1;
	case STRATEGY_EAGER: return 1 + (users + REQUEST_EAGER_CHUNK - 1) / REQUEST_EAGER_CHUNK;
	case STRATEGY_OPTIMIZED:
	case STRATEGY_COUNT: break;
	}
	return 1;
}

/* The latest whole request of strategy s run under the current settings
 * (at these users, or at any when users is 0). */
static const struct trace *measured(const struct model *m, enum strategy s, uint32_t users)
{
	const struct store *st = m->source->store;
	for (size_t i = store_trace_count(st); i-- > 0;) {
		const struct trace *t = store_trace(st, i);
		const struct span_record *root = &t->spans[0];
		if (root->start_ns < m->settings_since_ns)
			break; /* older: it ran under other settings */
		if (root->strategy != s || (users && root->u.root.users != users) ||
		    (root->flags & (SPAN_F_CANCELLED | SPAN_F_ERROR)) || !(root->flags & SPAN_F_INDEX) != !m->settings.index)
			continue;
		return t;
	}
	return NULL;
}

/* A request measured at n0 users, scaled to n, part by part from its spans.
 * The network (the simulated waits, as waited) and the application's time
 * are per query: they follow the query count (naive's grows with the users,
 * eager's with its chunks). The database's time per query has a fixed part
 * and a scan part: without an index each query reads the whole orders table,
 * which grows with the users, so the scan part per query grows with them too
 * (naive's database time is quadratic in its scan part only). The scan part
 * is the statement counters' full-scan steps at MODEL_SCAN_STEP_NS each (at
 * most all of the database time); the rest is fixed. The one join
 * (optimized) reads every row: its time grows with the users.
 *
 * Measured against real requests (index off, RTT 1000 us, this machine's
 * step about 40 ns): naive from 20 users to 10,000 estimated 22.4 s, ran
 * 23.6 s (0.95x); from 20 to 1,000, 1.19 s for 1.24 s (0.96x); from 1,000
 * to 5,000, 8.5 s for 9.0 s (0.94x). Eager from 20 to 10,000 0.74-0.83x,
 * from 1,000 0.91x. Optimized from 1,000 to 100,000 1.15x, but from 20 to
 * 10,000 3.4x (its fixed cost grown with the rows): small next to naive's.
 * A slower machine's step makes the scan part low by its ratio to 40 ns. */
int64_t model_scale_request(const struct trace *t, uint32_t n)
{
	const struct span_record *root = &t->spans[0];
	enum strategy s = (enum strategy)root->strategy;
	uint32_t n0 = root->u.root.users ? root->u.root.users : 1;
	double total = (double)span_duration_ns(root), net = 0, db = 0, steps = 0, q0 = 0;
	for (size_t i = 1; i < t->nspans; i++) {
		const struct span_record *sp = &t->spans[i];
		if (!(sp->flags & SPAN_F_DB))
			continue;
		double d = (double)span_duration_ns(sp), w = sp->u.db.net_wait_ns < d ? sp->u.db.net_wait_ns : d;
		q0++;
		net += w;
		db += d - w;
		steps += sp->u.db.fullscan_steps;
	}
	double app = total - net - db;
	if (app < 0)
		app = 0;
	if (q0 == 0)
		q0 = planned_queries(s, n0);
	double growth = (double)n / (double)n0;
	double per_query = (double)planned_queries(s, n) / (double)planned_queries(s, n0);
	/* eager's scan tests each row against its list and groups it: about 4 steps' work */
	double step_ns = s == STRATEGY_EAGER ? 4 * MODEL_SCAN_STEP_NS : MODEL_SCAN_STEP_NS;
	double scan = steps * step_ns < db ? steps * step_ns : db;
	if (s == STRATEGY_OPTIMIZED)
		return (int64_t)(net + (app + db) * growth);
	return (int64_t)((net + app + (db - scan) + scan * growth) * per_query);
}

enum basis { BASIS_NONE, BASIS_MEASURED, BASIS_IN_FLIGHT, BASIS_SCALED };

/* What one request of strategy s at users would take, and on what basis. */
static enum basis request_cost(const struct model *m, enum strategy s, uint32_t users, int64_t *ns)
{
	const struct trace *t = measured(m, s, users);
	if (t) {
		*ns = span_duration_ns(&t->spans[0]);
		return BASIS_MEASURED;
	}
	if (m->in_flight.shown && m->in_flight.since_ns >= m->settings_since_ns && !m->measuring &&
	    s == m->settings.strategy && users == m->settings.users) {
		int64_t elapsed = clock_now_ns() - m->in_flight.since_ns;
		uint32_t done = m->in_flight.queries ? m->in_flight.queries : 1;
		double whole = (double)elapsed * (double)planned_queries(s, users) / (double)done;
		*ns = whole > (double)elapsed ? (int64_t)whole : elapsed;
		return BASIS_IN_FLIGHT;
	}
	t = measured(m, s, 0);
	if (t && t->spans[0].u.root.users > 0) {
		*ns = model_scale_request(t, users);
		return BASIS_SCALED;
	}
	return BASIS_NONE;
}

struct estimate {
	int64_t ns;          /* what is known of the whole */
	bool unknown_large;  /* naive at a scale above the sweep's, with nothing to go by */
	char basis[256];     /* how each strategy's requests were estimated */
	enum basis naive;    /* naive's, which is most of it: how, and a request's time */
	int64_t naive_ns;
};

static void estimate(const struct model *m, enum measure_kind kind, struct estimate *e)
{
	memset(e, 0, sizeof *e);
	const uint32_t *scales = kind == MEASURE_SWEEP ? sweep_scales : &m->settings.users;
	size_t nscales = kind == MEASURE_SWEEP ? NSCALES : 1;
	uint32_t rounds = kind == MEASURE_SWEEP ? PLAN_SWEEP_REQUESTS : PLAN_COMPARE_REQUESTS;
	size_t o = 0;
	for (int s = 0; s < (int)strategy_count(m->engine); s++) {
		int64_t last = 0;
		enum basis basis = BASIS_NONE;
		for (size_t i = 0; i < nscales; i++) {
			int64_t ns;
			enum basis b = request_cost(m, (enum strategy)s, scales[i], &ns);
			if (b == BASIS_NONE) {
				e->unknown_large |= s == STRATEGY_NAIVE && scales[i] > PLAN_SWEEP_LAST_USERS;
				continue;
			}
			e->ns += ns * rounds;
			last = ns;
			basis = b > basis ? b : basis;
		}
		if (s == STRATEGY_NAIVE) {
			e->naive = basis;
			e->naive_ns = last;
		}
		char d[32];
		model_format_long(d, sizeof d, last);
		static const char *const how[] = { "not measured", "measured", "from the request in flight", "scaled" };
		int k = snprintf(e->basis + o, sizeof e->basis - o, "%s%s %s%s%s", o ? "; " : "",
		                 strategy_name((enum strategy)s), basis ? d : "", basis ? " a request, " : "", how[basis]);
		o = k > 0 && (size_t)k < sizeof e->basis - o ? o + (size_t)k : sizeof e->basis - 1;
	}
}

/* "compare at 100,000 users" or "sweep 20 to 10000 users" */
static void what(const struct model *m, enum measure_kind kind, char *buf, size_t cap)
{
	char users[32];
	draw_count(users, sizeof users, m->settings.users);
	if (kind == MEASURE_SWEEP)
		snprintf(buf, cap, "sweep %s to %s users", WORKLOAD_TEXT(PLAN_SWEEP_FIRST_USERS),
		         WORKLOAD_TEXT(PLAN_SWEEP_LAST_USERS));
	else
		snprintf(buf, cap, "compare at %s users", users);
}

/* The estimate in a few words: "about 2 h 10 min" or what is unknown. */
static void summary(const struct estimate *e, char *buf, size_t cap)
{
	char d[32];
	model_format_long(d, sizeof d, e->ns);
	if (e->unknown_large)
		snprintf(buf, cap, "naive not measured at this scale yet (it may take hours)%s%s",
		         e->ns ? "; the rest about " : "", e->ns ? d : "");
	else if (e->naive == BASIS_NONE)
		snprintf(buf, cap, "about %s, estimated from the requests measured", d);
	else {
		static const char *const from[] = { "", "measured", "from the request in flight", "scaled from another scale" };
		char n[32];
		model_format_long(n, sizeof n, e->naive_ns);
		snprintf(buf, cap, "about %s (naive %s a request, %s)", d, n, from[e->naive]);
	}
}

bool model_ask_measure(struct model *m, enum measure_kind which)
{
	struct estimate e;
	estimate(m, which, &e);
	if (!e.unknown_large && e.ns < MODEL_CONFIRM_NS)
		return false;
	m->confirm.open = true;
	m->confirm.kind = which;
	char w[64], sum[160];
	what(m, which, w, sizeof w);
	summary(&e, sum, sizeof sum);
	model_note(m, LOG_WARN, "%s: %s (%s); Enter starts it, Esc cancels", w, sum, e.basis);
	m->changed |= MODEL_STATUS;
	return true;
}

void model_confirm_line(const struct model *m, char *buf, size_t cap)
{
	struct estimate e;
	estimate(m, m->confirm.kind, &e);
	char w[64], sum[160];
	what(m, m->confirm.kind, w, sizeof w);
	summary(&e, sum, sizeof sum);
	const char *sep = draw_glyphs()->sep;
	snprintf(buf, cap, " %s: %s %s Enter to start, Esc to cancel", w, sum, sep);
}

void model_answer_measure(struct model *m, bool yes)
{
	if (!m->confirm.open)
		return;
	m->confirm.open = false;
	m->changed |= MODEL_STATUS;
	if (yes) {
		model_measure(m, m->confirm.kind);
		return;
	}
	model_note(m, LOG_INFO, "%s not started", m->confirm.kind == MEASURE_SWEEP ? "sweep" : "comparison");
}
