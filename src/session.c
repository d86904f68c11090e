/* session — one live lab wired for a front end (see session.h). */
#include "obslab/session.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "obslab/attrs.h"
#include "obslab/labdb.h"
#include "obslab/log.h"
#include "obslab/ring.h"
#include "obslab/span.h"
#include "obslab/strtab.h"
#include "obslab/textsafe.h"

#define LOG_DRAIN_BATCH 64

struct opening {
	const char *path;
	const struct workload_config *cfg;
};

/* Before any front end owns the terminal: a plain line on stderr. */
static void say_waiting(void *ctx)
{
	const struct opening *o = ctx;
	if (o->cfg->lock_wait_ms < 0)
		textsafe_fprintf(stderr, "obslab: %s is locked by another connection; waiting for it\n", o->path);
	else
		textsafe_fprintf(stderr, "obslab: %s is locked by another connection; waiting up to %lld s\n", o->path,
		        (long long)(db_wait_limit_ns(o->cfg->lock_wait_ms) / CLOCK_NS_PER_S));
}

/* PostgreSQL: connecting may take up to its time-out (a server that
 * accepts and never answers). Once it has taken SESSION_SAY_CONNECTING_MS,
 * a plain line on stderr says what obslab is doing, before any front end
 * owns the terminal; a connection made sooner says nothing. */
#define SESSION_SAY_CONNECTING_MS 300

struct connecting {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done, started;
	pthread_t thread;
	char shown[320]; /* the connection string without its password */
};

static void *say_connecting(void *arg)
{
	struct connecting *c = arg;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += SESSION_SAY_CONNECTING_MS * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&c->mu);
	int rc = 0;
	while (!c->done && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&c->cv, &c->mu, &until);
	if (!c->done)
		textsafe_fprintf(stderr, "obslab: connecting to %s…\n", c->shown);
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

static void connecting_begin(struct connecting *c, const char *db_arg)
{
	memset(c, 0, sizeof *c);
	if (!labdb_arg_is_postgresql(db_arg))
		return;
	labdb_arg_display(db_arg, c->shown, sizeof c->shown);
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	c->started = pthread_create(&c->thread, NULL, say_connecting, c) == 0;
	if (!c->started) {
		pthread_cond_destroy(&c->cv);
		pthread_mutex_destroy(&c->mu);
	}
}

static void connecting_end(struct connecting *c)
{
	if (!c->started)
		return;
	pthread_mutex_lock(&c->mu);
	c->done = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
}

/* What the command line left to the database, taken from it: a seeded lab
 * keeps its size, index and seed unless told otherwise. Watching, the
 * database's users and index are the only settings there are. */
static void settings_from_db(struct labdb *db, struct workload_config *cfg)
{
	uint32_t users;
	bool index;
	if (cfg->watch) {
		if (labdb_read_state(db, &users, &index)) {
			cfg->users = users;
			cfg->index = index;
		}
		cfg->seed = labdb_seeded_seed(db);
		return;
	}
	if (labdb_seeded_users(db) == 0 || !labdb_read_state(db, &users, &index))
		return; /* a new database: the defaults */
	if (cfg->users_from_db && users > 0)
		cfg->users = users; /* as it is, whatever the stamp says */
	if (cfg->index_from_db)
		cfg->index = index;
	if (cfg->seed_from_db)
		cfg->seed = labdb_seeded_seed(db);
}

enum db_status session_start(struct session *s, const char *db_path, struct workload_config *cfg,
                             struct store_limits limits, struct obslab_error *err)
{
	memset(s, 0, sizeof *s);
	struct labdb *db;
	struct opening opening = { db_path, cfg };
	struct db_wait wait;
	db_wait_init(&wait, db_wait_limit_ns(cfg->lock_wait_ms), NULL);
	wait.on_begin = say_waiting;
	wait.ctx = &opening;
	struct labdb_options opt = { .wait = &wait, .watch = cfg->watch };
	struct connecting connecting;
	connecting_begin(&connecting, db_path);
	enum db_status status = labdb_open(db_path, &opt, &db, err);
	connecting_end(&connecting);
	if (status != DB_OK)
		return status;
	settings_from_db(db, cfg);
	s->db_info = *labdb_info(db);
	if (s->db_info.engine == LABDB_POSTGRESQL)
		cfg->rtt_us = 0; /* its round trips are real: none is simulated */
	attrs_set_lab_database(&s->db_info); /* before the lab's first span */
	s->anchor = clock_anchor();
	s->names = strtab_create();
	s->spans = ring_create(SESSION_SPAN_RING, sizeof(struct span_record));
	s->logs = ring_create(SESSION_LOG_RING, sizeof(struct log_record));
	s->store = store_create(limits);
	s->workload = workload_create(db, cfg, s->spans, s->logs, s->names);
	int rc = workload_start(s->workload);
	if (rc != 0) {
		obslab_error_set(err, "cannot start the workload thread: %s", strerror(rc));
		return DB_ERROR;
	}
	return DB_OK;
}

size_t session_drain(struct session *s, session_log_fn *on_log, void *ctx)
{
	if (!s->spans) /* stopped, or never started: nothing to drain */
		return 0;
	size_t spans = store_drain(s->store, s->spans);
	struct log_record batch[LOG_DRAIN_BATCH];
	size_t n;
	while ((n = ring_pop(s->logs, batch, LOG_DRAIN_BATCH)) > 0) {
		for (size_t i = 0; on_log && i < n; i++)
			on_log(ctx, &batch[i]);
	}
	return spans;
}

void session_wait(struct session *s, session_log_fn *on_log, void *ctx, void (*on_tick)(void *), void *tick_ctx)
{
	const struct timespec nap = { .tv_sec = 0, .tv_nsec = 2000000 };
	bool waiting = false, reconnecting = false;
	for (;;) {
		enum workload_phase phase = workload_phase(s->workload);
		session_drain(s, on_log, ctx);
		bool locked = workload_lock_wait_since(s->workload) != 0;
		if (locked != waiting && phase != WORKLOAD_FAILED)
			fprintf(stderr, locked ? "obslab: the database is locked by another connection; waiting\n"
			                       : "obslab: the lock was released; resuming\n");
		waiting = locked;
		int64_t since;
		uint32_t attempts;
		bool lost = workload_reconnecting(s->workload, &since, &attempts);
		if (lost != reconnecting && phase != WORKLOAD_FAILED)
			textsafe_fprintf(stderr, lost ? "obslab: lost the connection to %s; reconnecting\n"
			                              : "obslab: reconnected to %s\n", s->db_info.display);
		reconnecting = lost;
		if (phase == WORKLOAD_DONE || phase == WORKLOAD_FAILED)
			break; /* the phase was read before the drain: nothing is left behind */
		if (on_tick)
			on_tick(tick_ctx);
		nanosleep(&nap, NULL);
	}
	workload_join(s->workload);
	session_drain(s, on_log, ctx);
}

void session_stop(struct session *s)
{
	workload_destroy(s->workload);
	store_destroy(s->store);
	ring_destroy(s->spans);
	ring_destroy(s->logs);
	strtab_destroy(s->names);
	memset(s, 0, sizeof *s);
}
