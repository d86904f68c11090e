/*
 * workload — the lab's background thread: it applies settings (users,
 * index, RTT) when they change, runs requests at the chosen pace or a
 * measurement plan, keeps per-request samples, waits out database locks,
 * notices what other connections changed, and is controlled from any
 * thread through atomics.
 */
#include "obslab/workload.h"

#include "workload_internal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/clock.h"
#include "obslab/db.h"
#include "obslab/labdb.h"
#include "obslab/log.h"
#include "obslab/pg.h"
#include "obslab/sqltrace.h"
#include "obslab/tracer.h"
#include "obslab/xalloc.h"

/* The busy handler's news, on the worker thread: into the log. */
static void on_lock_wait(void *ctx)
{
	struct workload *w = ctx;
	struct log_field f = log_int("limit_ms", w->wait.limit_ns == DB_WAIT_FOREVER ? -1
	                                         : w->wait.limit_ns / CLOCK_NS_PER_MS);
	if (w->logs)
		log_emit(w->logs, LOG_WARN, "database locked by another connection; waiting", 1, &f);
}

/* After a statement went through: a wait, if there was one, is over. */
static void note_resumed(struct workload *w)
{
	int64_t waited;
	if (!db_wait_end(&w->wait, &waited) || !w->logs)
		return;
	struct log_field f = log_int("waited_ms", waited / CLOCK_NS_PER_MS);
	log_emit(w->logs, LOG_INFO, "database lock released; resumed", 1, &f);
}

struct workload *workload_create(struct labdb *db, const struct workload_config *cfg,
                                 struct ring *spans, struct ring *logs, struct strtab *names)
{
	struct workload *w = xcalloc(1, sizeof *w);
	if (cfg->max_requests > 0)
		w->samples = xcalloc(cfg->max_requests, sizeof *w->samples);
	w->db = db;
	w->spans = spans;
	w->logs = logs;
	w->names = names;
	w->max_requests = cfg->max_requests;
	w->seed = cfg->seed;
	w->trace = cfg->trace;
	w->watch = cfg->watch;
	w->check_changes = labdb_detects_changes(db);
	atomic_init(&w->db_users, 0);
	atomic_init(&w->db_changes, 0);
	atomic_init(&w->db_index, false);
	atomic_init(&w->strategy, (int)cfg->strategy);
	atomic_init(&w->users, cfg->users);
	atomic_init(&w->rtt_us, cfg->rtt_us);
	atomic_init(&w->pace_hz, cfg->pace_hz);
	atomic_init(&w->index, cfg->index);
	atomic_init(&w->stop, false);
	db_wait_init(&w->wait, db_wait_limit_ns(cfg->lock_wait_ms), &w->stop);
	w->wait.on_begin = on_lock_wait;
	w->wait.ctx = w;
	if (labdb_engine(db) == LABDB_SQLITE)
		db_wait_attach(labdb_sqlite(db), &w->wait);
	atomic_init(&w->reconnect_since, 0);
	atomic_init(&w->reconnect_attempts, 0);
	atomic_init(&w->failed_requests, 0);
	atomic_init(&w->paused, false);
	atomic_init(&w->plan_pending, cfg->plan != NULL);
	atomic_init(&w->plan_running, false);
	atomic_init(&w->plan_done, 0);
	atomic_init(&w->plan_total, 0);
	if (cfg->plan) {
		w->plan = *cfg->plan;
		w->exit_after_plan = true;
	}
	atomic_init(&w->cancel, 0);
	atomic_init(&w->generation, 0);
	atomic_init(&w->phase, WORKLOAD_STARTING);
	atomic_init(&w->requests, 0);
	atomic_init(&w->seed_done, 0);
	atomic_init(&w->seed_total, 0);
	atomic_init(&w->in_flight_since, 0);
	atomic_init(&w->in_flight_queries, 0);

	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &attr);
	pthread_condattr_destroy(&attr);
	pthread_mutex_init(&w->lock, NULL);
	return w;
}

void workload_pace_wait(struct workload *w, int64_t deadline_ns, uint32_t generation)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline_ns / CLOCK_NS_PER_S),
		.tv_nsec = (long)(deadline_ns % CLOCK_NS_PER_S),
	};
	pthread_mutex_lock(&w->lock);
	while (!atomic_load(&w->stop) && atomic_load(&w->generation) == generation &&
	       (deadline_ns == INT64_MAX || clock_now_ns() < deadline_ns)) {
		if (deadline_ns == INT64_MAX)
			pthread_cond_wait(&w->wake, &w->lock);
		else if (pthread_cond_timedwait(&w->wake, &w->lock, &ts) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&w->lock);
}

static void on_seed_progress(void *ctx, uint32_t done, uint32_t total)
{
	struct workload *w = ctx;
	atomic_store(&w->seed_total, total);
	atomic_store(&w->seed_done, done);
	note_resumed(w);
}

struct applied {
	uint32_t users, rtt_us;
	bool index;
};

/* What the status read-out says the database holds. */
static void publish(struct workload *w, struct request_ctx *ctx, const struct applied *cur)
{
	request_ctx_set_users(ctx, cur->users);
	request_ctx_set_index(ctx, cur->index);
	atomic_store(&w->db_users, cur->users);
	atomic_store(&w->db_index, cur->index);
}

/* Before a request: if another connection committed since the last look
 * (a header read, nearly free), the database's users and index are the
 * truth from now on, for the traces and the status; the settings follow
 * them unless the user changed them meanwhile, so a later change of
 * another setting does not quietly undo what was done to the database.
 * PostgreSQL has no such version: there the users and the index are read
 * (outside any trace) at most every WORKLOAD_STATE_POLL_MS, and a
 * difference from what the lab holds is another program's change. */
static void notice_changes(struct workload *w, struct request_ctx *ctx, struct applied *cur)
{
	int64_t version;
	uint32_t users;
	bool index;
	bool polled = false;
	if (w->check_changes) {
		if (!labdb_data_version(w->db, &version) || version == w->data_version)
			return;
		w->data_version = version;
	} else if (labdb_pg(w->db) && pg_connected(labdb_pg(w->db))) {
		int64_t now = clock_now_ns();
		if (w->state_read_ns && now - w->state_read_ns < WORKLOAD_STATE_POLL_MS * CLOCK_NS_PER_MS)
			return;
		w->state_read_ns = now;
		polled = true;
	} else {
		return;
	}
	if (!labdb_read_state(w->db, &users, &index))
		return;
	if (polled && users == cur->users && index == cur->index)
		return; /* as the lab holds it: nothing changed that matters here */
	atomic_fetch_add(&w->db_changes, 1);
	if (users == cur->users && index == cur->index)
		return;
	uint32_t asked_users = cur->users;
	bool asked_index = cur->index;
	atomic_compare_exchange_strong(&w->users, &asked_users, users);
	atomic_compare_exchange_strong(&w->index, &asked_index, index);
	cur->users = users;
	cur->index = index;
	publish(w, ctx, cur);
	if (w->logs) {
		struct log_field f[2] = { log_int("users", users), log_text("index", index ? "on" : "off") };
		log_emit(w->logs, LOG_WARN, "database changed by another connection", 2, f);
	}
}

/* The version to compare with from now on. obslab's own writes do not
 * move it: PRAGMA data_version counts other connections' commits. */
static void note_version(struct workload *w)
{
	if (w->check_changes)
		labdb_data_version(w->db, &w->data_version);
}

/* The index as asked, and then as the database has it: an index another
 * program made on orders.user_id serves as well as obslab's, so on adds
 * none and off leaves it on (and the setting follows, as for others'
 * changes), and the log says which index serves. */
static enum db_status set_index(struct workload *w, bool on, struct applied *cur)
{
	char name[128];
	bool served = labdb_index_serving(w->db, name, sizeof name);
	enum db_status status = labdb_set_index(w->db, on, &w->error);
	if (status != DB_OK)
		return status;
	if (on && served && w->logs) {
		struct log_field f = log_text("index", name);
		log_emit(w->logs, LOG_INFO, "orders.user_id has an index already; none added", 1, &f);
	}
	cur->index = labdb_index_serving(w->db, name, sizeof name);
	if (!on && cur->index) {
		bool asked = on;
		atomic_compare_exchange_strong(&w->index, &asked, true);
		atomic_fetch_add(&w->db_changes, 1);
		if (w->logs) {
			struct log_field f = log_text("index", name);
			log_emit(w->logs, LOG_WARN,
			         "another index serves orders.user_id and is not obslab's to drop; the index stays on", 1, &f);
		}
	}
	return DB_OK;
}

/* Brings the database and the connection in line with the control values. */
static enum db_status apply_settings(struct workload *w, struct sqltrace *st,
                                     struct request_ctx *ctx, struct applied *cur)
{
	uint32_t users = w->watch ? cur->users : atomic_load(&w->users);
	bool index = w->watch ? cur->index : atomic_load(&w->index);
	uint32_t rtt = atomic_load(&w->rtt_us);
	enum db_status status = DB_OK;
	if (users != cur->users) {
		atomic_store(&w->phase, WORKLOAD_SEEDING);
		status = labdb_seed(w->db, users, w->seed, on_seed_progress, w, &w->error);
		if (status != DB_OK)
			return status;
		cur->users = users;
	}
	if (index != cur->index) {
		status = set_index(w, index, cur);
		if (status != DB_OK)
			return status;
	}
	note_resumed(w);
	publish(w, ctx, cur);
	if (rtt != cur->rtt_us && st) { /* SQLite's simulated round trip; PostgreSQL's are real */
		sqltrace_set_rtt_us(st, rtt);
		cur->rtt_us = rtt;
	}
	atomic_store(&w->phase, WORKLOAD_RUNNING);
	return DB_OK;
}

/* Between requests, outside any trace: PostgreSQL's round trip measured
 * again (one sample; pg.h keeps the median of the last few). */
static void between_requests(struct workload *w)
{
	struct pgdb *pg = labdb_pg(w->db);
	struct obslab_error ignored;
	if (pg)
		(void)pg_measure_rtt(pg, 1, &ignored); /* a lost connection shows at the next request */
}

/* PostgreSQL's own clock after a request, outside its trace: kept and
 * logged with the request's trace id when it ran (a request that did not
 * complete only moves the reading on, so the next one counts its own). */
static void read_server_clock(struct workload *w, enum db_status status)
{
	struct pgdb *pg = labdb_pg(w->db);
	w->server = (struct pgstat_reading){ .state = PGSTAT_NONE };
	if (!pg || !pg_connected(pg))
		return;
	uint32_t queries = status == DB_OK ? w->last.queries : 0;
	w->server = pgstat_read(pg, queries);
	bool was_loaded = atomic_exchange(&w->server_clock, (int)w->server.state) != PGSTAT_NOT_LOADED;
	if (status != DB_OK)
		return;
	if (w->server.state == PGSTAT_NOT_LOADED && !was_loaded)
		return; /* said once, when it was found missing */
	char trace_id[2 * SPAN_TRACE_ID_LEN + 1] = "";
	if (tracer_enabled(&w->tracer))
		tracer_trace_id_hex(&w->tracer, trace_id);
	pgstat_log(w->logs, &w->server, queries, trace_id);
}

/* A failed request's line: its cause (the request's words cut: the cause
 * first) and its trace, so its trace marked error can be told why. */
static void log_failure(struct workload *w, enum strategy s)
{
	if (!w->logs)
		return;
	const char *cause = w->error.msg;
	const char *after = strstr(cause, " request failed: ");
	if (after)
		cause = after + strlen(" request failed: ");
	char trace_id[2 * SPAN_TRACE_ID_LEN + 1] = "";
	struct log_field f[3];
	size_t n = 0;
	f[n++] = log_text("error", cause);
	f[n++] = log_text("strategy", strategy_name(s));
	if (tracer_enabled(&w->tracer)) {
		tracer_trace_id_hex(&w->tracer, trace_id);
		f[n++] = log_text("trace_id", trace_id);
	}
	log_emit(w->logs, LOG_ERROR, "request failed", n, f);
}

/* request_run, with the request shown in flight while it runs. */
static enum db_status run_request(struct workload *w, struct request_ctx *ctx, enum strategy s)
{
	atomic_store(&w->in_flight_queries, 0);
	atomic_store(&w->in_flight_since, clock_now_ns());
	enum db_status status = request_run(ctx, s, &w->last, &w->error);
	atomic_store(&w->in_flight_since, 0);
	if (status != DB_UNAVAILABLE)
		read_server_clock(w, status);
	else
		atomic_fetch_add(&w->failed_requests, 1); /* its trace carries the error */
	if (status == DB_ERROR && labdb_pg(w->db))
		labdb_explain_damage(&w->error);
	if (status != DB_OK && status != DB_INTERRUPTED)
		log_failure(w, s);
	return status;
}


/* Runs the pending plan. Returns DB_OK also when a change cancelled it. */
static enum db_status run_plan(struct workload *w, struct request_ctx *ctx, struct applied *cur)
{
	pthread_mutex_lock(&w->lock);
	struct plan plan = w->plan;
	atomic_store(&w->plan_pending, false);
	uint32_t generation = atomic_load(&w->generation);
	pthread_mutex_unlock(&w->lock);

	uint32_t nstrategies = 0; /* every strategy the engine runs, in order: PostgreSQL's pipelined too */
	while (nstrategies < STRATEGY_COUNT && request_ctx_can_run(ctx, (enum strategy)nstrategies))
		nstrategies++;
	uint32_t per_scale = plan.requests * nstrategies;
	atomic_store(&w->plan_done, 0);
	atomic_store(&w->plan_total, (uint32_t)plan.nscales * per_scale);
	atomic_store(&w->plan_running, true);
	enum db_status status = DB_OK;
	for (size_t i = 0; status == DB_OK && i < plan.nscales; i++) {
		notice_changes(w, ctx, cur);
		uint32_t users = plan.users[i] ? plan.users[i] : cur->users; /* 0: as the database has it */
		if (users != cur->users && !w->watch) {
			atomic_store(&w->phase, WORKLOAD_SEEDING);
			status = labdb_seed(w->db, users, w->seed, on_seed_progress, w, &w->error);
			if (status != DB_OK)
				break;
			cur->users = users;
			publish(w, ctx, cur);
			atomic_store(&w->phase, WORKLOAD_RUNNING);
		}
		request_ctx_set_root_flags(ctx, SPAN_F_MEASURED);
		for (uint32_t k = 0; status == DB_OK && k < per_scale; k++) {
			request_ctx_arm(ctx); /* before the checks: a change after them cancels the request */
			if (atomic_load(&w->stop) || atomic_load(&w->generation) != generation)
				break; /* cancelled */
			enum strategy s = (enum strategy)(k % nstrategies);
			notice_changes(w, ctx, cur);
			status = run_request(w, ctx, s);
			if (status == DB_OK || status == DB_INTERRUPTED)
				note_resumed(w);
			if (status == DB_UNAVAILABLE && (status = workload_reconnect(w, status, generation)) == DB_OK) {
				k--; /* the same request again, on the new connection (unsigned: wraps, then k++) */
				continue;
			}
			if (status == DB_INTERRUPTED) {
				status = DB_OK;
			} else if (status == DB_OK) {
				atomic_fetch_add(&w->plan_done, 1);
				between_requests(w);
			}
		}
		request_ctx_set_root_flags(ctx, 0);
		if (atomic_load(&w->generation) != generation)
			break;
	}
	/* A plan started while this one was being cancelled runs next: the
	 * explorer would take "not running" in between for its end. */
	pthread_mutex_lock(&w->lock);
	if (!atomic_load(&w->plan_pending))
		atomic_store(&w->plan_running, false);
	pthread_mutex_unlock(&w->lock);
	return status;
}

static void run(struct workload *w)
{
	tracer_init(&w->tracer, w->trace ? w->spans : NULL);
	/* Every statement a span, where the engine executes it: SQLite's
	 * trace hook (which also waits the simulated round trip), or pg.c's
	 * execution point. */
	struct sqltrace *st = NULL;
	struct pgdb *pg = labdb_pg(w->db);
	if (pg) {
		pg_trace_attach(pg, &w->tracer, w->names);
		pg_set_cancel(pg, &w->cancel);
	} else {
		st = sqltrace_attach(labdb_sqlite(w->db), &w->tracer, w->names);
	}
	struct request_ctx *ctx = request_ctx_create(w->db, &w->tracer, w->names, w->logs);
	request_ctx_set_cancel(ctx, &w->cancel);
	request_ctx_set_progress(ctx, &w->in_flight_queries);
	/* Driving, users start unknown so that the first apply seeds (a no-op
	 * when the stamp already says so); the read-out has the truth at once. */
	struct applied cur = { .users = 0, .rtt_us = 0, .index = labdb_index_serving(w->db, NULL, 0) };
	uint32_t have = 0;
	if (labdb_read_state(w->db, &have, &cur.index))
		atomic_store(&w->db_users, have);
	atomic_store(&w->db_index, cur.index);
	if (w->watch)
		cur.users = have;
	uint32_t seen = atomic_load(&w->generation);
	enum db_status status = apply_settings(w, st, ctx, &cur);
	note_version(w);
	if (pg && status == DB_OK) {
		(void)pg_measure_rtt(pg, PG_RTT_SAMPLES, &w->error); /* a failure shows at the first request */
		w->server = pgstat_read(pg, 0); /* primes the server's clock */
		atomic_store(&w->server_clock, (int)w->server.state);
		if (w->server.state == PGSTAT_NOT_LOADED)
			pgstat_log(w->logs, &w->server, 0, NULL);
	}
	int64_t next = clock_now_ns();

	while (status == DB_OK && !atomic_load(&w->stop) &&
	       (w->max_requests == 0 || w->exit_after_plan || w->nsamples < w->max_requests)) {
		request_ctx_arm(ctx); /* before the checks: a stop or change after them cancels the request */
		if (atomic_load(&w->stop))
			break;
		if (atomic_load(&w->plan_pending)) {
			/* A change made just before the plan (r, then measure again) is its setting. */
			seen = atomic_load(&w->generation);
			status = apply_settings(w, st, ctx, &cur);
			if (status == DB_OK)
				status = run_plan(w, ctx, &cur);
			if (status == DB_UNAVAILABLE) {
				status = workload_reconnect(w, status, seen);
				if (status == DB_INTERRUPTED)
					status = DB_OK;
				if (status == DB_OK && atomic_load(&w->plan_pending))
					continue; /* the plan again, on the new connection */
			}
			if (status != DB_OK || w->exit_after_plan)
				break;
			status = apply_settings(w, st, ctx, &cur); /* back to the user's scale */
			next = clock_now_ns();
			continue;
		}
		uint32_t generation = atomic_load(&w->generation);
		if (generation != seen) {
			status = apply_settings(w, st, ctx, &cur);
			if (status == DB_UNAVAILABLE) {
				status = workload_reconnect(w, status, generation);
				if (status == DB_OK || status == DB_INTERRUPTED) {
					status = DB_OK;
					continue; /* not applied yet: again, on the new connection */
				}
			}
			if (status != DB_OK)
				break;
			seen = generation;
		}
		if (atomic_load(&w->paused)) {
			workload_pace_wait(w, INT64_MAX, generation);
			next = clock_now_ns();
			continue;
		}
		enum strategy strategy = (enum strategy)atomic_load(&w->strategy);
		notice_changes(w, ctx, &cur);
		status = run_request(w, ctx, strategy);
		if (status == DB_OK || status == DB_INTERRUPTED)
			note_resumed(w);
		if (status == DB_UNAVAILABLE) { /* the trace is marked with the error; the connection is lost */
			status = workload_reconnect(w, status, generation);
			if (status == DB_OK || status == DB_INTERRUPTED) {
				status = DB_OK;
				next = clock_now_ns();
				continue;
			}
		}
		if (status == DB_INTERRUPTED) {
			status = DB_OK; /* voided by a change: the loop applies it */
			continue;
		}
		if (status != DB_OK)
			break;
		between_requests(w);
		if (w->samples)
			w->samples[w->nsamples++] = (struct request_sample){
				.duration_ns = w->last.end_ns - w->last.start_ns,
				.queries = w->last.queries,
				.server_loaded = w->server.state == PGSTAT_KNOWN || w->server.state == PGSTAT_UNKNOWN,
				.server_known = w->server.state == PGSTAT_KNOWN,
				.server_exec_ns = w->server.state == PGSTAT_KNOWN ? w->server.exec_ns : 0,
			};
		atomic_fetch_add(&w->requests, 1);

		uint32_t pace = atomic_load(&w->pace_hz);
		if (pace > 0) {
			next += CLOCK_NS_PER_S / pace;
			int64_t now = clock_now_ns();
			if (next < now) {
				next = now; /* fell behind: do not burst to catch up */
			} else {
				workload_pace_wait(w, next, generation);
				now = clock_now_ns();
				if (now < next)
					next = now; /* woken early by a change: pace from now, with no debt */
			}
		}
	}
	if (status != DB_OK && w->wait.gave_up && !atomic_load(&w->stop))
		obslab_error_set(&w->error,
		         "gave up after %lld s waiting for another connection's lock on the database",
		         (long long)(w->wait.limit_ns / CLOCK_NS_PER_S));
	atomic_store(&w->plan_running, false); /* a plan still pending never runs now */
	atomic_store(&w->phase, status == DB_OK ? WORKLOAD_DONE : WORKLOAD_FAILED);
	request_ctx_destroy(ctx);
	if (st)
		sqltrace_detach(st);
}

static void *thread_main(void *arg)
{
	run(arg);
	return NULL;
}

int workload_start(struct workload *w)
{
	/* The thread is born with every signal blocked, so no signal meant for
	 * the UI thread is ever delivered to it. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&w->thread, NULL, thread_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	w->started = rc == 0;
	return rc;
}

void workload_join(struct workload *w)
{
	if (w->started && !w->joined) {
		pthread_join(w->thread, NULL);
		w->joined = true;
	}
}

void workload_stop(struct workload *w)
{
	atomic_store(&w->stop, true);
	workload_wake(w, true);
	workload_join(w);
}

void workload_destroy(struct workload *w)
{
	if (!w)
		return;
	workload_stop(w);
	labdb_close(w->db);
	request_result_free(&w->last);
	free(w->samples);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
