/*
 * workload — the background thread that plays the web app: it owns the
 * database connection, applies the lab's settings (scale, index, simulated
 * round trip), and runs GET /users/analytics at the chosen pace, recording
 * spans into the span ring and log records into the log ring.
 *
 * Control is lock-free from any thread (atomics; a condition variable only
 * wakes the worker early from its pace sleep), and status is read the same
 * way. The worker never waits for a consumer; it waits out another
 * connection's lock on the database (workload_lock_wait_since) as long as
 * lock_wait_ms says, and a stop ends that wait. Before each request it asks
 * the database whether another connection changed it (PRAGMA data_version)
 * and, if so, takes the users and index from the database: those are what
 * the traces record and workload_db_state reports, whatever was asked.
 * On PostgreSQL (labdb.h) nothing detects other connections' changes, no
 * round trip is simulated (rtt_us is ignored; the real one is measured
 * between requests), and a lost connection is got back by itself
 * (workload_reconnecting). It blocks every signal: the
 * thread that started it handles them. workload_create takes ownership of
 * the connection; the rings and string table are borrowed and must outlive
 * workload_destroy. Results (samples, last response) are read after
 * workload_join, when the thread has ended.
 */
#ifndef OBSLAB_WORKLOAD_H
#define OBSLAB_WORKLOAD_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/request.h"

struct labdb;
struct ring;
struct strtab;

/* A measurement plan: at each scale, `requests` rounds of naive, optimized
 * and eager in turn (an A/B/C burst, so drift hits all three alike), their
 * root spans flagged SPAN_F_MEASURED. A comparison is a plan of one scale;
 * a sweep, of several. Any change of settings cancels a plan. */
#define PLAN_MAX_SCALES 8

/* The sizes of the two plans, and the sweep's scales (20 to 10000 users). */
#define PLAN_COMPARE_REQUESTS 10u /* per strategy */
#define PLAN_SWEEP_REQUESTS 3u    /* per strategy and scale: naive at 10000 users takes seconds */
#define PLAN_SWEEP_FIRST_USERS 20
#define PLAN_SWEEP_LAST_USERS 10000
#define PLAN_SWEEP_USERS PLAN_SWEEP_FIRST_USERS, 100, 1000, PLAN_SWEEP_LAST_USERS

/*
 * The steps the explorer's keys move the lab's settings through (+ and -,
 * r, f), each written once: the lists initialize the arrays that step and,
 * through WORKLOAD_TEXT, become the help's words. Pace steps are requests
 * per second (0: as fast as possible), each with the words help uses.
 */
#define WORKLOAD_MAX_USERS 100000
#define WORKLOAD_USER_STEPS 20, 100, 1000, 10000, WORKLOAD_MAX_USERS
#define WORKLOAD_RTT_STEPS_US 0, 50, 200, 500, 1000
#define WORKLOAD_PACE_STEPS(FIRST, NEXT) FIRST(5, "5/s") NEXT(50, "50/s") NEXT(0, "as fast as possible")

/* A list above as text: WORKLOAD_TEXT(WORKLOAD_RTT_STEPS_US) is "0, 50, 200, 500, 1000". */
#define WORKLOAD_TEXT(...) WORKLOAD_TEXT_(__VA_ARGS__)
#define WORKLOAD_TEXT_(...) #__VA_ARGS__
/* The pace steps as numbers (5, 50, 0) and as words ("5/s, 50/s, as fast as possible"). */
#define WORKLOAD_PACE_HZ WORKLOAD_PACE_STEPS(WORKLOAD_PACE_HZ_FIRST_, WORKLOAD_PACE_HZ_NEXT_)
#define WORKLOAD_PACE_TEXT WORKLOAD_PACE_STEPS(WORKLOAD_PACE_TEXT_FIRST_, WORKLOAD_PACE_TEXT_NEXT_)
#define WORKLOAD_PACE_HZ_FIRST_(hz, words) hz
#define WORKLOAD_PACE_HZ_NEXT_(hz, words) , hz
#define WORKLOAD_PACE_TEXT_FIRST_(hz, words) words
#define WORKLOAD_PACE_TEXT_NEXT_(hz, words) ", " words

struct plan {
	uint32_t users[PLAN_MAX_SCALES];
	size_t nscales;
	uint32_t requests;
};

struct workload_config {
	enum strategy strategy;
	uint32_t users;
	uint32_t rtt_us;       /* simulated network round trip per query */
	bool index;            /* index on orders.user_id */
	uint64_t seed;
	uint32_t pace_hz;      /* requests per second; 0 = as fast as possible */
	uint64_t max_requests; /* stop after this many; 0 = until stopped */
	bool trace;            /* false: the same workload, uninstrumented */
	const struct plan *plan; /* headless: run this plan, then end (max_requests unused) */
	/* Waiting for another connection's lock on the database: give up after
	 * this long (0: DB_LOCK_WAIT_MS; negative: never, as the explorer). */
	int64_t lock_wait_ms;
	/* Settings the command line left out: session_start takes the
	 * database's own (its users, index and seed) if it has been seeded. */
	bool users_from_db, index_from_db, seed_from_db;
	/* Read-only: the database as it is (db_open_watch). The worker never
	 * seeds or toggles the index; users and index set here are ignored. */
	bool watch;
};

enum workload_phase {
	WORKLOAD_STARTING,
	WORKLOAD_SEEDING,
	WORKLOAD_RUNNING,
	WORKLOAD_DONE,
	WORKLOAD_FAILED,
};

/* One request as the workload timed it, whatever the tracing. On
 * PostgreSQL, the server's own clock read after it (pgstat.h):
 * server_loaded when pg_stat_statements is in the database, server_known
 * when the calls it counted were the request's queries (else the figure
 * could hold another connection's: unknown rather than wrong). */
struct request_sample {
	int64_t duration_ns;
	uint32_t queries;
	bool server_loaded, server_known;
	int64_t server_exec_ns; /* server_known: execution of the request's statements */
};

struct workload;

/* Never NULL (xalloc.h). logs may be NULL. */
struct workload *workload_create(struct labdb *db, const struct workload_config *cfg,
                                 struct ring *spans, struct ring *logs, struct strtab *names);
/* 0, or an errno value if the thread could not be started. */
int workload_start(struct workload *w);
/* Waits for the thread to end by itself (max_requests) or after a stop. */
void workload_join(struct workload *w);
/* Asks the thread to stop after the current request, and joins it. */
void workload_stop(struct workload *w);
/* Stops if running, closes the connection, frees. */
void workload_destroy(struct workload *w);

/* Control, from any thread: takes effect before the next request. A change
 * of strategy, users or index (and pause, and stop) also cancels the request
 * in flight, so a long naive request never holds the lab hostage. */
void workload_set_strategy(struct workload *w, enum strategy s);
void workload_set_users(struct workload *w, uint32_t users);
void workload_set_rtt_us(struct workload *w, uint32_t rtt_us);
void workload_set_index(struct workload *w, bool on);
void workload_set_pace(struct workload *w, uint32_t pace_hz);
/* Paused, the worker runs no request and sleeps until resumed. */
void workload_set_paused(struct workload *w, bool paused);

/* Starts a plan (after the request in flight, which it cancels); the
 * workload returns to the user's settings when the plan ends. A scale of 0
 * users is the database's own size. */
void workload_start_plan(struct workload *w, const struct plan *plan);
void workload_cancel_plan(struct workload *w);
/* Requests done and planned; running is false once the plan ended or was
 * cancelled (done < total then). */
void workload_plan_progress(const struct workload *w, uint32_t *done, uint32_t *total, bool *running);

/* Status, from any thread. */
enum workload_phase workload_phase(const struct workload *w);
uint64_t workload_requests(const struct workload *w);
void workload_seed_progress(const struct workload *w, uint32_t *done, uint32_t *total);
/* 0, or when the worker began waiting for another connection's lock (it
 * logs "database locked by another connection; waiting" then, and "database
 * lock released; resumed" when a statement went through again). */
int64_t workload_lock_wait_since(const struct workload *w);
/* The users and index as the database has them (after the worker's last
 * seeding, index change or check), and how many times the worker found the
 * database changed by another connection. */
void workload_db_state(const struct workload *w, uint32_t *users, bool *index, uint32_t *changes);
/* The request in flight, if one runs: when it began (clock_now_ns) and the
 * statements it has run so far; false between requests. Lock-free, from any
 * thread (the two figures may be a statement apart). */
bool workload_in_flight(const struct workload *w, int64_t *started_ns, uint32_t *queries);
/* Whether the worker is getting a lost connection back (PostgreSQL): since
 * when (clock_now_ns) and how many attempts so far. It logs "connection to
 * the database lost; reconnecting" as it begins and "reconnected to the
 * database" (with after_s) when it resumes; past the lock-wait limit it
 * fails (WORKLOAD_FAILED, "gave up after N s reconnecting to ..."). A stop,
 * pause or change of settings interrupts the attempts; they begin again
 * when the worker next meets the lost connection. Any thread. */
bool workload_reconnecting(const struct workload *w, int64_t *since_ns, uint32_t *attempts);
/* Requests that failed because the connection was lost (each a trace
 * marked with its error; the worker reconnected and went on, so they are
 * not among workload_requests nor the samples). Any thread. */
uint64_t workload_failed_requests(const struct workload *w);
/* The server's clock as the last reading found it (enum pgstat_state):
 * PGSTAT_NONE on SQLite and before the first, PGSTAT_NOT_LOADED without
 * pg_stat_statements. After each PostgreSQL request the worker logs the
 * reading with the request's trace id (pgstat_log). Any thread. */
int workload_server_clock(const struct workload *w);
/* When the phase is WORKLOAD_FAILED: what went wrong, in one line. */
const char *workload_error(const struct workload *w);

/* After workload_join: the samples of every request (when max_requests > 0)
 * and the last request's result. */
const struct request_sample *workload_samples(const struct workload *w, size_t *n);
const struct request_result *workload_last_result(const struct workload *w);

#endif
